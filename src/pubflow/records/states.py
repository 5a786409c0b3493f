"""The publication state machine: every state a ticket can be in and the legal next steps.

Promotion states (`staged`, `live`, `rolled_back`, `depublished`) are listed here already so
that every part of pubflow refuses the same illegal moves.
"""

from __future__ import annotations

import enum

from pubflow.errors import GateRefused


class State(enum.StrEnum):
    SUBMISSION_RECEIVED = "submission_received"
    VALIDATION_FAILED = "validation_failed"
    READY_FOR_REVIEW = "ready_for_review"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    STAGED = "staged"
    LIVE = "live"
    ROLLED_BACK = "rolled_back"
    DEPUBLISHED = "depublished"


S = State
TRANSITIONS: dict[State, tuple[State, ...]] = {
    S.SUBMISSION_RECEIVED: (S.READY_FOR_REVIEW, S.VALIDATION_FAILED),
    # resubmit: fixed -> back to review (the same reviewer when there was one), or still failing
    S.VALIDATION_FAILED: (S.READY_FOR_REVIEW, S.IN_REVIEW, S.VALIDATION_FAILED),
    S.READY_FOR_REVIEW: (S.IN_REVIEW,),
    S.IN_REVIEW: (S.APPROVED, S.CHANGES_REQUESTED, S.REJECTED),
    S.CHANGES_REQUESTED: (S.IN_REVIEW, S.VALIDATION_FAILED),
    # staged on the way to production; a hotfix may go live at once (and fail its canary)
    S.APPROVED: (S.STAGED, S.LIVE, S.ROLLED_BACK),
    S.REJECTED: (),
    # staged -> staged: promoted to the next pre-production environment
    S.STAGED: (S.STAGED, S.LIVE, S.ROLLED_BACK, S.DEPUBLISHED),
    S.LIVE: (S.ROLLED_BACK, S.DEPUBLISHED),
    S.ROLLED_BACK: (S.STAGED, S.LIVE, S.DEPUBLISHED),
    S.DEPUBLISHED: (),
}

LOCKED_STATES: frozenset[State] = frozenset({S.READY_FOR_REVIEW, S.IN_REVIEW, S.APPROVED,
                                             S.STAGED})
"""States in which the pattern's content is pinned: what is reviewed is what gets promoted.

`validation_failed` and `changes_requested` are left out on purpose: the author is expected to
edit the pattern then, and `resubmit` pins the new content.
"""

OPEN_STATES: frozenset[State] = frozenset(set(State) - {S.REJECTED, S.LIVE, S.ROLLED_BACK,
                                                        S.DEPUBLISHED})
"""A pattern may have at most one ticket in one of these states."""


def check_transition(ticket_id: str, current: State, target: State) -> None:
    """Raise `GateRefused` naming the current state and the legal next steps."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    steps = ", ".join(allowed) if allowed else "none (final state)"
    raise GateRefused(f"{ticket_id}: cannot move from {current} to {target}; "
                      f"allowed next: {steps}")
