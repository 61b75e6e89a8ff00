"""User exclusions: the common subset of gitignore patterns, for ``Settings.extra_excludes``."""

from __future__ import annotations

import re


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style glob: ``**`` crosses folders, ``*`` and ``?`` do not."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


class UserExcludes:
    """The common subset of gitignore patterns, for ``Settings.extra_excludes``.

    ``name`` or ``*.ext`` (no slash) matches a file or folder name at any depth; ``dir/`` matches
    folders only; a pattern with a slash (``docs/api/*.md``, ``/scripts``, ``**/fixtures``) is
    anchored at the repository root. Negation (``!``) is not supported: such patterns are ignored.
    """

    def __init__(self, patterns: list[str]) -> None:
        self._rules: list[tuple[re.Pattern[str], bool, bool]] = []  # (regex, anchored, folders only)
        for raw in patterns:
            pattern = raw.strip()
            if not pattern or pattern.startswith(("#", "!")):
                continue
            folders_only = pattern.endswith("/")
            body = pattern.rstrip("/")
            anchored = "/" in body  # as in gitignore: a slash anywhere but the end anchors at the root
            body = body.lstrip("/")
            if body:
                self._rules.append((_glob_regex(body), anchored, folders_only))

    def __bool__(self) -> bool:
        return bool(self._rules)

    def matches(self, path: str) -> bool:
        parts = path.split("/")
        for regex, anchored, folders_only in self._rules:
            # Candidates: every leading folder, plus the file itself unless the pattern wants folders.
            last = len(parts) - 1 if folders_only else len(parts)
            for n in range(1, last + 1):
                candidate = "/".join(parts[:n]) if anchored else parts[n - 1]
                if regex.fullmatch(candidate):
                    return True
        return False
