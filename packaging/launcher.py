"""PyInstaller's entry script for Pharos Desktop.

``pharos_desktop/__main__.py`` uses relative imports, so it cannot be the frozen entry script itself;
this file imports it as a package module instead. No arguments opens the window, anything else is
the command line (``PharosDesktop --version``, ``PharosDesktop ingest SRC --json`` ...).
"""

import multiprocessing
import sys

if __name__ == "__main__":
    # A frozen app that starts worker processes (spawn/forkserver) must call this first.
    multiprocessing.freeze_support()
    from pharos_desktop.__main__ import main

    sys.exit(main())
