"""The bar at the top: a git URL or a folder, an optional branch, Ingest. Input is checked with the
engine's own ``parse_source`` before a job starts, and what is wrong is said right under the bar.
Credentials in a pasted URL are dropped here, before the URL goes anywhere, and the user is told."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ..engine.errors import PharosError
from ..engine.source import CREDENTIALS_IGNORED, parse_source
from .palette import ERROR, WARNING, styled

_URL_PREFIXES = ("https://", "http://", "ssh://", "git://", "git@", "file://")


class UrlBar(QWidget):
    ingest_requested = Signal(str, str)  # source, branch ("" for the default branch)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QLineEdit()
        self.source.setPlaceholderText("Paste a git URL (https://github.com/owner/repo) or a folder path, "
                                       "or drop a folder here")
        self.source.setClearButtonEnabled(True)
        self.source.returnPressed.connect(self.submit)
        self.source.textEdited.connect(lambda _text: self.clear_error())
        self.branch = QLineEdit()
        self.branch.setPlaceholderText("branch (optional)")
        self.branch.setMaximumWidth(170)
        self.branch.returnPressed.connect(self.submit)
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("Pick a local folder to ingest")
        self.folder_button.clicked.connect(self.pick_folder)
        self.ingest_button = QPushButton("Ingest")
        self.ingest_button.setDefault(True)
        self.ingest_button.clicked.connect(self.submit)

        self.error = QLabel()
        self.error.setObjectName("urlError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(styled(ERROR))
        self.error.hide()
        self.notice = QLabel()
        self.notice.setObjectName("urlNotice")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(styled(WARNING))
        self.notice.hide()
        self.offer = QLabel()
        self.offer.setTextFormat(Qt.TextFormat.RichText)
        self.offer.linkActivated.connect(lambda url: self.set_source(url))
        self.offer.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.source, 1)
        row.addWidget(self.branch)
        row.addWidget(self.folder_button)
        row.addWidget(self.ingest_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.notice)
        layout.addWidget(self.offer)

    # -- input -----------------------------------------------------------------------------------

    def set_source(self, text: str) -> None:
        self.source.setText(text.strip())
        self.offer.hide()
        self.clear_error()
        self.source.setFocus()

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder to ingest")
        if folder:
            self.set_source(folder)

    def offer_clipboard(self) -> None:
        """If the clipboard holds a git URL when the window opens, offer it (never start on our own)."""
        text = (QGuiApplication.clipboard().text() or "").strip()
        if not text or "\n" in text or not text.lower().startswith(_URL_PREFIXES) or self.source.text():
            return
        try:
            spec = parse_source(text)
        except PharosError:
            return
        # Clipboard text is anyone's: shown as text, never as markup, and never with its credentials.
        link = html.escape(spec.location if spec.credentials_stripped else text, quote=True)
        self.offer.setText(f'Clipboard: {html.escape(spec.display)} — <a href="{link}">use it</a>')
        self.offer.show()

    def submit(self) -> None:
        text, branch = self.source.text().strip(), self.branch.text().strip()
        try:
            spec = parse_source(text, branch or None)
        except PharosError as exc:
            self.show_error(str(exc))
            return
        self.clear_error()
        self.offer.hide()
        if spec.credentials_stripped:
            text = spec.location
            self.source.setText(text)
            self.notice.setText(CREDENTIALS_IGNORED[0].upper() + CREDENTIALS_IGNORED[1:] + ".")
            self.notice.show()
        self.ingest_requested.emit(text, branch)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
        self.notice.hide()
