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


IDENTIFIER_OPTIONS: dict[str, str] = {
    "reviewer": "--reviewer", "env": "--env", "to": "--to", "release": "--release",
    "state": "--state", "ticket_id": "TICKET",
}
"""Command parameters that name someone or something (not free text), by the option a user
types: a control or bidi character in one is refused before the command runs."""


def handle_errors(func: F) -> F:
    """Run a command body; map pubflow errors to their exit codes, anything else to 3.

    Identifiers given on the command line (`IDENTIFIER_OPTIONS`) are checked first: one
    holding a control character is refused (exit 2), naming the option."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            for name, option in IDENTIFIER_OPTIONS.items():
                value = kwargs.get(name)
                if isinstance(value, str):
                    checked_identifier(value, option)
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
    from pubflow.reporters import printable

    # Messages quote what a user or a file said; only the line breaks pubflow put there stay.
    lines = printable(message, keep_newlines=True).split("\n")
    sys.stderr.write(f"{prefix} {lines[0]}\n")
    for line in lines[1:]:
        sys.stderr.write(f"  {line}\n")
    if hint:
        sys.stderr.write(f"  hint: {printable(hint)}\n")


def make_console() -> Any:
    """A rich console for tables: colour on a terminal only; plain when piped, as wide as
    COLUMNS says (else wide: 200)."""
    from rich.console import Console

    from pubflow.cli.terminal import piped_width

    color = use_color(sys.stdout)
    return Console(no_color=not color, highlight=False, force_terminal=color or None,
                   width=None if color else piped_width(), soft_wrap=not color)


def repo_context(*, needs_git: bool = True) -> tuple[Config, datetime]:
    """The repository's configuration (found from the current folder) and the time now;
    `needs_git` (every command but the outbox's): refuse (exit 2) outside a git repository
    rather than show empty state or fail halfway.

    Nothing under `.pubflow/` (or in the outbox) may be a link that leads outside the
    repository: every command refuses to read its state from elsewhere (exit 2, the link
    named). A command that writes checks more strictly in `acting_actor`."""
    from pubflow.config import find_root, load_config
    from pubflow.storage.safepaths import check_state_tree

    root = find_root(Path.cwd())
    if needs_git:
        from pubflow.storage import git as gitrepo

        if not gitrepo.is_repository(root):
            raise UsageError(f"{root}: not a git repository; pubflow keeps tickets and "
                             "releases as files and commits in one",
                             hint="Run pubflow inside your pattern repository, or "
                                  "`pubflow init` / `git init` to make one.")
    config = load_config(root)
    check_state_tree(root, writing=False, extra=(config.outbox_path,))
    return config, datetime.now(UTC)


def acting_actor(config: Config, *, commits: bool = True) -> str:
    """--actor / PUBFLOW_ACTOR, else git's user.email; who is recorded in every event.

    Every command that writes asks this first, so the checks that must come before anything
    is written are made here: the actor is refused (exit 2, naming where it came from) when
    it holds a control or bidi character, since it could pass for someone else in a
    terminal, a log line or a commit message; `.pubflow/` and the outbox are refused when
    any part of them is a link, in or out of the repository (a write would follow it); and
    when the repository asks for signed decisions and the command `commits`, a missing
    signing key is refused."""
    from pubflow.storage.safepaths import check_state_tree

    check_state_tree(config.root, writing=True, extra=(config.outbox_path,))
    if config.signed_commits and commits:
        from pubflow.storage.signing import signing_arguments

        signing_arguments(config.root)
    if STATE.actor and STATE.actor.strip():
        return checked_identifier(STATE.actor.strip(), _actor_source())
    from pubflow.storage import git as gitrepo

    email = gitrepo.user_email(config.root)
    if email:
        return checked_identifier(email.strip(), "git config user.email")
    raise UsageError("who is acting? pass --actor ID, set PUBFLOW_ACTOR, or set "
                     "git config user.email")


def _actor_source() -> str:
    """Where the actor came from: `--actor` or the PUBFLOW_ACTOR variable."""
    import click

    context = click.get_current_context(silent=True)
    if context is not None:
        root = context.find_root()
        source = root.get_parameter_source("actor")
        if source is click.core.ParameterSource.ENVIRONMENT:
            return "PUBFLOW_ACTOR"
        if source is click.core.ParameterSource.COMMANDLINE:
            return "--actor"
    return "--actor (or PUBFLOW_ACTOR)"


def checked_identifier(value: str, source: str) -> str:
    """`value` (an id or email from `source`, an option or a variable), refused (exit 2) when
    it holds a control character (C0, DEL, C1) or a bidi override or isolate."""
    from pubflow.config import control_characters

    if control_characters(value):
        from pubflow.reporters import printable

        raise UsageError(f"{source}: '{printable(value)}' contains control characters or bidi overrides",
                         hint=f"Give {source} as a plain id or email.")
    return value


class TextOrJson(enum.StrEnum):
    """The `--format` choices of commands that print a table or a JSON document."""

    text = "text"
    json = "json"


def report_deliveries(deliveries: Any) -> None:
    """One stderr line per notification a channel could not deliver (it stays queued)."""
    from pubflow.reporters import printable

    for delivery in deliveries or ():
        if not delivery.ok:
            sys.stderr.write(f"pubflow: notification not delivered by "
                             f"{printable(str(delivery.channel))} "
                             f"({printable(str(delivery.detail))}); kept in the outbox, "
                             "`pubflow notify flush` retries it\n")
