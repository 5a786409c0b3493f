"""The notifications pubflow sends, built from what just happened (no I/O here)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to some people; `data` is the machine-readable part (the webhook body)."""

    kind: str
    subject: str
    body: str
    to: tuple[str, ...]
    at: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable for the same message, so a retry never sends a second copy under a new id."""
        text = json.dumps([self.kind, self.subject, self.to, self.at, self.data], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "body": self.body,
                "to": list(self.to), "at": self.at, "data": self.data}


def _named(pattern: str, version: str | None) -> str:
    """"incident-escalation 1.2.0", or the id alone when the pattern has no version."""
    return f"{pattern} {version}" if version else pattern


def _people(*groups: object) -> tuple[str, ...]:
    """Addresses in order, without blanks or repeats."""
    seen: list[str] = []
    for group in groups:
        items = group if isinstance(group, list | tuple) else [group]
        for item in items:
            address = item.strip() if isinstance(item, str) else ""
            if address and address not in seen:
                seen.append(address)
    return tuple(seen)


def ticket_created(ticket: str, pattern: str, version: str | None, author: str | None,
                   state: str, expected_review: str, at: str) -> Notification:
    return Notification(
        "ticket-created", f"[pubflow] {ticket}: {_named(pattern, version)} received",
        f"Your pattern {_named(pattern, version)} was received as ticket {ticket} and is now "
        f"{state}.\nExpected review by {expected_review}.\n",
        _people(author), at,
        {"ticket": ticket, "pattern": pattern, "version": version, "state": state,
         "expectedReview": expected_review})


def validation_failed(ticket: str, pattern: str, version: str | None, author: str | None,
                      report: str, at: str) -> Notification:
    """For the author of a submission that did not validate: no review is coming yet; the
    Markdown report says what to fix."""
    return Notification(
        "validation-failed", f"[pubflow] {ticket}: {_named(pattern, version)} needs fixes "
                             "before review",
        f"Your pattern {_named(pattern, version)} ({ticket}) did not pass validation, so it is "
        "not in review yet. Fix what the report below lists, commit, and run:\n\n"
        f"    pubflow ticket resubmit {ticket}\n\n{report}",
        _people(author), at,
        {"ticket": ticket, "pattern": pattern, "version": version,
         "state": "validation_failed", "report": report})


def ticket_routed(ticket: str, pattern: str, reviewer: str, reviewer_email: str | None,
                  due: str, at: str) -> Notification:
    return Notification(
        "ticket-routed", f"[pubflow] {ticket}: please review {pattern} by {due}",
        f"Ticket {ticket} ({pattern}) is assigned to you ({reviewer}).\nReview deadline: {due}.\n"
        f"Decide with: pubflow ticket review {ticket} --decision approve|reject|request-changes\n",
        _people(reviewer_email), at,
        {"ticket": ticket, "pattern": pattern, "reviewer": reviewer, "due": due})


def ticket_decided(ticket: str, pattern: str, decision: str, reviewer: str,
                   feedback: str | None, severity: str | None, author: str | None,
                   at: str, comments: list[dict[str, Any]] | None = None) -> Notification:
    """A review decision for the author, with the open comments on each section."""
    detail = f" ({severity})" if severity else ""
    open_comments = [c for c in comments or () if c.get("open")]
    by_section = "".join(
        f"\n{field}:\n" + "".join(f"  {c['id']} [{c['severity']}] {c['text']}\n"
                                  for c in open_comments if c["field"] == field)
        for field in dict.fromkeys(c["field"] for c in open_comments))
    return Notification(
        "ticket-decision", f"[pubflow] {ticket}: {pattern} {decision}{detail}",
        f"{reviewer} decided on {ticket} ({pattern}): {decision}{detail}.\n"
        + (f"\nFeedback:\n{feedback}\n" if feedback else "")
        + (f"\nOpen comments by section:\n{by_section}" if by_section else ""),
        _people(author), at,
        {"ticket": ticket, "pattern": pattern, "decision": decision, "reviewer": reviewer,
         "feedback": feedback, "severity": severity, "comments": open_comments})


def published(ticket: str, pattern: str, version: str, environment: str,
              catalog_entry: dict[str, Any], author: str | None, team: list[str],
              at: str) -> Notification:
    return Notification(
        "published", f"[pubflow] {pattern} {version} is live in {environment}",
        f"{pattern} {version} ({ticket}) is live in {environment}.\nCatalog entry: "
        f"{json.dumps(catalog_entry, ensure_ascii=False)}\n",
        _people(author, team), at,
        {"ticket": ticket, "pattern": pattern, "version": version, "environment": environment,
         "catalog": catalog_entry})


def rolled_back(pattern: str, environment: str, from_version: str, to_version: str | None,
                reason: str, ticket: str | None, author: str | None, team: list[str],
                at: str) -> Notification:
    target = to_version or "nothing (depublished)"
    return Notification(
        "rolled-back", f"[pubflow] {pattern} rolled back in {environment}: {from_version} -> "
                       f"{target}",
        f"{pattern} in {environment} went from {from_version} to {target}.\nReason: {reason}\n",
        _people(author, team), at,
        {"pattern": pattern, "environment": environment, "from": from_version,
         "to": to_version, "reason": reason, "ticket": ticket})


def escalation(pattern: str, version: str | None, environment: str, reporters: list[str],
               window: str, action: str, ticket: str | None, author: str | None,
               team: list[str], incident: str, at: str) -> Notification:
    recorded = (f"Recorded on ticket {ticket}." if ticket
                else "Recorded on no ticket: none released this version.")
    return Notification(
        "escalation", f"[pubflow] {_named(pattern, version)} in {environment}: "
                      f"{len(reporters)} users reported a problem",
        f"{len(reporters)} distinct users reported an issue with {_named(pattern, version)} "
        f"in {environment} within {window}: {', '.join(reporters)}.\n{action}\n{recorded}\n"
        f"Incident: {incident}\n",
        _people(author, team), at,
        {"pattern": pattern, "version": version, "environment": environment,
         "ticket": ticket, "incident": incident, "reporters": reporters, "action": action})


def digest(author: str, environment: str, lines: list[str], rows: list[dict[str, Any]],
           at: str) -> Notification:
    """An author's daily figures for their patterns live in `environment`."""
    day = at[:10]
    return Notification(
        "digest", f"[pubflow] your patterns in {environment}, {day}",
        f"How your patterns live in {environment} did in the 24 hours up to {at}:\n\n"
        + "\n".join(lines) + "\n",
        _people(author), at, {"environment": environment, "patterns": rows})
