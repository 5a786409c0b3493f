"""The generated pass/fail validator must agree with jsonschema on every document we know of."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubflow.checks.schema import detailed_errors, full_schema_errors, is_valid_fast
from tests.conftest import EXAMPLES, PROJECT, valid_pattern

sys.path.insert(0, str(PROJECT / "bench"))
from gen_patterns import generate


def _described(errors: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((str(list(e.absolute_path)), e.validator, e.message) for e in errors)


def agree(data: Any) -> None:
    """Same verdict as jsonschema, and the same errors when only the failing fields are
    explained as when the whole schema is."""
    errors = detailed_errors(data)
    assert is_valid_fast(data) == (not errors), json.dumps(data)[:300]
    assert _described(errors) == _described(full_schema_errors(data)), json.dumps(data)[:300]


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
