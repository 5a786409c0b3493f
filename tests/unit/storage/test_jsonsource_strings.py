"""A place inside a JSON string value (a line and column of the decoded text) found in the file,
every escape counted as the one character it stands for (issue 17: budget and link findings
point inside diagram and Markdown strings)."""

from __future__ import annotations

import json
from json.decoder import scanstring

import pytest

from pubflow.storage.jsonsource import JsonDocument, LineInString, parse_json_bytes

VALUE = 'sequenceDiagram\n  A->>B: "hi" caf\u00e9 \U0001f600 x\\y\n\tB-->>A: ok/done\n'


def document(raw: str) -> JsonDocument:
    doc = parse_json_bytes(raw.encode(), "f.json")
    assert isinstance(doc, JsonDocument)
    return doc


@pytest.mark.parametrize("raw", [
    json.dumps({"a": 1, "d": VALUE}),
    json.dumps({"a": 1, "d": VALUE}, ensure_ascii=False, indent=2),
    '{"d": "sequenceDiagram\\u000a  A->>B: x\\/y\\n\\u00e9\\ud83d\\ude00z\\"q"}',
])
def test_every_character_of_every_line_is_found(raw: str) -> None:
    doc = document(raw)
    value: str = doc.data["d"]
    offset = 0
    for number, line in enumerate(value.split("\n"), 1):
        for column in range(1, len(line) + 2):
            if (number, column) == (1, 1):
                continue
            pos = doc.string_line_position("/d", LineInString(number, column))
            rest, _ = scanstring(raw, pos.offset)
            assert rest == value[offset + column - 1:], (number, column)
            assert pos.line == raw.count("\n", 0, pos.offset) + 1
            assert pos.column == pos.offset - (raw.rfind("\n", 0, pos.offset) + 1) + 1
        offset += len(line) + 1


def test_a_plain_line_number_still_means_the_start_of_the_line() -> None:
    doc = document('{"d": "one\\ntwo\\u000athree"}')
    assert doc.string_line_position("/d", 2).offset == 12
    assert doc.string_line_position("/d", 3) == doc.string_position("/d", 3, 1)
    assert doc.string_line_position("/d", 1) == doc.value_position("/d")


def test_places_that_do_not_exist_fall_back() -> None:
    doc = document('{"d": "ab\\ncd", "n": 5}')
    line_two = doc.string_position("/d", 2)
    assert doc.string_position("/d", 2, 9) == line_two  # past the end of its line
    assert doc.string_position("/d", 7, 1) == doc.value_position("/d")  # no such line
    assert doc.string_position("/n", 2, 2) == doc.value_position("/n")  # not a string
    assert doc.string_position("/missing", 2, 2) == doc.value_position("")


def test_a_line_in_string_is_an_int_that_knows_its_column() -> None:
    place = LineInString(7, 3)
    assert place == 7 and place.column == 3 and int(place) + 1 == 8
    assert repr(place) == "LineInString(7, column=3)"
