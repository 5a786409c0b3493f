"""The counts the diagram budgets need, read from a plain diagram in one regex scan.

Budgets only need how many participants, messages and ``alt`` blocks a diagram has and whether
an ``alt`` nests in another; building the whole model line by line in Python costs most of a
validation run. Most diagrams in pattern files are *plain*: only the header, participant and
actor declarations, messages between simple names, notes, blocks, ``autonumber``, ``title``
and (de)activations, with none of ``#``, ``;``, ``%`` or ``&``. For those, every line is one of
the statements the parser's own fast path (or, for ``title``, its lexer) applies
(:meth:`SequenceParser.fast_lines`), and the same counts follow from the statements alone.

One compiled pattern (`_LINE`) matches a whole line as the first of those statements it can be,
each with its own capture groups, or else as "any other line". ``findall`` over the text after
the header so yields one row per line, in order, and a single Python loop over the rows
gathers names, counts messages and collects the block words and (de)activations to check.

Anything else, and any plain diagram that breaks a rule (``end`` without a block, ``else``
outside ``alt``, a block never closed, deactivating an inactive participant, a keyword used
as a name), is answered by the full parser, which also words the error. A test holds this
shortcut to the full parser's counts on every diagram of the test corpora.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pubflow.diagrams.mermaid._lexer import ALL_KEYWORDS, FAST_ARROW, KEYWORDS

_HEADER = "sequenceDiagram\n"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
_N = f"({_NAME})"
"""A captured name."""
_MARK = r"(\+|-(?![xX]))"
# The statements of a plain diagram, after a line's leading blanks and before its line break.
_MESSAGE = rf"{_N}[ \t]*+(?>{FAST_ARROW})[ \t]*+{_MARK}?+[ \t]*+{_N}[ \t]*+:[^\n]*+"
_DECLARATION = rf"(?i:participant|actor)[ \t]++{_N}(?:[ \t]++[aA][sS][ \t]++[^\n]*+|[ \t]*+)"
_NOTE = (
    rf"(?i:note)[ \t]++(?:(?i:over)[ \t]++{_N}[ \t]*+(?:,[ \t]*+{_N}[ \t]*+)?+"
    rf"|(?i:left of|right of)[ \t]++{_N}[ \t]*+):[^\n]*+"
)
_BLOCK_WORDS = "loop|alt|opt|par_over|par|critical|break|rect|else|and|option"
_BLOCK = rf"((?i:{_BLOCK_WORDS}|end(?=[ \t]*+\n)))(?![A-Za-z0-9_])[^\n]*+"
"""An opener or section with its label, or ``end`` alone on its line (``end alt`` is not)."""
_ACTIVATION = rf"(?i:activate)[ \t]++{_N}[ \t]*+|(?i:deactivate)[ \t]++{_N}[ \t]*+"
_AUTONUMBER = r"(?i:autonumber)"
_TITLE = r"(?i:title)[ \t][^\n]++"
_BLANK = ""
_OTHER = r"([^\n]++)"
"""Any line that is none of the above: the diagram is not plain."""

# One line with its line break. Every line matches some alternative (`_OTHER` at worst), so
# ``findall`` yields exactly one row per line, in order. Messages first: a keyword used as a
# name is caught by the name check in `plain_counts`, not read as another statement.
_LINE = re.compile(
    r"[ \t]*+(?:"
    + "|".join(
        (_MESSAGE, _DECLARATION, _NOTE, _BLOCK, _ACTIVATION, _AUTONUMBER, _TITLE, _BLANK, _OTHER)
    )
    + r")\n"
)
_OPENERS = frozenset({"loop", "alt", "opt", "par_over", "par", "critical", "break", "rect"})
_SECTION_OWNERS = {"else": ("alt",), "and": ("par", "par_over"), "option": ("critical",)}
# A name that is one of these words is lexed as the keyword (the parser's _LINE_KINDS).
_NOT_NAMES = ALL_KEYWORDS | frozenset(KEYWORDS) | {
    "participant", "actor", "destroy", "activate", "deactivate", "create", "note", "autonumber",
    "end", "par_over",
}


class SequenceCounts(NamedTuple):
    """What the diagram budgets read (the same properties as :class:`SequenceDiagram`)."""

    actor_count: int
    step_count: int
    alt_blocks: int
    nested_alt: bool


def plain_counts(code: str) -> SequenceCounts | None:
    """The counts of a plain preprocessed diagram, or None when the full parser must decide."""
    if (
        not code.startswith(_HEADER)
        or not code.endswith("\n")  # a last line without its break would match no row
        or "#" in code or ";" in code or "%" in code or "&" in code
        or "\ufdd0" in code or "\ufdd1" in code  # entity codes (_preprocess.ENTITY_OPEN/CLOSE)
    ):
        return None
    names: set[str] = set()  # the names a keyword may not be; declared ones may
    declared: list[str] = []
    messages = 0
    block_words: list[str] = []
    switches: list[tuple[str, int]] = []  # (participant, +1 or -1) in diagram order
    for (source, mark, target, declared_name, over_first, over_second, beside, block_word,
         activated, deactivated, other) in _LINE.findall(code, len(_HEADER)):
        if source:
            messages += 1
            names.add(source)
            names.add(target)
            if mark:
                switches.append((target, 1) if mark == "+" else (source, -1))
        elif declared_name:
            declared.append(declared_name)
        elif block_word:
            block_words.append(block_word)
        elif over_first:
            names.add(over_first)
            if over_second:
                names.add(over_second)
        elif beside:
            names.add(beside)
        elif activated:
            switches.append((activated, 1))
        elif deactivated:
            switches.append((deactivated, -1))
        elif other:
            return None
    if not _NOT_NAMES.isdisjoint(map(str.lower, names)):
        return None  # a keyword rule wins over the name rule: the parser says what it means
    counted = _blocks(block_words)
    if counted is None or not _activations_hold(switches):
        return None
    names.update(declared)
    alt_blocks, nested_alt = counted
    return SequenceCounts(len(names), messages, alt_blocks, nested_alt)


def _blocks(words: list[str]) -> tuple[int, bool] | None:
    """(alt blocks, nested alt) when every block opens, divides and closes legally."""
    stack: list[str] = []
    alts = 0
    nested = False
    for written in words:
        word = written.lower()
        if word in _OPENERS:
            if word == "alt":
                alts += 1
                nested = nested or "alt" in stack
            stack.append(word)
        elif word == "end":
            if not stack:
                return None
            stack.pop()
        elif not stack or stack[-1] not in _SECTION_OWNERS[word]:
            return None
    return None if stack else (alts, nested)


def _activations_hold(switches: list[tuple[str, int]]) -> bool:
    """True when no participant is deactivated while inactive (a SequenceDB rule)."""
    active: dict[str, int] = {}
    for name, change in switches:
        level = active.get(name, 0) + change
        if level < 0:
            return False
        active[name] = level
    return True
