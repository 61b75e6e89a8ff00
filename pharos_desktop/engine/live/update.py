"""How the live index runs one update: an ingest of the repository, as a function the front end chooses.

`pharos-desktop watch` updates in its own process (the model stays loaded between updates: an edit is
searchable sooner). The window hands each update to its job queue instead, so that it runs in a child process
like every ingest the user starts, shows as a card in Activity and can be cancelled there.
"""

from __future__ import annotations

from typing import Callable

from ..run.events import IngestSummary
from ..run.task import Task
from ..workspace import Workspace

# (source, branch or None, task) -> the ingest's summary; raises PharosError (the update failed, in one line) or
# Cancelled (the follower stops).
Update = Callable[[str, "str | None", Task], IngestSummary]


def in_this_process(workspace: Workspace) -> Update:
    def update(source: str, branch: str | None, task: Task) -> IngestSummary:
        from ..ingest import Ingestor  # here: an idle follower never needs the ingest path

        return Ingestor(workspace).ingest(source, branch, task=task)

    return update
