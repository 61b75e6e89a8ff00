"""Settings: cloud URL and token, the cloud queue (for "Work for my cloud"), model and device, batch size,
data folder, Chroma mode, size cap, exclusions. Tokens go to the OS keyring only (``secrets.set_secret``) and are never shown back in full;
everything else is saved to settings.json through ``Settings.save``."""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QRadioButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ..engine import secrets
from ..engine.errors import KeyringUnavailable, PharosError
from ..engine.settings import DEVICES, RUNTIMES, Settings
from ..engine.workspace import Workspace
from . import async_tasks
from .palette import ERROR, QUIET, WARNING, styled
from .workers import Workers

# in the app-wide QSettings, read at start-up before the data folder is opened (the stored name predates
# "data folder": kept, so a folder chosen earlier still applies)
DATA_FOLDER_KEY = "data_dir"


class TokenField(QLineEdit):
    """Empty means "keep what is stored"; the stored token shows only as its mask."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.unreadable: KeyringUnavailable | None = None
        try:
            stored = secrets.get_secret(name)
            self.setPlaceholderText(f"stored: {secrets.mask(stored)} (type to replace)" if stored else "not set")
        except KeyringUnavailable as exc:
            self.unreadable = exc
            self.setPlaceholderText("the keyring cannot be read: type a token to use it for this run")
        self.clear_requested = False

    def new_value(self) -> str | None:
        """The token to store, "" to remove it, None to leave it as it is."""
        if self.clear_requested:
            return ""
        return self.text().strip() or None


class SettingsDialog(QDialog):
    def __init__(self, workspace: Workspace, workers: Workers, app_settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.workspace = workspace
        self.workers = workers
        self.app_settings = app_settings
        current = workspace.settings

        self.api_url = QLineEdit(current.api_url)
        self.cloud_token = TokenField(secrets.CLOUD_TOKEN)
        self.git_token = TokenField(secrets.GIT_TOKEN)
        self.git_token.setToolTip("Used to clone private repositories over HTTPS")
        self.git_token_hosts = QLineEdit(", ".join(current.git_token_hosts))
        self.git_token_hosts.setPlaceholderText("github.com")
        self.git_token_hosts.setToolTip("The git token is sent only to these hosts, only over https, and never "
                                        "on to where a redirect points")
        forget = QPushButton("Remove tokens")
        forget.clicked.connect(self._forget_tokens)
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        unreadable = self.cloud_token.unreadable or self.git_token.unreadable
        if unreadable:
            self.keyring_note.setText(f"The system keyring is unavailable ({unreadable.reason}): tokens are kept in "
                                      "memory for this run only. The PHAROS_TOKEN, PHAROS_GIT_TOKEN and "
                                      "PHAROS_QUEUE_TOKEN variables can hold them instead.")
            self.keyring_note.setStyleSheet(styled(WARNING))
        elif not secrets.keyring_available():
            self.keyring_note.setText("No system keyring was found: tokens are kept in memory for this run only "
                                      "and must be entered again next time.")
            self.keyring_note.setStyleSheet(styled(WARNING))
        else:
            self.keyring_note.setText("Tokens are stored in the system keyring, never in a file.")
            self.keyring_note.setStyleSheet(styled(QUIET))
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.queue_url = QLineEdit(current.queue_url)
        self.queue_url.setPlaceholderText("https://…upstash.io, or redis://host:6379 (for Work for my cloud)")
        self.queue_token = TokenField(secrets.QUEUE_TOKEN)
        self.queue_token.setToolTip("Your cloud's UPSTASH_REDIS_REST_TOKEN (or the Redis password)")
        self.test_queue_button = QPushButton("Test queue")
        self.test_queue_button.clicked.connect(self.test_queue)
        self.trusted_git_hosts = QLineEdit(", ".join(current.trusted_git_hosts))
        self.trusted_git_hosts.setPlaceholderText("none: cloud jobs reach only public https servers")
        self.trusted_git_hosts.setToolTip("Private git servers (on this machine or its network) that repositories "
                                          "queued by your cloud may name; plain http:// and git:// are allowed "
                                          "to these only")
        self.worker_allow_ssh = QCheckBox("Allow ssh for cloud jobs (they then use this machine's ssh keys)")
        self.worker_allow_ssh.setChecked(current.worker_allow_ssh)

        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItem("all-MiniLM-L6-v2")
        self.model.setCurrentText(current.model)
        self.device = QComboBox()
        for device in DEVICES:
            self.device.addItem({"auto": "Automatic", "cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)",
                                 "mps": "MPS (Apple GPU)"}.get(device, device), device)
        self.device.setCurrentIndex(max(0, self.device.findData(current.device)))
        self.runtime = QComboBox()
        for runtime in RUNTIMES:
            self.runtime.addItem({"auto": "Automatic (torch on a GPU, int8 on a CPU)", "torch": "torch",
                                  "onnx-int8": "ONNX int8 (CPU)",
                                  "openvino-int8": "OpenVINO int8 (CPU)"}.get(runtime, runtime), runtime)
        self.runtime.setCurrentIndex(max(0, self.runtime.findData(current.runtime)))
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 4096)
        self.batch_size.setValue(current.batch_size)
        self.max_cores = QSpinBox()
        self.max_cores.setRange(0, 1024)
        self.max_cores.setSpecialValueText("All")
        self.max_cores.setValue(current.max_cores)
        self.low_priority = QCheckBox("Ingest at low priority, so the rest of the desktop stays responsive")
        self.low_priority.setChecked(current.low_priority)

        self.data_folder = QLineEdit(str(app_settings.value(DATA_FOLDER_KEY, "") or workspace.data_folder))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_data_folder)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_folder, 1)
        data_row.addWidget(browse)

        self.chroma_disk = QRadioButton("On disk, in the data folder")
        self.chroma_server = QRadioButton("A Chroma server:")
        group = QButtonGroup(self)
        group.addButton(self.chroma_disk)
        group.addButton(self.chroma_server)
        self.chroma_url = QLineEdit(current.chroma_url)
        self.chroma_url.setPlaceholderText("http://localhost:8000")
        (self.chroma_server if current.chroma_url else self.chroma_disk).setChecked(True)
        self.chroma_url.setEnabled(bool(current.chroma_url))
        self.chroma_server.toggled.connect(self.chroma_url.setEnabled)
        chroma_row = QHBoxLayout()
        chroma_row.addWidget(self.chroma_disk)
        chroma_row.addWidget(self.chroma_server)
        chroma_row.addWidget(self.chroma_url, 1)

        self.max_kb = QSpinBox()
        self.max_kb.setRange(1, 1_000_000)
        self.max_kb.setSuffix(" KB")
        self.max_kb.setValue(max(1, current.max_file_bytes // 1024))
        self.excludes = QPlainTextEdit("\n".join(current.extra_excludes))
        self.excludes.setPlaceholderText("one gitignore-style pattern a line, e.g. docs/generated/")
        self.excludes.setMaximumHeight(80)

        form = QFormLayout()
        form.addRow("Cloud API URL", self.api_url)
        form.addRow("Cloud token", self.cloud_token)
        form.addRow("Git token", self.git_token)
        form.addRow("Cloud queue URL", self.queue_url)
        form.addRow("Cloud queue token", self.queue_token)
        form.addRow("Trusted git servers", self.trusted_git_hosts)
        form.addRow("", self.worker_allow_ssh)
        form.addRow("Git token hosts", self.git_token_hosts)
        form.addRow("", self.keyring_note)
        tokens_row = QHBoxLayout()
        tokens_row.addWidget(self.test_button)
        tokens_row.addWidget(self.test_queue_button)
        tokens_row.addWidget(forget)
        tokens_row.addStretch(1)
        form.addRow("", tokens_row)
        form.addRow("", self.test_result)
        form.addRow("Embedding model", self.model)
        form.addRow("Device", self.device)
        form.addRow("Runtime", self.runtime)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Cores for ingest", self.max_cores)
        form.addRow("", self.low_priority)
        form.addRow("Data folder", data_row)
        form.addRow("Vector store", chroma_row)
        form.addRow("Skip files over", self.max_kb)
        form.addRow("Also exclude", self.excludes)

        self.error = QLabel()
        self.error.setStyleSheet(styled(ERROR))
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(640, self.sizeHint().height())

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
        return replace(
            self.workspace.settings,
            api_url=self.api_url.text().strip().rstrip("/"),
            queue_url=self.queue_url.text().strip().rstrip("/"),
            model=self.model.currentText().strip(),
            device=self.device.currentData(),
            runtime=self.runtime.currentData(),
            batch_size=self.batch_size.value(),
            max_cores=self.max_cores.value(),
            low_priority=self.low_priority.isChecked(),
            chroma_url=self.chroma_url.text().strip() if self.chroma_server.isChecked() else "",
            max_file_bytes=self.max_kb.value() * 1024,
            extra_excludes=[line.strip() for line in self.excludes.toPlainText().splitlines() if line.strip()],
            git_token_hosts=[host.lower() for host in re.split(r"[\s,]+", self.git_token_hosts.text()) if host],
            trusted_git_hosts=[host.lower() for host in re.split(r"[\s,]+", self.trusted_git_hosts.text()) if host],
            worker_allow_ssh=self.worker_allow_ssh.isChecked(),
        )

    def save(self) -> None:
        try:
            settings = self.edited_settings()
            if self.chroma_server.isChecked() and not settings.chroma_url:
                raise PharosError("give the Chroma server's URL, or choose on disk")
            settings.save()
        except PharosError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        kept_in_memory = False
        for field in (self.cloud_token, self.git_token, self.queue_token):
            value = field.new_value()
            if value is not None:
                kept_in_memory |= not secrets.set_secret(field.name, value) and bool(value)
        data_folder = self.data_folder.text().strip()
        if data_folder and data_folder != str(self.workspace.data_folder):
            self.app_settings.setValue(DATA_FOLDER_KEY, data_folder)  # used from the next start
        self.workspace.reload_settings()
        self.kept_in_memory = kept_in_memory
        self.accept()

    def test_connection(self) -> None:
        from ..engine.sync import Syncer

        token = self.cloud_token.new_value()
        syncer = Syncer(self.workspace, api_url=self.api_url.text().strip() or None,
                        token=token if token is not None else None)
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")

        def waiting(seconds: float) -> None:  # the free tier sleeps; say why it takes a while
            self.workers.call_on_ui(lambda: self.test_result.setText(
                f"The server is waking up ({seconds:.0f} s)…"))

        async_tasks.start(self.workers, lambda: syncer.test_connection(waiting), self._tested,
                          lambda exc: self._tested(None, exc))

    def _tested(self, report, exc: BaseException | None = None) -> None:
        self.test_button.setEnabled(True)
        if report is None:
            self.test_result.setText(f"Could not connect: {exc}")
            self.test_result.setStyleSheet(styled(ERROR))
            return
        ok = report.status == "ok"
        self.test_result.setText(report.message)
        self.test_result.setStyleSheet("" if ok else styled(ERROR))

    def test_queue(self) -> None:
        from ..engine.worker.queue import check_queue, queue_token

        token = self.queue_token.new_value()
        url = self.queue_url.text().strip()
        self.test_queue_button.setEnabled(False)
        self.test_result.setText("Reaching the queue…")
        self.workers.read(lambda: check_queue(url, token if token is not None else queue_token(url, lambda _: None)),
                          self._queue_tested, lambda exc: self._queue_tested(None, exc))

    def _queue_tested(self, message: str | None, exc: BaseException | None = None) -> None:
        self.test_queue_button.setEnabled(True)
        self.test_result.setText(message or (str(exc) if isinstance(exc, KeyringUnavailable)
                                             else f"The queue did not answer: {exc}"))
        self.test_result.setStyleSheet("" if message else styled(ERROR))
