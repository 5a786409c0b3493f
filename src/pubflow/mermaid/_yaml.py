"""Just enough YAML to read what Mermaid reads with js-yaml (``JSON_SCHEMA``).

Mermaid loads YAML in two places: the ``---`` front matter before the header and the
``participant X@{ ... }`` configuration. A YAML error there rejects the diagram, and
the values that matter are the front-matter ``title`` and the participant ``type``
and ``alias``. This module reads the common subset (block mappings and sequences,
flow collections, plain and quoted scalars, comments) and reports the mistakes that
js-yaml rejects: tabs in indentation, unclosed quotes and brackets, bad indentation,
duplicate keys, a missing ``:``. Exotic YAML (anchors, tags, block scalars) is read
leniently rather than rejected.
"""

from __future__ import annotations

import re

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?\Z")
_KEY_VALUE = re.compile(
    r"""((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}\[\],&*!|>%@`][^#]*?|))"""
    r"""\s*:(?:\s+|\Z)"""
)
_MAX_NESTING = 100


class YamlError(Exception):
    """A YAML mistake js-yaml would throw on; ``line`` is 1-based within the YAML."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _resolve_plain(text: str) -> object:
    """JSON-schema resolution of a plain scalar (js-yaml ``JSON_SCHEMA``)."""
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    return text


def _strip_comment(text: str) -> str:
    """Drop a ``#`` comment that starts the text or follows whitespace, outside quotes."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or text[index - 1] in " \t[{,:"):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index].rstrip()
    return text.rstrip()


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
        if self.pos >= len(self.text):
            return None
        char = self.text[self.pos]
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
                while text[end - 1 - backslashes] == "\\" and end - 1 - backslashes >= start:
                    backslashes += 1
                if backslashes % 2:
                    index = end + 1
                    continue
            elif text.startswith("''", end):
                index = end + 2
                continue
            self.pos = end + 1
            body = text[start:end]
            return body.replace("''", "'") if quote == "'" else body

    def read_plain(self, in_flow: bool) -> object:
        text = self.text
        start = self.pos
        stop = ",[]{}\n" if in_flow else "\n"
        index = start
        while index < len(text) and text[index] not in stop:
            if (
                text[index] == ":"
                and in_flow
                and (index + 1 >= len(text) or text[index + 1] in " \t\r\n,[]{}")
            ):
                break
            if text[index] == "#" and index > start and text[index - 1] in " \t":
                break
            index += 1
        self.pos = index
        value = text[start:index].strip()
        if value[:1] in ("@", "`", "%", "|", ">") and in_flow:
            raise self.fail(f"unexpected character '{value[0]}' at the start of a plain scalar")
        return _resolve_plain(value)

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
            key_text = str(key)
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
    lines = text.split("\n")
    entries: list[tuple[int, int, str]] = []  # (line number, indent, content)
    for number, raw in enumerate(lines, start=1):
        stripped = raw.rstrip(" \t\r")
        content = stripped.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        indent = len(stripped) - len(content)
        if content[0] == "\t":
            raise YamlError("tabs cannot be used for indentation", number)
        if number == 1 and content in ("---", "..."):
            continue
        entries.append((number, indent, content))
    if not entries:
        return None
    return _BlockReader(entries).read_document()


class _BlockReader:
    """Indentation-driven reader for block mappings and sequences (iterative)."""

    def __init__(self, entries: list[tuple[int, int, str]]) -> None:
        self.entries = entries
        self.index = 0

    def read_document(self) -> object:
        value = self.read_node(self.entries[0][1], 0)
        if self.index < len(self.entries):
            number = self.entries[self.index][0]
            raise YamlError("end of the stream or a document separator is expected", number)
        return value

    def read_node(self, indent: int, depth: int) -> object:
        if depth > _MAX_NESTING:
            # Deeper than any real front matter: accept the rest unread, never recurse on.
            while self.index < len(self.entries) and self.entries[self.index][1] >= indent:
                self.index += 1
            return None
        _, _, content = self.entries[self.index]
        if content == "-" or content.startswith("- "):
            return self.read_sequence(indent, depth)
        if content[0] in "{[\"'" and not _KEY_VALUE.match(content):
            return self.read_flow_lines(indent)
        if _KEY_VALUE.match(content):
            return self.read_mapping(indent, depth)
        return self.read_plain_lines(indent)

    def read_flow_lines(self, indent: int) -> object:
        """A flow collection or quoted scalar that may continue on more indented lines."""
        number = self.entries[self.index][0]
        parts = [self.entries[self.index][2]]
        self.index += 1
        while self.index < len(self.entries) and self.entries[self.index][1] > indent:
            parts.append(self.entries[self.index][2])
            self.index += 1
        return load_flow("\n".join(parts), number)

    def read_plain_lines(self, indent: int) -> object:
        number = self.entries[self.index][0]
        parts = [_strip_comment(self.entries[self.index][2])]
        self.index += 1
        while self.index < len(self.entries) and self.entries[self.index][1] > indent:
            parts.append(_strip_comment(self.entries[self.index][2]))
            self.index += 1
        text = " ".join(parts)
        if text[:1] in ("@", "`"):
            raise YamlError(
                f"unexpected character '{text[0]}' at the start of a plain scalar", number
            )
        return _resolve_plain(text)

    def read_value_after_key(self, rest: str, number: int, indent: int, depth: int) -> object:
        rest = _strip_comment(rest)
        if rest:
            if rest[0] in "{[\"'":
                parts = [rest]
                while self.index < len(self.entries) and self.entries[self.index][1] > indent:
                    parts.append(self.entries[self.index][2])
                    self.index += 1
                return load_flow("\n".join(parts), number)
            if rest[0] in "|>":
                while self.index < len(self.entries) and self.entries[self.index][1] > indent:
                    self.index += 1
                return ""
            parts = [rest]
            while self.index < len(self.entries) and self.entries[self.index][1] > indent:
                following = self.entries[self.index]
                if _KEY_VALUE.match(following[2]) and not parts[-1].endswith(("'", '"')):
                    raise YamlError("bad indentation of a mapping entry", following[0])
                parts.append(_strip_comment(following[2]))
                self.index += 1
            text = " ".join(parts)
            if text[:1] in ("@", "`"):
                raise YamlError(
                    f"unexpected character '{text[0]}' at the start of a plain scalar", number
                )
            return _resolve_plain(text)
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
            number, line_indent, content = self.entries[self.index]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise YamlError("bad indentation of a mapping entry", number)
            match = _KEY_VALUE.match(content)
            if not match:
                if content == "-" or content.startswith("- "):
                    break
                raise YamlError(
                    "can not read a block mapping entry; a multiline key may not be an "
                    "implicit key",
                    number,
                )
            raw_key = match.group(1)
            key = raw_key[1:-1] if raw_key[:1] in "\"'" else raw_key.strip()
            if key in result:
                raise YamlError(f"duplicated mapping key '{key}'", number)
            self.index += 1
            result[key] = self.read_value_after_key(content[match.end() :], number, indent, depth)
        return result

    def read_sequence(self, indent: int, depth: int) -> list[object]:
        result: list[object] = []
        while self.index < len(self.entries):
            number, line_indent, content = self.entries[self.index]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise YamlError("bad indentation of a sequence entry", number)
            if not (content == "-" or content.startswith("- ")):
                break
            rest = content[1:].lstrip(" ")
            self.index += 1
            if not rest:
                result.append(self.read_value_after_key("", number, indent, depth))
                continue
            # "- key: value" opens a mapping indented at the item's content column.
            item_indent = line_indent + (len(content) - len(rest))
            self.index -= 1
            self.entries[self.index] = (number, item_indent, rest)
            result.append(self.read_node(item_indent, depth + 1))
        return result
