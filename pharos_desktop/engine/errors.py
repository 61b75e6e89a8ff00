"""Engine exceptions that carry a one-line, user-facing message.

Both front ends (window and command line) show ``str(error)`` as is; details go to the log.
"""


class PharosError(Exception):
    """Base class: the message is written for the user and names what to fix."""


class UsageError(PharosError):
    """The user asked for something that cannot be done as asked (bad option, unknown repo)."""


class ConfigError(PharosError):
    """The data folder or a setting cannot be used as given; the message names which and what to do."""


class SourceError(PharosError):
    """A repository source cannot be opened or cloned."""


class AuthRequired(SourceError):
    """The git host wants credentials that we do not have (or that were refused)."""


class UnsafeSource(SourceError):
    """A source that would make git run commands or read options (ext::, fd::, leading '-')."""


class GrammarMissing(PharosError):
    """A tree-sitter grammar failed to load; the message names the language and package."""


class ModelError(PharosError):
    """The embedding model cannot be loaded (not installed, not in the cache, wrong device)."""


class StoreError(PharosError):
    """The local index (catalog or vector store) cannot be opened or written."""


class DiskFull(StoreError):
    """The disk that holds the data folder (or a clone) is full; the message says where to free space."""


class CatalogDamaged(StoreError):
    """The catalog's SQLite file is damaged (malformed pages, not a database, a table missing); the
    message names the file and `pharos-desktop doctor --repair`."""


class CloudError(PharosError):
    """The Pharos cloud refused or failed a request; the message says what to fix."""


class Cancelled(PharosError):
    """The user cancelled the job. Work already stored stays valid."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class KeyringUnavailable(PharosError):
    """The system keyring failed (a broken D-Bus session, a secret service that crashed or is locked); the
    message names the environment variable that can carry the token instead."""

    def __init__(self, reason: str, variable: str) -> None:
        super().__init__(f"the system keyring is unavailable ({reason}); set {variable} instead")
        self.reason = reason
        self.variable = variable
