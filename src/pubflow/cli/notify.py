"""`pubflow notify ...`: the notification outbox."""

from __future__ import annotations

import sys

import typer

from pubflow.cli.common import handle_errors, repo_context
from pubflow.errors import EXIT_FINDINGS

notify_app = typer.Typer(name="notify", no_args_is_help=True,
                         help="Notifications: the outbox and its delivery.")


@notify_app.command("flush")
@handle_errors
def flush() -> None:
    """Retry every notification a channel (webhook, SMTP) could not deliver yet.

    Exit 1 when some are still pending (they stay in the outbox for the next flush).

    Example: pubflow notify flush
    """
    from pubflow.notify.outbox import flush as run_flush

    config, _now = repo_context(needs_git=False)
    results = run_flush(config)
    for item in results:
        verdict = "sent" if item.ok else "pending"
        sys.stdout.write(f"{item.file}: {item.channel}: {verdict} ({item.detail})\n")
    failed = sum(1 for item in results if not item.ok)
    sys.stdout.write(f"{len(results) - failed} delivered, {failed} still pending\n")
    if failed:
        raise typer.Exit(EXIT_FINDINGS)


@notify_app.command("pending")
@handle_errors
def pending() -> None:
    """List the deliveries still waiting in the outbox.

    Example: pubflow notify pending
    """
    from pubflow.notify.outbox import pending as find_pending

    config, _now = repo_context(needs_git=False)
    waiting = find_pending(config)
    for name, channel in waiting:
        sys.stdout.write(f"{name}: {channel}\n")
    sys.stdout.write(f"{len(waiting)} pending\n")
