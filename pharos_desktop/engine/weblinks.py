"""Links to a repository and its files on the site that hosts it: the one place that knows each host's URLs.

=============================================  ===========================  ===============
host (told apart by its name)                  a file at a ref              lines 3 to 7
=============================================  ===========================  ===============
GitHub: github.com, or any host with a         ``BASE/blob/REF/PATH``       ``#L3-L7``
``github`` label (GitHub Enterprise)
GitLab: gitlab.com, or any host with a         ``BASE/-/blob/REF/PATH``     ``#L3-7``
``gitlab`` label (self-hosted GitLab)
Bitbucket Cloud: bitbucket.org                 ``BASE/src/REF/PATH``        ``#lines-3:7``
=============================================  ===========================  ===============

Any other host (Gitea, cgit, Bitbucket Server, a plain ssh server) gets no link: those sites lay out their
URLs differently, nothing in a clone URL says which one a host runs, and a guessed link that leads to a
404 is worse than none. Such a repository has no ``web_base``; the window then offers no "Open on the
web" and the cloud names its files by a stable ``pharos.local`` URL (sync/mapping.py).

``BASE`` is the repository's web page: https (http only for a self-hosted site served over http), the
host, the port only when the remote URL is http(s) (an ssh port is not the web server's), and the
repository path without ``.git``. The caller picks the ref: the branch where a link must stay the same
across commits (the cloud's resource URL), the commit where it must show exactly what was indexed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, urlsplit

GITHUB = "github"
GITLAB = "gitlab"
BITBUCKET = "bitbucket"

_BLOB = {GITHUB: "/blob/", GITLAB: "/-/blob/", BITBUCKET: "/src/"}
_PUBLIC = {"github.com", "gitlab.com", "bitbucket.org"}  # always https on the standard port
# git's scp-like form, [user@]host:path (git reads it so only when no "/" comes before the ":")
SCP_RE = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[^@/:\s\\]+):(?P<path>[^\\].*)$")


def host_kind(host: str | None) -> str | None:
    """GITHUB, GITLAB, BITBUCKET, or None for a host whose URL layout we do not know."""
    host = (host or "").lower()
    if host == "bitbucket.org":
        return BITBUCKET
    labels = host.split(".")
    if GITHUB in labels:
        return GITHUB
    if GITLAB in labels:
        return GITLAB
    return None


def repository_path(host: str | None, path: str) -> str:
    """The repository part of a path on ``host``: a URL pasted from the browser (``…/tree/main/src``,
    GitLab's ``…/-/tree/main``) names the repository in its first parts. GitLab keeps its subgroups."""
    kind = host_kind(host)
    parts = [p for p in path.split("/") if p]
    if kind in (GITHUB, BITBUCKET) and len(parts) > 2:
        parts = parts[:2]
    if kind == GITLAB and "-" in parts:
        parts = parts[: parts.index("-")]
    return "/" + "/".join(parts)


def web_base(remote: str) -> str | None:
    """The repository's web page for a remote URL (https, http, ssh, git or scp-like ``git@host:o/r.git``);
    None for a local path, a file:// URL or a host we have no links for."""
    if "://" in remote:
        parts = urlsplit(remote)
        scheme, host, path = parts.scheme.lower(), (parts.hostname or "").lower(), parts.path
        try:
            port = parts.port if scheme in ("http", "https") else None
        except ValueError:
            return None
    elif scp := SCP_RE.match(remote):
        scheme, host, path, port = "ssh", scp.group("host").lower(), "/" + scp.group("path"), None
    else:
        return None
    if scheme == "file" or host_kind(host) is None:
        return None
    clean = repository_path(host, path).strip("/")
    clean = clean[:-4] if clean.endswith(".git") else clean
    if clean.count("/") < 1:  # an owner (or group) and a name
        return None
    if host in _PUBLIC:
        return f"https://{host}/{clean}"
    web_scheme = "http" if scheme == "http" else "https"
    return f"{web_scheme}://{host}{f':{port}' if port else ''}/{clean}"


@lru_cache(maxsize=64)
def _kind_of_base(base: str) -> str | None:
    return host_kind(urlsplit(base).hostname)  # a sync asks once per file, for a handful of repositories


def line_anchor(kind: str, start: int, end: int | None = None) -> str:
    """``#…`` for line ``start``, or lines ``start`` to ``end`` when ``end`` is given (even the same line)."""
    if kind == BITBUCKET:
        return f"#lines-{start}" + (f":{end}" if end is not None else "")
    if kind == GITLAB:
        return f"#L{start}" + (f"-{end}" if end is not None else "")
    return f"#L{start}" + (f"-L{end}" if end is not None else "")


def blob_url(base: str, ref: str, path: str, start: int | None = None, end: int | None = None) -> str | None:
    """The web page of ``path`` (repository-relative, "/" separators) at ``ref`` in the repository at
    ``base`` (a ``web_base``), at line ``start`` (to ``end``) when given; None for a host we have no links for."""
    kind = _kind_of_base(base)
    if kind is None:
        return None
    url = f"{base.rstrip('/')}{_BLOB[kind]}{quote(ref, safe='/')}/{quote(path, safe='/')}"
    return url + line_anchor(kind, start, end) if start else url
