"""One rotating log file per data folder; tokens are scrubbed before anything is written."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

LOG_NAME = "pharos.log"
_TOKENISH = re.compile(r"(?i)(bearer\s+|token[=:]\s*|://[^/@\s:]+:)[^\s@/]+")


class _ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = _TOKENISH.sub(lambda m: m.group(1) + "***", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def setup_logging(logs_dir: Path, verbose: bool = False) -> Path:
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / LOG_NAME
    root = logging.getLogger("pharos_desktop")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
        handler.addFilter(_ScrubSecrets())
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # A log line that cannot be written (a full disk) is dropped: never a traceback on the user's terminal.
    logging.raiseExceptions = False
    return path
