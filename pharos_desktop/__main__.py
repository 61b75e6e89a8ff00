"""`pharos-desktop` with no arguments opens the window; `pharos-desktop screenshots ...` runs the screenshot
tool (tools/screenshots.py); any other command runs the command line. The two front ends (ui, cli) and
the tool never import each other: this is the one place that chooses between them."""

from __future__ import annotations

import os
import sys

EXIT_CANCELLED = 130


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    if args[0] == "screenshots":
        from .tools.screenshots import main as screenshots_main

        return screenshots_main(args[1:])
    from .cli import main as cli_main

    code = cli_main(args)
    if code == EXIT_CANCELLED:
        # What was done is committed and the job is marked cancelled. A model call that cannot be interrupted
        # may still run on a native thread (onnxruntime, torch); tearing the interpreter down under it can
        # abort the process, so leave at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
