"""How work runs: the cancel token, progress and the events a job reports (and their JSON lines), who owns
a running job, one ingest or sync per repository (repo_lock), child processes and their priority."""
