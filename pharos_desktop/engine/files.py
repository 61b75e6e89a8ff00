"""Which files of a checkout to read, and reading one safely.

The candidate list is what git itself would show (``git ls-files``), so every level of
``.gitignore``, ``.git/info/exclude`` and the user's global excludes are honoured exactly as git
does; a folder that is not a git repository gets the same treatment through a throw-away git dir.
On top of that, files are left out with one of these reasons (stable strings: the catalog stores
them and the UI groups by them):

- ``"excluded folder"``  under node_modules, vendor, dist, ... (reported once, as ``"<folder>/"``)
- ``"secret"``           .env files, private keys, credential files: never read, never embedded
- ``"lock file"``        package-lock.json, Cargo.lock, ...
- ``"generated"``        minified, protobuf output, source maps
- ``"user exclusion"``   matches a pattern in ``Settings.extra_excludes``
- ``"symlink"``          never followed, wherever it points
- ``"submodule"``        a submodule or nested repository (its files belong to another repository)
- ``"special file"``     a fifo, socket or device
- ``"too large"``        bigger than ``Settings.max_file_bytes`` (from stat, or when read)
- ``"binary"``           a NUL byte in the first 8 KB (decided by ``read_text``)
- ``"unreadable"``       vanished or unreadable between scan and read (decided by ``read_text``)

``"unsupported type"`` is not decided here: the pipeline decides by language.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .cancel import CancelToken
from .errors import SourceError
from .events import Emit, FileSkipped
from .progress import StageMeter
from .settings import Settings

EXCLUDED_FOLDER = "excluded folder"
SECRET = "secret"
LOCK_FILE = "lock file"
GENERATED = "generated"
USER_EXCLUSION = "user exclusion"
SYMLINK = "symlink"
SUBMODULE = "submodule"
SPECIAL_FILE = "special file"
TOO_LARGE = "too large"
BINARY = "binary"
UNREADABLE = "unreadable"

EXCLUDED_FOLDERS = frozenset({
    "node_modules", "vendor", "dist", "build", "target", "__pycache__", ".venv", "venv", "migrations", ".git",
    ".tox", ".mypy_cache", ".next", "coverage", "bower_components", "third_party",
})
GENERATED_PATTERNS = ("*.min.js", "*.min.css", "*.pb.go", "*_pb2.py", "*_pb2.pyi", "*_pb2_grpc.py",
                      "*.generated.*", "*.map")
LOCK_FILES = frozenset({
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Cargo.lock", "Gemfile.lock",
    "composer.lock", "go.sum", "uv.lock", "Pipfile.lock",
})
# Matched case-insensitively on the file name: ID_RSA on a Windows share is still a key.
SECRET_PATTERNS = (
    ".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*.p12", "*.pfx",
    "*.keystore", "*.jks", "credentials.json", "credentials*.json", ".netrc", ".npmrc", ".pypirc",
    # Data files named "secrets" hold secrets; a secrets.py or secrets.go module is ordinary code.
    "secrets.json", "secrets.yaml", "secrets.yml", "secrets.toml", "secrets.ini", "secrets.env", "secrets.txt",
    "service-account*.json",
)

BINARY_SNIFF_BYTES = 8192
_CANCEL_EVERY = 256


@dataclass
class FileEntry:
    path: str  # repo-relative, "/" separators, NFC
    abs_path: Path
    size: int
    mtime_ns: int
    language: str | None = None  # filled by the pipeline


@dataclass
class ScanResult:
    files: list[FileEntry]  # sorted by path
    skipped: list[tuple[str, str]]  # (path, reason), sorted by path


# -- listing -----------------------------------------------------------------------------------

def _git_run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # core.quotePath=false keeps non-ASCII names as raw UTF-8; fsmonitor off so a repo's config cannot
    # make us run one of its commands.
    command = ["git", "-c", "core.quotePath=false", "-c", "core.fsmonitor=false", *args]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise SourceError("git is not installed or not on PATH; install git and try again") from exc


def _git(args: list[str], cwd: Path) -> bytes:
    done = _git_run(args, cwd)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git could not list the files of {cwd}: {message[0] if message else 'unknown error'}")
    return done.stdout


def in_git_work_tree(root: Path) -> bool:
    """True when git's view of ``root`` comes from a repository: its own, or one it is part of.

    A folder inside someone else's repository that ignores it (a dotfiles repo in $HOME, a .venv in a
    project) is read as a plain folder: that repository would show none of its files.
    """
    done = _git_run(["rev-parse", "--show-toplevel"], root)
    if done.returncode != 0:
        return False
    top = Path(done.stdout.decode("utf-8", "surrogateescape").strip()).resolve()
    here = Path(root).resolve()
    if top == here:
        return True
    relative = here.relative_to(top).as_posix() + "/"
    return _git_run(["check-ignore", "-q", "--", relative], top).returncode != 0


def _split_z(output: bytes) -> list[str]:
    # git writes names as the bytes on disk; surrogateescape keeps an undecodable name usable as a path.
    return [raw.decode("utf-8", "surrogateescape") for raw in output.split(b"\0") if raw]


def list_git_paths(root: Path) -> list[str]:
    """Paths git would show under ``root`` (tracked + untracked, not ignored), relative to ``root``."""
    if in_git_work_tree(root):
        return _split_z(_git(["ls-files", "--cached", "--others", "--exclude-standard", "-z"], root))
    # A plain folder: a throw-away bare repo gives git's own ignore rules without writing into the folder.
    scratch = Path(tempfile.mkdtemp(prefix="pharos-scan-"))
    try:
        _git(["init", "--bare", "-q", str(scratch)], root)
        return _split_z(_git([f"--git-dir={scratch}", f"--work-tree={root}", "ls-files", "--others",
                              "--exclude-standard", "-z"], root))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# -- rules -------------------------------------------------------------------------------------

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


def _name_rule(name: str) -> str | None:
    lower = name.lower()
    if any(fnmatch.fnmatchcase(lower, pattern) for pattern in SECRET_PATTERNS):
        return SECRET
    if name in LOCK_FILES:
        return LOCK_FILE
    if any(fnmatch.fnmatchcase(lower, pattern) for pattern in GENERATED_PATTERNS):
        return GENERATED
    return None


def _excluded_folder(parts: list[str]) -> str | None:
    for n, part in enumerate(parts[:-1]):
        if part in EXCLUDED_FOLDERS:
            return "/".join(parts[: n + 1]) + "/"
    return None


# -- scan --------------------------------------------------------------------------------------

def scan_files(root: Path, settings: Settings, *, emit: Emit, job_id: str, cancel: CancelToken) -> ScanResult:
    root = Path(root)
    cancel.raise_if_cancelled()
    listed = sorted(set(list_git_paths(root)))
    cancel.raise_if_cancelled()
    user = UserExcludes(list(settings.extra_excludes or []))
    meter = StageMeter(emit, job_id, "scan", total=len(listed))
    files: list[FileEntry] = []
    skipped: dict[str, str] = {}

    def skip(path: str, reason: str) -> None:
        if path not in skipped:  # an excluded folder is reported once, however many files it holds
            skipped[path] = reason
            emit(FileSkipped(job_id, path, reason))

    for count, raw in enumerate(listed):
        if count % _CANCEL_EVERY == 0:
            cancel.raise_if_cancelled()
        path = unicodedata.normalize("NFC", raw)
        meter.advance(1, path)
        abs_path = root / raw
        try:
            info = abs_path.lstat()  # lstat: a symlink is reported, never followed
        except OSError:
            continue  # tracked but deleted on disk: not part of what is there to read
        parts = path.rstrip("/").split("/")
        folder = _excluded_folder(parts)
        if folder:
            skip(folder, EXCLUDED_FOLDER)
            continue
        if raw.endswith("/") or stat.S_ISDIR(info.st_mode):
            skip(path.rstrip("/"), SUBMODULE)  # a gitlink, or an untracked nested repository
            continue
        reason = _name_rule(parts[-1])
        if reason is None and user and user.matches(path):
            reason = USER_EXCLUSION
        if reason is None:
            if stat.S_ISLNK(info.st_mode):
                reason = SYMLINK
            elif not stat.S_ISREG(info.st_mode):
                reason = SPECIAL_FILE
            elif info.st_size > settings.max_file_bytes:
                reason = TOO_LARGE
        if reason:
            skip(path, reason)
        else:
            files.append(FileEntry(path, abs_path, info.st_size, info.st_mtime_ns))
    meter.flush()
    files.sort(key=lambda entry: entry.path)
    return ScanResult(files, sorted(skipped.items()))


# -- read --------------------------------------------------------------------------------------

def git_blob_sha1(data: bytes) -> str:
    """The id git gives these bytes as a blob, so a committed file's hash equals ``git hash-object``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM stripped) when valid; else cp1252, whose 0x80-0x9F are real punctuation in practice;
    latin-1 for the few bytes cp1252 leaves undefined. Never raises, never drops a file."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text(entry: FileEntry, max_bytes: int) -> tuple[str | None, str | None, str]:
    """Read ``entry`` once -> (text, skip_reason, content_hash); text is None when skipped."""
    try:
        with open(entry.abs_path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # one byte over the cap is enough to know
    except OSError:
        return None, UNREADABLE, ""
    if len(data) > max_bytes:
        return None, TOO_LARGE, ""
    content_hash = git_blob_sha1(data)
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, BINARY, content_hash
    return decode_text(data), None, content_hash
