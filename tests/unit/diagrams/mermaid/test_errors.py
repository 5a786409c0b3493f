"""Errors say where (line and column in the caller's text) and what was expected."""

from __future__ import annotations

import pickle

import pytest

from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram
from tests.unit.diagrams.mermaid.mermaid_oracle_cases import CORPORA, load_corpus


def rejection(text: str) -> MermaidError:
    with pytest.raises(MermaidError) as caught:
        parse_sequence_diagram(text)
    return caught.value


def test_error_carries_kind_line_column_and_a_one_line_message() -> None:
    error = rejection("sequenceDiagram\nA->>B: x\nend\n")
    assert isinstance(error, Exception)
    assert (error.kind, error.line, error.column) == ("parse_error", 3, 1)
    assert error.message == (
        "unexpected 'end': no open block to close "
        "(expected a message, note, participant or block keyword)"
    )
    assert str(error) == f"line 3, column 1: {error.message}"
    assert "MermaidError(" in repr(error)


def test_error_survives_pickling() -> None:
    error = rejection("sequenceDiagram\nA->>B\n")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, copy.line, copy.column, copy.message) == (
        error.kind,
        error.line,
        error.column,
        error.message,
    )


@pytest.mark.parametrize(
    ("text", "kind", "line", "column", "fragments"),
    [
        pytest.param(
            "sequenceDiagram\nA->>B\n",
            "parse_error",
            2,
            6,
            ["unexpected end of line after 'A->>B'", "expected ':' and a message text"],
            id="message-without-colon",
        ),
        pytest.param(
            "sequenceDiagram\nA=>B: x\n",
            "parse_error",
            2,
            3,
            ["unexpected '>' after name 'A='", "expected an arrow"],
            id="bad-arrow",
        ),
        pytest.param(
            "sequenceDiagram\nA->>>B: x\n",
            "parse_error",
            2,
            5,
            ["unexpected '>'", "expected the name of the message target"],
            id="triple-arrow",
        ),
        pytest.param(
            "sequenceDiagram\nloop every minute\n  A->>B: ping\n",
            "parse_error",
            2,
            1,
            ["'loop' opened on line 2 is never closed", "expected 'end'"],
            id="unclosed-loop",
        ),
        pytest.param(
            "sequenceDiagram\nalt ok\n  A->>B: x\nand other\nend\n",
            "parse_error",
            4,
            1,
            ["unexpected 'and'", "directly inside 'alt'", "'and' only divides 'par'"],
            id="and-in-alt",
        ),
        pytest.param(
            "sequenceDiagram\noption x\n",
            "parse_error",
            2,
            1,
            ["unexpected 'option' outside any block", "'critical'"],
            id="option-outside-critical",
        ),
        pytest.param(
            "sequenceDiagram\nNote A: text\n",
            "parse_error",
            2,
            6,
            ["after 'note'", "expected 'left of', 'right of' or 'over'"],
            id="note-without-placement",
        ),
        pytest.param(
            "sequenceDiagram\nparticipant\nA->>B: x\n",
            "lexical_error",
            2,
            12,
            ["unexpected end of line after 'participant'", "expected a name"],
            id="participant-without-name",
        ),
        pytest.param(
            'sequenceDiagram\nparticipant A@{ "type": "database" }  \nA->>B: x\n',
            "parse_error",
            2,
            37,
            ["expected the end of the line", "trailing whitespace after '}'"],
            id="space-after-config",
        ),
        pytest.param(
            'sequenceDiagram\nparticipant X@{ "type" "database" }\n',
            "db_error",
            2,
            13,
            ["invalid participant configuration for 'X'", "expected YAML"],
            id="bad-participant-yaml",
        ),
        pytest.param(
            "sequenceDiagram\nactivate A\ndeactivate A\ndeactivate A\n",
            "db_error",
            4,
            1,
            ["cannot deactivate 'A'", "expected an earlier 'activate A'"],
            id="double-deactivate",
        ),
        pytest.param(
            "sequenceDiagram\nA->>B: x\ncreate participant C\nA->>B: not to C\n",
            "db_error",
            4,
            1,
            ["'C' is created on line 3", "expected a message to 'C'"],
            id="create-without-message",
        ),
        pytest.param(
            "sequenceDiagram\nparticipant C\ncreate participant C\n",
            "db_error",
            3,
            8,
            ["cannot create 'C'", "first seen on line 2"],
            id="create-existing",
        ),
        pytest.param(
            "sequenceDiagram\nbox A\nparticipant X\nend\nbox B\nparticipant X\nend\n",
            "db_error",
            6,
            13,
            ["'X' is already in box 'A' (line 2)", "declared again in box 'B'"],
            id="participant-in-two-boxes",
        ),
        pytest.param(
            "sequencediagram\nA->>B: x\n",
            "no_diagram_type",
            1,
            1,
            ["header is case-sensitive", "expected 'sequenceDiagram'"],
            id="lower-case-header",
        ),
        pytest.param(
            "",
            "no_diagram_type",
            1,
            1,
            ["the text is empty"],
            id="empty",
        ),
        pytest.param(
            "flowchart TD\nA-->B\n",
            "wrong_diagram_type",
            1,
            1,
            ["flowchart diagram, not a sequence diagram"],
            id="flowchart",
        ),
        pytest.param(
            "sequenceDiagram\nA->>B: deploy the C4Container\n",
            "wrong_diagram_type",
            1,
            1,
            ["C4 diagram"],
            id="c4-word",
        ),
        pytest.param(
            "---\ntitle: x\nsequenceDiagram\nA->>B: x\n",
            "no_diagram_type",
            1,
            1,
            ["starts with '---' but no front matter was read"],
            id="unclosed-front-matter",
        ),
        pytest.param(
            "---\ntitle: ok\ntitle: again\n---\nsequenceDiagram\n",
            "parse_error",
            3,
            1,
            ["invalid YAML in the front matter", "duplicated mapping key 'title'"],
            id="front-matter-duplicate-key",
        ),
    ],
)
def test_error_points_at_the_problem(
    text: str, kind: str, line: int, column: int, fragments: list[str]
) -> None:
    error = rejection(text)
    assert (error.kind, error.line, error.column) == (kind, line, column), error
    for fragment in fragments:
        assert fragment in error.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("---\ntitle: T\n---\nsequenceDiagram\nA->>B: x\nend\n", 6, id="front-matter"),
        pytest.param("sequenceDiagram\n%% one\n%% two\nA->>B\n", 4, id="comment-lines"),
        pytest.param(
            "%%{init: {\n 'theme': 'dark'\n}}%%\nsequenceDiagram\nend\n", 5, id="directive"
        ),
        pytest.param("sequenceDiagram\nA->>B: x %%{init: {\n}}%%\nend\n", 4, id="inline-directive"),
        pytest.param("\n\n  \nsequenceDiagram\nend\n", 5, id="leading-blank-lines"),
        pytest.param("sequenceDiagram\r\nA->>B: x\r\nend\r\n", 3, id="crlf"),
        pytest.param("sequenceDiagram\rA->>B: x\rend\r", 3, id="cr-only"),
        pytest.param(
            "%% c\n\n%% d\nsequenceDiagram\nA->>B: x #35; y\nend\n", 6, id="comment-first"
        ),
    ],
)
def test_error_line_is_in_the_callers_text(text: str, line: int) -> None:
    assert rejection(text).line == line


def test_line_numbers_of_model_survive_preprocessing() -> None:
    text = "---\ntitle: T\n---\n%% c\nsequenceDiagram\n%% c\nA->>B: x\nalt y\nB->>A: z\nend\n"
    diagram = parse_sequence_diagram(text)
    assert [m.line for m in diagram.messages] == [7, 9]
    assert (diagram.blocks[0].line, diagram.blocks[0].end_line) == (8, 10)
    assert diagram.actors[0].line == 7
    assert diagram.front_matter_title == "T"


@pytest.mark.parametrize("corpus_name", sorted(CORPORA))
def test_every_rejection_in_the_corpora_is_well_formed(corpus_name: str) -> None:
    diagrams, expected = load_corpus(corpus_name)
    for text, record in zip(diagrams, expected, strict=True):
        if record["ok"]:
            continue
        error = rejection(text)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        assert 1 <= error.line <= lines, (text, error)
        assert error.column >= 1
        assert "\n" not in error.message
        assert "expected" in error.message, error.message
