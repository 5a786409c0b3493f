"""The budget counts of a plain diagram equal the full parser's (and Mermaid's) on every corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pubflow.diagrams.mermaid import (
    MermaidError,
    SequenceCounts,
    parse_sequence_diagram,
    sequence_diagram_counts,
)
from pubflow.diagrams.mermaid._counts import plain_counts
from pubflow.diagrams.mermaid._preprocess import prepare
from tests.unit.diagrams.mermaid.mermaid_oracle_cases import CORPORA, load_corpus

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "repo" / "patterns"


def _full(text: str) -> SequenceCounts | tuple[str, int, int, str]:
    try:
        diagram = parse_sequence_diagram(text)
    except MermaidError as error:
        return (error.kind, error.line, error.column, error.message)
    return SequenceCounts(diagram.actor_count, diagram.step_count, diagram.alt_blocks,
                          diagram.nested_alt)


def _counted(text: str) -> SequenceCounts | tuple[str, int, int, str]:
    try:
        return sequence_diagram_counts(text)
    except MermaidError as error:
        return (error.kind, error.line, error.column, error.message)


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_counts_equal_the_full_parse_on_every_diagram(corpus_name: str) -> None:
    diagrams, _ = load_corpus(corpus_name)
    wrong = [text for text in diagrams if _counted(text) != _full(text)]
    assert not wrong, f"{len(wrong)} diagrams counted differently, first: {wrong[0]!r}"


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_plain_answers_equal_mermaid(corpus_name: str) -> None:
    """Where the shortcut answers, Mermaid accepted the diagram with these very counts."""
    diagrams, expected = load_corpus(corpus_name)
    answered = 0
    for text, record in zip(diagrams, expected, strict=True):
        try:
            code = prepare(text).code
        except MermaidError:
            continue
        counts = plain_counts(code)
        if counts is None:
            continue
        answered += 1
        assert record["ok"], f"Mermaid rejects a diagram the shortcut counted: {text!r}"
        assert counts == (record["actors"], record["messages"], record.get("alt_blocks", 0),
                          record.get("max_alt_depth", 0) >= 2), text
    assert answered > 0 or corpus_name == "surprises"


def test_pattern_diagrams_take_the_shortcut() -> None:
    """The bundled example patterns are the kind of diagram the shortcut exists for."""
    texts = []
    for path in sorted(EXAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += [data["asIsDiagramMermaid"], data["orchestratedDiagramMermaid"]]
    assert texts
    for text in texts:
        assert plain_counts(prepare(text).code) is not None, text


@pytest.mark.parametrize(
    ("text", "error_kind"),
    [
        ("sequenceDiagram\nloop l\nA->>B: x\nend loop\n", "parse_error"),
        ("sequenceDiagram\nalt x\nA->>B: y\nend A->>B: z\n", None),
        ("sequenceDiagram\nA->>B: x\nelse y\n", "parse_error"),
        ("sequenceDiagram\nloop x\nA->>B: y\nelse z\nend\n", "parse_error"),
        ("sequenceDiagram\nalt x\nA->>B: y\n", "parse_error"),
        ("sequenceDiagram\nA->>B: y\nend\n", "parse_error"),
        ("sequenceDiagram\nA->>B: x\ndeactivate B\n", "db_error"),
        ("sequenceDiagram\nA->>-B: x\n", "db_error"),
        ("sequenceDiagram\nend->>B: x\n", None),
        ("sequenceDiagram\nNote left of A,B: x\n", "parse_error"),
        ("sequenceDiagram\nA->>B: a # comment\n", None),
    ],
)
def test_what_the_shortcut_leaves_to_the_parser(text: str, error_kind: str | None) -> None:
    assert plain_counts(prepare(text).code) is None
    result = _counted(text)
    assert result == _full(text)
    if error_kind is not None:
        assert isinstance(result, tuple) and result[0] == error_kind


def test_plain_counts() -> None:
    text = (
        "sequenceDiagram\n  autonumber\n  title T\n  actor U\n  participant S as Server\n"
        "  U->>+S: ask\n  alt ok\n    loop retry\n      alt inner\n        S-->>U: maybe\n"
        "      end\n    end\n  else no\n    Note over S,Q: wait\n  end\n  S-->>-U: done\n"
        "  deactivate U\n"
    )
    assert plain_counts(prepare(text).code) is None  # U is not active: the parser says so
    counted = sequence_diagram_counts(text.replace("  deactivate U\n", ""))
    assert counted == SequenceCounts(actor_count=3, step_count=3, alt_blocks=2, nested_alt=True)
