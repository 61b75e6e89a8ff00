"""Settings > AI assistants: what Claude Code, Cursor and VS Code need to reach this install's index (`pharos-desktop
mcp`), each with a button that copies the exact command or JSON (engine/assistant_config.py); whether assistants
may ingest; and the HTTP switch, its port and its token (made here, kept in the keyring, shown only as its mask).

A page of its own, so that it fits any settings dialog: ``edited`` folds its fields into the Settings to save.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ..engine import secrets
from ..engine.assistant_config import Http, Snippet, snippets
from ..engine.errors import PharosError
from ..engine.settings import Settings
from ..engine.workspace import Workspace


class AssistantsPage(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        current = workspace.settings
        self._token = ""
        intro = QLabel("Assistants reach the index on this computer through the Model Context Protocol: they search "
                       "it, read indexed files and outline repositories. Nothing leaves this computer, and files "
                       "skipped for secrets are never returned.")
        intro.setWordWrap(True)
        self.allow_ingest = QCheckBox("Let assistants ingest repositories (any repository or folder you could)")
        self.allow_ingest.setChecked(current.mcp_allow_ingest)
        self.http = QCheckBox("Serve over HTTP on 127.0.0.1 while Pharos Desktop is open, port")
        self.http.setChecked(current.mcp_http)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(current.mcp_http_port)
        self.token = QLineEdit()
        self.token.setReadOnly(True)
        self.copy_token = QPushButton("Copy token")
        self.copy_token.clicked.connect(lambda: self._copy(self._token))
        self.new_token = QPushButton("New token")
        self.new_token.setToolTip("Assistants set up with the old token must be given the new one")
        self.new_token.clicked.connect(self._replace_token)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #b9770e")
        self.note.hide()

        http_row = QHBoxLayout()
        http_row.addWidget(self.http)
        http_row.addWidget(self.port)
        http_row.addStretch(1)
        token_row = QHBoxLayout()
        token_row.addWidget(QLabel("Token"))
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.copy_token)
        token_row.addWidget(self.new_token)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.allow_ingest)
        layout.addLayout(http_row)
        layout.addLayout(token_row)
        layout.addWidget(self.note)

        self.snippet_views: dict[str, QPlainTextEdit] = {}
        self.copy_buttons: dict[str, QPushButton] = {}
        self.where: dict[str, QLabel] = {}
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for snippet in self.snippets():
            view = QPlainTextEdit()
            view.setReadOnly(True)
            view.setFont(mono)
            view.setMaximumHeight(110)
            copy = QPushButton("Copy")
            copy.setToolTip(f"Copy the {snippet.assistant} configuration for this install")
            copy.clicked.connect(lambda _checked=False, name=snippet.assistant: self._copy(self._text(name)))
            where = QLabel()
            title = QHBoxLayout()
            title.addWidget(QLabel(f"<b>{snippet.assistant}</b>"))
            title.addWidget(where, 1)
            title.addWidget(copy)
            layout.addLayout(title)
            layout.addWidget(view)
            self.snippet_views[snippet.assistant], self.copy_buttons[snippet.assistant] = view, copy
            self.where[snippet.assistant] = where
        layout.addStretch(1)
        self.http.toggled.connect(self._refresh)
        self.port.valueChanged.connect(self._refresh)
        self._refresh()

    def edited(self, settings: Settings) -> Settings:
        return replace(settings, mcp_allow_ingest=self.allow_ingest.isChecked(), mcp_http=self.http.isChecked(),
                       mcp_http_port=self.port.value())

    def snippets(self) -> list[Snippet]:
        http = Http(self.port.value(), self._token) if self.http.isChecked() and self._token else None
        return snippets(self.workspace.data_folder, http)

    def _text(self, assistant: str) -> str:
        return next(s.text for s in self.snippets() if s.assistant == assistant)

    def _refresh(self) -> None:
        serving = self.http.isChecked()
        if serving and not self._token:
            self._token = self._read_token(secrets.assistant_token)
        for widget in (self.token, self.copy_token, self.new_token):
            widget.setEnabled(serving and bool(self._token))
        self.token.setText(secrets.mask(self._token) if serving else "")
        for snippet in self.snippets():
            # on screen the token shows only as its mask; Copy copies it whole
            shown = snippet.text.replace(self._token, secrets.mask(self._token)) if self._token else snippet.text
            self.snippet_views[snippet.assistant].setPlainText(shown)
            self.where[snippet.assistant].setText(snippet.where)

    def _read_token(self, read) -> str:
        try:
            token = read()
        except PharosError as exc:
            self.note.setText(f"HTTP needs a token, and it cannot be kept: {exc}")
            self.note.show()
            return ""
        self.note.hide()
        return token

    def _replace_token(self) -> None:
        if not secrets.new_assistant_token():
            self.note.setText("The new token could only be kept for this run: no system keyring was found.")
            self.note.show()
        self._token = self._read_token(lambda: secrets.get_secret(secrets.MCP_TOKEN))
        self._refresh()

    @staticmethod
    def _copy(text: str) -> None:
        QGuiApplication.clipboard().setText(text)
