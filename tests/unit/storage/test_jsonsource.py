"""Reading JSON with positions: every way a file can be unreadable becomes a located finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- Placing a pointer without the token scan, held to the scan itself ---------------------------

class _ScanOnly:
    """How `JsonDocument` placed pointers before `_written_once`: the token scan alone, going
    only as far as each lookup needs (so of a member written twice, the first, or the last one
    the scan has already passed)."""

    def __init__(self, text: str) -> None:
        from pubflow.storage.jsonsource import _Index, _scan

        self.index = _Index()
        self.scanner: Any = _scan(text, self.index)

    def offset(self, pointer: str, key: bool) -> int | None:
        table = self.index.keys if key else self.index.values
        while pointer not in table and self.scanner is not None:
            try:
                next(self.scanner)
            except StopIteration:
                self.scanner = None
        return table.get(pointer)


def _pointers(data: Any, prefix: str = "") -> list[str]:
    from pubflow.storage.jsonsource import escape_pointer_token

    found = [prefix]
    if isinstance(data, dict):
        for name, value in data.items():
            found += _pointers(value, f"{prefix}/{escape_pointer_token(name)}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _pointers(value, f"{prefix}/{index}")
    return found


def _agree(text: str, lookups: list[tuple[str, bool]]) -> None:
    loaded = parse_json_bytes(text.encode(), "f.json")
    assert isinstance(loaded, JsonDocument), text
    reference = _ScanOnly(loaded.text)
    for pointer, key in lookups:
        assert loaded._offset_of(pointer, key=key) == reference.offset(pointer, key), (
            text, lookups, pointer, key)


DUPLICATES = [
    '{"a": 1, "b": {"c": 2}, "a": 3}',
    '{"a": {"x": 1}, "b": 2, "a": {"y": 3}, "c": [1, {"a": 4}]}',
    '{"a": [1, 2], "a": {"0": "z"}, "\\u0061": 5}',
    '{"s": "x \\"a\\" y", "a": 1, "b": {"a": 2, "a": 3}}',
    '{"k/1": 1, "k~2": {"k/1": 2}, "k\\/1": 3}',
    '{"": 1, "e": {"": [{"": 2}]}, "": 4}',
    '[{"a": 1}, {"a": 2, "a": 3}, [[], {"b": {"b": 1}}]]',
    '  {\n "a" :\t[ 1 ,2, {"b" : null } ] , "c":"\\u00e9\\ud83d\\ude00", "a": true}  ',
]


@pytest.mark.parametrize("text", DUPLICATES)
def test_pointers_are_placed_as_the_scan_places_them(text: str) -> None:
    """Every pointer of the document (and some that are not in it), as value and as member
    name, looked up in several orders: the same offsets as the token scan gives in that
    order, duplicates and escaped names included."""
    import itertools
    import json
    import random

    data = json.loads(text)
    pointers = [*_pointers(data), "/zz", "/a/9", "/a/x/y", "/0/a/b", "/01", "/-1", "x"]
    lookups = [(p, k) for p in pointers for k in (False, True)]
    rng = random.Random(len(text))
    for order in itertools.islice(itertools.permutations(range(len(lookups))), 5):
        _agree(text, [lookups[i] for i in order])
    for _ in range(60):
        _agree(text, rng.sample(lookups, k=rng.randint(1, min(6, len(lookups)))))


json_documents = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["a", "b", 'x"a"', "é"]),
    lambda children: st.lists(children, max_size=4)
    | st.lists(st.tuples(st.sampled_from(["a", "b", "c/d", "e~f", "", "0", "é"]), children),
               max_size=4),
    max_leaves=15,
)


def _dumps(value: Any, rng: Any) -> str:
    """JSON text in which a list of pairs is an object (so names may repeat), with random
    spacing and names sometimes written with escapes."""
    import json

    space = rng.choice(["", " ", "\n  ", "\t"])
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        members = []
        for name, child in value:
            written = json.dumps(name, ensure_ascii=rng.random() < 0.5)
            if name == "a" and rng.random() < 0.3:
                written = '"\\u0061"'
            members.append(f"{space}{written}{space}:{space}{_dumps(child, rng)}")
        return "{" + ",".join(members) + space + "}"
    if isinstance(value, list):
        return "[" + ",".join(f"{space}{_dumps(v, rng)}" for v in value) + space + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


@settings(max_examples=300, deadline=None)
@given(document=json_documents, seed=st.integers(0, 1000))
def test_random_documents_and_lookups_agree(document: Any, seed: int) -> None:
    import json
    import random

    rng = random.Random(seed)
    text = _dumps(document, rng)
    pointers = [*_pointers(json.loads(text)), "/a", "/a/0", "/b/a", "/0/a"]
    lookups = [(rng.choice(pointers), rng.random() < 0.3) for _ in range(8)]
    _agree(text, lookups)


def test_a_pattern_is_placed_without_the_token_scan() -> None:
    """A pattern's names are each written once: every pointer of it is placed by the C
    scanner's skips, and the token scan never starts."""
    import json

    from pubflow.storage.jsonsource import _TWICE, _written_once
    from tests.conftest import valid_pattern

    data = valid_pattern()
    text = json.dumps(data, indent=2, ensure_ascii=False)
    document = parse_json_bytes(text.encode(), "f.json")
    assert isinstance(document, JsonDocument)
    for pointer in _pointers(data):
        for key in (False, True):
            assert _written_once(text, data, pointer, key) is not _TWICE, pointer
            document.value_position(pointer)
    assert document._index is None
