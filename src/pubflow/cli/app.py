"""The `pubflow` command: global options and the list of subcommands, nothing else.

`pubflow <command> ...` builds an app holding only that command, so a run imports and
converts one command module, not all of them (typer turns every registered command into a
click command before parsing anything). `--help`, completion and anything unrecognised get
the whole app, which is also what `app` (the tests' entry) is.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pubflow import __version__
from pubflow.cli.common import STATE

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module in pubflow.cli, attribute: a command function or a Typer group)
    "validate": ("validate", "validate"),
    "score": ("score", "score"),
    "diagrams": ("diagrams", "diagrams"),
    "ticket": ("ticket", "ticket_app"),
    "promote": ("release", "promote"),
    "rollback": ("release", "rollback"),
    "status": ("status", "status"),
    "audit": ("status", "audit_app"),
    "verify": ("status", "verify_state"),
    "init": ("init", "init"),
    "action": ("action", "action"),
    "notify": ("notify", "notify_app"),
    "monitor": ("monitor", "monitor"),
    "report": ("monitor", "report_app"),
    "env": ("env", "env_app"),
    "metrics": ("metrics", "metrics"),
}
"""Every subcommand, in the order `--help` lists them."""
# Global options that take a value (the command name comes after them).
_VALUE_OPTIONS = ("-C", "--directory", "--actor")


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


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with just `only`."""
    cli = typer.Typer(
        name="pubflow",
        help="Publication toolkit for git repositories of orchestration patterns.\n\n"
        "Validate and score patterns, lint their Mermaid diagrams, and run their publication "
        "tickets, promotions and rollbacks, all as files and commits in the repo.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    cli.callback()(main_options)
    for name, (module_name, attribute) in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"pubflow.cli.{module_name}")
        target = getattr(module, attribute)
        if isinstance(target, typer.Typer):
            for info in target.registered_commands:
                info.help = reflowed(info.help if info.help is not None
                                     else getattr(info.callback, "__doc__", None))
            cli.add_typer(target, name=name)
        else:
            cli.command(name, help=reflowed(target.__doc__))(target)
    return cli


def reflowed(text: str | None) -> str | None:
    """A docstring whose prose paragraphs are each one line, for the help screen to wrap at
    the terminal's width (it keeps single line breaks, so a paragraph wrapped at 90
    columns in the source came out ragged at 80). Indented paragraphs (the examples) and
    lists keep their lines."""
    if text is None:
        return None
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        paragraph if any(line[:1].isspace() or line.startswith(("- ", "\b"))
                         for line in paragraph.splitlines())
        else " ".join(line.strip() for line in paragraph.splitlines())
        for paragraph in paragraphs)


def command_named(argv: list[str]) -> str | None:
    """The subcommand `argv` runs, when it runs one; None for --help, --version and the like."""
    args = iter(argv)
    for arg in args:
        if arg in _VALUE_OPTIONS:
            next(args, None)
        elif arg.startswith(tuple(f"{o}=" for o in _VALUE_OPTIONS)) or arg == "--debug":
            continue
        else:
            return arg if arg in COMMANDS else None
    return None


def __getattr__(name: str) -> Any:
    """`app`: the whole CLI, built on first use."""
    if name == "app":
        whole = globals()["app"] = build_app()
        return whole
    raise AttributeError(name)


def main() -> None:
    """Run the CLI for `sys.argv`, with only the command it names when it names one."""
    only = None if "_PUBFLOW_COMPLETE" in os.environ else command_named(sys.argv[1:])
    build_app(only)(prog_name="pubflow")
