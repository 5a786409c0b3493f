"""`pubflow validate` on an unchanged repository, answered before the CLI framework loads.

The whole-run memo (`validation/memo.py`) already keeps the text report of the last full run;
what is left of such a run is mostly start-up: importing typer and building every command
costs about 0.1 s, more than checking the fingerprint. So the `pubflow` script first looks
here. Only the invocations the memo covers are answered: `validate` alone or with
`-q`/`--quiet`, `-v`/`--verbose` or `-f`/`--format text`, naming no path or only the patterns
folder (`patterns`, `patterns/`, `./patterns`, its absolute path: `memo.names_patterns_folder`),
after at most one global `-C`/`--directory` (and `--debug`, which changes no output). Anything
else, any problem (a broken `pubflow.yaml`, a `-C` folder that cannot be entered, say) and any
miss go on to the full CLI, which says the same thing a run without this shortcut would; the
key computed here is handed on so the folder is not walked twice. Not even the configuration
is read: the memo records what its key followed from (`memo.shortcut_basis`), so this path
imports nothing but `os`, `json` and pubflow's start-up modules (`diskstate`, `memo`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from pathlib import Path

_handed_on: tuple[str, str] | None = None


def answer(argv: list[str]) -> int | None:
    """The exit code after printing the remembered report, or None to run the full CLI."""
    invocation = _plain_validate(argv)
    if invocation is None:
        return None
    directory, paths, quiet, verbose = invocation
    from pubflow.cli.terminal import use_color, write_output
    from pubflow.storage.diskstate import repository_root
    from pubflow.validation.memo import shortcut_answer

    variant = text_variant(color=use_color(sys.stdout), verbose=verbose, quiet=quiet)
    try:
        started_in = os.getcwd()
        if directory is not None:  # entered as the full CLI enters it, and left again below
            os.chdir(directory)
        try:
            cwd = os.getcwd()
            root = repository_root(cwd)
            found = shortcut_answer(root, variant, paths, cwd)
        finally:
            if directory is not None:
                os.chdir(started_in)
    except Exception:  # the full CLI runs next and reports any problem the proper way
        return None
    if found is None:
        return None
    key, shown = found
    if shown is None:
        global _handed_on
        _handed_on = (root, key)
        return None
    text, passed, _summary = shown
    write_output(text, None)
    return 0 if passed else 1


def handed_on_key(root: Path) -> str | None:
    """The memo key this process computed a moment ago for `root`, taken once."""
    global _handed_on
    found, _handed_on = _handed_on, None
    return found[1] if found is not None and found[0] == str(root) else None


def text_variant(*, color: bool, verbose: bool, quiet: bool) -> str:
    """Which remembered text report fits these options."""
    return f"text:{int(color)}:{int(verbose)}:{int(quiet)}"


def _plain_validate(argv: list[str]) -> tuple[str | None, list[str], bool, bool] | None:
    """(the `-C` folder, the paths named, quiet, verbose) for a `validate` with only options
    the memo covers, else None."""
    args = iter(argv)
    directory: str | None = None
    for arg in args:
        if arg == "validate":
            break
        if arg == "--debug":
            continue
        if directory is not None:
            return None  # a second -C: the full CLI decides what that means
        if arg in ("-C", "--directory"):
            directory = next(args, None)
        elif arg.startswith("--directory="):
            directory = arg.split("=", 1)[1]
        else:
            return None
        if not directory:
            return None
    else:
        return None
    quiet = verbose = False
    paths: list[str] = []
    for arg in args:
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg in ("-v", "--verbose"):
            verbose = True
        elif arg in ("-f", "--format"):
            if next(args, None) != "text":
                return None
        elif arg in ("--format=text", "-ftext"):
            continue
        elif arg.startswith("-") or not arg:
            return None  # another option, or `--` before paths that look like options
        else:
            paths.append(arg)
    return None if quiet and verbose else (directory, paths, quiet, verbose)
