"""`pharos-desktop` with no arguments opens the window; `pharos-desktop mcp ...` serves AI assistants (mcp/);
`pharos-desktop screenshots ...` runs the screenshot tool (tools/screenshots.py); any other command runs the
command line. The front ends (ui, cli, mcp) and the tool never import each other: this is the one place that
chooses between them."""

from __future__ import annotations

import logging
import os
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    if args[0] == "screenshots":
        from .tools.screenshots import main as screenshots_main

        return screenshots_main(args[1:])
    if args[0] == "search-resident":  # the resident search process that `search` starts (engine/query/resident.py)
        from .engine.query.resident_server import main as resident_main

        return resident_main()
    if args[0] == "mcp":
        from .mcp import main as mcp_main

        code = mcp_main(args[1:])
    else:
        from .cli import main as cli_main

        code = cli_main(args)
    if any(thread.is_alive() for thread in threading.enumerate() if thread is not threading.main_thread()):
        # What the command did is committed (or it failed or was cancelled). Work it no longer waits for may
        # still run on a thread inside native code: a model loading in the background when a clone fails
        # at once, or a model call a cancel abandoned (onnxruntime, torch). Tearing the interpreter down
        # under it can abort the process ("terminate called without an active exception"), so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
