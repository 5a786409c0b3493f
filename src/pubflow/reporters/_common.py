"""What several reporters need, written once so the formats cannot drift apart.

Only the standard library and pubflow's own modules are imported here: the pre-commit hook
renders text on every commit and must not pay for rich or jsonschema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pubflow.checks.scorecard import MAX_TOTAL
from pubflow.findings import CHECK_GROUPS, FileResult, Finding, Severity, Summary

STATUS_READY = "ready_for_review"
STATUS_FAILED = "validation_failed"

CHECK_LABELS: dict[str, str] = {group: group.capitalize() for group in CHECK_GROUPS}
"""Column and row titles for the check groups (`Schema`, `Scorecard`, ...), in report order."""


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_sentence(summary: Summary) -> str:
    """One line that answers "can these patterns go to review?", shared by text and Markdown."""
    if summary.files == 0:
        return "no files checked"
    marginal = f", {summary.marginal} marginal" if summary.marginal else ""
    other = [plural(summary.warnings, "warning")] if summary.warnings else []
    if summary.notes:
        other.append(plural(summary.notes, "note"))
    if summary.passed:
        head = f"{plural(summary.files, 'file')} checked: all passed"
        if other:
            head += " with " + ", ".join(other)
        return f"{head}; {summary.ready} ready for review{marginal}"
    counts = ", ".join([plural(summary.errors, "error"), *other])
    return (f"{counts} in {summary.files_with_findings} of {plural(summary.files, 'file')}; "
            f"{plural(summary.ready, 'pattern')} ready for review{marginal}")


def pattern_status(result: FileResult) -> str:
    """Beat 7's verdict for one pattern, as a stable machine-readable word."""
    return STATUS_READY if result.ready_for_review else STATUS_FAILED


def score_text(result: FileResult) -> str | None:
    """`31/40`, or None when the scorecard could not be read."""
    total = result.facts.score_total
    return None if total is None else f"{total}/{MAX_TOTAL}"


# --- making untrusted text safe to show --------------------------------------------------------
# Messages quote pattern content (field names, diagram lines), so they may hold control
# characters or lone surrogates from JSON `\uXXXX` escapes. Written raw, those would drive the
# terminal, break XML, or make the UTF-8 encoder raise when the report is saved.

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the line and
# paragraph separators reorder or split what a reader sees without being seen themselves.
_SURROGATES = "[\ud800-\udfff]"
_INVISIBLE = "\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]"
_UNPRINTABLE_KEEP_NEWLINE = f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]"


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """Compiled on first use: a clean run prints no finding and should not pay for these."""
    return re.compile(pattern)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Show control characters, bidi overrides and lone surrogates as `\\x1b`-style escapes.

    Tabs always stay; newlines stay only where the caller lays out continuation lines itself.
    """
    pattern = _UNPRINTABLE_KEEP_NEWLINE if keep_newlines else _UNPRINTABLE
    return _regex(pattern).sub(_escape_char, text)


def without_surrogates(text: str) -> str:
    """Replace lone surrogates (unencodable in UTF-8) and keep everything else exactly."""
    if text.isascii():  # nearly all output, and a hundred times cheaper than the regex
        return text
    return _regex(_SURROGATES).sub("\ufffd", text)


_ONE_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def json_chunks(document: Any, *, expand: int) -> Iterator[str]:
    """JSON and SARIF: readable Unicode, always encodable, final newline, written in pieces.

    The outer `expand` levels of objects and arrays have one member per line (two-space
    indent); anything deeper is written on one line, so a report has one line per pattern
    (or per SARIF result) that `grep` finds whole. The single lines come from the C encoder
    (`indent=` switches `json` to its pure-Python encoder, which took seconds and tens of
    megabytes on ten thousand patterns). An iterator in `document` is written as an array,
    one item at a time, so a report of any size is never held whole in memory.
    """
    for piece in _layout(document, expand, ""):
        yield without_surrogates(piece)
    yield "\n"


def _layout(value: Any, expand: int, indent: str) -> Iterator[str]:
    if expand <= 0 or not isinstance(value, dict | list | Iterator):
        yield _one_line(value)
        return
    inner = indent + "  "
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items, opening, closing = value.items(), "{", "}"
    else:
        items, opening, closing = ((None, v) for v in value), "[", "]"
    empty = True
    for key, item in items:
        prefix = f"{opening}\n{inner}" if empty else f",\n{inner}"
        empty = False
        if key is not None:
            prefix += _ONE_LINE.encode(key if isinstance(key, str) else str(key)) + ": "
        if expand == 1:  # a line of its own: one piece with its prefix
            yield prefix + _one_line(item)
            continue
        yield prefix
        yield from _layout(item, expand - 1, inner)
    yield opening + closing if empty else f"\n{indent}{closing}"


def _one_line(value: Any) -> str:
    return _ONE_LINE.encode(list(value) if isinstance(value, Iterator) else value)


def compact_json(value: Any) -> str:
    """`value` on one line, as `json_chunks` writes its inner levels (surrogates kept)."""
    return _ONE_LINE.encode(value)


def joined_lines(lines: Iterable[str]) -> Iterator[str]:
    """Each line with its newline, without trailing blank lines: a Markdown document's text,
    produced as the lines come."""
    blanks = 0
    for line in lines:
        if not line:
            blanks += 1
            continue
        if blanks:
            yield "\n" * blanks
            blanks = 0
        yield line + "\n"


# --- compiler-style finding lines (text output, JUnit bodies) ----------------------------------


Role = Literal["location", "error", "warning", "note", "hint", "good"]


@dataclass(frozen=True, slots=True)
class Palette:
    """ANSI SGR sequences per role; the default is all-empty, i.e. plain text."""

    location: str = ""
    error: str = ""
    warning: str = ""
    note: str = ""
    hint: str = ""
    good: str = ""
    reset: str = ""

    def paint(self, role: Role, text: str) -> str:
        code: str = getattr(self, role)
        return f"{code}{text}{self.reset}" if code else text

    def severity(self, severity: Severity) -> str:
        return self.paint(severity.value, severity.value)


PLAIN = Palette()
ANSI = Palette(
    location="\x1b[1m",
    error="\x1b[1;31m",
    warning="\x1b[1;33m",
    note="\x1b[1;36m",
    hint="\x1b[2m",
    good="\x1b[1;32m",
    reset="\x1b[0m",
)

HINT_PREFIX = "  hint: "
CONTINUATION = "  "


def location(finding: Finding) -> str:
    return f"{printable(finding.file)}:{finding.line}:{finding.column}"


def finding_lines(finding: Finding, palette: Palette = PLAIN) -> list[str]:
    """`file:line:col: severity[rule] message`, then the hint, one finding per first line.

    Editors and CI problem matchers parse the first line only, so a multi-line message or
    hint continues on indented lines instead of starting a line that looks like a new finding.
    """
    first, *rest = printable(finding.message, keep_newlines=True).split("\n")
    lines = [f"{palette.paint('location', location(finding) + ':')} "
             f"{palette.severity(finding.severity)}[{printable(finding.rule)}] {first}"]
    lines.extend(CONTINUATION + line for line in rest)
    if finding.hint:
        hint_first, *hint_rest = printable(finding.hint, keep_newlines=True).split("\n")
        indent = " " * len(HINT_PREFIX)
        hint_lines = [HINT_PREFIX + hint_first, *(indent + line for line in hint_rest)]
        lines.extend(palette.paint("hint", line) for line in hint_lines)
    return lines
