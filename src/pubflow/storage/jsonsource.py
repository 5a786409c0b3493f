"""Reading pattern files as JSON, and finding where in the file any value sits.

`json.loads` is fast but forgets positions; check-jsonschema and ajv cannot say which line a
schema error is on for that reason. pubflow parses with the C decoder first (the fast path for
files that pass) and only when a finding needs a place does it build a position index of the
document with one regex-driven, non-recursive scan.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubflow.findings import Finding, Severity

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64

# Strings as an unrolled loop (runs of plain characters between escapes): a per-character
# alternation made locating a finding in a diagram string three times slower.
_TOKEN = re.compile(
    r'[ \t\r\n]*+(?:("[^"\\]*+(?:\\.[^"\\]*+)*+")|([{}\[\]:,])|([^ \t\r\n{}\[\]:,"]++))', re.S
)


@dataclass(slots=True)
class Position:
    """Where a value starts in the file (1-based line and column, column in code points)."""

    offset: int
    line: int
    column: int


@dataclass(slots=True)
class _Index:
    values: dict[str, int] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)


class JsonDocument:
    """A parsed JSON file that can say where each of its values is written."""

    def __init__(self, file: str, text: str, data: Any) -> None:
        self.file = file
        self.text = text
        self.data = data
        self._index: _Index | None = None
        self._scanner: Iterator[None] | None = None
        self._line_starts: list[int] | None = None

    def position_of_offset(self, offset: int) -> Position:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(offset, line, offset - self._line_starts[line - 1] + 1)

    def _offset_of(self, pointer: str, *, key: bool = False) -> int | None:
        """Scan only as far as needed: most findings sit near the top of a pattern."""
        if self._index is None:
            self._index = _Index()
            self._scanner = _scan(self.text, self._index)
        table = self._index.keys if key else self._index.values
        while pointer not in table and self._scanner is not None:
            try:
                next(self._scanner)
            except StopIteration:
                self._scanner = None
        return table.get(pointer)

    def value_position(self, pointer: str) -> Position:
        """The value at `pointer`, or the nearest enclosing value that exists."""
        probe = pointer
        offset = self._offset_of(probe)
        while offset is None and probe:
            probe = probe.rsplit("/", 1)[0]
            offset = self._offset_of(probe)
        return self.position_of_offset(offset or 0)

    def key_position(self, pointer: str) -> Position:
        """The member name of `pointer` (for unknown fields), else the value."""
        offset = self._offset_of(pointer, key=True)
        if offset is not None:
            return self.position_of_offset(offset)
        return self.value_position(pointer)

    def string_line_position(self, pointer: str, line_in_string: int) -> Position:
        """Where line `line_in_string` (1-based) of the string value at `pointer` begins, or,
        for a `LineInString`, where its column on that line is.

        Diagrams are JSON strings with `\\n` escapes; an error on diagram line 7 should take
        the editor to that spot inside the string, not merely to the start of the field.
        """
        return self.string_position(pointer, line_in_string,
                                    getattr(line_in_string, "column", 1))

    def string_position(self, pointer: str, line: int, column: int = 1) -> Position:
        """Where character `column` (1-based, in code points of the decoded text) of line
        `line` (1-based, lines split at LF) of the string value at `pointer` is written.

        The walk goes over the raw text, so every escape counts as the one character it
        stands for: `\\n` and `\\"` (two characters in the file), `\\u00e9` (six) and a
        surrogate pair `\\ud83d\\ude00` (twelve); `\\u000a` ends a line as `\\n` does.
        Anything that is not a string, or a place past its end, gives the value's start.
        """
        start = self._offset_of(pointer)
        if start is None or self.text[start:start + 1] != '"':
            return self.value_position(pointer)
        if line <= 1 and column <= 1:
            return self.position_of_offset(start)
        text = self.text
        end = len(text)
        i = start + 1
        current, col, line_start = 1, 1, i
        plain = _PLAIN_RUN.match
        while i < end:
            matched = plain(text, i)  # never None: the run may be empty
            run = (matched.end() if matched else i) - i  # characters written as themselves
            if current == line and col + run > column:
                return self.position_of_offset(i + column - col)
            i += run
            col += run
            if current == line and col == column:  # an escape, or the end of the line
                return self.position_of_offset(i)
            if i >= end or text[i] == '"':
                break
            width, char = _raw_char(text, i, end)
            if char == "\n":
                if current == line:  # the column is past the end of its line
                    return self.position_of_offset(line_start)
                current, col, line_start = current + 1, 1, i + width
            else:
                col += 1
            i += width
        return self.position_of_offset(line_start if current == line else start)


class LineInString(int):
    """A 1-based line inside a JSON string value that also says its 1-based column (code
    points of the decoded text), for `Issue.line_in_string`.

    It is an `int`, so everything that reads the line keeps working; the validation run's
    `locate` hands it to `JsonDocument.string_line_position`, which reads the column too.
    """

    column: int

    def __new__(cls, line: int, column: int = 1) -> LineInString:
        value = super().__new__(cls, line)
        value.column = column
        return value

    def __repr__(self) -> str:
        return f"LineInString({int(self)}, column={self.column})"


_PLAIN_RUN = re.compile(r'[^"\\\n]*+')
_ESCAPES = {"n": "\n", '"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "r": "\r",
            "t": "\t"}


def _raw_char(text: str, i: int, end: int) -> tuple[int, str]:
    """(raw width, decoded character) of the character written at `text[i]` in a string."""
    ch = text[i]
    if ch != "\\" or i + 1 >= end:
        return 1, ch
    kind = text[i + 1]
    if kind != "u":
        return 2, _ESCAPES.get(kind, kind)
    try:
        code = int(text[i + 2:i + 6], 16)
    except ValueError:
        return 2, "u"
    if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", i + 6):
        try:
            low = int(text[i + 8:i + 12], 16)
        except ValueError:
            low = 0
        if 0xDC00 <= low <= 0xDFFF:
            return 12, chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
    return 6, chr(code)


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_of(path: Any) -> str:
    """JSON pointer (RFC 6901) for a sequence of keys and indexes."""
    return "".join("/" + escape_pointer_token(str(p)) for p in path)


def _scan(text: str, index: _Index) -> Iterator[None]:
    """Fill `index` token by token, pausing after each entry so callers can stop early.

    Iterative on purpose: documents nested thousands deep must not exhaust the Python stack.
    """
    # Each frame: [pointer, is_object, next_array_index, pending_key_pointer]
    stack: list[list[Any]] = []
    expecting_key = False
    pending: str = ""
    for match in _TOKEN.finditer(text):
        string, punct, _bare = match.groups()
        start = match.start(1) if string is not None else (
            match.start(2) if punct is not None else match.start(3)
        )
        if punct is not None:
            if punct in "{[":
                pointer = _value_pointer(stack, pending)
                index.values[pointer] = start
                stack.append([pointer, punct == "{", 0])
                yield
                expecting_key = punct == "{"
            elif punct in "}]":
                if stack:
                    stack.pop()
                expecting_key = False
            elif punct == ",":
                expecting_key = bool(stack) and stack[-1][1]
            continue
        if expecting_key and string is not None:
            key = string[1:-1]
            if "\\" in key:  # only escaped names need decoding
                with contextlib.suppress(ValueError):
                    key = json.loads(string)
            pending = stack[-1][0] + "/" + escape_pointer_token(str(key))
            index.keys[pending] = start
            expecting_key = False
            yield
            continue
        index.values[_value_pointer(stack, pending)] = start
        yield


def _value_pointer(stack: list[list[Any]], pending: str) -> str:
    if not stack:
        return ""
    frame = stack[-1]
    if frame[1]:
        return pending
    pointer = f"{frame[0]}/{frame[2]}"
    frame[2] += 1
    return pointer


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A file that could not be turned into a JSON document; the findings say why and where."""

    findings: tuple[Finding, ...]


def load_json_file(path: Path, display: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> JsonDocument | LoadFailure:
    """Read, decode and parse one file; every way that can fail becomes a located finding."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return too_large(display, size, max_bytes)
        raw = path.read_bytes()
    except OSError as exc:
        return _fail(display, 1, 1, "file.unreadable", f"cannot read file: {exc.strerror or exc}",
                     "Check that the file exists and is readable.")
    return parse_json_bytes(raw, display)


def too_large(display: str, size: int, max_bytes: int) -> LoadFailure:
    """Refused before reading: a 50 MB "pattern" is a mistake, and reading it costs time."""
    return _fail(
        display, 1, 1, "json.too-large",
        f"file is {size / 1_048_576:.1f} MiB, larger than the {max_bytes / 1_048_576:.1f} MiB "
        "limit for a pattern",
        "A pattern is a few kilobytes; check that this is the right file, or raise "
        "`limits.max_file_bytes` in pubflow.yaml.",
    )


def parse_json_bytes(raw: bytes, display: str) -> JsonDocument | LoadFailure:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return _fail(
            display, line, column, "json.encoding",
            f"file is not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}",
            "Save the file as UTF-8 (JSON files must be UTF-8).",
        )
    if not text or text.isspace():  # (not `strip()`: that copies every file)
        return _fail(display, 1, 1, "json.empty", "file is empty; a pattern is one JSON object",
                     "Start from a valid pattern in examples/ or run `pubflow validate --help`.")
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return _fail(display, exc.lineno, exc.colno, "json.syntax", _syntax_message(text, exc),
                     "Fix the JSON syntax at this place; JSON allows no comments, trailing "
                     "commas or single quotes.")
    except _NonStandardConstant as exc:
        doc = JsonDocument(display, text, None)
        offset = _find_bare_token(text, exc.token)
        pos = doc.position_of_offset(offset)
        return _fail(display, pos.line, pos.column, "json.syntax",
                     f"'{exc.token}' is not valid JSON", "Use a number or null instead.")
    except RecursionError:
        return _deep_failure(display, text)
    doc = JsonDocument(display, text, data)
    depth_offset = depth_exceeded_at(text, MAX_DEPTH)
    if depth_offset is not None:
        pos = doc.position_of_offset(depth_offset)
        return _fail(display, pos.line, pos.column, "json.too-deep",
                     f"document is nested more than {MAX_DEPTH} levels deep",
                     "A pattern is at most a few levels deep; remove the nesting.")
    return doc


class _NonStandardConstant(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _NonStandardConstant(token)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""One decoder for every file: `json.loads` with an option builds a new one per call."""


def _find_bare_token(text: str, token: str) -> int:
    for match in _TOKEN.finditer(text):
        if match.group(3) is not None and token in match.group(3):
            return match.start(3)
    return 0


def depth_exceeded_at(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Offset of the first bracket nested deeper than `limit`, or None.

    Valid patterns are four levels deep; counting brackets outside strings is linear and
    only runs in full when the text contains a long run of opening brackets at all.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in _TOKEN.finditer(text):
        punct = match.group(2)
        if punct is None:
            continue
        if punct in "[{":
            depth += 1
            if depth > limit:
                return match.start(2)
        elif punct in "]}":
            depth -= 1
    return None


def _deep_failure(display: str, text: str) -> LoadFailure:
    offset = depth_exceeded_at(text, MAX_DEPTH) or 0
    doc = JsonDocument(display, text, None)
    pos = doc.position_of_offset(offset)
    return _fail(display, pos.line, pos.column, "json.too-deep",
                 f"document is nested more than {MAX_DEPTH} levels deep",
                 "A pattern is at most a few levels deep; remove the nesting.")


def _syntax_message(text: str, exc: json.JSONDecodeError) -> str:
    """Say what is wrong in an author's words; the decoder's own wording is kept as a fallback."""
    before = text[: exc.pos].rstrip()
    at = text[exc.pos : exc.pos + 1]
    if before.endswith(",") and at in "}]":
        return f"trailing comma before '{at}'"
    if exc.msg.startswith("Expecting property name") and at == "'":
        return "property names must use double quotes, not single quotes"
    if exc.msg == "Extra data":
        return "unexpected content after the end of the JSON document"
    if exc.msg.startswith("Invalid control character"):
        return "raw control character (such as a newline or tab) inside a string; write it as \\n or \\t"
    if exc.msg.startswith("Unterminated string"):
        return "string is never closed (missing '\"')"
    if exc.msg.startswith("Expecting value") and exc.pos >= len(text.rstrip()):
        return "unexpected end of file: the document is incomplete"
    if exc.msg.startswith("Expecting ',' delimiter"):
        return f"expected ',' or a closing bracket, found {_describe(at)}"
    return f"{exc.msg[0].lower()}{exc.msg[1:]}, found {_describe(at)}"


def _describe(ch: str) -> str:
    return "end of file" if not ch else repr(ch)


def _fail(display: str, line: int, column: int, rule: str, message: str, hint: str) -> LoadFailure:
    return LoadFailure((Finding(display, line, column, "", rule, Severity.ERROR, message, hint),))
