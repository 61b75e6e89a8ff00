"""`pharos-desktop` with no arguments opens the window; `pharos-desktop screenshots ...` runs the screenshot
tool (tools/screenshots.py); any other command runs the command line. The two front ends (ui, cli) and
the tool never import each other: this is the one place that chooses between them."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    if args[0] == "screenshots":
        from .tools.screenshots import main as screenshots_main

        return screenshots_main(args[1:])
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
