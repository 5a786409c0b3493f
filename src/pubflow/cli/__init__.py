"""The command-line layer: parse options, call the core, print, choose the exit code."""

from __future__ import annotations

import sys


def main() -> None:
    """The `pubflow` script: a remembered `validate` answer first, else the full CLI."""
    from pubflow.cli.remembered import answer

    try:
        code = answer(sys.argv[1:])
    except KeyboardInterrupt:
        from pubflow.errors import EXIT_INTERRUPTED

        sys.stderr.write("pubflow: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    if code is not None:
        raise SystemExit(code)
    from pubflow.cli.app import main as run

    run()
