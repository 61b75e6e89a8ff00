"""The live index: local folders followed as they change (watcher), when automatic work waits (manners),
and what each repository's index holds now, in words (status)."""
