"""`pharos-desktop mcp [--http [--port N]]`: the local index for AI assistants, over the Model Context Protocol.

A third front end beside the command line and the window (never imported by them, nor they by it): the same engine
verbs as `pharos-desktop search` and `repos`, and the window's way of ingesting (a child process). On stdio (what an
assistant starts) or streamable HTTP on 127.0.0.1 (what the window serves, with a bearer token). Like the command
line's search it imports neither torch nor chromadb: the query is embedded with the int8 graph and vectors come from
the search snapshot, loaded while the SDK starts, so the first answer comes fast.

One module per concern: view (what the server answers from while other processes write), search_code, repositories,
reading (read_code, read_symbol, outline and the path rule), related (find_related), ingest, answers (text,
structure, refusals), server (the tools), http_server (HTTP, token and Origin).
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..engine.errors import PharosError
from ..engine.logs import setup_logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pharos-desktop mcp",
        description="Serve the local index to AI assistants (Claude Code, Cursor, VS Code, ...) over the Model "
                    "Context Protocol: on stdio, as an assistant starts it, or over HTTP on 127.0.0.1. Settings > "
                    "AI assistants in the window copies the configuration for each assistant.")
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP on 127.0.0.1 (bearer token)")
    parser.add_argument("--port", type=int, help="the HTTP port (default: Settings > AI assistants, 8767)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.port is not None and not args.http:
        print("pharos-desktop mcp: --port goes with --http", file=sys.stderr)
        return EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        from .view import ServedIndex, ServedWorkspace

        workspace = ServedWorkspace()
        setup_logging(workspace.logs_dir)
        served = ServedIndex(workspace)
        served.warm_up()  # the query model and the vectors load while the SDK is imported
        if args.http:
            from .http_server import serve

            serve(served, args.port or workspace.settings.mcp_http_port)
        else:
            from .server import build

            build(served).run("stdio")
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_OK
    except PharosError as exc:
        print(f"pharos-desktop mcp: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log
        logging.getLogger("pharos_desktop").exception("the MCP server stopped")
        print(f"pharos-desktop mcp: the server stopped ({type(exc).__name__}: {exc}); the log has the details",
              file=sys.stderr)
        return EXIT_FAILED
