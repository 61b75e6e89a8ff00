"""The settings the dialog edits, area by area, each declared once: its label, the widget that edits it,
and how a value goes into that widget and comes back out. The dialog makes every widget, every form row
and ``edited_settings`` from these declarations, so a new setting is one line in its area.

A field's name is the ``Settings`` attribute it edits (engine/settings.py). Tokens are not settings:
they live in the keyring (settings_dialog.TokenField).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QPlainTextEdit,
                               QRadioButton, QSpinBox, QWidget)

from ..engine.errors import PharosError
from ..engine.settings import DEVICES, RUNTIMES


@dataclass(frozen=True)
class Field:
    name: str  # the Settings attribute
    label: str  # the form row's label; "" for a check box, which says what it is itself
    make: Callable[[], QWidget]
    show: Callable[[Any, Any], None]  # (widget, value): the widget shows the stored value
    read: Callable[[Any], Any]  # widget -> the value to store


def text(name: str, label: str, *, placeholder: str = "", tip: str = "", url: bool = False) -> Field:
    """A line of text; ``url``: a trailing slash is dropped."""
    def make() -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tip)
        return edit

    return Field(name, label, make, QLineEdit.setText,
                 lambda edit: edit.text().strip().rstrip("/") if url else edit.text().strip())


def hosts(name: str, label: str, *, placeholder: str = "", tip: str = "") -> Field:
    """Host names, shown comma-separated, stored lower-case."""
    line = text(name, label, placeholder=placeholder, tip=tip)
    return Field(name, label, line.make, lambda edit, value: edit.setText(", ".join(value)),
                 lambda edit: [host.lower() for host in re.split(r"[\s,]+", edit.text()) if host])


def check(name: str, words: str) -> Field:
    return Field(name, "", lambda: QCheckBox(words), QCheckBox.setChecked, QCheckBox.isChecked)


def choice(name: str, label: str, words: dict[str, str], *, editable: bool = False) -> Field:
    """One of ``words`` (value -> what the user reads); ``editable``: or any text typed (a model's name)."""
    def make() -> QComboBox:
        box = QComboBox()
        box.setEditable(editable)
        for value, shown in words.items():
            box.addItem(shown, value)
        return box

    if editable:
        return Field(name, label, make, QComboBox.setCurrentText, lambda box: box.currentText().strip())
    return Field(name, label, make, lambda box, value: box.setCurrentIndex(max(0, box.findData(value))),
                 QComboBox.currentData)


def number(name: str, label: str, low: int, high: int, *, unit: int = 1, suffix: str = "",
           zero_means: str = "") -> Field:
    """A whole number, shown in ``unit``s (1024: bytes shown as KB); ``zero_means``: what 0 is called. A value
    the box cannot show exactly (1,000,000 bytes is 976 KB) reads back as it was while the box still shows it."""
    def make() -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSuffix(suffix)
        spin.setSpecialValueText(zero_means)
        return spin

    def show(spin: QSpinBox, value: int) -> None:
        spin.setValue(max(low, value // unit))
        spin.setProperty("exact", (spin.value(), value))

    def read(spin: QSpinBox) -> int:
        shown, exact = spin.property("exact") or (None, None)
        return exact if spin.value() == shown else spin.value() * unit

    return Field(name, label, make, show, read)


def lines(name: str, label: str, *, placeholder: str = "") -> Field:
    """One entry a line, blank lines dropped."""
    def make() -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(placeholder)
        edit.setMaximumHeight(80)
        return edit

    return Field(name, label, make, lambda edit, value: edit.setPlainText("\n".join(value)),
                 lambda edit: [line.strip() for line in edit.toPlainText().splitlines() if line.strip()])


class ChromaChoice(QWidget):
    """Where the vectors live: on disk in the data folder, or a Chroma server (its URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.disk = QRadioButton("On disk, in the data folder")
        self.server = QRadioButton("A Chroma server:")
        group = QButtonGroup(self)
        group.addButton(self.disk)
        group.addButton(self.server)
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://localhost:8000")
        self.server.toggled.connect(self.url.setEnabled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.disk)
        row.addWidget(self.server)
        row.addWidget(self.url, 1)

    def show_url(self, url: str) -> None:
        self.url.setText(url)
        (self.server if url else self.disk).setChecked(True)
        self.url.setEnabled(bool(url))

    def chosen_url(self) -> str:
        url = self.url.text().strip() if self.server.isChecked() else ""
        if self.server.isChecked() and not url:
            raise PharosError("give the Chroma server's URL, or choose on disk")
        return url


DEVICE_WORDS = {"auto": "Automatic", "cpu": "CPU", "cuda": "CUDA (NVIDIA GPU)", "mps": "MPS (Apple GPU)"}
RUNTIME_WORDS = {"auto": "Automatic (torch on a GPU, int8 on a CPU)", "torch": "torch", "onnx-int8": "ONNX int8 (CPU)",
                 "openvino-int8": "OpenVINO int8 (CPU)"}

CLOUD = (
    text("api_url", "Cloud API URL", url=True),
    hosts("git_token_hosts", "Git token hosts", placeholder="github.com",
          tip="The git token is sent only to these hosts, only over https, and never on to where a redirect points"),
)
QUEUE = (
    text("queue_url", "Cloud queue URL", url=True,
         placeholder="https://…upstash.io, or redis://host:6379 (for Work for my cloud)"),
    hosts("trusted_git_hosts", "Trusted git servers", placeholder="none: cloud jobs reach only public https servers",
          tip="Private git servers (on this machine or its network) that repositories queued by your cloud may name; "
              "plain http:// and git:// are allowed to these only"),
    check("worker_allow_ssh", "Allow ssh for cloud jobs (they then use this machine's ssh keys)"),
)
MODEL = (
    choice("model", "Embedding model", {"all-MiniLM-L6-v2": "all-MiniLM-L6-v2"}, editable=True),
    choice("device", "Device", {device: DEVICE_WORDS.get(device, device) for device in DEVICES}),
    choice("runtime", "Runtime", {runtime: RUNTIME_WORDS.get(runtime, runtime) for runtime in RUNTIMES}),
    number("batch_size", "Batch size", 1, 4096),
    number("max_cores", "Cores for ingest", 0, 1024, zero_means="All"),
    check("low_priority", "Ingest at low priority, so the rest of the desktop stays responsive"),
)
LIVE = (
    check("live_in_window", "Keep indexes up to date while this window is open"),
    check("live_paused", "Pause all automatic work (folders followed, remotes looked at)"),
    check("live_on_battery", "Let automatic work run on battery"),
    number("live_remote_minutes", "Look at remotes every", 0, 7 * 24 * 60, suffix=" min", zero_means="Never"),
    check("live_sync_after", "Sync to the cloud after each automatic update"),
)
STORAGE = (
    Field("chroma_url", "Vector store", ChromaChoice, ChromaChoice.show_url, ChromaChoice.chosen_url),
    number("max_file_bytes", "Skip files over", 1, 1_000_000, unit=1024, suffix=" KB"),
    lines("extra_excludes", "Also exclude", placeholder="one gitignore-style pattern a line, e.g. docs/generated/"),
    number("disk_cap_mb", "Cap the data folder at", 0, 2**31 - 1, suffix=" MB", zero_means="No cap"),
)
