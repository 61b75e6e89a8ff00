"""The headless command line: the same engine as the window, progress on stderr, results on stdout.

Exit codes: 0 success, 1 failure (one line on stderr; traceback with --verbose), 2 usage error,
130 cancelled with Ctrl-C or SIGTERM (what a logout, systemd or `kill` sends): both cancel the same way.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import traceback

from .. import __version__
from ..engine.errors import Cancelled, PharosError, UsageError
from ..engine.logs import setup_logging

# Each command lives in its own module with add_parser(subparsers) and run(args, workspace) -> int.
COMMANDS = ("ingest", "search", "repos", "watch", "export", "graph", "sync", "worker", "doctor")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


class _Stderr(logging.StreamHandler):
    """sys.stderr as it is at each line, not as it was when the handler was made (tests swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _show_store_notices() -> None:
    """The stores' own warnings (a one-time move or rebuild after an update, minutes on a large index) go to
    stderr too, so that a terminal shows why a command waits; the keyword index's rebuild, which runs before
    logging is set up, reaches stderr already."""
    stores = logging.getLogger("pharos_desktop.engine.index")
    if not any(getattr(handler, "pharos_notices", False) for handler in stores.handlers):
        handler = _Stderr()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.pharos_notices = True
        stores.addHandler(handler)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its one-line style
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or only ``command``'s part of it: each command's module imports what it runs, and
    a search should not pay for the imports of sync, the worker and ingest (a fifth of its time)."""
    parser = _Parser(prog="pharos-desktop",
                     description="Ingest git repositories locally and publish them to your Pharos cloud account. "
                                 "Run with no command to open the window.",
                     # not commands of this parser: __main__ hands them to mcp/ and tools/screenshots.py
                     epilog="pharos-desktop mcp serves the index to AI assistants over the Model Context Protocol "
                            "(pharos-desktop mcp --help). pharos-desktop screenshots DIR saves a PNG of each view of "
                            "the window (pharos-desktop screenshots --help).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show skipped files and tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (command,) if command in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(__name__):
                continue  # a command still being built; the others work
            raise
        module.add_parser(subparsers)
    return parser


def _prepare_process() -> None:
    # Output never fails on a console or pipe that cannot show a character (cp1252 on Windows): it shows
    # "?" instead. JSON output is ASCII anyway.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cancels like Ctrl-C
    # Ctrl-C always cancels, even where the parent left it ignored or blocked (Python then keeps it so, and a
    # job could not be stopped but by SIGKILL, which leaves it to be found interrupted later).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def main(argv: list[str]) -> int:
    _prepare_process()
    # The first word that is no option names the command (the top-level options take no values).
    parser = build_parser(next((arg for arg in argv if not arg.startswith("-")), None))
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        module = importlib.import_module(f"{__name__}.{args.command}")
        # A command answered without opening the data folder (a search the resident search process answers)
        answered = getattr(module, "answer_early", lambda _args: None)(args)
        if answered is not None:
            return answered
        from ..engine.workspace import Workspace

        if getattr(args, "repair", False):  # doctor --repair mends the catalog that opening a workspace meets
            return module.repair(args)
        workspace = Workspace.open()
        setup_logging(workspace.logs_dir, verbose=args.verbose)
        _show_store_notices()
        if getattr(module, "READS_JOBS", True):  # a search shows no jobs: it spares the jobs table's start
            workspace.jobs.mark_stale_interrupted()  # left by a process that was killed
        return module.run(args, workspace)
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Cancelled:
        print("cancelled: work already stored is kept; run the same command again to resume", file=sys.stderr)
        return EXIT_CANCELLED
    except UsageError as exc:
        print(f"pharos-desktop: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PharosError as exc:
        logging.getLogger("pharos_desktop").debug("command failed", exc_info=True)
        if args.verbose:
            traceback.print_exc()
        print(f"pharos-desktop: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - unexpected: one line unless --verbose
        logging.getLogger("pharos_desktop").exception("command crashed")
        if args.verbose:
            traceback.print_exc()
        print(f"pharos-desktop: unexpected error: {exc} (run with --verbose for details)", file=sys.stderr)
        return EXIT_FAILED
