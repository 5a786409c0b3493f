"""`pubflow validate` on an unchanged repository, answered before the CLI framework loads.

The whole-run memo (`runmemo.py`) already keeps the text report of the last full run; what is
left of such a run is mostly start-up: importing typer and building every command costs about
0.1 s, more than checking the fingerprint. So the `pubflow` script first looks here. Only the
invocations the memo covers are answered: `validate` alone or with `-q`/`--quiet`,
`-v`/`--verbose` or `-f`/`--format text`. Anything else, any problem (a broken
`pubflow.yaml`, say) and any miss go on to the full CLI, which says the same thing a run
without this shortcut would; the key computed here is handed on so the folder is not walked
twice. Not even the configuration is read: the memo records what its key followed from
(`runmemo.shortcut_basis`), so this path imports nothing but `os`, `json` and pubflow's
start-up modules (`diskstate`, `runmemo`).
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
    options = _plain_validate_options(argv)
    if options is None:
        return None
    quiet, verbose = options
    from pubflow.cli.terminal import use_color, write_output
    from pubflow.storage.diskstate import repository_root
    from pubflow.validation.memo import shortcut_answer

    variant = text_variant(color=use_color(sys.stdout), verbose=verbose, quiet=quiet)
    try:
        root = repository_root(os.getcwd())
        found = shortcut_answer(root, variant)
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


def _plain_validate_options(argv: list[str]) -> tuple[bool, bool] | None:
    """(quiet, verbose) for `validate` with only options the memo covers, else None."""
    if not argv or argv[0] != "validate":
        return None
    quiet = verbose = False
    rest = iter(argv[1:])
    for arg in rest:
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg in ("-v", "--verbose"):
            verbose = True
        elif arg in ("-f", "--format"):
            if next(rest, None) != "text":
                return None
        elif arg not in ("--format=text", "-ftext"):
            return None
    return None if quiet and verbose else (quiet, verbose)
