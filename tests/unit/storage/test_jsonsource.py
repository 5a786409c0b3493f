"""Reading JSON with positions: every way a file can be unreadable becomes a located finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.storage.jsonsource import JsonDocument, LoadFailure, load_json_file, parse_json_bytes


def failure(raw: bytes) -> tuple[str, int, int, str]:
    result = parse_json_bytes(raw, "p.json")
    assert isinstance(result, LoadFailure), result
    (finding,) = result.findings
    return finding.rule, finding.line, finding.column, finding.message


def test_trailing_comma_is_named_with_its_place() -> None:
    assert failure(b'{\n  "a": 1,\n}') == ("json.syntax", 3, 1, "trailing comma before '}'")


def test_trailing_comma_in_array() -> None:
    rule, line, column, message = failure(b'{"a": [1, 2, ]}')
    assert (rule, line, message) == ("json.syntax", 1, "trailing comma before ']'")
    assert column == 14


def test_missing_comma_says_what_was_expected() -> None:
    rule, line, column, message = failure(b'{\n  "a": 1\n  "b": 2\n}')
    assert (rule, line, column) == ("json.syntax", 3, 3)
    assert message.startswith("expected ',' or a closing bracket")


def test_single_quotes() -> None:
    assert failure(b"{'a': 1}")[3] == "property names must use double quotes, not single quotes"


def test_truncated_document() -> None:
    rule, _, _, message = failure(b'{"a": [1, 2')
    assert rule == "json.syntax"
    assert "end of file" in message or "expected" in message


def test_empty_and_whitespace_only_files() -> None:
    assert failure(b"")[0] == "json.empty"
    assert failure(b"  \n\t\n")[0] == "json.empty"


def test_non_utf8_bytes_report_line_and_column_of_the_byte() -> None:
    rule, line, column, message = failure(b'{\n  "name": "caf\xe9"\n}')
    assert (rule, line, column) == ("json.encoding", 2, 15)
    assert "0xe9" in message


def test_utf8_bom_is_accepted() -> None:
    result = parse_json_bytes(b'\xef\xbb\xbf{"a": 1}', "p.json")
    assert isinstance(result, JsonDocument)
    assert result.data == {"a": 1}


def test_nan_is_not_json() -> None:
    rule, line, column, message = failure(b'{\n "a": NaN}')
    assert (rule, line, column, message) == ("json.syntax", 2, 7, "'NaN' is not valid JSON")


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_nesting_is_refused_without_recursion_error(depth: int) -> None:
    rule, line, column, message = failure(b"[" * depth + b"]" * depth)
    assert rule == "json.too-deep"
    assert (line, column) == (1, 65)
    assert "64 levels" in message


def test_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.write(b'{"a": "')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b'"}')
    result = load_json_file(big, "big.json")
    assert isinstance(result, LoadFailure)
    (finding,) = result.findings
    assert finding.rule == "json.too-large"
    assert "50.0 MiB" in finding.message


def test_positions_of_values_keys_and_string_lines() -> None:
    text = b'{\n  "a": [1, {"b/c": "x\\nsecond\\nthird"}],\n  "d": {"e": true}\n}'
    doc = parse_json_bytes(text, "p.json")
    assert isinstance(doc, JsonDocument)
    value = doc.value_position("/a/1/b~1c")
    assert (value.line, value.column) == (2, 20)
    key = doc.key_position("/d/e")
    assert (key.line, key.column) == (3, 9)
    third = doc.string_line_position("/a/1/b~1c", 3)
    assert (third.line, third.column) == (2, 32)
    assert doc.text[third.offset :].startswith("third")
    missing = doc.value_position("/d/nope")
    assert (missing.line, missing.column) == (3, 8)


def test_keys_with_escapes_map_to_their_pointer() -> None:
    doc = parse_json_bytes(b'{"a\\"b": {"~x": 1}}', "p.json")
    assert isinstance(doc, JsonDocument)
    assert doc.value_position('/a"b/~0x').column == 17
