"""What the assistants' server answers from: one committed state of the index, kept while another process writes.

An ingest writes its repository file batch by file batch, each file's vectors before its rows, and the search
search index of the vectors last (engine/local_index.py). Read in between, the index has some files new and some old,
and vectors that no longer go with the catalog. So every tool runs on one engine thread whose catalog connection
holds a read transaction (Catalog.hold_view), with the vectors read for that same state. While a repository's lock
is held (an ingest or a sync under way, in any process: engine/repo_lock.py) the view stays where it is; at the
first call after the locks are free it moves to what is committed then, which a finished ingest has completed with
its search index: the new index is served whole, and without a restart.

A server that starts while an ingest is under way has no earlier state to keep: it answers from what is stored so
far, without vectors (the store is being rewritten), and says so (``partial``).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from ..engine.graph.related import KeptTies
from ..engine.run.repo_lock import busy_repositories
from ..engine.query.search import Searcher
from ..engine.workspace import Workspace

log = logging.getLogger(__name__)
T = TypeVar("T")


class ServedWorkspace(Workspace):
    """The workspace as the view sees it: while another process writes the index, vector search reads only the
    vectors read with the view, never the store being written."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.writing: list[str] = []  # the repositories another process is writing now
        self._view_vectors: dict[tuple[str, int], object] = {}

    def search_vectors(self, model: str, dim: int):
        """The vectors read for this view: read once while nobody writes (the search index, caught up from the
        store if it was behind), kept for as long as the view holds. An open index keeps its rows whatever a
        later update or compaction does (vector_index.py)."""
        if (model, dim) not in self._view_vectors:
            if self.writing:
                return None
            self._view_vectors[(model, dim)] = super().search_vectors(model, dim)
        return self._view_vectors[(model, dim)]

    def forget_view_vectors(self) -> None:
        self._view_vectors.clear()


class ServedIndex:
    def __init__(self, workspace: ServedWorkspace) -> None:
        self.workspace = workspace
        self._engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pharos-mcp-engine")
        self._version: int | None = None  # the held view's (Catalog.hold_view); None: none held yet
        self.partial: list[str] = []  # repositories being written when the view was taken: it holds part of them
        self.ties = KeptTies()  # find_related's, on the engine thread

    def warm_up(self) -> None:
        """Load the query model and the view's vectors now, on the engine thread, while the server starts."""
        def warm() -> None:
            try:
                self._advance()
                self.workspace.query_embedder()
            except Exception:  # noqa: BLE001 - the first search meets the same problem and says it in one line
                log.warning("warming up the search failed", exc_info=True)

        self._engine.submit(warm)

    async def run(self, function: Callable[..., T], *args) -> T:
        """``function(*args)`` on the engine thread, in the current view."""
        return await asyncio.wrap_future(self._engine.submit(self._in_view, function, *args))

    def _in_view(self, function: Callable[..., T], *args) -> T:
        self._advance()
        return function(*args)

    def _advance(self) -> None:
        writing = busy_repositories(self.workspace.data_folder)
        self.workspace.writing = writing
        if writing and self._version is not None:
            return  # keep answering from the state before the writer began
        version = self.workspace.catalog.hold_view()
        if version == self._version and not writing and not self.partial:
            return  # nothing was committed since: the same state, and the vectors read for it
        self._version = version
        self.partial = writing
        self.workspace.forget_view_vectors()
        if not writing:
            Searcher(self.workspace).warm_up()  # the vectors that go with this state, read while nobody writes

    def close(self) -> None:
        self._engine.shutdown(wait=False, cancel_futures=True)
