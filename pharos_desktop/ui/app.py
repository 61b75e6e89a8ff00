"""Entry point of the window: QApplication + qasync loop, logging, the data folder, the main window.

Nothing here imports torch, sentence-transformers or chromadb: the window must be on screen before
the model exists (it loads on a worker thread when the first job or search needs it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__

log = logging.getLogger(__name__)

ORGANIZATION = "Pharos"
APP_NAME = "Pharos Desktop"


def make_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("pharos-desktop")
    from .icons import app_icon

    app.setWindowIcon(app_icon())
    return app


def open_workspace(app_settings: QSettings):
    """The data folder chosen in Settings applies from the next start, unless PHAROS_HOME says otherwise."""
    from .settings_dialog import DATA_FOLDER_KEY

    chosen = app_settings.value(DATA_FOLDER_KEY, "")
    if chosen and not os.environ.get("PHAROS_HOME"):
        os.environ["PHAROS_HOME"] = str(chosen)
    from ..engine.logs import setup_logging
    from ..engine.workspace import Workspace

    workspace = Workspace.open()
    setup_logging(workspace.logs_dir)
    return workspace


def run_app(argv: list[str]) -> int:
    app = make_application(argv)
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app_settings = QSettings()
    try:
        workspace = open_workspace(app_settings)
    except Exception as exc:  # noqa: BLE001 - a broken settings file or catalog: say so instead of vanishing
        QMessageBox.critical(None, APP_NAME, f"Pharos Desktop cannot open its data folder:\n\n{exc}")
        return 1
    log.info("Pharos Desktop %s starting, data folder %s", __version__, workspace.data_folder)

    from . import async_tasks
    from .main_window import MainWindow

    window = MainWindow(workspace, app_settings)
    window.show()
    async_tasks.use_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    async_tasks.use_loop(None)
    log.info("Pharos Desktop closed")
    return 0


if __name__ == "__main__":
    sys.exit(run_app(sys.argv))
