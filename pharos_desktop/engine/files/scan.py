"""Which files of a checkout to read, and reading one safely.

The candidate list is what git itself would show (``git ls-files``), so every level of
``.gitignore``, ``.git/info/exclude`` and the user's global excludes are honoured exactly as git
does; a folder that is not a git repository gets the same treatment through a throw-away git dir.
On top of that, files are left out with one of these reasons (stable strings: the catalog stores
them and the UI groups by them):

- ``"excluded folder"``  under node_modules, vendor, dist, ... (reported once, as ``"<folder>/"``)
- ``"unreadable name"``  a name that is not valid UTF-8 (reported with its odd bytes as ``\\xff``)
- ``"secret"``           .env files, private keys, credential files: never read, never embedded
- ``"lock file"``        package-lock.json, Cargo.lock, ...
- ``"generated"``        minified, protobuf output, source maps, or ``linguist-generated`` in .gitattributes
- ``"vendored"``         ``linguist-vendored`` in .gitattributes
- ``"user exclusion"``   matches a pattern in ``Settings.extra_excludes``
- ``"symlink"``          never followed, wherever it points; files git still lists under a folder
                         that became a symlink are reported once, as that folder
- ``"submodule"``        a submodule or nested repository (its files belong to another repository)
- ``"special file"``     a fifo, socket or device
- ``"too large"``        bigger than ``Settings.max_file_bytes`` (from stat, or when read)
- ``"binary"``           a NUL byte in the first 8 KB (decided by ``read_text``)
- ``"unreadable"``       vanished or unreadable between scan and read (decided by ``read_text``)
- ``"generated (machine-made long lines)"``  a line over 5,000 characters, or lines of 400 on
                         average with almost no spaces: bundled or minified output (decided by ``read_text``)
- ``"secret inside"``    a credential in the text, see secret_scan.py (decided by ``read_text``)

``"unsupported type"`` (no parser for the file's language), ``"parse error"`` and ``"too many chunks"`` are decided
by the pipeline.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SourceError
from .excludes import UserExcludes
from ..source.git import in_git_work_tree, run_local
from .secret_scan import find_secret
from ..settings import Settings

if TYPE_CHECKING:
    from ..run.task import Task

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
UNREADABLE_NAME = "unreadable name"
VENDORED = "vendored"
MACHINE_MADE = "generated (machine-made long lines)"
SECRET_INSIDE = "secret inside"
UNSUPPORTED_TYPE = "unsupported type"  # decided by the pipeline, by language

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
    "service-account*.json", "client_secret*.json", "application_default_credentials.json", ".git-credentials",
    ".dockercfg",
    # Kubernetes secrets; Terraform variables and state hold provider keys and passwords in clear text.
    "secret.yaml", "secret.yml", "*-secret.yaml", "*-secret.yml", "*.tfvars", "*.tfvars.json", "*.tfstate",
    "*.tfstate.backup",
)
# .gitattributes, as GitHub reads it: "linguist-generated" or "=true" marks a file, "-linguist-..." or
# "=false" unmarks it.
LINGUIST_ATTRIBUTES = {"linguist-generated": GENERATED, "linguist-vendored": VENDORED}

# Machine-made text (bundles, minified output, one-line data): no person writes a line this long, and
# the chunks such a file makes would only crowd real code out of the results. Skipped rather than cut
# into plain windows: its source, when it has one, is what the repository already holds.
MACHINE_LINE_CHARS = 5_000
MACHINE_CHARS_PER_LINE = 400
MACHINE_MAX_SPACES = 0.08  # share of spaces under which long lines are taken for minified code, not prose
# A compiler's inline source map (Babel, tsc): one base64 line of tens of KB after code a person can read.
# The map is what is machine-made, not the code: its line is emptied, so line numbers still match the file.
_INLINE_SOURCE_MAP = re.compile(r"^[ \t]*(?://|/\*)[#@][ \t]*sourceMappingURL=data:[^\n]*$", re.MULTILINE)

BINARY_SNIFF_BYTES = 8192
_CANCEL_EVERY = 256


@dataclass
class FileEntry:
    """A file the scan found on disk, not yet read (then a catalog FileRecord, a pipeline FileWork)."""

    path: str  # repo-relative, "/" separators, NFC
    abs_path: Path
    size: int
    mtime_ns: int
    root: Path | None = None  # the folder scanned: a read must resolve inside it


@dataclass
class ScanResult:
    files: list[FileEntry]  # sorted by path
    skipped: list[tuple[str, str]]  # (path, reason), sorted by path


# -- listing -----------------------------------------------------------------------------------

def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    done = run_local(args, cwd, stdin)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git could not list the files of {cwd}: {message[0] if message else 'unknown error'}")
    return done.stdout


def _split_z(output: bytes) -> list[str]:
    # git writes names as the bytes on disk; surrogateescape keeps an undecodable name usable as a path.
    return [raw.decode("utf-8", "surrogateescape") for raw in output.split(b"\0") if raw]


@contextmanager
def _git_view(root: Path) -> Iterator[list[str]]:
    """git options that show ``root`` as git sees it: none inside a work tree; for a plain folder, a
    throw-away bare repo gives git's own ignore and attribute rules without writing into the folder."""
    if in_git_work_tree(root):
        yield []
        return
    scratch = Path(tempfile.mkdtemp(prefix="pharos-scan-"))
    try:
        _git(["init", "--bare", "-q", str(scratch)], root)
        yield [f"--git-dir={scratch}", f"--work-tree={root}"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _list(root: Path, view: list[str]) -> list[str]:
    tracked = ["--cached"] if not view else []
    return _split_z(_git([*view, "ls-files", *tracked, "--others", "--exclude-standard", "-z"], root))


def _linguist_marks(root: Path, view: list[str], paths: list[str]) -> dict[str, str]:
    """path -> "generated" / "vendored" from .gitattributes, asked of git in one call for all paths."""
    if not paths:
        return {}
    stdin = b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths) + b"\0"
    output = _git([*view, "check-attr", "-z", "--stdin", *LINGUIST_ATTRIBUTES], root, stdin)
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    marks: dict[str, str] = {}
    for path, attribute, value in zip(fields[0::3], fields[1::3], fields[2::3]):
        if value in ("set", "true") and path not in marks:
            marks[path] = LINGUIST_ATTRIBUTES[attribute]
    return marks


# -- rules -------------------------------------------------------------------------------------

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

def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _SymlinkedFolders:
    """The first folder of a path that is a symlink. git lists what its index holds, so ``d/leak.py``
    is listed even after ``d`` became a link to somewhere else; lstat on the file alone would follow ``d``."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._known: dict[str, bool] = {}

    def above(self, raw: str) -> str | None:
        parts = raw.rstrip("/").split("/")[:-1]
        for n in range(1, len(parts) + 1):
            folder = "/".join(parts[:n])
            if folder not in self._known:
                self._known[folder] = (self._root / folder).is_symlink()
            if self._known[folder]:
                return folder
        return None


def scan_files(root: Path, settings: Settings, *, task: Task) -> ScanResult:
    root = Path(root)
    task.raise_if_cancelled()
    with _git_view(root) as view:
        listed = sorted(set(_list(root, view)))
        task.raise_if_cancelled()
        marks = _linguist_marks(root, view, listed)
    task.raise_if_cancelled()
    symlinked = _SymlinkedFolders(root)
    user = UserExcludes(list(settings.extra_excludes or []))
    meter = task.meter("scan", total=len(listed))
    files: list[FileEntry] = []
    skipped: dict[str, str] = {}

    def skip(path: str, reason: str) -> None:
        if path not in skipped:  # an excluded folder is reported once, however many files it holds
            skipped[path] = reason
            task.skipped(path, reason)

    for count, raw in enumerate(listed):
        if count % _CANCEL_EVERY == 0:
            task.raise_if_cancelled()
        if not _utf8(raw):
            # The catalog, the events and the cloud all carry names as UTF-8 text: report the odd bytes
            # escaped (b"\xff" as "\\xff") and read the rest of the repository.
            shown = os.fsencode(raw).decode("utf-8", "backslashreplace")
            meter.advance(1, shown)
            skip(shown, UNREADABLE_NAME)
            continue
        path = unicodedata.normalize("NFC", raw)
        meter.advance(1, path)
        abs_path = root / raw
        link = symlinked.above(raw)
        if link:
            skip(unicodedata.normalize("NFC", link), SYMLINK)  # as git lists the link itself
            continue
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
        reason = _name_rule(parts[-1]) or marks.get(raw)
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
            files.append(FileEntry(path, abs_path, info.st_size, info.st_mtime_ns, root=root))
    meter.flush()
    files.sort(key=lambda entry: entry.path)
    return ScanResult(files, sorted(skipped.items()))


def worth_reading(root: Path, paths: list[str], settings: Settings) -> list[str]:
    """Of these changed paths (repo-relative, "/"), those the scan might read: not in an excluded folder,
    not skipped for their name or the user's exclusions, not ignored by git. The live index (engine/live/)
    asks before it re-ingests, so churn in node_modules/, target/ or an ignored build folder costs no work."""
    user = UserExcludes(list(settings.extra_excludes or []))
    left = [path for path in paths if not _excluded_folder(path.split("/") + [""])
            and not _name_rule(path.rsplit("/", 1)[-1]) and not (user and user.matches(path))]
    if not left:
        return []
    root = Path(root)
    with _git_view(root) as view:
        stdin = b"\0".join(p.encode("utf-8", "surrogateescape") for p in left) + b"\0"
        done = run_local([*view, "check-ignore", "-z", "--stdin"], root, stdin)
    if done.returncode not in (0, 1):  # 1: none is ignored; anything else: keep them all, the scan decides
        return left
    ignored = set(_split_z(done.stdout))
    return [path for path in left if path not in ignored]


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


def machine_made(text: str) -> bool:
    """Lines no person writes: one over MACHINE_LINE_CHARS, or few line breaks for the size and almost
    no spaces (minified code wrapped at a few hundred columns; prose with long paragraphs has spaces)."""
    if len(text) <= MACHINE_LINE_CHARS:
        return False
    lines = text.splitlines()
    if max(map(len, lines), default=0) > MACHINE_LINE_CHARS:
        return True
    sparse = len(text) / max(len(lines), 1) > MACHINE_CHARS_PER_LINE
    return sparse and text.count(" ") < MACHINE_MAX_SPACES * len(text)


def _outside_root(entry: FileEntry) -> bool:
    """True when the folder of ``entry`` no longer resolves to where it lies under its root (a folder on
    its way was swapped for a symlink after the scan)."""
    if entry.root is None:
        return False
    folder = entry.abs_path.parent
    expected = os.path.normpath(os.path.join(os.path.realpath(entry.root), os.path.relpath(folder, entry.root)))
    return os.path.realpath(folder) != expected


def read_text(entry: FileEntry, max_bytes: int, language: str | None = None) -> tuple[str | None, str | None, str]:
    """Read ``entry`` once -> (text, skip_reason, content_hash); text is None when skipped.

    Content rules are decided here, on the text just read: binary, machine-made, secret inside (whose
    patterns depend on the ``language``)."""
    if _outside_root(entry):
        return None, SYMLINK, ""
    try:
        # O_NOFOLLOW: the file itself may have become a symlink since the scan.
        fd = os.open(entry.abs_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None, (SYMLINK if os.path.islink(entry.abs_path) else UNREADABLE), ""
    try:
        with open(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)  # one byte over the cap is enough to know
    except OSError:
        return None, UNREADABLE, ""
    if len(data) > max_bytes:
        return None, TOO_LARGE, ""
    content_hash = git_blob_sha1(data)
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, BINARY, content_hash
    text = decode_text(data)
    if "sourceMappingURL=data:" in text:
        text = _INLINE_SOURCE_MAP.sub("", text)
    if machine_made(text):
        return None, MACHINE_MADE, content_hash
    if find_secret(text, language):
        return None, SECRET_INSIDE, content_hash
    return text, None, content_hash
