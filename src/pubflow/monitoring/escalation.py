"""What happens when users report the same problem: tell the team, record it on the ticket,
and with `--auto-rollback` roll the pattern back (or take it out when there is nothing to
roll back to). Each step is independent: one failing does not stop the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pubflow.config import Config
from pubflow.errors import PubflowError
from pubflow.monitoring.engagement import Escalation


@dataclass(frozen=True, slots=True)
class EscalationOutcome:
    """What was done about one escalation."""

    pattern: str
    ticket_event: str | None
    """The ticket the escalation was recorded on (None: no ticket, or recording failed)."""
    rollback: str | None
    """What the automatic rollback did (None: nothing)."""
    problems: tuple[str, ...]
    """The steps that failed, one sentence each."""

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "ticketEvent": self.ticket_event,
                "rollback": self.rollback, "problems": list(self.problems)}


def escalate(config: Config, escalation: Escalation, environment: str, ticket_id: str | None,
             actor: str, now: datetime, auto_rollback: bool) -> EscalationOutcome:
    from pubflow.notify import events
    from pubflow.release.rollback import rollback
    from pubflow.tickets import service

    window = (f"{escalation.first.strftime('%H:%M')}-{escalation.last.strftime('%H:%M')} UTC "
              f"on {escalation.first.strftime('%Y-%m-%d')}")
    problems: list[str] = []
    rolled: str | None = None
    if auto_rollback:
        reason = (f"auto-rollback: {len(escalation.reporters)} users reported problems within "
                  "an hour")
        try:
            done = rollback(config, escalation.pattern, environment, None, reason, False, actor,
                            now)
            rolled = f"rolled back {done.from_version} -> {done.to_version}"
        except PubflowError as exc:
            if "no earlier release" not in exc.message:
                problems.append(exc.message)
            else:
                try:
                    done = rollback(config, escalation.pattern, environment, None, reason, True,
                                    actor, now)
                    rolled = f"depublished {done.from_version} (no earlier release)"
                except PubflowError as again:
                    problems.append(again.message)
    action = rolled or ("no automatic action (run with --auto-rollback to roll back)"
                        if not auto_rollback else "the automatic rollback failed")
    events.escalation(config, escalation.pattern, escalation.version,
                      list(escalation.reporters), window, action, now)
    ticket_event = None
    if ticket_id is not None:
        try:
            service.note(config, ticket_id, actor, now, "escalated",
                         f"{len(escalation.reporters)} users reported problems ({window}); "
                         f"{action}", reporters=list(escalation.reporters))
            ticket_event = ticket_id
        except PubflowError as exc:
            problems.append(exc.message)
    return EscalationOutcome(escalation.pattern, ticket_event, rolled, tuple(problems))
