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
                                  "allowed next: in_review")


def test_final_state_says_so() -> None:
    with pytest.raises(GateRefused, match=r"allowed next: none \(final state\)"):
        check_transition("PUB-2026-001", State.REJECTED, State.IN_REVIEW)
