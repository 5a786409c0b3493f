"""`pubflow validate`: options in, one `validate()` call, a reporter's text out."""

from __future__ import annotations

import enum
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pubflow.cli.common import Paths, Quiet, Verbose, handle_errors
from pubflow.cli.terminal import use_color, write_output
from pubflow.errors import EXIT_FINDINGS, EXIT_OK, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pubflow.config import Config
    from pubflow.findings import ValidationReport
    from pubflow.storage.discovery import Target
    from pubflow.validation.memo import RunMemo
    from pubflow.validation.run import Shard, ValidateRequest


PatternsDirOnly = Annotated[bool, typer.Option(
    "--patterns-dir-only",
    help="Of the files given, check only those in the patterns folder (patterns_dir in "
         "pubflow.yaml) and skip the others silently: what the pre-commit hooks pass.")]


def in_patterns_dir(paths: list[Path] | None, config: Config, suffixes: tuple[str, ...],
                    *, quiet: bool) -> list[Path] | None:
    """`--patterns-dir-only`: of the files a pre-commit hook passes, those pubflow's own walk
    of the patterns folder would read (with one of `suffixes`). pre-commit filters by file
    type; where the patterns live is pubflow's setting (`patterns_dir`), so pubflow picks
    them itself and skips package.json or a release package under .pubflow/ without a word.
    When none is left, end the command (exit 0), saying so unless `quiet`. No paths: the
    whole patterns folder, as without the option."""
    if not paths:
        return paths
    from pubflow.storage.discovery import walked_by

    folder = config.patterns_path
    kept = [p for p in paths if walked_by(p, folder) and (p.is_dir() or p.name.endswith(suffixes))]
    if not kept:
        if not quiet:
            sys.stderr.write(f"pubflow: none of the {len(paths)} file(s) given is in the "
                             f"patterns folder ({config.patterns_dir}); nothing to check\n")
        raise typer.Exit(EXIT_OK)
    return kept


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"
    junit = "junit"


@handle_errors
def validate(
    paths: Paths = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="Report format.")] = OutputFormat.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the report to this file instead of stdout.",
        show_default=False)] = None,
    changed: Annotated[bool, typer.Option(
        "--changed", help="Only pattern files changed against --base (and uncommitted ones).")] = False,
    base: Annotated[str | None, typer.Option(
        "--base", help="Git ref to compare with for --changed (default: HEAD).",
        show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Check every file again instead of reusing unchanged results.")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=0, help="Worker processes (0 = automatic).")] = 0,
    online: Annotated[bool, typer.Option(
        "--online", help="Also fetch every http(s) link and image (8 at a time).")] = False,
    online_timeout: Annotated[float, typer.Option(
        "--online-timeout", min=0.1, help="Seconds each link may take with --online.")] = 10.0,
    shard: Annotated[str | None, typer.Option(
        "--shard", metavar="I/N",
        help="Check only slice I of N (from 1) of the files, chosen by a hash of each path; "
             "duplicate ids and related patterns are still checked against every file. Merge "
             "the slices' JSON reports with --merge-reports.",
        show_default=False)] = None,
    merge_reports: Annotated[bool, typer.Option(
        "--merge-reports",
        help="The PATHs are the JSON reports of every --shard slice of one run: write that "
             "run's report (any --format), as one run over all the files gives it.")] = False,
    patterns_dir_only: PatternsDirOnly = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check patterns: schema, HQO scorecard, diagram budgets and repository rules.

    Exit 0 when every file passes, 1 when there are findings, 2 on usage errors.

    Examples:

      pubflow validate                       # the whole patterns folder

      pubflow validate patterns/incident-escalation.json --format json

      pubflow validate --changed --base origin/main -f sarif -o pubflow.sarif

      pubflow validate --online            # http(s) links too: 404 is an error

      pubflow validate --shard 2/4 -f json -o slice-2.json   # one job of a matrix

      pubflow validate --merge-reports slice-*.json -f sarif -o pubflow.sarif
    """
    from pubflow import __version__
    from pubflow.config import find_root, load_config
    from pubflow.reporters import ReportOptions, stream_report
    from pubflow.validation.run import ValidateRequest

    if base is not None and not changed:
        raise UsageError("--base only makes sense with --changed")
    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other; pick one")
    if merge_reports:
        _merge(paths, output_format, output, quiet=quiet, verbose=verbose, others=(
            ("--shard", shard is not None), ("--changed", changed), ("--online", online),
            ("--patterns-dir-only", patterns_dir_only)))
    slice_of = _shard(shard)
    root = find_root(Path.cwd())
    config = load_config(root)
    if patterns_dir_only:
        paths = in_patterns_dir(paths, config, (".json",), quiet=quiet)
    request = ValidateRequest(config=config, paths=tuple(paths or ()), use_cache=not no_cache,
                              jobs=jobs, subset=changed,
                              online=online_timeout if online else 0.0, shard=slice_of)
    color = output is None and output_format is OutputFormat.text and use_color(sys.stdout)
    # The text report has no timestamp: for an unchanged repository the whole output is
    # remembered and printed again (the hook's common case), keyed on the run and the options.
    from pubflow.cli.remembered import handed_on_key, text_variant
    from pubflow.validation.memo import RunMemo

    # an online run asks the network again, a slice is not the run: neither is answered from
    # the memo nor kept in it
    memo = (None if online or slice_of is not None
            else RunMemo.for_run(request, handed_on_key(root)))
    variant = text_variant(color=color, verbose=verbose, quiet=quiet)
    remembers_text = memo is not None and output_format is OutputFormat.text
    shown = memo.recall_text(variant) if memo is not None and remembers_text else None
    if shown is not None:
        text, passed, summary = shown
        write_output(text, output)
        _written(output, quiet, output_format, summary)
        raise typer.Exit(EXIT_OK if passed else EXIT_FINDINGS)
    report, slice_info = _validated(request, base, quiet, memo)
    options = ReportOptions(
        color=color,
        verbose=verbose,
        quiet=quiet,
        tool_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        shard=slice_info,
    )
    chunks = stream_report(output_format.value, report, options)
    verdict = "passed" if report.passed else f"{report.error_count} error(s)"
    summary = f"{len(report.files)} file(s) checked, {verdict}"
    if memo is not None and remembers_text:
        text = "".join(chunks)  # remembered whole, to be printed again next time
        write_output(text, output)
        memo.remember_text(variant, text, report.passed, summary)
    else:
        write_output(chunks, output)
    _written(output, quiet, output_format, summary)
    raise typer.Exit(EXIT_OK if report.passed else EXIT_FINDINGS)


def _written(output: Path | None, quiet: bool, output_format: OutputFormat, summary: str) -> None:
    if output is not None and not quiet:
        sys.stderr.write(f"pubflow: {summary}; {output_format.value} report written to "
                         f"{output}\n")


def _validated(request: ValidateRequest, base: str | None, quiet: bool,
               memo: RunMemo | None) -> tuple[ValidationReport, dict[str, Any] | None]:
    """The report, from the whole-run memo when nothing changed since the last full run;
    and for a `--shard` run, which slice of which run it is (for its JSON report)."""
    from pubflow.validation.run import RunFingerprint, select_targets, slice_run_key

    report = memo.recall_report() if memo is not None else None
    if report is not None:
        return report, None
    targets = select_targets(request, base)
    if not targets:
        if not quiet:
            sys.stderr.write("pubflow: no changed pattern files to validate\n")
        raise typer.Exit(EXIT_OK)
    if request.shard is None:
        report = run_with_progress(targets, request, quiet=quiet)
        if memo is not None:
            memo.remember_report(report)
        return report, None
    counted = RunFingerprint(targets)
    report = run_with_progress(counted, request, quiet=quiet)
    return report, {"index": request.shard.index, "count": request.shard.count,
                    "files": counted.files, "run": slice_run_key(request, counted)}


def _shard(text: str | None) -> Shard | None:
    """`--shard I/N`, checked: a bad value is a usage error (exit 2)."""
    if text is None:
        return None
    from pubflow.validation.run import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _merge(paths: list[Path] | None, output_format: OutputFormat, output: Path | None, *,
           quiet: bool, verbose: bool, others: tuple[tuple[str, bool], ...]) -> None:
    """`--merge-reports`: the slices' JSON reports joined into their run's report; exit 1
    when it has errors, as the run would."""
    from pubflow import __version__
    from pubflow.reporters import ReportOptions
    from pubflow.reporters.merge import Merged

    for option, given in others:
        if given:
            raise UsageError(f"--merge-reports merges reports; it takes no {option}")
    merged = Merged(list(paths or ()))
    options = ReportOptions(
        color=output is None and output_format is OutputFormat.text and use_color(sys.stdout),
        verbose=verbose, quiet=quiet, tool_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    write_output(merged.chunks(output_format.value, options), output)
    summary = merged.summary
    verdict = "passed" if summary.passed else f"{summary.errors} error(s)"
    _written(output, quiet, output_format,
             f"{summary.files} file(s) of {len(merged.slices)} slice(s) merged, {verdict}")
    raise typer.Exit(EXIT_OK if summary.passed else EXIT_FINDINGS)


def run_with_progress(targets: Iterable[Target], request: ValidateRequest, *,
                      quiet: bool) -> ValidationReport:
    """The run, with a progress bar on a terminal when it is long enough to need one (the
    count is known once the run has planned its files, so the bar starts then)."""
    from pubflow.validation.run import validate_targets

    if quiet or not sys.stderr.isatty():
        return validate_targets(targets, request)
    from contextlib import ExitStack

    with ExitStack() as stack:
        shown: list[Any] = []

        def advance(done: int, total: int) -> None:
            if not shown:
                if total < 500:
                    shown.append(None)
                    return
                from rich.progress import Progress

                bar = stack.enter_context(Progress(transient=True))
                shown.append((bar, bar.add_task("validating", total=total)))
            if shown[0] is not None:
                bar, task = shown[0]
                bar.update(task, completed=done, total=total)

        return validate_targets(targets, request, advance)
