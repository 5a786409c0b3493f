"""Reading pattern files as JSON, and finding where in the file any value sits.

`json.loads` is fast but forgets positions; check-jsonschema and ajv cannot say which line a
schema error is on for that reason. pubflow parses with the C decoder first (the fast path for
files that pass) and only when a finding needs a place does it build a position index of the
document with one regex-driven, non-recursive scan.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
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
        self._scanner: Iterator[int] | None = None
        self._scanned = -1
        """Where the token scan (`_scan`) stands: the offset of the last entry it recorded."""
        self._reach = -1
        """Where it would stand had every lookup so far used it (`_offset_of`)."""

    def position_of_offset(self, offset: int) -> Position:
        """Line and column of `offset`, counted by the C string methods (a finding or two
        per file: cheaper than an index of every line start)."""
        text = self.text
        return Position(offset, text.count("\n", 0, offset) + 1,
                        offset - text.rfind("\n", 0, offset))

    def _offset_of(self, pointer: str, *, key: bool = False) -> int | None:
        """Where the value (or member name) at `pointer` is written: the answer of a token
        scan of the document that goes only as far as each lookup needs (most findings sit
        near the top of a pattern), so that of a member written twice the scan finds the
        first, or the last one it has already passed.

        A pointer that is written once (no name along it written twice in its object) is
        found without the scan, by the C scanner's skips (`_written_once`), and the scan is
        told how far it would have gone; any other goes to the scan itself."""
        found = _written_once(self.text, self.data, pointer, key)
        if found is not _TWICE:
            reach = _EXHAUSTED if found is None else found
            if reach > self._reach:
                self._reach = reach
            return found if found is None or isinstance(found, int) else None
        if self._index is None:
            self._index = _Index()
            self._scanner = _scan(self.text, self._index)
        while self._scanned < self._reach and self._scanner is not None:
            self._advance()  # where the lookups so far would have left the scan
        table = self._index.keys if key else self._index.values
        while pointer not in table and self._scanner is not None:
            self._advance()
        self._reach = max(self._reach, self._scanned)
        return table.get(pointer)

    def _advance(self) -> None:
        assert self._scanner is not None
        try:
            self._scanned = next(self._scanner)
        except StopIteration:
            self._scanner = None
            self._scanned = _EXHAUSTED

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


def _scan(text: str, index: _Index) -> Iterator[int]:
    """Fill `index` token by token, pausing after each entry (saying where it starts) so
    callers can stop early.

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
                yield start
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
            yield start
            continue
        index.values[_value_pointer(stack, pending)] = start
        yield start


def _value_pointer(stack: list[list[Any]], pending: str) -> str:
    if not stack:
        return ""
    frame = stack[-1]
    if frame[1]:
        return pending
    pointer = f"{frame[0]}/{frame[2]}"
    frame[2] += 1
    return pointer


_EXHAUSTED = 1 << 62
"""The scan's place once it has read the whole document."""
_TWICE = object()
"""`_written_once`'s answer for a pointer it cannot place alone."""
_SPACE = re.compile(r"[ \t\n\r]*")
_PLAIN_NAME = re.compile(r'[^"\\/\x00-\x1f]*').fullmatch
"""A member name that can be written in only one way unless with a `\\u` escape."""
_scan_value: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009
_scan_string: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009


def _skip(text: str, at: int) -> int:
    """Past the JSON whitespace at `at`."""
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _written_once(text: str, data: Any, pointer: str, key: bool) -> Any:
    """The offset of the value (or member name, `key`) at `pointer` when every name along it
    is written once in its object: None when there is no such value, `_TWICE` when some name
    is written twice (or anything else makes the answer uncertain: the token scan decides).

    A name that occurs once in the whole text (written as itself, no `\\u` escape in the
    text) is found with `str.find`; otherwise the members of its object are read with the
    C scanner (names decoded, values skipped), which also tells whether the name repeats.
    Array elements are skipped with the C scanner too. `data`, the parsed document, says
    whether a value exists before any text is searched."""
    try:
        at = _skip(text, 0)
        if not pointer:
            return None if key else at
        if not pointer.startswith("/"):
            return None
        node = data
        escapes = "\\u" in text
        tokens = pointer[1:].split("/")
        last = len(tokens) - 1
        for depth, raw in enumerate(tokens):
            token = raw.replace("~1", "/").replace("~0", "~") if "~" in raw else raw
            opener = text[at]
            if opener == "{":
                if not isinstance(node, dict) or token not in node:
                    return None
                quoted = f'"{token}"'
                if not escapes and _PLAIN_NAME(token) and text.count(quoted) == 1:
                    name_at = text.find(quoted)
                    value_at = _skip(text, _skip(text, name_at + len(quoted)) + 1)
                else:
                    places = [(n, v) for name, n, v in _members(text, at) if name == token]
                    if len(places) != 1:
                        return _TWICE
                    name_at, value_at = places[0]
                if depth == last:
                    return name_at if key else value_at
                node, at = node[token], value_at
            elif opener == "[":
                if not (isinstance(node, list) and token.isascii() and token.isdigit()
                        and str(int(token)) == token and int(token) < len(node)) or (
                        key and depth == last):
                    return None
                at = _skip(text, at + 1)
                for _ in range(int(token)):
                    at = _skip(text, _scan_value(text, at)[1]) + 1  # past the comma
                    at = _skip(text, at)
                if depth == last:
                    return at
                node = node[int(token)]
            else:
                return None
        return None
    except (ValueError, IndexError, TypeError, KeyError, StopIteration, RecursionError):
        return _TWICE


def _members(text: str, at: int) -> Iterator[tuple[str, int, int]]:
    """(name, where the name is, where the value is) of each member of the object whose
    `{` is at `at`, in order."""
    at = _skip(text, at + 1)
    if text[at] == "}":
        return
    while True:
        name, end = _scan_string(text, at + 1)
        value_at = _skip(text, _skip(text, end) + 1)
        yield name, at, value_at
        at = _skip(text, _scan_value(text, value_at)[1])
        if text[at] != ",":
            return
        at = _skip(text, at + 1)



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
    if _fast_decode is not None:
        try:
            fast = _fast_decode(raw)
        except Exception:  # any refusal: the standard decoder words it below
            pass
        else:
            return _checked_depth(JsonDocument(display, text, fast))
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
    return _checked_depth(JsonDocument(display, text, data))


def _checked_depth(doc: JsonDocument) -> JsonDocument | LoadFailure:
    depth_offset = depth_exceeded_at(doc.text, MAX_DEPTH)
    if depth_offset is not None:
        pos = doc.position_of_offset(depth_offset)
        return _fail(doc.file, pos.line, pos.column, "json.too-deep",
                     f"document is nested more than {MAX_DEPTH} levels deep",
                     "A pattern is at most a few levels deep; remove the nesting.")
    return doc


_fast_decode: Callable[[bytes], Any] | None = None
"""msgspec's JSON decoder, once `use_fast_decoder` has been called; else None (json only)."""


def use_fast_decoder() -> None:
    """Decode with msgspec from now on in this process: 2-3x faster than `json` on a pattern.

    For runs over many files only: importing msgspec costs ~18 ms, a one-file run's budget.
    Whatever msgspec accepts, it decodes to exactly what `json` gives (same values, types,
    big integers, key order; a repeated key keeps its last value); whatever it refuses
    (NaN, a lone surrogate `\\ud800`, a number beyond a double, a syntax error) goes to
    `json`, which accepts it or words the error as before. A test holds the two together."""
    global _fast_decode
    if _fast_decode is None:
        try:
            import msgspec
        except ImportError:  # pragma: no cover - a platform without its wheel: json alone
            return
        _fast_decode = msgspec.json.Decoder().decode


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
