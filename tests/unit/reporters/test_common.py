"""What several reporters share: the summary sentence, safe text, the JSON layout, and the
compiler-style finding lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pubflow.findings import FileResult, Finding, PatternFacts, Severity, Summary
from pubflow.reporters._common import (
    ANSI,
    CHECK_LABELS,
    PLAIN,
    STATUS_FAILED,
    STATUS_READY,
    finding_lines,
    joined_lines,
    json_chunks,
    location,
    pattern_status,
    plural,
    printable,
    score_text,
    summary_sentence,
    without_surrogates,
)

FILE = "patterns/incident-escalation.json"


def summary(files: int = 3, errors: int = 0, warnings: int = 0, notes: int = 0,
            with_findings: int = 0, ready: int = 3, marginal: int = 0) -> Summary:
    return Summary(files, errors, warnings, notes, with_findings, ready, marginal)


def test_plural() -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]


@pytest.mark.parametrize(("counts", "sentence"), [
    (summary(files=0, ready=0), "no files checked"),
    (summary(files=1, ready=1), "1 file checked: all passed; 1 ready for review"),
    (summary(), "3 files checked: all passed; 3 ready for review"),
    (summary(warnings=1, with_findings=1, marginal=1),
     "3 files checked: all passed with 1 warning; 3 ready for review, 1 marginal"),
    (summary(warnings=2, notes=1, with_findings=2),
     "3 files checked: all passed with 2 warnings, 1 note; 3 ready for review"),
    (summary(errors=1, with_findings=1, ready=2),
     "1 error in 1 of 3 files; 2 patterns ready for review"),
    (summary(errors=4, warnings=1, notes=2, with_findings=2, ready=1, marginal=1),
     "4 errors, 1 warning, 2 notes in 2 of 3 files; 1 pattern ready for review, 1 marginal"),
])
def test_summary_sentence(counts: Summary, sentence: str) -> None:
    assert summary_sentence(counts) == sentence


def test_pattern_status_and_score_text() -> None:
    error = Finding(FILE, 1, 1, "", "json.syntax", Severity.ERROR, "m")
    warning = Finding(FILE, 1, 1, "", "scorecard.marginal", Severity.WARNING, "m")
    assert pattern_status(FileResult(FILE)) == STATUS_READY == "ready_for_review"
    assert pattern_status(FileResult(FILE, (warning,))) == STATUS_READY
    assert pattern_status(FileResult(FILE, (error,))) == STATUS_FAILED == "validation_failed"
    assert score_text(FileResult(FILE, (), PatternFacts(score_total=31))) == "31/40"
    assert score_text(FileResult(FILE)) is None
    assert CHECK_LABELS == {"schema": "Schema", "scorecard": "Scorecard", "diagrams": "Diagrams",
                            "repository": "Repository"}


@pytest.mark.parametrize(("text", "shown"), [
    ("plain ascii", "plain ascii"),
    ("tab\tkept", "tab\tkept"),
    ("escape \x1b[31mred", "escape \\x1b[31mred"),
    ("nul\x00 bell\x07 del\x7f c1\x85", "nul\\x00 bell\\x07 del\\x7f c1\\x85"),
    ("two\nlines\r", "two\\x0alines\\x0d"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("unicode é ✓ \u00a0", "unicode é ✓ \u00a0"),
])
def test_printable_escapes_what_would_drive_a_terminal(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_may_keep_newlines() -> None:
    assert printable("a\nb\r\x1b", keep_newlines=True) == "a\nb\\x0d\\x1b"


def test_without_surrogates_replaces_only_lone_surrogates() -> None:
    assert without_surrogates("ascii\x1b") == "ascii\x1b"
    assert without_surrogates("é \ud800 \udfff ✓") == "é \ufffd \ufffd ✓"
    without_surrogates("x \udc80").encode("utf-8")  # encodable now


def text_of(document: object, expand: int) -> str:
    return "".join(json_chunks(document, expand=expand))


def test_json_chunks_lay_out_the_outer_levels_one_member_per_line() -> None:
    document = {"schemaVersion": 1, "patterns": [{"file": "a", "findings": [1, 2]}, {"b": {}}],
                "empty": {}, "none": []}
    one = text_of(document, 1)
    assert one == ('{\n  "schemaVersion": 1,\n  "patterns": [{"file": "a", "findings": [1, 2]}, '
                   '{"b": {}}],\n  "empty": {},\n  "none": []\n}\n')
    two = text_of(document, 2)
    assert two == ('{\n  "schemaVersion": 1,\n  "patterns": [\n    {"file": "a", "findings": '
                   '[1, 2]},\n    {"b": {}}\n  ],\n  "empty": {},\n  "none": []\n}\n')
    for text in (one, two, text_of(document, 0), text_of(document, 5)):
        assert json.loads(text) == document
        assert text.endswith("}\n")


def test_json_chunks_write_an_iterator_as_an_array_item_by_item() -> None:
    produced: list[int] = []

    def items() -> Iterator[dict[str, int]]:
        for index in range(3):
            produced.append(index)
            yield {"n": index}

    chunks = json_chunks({"items": items()}, expand=2)
    first = [next(chunks) for _ in range(2)]  # the key, then the first item
    assert produced == [0]  # nothing is held whole
    rest = "".join(chunks)
    assert json.loads("".join(first) + rest) == {"items": [{"n": 0}, {"n": 1}, {"n": 2}]}
    assert text_of({"none": iter([])}, 2) == '{\n  "none": []\n}\n'
    assert text_of({"flat": iter([1, 2])}, 1) == '{\n  "flat": [1, 2]\n}\n'


def test_json_chunks_are_readable_unicode_and_always_encodable() -> None:
    text = text_of({"msg": "café \ud800", 7: "key"}, 1)
    assert text == '{\n  "msg": "café \ufffd",\n  "7": "key"\n}\n'
    text.encode("utf-8")


def test_joined_lines_drop_trailing_blank_lines_only() -> None:
    assert "".join(joined_lines(["# Title", "", "", "text", "", ""])) == "# Title\n\n\ntext\n"
    assert "".join(joined_lines([])) == ""
    assert "".join(joined_lines(["", "x"])) == "\nx\n"


def test_palettes() -> None:
    assert PLAIN.paint("error", "x") == "x"
    assert PLAIN.severity(Severity.WARNING) == "warning"
    assert ANSI.paint("error", "x") == "\x1b[1;31mx\x1b[0m"
    assert ANSI.severity(Severity.NOTE) == "\x1b[1;36mnote\x1b[0m"
    assert ANSI.paint("good", "ok") == "\x1b[1;32mok\x1b[0m"


def test_a_finding_is_one_compiler_style_line_then_its_hint() -> None:
    finding = Finding(FILE, 31, 17, "/scorecard/handoffs", "scorecard.dimension-min",
                      Severity.ERROR, "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)",
                      "Strengthen the pattern's handoffs story.")
    assert location(finding) == f"{FILE}:31:17"
    assert finding_lines(finding) == [
        f"{FILE}:31:17: error[scorecard.dimension-min] scorecard: dimension 'handoffs' scores "
        "2/5 (minimum 3)",
        "  hint: Strengthen the pattern's handoffs story.",
    ]
    assert finding_lines(Finding(FILE, 1, 1, "", "r", Severity.NOTE, "m")) == [
        f"{FILE}:1:1: note[r] m"]


def test_multi_line_messages_and_hints_continue_indented() -> None:
    finding = Finding("odd\x1bname.json", 2, 3, "", "rule\n", Severity.WARNING,
                      "first\nsecond\x07", "do this\nthen that")
    assert finding_lines(finding) == [
        "odd\\x1bname.json:2:3: warning[rule\\x0a] first",
        "  second\\x07",
        "  hint: do this",
        "        then that",
    ]


def test_finding_lines_in_colour() -> None:
    finding = Finding(FILE, 1, 2, "", "r", Severity.ERROR, "m", "h")
    assert finding_lines(finding, ANSI) == [
        f"\x1b[1m{FILE}:1:2:\x1b[0m \x1b[1;31merror\x1b[0m[r] m",
        "\x1b[2m  hint: h\x1b[0m",
    ]
