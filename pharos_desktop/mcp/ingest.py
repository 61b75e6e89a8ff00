"""ingest_repository: an ingest run the way the window runs one, in a child process (engine/isolated.py), so that
cancelling it stops it for real; its progress events reach the assistant as MCP progress notifications.

Off unless the user lets assistants ingest (Settings > AI assistants), read at each call so that the switch
applies at once. On: the assistant can index what `pharos-desktop ingest` could (a URL, or a folder this user
can read), with the same skip rules and the same git token scope.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from ..engine.run.cancel import CancelToken
from ..engine.errors import Cancelled, PharosError
from ..engine.run.events import Event, IngestSummary, StageMessage, StageProgress
from ..engine.run.task import Task
from ..engine.settings import Settings
from .answers import answer, refusal
from .view import ServedIndex

TURNED_OFF = ("ingesting from an assistant is off: the user can turn it on in Pharos Desktop, Settings > "
              "AI assistants, or ingest the repository there")
# Each stage's share of the one progress figure (0-100) an assistant shows.
SHARES = {"clone": 10, "scan": 5, "parse": 25, "embed": 45, "store": 15}
REPORT_EVERY = 0.25  # seconds


class Ingested(BaseModel):
    repo: str
    repo_id: str
    source: str
    commit: str
    files: int
    chunks: int
    skipped: int
    skipped_reasons: dict[str, int] = Field(description="why files were left out, and how many")
    embedded: int = Field(description="chunks embedded by this run; the others were kept from the last one")
    seconds: float


class Progress:
    """An Emit for the ingest's events (called from its threads): one figure from 0 to 100 that only rises, as
    MCP progress must, and a line saying where the ingest is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fractions: dict[str, float] = {}
        self._value = 0.0
        self._message = "starting"
        self._reported: tuple[float, str] | None = None

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StageProgress) and event.stage in SHARES:
                fraction = min(1.0, event.done / event.total) if event.total else 0.0
                # a stage's total can grow (chunks to embed appear as files are parsed): never step back
                self._fractions[event.stage] = max(self._fractions.get(event.stage, 0.0), fraction)
                self._value = max(self._value, sum(SHARES[s] * f for s, f in self._fractions.items()))
                total = f"/{event.total}" if event.total else ""
                self._message = f"{event.stage} {event.done}{total} {event.unit}"
            elif isinstance(event, StageMessage):
                self._message = event.text

    def news(self) -> tuple[float, str] | None:
        """What to report now: None when nothing moved since the last report."""
        with self._lock:
            state = (round(self._value, 1), self._message)
            if self._reported is not None and state[0] <= self._reported[0]:
                return None
            self._reported = state
            return state


async def ingest_repository(served: ServedIndex, context: Context, source: str, branch: str | None) -> CallToolResult:
    try:
        allowed = Settings.load().mcp_allow_ingest
    except PharosError as exc:
        return refusal(str(exc))
    if not allowed:
        return refusal(TURNED_OFF)
    progress = Progress()
    task = Task("ingest", progress, CancelToken())
    outcome: Future[IngestSummary] = Future()

    def work() -> None:
        from ..engine.isolated import IsolatedIngestor  # here: most servers never ingest, and start faster without it

        try:
            outcome.set_result(IsolatedIngestor(served.workspace).ingest(source, branch or None, task=task))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting call
            outcome.set_exception(exc)

    worker = threading.Thread(target=work, name="pharos-mcp-ingest", daemon=True)
    worker.start()
    try:
        while not outcome.done():
            await anyio.sleep(REPORT_EVERY)
            await _report(context, progress)
    except anyio.get_cancelled_exc_class():
        # The assistant cancelled the call (or went away): the child is told to stop, and waited for, so that no
        # ingest goes on writing after the call has ended.
        task.cancel.cancel()
        with anyio.CancelScope(shield=True):
            while worker.is_alive():
                await anyio.sleep(0.1)
        raise
    await _report(context, progress)
    try:
        summary = outcome.result()
    except Cancelled:
        return refusal("the ingest was cancelled; what it stored is kept, and ingesting again resumes it")
    except PharosError as exc:
        return refusal(f"the ingest failed: {exc}")
    reasons = ", ".join(f"{n} {reason}" for reason, n in summary.skipped_reasons.items())
    text = (f"{summary.repo} @ {summary.commit[:12] or 'working tree'}: {summary.files} files, {summary.chunks} "
            f"chunks ({summary.embedded} embedded now) in {summary.seconds:.1f} s"
            + (f"; skipped {summary.skipped} files: {reasons}" if summary.skipped else "")
            + f"\nsearch it with search_code(repository={summary.repo!r})")
    fields = {name: getattr(summary, name) for name in Ingested.model_fields}
    return answer(text, Ingested(**fields))


async def _report(context: Context, progress: Progress) -> None:
    news = progress.news()
    if news is not None:
        await context.report_progress(news[0], 100, news[1])
