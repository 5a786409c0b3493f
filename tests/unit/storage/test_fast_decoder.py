"""A big run decodes with msgspec (`use_fast_decoder`); whatever it accepts must come out exactly
as `json` gives it (values, types, big integers, key order, repeated keys), and whatever it
refuses must be accepted or worded by `json` as before. Both are held to each other here on
the edge cases and on generated and mutated documents."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pubflow.storage.jsonsource as jsonsource
from pubflow.storage.jsonsource import JsonDocument, LoadFailure, parse_json_bytes


@contextmanager
def fast_decoder() -> Iterator[None]:
    """msgspec on for the block (as a big run turns it on), as it was after."""
    saved = jsonsource._fast_decode
    jsonsource.use_fast_decoder()
    assert jsonsource._fast_decode is not None
    try:
        yield
    finally:
        jsonsource._fast_decode = saved


@pytest.fixture
def fast() -> Iterator[None]:
    with fast_decoder():
        yield


def parsed(raw: bytes, *, fast: bool) -> tuple[str, Any]:
    """What a run would see: the data with every type spelled out, or the findings."""
    saved = jsonsource._fast_decode
    if not fast:
        jsonsource._fast_decode = None
    try:
        loaded = parse_json_bytes(raw, "p.json")
    finally:
        jsonsource._fast_decode = saved
    if isinstance(loaded, LoadFailure):
        return "failure", [(f.line, f.column, f.rule, f.message) for f in loaded.findings]
    assert isinstance(loaded, JsonDocument)
    return "data", typed(loaded.data)


def typed(value: Any) -> Any:
    """`value` with the type of every part, so 1 and 1.0 and True differ, and NaN equals NaN."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    return (type(value).__name__, value)


EDGES = [
    b'{"a": 1, "b": 2, "a": 3}',  # a repeated key: the last value, the first place
    b'{"a": 18446744073709551616, "b": -9223372036854775809}',  # beyond 64 bits
    b'{"a": 123456789012345678901234567890123456789}',
    b'{"a": 1e400, "b": -1e400}',  # beyond a double: json gives inf
    b'{"a": 1.7976931348623157e309}',
    b'{"a": 0.1e-400, "b": 5e-324, "c": 2.2250738585072011e-308}',
    b'{"a": 1.00000000000000011102230246251565404236316680908203125}',  # halfway
    b'{"a": 0.30000000000000004, "b": 1E5, "c": -0, "d": -0.0, "e": 1.0}',
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
    b'{"a": "\\ud800"}', b'{"a": "\\udc00x"}',  # lone surrogates: json keeps them
    b'{"\\ud83d\\ude00": "\\u0000\\n\\t\\"\\\\\\/"}',
    b'{"a": "\x01"}',  # a raw control character: a syntax error
    b'{"a": 1,}', b'{"a": 1} x', b'[1, 2', b'{"a" 1}', b"{'a': 1}", b"",
    b"   \n", b'\xef\xbb\xbf{"a": 1}', b'{"a": "\xff"}', b'"just a string"', b"[]", b"null",
    b"[" * 70 + b"]" * 70,  # deeper than a pattern may be
    b"[" * 1200 + b"]" * 1200,  # deeper than either decoder recurses
    b'{"a": true, "b": false, "c": null, "d": [], "e": {}}',
    '{"name": "Café – naïve 🚀", "x": "\u2028"}'.encode(),
]


@pytest.mark.parametrize("raw", EDGES, ids=lambda raw: repr(raw[:30]))
def test_the_fast_decoder_gives_what_json_gives(raw: bytes, fast: None) -> None:
    assert parsed(raw, fast=True) == parsed(raw, fast=False)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans(), indent=st.sampled_from([None, 2]))
def test_generated_documents_decode_alike(value: Any, ascii_only: bool,
                                          indent: int | None) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode("utf-8",
                                                                         "surrogatepass")
    with fast_decoder():
        assert parsed(raw, fast=True) == parsed(raw, fast=False)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, cut=st.integers(min_value=0, max_value=200),
       junk=st.binary(max_size=4))
def test_mutated_documents_decode_or_fail_alike(value: Any, cut: int, junk: bytes) -> None:
    raw = json.dumps({"v": value}).encode()
    mutated = raw[:cut] + junk + raw[cut:]
    with fast_decoder():
        assert parsed(mutated, fast=True) == parsed(mutated, fast=False)
