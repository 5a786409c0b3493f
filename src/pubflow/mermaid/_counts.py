"""The counts the diagram budgets need, read from a plain diagram by a handful of regex scans.

Budgets only need how many participants, messages and ``alt`` blocks a diagram has and whether
an ``alt`` nests in another; building the whole model line by line in Python costs most of a
validation run. Most diagrams in pattern files are *plain*: only the header, participant and
actor declarations, messages between simple names, notes, blocks, ``autonumber``, ``title``
and (de)activations, with none of ``#``, ``;``, ``%`` or ``&``. For those, every line is one of
the statements the parser's own fast path (or, for ``title``, its lexer) (:meth:`SequenceParser.fast_lines`) applies, and
the same counts follow from a few scans of the whole text.

Anything else, and any plain diagram that breaks a rule (``end`` without a block, ``else``
outside ``alt``, a block never closed, deactivating an inactive participant, a keyword used
as a name), is answered by the full parser, which also words the error. A test holds this
shortcut to the full parser's counts on every diagram of the test corpora.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pubflow.mermaid._lexer import _ALL_KEYWORDS, _KEYWORDS, FAST_ARROW

_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
_N = f"({_NAME})"
"""A captured name; the whole-text pattern uses the same pieces without captures (`_plain`)."""
_MARK = r"(\+|-(?![xX]))"
_MESSAGE = rf"[ \t]*+{_N}[ \t]*+(?>{FAST_ARROW})[ \t]*+{_MARK}?+[ \t]*+{_N}[ \t]*+:[^\n]*+"
_DECLARATION = (
    rf"[ \t]*+(?i:participant|actor)[ \t]++{_N}(?:[ \t]++[aA][sS][ \t]++[^\n]*+|[ \t]*+)"
)
_NOTE = (
    rf"[ \t]*+(?i:note)[ \t]++(?:(?i:over)[ \t]++{_N}[ \t]*+(?:,[ \t]*+{_N}[ \t]*+)?+"
    rf"|(?i:left of|right of)[ \t]++{_N}[ \t]*+):[^\n]*+"
)
_BLOCK_WORDS = "loop|alt|opt|par_over|par|critical|break|rect|else|and|option"
_BLOCK = rf"[ \t]*+((?i:{_BLOCK_WORDS}|end(?=[ \t]*+\n)))(?![A-Za-z0-9_])[^\n]*+"
"""An opener or section with its label, or ``end`` alone on its line (``end alt`` is not)."""
_ACTIVATION = rf"[ \t]*+((?i:activate|deactivate))[ \t]++{_N}[ \t]*+"
_AUTONUMBER = r"[ \t]*+(?i:autonumber)"
_TITLE = r"[ \t]*+(?i:title)[ \t][^\n]++"
_BLANK = r"[ \t]*+"


def _plain(piece: str) -> str:
    """`piece` with each capturing group made non-capturing (captures inside a possessive
    loop trip `re`). The pieces hold no `(` inside a character class."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", piece)


# Every line after the header is one of these, each with its line break (messages first: a
# keyword used as a name is caught by the name check below, not by another alternative).
_PLAIN = re.compile(
    "sequenceDiagram\n(?:(?:"
    + "|".join(_plain(p) for p in (_MESSAGE, _DECLARATION, _NOTE, _BLOCK, _ACTIVATION,
                                   _AUTONUMBER, _TITLE, _BLANK))
    + ")\n)*+"
)
_MESSAGES = re.compile(rf"\n{_MESSAGE}")
_DECLARED = re.compile(rf"\n{_DECLARATION}")
_NOTES = re.compile(rf"\n{_NOTE}")
_BLOCKS = re.compile(rf"\n{_BLOCK}")
_ACTIVATIONS = re.compile(
    rf"\n(?:{_ACTIVATION}|[ \t]*+{_N}[ \t]*+(?>{FAST_ARROW})[ \t]*+{_MARK}[ \t]*+{_N}[ \t]*+:)"
)
_OPENERS = frozenset({"loop", "alt", "opt", "par_over", "par", "critical", "break", "rect"})
_SECTION_OWNERS = {"else": ("alt",), "and": ("par", "par_over"), "option": ("critical",)}
_FORBIDDEN = ("#", ";", "%", "&", "\ufdd0", "\ufdd1")
# A name that is one of these words is lexed as the keyword (the parser's _LINE_KINDS).
_NOT_NAMES = _ALL_KEYWORDS | frozenset(_KEYWORDS) | {
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
    if not code.startswith("sequenceDiagram\n") or any(c in code for c in _FORBIDDEN):
        return None
    if _PLAIN.fullmatch(code) is None:
        return None
    messages = _MESSAGES.findall(code)
    names = {source for source, _, _ in messages} | {target for _, _, target in messages}
    for over_first, over_second, beside in _NOTES.findall(code):
        names.update((over_first, over_second, beside))
    names.discard("")
    if any(name.lower() in _NOT_NAMES for name in names):
        return None  # a keyword rule wins over the name rule: the parser says what it means
    names.update(_DECLARED.findall(code))
    counted = _blocks(code)
    if counted is None:
        return None
    if not _activations_hold(code):
        return None
    alt_blocks, nested_alt = counted
    return SequenceCounts(len(names), len(messages), alt_blocks, nested_alt)


def _blocks(code: str) -> tuple[int, bool] | None:
    """(alt blocks, nested alt) when every block opens, divides and closes legally."""
    stack: list[str] = []
    alts = 0
    nested = False
    for written in _BLOCKS.findall(code):
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


def _activations_hold(code: str) -> bool:
    """True when no participant is deactivated while inactive (a SequenceDB rule)."""
    active: dict[str, int] = {}
    for keyword, named, source, mark, target in _ACTIVATIONS.findall(code):
        if keyword:
            if keyword.lower() == "activate":
                active[named] = active.get(named, 0) + 1
                continue
            actor = named
        elif mark == "+":
            active[target] = active.get(target, 0) + 1
            continue
        else:
            actor = source
        if active.get(actor, 0) < 1:
            return False
        active[actor] -= 1
    return True
