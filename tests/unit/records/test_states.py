from __future__ import annotations

import pytest

from pubflow.errors import GateRefused
from pubflow.records.states import TRANSITIONS, State, check_transition


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(State)


def test_legal_transition_passes() -> None:
    check_transition("PUB-2026-001", State.IN_REVIEW, State.APPROVED)


def test_illegal_transition_names_state_and_next_steps() -> None:
    with pytest.raises(GateRefused) as info:
        check_transition("PUB-2026-001", State.READY_FOR_REVIEW, State.APPROVED)
    assert info.value.exit_code == 1
    assert info.value.message == ("PUB-2026-001: cannot move from ready_for_review to approved; "
                                  "allowed next: in_review, withdrawn")


def test_final_state_says_so() -> None:
    with pytest.raises(GateRefused, match=r"allowed next: none \(final state\)"):
        check_transition("PUB-2026-001", State.REJECTED, State.IN_REVIEW)


def test_every_open_state_can_be_withdrawn_and_withdrawn_is_final() -> None:
    from pubflow.records.states import OPEN_STATES

    assert {s for s in State if State.WITHDRAWN in TRANSITIONS[s]} == set(OPEN_STATES)
    assert TRANSITIONS[State.WITHDRAWN] == ()
    assert State.WITHDRAWN not in OPEN_STATES


def test_an_approval_can_be_taken_back_before_promotion() -> None:
    check_transition("PUB-2026-001", State.APPROVED, State.CHANGES_REQUESTED)
    check_transition("PUB-2026-001", State.APPROVED, State.REJECTED)
    with pytest.raises(GateRefused):
        check_transition("PUB-2026-001", State.STAGED, State.CHANGES_REQUESTED)


@pytest.mark.parametrize("state", list(State))
def test_no_state_is_a_dead_end(state: State) -> None:
    from pubflow.records.states import ways_forward

    steps = ways_forward("PUB-2026-001", state, "incident-escalation")
    assert steps and all(step.strip() for step in steps)
    text = " ".join(steps)
    if TRANSITIONS[state]:
        assert "pubflow " in text and ("PUB-2026-001" in text or "incident-escalation" in text)
    else:
        assert text.startswith(f"none: {state} is final") and "ticket create" in text
