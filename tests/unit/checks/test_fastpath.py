"""The generated pass/fail validators must agree with jsonschema on every document we know of,
and on the adversarial ones below."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.checks.schema import (
    _explain,
    _validator_class,
    detailed_errors,
    full_schema_errors,
    is_valid_fast,
)
from tests.conftest import EXAMPLES, PROJECT, valid_pattern

sys.path.insert(0, str(PROJECT / "bench"))
sys.path.insert(0, str(PROJECT / "tools"))
from gen_fastpath import Explained, StraightLine, UnsupportedSchema

from gen_patterns import generate


def _described(errors: list[Any]) -> list[tuple[Any, ...]]:
    """Everything pubflow reads of each error, in the order they come."""
    return [(list(e.absolute_path), e.validator, e.message, repr(e.validator_value),
             repr(e.instance), e.schema) for e in errors]


def _explained(errors: list[Any]) -> list[str]:
    """What an author reads: every issue with its message and hint."""
    return [repr(issue) for error in errors for issue in _explain(error)]


def _passes(validate: Callable[[Any], Any], data: Any) -> bool:
    try:
        validate(data)
    except ValueError:
        return False
    return True


def agree(data: Any) -> None:
    """The generated functions give jsonschema's answers: the pass/fail one its verdict, the
    errors one its errors (place, keyword and its value, the value, the schema object, the
    message) in its order, and so the same issues, messages and hints."""
    full = full_schema_errors(data)
    shown = json.dumps(data, default=repr)[:300]
    assert is_valid_fast(data) == (not full), shown
    detailed = detailed_errors(data)
    assert _described(detailed) == _described(full), shown
    assert _explained(detailed) == _explained(full), shown


def test_generated_module_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(PROJECT / "tools" / "gen_fastpath.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def example_documents() -> list[Any]:
    docs = []
    for path in sorted(EXAMPLES.rglob("*.json")):
        try:
            docs.append(json.loads(path.read_bytes()))
        except ValueError:
            continue
    return docs


def test_examples_agree() -> None:
    docs = example_documents()
    assert len(docs) >= 20
    for doc in docs:
        agree(doc)


def test_generated_corpus_agrees(tmp_path: Path) -> None:
    generate(tmp_path, 600, 0.3, 7)
    verdicts = []
    for path in sorted((tmp_path / "patterns").iterdir()):
        doc = json.loads(path.read_bytes())
        agree(doc)
        verdicts.append(is_valid_fast(doc))
    assert any(verdicts) and not all(verdicts)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
fields = st.sampled_from([*sorted(valid_pattern()), "relatedPatterns", "$schema", "extra"])
nested = st.sampled_from(["author", "scorecard", "acceptanceCriteria"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=fields, value=json_values, inner=nested, inner_value=json_values)
def test_mutations_agree(field: str, value: Any, inner: str, inner_value: Any) -> None:
    data = valid_pattern()
    data[field] = value
    agree(data)
    data = valid_pattern()
    target = data[inner]
    if isinstance(target, list):
        target[0]["when"] = inner_value
    else:
        target[next(iter(target))] = inner_value
    agree(data)


@pytest.mark.parametrize("value", [4.0, 4.5, True, "4", None, 0, 6])
def test_scorecard_edge_values_agree(value: Any) -> None:
    agree(valid_pattern(scorecard={**valid_pattern()["scorecard"], "handoffs": value}))


# -- Adversarial documents: each is a valid pattern with one thing changed. ---------------------

DELETE = object()
TEXTS = [("hookMarkdown",), ("problemMarkdown",), ("asIsDiagramMermaid",),
         ("orchestratedMarkdown",), ("orchestratedDiagramMermaid",), ("brokenSignals", 0),
         ("implementationChecklist", 1), ("acceptanceCriteria", 0, "given"),
         ("acceptanceCriteria", 0, "when"), ("acceptanceCriteria", 0, "then")]
"""Every place the schema puts a nonEmptyText."""
SCORES = [("scorecard", name) for name in valid_pattern()["scorecard"]]
WRONG_TYPES = [None, True, False, 0, 1, 1.0, 2.5, "text", "", [], ["text"], {}, {"a": "b"}]
CRITERION = {"given": "a P1 outage", "when": "the desk pages", "then": "on-call acks"}


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A valid pattern with the value at `path` replaced (DELETE removes it)."""
    data = valid_pattern()
    *parents, last = path
    target: Any = data
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def case(path: tuple[Any, ...], value: Any) -> Any:
    """`changed(path, value)`, named after the change for pytest's test ids."""
    shown = "deleted" if value is DELETE else repr(value)
    return pytest.param(changed(path, value), id=f"{'.'.join(map(str, path))}={shown}"[:70])


def adversarial() -> list[Any]:
    cases: list[Any] = []
    for place in SCORES[:1] + SCORES[-1:]:  # booleans are no integers, 1.0 is one, 1..5 only
        for score in [True, False, 0, 1, 5, 6, 0.0, 1.0, 5.0, 6.0, 4.5, -1, 1.0000001,
                      float("nan"), float("inf"), float("-inf"), 10**30, "3", None, [3], {}]:
            cases.append(case(place, score))
    for place in TEXTS:  # empty, blank (ASCII and Unicode whitespace), and barely not blank
        for text in ["", " ", "\n", "\t\r\n ", "\u00a0", "\u2003\u3000", "\x1c\x1d\x1e\x1f",
                     "\x85", "\u200b", "x", " x ", "\n\nx"]:
            cases.append(case(place, text))
    for place, texts in [  # `$` is the end of the string: no final newline slips through
        (("id",), ["incident-escalation\n", "\nincident-escalation", "incident-escalation\nx",
                   "Incident", "a--b", "ab", "abc", "a" * 80, "a" * 81]),
        (("version",), ["1.0.0\n", "1.0.0-rc.1\n", "1.0.0+build.5\n", "1.0", "01.0.0",
                        "1.0.0-rc.1+build.5"]),
        (("author", "email"), ["jane.doe@example.org\n", "jane@example", "@example.org",
                               "a@b.co", "a" * 64 + "@" + "b" * 183 + ".org",
                               "a" * 64 + "@" + "b" * 184 + ".org"]),
        (("relatedPatterns",), [["other-pattern\n"], ["other-pattern"], [""], ["Other"]]),
        (("name",), ["", "ab", "abc", "x" * 120, "x" * 121, "   "]),
        (("author", "id"), ["", " "]), (("author", "name"), ["", " ", DELETE]),
        (("$schema",), ["anything", 1, None]),
    ]:
        cases += [case(place, text) for text in texts]
    for place in [("industries",), ("tags",), ("relatedPatterns",), ("brokenSignals",),
                  ("implementationChecklist",)]:  # only the first three want unique items
        for items in [[], ["saas"], ["saas", "saas"], ["a-b", "c-d", "a-b"], ["saas", ["saas"]],
                      [1, True], ["1", 1], [["a"], ["a"]], [None], ("saas",)]:
            cases.append(case(place, items))
    cases.append(case(("acceptanceCriteria",), [CRITERION, CRITERION]))
    for where in [(), ("author",), ("scorecard",), ("acceptanceCriteria", 0)]:  # unknown keys
        cases.append(case((*where, "extra"), "x"))
        cases.append(case((*where, "Id"), 1))
    pattern = valid_pattern()
    for where, names in [((), list(pattern)), (("author",), ["id", "email"]),  # missing keys
                         (("scorecard",), list(pattern["scorecard"])),
                         (("acceptanceCriteria", 0), ["given", "when", "then"])]:
        cases += [case((*where, name), DELETE) for name in names]
    fields = [*[(name,) for name in [*pattern, "tags", "relatedPatterns"]],
              ("author", "id"), ("author", "name"), ("author", "email"), *SCORES,
              ("acceptanceCriteria", 0), ("industries", 0), ("tags", 0)]
    for place in fields:  # a wrong type at each field
        cases += [case(place, value) for value in WRONG_TYPES]
    for criteria in [[CRITERION, {**CRITERION, "then": ""}], [CRITERION, {**CRITERION, "when": " "}],
                     [CRITERION, "x"], [CRITERION, {}], [CRITERION, None],
                     [{"given": "a", "when": "b"}], [CRITERION, {**CRITERION, "extra": "x"}],
                     [CRITERION, {**CRITERION, "given": 1}], [[CRITERION]]]:
        cases.append(case(("acceptanceCriteria",), criteria))
    cases.append(pytest.param({**valid_pattern(), 1: "x"}, id="key-not-a-string"))
    for top in [None, [], [valid_pattern()], "pattern", 0, 1.5, True]:  # no object at the top
        cases.append(pytest.param(top, id=f"top={type(top).__name__}"))
    return cases


@pytest.mark.parametrize("data", adversarial())
def test_adversarial_documents_agree(data: Any) -> None:
    agree(data)


def test_blank_text_check_equals_the_regex_on_every_code_point() -> None:
    r"""The generated code tests the schema's `\S` with `not str.isspace()`: both must call the
    same characters whitespace, on every code point."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert set(re.findall(r"\s", every)) == {c for c in every if c.isspace()}
    assert re.search(r"\S", "") is None and not "".isspace()  # why minLength 1 must come first


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"enum": [1]}}},
    {"type": "string", "const": "x"},
    {"minLength": 1},  # a keyword without the type it applies to
    {"type": ["string", "null"]},
    {"type": "number"},
    {"type": "integer", "exclusiveMinimum": 0},
    {"type": "string", "minLength": True},
    {"type": "object", "additionalProperties": {"type": "string"}},
    {"type": "object", "patternProperties": {"^x": {}}},
    {"type": "object", "properties": {"a": True}},
    {"type": "object", "properties": {"a": {"type": "string", "definitions": {}}}},
    {"type": "object", "properties": {"a": {"$ref": "#/definitions/x", "minLength": 2}},
     "definitions": {"x": {"type": "string"}}},  # Draft-07 ignores a $ref's siblings
    {"type": "object", "properties": {"a": {"$ref": "#/definitions/missing"}}},
    {"type": "object", "properties": {"a": {"$ref": "other.json#/definitions/x"}}},
    {"type": "object", "properties": {"a": {"$ref": "#/definitions/node"}},
     "definitions": {"node": {"type": "object", "properties": {"b": {"$ref": "#/definitions/node"}}}}},
    {"type": "array", "maxItems": 3},
    {"type": "array", "items": [{"type": "string"}]},
    {"type": "array", "uniqueItems": True},
    {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
])
def test_straight_line_refuses_what_it_cannot_check_exactly(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedSchema):
        StraightLine(schema).module("test")
    with pytest.raises(UnsupportedSchema):
        Explained(schema).module("test")


SMALL_SCHEMAS: list[dict[str, Any]] = [
    {"type": "boolean"},
    {"type": "null"},
    {"type": "integer"},
    {"type": "integer", "minimum": 0},
    {"type": "integer", "maximum": 2.5},
    {"type": "string", "minLength": 0},
    {"type": "string", "minLength": 2},
    {"type": "string", "maxLength": 1},
    {"type": "string", "pattern": r"\S"},  # no minLength: "" must fail on the pattern
    {"type": "string", "pattern": "^a$"},
    {"type": "string", "pattern": r"a\$"},  # an escaped `$` stays a literal dollar
    {"type": "array", "items": {"type": "string"}, "uniqueItems": False, "minItems": 0},
    {"type": "array", "items": {"$ref": "#/definitions/b"}, "uniqueItems": True},
    {"type": "object"},
    {"type": "object", "required": ["a"]},
    {"type": "object", "required": ["z"], "additionalProperties": False},  # never valid
    {"type": "object", "properties": {"a": {}, "b": {"description": "anything"}},
     "additionalProperties": False},
    {"type": "object", "properties": {"a": {"$ref": "#/definitions/a"}, "b": {"type": "boolean"}}},
    {"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://example.org/x.json",
     "type": "object", "properties": {"a": {"$ref": "#/definitions/a"}}, "format": "x"},
]
for _schema in SMALL_SCHEMAS:  # a $ref to a $ref, and definitions nobody uses
    _schema["definitions"] = {"a": {"$ref": "#/definitions/b"}, "b": {"type": "string", "minLength": 1},
                              "unused": {"enum": [1]}}
SMALL_VALUES = [None, True, False, 0, 1, 2, 3, 1.0, 2.5, -3, float("nan"), "", " ", "a", "a\n",
                "a$", "ab", "abc", [], ["a"], ["a", "a"], ["a", "b"], ["a", 1], [""], ("a",), {},
                {"a": "x"}, {"a": ""}, {"a": 1}, {"a": "x", "b": None}, {"b": True}, {"z": 1}]


@pytest.mark.parametrize("schema", SMALL_SCHEMAS)
def test_straight_line_agrees_with_jsonschema_on_small_schemas(schema: dict[str, Any]) -> None:
    """The branches the pattern schema does not reach, against the project's own jsonschema
    validator (Draft-07 with ECMA `$`)."""
    namespace: dict[str, Any] = {}
    exec(StraightLine(schema).module("test"), namespace)
    validator = _validator_class()(schema)
    for value in SMALL_VALUES:
        assert _passes(namespace["validate"], value) == validator.is_valid(value), (schema, value)


def _node(schema: dict[str, Any], pointer: str) -> Any:
    node: Any = schema
    for token in pointer.split("/")[1:]:
        node = node[token]
    return node


@pytest.mark.parametrize("schema", [*SMALL_SCHEMAS, *[
    # keywords in another order than `type` first: jsonschema reports them in the schema's order
    {"minLength": 2, "type": "string", "pattern": "^a"},
    {"type": "object", "properties": {"a": {"type": "integer", "maximum": 3, "minimum": 1}},
     "required": ["a", "b"]},
    {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True,
     "minItems": 2},
]])
def test_explained_errors_agree_with_jsonschema_on_small_schemas(schema: dict[str, Any]) -> None:
    """The errors function on the branches the pattern schema does not reach: every error,
    in jsonschema's order, with its place, keyword, value, schema object and message."""
    schema = {**schema, "definitions": schema.get("definitions", {})}
    namespace: dict[str, Any] = {}
    exec(Explained(schema).module("test"), namespace)
    validator = _validator_class()(schema)
    values = [*SMALL_VALUES, 0.5, 3.5, 4, 1e300, float("inf"), {"a": 4.0}, {"a": 0.5},
              {"a": True}, ["b", "b", 1], [True, 1], [[1], [True]], [{"a": 1}, {"a": 1.0}]]
    for value in values:
        theirs = [(list(e.absolute_path), e.validator, repr(e.validator_value), repr(e.instance),
                   e.schema, e.message) for e in validator.iter_errors(value)]
        ours = [(list(path), keyword, repr(keyword_value), repr(instance), _node(schema, node),
                 message)
                for path, keyword, instance, node, keyword_value, message
                in namespace["iter_errors"](value)]
        assert ours == theirs, (schema, value)
