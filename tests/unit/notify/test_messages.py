"""The notifications pubflow sends: who gets them, what they say, and their stable ids."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from pubflow.notify import messages
from pubflow.notify.messages import Notification

AT = "2026-11-23T10:00:00Z"
AUTHOR = "jane.doe@example.org"


def test_the_id_is_stable_for_the_same_message() -> None:
    one = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                 "r.lee@example.org", "2026-11-26T10:00:00Z", AT)
    again = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                   "r.lee@example.org", "2026-11-26T10:00:00Z", AT)
    assert one == again and one is not again
    assert one.id == again.id
    assert re.fullmatch(r"[0-9a-f]{16}", one.id)


@pytest.mark.parametrize("change", [
    {"kind": "other"}, {"subject": "other"}, {"to": ("x@example.org",)},
    {"at": "2026-11-23T10:00:01Z"}, {"data": {"ticket": "PUB-2026-002"}},
])
def test_the_id_changes_with_what_the_message_says(change: dict[str, Any]) -> None:
    before = Notification("k", "s", "b", ("a@x.org",), AT, {"ticket": "PUB-2026-001"})
    assert before.id != replace(before, **change).id


def test_to_json_is_the_webhook_body() -> None:
    message = messages.ticket_created("PUB-2026-001", "incident-escalation", "1.0.0", AUTHOR,
                                      "ready_for_review", "2026-11-26T10:00:00Z", AT)
    body = message.to_json()
    assert body == {
        "id": message.id, "kind": "ticket-created",
        "subject": "[pubflow] PUB-2026-001: incident-escalation 1.0.0 received",
        "body": "Your pattern incident-escalation 1.0.0 was received as ticket PUB-2026-001 "
                "and is now ready_for_review.\nExpected review by 2026-11-26T10:00:00Z.\n",
        "to": [AUTHOR], "at": AT,
        "data": {"ticket": "PUB-2026-001", "pattern": "incident-escalation",
                 "version": "1.0.0", "state": "ready_for_review",
                 "expectedReview": "2026-11-26T10:00:00Z"}}
    assert json.loads(json.dumps(body)) == body


def test_routing_tells_the_reviewer_how_to_decide() -> None:
    message = messages.ticket_routed("PUB-2026-001", "incident-escalation", "rlee",
                                     "r.lee@example.org", "2026-11-26T10:00:00Z", AT)
    assert message.kind == "ticket-routed"
    assert message.to == ("r.lee@example.org",)
    assert message.subject == ("[pubflow] PUB-2026-001: please review incident-escalation by "
                               "2026-11-26T10:00:00Z")
    assert "Review deadline: 2026-11-26T10:00:00Z." in message.body
    assert ("pubflow ticket review PUB-2026-001 --decision approve|reject|request-changes"
            in message.body)
    nobody = messages.ticket_routed("PUB-2026-001", "p", "rlee", None, "d", AT)
    assert nobody.to == ()


def test_a_decision_carries_feedback_and_severity_when_there_are_some() -> None:
    changes = messages.ticket_decided("PUB-2026-001", "incident-escalation", "request-changes",
                                      "rlee", "Step 4 needs a named owner", "major", AUTHOR, AT)
    assert changes.subject == "[pubflow] PUB-2026-001: incident-escalation request-changes (major)"
    assert changes.body == ("rlee decided on PUB-2026-001 (incident-escalation): "
                            "request-changes (major).\n\nFeedback:\nStep 4 needs a named owner\n")
    assert changes.to == (AUTHOR,)
    assert changes.data["feedback"] == "Step 4 needs a named owner"
    approved = messages.ticket_decided("PUB-2026-001", "incident-escalation", "approve", "rlee",
                                       None, None, AUTHOR, AT)
    assert approved.subject == "[pubflow] PUB-2026-001: incident-escalation approve"
    assert "Feedback" not in approved.body
    assert approved.data["severity"] is None


def test_publication_tells_author_and_team_once_each() -> None:
    entry = {"id": "incident-escalation", "version": "1.0.0", "title": "Escalade à temps"}
    message = messages.published("PUB-2026-001", "incident-escalation", "1.0.0", "production",
                                 entry, AUTHOR, ["editors@example.org", AUTHOR, ""], AT)
    assert message.to == (AUTHOR, "editors@example.org")
    assert message.subject == "[pubflow] incident-escalation 1.0.0 is live in production"
    assert '"title": "Escalade à temps"' in message.body
    assert message.data["catalog"] == entry


def test_a_rollback_says_where_to_and_why() -> None:
    back = messages.rolled_back("incident-escalation", "production", "1.1.0", "1.0.0",
                                "canary failed", "PUB-2026-002", AUTHOR, ["ops@example.org"], AT)
    assert back.subject == ("[pubflow] incident-escalation rolled back in production: "
                            "1.1.0 -> 1.0.0")
    assert back.body.endswith("Reason: canary failed\n")
    assert back.to == (AUTHOR, "ops@example.org")
    gone = messages.rolled_back("incident-escalation", "production", "1.0.0", None,
                                "withdrawn", None, None, ["ops@example.org"], AT)
    assert gone.subject.endswith("1.0.0 -> nothing (depublished)")
    assert gone.to == ("ops@example.org",)
    assert (gone.data["to"], gone.data["ticket"]) == (None, None)


def test_an_escalation_goes_to_the_author_and_the_team() -> None:
    message = messages.escalation("incident-escalation", "1.0.0", "production",
                                  ["v1", "v2", "v3"], "1 hour", "Rolled back to 0.9.0.",
                                  "PUB-2026-001", AUTHOR, ["ops@example.org", AUTHOR], "inc-1",
                                  AT)
    assert message.subject == ("[pubflow] incident-escalation 1.0.0 in production: 3 users "
                               "reported a problem")
    assert message.body == ("3 distinct users reported an issue with incident-escalation 1.0.0 "
                            "in production within 1 hour: v1, v2, v3.\nRolled back to 0.9.0.\n"
                            "Recorded on ticket PUB-2026-001.\nIncident: inc-1\n")
    assert message.to == (AUTHOR, "ops@example.org")
    assert message.data == {"pattern": "incident-escalation", "version": "1.0.0",
                            "environment": "production", "ticket": "PUB-2026-001",
                            "incident": "inc-1", "reporters": ["v1", "v2", "v3"],
                            "action": "Rolled back to 0.9.0."}
    nobody = messages.escalation("p", None, "staging", ["v1"], "1 hour", "", None, None, [],
                                 "inc-2", AT)
    assert "Recorded on no ticket" in nobody.body and nobody.to == ()


def test_people_are_kept_in_order_without_blanks_or_repeats() -> None:
    assert messages._people("a@x.org", ["b@x.org", "a@x.org", " ", ""], None, ("c@x.org",),
                            42) == ("a@x.org", "b@x.org", "c@x.org")
    assert messages._people(None, []) == ()


def test_people_padded_repeats_are_repeats() -> None:
    assert messages._people("a@x.org", [" a@x.org "]) == ("a@x.org",)


@pytest.mark.parametrize("text", [
    lambda: messages.ticket_created("PUB-2026-001", "broken-one", None, AUTHOR,
                                    "validation_failed", "2026-11-26T10:00:00Z", AT).subject,
    lambda: messages.ticket_created("PUB-2026-001", "broken-one", None, AUTHOR,
                                    "validation_failed", "2026-11-26T10:00:00Z", AT).body,
    lambda: messages.escalation("broken-one", None, "staging", ["v1"], "1 hour", "", None,
                                None, [], "x", AT).body,
    lambda: messages.escalation("broken-one", None, "staging", ["v1"], "1 hour", "", None,
                                None, [], "x", AT).subject,
], ids=["created-subject", "created-body", "escalation-body", "escalation-subject"])
def test_no_double_space_without_a_version(text: Callable[[], str]) -> None:
    assert "  " not in text()
