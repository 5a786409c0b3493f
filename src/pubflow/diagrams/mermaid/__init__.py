"""Mermaid sequence-diagram parser that agrees with Mermaid 11.17.2's own parser.

Pure Python, standard library only, no output: it runs inside pre-commit hooks.
:func:`parse_sequence_diagram` returns a :class:`SequenceDiagram` for every text
``mermaid.parse`` accepts and raises :class:`MermaidError` for every text it
rejects, with the counts (actors, steps, alt blocks, nesting) Mermaid would draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pubflow.diagrams.mermaid._counts import SequenceCounts, plain_counts
from pubflow.diagrams.mermaid._preprocess import prepare
from pubflow.diagrams.mermaid.errors import ErrorKind, MermaidError

if TYPE_CHECKING:
    from pubflow.diagrams.mermaid.model import (
        ActivationChange,
        Actor,
        Autonumber,
        Block,
        Box,
        Message,
        Note,
        Section,
        SequenceDiagram,
    )

_MODEL_NAMES = frozenset({"ActivationChange", "Actor", "Autonumber", "Block", "Box", "Message",
                          "Note", "Section", "SequenceDiagram"})


def __getattr__(name: str) -> Any:
    """The model's classes, imported on first use: counting a plain diagram (every pre-commit
    run) needs neither the parser nor the model, and their dataclasses take milliseconds to
    create."""
    if name in _MODEL_NAMES:
        from pubflow.diagrams.mermaid import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ActivationChange",
    "Actor",
    "Autonumber",
    "Block",
    "Box",
    "ErrorKind",
    "MermaidError",
    "Message",
    "Note",
    "Section",
    "SequenceCounts",
    "SequenceDiagram",
    "parse_sequence_diagram",
    "sequence_diagram_counts",
]


def parse_sequence_diagram(text: str) -> SequenceDiagram:
    """Parse ``text`` exactly as Mermaid would; raise :class:`MermaidError` if it would not.

    The whole pipeline of ``mermaid.parse`` is reproduced: front matter, ``%%{init}%%``
    directives and ``%%`` comments, diagram-type detection, the jison grammar, and the
    SequenceDB rules applied afterwards (create/destroy, deactivation, boxes).
    """
    from pubflow.diagrams.mermaid._parser import SequenceParser

    return SequenceParser(prepare(text)).parse()


def sequence_diagram_counts(text: str) -> SequenceCounts:
    """What the diagram budgets need (participants, messages, alt blocks, nested alt).

    Equal to the counts of :func:`parse_sequence_diagram`, and raises the same
    :class:`MermaidError`; a plain diagram is counted without building the model, and one
    that Mermaid's preprocessing would leave as it is (no carriage return, tag, front matter,
    comment, directive or C4 keyword; ``plain_counts`` itself refuses ``#``, ``;``, ``%``,
    ``&``) without running it either.
    """
    if (text.startswith("sequenceDiagram\n") and "\r" not in text and "<" not in text
            and "---" not in text and "C4" not in text):
        counts = plain_counts(text + "\n")  # `prepare` would append the newline, nothing else
        if counts is not None:
            return counts
    prepared = prepare(text)
    counts = plain_counts(prepared.code)
    if counts is not None:
        return counts
    from pubflow.diagrams.mermaid._parser import SequenceParser

    diagram = SequenceParser(prepared).parse()
    return SequenceCounts(diagram.actor_count, diagram.step_count, diagram.alt_blocks,
                          diagram.nested_alt)
