"""What every command shares: the error-to-exit-code mapping, output streams, colour choice.

This is the only place that turns a `PubflowError` into a message and an exit code, so the
exit codes of the whole tool can be read in one screen.
"""

from __future__ import annotations

import enum
import functools
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from pubflow.cli.terminal import use_color
from pubflow.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, PubflowError, UsageError

if TYPE_CHECKING:
    from pubflow.config import Config

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class GlobalState:
    """Options given before the command name (`pubflow --debug validate`)."""

    debug: bool = False
    actor: str | None = None


STATE = GlobalState()

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Explain what was checked.")]
Paths = Annotated[
    list[Path] | None,
    typer.Argument(help="Pattern files or folders (default: the patterns folder).",
                   show_default=False),
]


def handle_errors(func: F) -> F:
    """Run a command body; map pubflow errors to their exit codes, anything else to 3."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PubflowError as exc:
            print_error(exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            sys.stderr.write("pubflow: interrupted\n")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if STATE.debug:
                traceback.print_exc()
            print_error(f"internal error: {type(exc).__name__}: {exc}",
                        "This is a bug in pubflow; run again with --debug for the traceback "
                        "and report it.")
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def print_error(message: str, hint: str | None = None) -> None:
    color = use_color(sys.stderr)
    prefix = "\x1b[1;31mpubflow: error:\x1b[0m" if color else "pubflow: error:"
    lines = message.splitlines() or [message]
    sys.stderr.write(f"{prefix} {lines[0]}\n")
    for line in lines[1:]:
        sys.stderr.write(f"  {line}\n")
    if hint:
        sys.stderr.write(f"  hint: {hint}\n")


def make_console() -> Any:
    """A rich console for tables: colour on a terminal only; wide and plain when piped."""
    from rich.console import Console

    color = use_color(sys.stdout)
    return Console(no_color=not color, highlight=False, force_terminal=color or None,
                   width=None if color else 200, soft_wrap=not color)


def repo_context(*, needs_git: bool = False) -> tuple[Config, datetime]:
    """The repository's configuration (found from the current folder) and the time now;
    `needs_git`: refuse (exit 2) outside a git repository rather than show empty state."""
    from pubflow.config import find_root, load_config

    root = find_root(Path.cwd())
    if needs_git:
        from pubflow.storage import git as gitrepo

        if not gitrepo.is_repository(root):
            raise UsageError(f"{root}: not a git repository; pubflow keeps tickets and "
                             "releases as files and commits in one",
                             hint="Run pubflow inside your pattern repository, or "
                                  "`pubflow init` / `git init` to make one.")
    return load_config(root), datetime.now(UTC)


def acting_actor(config: Config, *, commits: bool = True) -> str:
    """--actor / PUBFLOW_ACTOR, else git's user.email; who is recorded in every event.

    An actor holding a control character (a newline, an escape sequence) is refused: it
    could pass for someone else in a terminal, a log line or a commit message. When the
    repository asks for signed decisions and the command `commits`, a missing signing key is
    refused here, before anything is written."""
    if config.signed_commits and commits:
        from pubflow.storage.signing import signing_arguments

        signing_arguments(config.root)
    if STATE.actor and STATE.actor.strip():
        return _checked_actor(STATE.actor.strip())
    from pubflow.storage import git as gitrepo

    email = gitrepo.user_email(config.root)
    if email:
        return _checked_actor(email.strip())
    raise UsageError("who is acting? pass --actor ID, set PUBFLOW_ACTOR, or set "
                     "git config user.email")


def _checked_actor(actor: str) -> str:
    from pubflow.config import control_characters

    if control_characters(actor):
        raise UsageError(f"the actor {actor!r} contains control characters",
                         hint="Pass --actor (or PUBFLOW_ACTOR, or git's user.email) with a "
                              "plain id or email.")
    return actor


class TextOrJson(enum.StrEnum):
    """The `--format` choices of commands that print a table or a JSON document."""

    text = "text"
    json = "json"


def report_deliveries(deliveries: Any) -> None:
    """One stderr line per notification a channel could not deliver (it stays queued)."""
    for delivery in deliveries or ():
        if not delivery.ok:
            sys.stderr.write(f"pubflow: notification not delivered by {delivery.channel} "
                             f"({delivery.detail}); kept in the outbox, `pubflow notify flush` "
                             "retries it\n")
