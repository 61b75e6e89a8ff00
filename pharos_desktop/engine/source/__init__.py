"""Where a repository comes from: ``spec`` parses what the user typed into a ``SourceSpec``, ``checkout``
opens it as a working tree (the folder, or a shallow clone made or updated), ``git_errors`` says in one
line what a failed git command means."""

from .checkout import Checkout, GitAccess, open_source, remove_tree
from .spec import CREDENTIALS_IGNORED, SourceSpec, file_url_path, parse_source, without_credentials

__all__ = ["CREDENTIALS_IGNORED", "Checkout", "GitAccess", "SourceSpec", "file_url_path", "open_source",
           "parse_source", "remove_tree", "without_credentials"]
