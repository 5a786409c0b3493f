"""The options of `pubflow` itself, given before the command (`pubflow -C DIR validate`).

Apart from `cli/app.py`, which lists the commands, so that a run that needs no typer (a plain
`validate`, `cli/light.py`) does not import it with the list.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pubflow import __version__
from pubflow.cli.common import STATE


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pubflow {__version__}")
        raise typer.Exit()


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
