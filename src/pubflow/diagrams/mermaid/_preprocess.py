"""What Mermaid does to the text before its sequence grammar sees it.

``mermaid.parse`` runs, in order: ``cleanupText`` (CRLF to LF), front-matter
extraction (YAML), ``%%{...}%%`` directive removal, whole-line ``%%`` comment
removal, ``trimStart``, diagram-type detection, then ``encodeEntities`` and an
appended newline. Each step is mirrored here, and a :class:`LineMap` remembers
which line of the caller's text every remaining line came from, so errors point
at the caller's lines even after front matter, directives and comments are gone.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from types import ModuleType
from typing import NamedTuple

from pubflow.diagrams.mermaid._jsregex import (
    DOT,
    JS_WHITESPACE_CHARS,
    WS,
    WS_EXCEPT_LINE_BREAKS,
    lazy_pattern,
)
from pubflow.diagrams.mermaid.errors import MermaidError

# Private-use stand-ins for the '#' and ';' of entity codes such as "#35;": Mermaid
# rewrites those codes before lexing so they neither start a comment nor end a
# statement. Same-length stand-ins keep every column where it was.
ENTITY_OPEN = "\ufdd0"
ENTITY_CLOSE = "\ufdd1"
_DECODE_ENTITIES = str.maketrans({ENTITY_OPEN: "#", ENTITY_CLOSE: ";"})

_FRONT_MATTER = lazy_pattern(
    rf"\A({WS_EXCEPT_LINE_BREAKS}*)-{{3}}{WS}*[\n\r](.*?)[\n\r]\1-{{3}}{WS}*[\n\r]+", re.S
)
_DIRECTIVE = lazy_pattern(
    rf"%%\{{{WS}*(?:(\w+){WS}*:|(\w+)){WS}*(?:(\w+)|((?:(?!\}}%%){DOT}|\r?\n)*))?"
    rf"{WS}*(?:\}}%%)?",
    re.ASCII | re.IGNORECASE,
)
_LINE_TERMINATORS = "\n\r\u2028\u2029"
_ENTITY = re.compile(r"#\w+;", re.ASCII)
_TAG_NAME = re.compile(r"[A-Za-z0-9_]+")
_DOUBLE_QUOTED_ATTRIBUTE = lazy_pattern(r'="([^"]*)"')

_SEQUENCE_HEADER = lazy_pattern(rf"\A{WS}*sequenceDiagram")
_C4 = lazy_pattern(rf"\A{WS}*C4Context|C4Container|C4Component|C4Dynamic|C4Deployment")
# Mermaid 11.17 registers its detectors in this order; the first match wins. Only the
# C4 one is unanchored, so "C4Container" anywhere in a sequence diagram makes it C4.
_OTHER_DIAGRAM_PATTERNS: tuple[tuple[str, str, int], ...] = (
        ("flowchart-elk", r"flowchart-elk", 0),
        ("mindmap", r"mindmap", 0),
        ("architecture", r"architecture", 0),
        ("kanban", r"kanban", 0),
        ("classDiagram", r"classDiagram", 0),
        ("erDiagram", r"erDiagram", 0),
        ("gantt", r"gantt", 0),
        ("info", r"info", 0),
        ("pie", r"pie", 0),
        ("requirementDiagram", r"requirement", 0),
        ("swimlane", r"swimlane-beta\b", re.ASCII),
        ("flowchart", r"flowchart|graph", 0),
        ("timeline", r"timeline", 0),
        ("gitGraph", r"gitGraph", 0),
        ("stateDiagram", r"stateDiagram", 0),
        ("journey", r"journey", 0),
        ("quadrantChart", r"quadrantChart", 0),
        ("sankey", r"sankey", 0),
        ("packet", r"packet", 0),
        ("xychart", r"xychart", 0),
        ("block", r"block", 0),
        ("treeView", r"treeView-beta", 0),
        ("eventmodeling", r"eventmodeling", 0),
        ("radar", r"radar-beta", 0),
        ("ishikawa", r"ishikawa(?:-beta)?\b", re.ASCII | re.IGNORECASE),
        ("treemap", r"treemap", 0),
        ("railroad", r"railroad-beta", re.IGNORECASE),
        ("railroad-ebnf", r"railroad-ebnf-beta", re.IGNORECASE),
        ("railroad-abnf", r"railroad-abnf-beta", re.IGNORECASE),
        ("railroad-peg", r"railroad-peg-beta", re.IGNORECASE),
        ("venn", r"venn-beta", 0),
        ("wardley", r"wardley-beta", re.IGNORECASE),
        ("cynefin", rf"cynefin-beta(?:[{WS[1:-1]}:]|\Z)", 0),
)


@cache
def _other_diagrams() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Compiled only for text that is not a sequence diagram: start-up time matters."""
    return tuple((name, re.compile(rf"\A{WS}*(?:{pattern})", flags))
                 for name, pattern, flags in _OTHER_DIAGRAM_PATTERNS)


def _yaml() -> ModuleType:
    """The YAML reader is needed only for front matter; import it on first use."""
    from pubflow.diagrams.mermaid import _yaml as module

    return module


class LineMap:
    """Maps a line of the preprocessed text back to the caller's line (both 1-based)."""

    __slots__ = ("offset", "origin")

    def __init__(self) -> None:
        self.offset = 0
        self.origin: list[int] | None = None

    def original_line(self, line: int) -> int:
        origin = self.origin
        if origin is None:
            return line + self.offset
        if not origin:
            return 1 + self.offset
        if line - 1 < len(origin):
            return origin[max(line - 1, 0)]
        return origin[-1] + line - len(origin)

    def drop_leading_lines(self, count: int) -> None:
        if self.origin is None:
            self.offset += count
        else:
            del self.origin[:count]

    def remove_spans(self, text: str, spans: list[tuple[int, int]]) -> str:
        """Cut the sorted, disjoint ``spans`` out of ``text`` in one pass.

        The line a span starts on absorbs the rest of the line it ends on; when the
        span starts its line, the joined line keeps the number of the line its
        remaining text came from.
        """
        if not spans:
            return text
        old = self.origin
        if old is None:
            first = 1 + self.offset
            old = list(range(first, first + text.count("\n") + 1))
        origin = [old[0]]
        pieces: list[str] = []
        old_line = 0  # line of the old text at `position`
        line_start = 0  # where that line starts in the old text
        position = 0
        for start, end in spans:
            kept = text[position:start]
            pieces.append(kept)
            breaks = kept.count("\n")
            if breaks:
                origin.extend(old[old_line + 1 : old_line + 1 + breaks])
                old_line += breaks
                line_start = position + kept.rfind("\n") + 1
            removed = text.count("\n", start, end)
            if removed:
                starts_its_line = not text[line_start:start].strip()
                old_line += removed
                line_start = text.rfind("\n", start, end) + 1
                if starts_its_line:
                    origin[-1] = old[old_line]
            position = end
        tail = text[position:]
        pieces.append(tail)
        breaks = tail.count("\n")
        origin.extend(old[old_line + 1 : old_line + 1 + breaks])
        self.origin = origin
        return "".join(pieces)


class PreparedText(NamedTuple):
    """The text exactly as Mermaid's jison lexer receives it, plus line bookkeeping."""

    code: str
    line_map: LineMap
    front_matter_title: str | None
    last_line: int
    """Last line of the caller's text with content; errors at the end point there."""

    def line_starts(self) -> list[int]:
        starts = [0]
        find = self.code.find
        position = find("\n")
        while position >= 0:
            starts.append(position + 1)
            position = find("\n", position + 1)
        return starts


def decode_entities(text: str) -> str:
    """Undo the entity stand-ins so ids and labels read as the author wrote them."""
    if ENTITY_OPEN in text or ENTITY_CLOSE in text:
        return text.translate(_DECODE_ENTITIES)
    return text


def _whitespace_run_start(code: str, position: int, floor: int) -> int:
    """Start of the whitespace run that ends at ``position`` (not before ``floor``)."""
    while position > floor and code[position - 1] in JS_WHITESPACE_CHARS:
        position -= 1
    return position


def _first_line_break(code: str, start: int, end: int) -> int:
    """First JavaScript line terminator in ``code[start:end]``, or -1."""
    found = [code.find(terminator, start, end) for terminator in _LINE_TERMINATORS]
    return min((index for index in found if index >= 0), default=-1)


def _comment_line_spans(code: str) -> list[tuple[int, int]]:
    """Spans of Mermaid's ``cleanupComments`` regex ``/^\\s*%%(?!{)[^\\n]+\\n?/gm``.

    Found in one pass instead of by regex, which backtracks quadratically over long
    runs of blank lines. A match starts at a line start, may run over blank lines,
    and needs ``%%``, then a character other than ``{`` or a line break.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    length = len(code)
    while True:
        index = code.find("%%", position)
        if index < 0:
            return spans
        run = _whitespace_run_start(code, index, position)
        if run == 0 or code[run - 1] in _LINE_TERMINATORS:
            start = run
        else:
            line_break = _first_line_break(code, run, index)
            start = line_break + 1 if line_break >= 0 else -1
        after = index + 2
        if start >= 0 and after < length and code[after] not in "{\n":
            end = code.find("\n", after)
            end = length if end < 0 else end + 1
            spans.append((start, end))
            position = end
        else:
            position = index + 1


def _replace_any_comments(code: str) -> str:
    """``detectType``'s ``text.replace(/\\s*%%.*\\n/gm, "\\n")``, in one pass."""
    pieces: list[str] = []
    position = 0
    kept_from = 0
    upcoming = dict.fromkeys(_LINE_TERMINATORS, -2)  # next position of each, -1: none left
    while True:
        index = code.find("%%", position)
        if index < 0:
            break
        for terminator, found in upcoming.items():
            if found != -1 and found < index:
                upcoming[terminator] = code.find(terminator, index)
        line_end = min((found for found in upcoming.values() if found >= 0), default=-1)
        if line_end >= 0 and code[line_end] == "\n":
            pieces.append(code[kept_from : _whitespace_run_start(code, index, kept_from)])
            pieces.append("\n")
            kept_from = position = line_end + 1
        else:
            position = index + 1
    pieces.append(code[kept_from:])
    return "".join(pieces)


def _quote_tag_attributes(text: str) -> str:
    """``cleanupText``: ``<tag a="x">`` becomes ``<tag a='x'>`` (one pass, no backtracking)."""
    pieces: list[str] = []
    kept_from = 0
    close = -1
    position = text.find("<")
    while position >= 0:
        if close < position:
            close = text.find(">", position)
            if close < 0:
                break
        name = _TAG_NAME.match(text, position + 1)
        if name:
            attributes = text[name.end() : close]
            if '="' in attributes:
                pieces.append(text[kept_from : name.end()])
                pieces.append(_DOUBLE_QUOTED_ATTRIBUTE.sub(r"='\1'", attributes))
                kept_from = close
            position = text.find("<", close + 1)
        else:
            position = text.find("<", position + 1)
    pieces.append(text[kept_from:])
    return "".join(pieces)


def _cleanup_text(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text and '="' in text:
        text = _quote_tag_attributes(text)
    return text


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _extract_front_matter(code: str, line_map: LineMap) -> tuple[str, str | None]:
    match = _FRONT_MATTER.match(code)
    if match is None:
        return code, None
    indent, body = match.group(1), match.group(2)
    if indent:
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line for line in body.split("\n")
        )
    body_first_line = _line_of(code, match.start(2))
    try:
        data = _yaml().load(body)
    except _yaml().YamlError as error:
        raise MermaidError(
            f"invalid YAML in the front matter: {error.message} "
            "(expected 'key: value' lines between the two '---' lines)",
            kind="parse_error",
            line=line_map.original_line(body_first_line + error.line - 1),
        ) from None
    title: str | None = None
    if isinstance(data, dict):
        raw_title = data.get("title")
        if raw_title not in (None, "", False, 0):
            title = str(raw_title)
    removed = match.end()
    line_map.drop_leading_lines(code.count("\n", 0, removed))
    return code[removed:], title


def _style_semicolon_to_drop(line: str, keyword: str) -> int:
    """Index of the ';' Mermaid's ``encodeEntities`` drops from ``keyword.*:\\S*#.*;``.

    Linear replacement for the backtracking regex: the match (if any) always ends at
    the last ';' of the line, so only its existence has to be decided.
    """
    start = line.find(keyword)
    last_semicolon = line.rfind(";")
    if start < 0 or last_semicolon < 0:
        return -1
    nearest_hash = -1  # nearest '#' to the right reachable through non-whitespace
    for index in range(len(line) - 1, start + len(keyword) - 1, -1):
        char = line[index]
        if char in JS_WHITESPACE_CHARS:
            nearest_hash = -1
        elif char == ":" and 0 <= nearest_hash < last_semicolon:
            return last_semicolon
        elif char == "#":
            nearest_hash = index
    return -1


def _drop_style_semicolons(code: str) -> str:
    changed = False
    lines = code.split("\n")
    for number, line in enumerate(lines):
        for keyword in ("style", "classDef"):
            drop = _style_semicolon_to_drop(line, keyword) if keyword in line else -1
            if drop >= 0:
                line = line[:drop] + line[drop + 1 :]
                lines[number] = line
                changed = True
    return "\n".join(lines) if changed else code


def _encode_entities(code: str) -> str:
    if ("style" in code or "classDef" in code) and "#" in code and ";" in code:
        code = _drop_style_semicolons(code)
    if "#" in code and ";" in code:
        code = _ENTITY.sub(lambda match: ENTITY_OPEN + match.group()[1:-1] + ENTITY_CLOSE, code)
    return code


def _first_words(code: str) -> str:
    return " ".join(code.split(None, 3)[:1])[:40]


def _detect_other_type(code: str, line_map: LineMap) -> None:
    """Raise the error Mermaid's ``detectType`` gives when the text is not a sequence."""
    detect = _FRONT_MATTER.sub("", code, count=1)
    if "%%" in detect:
        detect = _DIRECTIVE.sub("", detect)
        detect = _replace_any_comments(detect)
    stripped = detect.strip(JS_WHITESPACE_CHARS)
    first_line = line_map.original_line(1)
    if stripped.lower() == "error":
        raise MermaidError(
            "this is Mermaid's 'error' placeholder diagram, not a sequence diagram "
            "(expected 'sequenceDiagram' as the first statement)",
            kind="wrong_diagram_type",
            line=first_line,
        )
    if detect.lstrip(JS_WHITESPACE_CHARS).startswith("---"):
        raise MermaidError(
            "the text starts with '---' but no front matter was read: open and close it "
            "with unindented '---' lines (expected '---', YAML lines, '---', then "
            "'sequenceDiagram')",
            kind="no_diagram_type",
            line=first_line,
        )
    if _C4.search(detect):
        raise MermaidError(
            "Mermaid detects a C4 diagram here: the words C4Container, C4Component, "
            "C4Dynamic and C4Deployment anywhere in the text make it one "
            "(expected a sequence diagram without those words)",
            kind="wrong_diagram_type",
            line=first_line,
        )
    if _SEQUENCE_HEADER.match(detect):
        return
    for name, pattern in _other_diagrams():
        if pattern.match(detect):
            raise MermaidError(
                f"this is a {name} diagram, not a sequence diagram "
                "(expected 'sequenceDiagram' as the first statement)",
                kind="wrong_diagram_type",
                line=first_line,
            )
    found = _first_words(stripped)
    if found.lower().startswith("sequencediagram"):
        hint = "the header is case-sensitive: write 'sequenceDiagram'"
    elif found:
        hint = f"found '{found}'"
    else:
        hint = "the text is empty"
    raise MermaidError(
        f"no diagram type found: {hint} (expected 'sequenceDiagram' as the first statement)",
        kind="no_diagram_type",
        line=first_line,
    )


def prepare(text: str) -> PreparedText:
    """Run Mermaid's preprocessing and type detection; raise when it is no sequence diagram."""
    code = _cleanup_text(text)
    last_line = max(code.rstrip(JS_WHITESPACE_CHARS).count("\n") + 1, 1)
    line_map = LineMap()
    front_matter_title: str | None = None
    if "---" in code:
        code, front_matter_title = _extract_front_matter(code, line_map)
    if "%%" in code:
        if "{" in code:
            code = line_map.remove_spans(code, [m.span() for m in _DIRECTIVE.finditer(code)])
        code = line_map.remove_spans(code, _comment_line_spans(code))
    trimmed = code.lstrip(JS_WHITESPACE_CHARS)
    if len(trimmed) != len(code):
        line_map.drop_leading_lines(code.count("\n", 0, len(code) - len(trimmed)))
        code = trimmed
    if not code.startswith("sequenceDiagram") or "C4" in code:
        _detect_other_type(code, line_map)
    return PreparedText(_encode_entities(code) + "\n", line_map, front_matter_title, last_line)


def line_number(line_starts: list[int], position: int) -> int:
    """1-based line of ``position`` in the text whose line starts are given."""
    return bisect_right(line_starts, position)


__all__ = [
    "ENTITY_CLOSE",
    "ENTITY_OPEN",
    "LineMap",
    "PreparedText",
    "decode_entities",
    "line_number",
    "prepare",
]
