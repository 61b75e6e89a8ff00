"""What a failed git command means, in one line for the user: the first git line that names the
problem, with the token and any URL credentials scrubbed from it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import AuthRequired, SourceError
from .git import WITHHELD, GitAccess

if TYPE_CHECKING:
    from .spec import SourceSpec

_AUTH = ("authentication failed", "could not read username", "could not read password", "terminal prompts disabled",
         "permission denied (publickey", "http basic: access denied", "error: 401", "error: 403",
         "invalid username or password", "invalid credentials")
_NETWORK = ("could not resolve host", "could not resolve hostname", "failed to connect", "connection refused",
            "connection timed out", "network is unreachable", "no route to host", "operation timed out",
            "name or service not known", "temporary failure in name resolution", "connection reset")
_NOT_FOUND = ("repository not found", "not found", "does not appear to be a git repository", "error: 404",
              "does not exist")
_BRANCH = ("remote branch", "couldn't find remote ref", "could not find remote branch")


def _scrub(text: str, token: str) -> str:
    if token:
        text = text.replace(token, "***")
    return re.sub(r"(://)[^/@\s]+@", r"\1", text)  # credentials git may echo back from a URL


def _first_relevant(lines: list[str], markers: tuple[str, ...] = ()) -> str:
    """The one git line worth showing: the first that names the problem, else the first fatal/error."""
    for line in lines:
        if any(marker in line.lower() for marker in markers):
            return _strip_prefix(line)
    for prefix in ("fatal:", "error:", "ssh:", "remote:"):
        for line in lines:
            if line.lower().startswith(prefix):
                return _strip_prefix(line)
    return lines[-1] if lines else "git exited with an error"


def _strip_prefix(line: str) -> str:
    for prefix in ("fatal:", "error:", "ssh:", "remote:"):
        if line.lower().startswith(prefix):
            return line[len(prefix):].strip()
    return line.strip()


def _token_withheld(spec: SourceSpec, lines: list[str], access: GitAccess) -> str:
    """Why the credential helper kept the token back ("" when it did not)."""
    asked = next((line.split(WITHHELD, 1)[1].strip() for line in lines if WITHHELD in line), "")
    if not access.token or not asked:
        return ""
    protocol, _, host = asked.partition("://")
    if host.rsplit(":", 1)[0] != (spec.host or "") and host != spec.host:
        return (f"it redirected to {protocol}://{host}, and the git token is never sent on to where a redirect "
                "points; use that URL directly if you trust it")
    if protocol != "https":
        return "the saved git token is only ever sent over https; use the repository's https:// URL"
    hosts = ", ".join(access.token_hosts) or "no host"
    return (f"the saved git token is only sent to {hosts}; add {spec.host} under Git token hosts in Settings "
            "(or PHAROS_GIT_TOKEN_HOSTS) if the token is for it")


def clone_error(spec: SourceSpec, branch: str | None, lines: list[str], access: GitAccess) -> SourceError:
    text = "\n".join(lines).lower()
    token = access.token
    if any(marker in text for marker in _AUTH):
        if withheld := _token_withheld(spec, lines, access):
            return AuthRequired(f"authentication required for {spec.display}: {withheld}")
        if token:
            return AuthRequired(f"authentication required for {spec.display}: the saved token was refused; "
                                "set a new one in Settings or PHAROS_GIT_TOKEN")
        return AuthRequired(f"authentication required for {spec.display}: set a token in Settings or PHAROS_GIT_TOKEN")
    if branch and any(marker in text for marker in _BRANCH):
        return SourceError(f"branch '{branch}' not found in {spec.display}")
    if re.search(r"returned error: 30[1278]\b", text):
        return SourceError(f"{spec.host or spec.display} answered with a redirect, and this repository's address "
                           "came from the cloud's queue, which is never followed elsewhere: queue the address it "
                           "points to")
    if "host key verification failed" in text:
        return SourceError(f"ssh does not trust the host key of {spec.host}: run `ssh {spec.host}` once to accept it")
    if any(marker in text for marker in _NETWORK):
        detail = _scrub(_first_relevant(lines, _NETWORK), token)
        return SourceError(f"cannot reach {spec.host or spec.display}: {detail}")
    if any(marker in text for marker in _NOT_FOUND):
        hint = "" if spec.location.startswith("file://") else " (check the URL; a private repository needs access)"
        return SourceError(f"repository not found: {spec.display}{hint}")
    return SourceError(f"git could not fetch {spec.display}: {_scrub(_first_relevant(lines), token)}")
