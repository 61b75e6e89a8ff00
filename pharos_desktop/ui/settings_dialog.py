"""Settings, by area: the cloud, its queue, the model and runtime, storage (settings_fields.py declares each
setting once); AI assistants on a page of their own (assistants_page.py). Tokens go to the OS keyring only
(``secrets.set_secret``) and are never shown back in full; the keyring is read off the UI thread (it can take
seconds, or hang on a locked session bus). Everything else is saved to settings.json through ``Settings.save``."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget)

from ..engine import secrets
from ..engine.errors import KeyringUnavailable, PharosError
from ..engine.settings import Settings
from ..engine.workspace import Workspace
from . import async_tasks
from .assistants_page import AssistantsPage
from .palette import ERROR, QUIET, WARNING, styled
from .settings_fields import CLOUD, LIVE, MODEL, QUEUE, STORAGE, Field
from .threads import Threads

# in the app-wide QSettings, read at start-up before the data folder is opened (the stored name predates
# "data folder": kept, so a folder chosen earlier still applies)
DATA_FOLDER_KEY = "data_dir"
TOKENS = (secrets.CLOUD_TOKEN, secrets.GIT_TOKEN, secrets.QUEUE_TOKEN)


class TokenField(QLineEdit):
    """Empty means "keep what is stored"; the stored token shows only as its mask, once the keyring is read."""

    def __init__(self, name: str, tip: str = "") -> None:
        super().__init__()
        self.name = name
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setToolTip(tip)
        self.setPlaceholderText("reading the keyring…")
        self.clear_requested = False

    def show_stored(self, stored: str | KeyringUnavailable) -> None:
        if self.clear_requested:
            return
        if isinstance(stored, KeyringUnavailable):
            self.setPlaceholderText("the keyring cannot be read: type a token to use it for this run")
        else:
            self.setPlaceholderText(f"stored: {secrets.mask(stored)} (type to replace)" if stored else "not set")

    def new_value(self) -> str | None:
        """The token to store, "" to remove it, None to leave it as it is."""
        if self.clear_requested:
            return ""
        return self.text().strip() or None


def _read_keyring() -> tuple[dict[str, str | KeyringUnavailable], bool]:
    """Each token as stored (or why it cannot be read), and whether there is a system keyring at all."""
    stored: dict[str, str | KeyringUnavailable] = {}
    for name in TOKENS:
        try:
            stored[name] = secrets.get_secret(name)
        except KeyringUnavailable as exc:
            stored[name] = exc
    return stored, secrets.keyring_available()


class SettingsDialog(QDialog):
    def __init__(self, workspace: Workspace, threads: Threads, app_settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.workspace = workspace
        self.threads = threads
        self.app_settings = app_settings
        self.kept_in_memory = False
        # Each setting's widget is also the dialog's attribute of the setting's name (dialog.api_url).
        self.fields: tuple[Field, ...] = (*CLOUD, *QUEUE, *MODEL, *STORAGE, *LIVE)
        for field in self.fields:
            widget = field.make()
            field.show(widget, getattr(workspace.settings, field.name))
            setattr(self, field.name, widget)

        self.cloud_token = TokenField(secrets.CLOUD_TOKEN)
        self.git_token = TokenField(secrets.GIT_TOKEN, "Used to clone private repositories over HTTPS")
        self.queue_token = TokenField(secrets.QUEUE_TOKEN,
                                      "Your cloud's UPSTASH_REDIS_REST_TOKEN (or the Redis password)")
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.test_button = self._button("Test connection", self.test_connection)
        self.test_result = self._result()
        self.test_queue_button = self._button("Test queue", self.test_queue)
        self.queue_result = self._result()
        self.data_folder = QLineEdit(str(app_settings.value(DATA_FOLDER_KEY, "") or workspace.data_folder))
        forget = self._button("Remove tokens", self._forget_tokens)
        choose = self._button("Choose…", self._choose_data_folder)

        cloud = self._area("Cloud", [*self._rows(CLOUD), ("Cloud token", self.cloud_token),
                                     ("Git token", self.git_token), ("", self.keyring_note),
                                     ("", self._row(self.test_button, forget)), ("", self.test_result)])
        queue = self._area("Cloud queue", [*self._rows(QUEUE), ("Cloud queue token", self.queue_token),
                                           ("", self._row(self.test_queue_button)), ("", self.queue_result)])
        model = self._area("Model and runtime", self._rows(MODEL))
        storage = self._area("Storage", [("Data folder", self._row(self.data_folder, choose)), *self._rows(STORAGE)])
        live = self._area("Live index", self._rows(LIVE))
        areas = QGridLayout()
        for n, area in enumerate((cloud, queue, model, storage, live)):
            areas.addWidget(area, n // 2, n % 2)
        self.error = QLabel()
        self.error.setStyleSheet(styled(ERROR))
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        general = QWidget()
        general.setLayout(areas)
        self.assistants = AssistantsPage(workspace)
        self.tabs = QTabWidget()
        self.tabs.addTab(general, "General")
        self.tabs.addTab(self.assistants, "AI assistants")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        threads.read(_read_keyring, self._show_keyring)

    # -- building ---------------------------------------------------------------------------------------

    def _rows(self, fields: tuple[Field, ...]) -> list[tuple[str, QWidget]]:
        return [(field.label, getattr(self, field.name)) for field in fields]

    @staticmethod
    def _area(title: str, rows: list[tuple[str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        for label, widget in rows:
            form.addRow(label, widget)
        return box

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
        if not any(isinstance(widget, QLineEdit) for widget in widgets):
            layout.addStretch(1)
        return row

    @staticmethod
    def _button(words: str, clicked) -> QPushButton:
        button = QPushButton(words)
        button.clicked.connect(clicked)
        return button

    @staticmethod
    def _result() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        return label

    def _show_keyring(self, found: tuple[dict[str, str | KeyringUnavailable], bool]) -> None:
        stored, available = found
        for field in (self.cloud_token, self.git_token, self.queue_token):
            field.show_stored(stored[field.name])
        unreadable = next((stored[name] for name in (secrets.CLOUD_TOKEN, secrets.GIT_TOKEN)
                           if isinstance(stored[name], KeyringUnavailable)), None)
        if unreadable:
            self.keyring_note.setText(f"The system keyring is unavailable ({unreadable.reason}): tokens are kept in "
                                      "memory for this run only. The PHAROS_TOKEN, PHAROS_GIT_TOKEN and "
                                      "PHAROS_QUEUE_TOKEN variables can hold them instead.")
            self.keyring_note.setStyleSheet(styled(WARNING))
        elif not available:
            self.keyring_note.setText("No system keyring was found: tokens are kept in memory for this run only "
                                      "and must be entered again next time.")
            self.keyring_note.setStyleSheet(styled(WARNING))
        else:
            self.keyring_note.setText("Tokens are stored in the system keyring, never in a file.")
            self.keyring_note.setStyleSheet(styled(QUIET))

    # -- actions ----------------------------------------------------------------------------------------

    def _choose_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the data folder", self.data_folder.text())
        if folder:
            self.data_folder.setText(folder)

    def _forget_tokens(self) -> None:
        for field in (self.cloud_token, self.git_token, self.queue_token):
            field.clear()
            field.clear_requested = True
            field.setPlaceholderText("will be removed when you save")

    def edited_settings(self) -> Settings:
        """The settings as edited; raises PharosError for a value that cannot be saved."""
        return self.assistants.edited(replace(
            self.workspace.settings, **{field.name: field.read(getattr(self, field.name)) for field in self.fields}))

    def save(self) -> None:
        try:
            self.edited_settings().save()
        except PharosError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        for field in (self.cloud_token, self.git_token, self.queue_token):
            value = field.new_value()
            if value is not None:
                self.kept_in_memory |= not secrets.set_secret(field.name, value) and bool(value)
        data_folder = self.data_folder.text().strip()
        if data_folder and data_folder != str(self.workspace.data_folder):
            self.app_settings.setValue(DATA_FOLDER_KEY, data_folder)  # used from the next start
        self.workspace.reload_settings()
        self.accept()

    def test_connection(self) -> None:
        from ..engine.sync import Syncer

        token = self.cloud_token.new_value()
        syncer = Syncer(self.workspace, api_url=self.api_url.text().strip() or None,
                        token=token if token is not None else None)
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")

        def waiting(seconds: float) -> None:  # the free tier sleeps; say why it takes a while
            self.threads.call_on_ui(lambda: self.test_result.setText(
                f"The server is waking up ({seconds:.0f} s)…"))

        async_tasks.start(self.threads, lambda: syncer.test_connection(waiting), self._tested,
                          lambda exc: self._tested(None, exc))

    def _tested(self, report, exc: BaseException | None = None) -> None:
        self.test_button.setEnabled(True)
        if report is None:
            self.test_result.setText(f"Could not connect: {exc}")
            self.test_result.setStyleSheet(styled(ERROR))
            return
        self.test_result.setText(report.message)
        self.test_result.setStyleSheet("" if report.status == "ok" else styled(ERROR))

    def test_queue(self) -> None:
        from ..engine.worker.queue import check_queue, queue_token

        token = self.queue_token.new_value()
        url = self.queue_url.text().strip()
        self.test_queue_button.setEnabled(False)
        self.queue_result.setText("Reaching the queue…")
        self.threads.read(lambda: check_queue(url, token if token is not None else queue_token(url, lambda _: None)),
                          self._queue_tested, lambda exc: self._queue_tested(None, exc))

    def _queue_tested(self, message: str | None, exc: BaseException | None = None) -> None:
        self.test_queue_button.setEnabled(True)
        self.queue_result.setText(message or (str(exc) if isinstance(exc, KeyringUnavailable)
                                              else f"The queue did not answer: {exc}"))
        self.queue_result.setStyleSheet("" if message else styled(ERROR))
