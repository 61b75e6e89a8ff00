"""Credentials inside a file's text: such a file is skipped whole ("secret inside"), never chunked.

Why skip the file rather than mask the value: a file that holds one credential usually holds its
neighbours too (the other keys of the same config, a password next to the token), and a pattern
that misses one of them would let it through a mask; the value also reaches the summary, the
signature and the docstring of a chunk, each of which a mask would have to cover. Skipping is
all or nothing, so it is easy to check, and the file list tells the user why the file is missing.

What counts as a credential:

- token shapes with a fixed prefix or layout (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, PyPI,
  npm, SendGrid, Azure storage, Square): the patterns of detect-secrets' plugins, kept up to date
  there. Its noisier plugins (JWT, Discord, Twilio, Artifactory, basic auth, bare high-entropy
  strings) are left out: they fire on example tokens and hashes in ordinary code; Mailchimp's
  pattern alone would cost more time than all the others together.
- Google API keys (``AIza...``) and OAuth client secrets (``GOCSPX-...``), which detect-secrets
  has no plugin for.
- a private key block: detect-secrets' ``BEGIN ... PRIVATE KEY`` markers, counted only when a key
  body follows, so code that merely looks for the marker is not taken for a key.
- a high-entropy value assigned to a name holding key/secret/token/password/pwd/credential
  (``API_TOKEN=...``, ``"client_secret": "..."``, ``db_password = '...'``), scored with
  detect-secrets' entropy: letters and digits, 16 characters or more, and close to random.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from ..parse.languages import SOURCE_LANGUAGES

_GOOGLE_SHAPES = (
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),  # Google API key
    re.compile(r"GOCSPX-[0-9A-Za-z_-]{28}"),  # Google OAuth client secret
)
# A key body: a line of base64 among the few after the marker ("\n" may be written out, as in JSON).
_KEY_BODY = re.compile(r"^\s*[A-Za-z0-9+/=]{32,}\s*$", re.MULTILINE)
_KEY_BODY_WINDOW = 400

_ASSIGNMENT = (r"(?:key|secret|token|passw(?:or)?d|pwd|credential)[A-Za-z0-9_.-]*[\"'\]]{0,2}"  # the name's end
               r"\s*(?:[:=]=?|=>)\s*"
               r"([\"'`]?)([A-Za-z0-9+/=_.~-]{16,})\1(?![A-Za-z0-9+/=_.~-])")
# Run on the lower-cased text, ten times faster than re.IGNORECASE; the value is then read from the
# original. A text whose length changes when lower-cased (a few non-ASCII letters) takes the slow way.
_ASSIGNMENT_LOWER = re.compile(_ASSIGNMENT)
_ASSIGNMENT_ANY_CASE = re.compile(_ASSIGNMENT, re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]+")
# In code a bare word is a name (``token = Sam3TrackerAttention``); in shell and config files it is a value.
_BARE_WORDS_ARE_CODE = frozenset(SOURCE_LANGUAGES) - {"bash"}
_PLACEHOLDER = re.compile(r"example|test|fake|dummy|sample|placeholder|changeme|your|xxxx", re.IGNORECASE)


@dataclass(frozen=True)
class _Rules:
    shapes: tuple[re.Pattern[str], ...]
    key_markers: tuple[re.Pattern[str], ...]
    base64: object  # detect-secrets' entropy scorers
    hexadecimal: object


@functools.cache
def _rules() -> _Rules:
    # Imported on first use: detect-secrets pulls in requests, and the window must open fast.
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
    from detect_secrets.plugins.npm import NpmDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector

    detectors = (AWSKeyDetector, AzureStorageKeyDetector, GitHubTokenDetector, GitLabTokenDetector,
                 NpmDetector, OpenAIDetector, PypiTokenDetector, SendGridDetector,
                 SlackDetector, SquareOAuthDetector, StripeDetector)
    shapes = tuple(pattern for detector in detectors for pattern in detector.denylist) + _GOOGLE_SHAPES
    return _Rules(shapes, tuple(PrivateKeyDetector.denylist), Base64HighEntropyString(), HexHighEntropyString())


def find_secret(text: str, language: str | None = None) -> str | None:
    """What kind of credential ``text`` (a file in ``language``) holds, for the log; None when none."""
    rules = _rules()
    for pattern in rules.shapes:
        # AKIAIOSFODNN7EXAMPLE and friends, from the providers' docs, are no one's credentials
        if any("EXAMPLE" not in match.group(0) for match in pattern.finditer(text)):
            return "token"
    for marker in rules.key_markers:
        for match in marker.finditer(text):
            window = text[match.end():match.end() + _KEY_BODY_WINDOW].replace("\\n", "\n")
            if _KEY_BODY.search(window):
                return "private key"
    lower = text.lower()
    matches = _ASSIGNMENT_LOWER.finditer(lower) if len(lower) == len(text) else _ASSIGNMENT_ANY_CASE.finditer(text)
    for match in matches:
        quote, value = match.group(1), text[match.start(2):match.end(2)]
        if not quote and language in _BARE_WORDS_ARE_CODE:
            continue
        if _looks_random(value, rules) and not _PLACEHOLDER.search(value):
            return "high-entropy assignment"
    return None


def _looks_random(value: str, rules: _Rules) -> bool:
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False  # identifiers, paths and words: a generated secret mixes letters and digits
    if _in_sequence(value) > 0.5:
        return False  # an alphabet (ABC...xyz0123456789+/): high entropy, but written in order
    scorer = rules.hexadecimal if _HEX.fullmatch(value) else rules.base64
    # detect-secrets' limits (3.0 for hex, 4.5 for base64) suit long values; a short value cannot
    # reach them (16 distinct characters give 4 bits at most), so the bar scales with the length.
    bar = min(scorer.entropy_limit, 0.85 * math.log2(len(value)))
    return scorer.calculate_shannon_entropy(value) > bar


def _in_sequence(value: str) -> float:
    """Share of neighbouring characters that follow each other in order (b after a, 1 after 0)."""
    steps = sum(ord(b) - ord(a) == 1 for a, b in zip(value, value[1:]))
    return steps / max(len(value) - 1, 1)
