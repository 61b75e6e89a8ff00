"""About / Diagnostics: version, device, model, grammars, index size, log file. ``diagnose`` imports
torch and loads the model, so it runs on a worker thread while the dialog says it is checking."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from .. import __version__
from ..engine.workspace import Workspace
from .format import size
from .icons import app_icon
from .palette import ERROR, GOOD, styled
from .threads import Threads

_ROWS = (("Python", "python"), ("Platform", "platform"), ("torch", "torch"), ("Device", "device"), ("GPU", "gpu"),
         ("Model", "model"), ("Dimensions", "dim"), ("Model runs on", "model_device"), ("Runtime", "runtime"),
         ("Queries run on", "query_runtime"), ("Data folder", "data_folder"),
         ("Vectors", "vectors"), ("Repositories", "repos"), ("Chunks", "chunks"), ("Log file", "log_file"),
         ("Resources", "resources"))


def run_diagnose(workspace: Workspace) -> dict:
    from ..engine.doctor import diagnose

    return diagnose(workspace, load_model=True)


def report_html(report: dict) -> str:
    rows = [f"<tr><td><b>{label}</b></td><td>{escape(str(report.get(key, '')) or '—')}</td></tr>"
            for label, key in _ROWS]
    rows.insert(12, f"<tr><td><b>Index size</b></td><td>{size(report.get('index_bytes', 0))}</td></tr>")
    grammars = report.get("grammars") or {}
    broken = {lang: err for lang, err in grammars.items() if err}
    grammar_line = (f"{len(grammars) - len(broken)} of {len(grammars)} load"
                    + ("" if not broken else "; broken: " + ", ".join(broken)))
    rows.append(f"<tr><td><b>Grammars</b></td><td>{escape(grammar_line)}</td></tr>")
    problems = report.get("problems") or []
    verdict = (f"<p style='{styled(GOOD)}'><b>Everything works.</b></p>" if not problems else
               f"<p style='{styled(ERROR)}'><b>Problems:</b></p><ul>"
               + "".join(f"<li>{escape(p)}</li>" for p in problems) + "</ul>")
    return verdict + "<table cellspacing='4'>" + "".join(rows) + "</table>"


class DiagnosticsDialog(QDialog):
    def __init__(self, workspace: Workspace, threads: Threads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Pharos Desktop")
        self.report: dict | None = None
        self.log_file = workspace.logs_dir / "pharos.log"
        title = QLabel(f"<h2>Pharos Desktop {escape(__version__)}</h2>"
                       "<p>Ingest git repositories on this machine and publish them to your Pharos cloud account.</p>")
        title.setWordWrap(True)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        self.body = QTextBrowser()
        self.body.setHtml("<p>Checking this machine (loading torch and the model)…</p>")
        open_log = QPushButton("Open log folder")
        open_log.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(workspace.logs_dir))))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(open_log, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(title)
        layout.addWidget(self.body, 1)
        layout.addWidget(buttons)
        self.resize(620, 560)
        threads.read(lambda: run_diagnose(workspace), self._show,
                     lambda exc: self.body.setHtml(f"<p style='{styled(ERROR)}'>Diagnosis failed: {escape(str(exc))}</p>"))

    def _show(self, report: dict) -> None:
        self.report = report
        self.body.setHtml(report_html(report))
