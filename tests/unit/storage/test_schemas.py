"""The shipped schemas: the generated pass/fail validator and jsonschema give one verdict, and
a failing document's problems are worded "where: message", top level first."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from pubflow.storage.schemas import (
    load_schema,
    passes,
    schema_problems,
    schema_text,
    schema_validator,
)
from tests.conftest import PROJECT, valid_pattern

DIGEST = "a" * 64
EVENT = {"at": "2026-01-05T09:00:00Z", "actor": "jdoe", "event": "submitted", "from": None,
         "to": "submission_received", "reason": None, "prev": None, "hash": DIGEST}
TICKET = {
    "apiVersion": "pubflow.dev/v1", "kind": "PublicationTicket", "id": "PUB-2026-001",
    "state": "submission_received", "priority": "normal",
    "pattern": {"id": "incident-escalation", "path": "patterns/incident-escalation.json",
                "version": "1.0.0", "digest": DIGEST, "industries": ["saas"]},
    "author": {"id": "jdoe", "email": "j@example.org", "name": None},
    "reviewer": None, "due": None, "findings": [], "history": [EVENT],
}
RELEASE = {"version": "1.0.0", "digest": DIGEST, "ticket": "PUB-2026-001", "release": "initial",
           "by": "releng", "at": "2026-01-05T09:00:00Z",
           "package": ".pubflow/releases/incident-escalation/1.0.0"}
ENVIRONMENT = {
    "apiVersion": "pubflow.dev/v1", "kind": "Environment", "name": "production",
    "patterns": {"incident-escalation": {
        **RELEASE, "version": "1.1.0", "release": "minor",
        "rollout": {"stable": "1.0.0", "canary": "1.1.0", "weight": 25},
        "history": [{**RELEASE, "until": "2026-01-06T09:00:00Z", "ended": "superseded"}]}},
    "retired": {"old-pattern": {"at": "2026-01-07T09:00:00Z", "by": "releng", "reason": None,
                                "history": [RELEASE]}},
}

Edit = Callable[[Any], None]


def setter(path: str, value: Any) -> Edit:
    def edit(doc: Any) -> None:
        *parents, last = path.split("/")
        for key in parents:
            doc = doc[int(key)] if isinstance(doc, list) else doc[key]
        if isinstance(doc, list):
            doc[int(last)] = value
        elif value is DELETE:
            del doc[last]
        else:
            doc[last] = value
    return edit


DELETE = object()

EDITS: dict[str, list[Edit]] = {
    "pattern.schema.json": [
        setter("id", "Not Kebab"), setter("version", "1.0"), setter("version", 1),
        setter("author/email", "nobody"), setter("industries", []),
        setter("tags", ["a", "a"]), setter("scorecard/handoffs", 6),
        setter("scorecard/handoffs", 4.0), setter("scorecard/handoffs", True),
        setter("colour", "blue"), setter("name", DELETE), setter("hookMarkdown", ""),
        setter("acceptanceCriteria", [{"given": "a", "when": "b"}]),
        setter("implementationChecklist", [""]), setter("relatedPatterns", ["x", "x"]),
    ],
    "ticket.schema.json": [
        setter("state", "lost"), setter("id", "PUB-1"), setter("pattern/digest", "abc"),
        setter("pattern/path", "../etc/passwd"), setter("author/email", None),
        setter("history", []), setter("history/0/actor", 5), setter("history/0/to", "nowhere"),
        setter("reviewer", 7), setter("extra", 1), setter("findings", DELETE),
        setter("due", "tomorrow"),
    ],
    "environment.schema.json": [
        setter("kind", "Ticket"), setter("name", ""), setter("patterns/incident-escalation/weight",
                                                              25),
        setter("patterns/incident-escalation/rollout/weight", 101),
        setter("patterns/incident-escalation/digest", "short"),
        setter("patterns/incident-escalation/history/0/ended", "lost"),
        setter("retired/old-pattern/history", "none"), setter("patterns", []),
    ],
}
VALID = {"pattern.schema.json": valid_pattern(), "ticket.schema.json": TICKET,
         "environment.schema.json": ENVIRONMENT}


def cases() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, edits in EDITS.items():
        found.append((name, VALID[name]))
        for edit in edits:
            doc = copy.deepcopy(VALID[name])
            edit(doc)
            found.append((name, doc))
        found.extend((name, other) for other in (None, [], "text", 5, {}))
    return found


@pytest.mark.parametrize(("name", "doc"), cases())
def test_passes_agrees_with_jsonschema(name: str, doc: Any) -> None:
    errors = list(schema_validator(name).iter_errors(doc))
    assert passes(name, doc) == (not errors)
    assert bool(schema_problems(name, doc)) == bool(errors)
    assert len(schema_problems(name, doc)) == len(errors)


@pytest.mark.parametrize("name", list(VALID))
def test_the_valid_documents_pass(name: str) -> None:
    assert passes(name, VALID[name])
    assert schema_problems(name, VALID[name]) == []


def test_a_schema_without_a_generated_validator_is_a_key_error() -> None:
    with pytest.raises(KeyError, match=r"config\.schema\.json has no generated validator"):
        passes("config.schema.json", {})


def test_problems_are_worded_where_colon_message() -> None:
    doc = valid_pattern(colour="blue")
    del doc["name"]
    doc["author"]["email"] = "nobody"
    doc["scorecard"]["handoffs"] = 6
    problems = schema_problems("pattern.schema.json", doc)
    assert problems[:2] == [
        "(top level): 'name' is a required property",
        "(top level): Additional properties are not allowed ('colour' was unexpected)",
    ]
    assert problems[2].startswith("author/email: 'nobody' does not match ")
    assert problems[3:] == ["scorecard/handoffs: 6 is greater than the maximum of 5"]
    assert schema_problems("pattern.schema.json", []) == [
        "(top level): [] is not of type 'object'"]
    assert schema_problems("ticket.schema.json", {**TICKET, "state": "lost"}) == [
        "state: 'lost' is not one of ['submission_received', 'validation_failed', "
        "'ready_for_review', 'in_review', 'changes_requested', 'approved', 'rejected', "
        "'staged', 'live', 'rolled_back', 'depublished', 'withdrawn']"]


def test_problems_in_a_long_list_come_in_index_order() -> None:
    doc = copy.deepcopy(TICKET)
    doc["history"] = [{**EVENT, "actor": f"a{i}"} for i in range(11)]
    doc["history"][2]["actor"] = 5
    doc["history"][10]["actor"] = 6
    assert schema_problems("ticket.schema.json", doc) == [
        "history/2/actor: 5 is not of type 'string'",
        "history/10/actor: 6 is not of type 'string'",
    ]


def test_schema_text_is_the_shipped_file() -> None:
    for name in ("pattern.schema.json", "ticket.schema.json", "environment.schema.json",
                 "config.schema.json", "validate-report.schema.json"):
        shipped = PROJECT / "src" / "pubflow" / "schemas" / name
        assert schema_text(name) == shipped.read_text(encoding="utf-8")
        assert load_schema(name) == json.loads(shipped.read_text(encoding="utf-8"))
    assert load_schema("pattern.schema.json")["$schema"].startswith(
        "http://json-schema.org/draft-07/schema")
    assert schema_validator("pattern.schema.json") is schema_validator("pattern.schema.json")
