"""Notifications for what the core just did. Called after the change is committed; a failure
here is recorded in the outbox (or, if even that fails, returned), never raised."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pubflow.config import Config, Reviewer
from pubflow.notify import messages
from pubflow.notify.messages import Notification
from pubflow.notify.outbox import Delivery, send
from pubflow.records.tickets import Ticket, utc_text


def deliver(config: Config, message: Notification) -> list[Delivery]:
    try:
        return send(config, message)
    except OSError as exc:  # the outbox itself cannot be written: say so, do not fail
        return [Delivery("-", "outbox", False, f"cannot write the outbox: {exc}")]


def _team(config: Config) -> list[str]:
    team = config.notifications.get("team") or []
    return [str(t) for t in team] if isinstance(team, list) else []


def ticket_created(config: Config, ticket: Ticket, now: datetime,
                   report: str | None = None) -> list[Delivery]:
    """The author's acknowledgement; a submission that did not validate gets its Markdown
    `report` instead of a review date."""
    if report is not None:
        return validation_failed(config, ticket, report, now)
    expected = utc_text(now + timedelta(days=config.review_sla_days))
    return deliver(config, messages.ticket_created(
        ticket.id, ticket.pattern.id, ticket.pattern.version, ticket.author.email,
        str(ticket.state), expected, utc_text(now)))


def validation_failed(config: Config, ticket: Ticket, report: str,
                      now: datetime) -> list[Delivery]:
    return deliver(config, messages.validation_failed(
        ticket.id, ticket.pattern.id, ticket.pattern.version, ticket.author.email, report,
        utc_text(now)))


def ticket_routed(config: Config, ticket: Ticket, reviewer: Reviewer,
                  now: datetime) -> list[Delivery]:
    return deliver(config, messages.ticket_routed(
        ticket.id, ticket.pattern.id, reviewer.id, reviewer.email, ticket.due or "", utc_text(now)))


def ticket_decided(config: Config, ticket: Ticket, decision: str, reviewer: str,
                   feedback: str | None, severity: str | None, now: datetime) -> list[Delivery]:
    return deliver(config, messages.ticket_decided(
        ticket.id, ticket.pattern.id, decision, reviewer, feedback, severity,
        ticket.author.email, utc_text(now), [c.to_json() for c in ticket.comments()]))


def published(config: Config, ticket: Ticket, version: str, environment: str,
              catalog_entry: dict[str, Any], now: datetime) -> list[Delivery]:
    return deliver(config, messages.published(
        ticket.id, ticket.pattern.id, version, environment, catalog_entry, ticket.author.email,
        _team(config), utc_text(now)))


def rolled_back(config: Config, pattern: str, environment: str, from_version: str,
                to_version: str | None, reason: str, ticket: Ticket | None,
                now: datetime) -> list[Delivery]:
    author = ticket.author.email if ticket is not None else None
    return deliver(config, messages.rolled_back(
        pattern, environment, from_version, to_version, reason,
        ticket.id if ticket else None, author, _team(config), utc_text(now)))


def escalation(config: Config, pattern: str, version: str | None, environment: str,
               reporters: list[str], window: str, action: str, ticket: str | None,
               author: str | None, incident: str,
               now: datetime) -> tuple[Notification, list[Delivery]]:
    """Tell the author of the reported version and the team; the message and what became of
    it (the caller says what was delivered and what waits in the outbox)."""
    message = messages.escalation(pattern, version, environment, reporters, window, action,
                                  ticket, author, _team(config), incident, utc_text(now))
    return message, deliver(config, message)


def digest(config: Config, author: str, environment: str, lines: list[str],
           rows: list[dict[str, Any]], now: datetime) -> list[Delivery]:
    return deliver(config, messages.digest(author, environment, lines, rows, utc_text(now)))
