"""The `pubflow` command: global options and the list of subcommands, nothing else.

`pubflow <command> ...` builds an app holding only that command, so a run imports and
converts one command module, not all of them (typer turns every registered command into a
click command before parsing anything). `--help`, completion and anything unrecognised get
the whole app, which is also what `app` (the tests' entry) is. A plain `validate` does not
load typer at all (`cli/light.py`): this module imports typer only to build an app.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this name
if TYPE_CHECKING:
    from typing import Any

    import typer

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


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with just `only`."""
    import importlib

    import typer

    from pubflow.cli.root import main_options

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
    """Run the CLI for `sys.argv`, with only the command it names when it names one; a plain
    `validate` without typer."""
    completing = "_PUBFLOW_COMPLETE" in os.environ
    only = None if completing else command_named(sys.argv[1:])
    if only == "validate":
        from pubflow.cli.light import answer

        code = answer(sys.argv[1:])
        if code is not None:
            raise SystemExit(code)
    build_app(only)(prog_name="pubflow")
