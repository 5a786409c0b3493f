"""The `pubflow` command: global options and the list of subcommands, nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pubflow import __version__
from pubflow.cli import diagrams as diagrams_cmd
from pubflow.cli import init as init_cmd
from pubflow.cli import monitor as monitor_cmd
from pubflow.cli import notify as notify_cmd
from pubflow.cli import release as release_cmd
from pubflow.cli import score as score_cmd
from pubflow.cli import ticket as ticket_cmd
from pubflow.cli import validate as validate_cmd
from pubflow.cli.common import STATE

app = typer.Typer(
    name="pubflow",
    help="Publication toolkit for git repositories of orchestration patterns.\n\n"
    "Validate and score patterns, lint their Mermaid diagrams, and run their publication "
    "tickets, promotions and rollbacks, all as files and commits in the repo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pubflow {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    directory: Annotated[Path | None, typer.Option(
        "-C", "--directory", help="Run as if pubflow was started in this folder (like git -C).",
        show_default=False)] = None,
    actor: Annotated[str | None, typer.Option(
        "--actor", envvar="PUBFLOW_ACTOR",
        help="Who is acting (id or email); default: git config user.email.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False,
) -> None:
    """Global options go before the command: `pubflow -C examples/repo validate`."""
    STATE.debug = debug
    STATE.actor = actor
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise typer.BadParameter(f"cannot change to {directory}: {exc.strerror}",
                                     param_hint="-C") from None


app.command("validate")(validate_cmd.validate)
app.command("score")(score_cmd.score)
app.command("diagrams")(diagrams_cmd.diagrams)
app.add_typer(ticket_cmd.ticket_app, name="ticket")
app.command("promote")(release_cmd.promote)
app.command("rollback")(release_cmd.rollback)
app.command("status")(release_cmd.status)
app.add_typer(release_cmd.audit_app, name="audit")
app.command("verify")(release_cmd.verify_state)
app.command("init")(init_cmd.init)
app.command("action")(validate_cmd.action)
app.add_typer(notify_cmd.notify_app, name="notify")
app.command("monitor")(monitor_cmd.monitor)
app.add_typer(monitor_cmd.report_app, name="report")


def main() -> None:
    app()
