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
    WITHDRAWN = "withdrawn"


S = State
W = (S.WITHDRAWN,)
"""`ticket withdraw`: the author (or an editor) gives up a submission that is still open."""
TRANSITIONS: dict[State, tuple[State, ...]] = {
    S.SUBMISSION_RECEIVED: (S.READY_FOR_REVIEW, S.VALIDATION_FAILED, *W),
    # resubmit: fixed -> back to review (the same reviewer when there was one), or still failing
    S.VALIDATION_FAILED: (S.READY_FOR_REVIEW, S.IN_REVIEW, S.VALIDATION_FAILED, *W),
    S.READY_FOR_REVIEW: (S.IN_REVIEW, *W),
    S.IN_REVIEW: (S.APPROVED, S.CHANGES_REQUESTED, S.REJECTED, *W),
    S.CHANGES_REQUESTED: (S.IN_REVIEW, S.VALIDATION_FAILED, *W),
    # staged on the way to production; a hotfix may go live at once (and fail its canary);
    # before it is promoted, a reviewer may take the approval back (request changes, reject)
    S.APPROVED: (S.STAGED, S.LIVE, S.ROLLED_BACK, S.CHANGES_REQUESTED, S.REJECTED, *W),
    S.REJECTED: (),
    # staged -> staged: promoted to the next pre-production environment
    S.STAGED: (S.STAGED, S.LIVE, S.ROLLED_BACK, S.DEPUBLISHED, *W),
    S.LIVE: (S.ROLLED_BACK, S.DEPUBLISHED),
    # a failed canary or a rollback: promoted again once the cause is fixed (its package is
    # reused), brought back by `rollback --to`, or taken out
    S.ROLLED_BACK: (S.STAGED, S.LIVE, S.DEPUBLISHED),
    S.DEPUBLISHED: (),
    S.WITHDRAWN: (),
}

LOCKED_STATES: frozenset[State] = frozenset({S.READY_FOR_REVIEW, S.IN_REVIEW, S.APPROVED,
                                             S.STAGED})
"""States in which the pattern's content is pinned: what is reviewed is what gets promoted.

`validation_failed` and `changes_requested` are left out on purpose: the author is expected to
edit the pattern then, and `resubmit` pins the new content.
"""

OPEN_STATES: frozenset[State] = frozenset(set(State) - {S.REJECTED, S.LIVE, S.ROLLED_BACK,
                                                        S.DEPUBLISHED, S.WITHDRAWN})
"""A pattern may have at most one ticket in one of these states."""


def check_transition(ticket_id: str, current: State, target: State,
                     hint: str | None = None) -> None:
    """Raise `GateRefused` naming the current state and the legal next steps (`hint`: the
    commands that lead on from here, see `ways_forward`)."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    steps = ", ".join(allowed) if allowed else "none (final state)"
    raise GateRefused(f"{ticket_id}: cannot move from {current} to {target}; "
                      f"allowed next: {steps}", hint=hint)


def ways_forward(ticket_id: str, state: State, pattern_id: str,
                 environments: tuple[str, ...] = ("staging", "production")) -> list[str]:
    """The commands that lead on from `state`: no state is a dead end. Shown by `ticket
    show` and in the hint of every refusal."""
    first = environments[0] if environments else "staging"
    envs = "|".join(environments) or "ENV"
    withdraw = f"`pubflow ticket withdraw {ticket_id} --reason TEXT` (author or editor)"
    fix = (f"commit the fixed pattern, then `pubflow ticket resubmit {ticket_id}` (author "
           "or editor)")
    anew = (f"raise the pattern's version, commit it and `pubflow ticket create {pattern_id}` "
            "for a new submission")
    steps: dict[State, list[str]] = {
        S.SUBMISSION_RECEIVED: [f"`pubflow ticket resubmit {ticket_id}` once the pattern "
                                "validates", withdraw],
        S.VALIDATION_FAILED: [fix, withdraw],
        S.READY_FOR_REVIEW: [f"`pubflow ticket route {ticket_id}` (an editor)", withdraw],
        S.IN_REVIEW: [f"`pubflow ticket review {ticket_id} --decision approve|request-changes|"
                      "reject` (the routed reviewer)", withdraw],
        S.CHANGES_REQUESTED: [fix, withdraw],
        S.APPROVED: [f"`pubflow promote {ticket_id} --to {first}` (a promoter)",
                     f"`pubflow ticket review {ticket_id} --decision request-changes --comment "
                     "TEXT` takes the approval back (the reviewer who approved it)", withdraw],
        S.STAGED: [f"`pubflow promote {ticket_id} --to NEXT` ({envs}; a promoter)",
                   f"`pubflow rollback {pattern_id} --env ENV --depublish` (a promoter)",
                   withdraw],
        S.LIVE: [f"`pubflow rollback {pattern_id} --env ENV` or `--depublish` (a promoter)",
                 anew],
        S.ROLLED_BACK: [f"once the cause is fixed, `pubflow promote {ticket_id} --to ENV` "
                        "again (its package is reused; a promoter)",
                        f"`pubflow rollback {pattern_id} --env ENV --to VERSION` brings a "
                        "release back", anew],
    }
    return steps.get(state, [f"none: {state} is final; {anew}"])
