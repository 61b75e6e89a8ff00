"""Search words: the one tokenizer keyword search uses, for the index and for queries alike.

- Words are Unicode: any run of letters or digits in any script (``ünïcödé``, ``файл``), lower-cased
  with diacritics folded (``ünïcödé`` -> ``unicode``), so either spelling finds the other.
- Identifiers are split at ``_``, ``.``, ``-``, camelCase and acronym boundaries (``parseHTTPHeader`` ->
  ``parse http header``, ``from_pyfile`` -> ``from pyfile``); one-letter parts (``getX`` -> ``x``) stay.
- Han, kana and Hangul have no spaces between words, so a run of them becomes overlapping two-character
  pieces (``文件系统`` -> ``文件 件系 系统``): a query for ``文件`` then finds it.
- English words get a light stem (``retries``/``retried`` -> ``retry``, ``parsing``/``parses`` -> ``pars``),
  so a plural or another tense in the question still matches the code.

The result is plain space-separated lowercase words, stored in SQLite FTS5 with its ``ascii``
tokenizer (which only splits at ASCII spaces and punctuation), so FTS never re-tokenizes differently.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters/digits of any script; "_" is a separator here, not a word character.
_WORD = re.compile(r"[^\W_]+")
# Boundaries inside an identifier: lower->Upper, ACRONYM->Word, letter<->digit is kept together.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)")

STOPWORDS = frozenset("""a an and are as at be by do does for from how i in is it of on or the this to what
when where which who why with that there their into can my me we our you your should""".split())


def fold(word: str) -> str:
    """Lower-case with diacritics removed (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A light English stem: plural, -ing and -ed endings off, then a final e (parse/parsing -> pars)."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


# Code repeats its identifiers: each distinct run of letters is split, folded and stemmed once.
_RUN_CACHE = 1 << 16


@functools.lru_cache(maxsize=_RUN_CACHE)
def _run_words(run: str) -> tuple[str, ...]:
    """A run of letters/digits as folded, unstemmed words: identifier parts, or CJK bigrams."""
    out: list[str] = []
    for part in _CJK.split(run):
        if not part:
            continue
        if _CJK.fullmatch(part):
            out.extend(part[i:i + 2] for i in range(max(len(part) - 1, 1)))
        else:
            out.extend(fold(p) for p in _CAMEL.split(part) if p)
    return tuple(out)


@functools.lru_cache(maxsize=_RUN_CACHE)
def _run_tokens(run: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in _run_words(run))


def _words(text: str) -> list[str]:
    """Folded, unstemmed words: identifier parts, or CJK bigrams."""
    return [word for run in _WORD.findall(text) for word in _run_words(run)]


def plain_words(text: str) -> str:
    """Identifiers and paths as lower-case words a language model reads (``wait_incrementing.__call__`` ->
    ``wait incrementing call``), unstemmed."""
    return " ".join(_words(text))


def tokens(text: str) -> list[str]:
    """Every token of text, in order (for the index)."""
    return [token for run in _WORD.findall(text) for token in _run_tokens(run)]


def index_text(text: str) -> str:
    return " ".join(tokens(text))


def query_terms(query: str) -> list[str]:
    """Distinct tokens of a question, stopwords dropped (unless nothing else is left)."""
    words = _words(query)
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(stem(w) for w in kept))


def content_words(query: str) -> str:
    """The question without its stopwords (``where is the cookie signed`` -> ``cookie signed``), words
    otherwise as typed, for the embedding model: question words only pull the vector toward prose."""
    kept = [word for word in query.split() if word.strip(".,:;?!'\"()").casefold() not in STOPWORDS]
    return " ".join(kept) or query
