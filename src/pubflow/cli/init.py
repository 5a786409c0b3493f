"""`pubflow init [DIR]`: scaffold a pattern repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pubflow.cli.common import handle_errors
from pubflow.cli.terminal import write_output


@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create the repository.",
                                              show_default="the current folder")] = Path(),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist "
                                                        "with pubflow's templates.")] = False,
) -> None:
    """Scaffold a pattern repository.

    pubflow.yaml, one example pattern that passes, the pre-commit config, two GitHub
    workflows (validation of every pull request with the action; promotion of a ticket on
    demand, its environment choice being those of pubflow.yaml), .gitattributes and a README.

    Existing files are kept unless --force; running it twice changes nothing. Creates a git
    repository when there is none and registers the ticket merge driver.

    Examples:

      pubflow init my-patterns

      pubflow init --force
    """
    from pubflow.scaffold import init_repository

    target = directory.resolve()
    if target.exists() and not target.is_dir():
        from pubflow.errors import UsageError

        raise UsageError(f"{directory}: exists and is not a folder")
    result = init_repository(target, force=force)
    lines = []
    if result.git_initialized:
        lines.append(f"git repository created in {target}")
    lines += [f"created      {name}" for name in result.created]
    lines += [f"overwritten  {name}" for name in result.overwritten]
    lines += [f"kept         {name} (exists; --force replaces it)" for name in result.kept]
    if result.merge_driver:
        lines.append("registered the ticket merge driver in this clone's git config")
    if not (result.created or result.overwritten or result.git_initialized
            or result.merge_driver):
        lines.append("nothing to do: every file is already there")
    else:
        lines.append(f"next: cd {directory} && pubflow validate && git add -A && "
                     "git commit -m 'pubflow init'")
    write_output("\n".join(lines) + "\n", None)
