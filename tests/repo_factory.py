"""The sample repository of the tests, built with pharos_desktop/tools/sample_repos.py (which makes every
sample repository: this module only says what goes into this one).

``make_sample_repo`` builds one repository that exercises every rule of the scanner and the parser:
several languages with real functions, gitignores at three levels plus ``.git/info/exclude``,
committed secrets, generated files, lock files, vendored folders, a binary, a symlink, a file over
1 MB, a latin-1 source file and Unicode names. ``SAMPLE_*`` describe what a scan must find. ``bundle``
writes one line of bundler output, for the machine-made rules.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from pharos_desktop.tools.sample_repos import commit_all, init_repo, write_file

PYTHON_CORE = '''"""Core helpers: configuration loading and secret handling."""

import os
import re

SECRET_PATTERN = re.compile(r"(token|password|secret)=\\S+", re.IGNORECASE)


def load_config(path):
    """Read KEY=VALUE lines from a file into a dict, ignoring comments and blank lines."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def redact_secrets(text):
    """Secret handling: mask tokens and passwords before a line is logged."""
    return SECRET_PATTERN.sub(lambda m: m.group(1) + "=***", text)


class Settings:
    """Application settings read from the environment."""

    def __init__(self, env=None):
        self.env = dict(os.environ if env is None else env)

    def get(self, name, default=None):
        return self.env.get(name, default)

    def debug_enabled(self):
        return self.get("DEBUG", "0") in ("1", "true", "yes")
'''

PYTHON_UTIL = '''"""Small utilities shared by the command line and the server."""


def chunked(items, size):
    """Yield successive lists of at most ``size`` items."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def slugify(title):
    """Turn a title into a lowercase, dash-separated identifier."""
    return "-".join(part for part in "".join(c.lower() if c.isalnum() else " " for c in title).split())
'''

PYTHON_DEEP = '''def walk_tree(node, visit):
    """Depth-first traversal calling ``visit`` on every node of a nested dict tree."""
    visit(node)
    for child in node.get("children", []):
        walk_tree(child, visit)
'''

JS_APP = '''// Express-style request routing for the web front end.
function parseQuery(query) {
  const result = {};
  for (const pair of query.replace(/^\\?/, "").split("&")) {
    if (!pair) continue;
    const [key, value] = pair.split("=");
    result[decodeURIComponent(key)] = decodeURIComponent(value || "");
  }
  return result;
}

function debounce(fn, wait) {
  let timer = null;
  return function (...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), wait);
  };
}

module.exports = { parseQuery, debounce };
'''

TS_TYPES = '''export interface User {
  id: number;
  name: string;
  email?: string;
}

export function formatUser(user: User): string {
  return user.email ? `${user.name} <${user.email}>` : user.name;
}

export class UserCache {
  private users = new Map<number, User>();

  add(user: User): void {
    this.users.set(user.id, user);
  }

  find(id: number): User | undefined {
    return this.users.get(id);
  }
}
'''

GO_MAIN = '''package main

import (
\t"fmt"
\t"strings"
)

// Reverse returns its argument string reversed rune-wise.
func Reverse(s string) string {
\tr := []rune(s)
\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
\t\tr[i], r[j] = r[j], r[i]
\t}
\treturn string(r)
}

func main() {
\tfmt.Println(strings.ToUpper(Reverse("hello")))
}
'''

RUST_LIB = '''/// Parses a comma-separated list of integers, skipping invalid entries.
pub fn parse_numbers(input: &str) -> Vec<i64> {
    input.split(',').filter_map(|part| part.trim().parse().ok()).collect()
}

pub struct Counter {
    count: u64,
}

impl Counter {
    pub fn new() -> Self {
        Counter { count: 0 }
    }

    pub fn increment(&mut self) -> u64 {
        self.count += 1;
        self.count
    }
}
'''

C_HASH = '''#include <stddef.h>
#include <stdint.h>

/* FNV-1a hash of a byte buffer. */
uint32_t fnv1a_hash(const unsigned char *data, size_t length) {
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < length; i++) {
        hash ^= data[i];
        hash *= 16777619u;
    }
    return hash;
}

int clamp(int value, int low, int high) {
    return value < low ? low : (value > high ? high : value);
}
'''

UNICODE_DOCS = '''"""Module with a Unicode file name."""


def café_au_lait(milk, coffee):
    """Mix milk and coffee — naïvely."""
    return {"milk": milk, "coffee": coffee}
'''

UNICODE_JA = '''def 挨拶(名前):
    """日本語の関数: greet someone by name."""
    return f"こんにちは、{名前}さん"
'''

# Latin-1 bytes (é = 0xE9, ñ = 0xF1) that are not valid UTF-8.
LATIN1_SOURCE = ('# -*- coding: latin-1 -*-\n'
                 'def señal_de_vida():\n'
                 '    """Devuelve el saludo del café."""\n'
                 '    return "café"\n').encode("latin-1")

# A source file saved as UTF-16 by a Windows editor: full of NUL bytes, so git and we treat it as binary.
UTF16_SOURCE = "\ufeffdef from_windows():\n    return 1\n".encode("utf-16-le")

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _big_python_file() -> str:
    rows = "\n".join(f"    ({i}, {i * i}, 'value number {i:07d} padded to make the table large'),"
                     for i in range(20_000))
    return f"TABLE = [\n{rows}\n]\n"


# Committed files: path -> content. Everything here is in HEAD, so a clone sees the same.
TRACKED: dict[str, str | bytes] = {
    "README.md": "# Sample\n\nA small multi-language project used by the Pharos tests.\n",
    ".gitignore": "*.log\nbuild_output/\n/local_only.py\n",
    "pkg/__init__.py": '"""Sample package."""\n',
    "pkg/.gitignore": "*.tmp\nscratch/\n",
    "pkg/core.py": PYTHON_CORE,
    "pkg/util.py": PYTHON_UTIL,
    "pkg/sub/.gitignore": "notes.py\n",
    "pkg/sub/deep.py": PYTHON_DEEP,
    "web/app.js": JS_APP,
    "web/types.ts": TS_TYPES,
    "cmd/main.go": GO_MAIN,
    "src/lib.rs": RUST_LIB,
    "native/hash.c": C_HASH,
    "docs/naïve_café.py": UNICODE_DOCS,
    "src/日本語.py": UNICODE_JA,
    "legacy/latin1_module.py": LATIN1_SOURCE,
    "legacy/utf16_module.py": UTF16_SOURCE,
    "assets/logo.png": PNG_BYTES,
    "data/huge_table.py": _big_python_file(),
    # secrets
    ".env": "DATABASE_URL=postgres://admin:hunter2@db/app\n",
    ".env.local": "API_TOKEN=abc123\n",
    "config/server.pem": "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w\n-----END PRIVATE KEY-----\n",
    "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    "credentials.json": '{"client_secret": "s3cr3t"}\n',
    # vendored, generated, lock files
    "node_modules/leftpad/index.js": "module.exports = function leftpad(s, n) { return s.padStart(n); };\n",
    "dist/bundle.js": "function bundled(){return 1}\n",
    "pkg/migrations/0001_initial.py": "def forwards(apps, schema_editor):\n    pass\n",
    "web/foo.min.js": "function a(b){return b*2}\n",
    "pkg/x_pb2.py": "# Generated by the protocol buffer compiler.  DO NOT EDIT!\nDESCRIPTOR = None\n",
    "package-lock.json": '{"lockfileVersion": 3}\n',
}

SYMLINKS = {"pkg/core_link.py": "core.py"}  # relative link inside the repo

# On disk but ignored by some level of ignore rules, so never committed and never scanned.
IGNORED = {
    "debug.log": "log line\n",  # root .gitignore: *.log
    "build_output/out.js": "function built(){}\n",  # root .gitignore: build_output/
    "local_only.py": "x = 1\n",  # root .gitignore: /local_only.py (anchored)
    "pkg/cache.tmp": "tmp\n",  # pkg/.gitignore: *.tmp
    "pkg/scratch/try.py": "def attempt():\n    pass\n",  # pkg/.gitignore: scratch/
    "pkg/sub/notes.py": "def note():\n    pass\n",  # pkg/sub/.gitignore: notes.py
    "private_notes.md": "mine\n",  # .git/info/exclude
    "pkg/core.py.bak": "backup\n",  # .git/info/exclude: *.bak
}
INFO_EXCLUDE = "private_notes.md\n*.bak\n"

# What scan_files must report for the sample with default settings.
SAMPLE_KEPT = {
    ".gitignore", "README.md", "pkg/__init__.py", "pkg/.gitignore", "pkg/core.py", "pkg/util.py",
    "pkg/sub/.gitignore", "pkg/sub/deep.py", "web/app.js", "web/types.ts", "cmd/main.go", "src/lib.rs",
    "native/hash.c", "docs/naïve_café.py", "src/日本語.py", "legacy/latin1_module.py",
    "legacy/utf16_module.py", "assets/logo.png",
}
SAMPLE_SKIPPED = {
    ".env": "secret",
    ".env.local": "secret",
    "config/server.pem": "secret",
    "deploy/id_rsa": "secret",
    "credentials.json": "secret",
    "node_modules/": "excluded folder",
    "dist/": "excluded folder",
    "pkg/migrations/": "excluded folder",
    "web/foo.min.js": "generated",
    "pkg/x_pb2.py": "generated",
    "package-lock.json": "lock file",
    "pkg/core_link.py": "symlink",
    "data/huge_table.py": "too large",
}


def make_sample_repo(path: Path, *, branch: str = "main") -> Path:
    """Create the sample repository at ``path`` (one commit on ``branch``) and return ``path``."""
    path = Path(path)
    init_repo(path, branch)
    for rel, content in TRACKED.items():
        write_file(path, rel, content)
    for rel, target in SYMLINKS.items():
        os.symlink(target, path / rel)
    commit_all(path, "Initial sample project")
    # Written after the commit: these exist only in this working tree, as a developer's local clutter.
    (path / ".git" / "info").mkdir(exist_ok=True)
    (path / ".git" / "info" / "exclude").write_text(INFO_EXCLUDE, encoding="utf-8")
    for rel, content in IGNORED.items():
        write_file(path, rel, content)
    return path


def bundle(target_chars: int, seed: int = 7) -> str:
    """One line of bundler output: functions and object literals back to back, no newline."""
    rnd = random.Random(seed)
    parts, size, n = [], 0, 0
    while size < target_chars:
        n += 1
        piece = (f"function f{n}(a,b){{var c=a+b*{rnd.randint(1, 99)};return c>{n}?g{n}(c):h{n}(a)}};"
                 f"var o{n}={{k{n}:function(x){{return x.map(function(y){{return y+{n}}})}},v:{n}}};")
        parts.append(piece)
        size += len(piece)
    return "".join(parts)
