"""The hash chain of a ticket's history: canonical, so only a change of value breaks it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pubflow.records.chain import chain_breaks, event_hash
from pubflow.records.states import State
from pubflow.records.store import parse_ticket_bytes
from pubflow.records.tickets import append_event
from pubflow.storage.yaml import dump_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PREV_MISMATCH = "its prev does not match the hash of the event before it"
EDITED = "its content does not match its hash (edited after the fact)"


def history_doc() -> Any:
    """A ticket-like document with three chained events, as pubflow writes them."""
    from ruamel.yaml.comments import CommentedMap

    doc = CommentedMap()
    doc["id"] = "PUB-2026-001"
    append_event(doc, actor="jdoe", event="submitted", from_state=None,
                 to=State.SUBMISSION_RECEIVED, now=NOW, reason="pattern submitted",
                 digest="a" * 64)
    append_event(doc, actor="jdoe", event="validated", from_state=State.SUBMISSION_RECEIVED,
                 to=State.READY_FOR_REVIEW, now=NOW, reason="validated café 1.0.0", errors=0)
    append_event(doc, actor="editor", event="routed", from_state=State.READY_FOR_REVIEW,
                 to=State.IN_REVIEW, now=NOW + timedelta(hours=1), reason="routed to rlee",
                 reviewer="rlee")
    return doc


def reload(text: str) -> list[Any]:
    return list(parse_ticket_bytes(text.encode("utf-8"), "t.yaml")["history"])


def test_the_hash_is_sha256_of_canonical_json_without_the_hash_field() -> None:
    event = {"to": "in_review", "at": "2026-11-23T10:00:00Z", "reason": "café", "prev": None,
             "errors": 0, "hash": "whatever is stored here"}
    canonical = ('{"at":"2026-11-23T10:00:00Z","errors":0,"prev":null,"reason":"café",'
                 '"to":"in_review"}')
    assert event_hash(event) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_key_order_and_the_stored_hash_do_not_matter() -> None:
    one = {"a": 1, "b": "x", "hash": "1" * 64}
    other = {"b": "x", "a": 1}
    assert event_hash(one) == event_hash(other)


def test_a_value_of_another_type_is_another_value() -> None:
    assert event_hash({"errors": 0}) != event_hash({"errors": "0"})
    assert event_hash({"reason": None}) != event_hash({})


def test_a_fresh_history_has_no_breaks() -> None:
    history = list(history_doc()["history"])
    assert history[0]["prev"] is None
    assert [e["prev"] for e in history[1:]] == [e["hash"] for e in history[:-1]]
    assert chain_breaks(history) == []
    assert chain_breaks([]) == []


def test_reformatting_the_yaml_changes_nothing() -> None:
    text = dump_yaml(history_doc()).decode("utf-8")
    reformatted = (
        "# a comment a reviewer added\n"
        + text.replace("  - at: '2026-11-23T10:00:00Z'", '  - at: "2026-11-23T10:00:00Z"'
                       "   # double quotes now")
              .replace("    actor: jdoe\n    event: submitted\n",
                       "    event: submitted\n    actor: 'jdoe'\n")  # reordered and quoted
              .replace("  - ", "  -   ")  # wider indentation inside the list items
              .replace("\n    ", "\n      ")
    )
    assert reformatted != text
    history = reload(reformatted)
    assert len(history) == 3
    assert chain_breaks(history) == []
    # and through the fast C loader used for read-only summaries
    plain = parse_ticket_bytes(reformatted.encode(), "t.yaml", round_trip=False)["history"]
    assert chain_breaks(plain) == []


def test_flow_style_yaml_hashes_the_same() -> None:
    history = list(history_doc()["history"])
    first = history[0]
    flow = ("history: [{hash: " + first["hash"] + ", prev: null, to: submission_received, "
            "from: null, reason: pattern submitted, event: submitted, actor: jdoe, "
            "at: '2026-11-23T10:00:00Z', digest: " + "a" * 64 + "}]\n")
    assert chain_breaks(reload(flow)) == []


@pytest.mark.parametrize(("index", "key", "value"), [
    (0, "actor", "mallory"),
    (0, "digest", "b" * 64),
    (1, "reason", "validated cafe 1.0.0"),
    (1, "errors", 1),
    (2, "at", "2026-11-23T09:00:00Z"),
    (2, "to", "approved"),
])
def test_editing_any_value_is_reported_at_that_event(index: int, key: str, value: Any) -> None:
    history = list(history_doc()["history"])
    history[index][key] = value
    assert chain_breaks(history) == [(index, EDITED)]


def test_an_added_field_is_an_edit_too() -> None:
    history = list(history_doc()["history"])
    history[1]["comment"] = "slipped in later"
    assert chain_breaks(history) == [(1, EDITED)]


def test_re_hashing_an_edited_event_breaks_the_chain_from_there_on() -> None:
    history = list(history_doc()["history"])
    history[0]["actor"] = "mallory"
    history[0]["hash"] = event_hash(history[0])  # covering one's tracks
    assert chain_breaks(history) == [(1, PREV_MISMATCH)]


def test_a_deleted_event_is_reported_where_the_gap_is() -> None:
    history = list(history_doc()["history"])
    del history[1]
    assert chain_breaks(history) == [(1, PREV_MISMATCH)]


def test_reordered_events_are_reported() -> None:
    history = list(history_doc()["history"])
    history[1], history[2] = history[2], history[1]
    assert chain_breaks(history) == [(1, PREV_MISMATCH), (2, PREV_MISMATCH)]


def test_a_first_event_that_claims_a_predecessor_is_reported() -> None:
    history = list(history_doc()["history"])[:1]
    history[0]["prev"] = "c" * 64
    # the prev is part of the hashed content as well
    assert chain_breaks(history) == [(0, PREV_MISMATCH), (0, EDITED)]


def test_an_event_without_a_hash_is_reported() -> None:
    history = list(history_doc()["history"])
    del history[2]["hash"]
    assert chain_breaks(history) == [(2, EDITED)]
