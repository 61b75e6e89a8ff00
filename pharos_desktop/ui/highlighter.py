"""Syntax colouring with pygments: the lexing runs on a worker thread (``lex_lines``), the UI thread
only paints the precomputed tokens of each visible line (``TokenHighlighter``)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QColor, QFont, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextDocument

LineTokens = list[tuple[int, int, object]]  # (start column, length, pygments token type)
MAX_LEX_CHARS = 2_000_000


def lex_lines(text: str, path: str) -> list[LineTokens]:
    """Tokens of each line of ``text`` (off the UI thread: big files take a moment)."""
    from pygments.lexers import get_lexer_for_filename, guess_lexer
    from pygments.util import ClassNotFound

    if len(text) > MAX_LEX_CHARS:
        return []
    try:
        lexer = get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        try:
            lexer = guess_lexer(text[:4000], stripnl=False, stripall=False, ensurenl=False)
        except ClassNotFound:
            return []
    lines: list[LineTokens] = [[]]
    column = 0
    for token_type, value in lexer.get_tokens(text):
        pieces = value.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append([])
                column = 0
            if piece:
                lines[-1].append((column, len(piece), token_type))
                column += len(piece)
    return lines


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


@lru_cache(maxsize=4)
def _style(dark: bool):
    from pygments.styles import get_style_by_name

    return get_style_by_name("monokai" if dark else "default")


class TokenHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, dark: bool) -> None:
        super().__init__(document)
        self.lines: list[LineTokens] = []
        self.dark = dark
        self._formats: dict[object, QTextCharFormat] = {}

    def set_tokens(self, lines: list[LineTokens]) -> None:
        self.lines = lines
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        number = self.currentBlock().blockNumber()
        if number >= len(self.lines):
            return
        for start, length, token_type in self.lines[number]:
            self.setFormat(start, length, self._format(token_type))

    def _format(self, token_type: object) -> QTextCharFormat:
        fmt = self._formats.get(token_type)
        if fmt is None:
            fmt = QTextCharFormat()
            style = _style(self.dark).style_for_token(token_type)
            if style.get("color"):
                fmt.setForeground(QColor("#" + style["color"]))
            if style.get("bold"):
                fmt.setFontWeight(QFont.Weight.Bold)
            if style.get("italic"):
                fmt.setFontItalic(True)
            self._formats[token_type] = fmt
        return fmt
