"""The activity panel: one card per job with a bar per stage, the current file, speed, ETA and
Cancel / Resume; a finished card shows its summary, a failed one its error with details a click away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton,
                               QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from ..engine.run.events import INGEST_STAGES, IngestSummary, StageProgress, Summary, SyncSummary
from ..engine.states import ACTIVE_JOB_STATES, JobState
from .format import duration, elide_middle, plural
from .palette import ERROR, QUIET, styled


class JobCard(QFrame):
    cancel_requested = Signal(str)
    resume_requested = Signal(str)

    def __init__(self, job_id: str, title: str, stages: tuple[str, ...] = INGEST_STAGES,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.state = JobState.QUEUED
        self.resumable = True  # False once a cancel said nothing can continue it
        self.cancellable = True  # False for the cloud worker's jobs: its switch stops them, not this card
        self.detail = ""
        self.skipped: dict[str, int] = {}
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("jobCard")

        self.title = QLabel()
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setStyleSheet("font-weight: bold")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state_label = QLabel()
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.state_label)

        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        self.bars: dict[str, QProgressBar] = {}
        for row, stage in enumerate(stages):
            bar = QProgressBar()
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat("")
            bar.setMaximumHeight(14)
            bar.setTextVisible(True)
            grid.addWidget(QLabel(stage), row, 0)
            grid.addWidget(bar, row, 1)
            self.bars[stage] = bar

        self.current = QLabel()
        self.speed = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for label in (self.current, self.speed, self.message):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setStyleSheet(styled(QUIET))

        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.job_id))
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.resume_requested.emit(self.job_id))
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self.show_details)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.details_button, self.resume_button, self.cancel_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(grid)
        for widget in (self.current, self.speed, self.message, self.result):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.set_title(title)
        self.set_state(JobState.QUEUED)

    # -- updates from the bridge -----------------------------------------------------------------

    def set_title(self, title: str) -> None:
        self.title.setText(elide_middle(title, 60))
        self.title.setToolTip(title)

    def set_state(self, state: JobState, text: str | None = None) -> None:
        self.state = state
        self.state_label.setText(text or state)
        active = state in ACTIVE_JOB_STATES
        self.cancel_button.setVisible(self.cancellable and (active or state == JobState.CANCELLING))
        self.cancel_button.setEnabled(active)
        self.resume_button.setVisible(self.resumable and state in (JobState.CANCELLED, JobState.INTERRUPTED))
        self.details_button.setVisible(bool(self.detail))
        self.current.setVisible(active)
        self.speed.setVisible(active)
        if not active:
            self.current.clear()
            self.speed.clear()
            for bar in self.bars.values():
                if bar.maximum() == 0:  # stop a busy indicator that will never finish
                    bar.setRange(0, 1)

    def restart(self) -> None:
        self.detail = ""
        self.skipped.clear()
        self.result.clear()
        self.result.setStyleSheet("")
        for bar in self.bars.values():
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat("")
        self.message.clear()
        self.resumable = True
        self.set_state(JobState.QUEUED)

    def show_progress(self, event: StageProgress) -> None:
        if self.state == JobState.QUEUED:
            self.set_state(JobState.RUNNING)
        bar = self.bars.get(event.stage)
        if bar is None:
            return
        if event.total is None:
            bar.setRange(0, 0)  # busy indicator until the total is known
        else:
            bar.setRange(0, max(event.total, 1))
            bar.setValue(min(event.done, max(event.total, 1)))
            bar.setFormat(f"{event.done:,} / {event.total:,} {event.unit}")
        if event.current:
            self.current.setText(elide_middle(event.current, 70))
            self.current.setToolTip(event.current)
        parts = []
        if event.rate:
            parts.append(f"{event.stage}: {event.rate:,.1f} {event.unit}/s")
        if event.eta_seconds is not None and event.total:
            parts.append(f"about {duration(event.eta_seconds)} left")
        if parts:
            self.speed.setText(" · ".join(parts))

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def add_skipped(self, reasons: list[str]) -> None:
        for reason in reasons:
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
        total = sum(self.skipped.values())
        self.message.setText(f"{plural(total, 'file')} skipped so far")

    def show_finished(self, summary: Summary) -> None:
        if isinstance(summary, SyncSummary):
            self.show_done(f"{summary.counts()}; {summary.chunks:,} chunks uploaded")
            if summary.notice:
                self.message.setText(summary.notice)  # show_done cleared the progress text; the notice stays
            return
        self._show_ingest(summary)

    def _show_ingest(self, summary: IngestSummary) -> None:
        for bar in self.bars.values():
            bar.setRange(0, 1)
            bar.setValue(1)
            if not bar.format():
                bar.setFormat("done")
        reasons = summary.skipped_reasons or self.skipped
        skipped = sum(reasons.values())
        lines = [f"{plural(summary.files, 'file')}, {plural(summary.chunks, 'chunk')} "
                 f"({summary.embedded:,} embedded now) in {duration(summary.seconds)}"]
        if skipped:
            lines.append(f"{plural(skipped, 'file')} skipped: "
                         + ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items(), key=lambda p: -p[1])))
        self.show_done("\n".join(lines))

    def show_done(self, text: str) -> None:
        self.result.setText(text)
        self.result.setStyleSheet("")
        self.message.clear()
        self.set_state(JobState.DONE)

    def show_failed(self, message: str, detail: str) -> None:
        self.detail = detail
        self.result.setText(message)
        self.result.setStyleSheet(styled(ERROR))
        self.set_state(JobState.FAILED)

    def show_cancelled(self, resumable: bool) -> None:
        self.result.setText("Cancelled. Work already stored is kept" + ("; Resume continues from there." if resumable
                                                                          else "."))
        self.resumable = resumable
        self.set_state(JobState.CANCELLED)

    def show_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Job failed", self.result.text(), QMessageBox.StandardButton.Close,
                          self)
        box.setDetailedText(self.detail)
        box.open()


class ActivityPanel(QScrollArea):
    """Cards, newest on top. It only shows what it is told; the main window wires it to the queue."""

    cancel_requested = Signal(str)
    resume_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cards: dict[str, JobCard] = {}
        holder = QWidget()
        self._layout = QVBoxLayout(holder)
        self._empty = QLabel("No jobs yet. Paste a git URL or drop a folder above, then press Ingest.")
        self._empty.setWordWrap(True)
        self._empty.setStyleSheet(styled(QUIET))
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(holder)
        self.setMinimumWidth(300)

    def card(self, job_id: str, title: str = "", stages: tuple[str, ...] = INGEST_STAGES) -> JobCard:
        """The job's card, created on top of the list the first time."""
        card = self.cards.get(job_id)
        if card is None:
            card = JobCard(job_id, title or job_id, stages)
            card.cancel_requested.connect(self.cancel_requested)
            card.resume_requested.connect(self.resume_requested)
            self.cards[job_id] = card
            self._layout.insertWidget(0, card)
            self._empty.hide()
        elif title:
            card.set_title(title)
        return card

    def find(self, job_id: str) -> JobCard | None:
        return self.cards.get(job_id)
