"""`pubflow validate` without typer: the hook's and CI's invocations, parsed by hand.

Importing typer (and the click inside it) and building the command costs some 30-40 ms, paid
by every run the start-up shortcut (`remembered.py`) cannot answer: the pre-commit hook on
the files of a commit, a CI job, a first run. `answer` parses the options of `validate`
itself and runs the command without typer. Whatever it is not sure of (`--help`, `--version`,
an option it does not know, a value typer would refuse, `-C` to a folder it cannot enter, and
anything after `--`) it leaves to the full CLI, which then says what it always says. The
command's body mirrors `cli/validate.py`'s; a test runs both on the same invocations and holds
them to the same output, error output and exit code (`tests/unit/test_layers.py`).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this name
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from pubflow.config import Config
    from pubflow.findings import ValidationReport
    from pubflow.validation.memo import RunMemo
    from pubflow.validation.run import ValidateRequest

FORMATS = ("text", "json", "markdown", "sarif", "github", "junit")
"""`--format`'s choices (`cli.validate.OutputFormat`; a test holds the two equal)."""
_FLAGS = {"--changed": "changed", "--no-cache": "no_cache", "--online": "online",
          "--patterns-dir-only": "patterns_dir_only", "--quiet": "quiet", "-q": "quiet",
          "--verbose": "verbose", "-v": "verbose"}
_VALUES = {"--format": "output_format", "-f": "output_format", "--output": "output",
           "-o": "output", "--base": "base", "--jobs": "jobs", "-j": "jobs",
           "--online-timeout": "online_timeout"}


class _Exit(Exception):
    """The end of the command with an exit code (typer.Exit's counterpart)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def answer(argv: list[str]) -> int | None:
    """The exit code of `pubflow ARGV` when ARGV is a `validate` this module runs, else None
    (nothing done: the full CLI takes over)."""
    parsed = _parsed(argv)
    if parsed is None:
        return None
    directory, debug, options = parsed
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError:
            return None  # typer says why, as a usage error
    try:
        _validate(**options)
    except _Exit as done:
        return done.code
    except KeyboardInterrupt:
        from pubflow.errors import EXIT_INTERRUPTED

        sys.stderr.write("pubflow: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        from pubflow.errors import EXIT_INTERNAL, PubflowError

        if isinstance(exc, PubflowError):
            print_error(exc.message, exc.hint)
            return exc.exit_code
        if debug:
            import traceback

            traceback.print_exc()
        print_error(f"internal error: {type(exc).__name__}: {exc}",
                    "This is a bug in pubflow; run again with --debug for the traceback "
                    "and report it.")
        return EXIT_INTERNAL
    return 0


def _parsed(argv: list[str]) -> tuple[str | None, bool, dict[str, Any]] | None:
    """(the -C folder, --debug, the keyword arguments of `_validate`), or None when `argv` is
    not a `validate` invocation this parser is sure to read as click would."""
    directory: str | None = None
    debug = False
    args = iter(argv)
    for arg in args:  # the global options, then the command's name
        if arg in ("-C", "--directory", "--actor"):
            value = next(args, None)
            if value is None or not _plain_value(value):
                return None
            if arg != "--actor":  # (--actor: not read by validate)
                directory = value
        elif arg.startswith(("--directory=", "--actor=")):
            if arg.startswith("--directory="):
                directory = arg.partition("=")[2]
                if not _plain_value(directory):
                    return None
        elif arg == "--debug":
            debug = True
        elif arg == "validate":
            break
        else:
            return None
    else:
        return None
    options: dict[str, Any] = {"paths": []}
    for arg in args:
        if arg in _FLAGS:
            options[_FLAGS[arg]] = True
            continue
        if arg.startswith("--"):
            name, equals, attached = arg.partition("=")  # --format=json
        elif arg.startswith("-") and len(arg) > 2:
            name, equals, attached = arg[:2], "=", arg[2:]  # -fjson, -j2, -ofile
        else:
            name, equals, attached = arg, "", ""
        if name in _VALUES:
            value = attached if equals else next(args, None)
            if value is None or not _plain_value(value):
                return None
            converted = _converted(_VALUES[name], value)
            if converted is None:
                return None
            options[_VALUES[name]] = converted
        elif arg.startswith("-") or not arg:
            return None  # --help, --, an unknown option, an empty path: typer's to say
        else:
            options["paths"].append(arg)
    return directory, debug, options


def _plain_value(value: str) -> bool:
    """A value click takes as it is (not one that looks like an option, nor empty)."""
    return bool(value) and not value.startswith("-")


def _converted(option: str, value: str) -> Any:
    """The value as typer converts it, or None where typer would refuse it (or might)."""
    if option == "output_format":
        return value if value in FORMATS else None
    if option == "jobs":
        return int(value) if value.isascii() and value.isdigit() else None
    if option == "online_timeout":
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds if value.isascii() and 0.1 <= seconds < float("inf") else None
    if option == "output":
        from pathlib import Path

        return Path(value)
    return value


def print_error(message: str, hint: str | None = None) -> None:
    """`cli.common.print_error`, without importing typer."""
    from pubflow.cli.terminal import use_color
    from pubflow.reporters import printable

    color = use_color(sys.stderr)
    prefix = "\x1b[1;31mpubflow: error:\x1b[0m" if color else "pubflow: error:"
    lines = printable(message, keep_newlines=True).split("\n")
    sys.stderr.write(f"{prefix} {lines[0]}\n")
    for line in lines[1:]:
        sys.stderr.write(f"  {line}\n")
    if hint:
        sys.stderr.write(f"  hint: {printable(hint)}\n")


def _validate(paths: list[str], output_format: str = "text", output: Path | None = None,
              changed: bool = False, base: str | None = None, no_cache: bool = False,
              jobs: int = 0, online: bool = False, online_timeout: float = 10.0,
              patterns_dir_only: bool = False, quiet: bool = False,
              verbose: bool = False) -> None:
    """The body of `cli.validate.validate`, ending in `_Exit` instead of `typer.Exit`."""
    from datetime import UTC, datetime
    from pathlib import Path

    from pubflow import __version__
    from pubflow.cli.remembered import handed_on_key, text_variant
    from pubflow.cli.terminal import use_color, write_output
    from pubflow.config import find_root, load_config
    from pubflow.errors import EXIT_FINDINGS, EXIT_OK, UsageError
    from pubflow.reporters import ReportOptions, stream_report
    from pubflow.validation.memo import RunMemo
    from pubflow.validation.run import ValidateRequest

    if base is not None and not changed:
        raise UsageError("--base only makes sense with --changed")
    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other; pick one")
    root = find_root(Path.cwd())
    config = load_config(root)
    given: list[Path] | None = [Path(p) for p in paths]
    if patterns_dir_only:
        given = _in_patterns_dir(given, config, (".json",), quiet=quiet)
    request = ValidateRequest(config=config, paths=tuple(given or ()), use_cache=not no_cache,
                              jobs=jobs, subset=changed,
                              online=online_timeout if online else 0.0)
    color = output is None and output_format == "text" and use_color(sys.stdout)
    memo = None if online else RunMemo.for_run(request, handed_on_key(root))
    variant = text_variant(color=color, verbose=verbose, quiet=quiet)
    remembers_text = memo is not None and output_format == "text"
    shown = memo.recall_text(variant) if memo is not None and remembers_text else None
    if shown is not None:
        text, passed, summary = shown
        write_output(text, output)
        _written(output, quiet, output_format, summary)
        raise _Exit(EXIT_OK if passed else EXIT_FINDINGS)
    report = _validated(request, base, quiet, memo)
    options = ReportOptions(
        color=color,
        verbose=verbose,
        quiet=quiet,
        tool_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    chunks = stream_report(output_format, report, options)
    verdict = "passed" if report.passed else f"{report.error_count} error(s)"
    summary = f"{len(report.files)} file(s) checked, {verdict}"
    if memo is not None and remembers_text:
        text = "".join(chunks)  # remembered whole, to be printed again next time
        write_output(text, output)
        memo.remember_text(variant, text, report.passed, summary)
    else:
        write_output(chunks, output)
    _written(output, quiet, output_format, summary)
    raise _Exit(EXIT_OK if report.passed else EXIT_FINDINGS)


def _in_patterns_dir(paths: list[Path] | None, config: Config, suffixes: tuple[str, ...],
                     *, quiet: bool) -> list[Path] | None:
    """`cli.validate.in_patterns_dir`, ending in `_Exit`."""
    if not paths:
        return paths
    from pubflow.errors import EXIT_OK
    from pubflow.storage.discovery import walked_by

    folder = config.patterns_path
    kept = [p for p in paths if walked_by(p, folder) and (p.is_dir() or p.name.endswith(suffixes))]
    if not kept:
        if not quiet:
            sys.stderr.write(f"pubflow: none of the {len(paths)} file(s) given is in the "
                             f"patterns folder ({config.patterns_dir}); nothing to check\n")
        raise _Exit(EXIT_OK)
    return kept


def _written(output: Path | None, quiet: bool, output_format: str, summary: str) -> None:
    if output is not None and not quiet:
        sys.stderr.write(f"pubflow: {summary}; {output_format} report written to "
                         f"{output}\n")


def _validated(request: ValidateRequest, base: str | None, quiet: bool,
               memo: RunMemo | None) -> ValidationReport:
    """`cli.validate._validated`: the report, from the whole-run memo when it has it."""
    from pubflow.errors import EXIT_OK
    from pubflow.validation.run import select_targets, validate_targets

    report = memo.recall_report() if memo is not None else None
    if report is not None:
        return report
    targets = select_targets(request, base)
    if not targets:
        if not quiet:
            sys.stderr.write("pubflow: no changed pattern files to validate\n")
        raise _Exit(EXIT_OK)
    if quiet or not sys.stderr.isatty():
        report = validate_targets(targets, request)
    else:  # a terminal: the progress bar of a long run (rich and typer load only here)
        from pubflow.cli.validate import run_with_progress

        report = run_with_progress(targets, request, quiet=quiet)
    if memo is not None:
        memo.remember_report(report)
    return report
