"""Short semantic summaries of chunks, in the Pharos cloud's format, and the text we embed.

A symbol's summary (the cloud contract, matched exactly)::

    [python] def authenticate_user(username: str, password: str) -> User:
        \"\"\"Authenticate a user with credentials.\"\"\"
        deps: [query, User, verify_password]

First line ``[language] signature`` (one line); then the docstring, cut to 512 characters, after
four spaces and inside triple quotes (omitted when there is none); then up to 20 deps (omitted when
there are none). Other chunks use the same shape with a first line that says what they are::

    [python] imports of flask/app.py          (deps: the imported names)
    [python] module code of flask/app.py (lines 10-40)
    [markdown] section: Install > Linux
    [yaml] lines 1-50 of config.yaml

Every part of a split symbol has the symbol's summary.

The embedded text starts with the symbol and its file as plain words (``wait incrementing call
(tenacity wait)``): a small sentence model matches questions to those far better than to
``wait_incrementing.__call__`` (bench/search_levers.py, "embedded text"). Then the summary and as much
of the code as fits.
"""

from __future__ import annotations

from .index.chunks import MAX_DEPS, SYMBOL_KINDS, Chunk
from .index.words import plain_words

MAX_DOCSTRING = 512
INDENT = "    "


def summarize(chunk: Chunk) -> str:
    lang = chunk.language
    if chunk.kind in SYMBOL_KINDS:
        head = f"[{lang}] {chunk.signature or chunk.symbol}"
    elif chunk.kind == "imports":
        head = f"[{lang}] imports of {chunk.path}"
    elif chunk.kind == "module":
        head = f"[{lang}] module code of {chunk.path} (lines {chunk.start_line}-{chunk.end_line})"
    elif chunk.kind == "section":
        head = f"[{lang}] section: {chunk.symbol}"
    else:
        head = f"[{lang}] lines {chunk.start_line}-{chunk.end_line} of {chunk.path}"
    lines = [head]
    doc = chunk.docstring.strip()
    if doc:
        lines.append(f'{INDENT}"""{doc[:MAX_DOCSTRING]}"""')
    if chunk.deps:
        lines.append(f"{INDENT}deps: [{', '.join(chunk.deps[:MAX_DEPS])}]")
    return "\n".join(lines)


def embedding_text(chunk: Chunk, include_code: bool, max_chars: int) -> str:
    """The string that gets embedded: the symbol and path as words, the summary, then (when
    include_code) a blank line and as much of the code as fits in max_chars in total."""
    name = "" if chunk.symbol.startswith("<") else plain_words(chunk.symbol)
    head = f"{name} ({plain_words(chunk.path.rsplit('.', 1)[0])})\n"
    return (head + _summary_and_code(chunk, include_code, max_chars))[:max_chars]


def _summary_and_code(chunk: Chunk, include_code: bool, max_chars: int) -> str:
    summary = chunk.summary or summarize(chunk)
    if len(summary) >= max_chars:
        return summary[:max_chars]
    if not include_code or not chunk.code:
        return summary
    room = max_chars - len(summary) - 2
    if room <= 0:
        return summary
    return f"{summary}\n\n{chunk.code[:room]}"
