"""The Markdown page of one pattern, as the publishing platform shows it.

The page goes into release packages whose sha256 is recorded and re-checked by the smoke
test, so the rendering is pure: the same document always gives the same bytes. The caller
validates first; a field of the wrong type is still rendered (via str()) rather than crashing
a release, and a missing one is left out.

Pattern text is someone's input, so the page never carries it raw: control and bidi override
characters become visible escapes (`\x1b`, `\u202e`); one-line fields (the title and the
metadata table) are literal text, with Markdown's link, HTML and table syntax escaped; the
Markdown sections keep their Markdown but not raw HTML (`<` becomes `&lt;` outside code).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pubflow.reporters import printable

SCORECARD_LABELS: tuple[tuple[str, str], ...] = (
    ("ownership", "Ownership"),
    ("timeSla", "Time & SLA"),
    ("capacity", "Capacity"),
    ("visibility", "Visibility"),
    ("customerLoop", "Customer loop"),
    ("escalation", "Escalation"),
    ("handoffs", "Handoffs"),
    ("documentation", "Documentation"),
)
MAX_SCORE = 5

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_BACKTICK_RUN = re.compile(r"`+")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
# In one-line text: a backslash (so no escape below can be undone), raw HTML and entities,
# and the brackets that would close a link text or a reference.
_INLINE_SPECIAL = re.compile(r"\\|<|>|&|\](?=[(\[:])")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).*?(?<!`)\1(?!`)")


def render_page(pattern: Mapping[str, Any]) -> str:
    """The page: title, metadata table, the nine numbered sections, related patterns."""
    blocks: list[str] = []
    title = _inline(pattern.get("name")) or _inline(pattern.get("id"))
    if title:
        blocks.append(f"# {title}")
    blocks.append(_metadata(pattern))
    sections = (
        ("1. Hook", _markdown(pattern.get("hookMarkdown"))),
        ("2. Problem", _markdown(pattern.get("problemMarkdown"))),
        ("3. Broken signals", _bullets("-", _items(pattern.get("brokenSignals")))),
        ("4. As-is sequence", _mermaid(pattern.get("asIsDiagramMermaid"))),
        ("5. Orchestrated approach", _markdown(pattern.get("orchestratedMarkdown"))),
        ("6. Orchestrated sequence", _mermaid(pattern.get("orchestratedDiagramMermaid"))),
        ("7. Scorecard", _scorecard(pattern.get("scorecard"))),
        ("8. Acceptance criteria", _criteria(pattern.get("acceptanceCriteria"))),
        ("9. Implementation checklist",
         _bullets("- [ ]", _items(pattern.get("implementationChecklist")))),
    )
    # The nine headings stay even when a body is missing, so every page has the same outline.
    for heading, body in sections:
        blocks.append(f"## {heading}")
        blocks.append(body)
    related = _related(pattern.get("relatedPatterns"))
    if related:
        blocks.append("## Related patterns")
        blocks.append(related)
    return "\n\n".join(block for block in blocks if block) + "\n"


def _metadata(pattern: Mapping[str, Any]) -> str:
    rows = [
        ("Id", _inline(pattern.get("id"))),
        ("Version", _inline(pattern.get("version"))),
        ("Author", _author(pattern.get("author"))),
        ("Industries", _joined(pattern.get("industries"))),
        ("Tags", _joined(pattern.get("tags"))),
    ]
    return _table(("Field", "Value"), "|---|---|", [row for row in rows if row[1]])


def _author(author: Any) -> str:
    if not isinstance(author, Mapping):
        return _inline(author)
    # name is optional in the schema; the author id is the next best thing to show.
    name = _inline(author.get("name")) or _inline(author.get("id"))
    email = _inline(author.get("email"))
    if name and email:
        return f"{name} ({email})"
    return name or email


def _scorecard(scorecard: Any) -> str:
    if not isinstance(scorecard, Mapping):
        return _markdown(scorecard)
    rows: list[tuple[str, str]] = []
    total: int | None = 0
    for key, label in SCORECARD_LABELS:
        if key not in scorecard:
            total = None
            continue
        score = _whole_number(scorecard[key])
        if score is None:
            total = None
            rows.append((label, f"{_inline(scorecard[key])}/{MAX_SCORE}"))
        else:
            rows.append((label, f"{score}/{MAX_SCORE}"))
            if total is not None:
                total += score
    if total is not None:
        rows.append(("**Total**", f"**{total}/{MAX_SCORE * len(SCORECARD_LABELS)}**"))
    return _table(("Dimension", "Score"), "|---|---:|", rows) if rows else ""


def _whole_number(value: Any) -> int | None:
    """The score as an int; JSON Schema counts 4.0 as an integer, so this does too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _criteria(criteria: Any) -> str:
    items: list[str] = []
    for criterion in _items(criteria):
        if isinstance(criterion, Mapping):
            parts = [f"**{word.capitalize()}** {_markdown(criterion[word])}".rstrip()
                     for word in ("given", "when", "then") if word in criterion]
            items.append("\n".join(parts))
        else:
            items.append(_markdown(criterion))
    return "\n".join(_list_item(f"{number}.", item) for number, item in enumerate(items, 1))


def _related(related: Any) -> str:
    lines: list[str] = []
    for item in _items(related):
        if isinstance(item, str) and _SLUG.fullmatch(item):
            lines.append(f"- [{item}](../{item}/)")
        else:
            # Not a valid id: a link to it would be broken, so show the text only.
            lines.append(_list_item("-", _inline(item)))
    return "\n".join(lines)


def _mermaid(diagram: Any) -> str:
    text = _text(diagram)
    if not text:
        return ""
    # A fence closes only on a run of backticks at least as long as itself.
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}mermaid\n{text}\n{fence}"


def _bullets(marker: str, items: list[Any]) -> str:
    return "\n".join(_list_item(marker, _markdown(item)) for item in items)


def _list_item(marker: str, text: str) -> str:
    """One list item; continuation lines are indented so they stay inside the item."""
    if not text:
        return marker
    indent = " " * (len(marker.split(" ", 1)[0]) + 1)
    first, *rest = text.split("\n")
    lines = [f"{marker} {first}"]
    lines.extend(f"{indent}{line}" if line.strip() else "" for line in rest)
    return "\n".join(lines)


def _table(header: tuple[str, str], rule: str, rows: list[tuple[str, str]]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", rule]
    lines.extend(f"| {_cell(left)} | {_cell(right)} |" for left, right in rows)
    return "\n".join(lines)


def _cell(text: str) -> str:
    # `_inline` escaped the backslashes, so a `\|` in the text cannot turn the escaped pipe
    # back into a border.
    return text.replace("|", "\\|")


def _items(value: Any) -> list[Any]:
    """A list field's items; a scalar of the wrong type counts as one item."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, set | frozenset):
        # Sets have no stable order (str hashing is randomised per process).
        return sorted(value, key=str)
    return [value]


def _joined(value: Any) -> str:
    return ", ".join(text for text in (_inline(item) for item in _items(value)) if text)


def _text(value: Any) -> str:
    """A block of text: LF line ends, no blank lines around it, control and bidi characters
    as visible escapes."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = printable(text.replace("\r\n", "\n").replace("\r", "\n"), keep_newlines=True)
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def _markdown(value: Any) -> str:
    """A Markdown section: `_text`, and no raw HTML (`<` as `&lt;`) outside code."""
    lines = _text(value).split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] \
                    and len(opening.group(1)) >= len(fence) and not line[opening.end():].strip():
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        lines[index] = _outside_code_spans(line)
    return "\n".join(lines)


def _outside_code_spans(line: str) -> str:
    out, start = [], 0
    for span in _CODE_SPAN.finditer(line):
        out.append(line[start:span.start()].replace("<", "&lt;"))
        out.append(span.group())
        start = span.end()
    out.append(line[start:].replace("<", "&lt;"))
    return "".join(out)


def _inline(value: Any) -> str:
    """Literal text for one line (a heading, a table cell): all whitespace runs become one
    space; backslashes, HTML and link syntax escaped."""
    text = " ".join(_text(value).split())
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(), text)
