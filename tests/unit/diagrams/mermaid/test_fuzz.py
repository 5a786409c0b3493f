"""Whatever the text, the parser returns a diagram or raises MermaidError, quickly."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.diagrams.mermaid import MermaidError, SequenceDiagram, parse_sequence_diagram
from pubflow.diagrams.mermaid._parser import SequenceParser
from pubflow.diagrams.mermaid._preprocess import prepare
from tests.unit.diagrams.mermaid.mermaid_oracle_cases import load_corpus

KINDS = {"no_diagram_type", "wrong_diagram_type", "parse_error", "lexical_error", "db_error"}

FRAGMENTS = [
    "sequenceDiagram", "participant ", "actor ", "create ", "destroy ", "box ", "end", "alt ",
    "else ", "opt ", "loop ", "par ", "par_over ", "and ", "critical ", "option ", "break ",
    "rect ", "Note over ", "note left of ", "right of ", "activate ", "deactivate ",
    "autonumber", " 10 2", " off", "title ", "title: ", "accTitle: ", "accDescr: ", "accDescr {",
    "links ", "link ", "properties ", "details ", " as ", "@{", '"type": "database"', "}",
    "A", "B", "Alice", "svc-x", "user@home", '"Q"', "->>", "-->>", "->", "-->", "-x", "--x",
    "-)", "--)", "<<->>", "<<-->>", "-|\\", "--//", "/|-", "\\\\--", "()", "+", "-", ":",
    ": text", ",", ";", "#", "#35;", "%%", "%%{init: {}}%%", "---\n", "\n", "\n", "\n",
    " ", "\t", "\r\n", "\u00a0", "\u2028", "=", ">", "<", "(", "style:#f;", "C4", "é",
]  # fmt: skip

MUTATION = st.tuples(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(["insert", "delete", "duplicate-line", "drop-line"]),
    st.sampled_from(FRAGMENTS),
)


def outcome(text: str) -> SequenceDiagram | MermaidError:
    """Parse and check the invariants every result must keep."""
    started = time.perf_counter()
    try:
        result: SequenceDiagram | MermaidError = parse_sequence_diagram(text)
    except MermaidError as error:
        result = error
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{elapsed:.2f}s for {len(text)} characters"
    if isinstance(result, MermaidError):
        assert result.kind in KINDS
        assert result.line >= 1
        assert result.column >= 1
        assert result.message and "\n" not in result.message
    else:
        assert result.step_count == len(result.messages)
        assert result.actor_count == len(set(result.actor_ids))
        assert 0 <= result.max_alt_depth <= result.alt_blocks
        assert {m.source for m in result.messages} <= set(result.actor_ids)
    return result


def mutate(text: str, mutations: list[tuple[int, str, str]]) -> str:
    for where, how, fragment in mutations:
        lines = text.split("\n")
        if how == "insert":
            at = where % (len(text) + 1)
            text = text[:at] + fragment + text[at:]
        elif how == "delete" and text:
            at = where % len(text)
            text = text[:at] + text[at + 1 + where % 3 :]
        elif how == "duplicate-line":
            at = where % len(lines)
            text = "\n".join(lines[: at + 1] + lines[at:])
        elif len(lines) > 1:
            del lines[where % len(lines)]
            text = "\n".join(lines)
    return text


SAMPLE = load_corpus("shared_corpus")[0][::15] + load_corpus("handmade")[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    outcome(text)
    outcome("sequenceDiagram\n" + text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_grammar_fragment_soup(parts: list[str]) -> None:
    outcome("sequenceDiagram\n" + "".join(parts))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLE), st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_corpus_diagrams(text: str, mutations: list[tuple[int, str, str]]) -> None:
    outcome(mutate(text, mutations))


MEGA = 1_000_000
PATHOLOGICAL = {
    "nesting-5000": "sequenceDiagram\n" + "alt a\nloop l\n" * 2500 + "A->>B: x\n" + "end\n" * 5000,
    "lines-10000": "sequenceDiagram\n" + "A->>B: step\nNote over A: n\n" * 5000,
    "one-megabyte-line": "sequenceDiagram\nA->>B: " + "x" * MEGA + "\n",
    "megabyte-name": "sequenceDiagram\n" + "a-b " * (MEGA // 4) + "->>B: x\n",
    "megabyte-declaration": "sequenceDiagram\nparticipant A" + " " * MEGA + "@\n",
    "semicolons": "sequenceDiagram\n" + ";" * MEGA + "\n",
    "comment-lines": "sequenceDiagram\n" + "%% comment\n" * (MEGA // 11),
    "blank-lines-then-percent": "sequenceDiagram\nA%%\n" + "\n" * MEGA + "x",
    "directives": "sequenceDiagram\n" + "%%{init: {}}%%\n" * (MEGA // 15),
    "tags": "sequenceDiagram\n" + '<a x="1" ' * (MEGA // 10),
    "style-lines": "sequenceDiagram\nA->>B: style" + ":" * MEGA + "#;\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_inputs_finish_quickly(name: str) -> None:
    text = PATHOLOGICAL[name]
    started = time.perf_counter()
    with contextlib.suppress(MermaidError):
        parse_sequence_diagram(text)
    # Linear work is well under a second here; anything quadratic takes minutes.
    assert time.perf_counter() - started < 5.0


def both_paths(text: str) -> list[object]:
    results: list[object] = []
    for fast in (True, False):
        try:
            results.append(SequenceParser(prepare(text), fast_lines=fast).parse())
        except MermaidError as error:
            results.append((error.kind, error.line, error.column, error.message))
    return results


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*FRAGMENTS, "\nA->>B: x\n", "\n  A -> B : y\n"]), max_size=60))
def test_whole_line_fast_path_matches_token_path(parts: list[str]) -> None:
    fast, slow = both_paths("sequenceDiagram\n" + "".join(parts))
    assert fast == slow


# Line-shaped pieces: keywords glued to names and arrows, odd padding, comments.
LINE_PARTS = [
    "A", "Bob", "alt", "end", "else", "loop", "par_over", "participant", "actor", "destroy",
    "activate", "deactivate", "create", "note", "Note", "over", "left of", "right of", "as",
    "AS", "autonumber", "title", "box", "opt", "option", "and", "break", "rect", "critical",
    "x", "X", "_a", "a-b", "a b", "1", ".5", "é", '"q"', "->>", "-->>", "->", "-x", "--x",
    "-)", "<<->>", "-|\\", "//-", "+", "-", "()", ":", ": t", ",", ";", "#", "#c", "%",
    "%%", "@{", "}", " ", " ", "  ", "\t", "\u00a0", "#35;", "=", "<", ">", "wrap:",
]  # fmt: skip


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(LINE_PARTS), max_size=8).map("".join),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["", "alt x\n", "box\n", "%%c\n", "A->>B: x\n"]),
)
def test_fast_path_matches_token_path_line_by_line(lines: list[str], prefix: str) -> None:
    text = "sequenceDiagram\n" + prefix + "\n".join(lines) + "\nend\n"
    fast, slow = both_paths(text)
    assert fast == slow, text
