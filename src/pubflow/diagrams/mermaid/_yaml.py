"""Just enough YAML to read what Mermaid reads with js-yaml (``JSON_SCHEMA``).

Mermaid loads YAML in two places: the ``---`` front matter before the header and the
``participant X@{ ... }`` configuration. A YAML error there rejects the whole diagram,
and the values that matter are the front-matter ``title`` and the participant
``type`` and ``alias``. This module reads the subset people write (block mappings
and sequences, flow collections, plain and quoted scalars, comments, block scalars)
and rejects what js-yaml rejects in it: tab indentation, unclosed quotes and
brackets, bad indentation, duplicate keys, stray indicators, unknown tags and
aliases. It was checked against js-yaml on thousands of generated documents.
"""

from __future__ import annotations

import re

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?\Z")
# "key:" followed by a space or the end: a block mapping entry (key plain or quoted).
_KEY_VALUE = re.compile(
    r"""((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}\[\],&*!|>%@`?:-][^#]*?|[?:-][^\s#]"""
    r"""[^#]*?|))[ \t]*:(?:[ \t]+|\Z)"""
)
_BLOCK_SCALAR_HEADER = re.compile(r"[|>][1-9+-]*[1-9+-]*(?:[ \t]+#.*)?[ \t]*\Z")
_ANCHOR = re.compile(r"&[^\s,\[\]{}]+[ \t]*")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_MAX_NESTING = 100

# (line number, indentation, content, tab in the indentation, a comment line precedes it)
_Entry = tuple[int, int, str, bool, bool]


class YamlError(Exception):
    """A YAML mistake js-yaml would throw on; ``line`` is 1-based within the YAML."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _resolve_plain(text: str) -> object:
    """JSON-schema resolution of a plain scalar (js-yaml ``JSON_SCHEMA``)."""
    if text == "null" or not text:
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    return text


def _check_plain_start(text: str, line: int, in_flow: bool) -> str:
    """Reject what cannot start a plain scalar; returns the text without an anchor."""
    if text[:1] == "&":
        anchor = _ANCHOR.match(text)
        text = text[anchor.end() :] if anchor else ""
    if not text:
        return text
    first = text[0]
    follower = text[1:2]
    if first in "]},@`%" or (first in "|>" and in_flow):
        raise YamlError(f"unexpected character '{first}' at the start of a plain scalar", line)
    if first == "*":
        raise YamlError(f'unidentified alias "{text[1:].split()[0] if text[1:] else ""}"', line)
    if first == "!" and not text.startswith("!!"):
        raise YamlError(f"unknown tag {text.split()[0]}", line)
    if first in "-?:" and (not follower or follower in " \t" or (in_flow and follower in ",[]{}")):
        raise YamlError(f"unexpected indicator '{first}' at the start of a plain scalar", line)
    return text


def _strip_comment(text: str) -> tuple[str, bool]:
    """Drop a ``#`` comment that starts the text or follows whitespace, outside quotes."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or text[index - 1] in " \t[{,:"):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index].rstrip(), True
    return text.rstrip(), False


def _unescape_double(body: str, line: int) -> str:
    if "\\" not in body:
        return body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        code = body[index + 1 : index + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            index += 2
        elif code in _HEX_ESCAPES:
            digits = body[index + 2 : index + 2 + _HEX_ESCAPES[code]]
            if len(digits) != _HEX_ESCAPES[code] or any(
                d not in "0123456789abcdefABCDEF" for d in digits
            ):
                raise YamlError("expected hexadecimal character", line)
            out.append(chr(min(int(digits, 16), 0x10FFFF)))
            index += 2 + len(digits)
        elif code == "\n":
            index += 2
        else:
            raise YamlError("unknown escape sequence", line)
    return "".join(out)


class _FlowReader:
    """Reads one flow collection or scalar, e.g. ``{ "type": "database" }``."""

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.pos = 0
        self.line = line

    def fail(self, message: str) -> YamlError:
        return YamlError(message, self.line + self.text.count("\n", 0, self.pos))

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif char == "#" and (self.pos == 0 or text[self.pos - 1] in " \t\r\n"):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                break

    def read_value(self, depth: int, in_flow: bool) -> object:
        if depth > _MAX_NESTING:
            raise self.fail("nesting too deep")
        self.skip_space()
        if self.text.startswith("&", self.pos):
            anchor = _ANCHOR.match(self.text, self.pos)
            self.pos = anchor.end() if anchor else len(self.text)
            self.skip_space()
        if self.pos >= len(self.text):
            return None
        char = self.text[self.pos]
        if in_flow and char in ",]}":
            return None
        if char == "{":
            return self.read_mapping(depth)
        if char == "[":
            return self.read_sequence(depth)
        if char in "\"'":
            return self.read_quoted(char)
        return self.read_plain(in_flow)

    def read_quoted(self, quote: str) -> str:
        text = self.text
        start = self.pos + 1
        index = start
        while True:
            end = text.find(quote, index)
            if end < 0:
                raise self.fail("unexpected end of the stream within a quoted scalar")
            if quote == '"':
                backslashes = 0
                while end - 1 - backslashes >= start and text[end - 1 - backslashes] == "\\":
                    backslashes += 1
                if backslashes % 2:
                    index = end + 1
                    continue
            elif text.startswith("''", end):
                index = end + 2
                continue
            self.pos = end + 1
            body = text[start:end]
            if quote == "'":
                return body.replace("''", "'")
            return _unescape_double(body, self.line + text.count("\n", 0, start))

    def read_plain(self, in_flow: bool) -> object:
        text = self.text
        start = self.pos
        stop = ",[]{}\n" if in_flow else "\n"
        index = start
        while index < len(text) and text[index] not in stop:
            if text[index] == ":" and (index + 1 >= len(text) or text[index + 1] in " \t\r\n,[]{}"):
                break
            if text[index] == "#" and index > start and text[index - 1] in " \t":
                break
            index += 1
        self.pos = index
        value = text[start:index].strip()
        if index == start:
            raise self.fail(f"unexpected character '{text[start]}'")
        return _resolve_plain(_check_plain_start(value, self.line, in_flow))

    def read_mapping(self, depth: int) -> dict[str, object]:
        self.pos += 1
        result: dict[str, object] = {}
        while True:
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail("unexpected end of the stream within a flow collection")
            if self.text[self.pos] == "}":
                self.pos += 1
                return result
            key = self.read_value(depth + 1, in_flow=True)
            self.skip_space()
            value: object = None
            if self.pos < len(self.text) and self.text[self.pos] == ":":
                self.pos += 1
                value = self.read_value(depth + 1, in_flow=True)
                self.skip_space()
            key_text = "null" if key is None else str(key)
            if key_text in result:
                raise self.fail(f"duplicated mapping key '{key_text}'")
            result[key_text] = value
            if self.pos >= len(self.text):
                raise self.fail("unexpected end of the stream within a flow collection")
            char = self.text[self.pos]
            if char == ",":
                self.pos += 1
            elif char != "}":
                raise self.fail("missed comma between flow collection entries")

    def read_sequence(self, depth: int) -> list[object]:
        self.pos += 1
        result: list[object] = []
        while True:
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail("unexpected end of the stream within a flow collection")
            if self.text[self.pos] == "]":
                self.pos += 1
                return result
            result.append(self.read_value(depth + 1, in_flow=True))
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.fail("unexpected end of the stream within a flow collection")
            char = self.text[self.pos]
            if char == ",":
                self.pos += 1
            elif char != "]":
                raise self.fail("missed comma between flow collection entries")


def load_flow(text: str, first_line: int = 1) -> object:
    """Load a document that is a single flow node, e.g. ``{ "type": "database" }``."""
    reader = _FlowReader(text, first_line)
    value = reader.read_value(0, in_flow=False)
    reader.skip_space()
    if reader.pos < len(text):
        raise reader.fail("end of the stream or a document separator is expected")
    return value


def load(text: str) -> object:
    """Load a small YAML document; raises :class:`YamlError` where js-yaml would."""
    entries: list[_Entry] = []
    comment_seen = False
    document_ended = False
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.lstrip(" \t")
        if not content.rstrip(" \t\r"):
            continue
        if content.startswith("#"):
            comment_seen = True
            continue
        leading = raw[: len(raw) - len(content)]
        content = content.rstrip(" \t\r")
        if not leading and content in ("---", "..."):
            if entries or document_ended:
                if content == "...":
                    document_ended = True
                    continue
                raise YamlError("expected a single document in the stream, but found more", number)
            if content == "...":
                document_ended = True
            continue
        if document_ended:
            raise YamlError("expected a single document in the stream, but found more", number)
        indent = leading.index("\t") if "\t" in leading else len(leading)
        entries.append((number, indent, content, "\t" in leading, comment_seen))
        comment_seen = False
    if not entries:
        return None
    return _BlockReader(entries).read_document()


class _BlockReader:
    """Indentation-driven reader for block mappings and sequences."""

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        self.index = 0

    def read_document(self) -> object:
        number, indent, content, _, _ = self.entries[0]
        if not _KEY_VALUE.match(content) and not (content == "-" or content.startswith("- ")):
            # A root scalar may continue on lines indented at least as far as it starts.
            if content[0] in "{[\"'":
                value = self.read_flow_lines(indent - 1)
            else:
                value = self.read_plain_lines(indent - 1)
        else:
            self.check_tab(0)
            value = self.read_node(indent, 0)
        if self.index < len(self.entries):
            number = self.entries[self.index][0]
            raise YamlError("end of the stream or a document separator is expected", number)
        return value

    def check_tab(self, index: int) -> None:
        if self.entries[index][3]:
            raise YamlError(
                "tab characters must not be used in indentation", self.entries[index][0]
            )

    def read_node(self, indent: int, depth: int) -> object:
        if depth > _MAX_NESTING:
            # Deeper than any real front matter: accept the rest unread, never recurse on.
            while self.index < len(self.entries) and self.entries[self.index][1] >= indent:
                self.index += 1
            return None
        content = self.entries[self.index][2]
        if content == "-" or content.startswith("- "):
            return self.read_sequence(indent, depth)
        if _KEY_VALUE.match(content):
            return self.read_mapping(indent, depth)
        if content[0] in "{[\"'":
            return self.read_flow_lines(indent)
        return self.read_plain_lines(indent)

    def continuation(self, indent: int) -> list[_Entry]:
        start = self.index
        while self.index < len(self.entries) and self.entries[self.index][1] > indent:
            self.index += 1
        return self.entries[start : self.index]

    def read_flow_lines(self, indent: int) -> object:
        """A flow collection or quoted scalar that may continue on more indented lines."""
        number = self.entries[self.index][0]
        self.index += 1
        parts = [self.entries[self.index - 1][2]]
        parts.extend(entry[2] for entry in self.continuation(indent))
        return load_flow("\n".join(parts), number)

    def read_plain_lines(self, indent: int) -> object:
        number, _, first, _, _ = self.entries[self.index]
        self.index += 1
        return self.read_plain_value(first, number, indent)

    def read_plain_value(self, first: str, number: int, indent: int) -> object:
        if first[:1] in "|>":
            if not _BLOCK_SCALAR_HEADER.match(first):
                raise YamlError("a line break is expected", number)
            self.continuation(indent)
            return ""
        text, commented = _strip_comment(first)
        text = _check_plain_start(text, number, in_flow=False)
        parts = [text]
        for following_number, _, following, _, after_comment in self.continuation(indent):
            if commented or after_comment or _KEY_VALUE.match(following):
                raise YamlError("bad indentation of a mapping entry", following_number)
            following, commented = _strip_comment(following)
            parts.append(following)
        value = " ".join(part for part in parts if part)
        if ": " in value or value.endswith(":") or ":\t" in value:
            raise YamlError("bad indentation of a mapping entry", number)
        return _resolve_plain(value)

    def read_value_after_key(self, rest: str, number: int, indent: int, depth: int) -> object:
        if rest and not rest.startswith("#"):
            if rest[0] in "{[\"'":
                parts = [rest] + [entry[2] for entry in self.continuation(indent)]
                return load_flow("\n".join(parts), number)
            return self.read_plain_value(rest, number, indent)
        if self.index < len(self.entries):
            child_indent = self.entries[self.index][1]
            child = self.entries[self.index][2]
            if child_indent > indent or (
                child_indent == indent and (child == "-" or child.startswith("- "))
            ):
                return self.read_node(child_indent, depth + 1)
        return None

    def read_mapping(self, indent: int, depth: int) -> dict[str, object]:
        result: dict[str, object] = {}
        while self.index < len(self.entries):
            number, line_indent, content, _, _ = self.entries[self.index]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise YamlError("bad indentation of a mapping entry", number)
            self.check_tab(self.index)
            match = _KEY_VALUE.match(content)
            if not match:
                if content == "-" or content.startswith("- "):
                    break
                raise YamlError(
                    "can not read a block mapping entry; a multiline key may not be an "
                    "implicit key",
                    number,
                )
            raw_key = match.group(1).strip()
            key = raw_key[1:-1] if raw_key[:1] in "\"'" else raw_key
            if key in result:
                raise YamlError(f"duplicated mapping key '{key}'", number)
            self.index += 1
            result[key] = self.read_value_after_key(content[match.end() :], number, indent, depth)
        return result

    def read_sequence(self, indent: int, depth: int) -> list[object]:
        result: list[object] = []
        while self.index < len(self.entries):
            number, line_indent, content, tab, after_comment = self.entries[self.index]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise YamlError("bad indentation of a sequence entry", number)
            self.check_tab(self.index)
            if not (content == "-" or content.startswith("- ")):
                break
            rest = content[1:].lstrip(" \t")
            if not rest or rest.startswith("#"):
                self.index += 1
                result.append(self.read_value_after_key("", number, indent, depth))
                continue
            # "- key: value" opens a mapping indented at the item's content column.
            item_indent = line_indent + (len(content) - len(rest))
            self.entries[self.index] = (number, item_indent, rest, tab, after_comment)
            if _KEY_VALUE.match(rest) or rest == "-" or rest.startswith("- "):
                result.append(self.read_node(item_indent, depth + 1))
            else:
                self.index += 1
                result.append(self.read_value_after_key(rest, number, line_indent, depth))
        return result
