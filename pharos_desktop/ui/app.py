"""Entry point of the window: QApplication + qasync loop, logging, the data folder, the main window.

Nothing here imports torch, sentence-transformers or chromadb: the window must be on screen before
the model exists (it loads on a worker thread when the first job or search needs it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QSplashScreen

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


SLOW_OPEN_NOTICE = ("Opening the data folder…\n\nAfter an update this can take a while: the keyword index is rebuilt once\n"
                    "(about a minute per 100,000 chunks; nothing is re-embedded).\n")


def _splash_picture() -> QPixmap:
    from .icons import app_icon

    picture = QPixmap(600, 220)
    picture.fill(Qt.GlobalColor.white)
    painter = QPainter(picture)
    painter.drawPixmap((picture.width() - 96) // 2, 20, app_icon().pixmap(96, 96))
    painter.end()
    return picture


def open_workspace(app: QApplication, app_settings: QSettings, notice_after: float = 0.5):
    """The data folder chosen in Settings applies from the next start, unless PHAROS_HOME says otherwise.

    Opened on a thread: a data folder that a new version must bring up to date (the keyword index rebuilt,
    minutes at a million chunks) would otherwise keep the window away with nothing on screen. After
    ``notice_after`` seconds a splash says what is happening, and stays responsive until the folder is open."""
    from .settings_dialog import DATA_FOLDER_KEY

    chosen = app_settings.value(DATA_FOLDER_KEY, "")
    if chosen and not os.environ.get("PHAROS_HOME"):
        os.environ["PHAROS_HOME"] = str(chosen)
    from ..engine.logs import setup_logging
    from ..engine.workspace import Workspace

    opened: dict = {}

    def work() -> None:
        try:
            opened["workspace"] = Workspace.open()
        except Exception as exc:  # noqa: BLE001 - handed to the caller on the UI thread
            opened["error"] = exc

    opening = threading.Thread(target=work, name="pharos-open-data-folder", daemon=True)
    opening.start()
    opening.join(notice_after)
    if opening.is_alive():
        splash = QSplashScreen(_splash_picture())
        splash.showMessage(SLOW_OPEN_NOTICE, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter)
        splash.show()
        while opening.is_alive():
            app.processEvents()
            opening.join(0.05)
        splash.close()
    if "error" in opened:
        raise opened["error"]
    workspace = opened["workspace"]
    setup_logging(workspace.logs_dir)
    return workspace


def run_app(argv: list[str]) -> int:
    app = make_application(argv)
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app_settings = QSettings()
    try:
        workspace = open_workspace(app, app_settings)
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
