"""Colour and output for every command, without the CLI framework (see `remembered.py`)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this name
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from typing import Any


def shown(text: object) -> str:
    """Text someone typed (an actor, a reason, a note), safe for a rich table or print:
    control characters as visible escapes (no terminal sequences, no fake rows) and rich's
    markup brackets escaped."""
    from rich.markup import escape

    from pubflow.reporters import printable

    return escape(printable(str(text)))


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def piped_width() -> int:
    """The width of text written to a pipe or file: COLUMNS when set (a user who asks for
    80 gets 80), else 200, so tables in logs need not wrap."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 20 else 200


def write_output(text: str | Iterable[str], output: Path | None) -> None:
    """Write a report (whole, or in pieces as they are produced) to `--output FILE`
    (atomically) or to stdout."""
    chunks = (text,) if isinstance(text, str) else text
    if output is None:
        try:
            write = sys.stdout.write
            for chunk in chunks:
                write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:
            # `pubflow validate | head`: the reader left; say nothing more, keep the exit code.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return
    from pubflow.errors import InputError
    from pubflow.storage.files import atomic_write_chunks

    try:
        atomic_write_chunks(output, chunks)
    except OSError as exc:
        raise InputError(f"{output}: cannot write the report: {exc.strerror or exc}") from exc
