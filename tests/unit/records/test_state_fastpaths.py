"""The generated pass/fail validators for ticket and environment files must agree with
jsonschema, on valid documents and on every way of breaking them we can think of."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from pubflow._generated import environment_fastpath as _environment_fastpath
from pubflow._generated import ticket_fastpath as _ticket_fastpath
from pubflow.storage.schemas import schema_validator

DIGEST = "a" * 64
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

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return mutate


_DELETE = object()
ENV_MUTATIONS = [
    _set("kind", "Ticket"), _set("name", "Prod Env"), _set("patterns", []),
    _set("patterns/incident-escalation/version", 1),
    _set("patterns/incident-escalation/digest", "xyz"),
    _set("patterns/incident-escalation/ticket", "PUB-1"),
    _set("patterns/incident-escalation/at", "yesterday"),
    _set("patterns/incident-escalation/release", "huge"),
    _set("patterns/incident-escalation/by", _DELETE),
    _set("patterns/incident-escalation/rollout/weight", 0),
    _set("patterns/incident-escalation/rollout/weight", 101),
    _set("patterns/incident-escalation/rollout/canary", _DELETE),
    _set("patterns/incident-escalation/history/0/ended", "vanished"),
    _set("patterns/incident-escalation/history/0/until", 5),
    _set("patterns/Bad_Id", copy.deepcopy(RELEASE)),
    _set("retired/old-pattern/history", "none"),
    _set("apiVersion", _DELETE),
]
TICKET_MUTATIONS = [
    _set("kind", "Environment"), _set("id", "PUB-26-1"), _set("state", "lost"),
    _set("priority", "urgent"), _set("pattern/digest", "abc"), _set("pattern/path", "/etc/x"),
    _set("pattern/path", "../outside.json"), _set("pattern/extra", 1),
    _set("author/id", _DELETE), _set("due", "tomorrow"), _set("findings", [{"file": "x"}]),
    _set("history", []), _set("history/0", {**EVENT, "to": "nowhere"}),
    _set("history/0", {**EVENT, "at": "2026-01-05 09:00"}),
    _set("history/0", {**EVENT, "prev": "short"}), _set("history/0", {"at": "x"}),
]


def _agree(fast: Any, schema: str, doc: dict[str, Any]) -> bool:
    try:
        fast.validate(doc)
        fast_ok = True
    except ValueError:
        fast_ok = False
    slow_ok = not list(schema_validator(schema).iter_errors(doc))
    assert fast_ok == slow_ok, json.dumps(doc)[:400]
    return fast_ok


def test_valid_documents_pass_both() -> None:
    assert _agree(_environment_fastpath, "environment.schema.json", copy.deepcopy(ENVIRONMENT))
    assert _agree(_ticket_fastpath, "ticket.schema.json", copy.deepcopy(TICKET))


@pytest.mark.parametrize("mutate", ENV_MUTATIONS)
def test_broken_environments_fail_both(mutate: Mutation) -> None:
    doc = copy.deepcopy(ENVIRONMENT)
    mutate(doc)
    assert not _agree(_environment_fastpath, "environment.schema.json", doc)


@pytest.mark.parametrize("mutate", TICKET_MUTATIONS)
def test_broken_tickets_fail_both(mutate: Mutation) -> None:
    doc = copy.deepcopy(TICKET)
    mutate(doc)
    assert not _agree(_ticket_fastpath, "ticket.schema.json", doc)
