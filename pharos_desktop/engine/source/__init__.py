"""Where a repository comes from: ``spec`` parses what the user typed into a ``SourceSpec``, ``checkout``
opens it as a working tree (the folder, or a shallow clone made or updated), ``git`` is the one way the
engine runs git (and what it may use to reach a remote: ``GitAccess``), ``git_errors`` says in one line
what a failed git command means."""

from .checkout import Checkout, commits_behind, open_source, remote_commit, remove_tree
from .git import GitAccess
from .spec import CREDENTIALS_IGNORED, SourceSpec, file_url_path, parse_source, without_credentials

__all__ = ["CREDENTIALS_IGNORED", "Checkout", "GitAccess", "SourceSpec", "commits_behind", "file_url_path", "open_source",
           "parse_source", "remote_commit", "remove_tree", "without_credentials"]
