"""Drive the real window through its main views and save one PNG per view (offscreen works:
QT_QPA_PLATFORM=offscreen).

    python -m pharos_desktop.tools.screenshots DIR [--source PATH_OR_URL]
    pharos-desktop screenshots DIR [--source PATH_OR_URL]      # the same; also in the bundle

It runs against a fresh temporary data folder and an in-memory keyring, so your own index, settings
and tokens are never touched. Without --source it ingests a small git repository built from an
installed package's source (tenacity). The sync view syncs to the fake cloud (tools/fake_cloud.py) on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import keyring

from ..engine.errors import UsageError
from ..engine.states import ACTIVE_JOB_STATES, JobKind, JobState
from .fake_cloud import CloudServer
from .memory_keyring import MemoryKeyring
from .sample_repos import make_package_repo

VIEWS = ("01-empty", "02-ingest-running", "03-browse-code", "04-search", "05-overview", "06-settings",
         "07-diagnostics", "08-sync-running")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pharos-desktop screenshots",
        description="Open the window (offscreen works), ingest a repository, search, open the overview, settings, "
                    "diagnostics and a sync against a local fake cloud, saving one PNG per view into DIR. Uses a "
                    "temporary data folder: your own data is untouched.")
    parser.add_argument("dir", metavar="DIR", help="folder for the PNG files (created if missing)")
    parser.add_argument("--source", metavar="PATH_OR_URL",
                        help="repository to ingest (default: a git repo built from the installed tenacity package)")
    parser.add_argument("--query", default="retry with exponential backoff", help="search shown in the search view")
    parser.add_argument("--map-only", action="store_true",
                        help="ingest the repository and save only its Map tab, as map-NAME.png")
    return parser


def sample_repository(target: Path, package: str = "tenacity") -> Path:
    """A real codebase nobody here wrote: an installed package's source committed into a fresh git repo."""
    try:
        return make_package_repo(target, package)
    except LookupError as exc:
        raise UsageError(f"{exc}: pass --source PATH_OR_URL") from None


def wait_until(app, condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="pharos-screenshots-"))
    os.environ["PHAROS_HOME"] = str(scratch / "home")
    os.environ.pop("PHAROS_TOKEN", None)
    keyring.set_keyring(MemoryKeyring())
    try:
        return _shoot(args, out, scratch)
    except UsageError as exc:
        print(f"pharos-desktop screenshots: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _shoot(args, out: Path, scratch: Path) -> int:
    from PySide6.QtCore import QSettings

    from ..engine.workspace import Workspace
    from ..ui.app import make_application
    from ..ui.main_window import MainWindow

    app = make_application(sys.argv[:1])
    workspace = Workspace()
    window = MainWindow(workspace, QSettings(str(scratch / "app.ini"), QSettings.Format.IniFormat))
    window.resize(1440, 900)
    window.show()
    saved: list[Path] = []

    def shot(widget, name: str) -> None:
        settle(app)
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        saved.append(path)
        print(f"saved {path}")

    if not args.map_only:
        shot(window, "01-empty")

    source = args.source or str(sample_repository(scratch / "tenacity-repo"))
    window.url_bar.set_source(source)
    window.url_bar.submit()
    wait_until(app, lambda: bool(window.activity.cards), 10, "the job card")
    card = next(iter(window.activity.cards.values()))
    embed = card.bars["embed"]
    wait_until(app, lambda: card.state not in ACTIVE_JOB_STATES or 0 < embed.value() < embed.maximum() * 0.8,
               600, "the embed stage")
    if not args.map_only:
        shot(window, "02-ingest-running")
    wait_until(app, lambda: card.state not in ACTIVE_JOB_STATES, 900, "the ingest to finish")
    if card.state != JobState.DONE:
        print(f"screenshots: the ingest ended {card.state}: {card.result.text()}", file=sys.stderr)
        return 1

    wait_until(app, lambda: window.repo_list.selected_repo() is not None, 20, "the repository list")
    if args.map_only:
        _shoot_map(app, window, shot)
        window.close()
        settle(app, 0.2)
        return 0
    wait_until(app, lambda: window.file_tree.topLevelItemCount() > 0, 20, "the file tree")
    biggest = max(window.file_tree._items, key=lambda p: int(window.file_tree._items[p].text(1)))
    window.file_tree.select_path(biggest)
    window.code_view.show_file(window.repo_list.selected_repo(), biggest)
    wait_until(app, lambda: window.code_view.loaded is not None, 30, "the code view")
    chunks = window.code_view.loaded.chunks
    if len(chunks) > 3:
        window.code_view.select_chunk(chunks[3].chunk_id)
    window.tabs.setCurrentWidget(window.code_view)
    shot(window, "03-browse-code")

    window.focus_search()
    window.search_panel.query.setText(args.query)
    wait_until(app, lambda: bool(window.search_panel.hits), 120, "search results")
    shot(window, "04-search")

    window.tabs.setCurrentWidget(window.overview)
    wait_until(app, lambda: window.overview.shape is not None, 30, "the overview")
    shot(window, "05-overview")

    dialog = window.open_settings()
    shot(dialog, "06-settings")
    dialog.reject()

    about = window.open_diagnostics()
    wait_until(app, lambda: about.report is not None, 120, "diagnostics")
    shot(about, "07-diagnostics")
    about.reject()

    _shoot_sync(app, window, workspace, shot)
    window.close()
    settle(app, 0.2)
    print(f"{len(saved)} screenshots in {out}")
    return 0


def _shoot_map(app, window, shot) -> None:
    """The Map tab, with the symbol that the most others use through an import chosen, and its callers and
    callees listed."""
    from ..engine.graph import IMPORTED, references

    repo = window.repo_list.selected_repo()
    window.activity_dock.hide()
    window.main_split.setSizes([70, 830])  # the map as large as the window allows
    window.lower_split.setSizes([250, 1190])
    window.tabs.setCurrentWidget(window.map)
    panel = window.map
    wait_until(app, lambda: panel.view.complete, 300, "the map")
    used = Counter((r.target_path, r.target_symbol) for r in references(window.workspace.catalog, repo)
                   if r.confidence == IMPORTED)
    if used:
        (path, symbol), _count = used.most_common(1)[0]
        panel.select_file(path)
        wait_until(app, lambda: panel.related is not None and panel.symbols.count() > 1, 120, "the file's symbols")
        panel.select_symbol(symbol)
        wait_until(app, lambda: panel.related.symbol == symbol, 120, "the symbol's callers")
    shot(window, f"map-{repo.name}")


def _shoot_sync(app, window, workspace, shot) -> None:
    from ..engine import secrets

    server = CloudServer(token="screenshot-token").start()
    server.latency = 0.05  # slow enough to see the upload move
    try:
        workspace.settings.api_url = server.url
        workspace.settings.sync_concurrency = 2
        workspace.settings.save()
        secrets.set_secret(secrets.CLOUD_TOKEN, "screenshot-token")
        window.start_sync(None)
        card = window.activity.cards[window.queue.active(JobKind.SYNC).job_id]
        upload = card.bars["upload"]
        wait_until(app, lambda: not window.busy or upload.value() > max(2, upload.maximum() // 4), 120,
                   "the upload")
        shot(window, "08-sync-running")
        window.cancel_sync()
        wait_until(app, lambda: not window.busy, 60, "the sync to stop")
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
