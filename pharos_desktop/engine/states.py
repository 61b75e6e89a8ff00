"""Every status vocabulary, one per thing. A value is at once the word stored (catalog and sync tables),
the word sent in events and the word the window and the command line show; a StrEnum equals its text,
so rows read back compare equal to the members."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """What a job does: the catalog's jobs.kind, a Task's kind, the kind a finished job's summary names."""

    INGEST = "ingest"
    SYNC = "sync"
    CLOUD = "cloud"  # a job the cloud queued, as the worker reports it done (its ingest and sync are jobs too)


class RepoState(StrEnum):
    """A repository's local index (the catalog's repos.state)."""

    NEW = "new"  # registered, nothing indexed yet
    INGESTING = "ingesting"
    READY = "ready"
    INTERRUPTED = "interrupted"  # its ingest stopped part way: resuming continues from what is stored
    FAILED = "failed"


class IndexedTree(StrEnum):
    """What a repository's index was read from (the catalog's repos.tree)."""

    UNKNOWN = ""  # a plain folder (no git), or indexed before this was recorded
    COMMIT = "commit"  # the files as committed: a clone, or a clean working tree
    WORKING_TREE = "working tree"  # a local folder with uncommitted changes (edited, added or deleted files)


class JobState(StrEnum):
    """An ingest or sync job (the catalog's jobs.state, and the window's job cards)."""

    QUEUED = "queued"  # the window only: waiting for its turn
    RUNNING = "running"
    CANCELLING = "cancelling"  # the window only: cancel asked, the work has not stopped yet
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its process ended without finishing it


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


class SyncStanding(StrEnum):
    """A repository's or a file's standing with the cloud, computed from the sync tables (never stored)."""

    NOT_SYNCED = "not synced"  # a repository never synced to this cloud
    SYNCED = "synced"
    PENDING = "pending"  # the next sync creates, replaces or deletes something
    FAILED = "failed"


class UploadState(StrEnum):
    """A file's row in the sync tables (sync_files.status)."""

    UPLOADING = "uploading"  # written before the create: a run killed before DONE leaves it for repair
    DONE = "done"


class RunMark(StrEnum):
    """A repository's row in sync_runs: a sync of it is running, or the next must check the cloud first."""

    RUNNING = "running"  # still there when a run starts: the run that wrote it was killed
    INTERRUPTED = "interrupted"  # a run was killed: its published chunk counts must be checked
    UPGRADED = "upgraded"  # published by a version that could double chunks: checked once


class LastSync(StrEnum):
    """How a repository's last sync ended (sync_repos.status)."""

    OK = "ok"
    FAILED = "failed"


class WorkerActivity(StrEnum):
    """The cloud worker ("Work for my cloud"): engine/worker's WorkerState and its events."""

    STARTING = "starting"
    IDLE = "idle"  # online, waiting for jobs
    WORKING = "working"
    BACKING_OFF = "backing off"  # the queue or the cloud failed: trying again after a delay
    STOPPED = "stopped"
