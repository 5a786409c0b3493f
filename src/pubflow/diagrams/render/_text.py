"""Text for SVG: XML-safe strings, a width estimate without a font, wrapping, numbers.

pubflow draws without a browser, so text is measured by a table of typical glyph widths of a
sans-serif font (slightly generous, so real fonts fit inside the boxes drawn around them).
"""

from __future__ import annotations

import math
import re
import unicodedata

FONT_SIZE = 13
LINE_HEIGHT = 16
ELLIPSIS = "\u2026"

# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Mermaid breaks a text at <br>, <br/>, <br /> (any case).
_LINE_BREAK = re.compile(r"<br\s*/?>|\r\n|[\r\n]", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\f\v]+")

_NARROW = frozenset("iljI.,:;'|!`")
_SEMI_NARROW = frozenset("frt()[]{}/\\\"- ")
_WIDE = frozenset("mwMW@%&")


def xml_text(text: str) -> str:
    """``text`` as XML character data: forbidden characters become U+FFFD, markup escaped."""
    text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    """``text`` inside a double-quoted attribute."""
    return xml_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _measure_em(char: str) -> float:
    if char in _NARROW:
        return 0.3
    if char in _SEMI_NARROW:
        return 0.4
    if char in _WIDE:
        return 0.9
    if char.isupper():
        return 0.68
    if char < "\u0300":
        return 0.54
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.05
    return 0.65


_EM: dict[str, float] = {chr(code): _measure_em(chr(code)) for code in range(32, 127)}


def _char_em(char: str) -> float:
    width = _EM.get(char)
    if width is None:
        width = _measure_em(char)
        if len(_EM) < 4096:  # the cache stays small; the value never depends on it
            _EM[char] = width
    return width


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated advance width of one line of ``text`` at ``size`` pixels."""
    em = _EM
    total = 0.0
    for char in text:
        width = em.get(char)
        total += _char_em(char) if width is None else width
    return total * size


def _split_word(word: str, max_width: float, size: float) -> list[str]:
    """A word wider than a line, cut into pieces that fit."""
    pieces: list[str] = []
    current = ""
    width = 0.0
    for char in word:
        char_width = _char_em(char) * size
        if current and width + char_width > max_width:
            pieces.append(current)
            current, width = "", 0.0
        current += char
        width += char_width
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, max_width: float, *, max_lines: int = 8, size: float = FONT_SIZE) -> list[str]:
    """``text`` as lines no wider than ``max_width``: Mermaid's ``<br>`` breaks first, then
    word wrapping; beyond ``max_lines`` the last line ends with an ellipsis. Never empty."""
    lines: list[str] = []
    truncated = False
    space = _char_em(" ") * size
    for paragraph in _LINE_BREAK.split(text):
        current = ""
        current_width = 0.0
        for word in _SPACES.sub(" ", paragraph).strip().split(" "):
            if not word:
                continue
            word_width = text_width(word, size)
            if not current and word_width <= max_width:
                current, current_width = word, word_width
                continue
            if current and current_width + space + word_width <= max_width:
                current += " " + word
                current_width += space + word_width
                continue
            if current:
                lines.append(current)
            pieces = _split_word(word, max_width, size) if word_width > max_width else [word]
            lines.extend(pieces[:-1])
            current = pieces[-1]
            current_width = text_width(current, size)
            if len(lines) > max_lines:
                break
        lines.append(current)
        if len(lines) > max_lines:
            truncated = True
            break
    # Blank lines at the ends carry nothing (``<br>`` at the end of a text).
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    while len(lines) > 1 and not lines[0]:
        lines.pop(0)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        truncated = True
    if truncated:
        last = lines[-1]
        while last and text_width(last + ELLIPSIS, size) > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + ELLIPSIS
    return lines or [""]


def lines_width(lines: list[str], size: float = FONT_SIZE) -> float:
    return max((text_width(line, size) for line in lines), default=0.0)


def num(value: float) -> str:
    """A coordinate as short, stable text: at most two decimals, no trailing zeros."""
    value = round(value, 2)
    whole = int(value)
    if value == whole:
        return str(whole)
    return f"{value:.2f}".rstrip("0")


def js_number(value: float) -> str:
    """A number as JavaScript prints it (autonumber labels): ``10``, ``1.5``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)
