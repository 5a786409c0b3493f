"""The parser agrees with Mermaid 11.17.2 on every oracle-labelled diagram."""

from __future__ import annotations

import pytest

from pubflow.diagrams.mermaid import MermaidError
from pubflow.diagrams.mermaid._parser import SequenceParser
from pubflow.diagrams.mermaid._preprocess import prepare
from tests.unit.diagrams.mermaid.mermaid_oracle_cases import CORPORA, disagreements, load_corpus


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_every_diagram_agrees_with_mermaid(corpus_name: str) -> None:
    diagrams, expected = load_corpus(corpus_name)
    report: list[str] = []
    for index, (text, record) in enumerate(zip(diagrams, expected, strict=True)):
        problems = disagreements(text, record)
        if problems:
            report.append(f"#{index} {text[:120]!r}\n    " + "\n    ".join(problems))
    assert not report, (
        f"{len(report)} of {len(diagrams)} diagrams in {corpus_name} disagree with Mermaid:\n"
        + "\n".join(report[:25])
    )


def test_corpora_cover_accepted_and_rejected_diagrams() -> None:
    totals = {"ok": 0, "rejected": 0}
    kinds: set[str] = set()
    for name in CORPORA:
        _, expected = load_corpus(name)
        for record in expected:
            totals["ok" if record["ok"] else "rejected"] += 1
            if not record["ok"]:
                kinds.add(record["error_type"])
    assert totals["ok"] > 2500
    assert totals["rejected"] > 800
    assert {"parse_error", "lexical_error", "db_error", "no_diagram_type"} <= kinds


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_whole_line_fast_path_changes_nothing(corpus_name: str) -> None:
    """The lexer's one-token message lines give exactly the token-by-token result."""
    diagrams, _ = load_corpus(corpus_name)
    for text in diagrams:
        results = []
        for fast in (True, False):
            try:
                prepared = prepare(text)
                results.append(SequenceParser(prepared, fast_lines=fast).parse())
            except MermaidError as error:
                results.append((error.kind, error.line, error.column, error.message))
        assert results[0] == results[1], text
