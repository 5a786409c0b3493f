"""`pubflow validate`: options in, one `validate()` call, a reporter's text out."""

from __future__ import annotations

import enum
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pubflow.cli.common import Paths, Quiet, Verbose, handle_errors
from pubflow.cli.terminal import use_color, write_output
from pubflow.errors import EXIT_FINDINGS, EXIT_OK, UsageError

if TYPE_CHECKING:
    from pubflow.findings import ValidationReport
    from pubflow.storage.discovery import Target
    from pubflow.validation.run import ValidateRequest


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
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check patterns: schema, HQO scorecard, diagram budgets and repository rules.

    Exit 0 when every file passes, 1 when there are findings, 2 on usage errors.

    Examples:

      pubflow validate                       # the whole patterns folder

      pubflow validate patterns/incident-escalation.json --format json

      pubflow validate --changed --base origin/main --format sarif -o pubflow.sarif
    """
    from pubflow import __version__
    from pubflow.config import find_root, load_config
    from pubflow.reporters import ReportOptions, stream_report
    from pubflow.validation.run import ValidateRequest

    if base is not None and not changed:
        raise UsageError("--base only makes sense with --changed")
    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other; pick one")
    root = find_root(Path.cwd())
    config = load_config(root)
    request = ValidateRequest(config=config, paths=tuple(paths or ()), use_cache=not no_cache,
                              jobs=jobs, subset=changed)
    color = output is None and output_format is OutputFormat.text and use_color(sys.stdout)
    # The text report has no timestamp: for an unchanged repository the whole output is
    # remembered and printed again (the hook's common case), keyed on the run and the options.
    from pubflow.cli.remembered import handed_on_key, text_variant
    from pubflow.validation import memo as runmemo

    # The script's shortcut hands on the key it computed for this very invocation.
    key = handed_on_key(root) or runmemo.run_key(
        config, use_cache=request.use_cache, paths=request.paths, subset=request.subset)
    variant = text_variant(color=color, verbose=verbose, quiet=quiet)
    shown = None
    if key is not None and output_format is OutputFormat.text:
        shown = runmemo.recall_output(root, key, variant)
        if shown is not None:
            runmemo.refresh_basis(config, key)
    if shown is not None:
        text, passed, summary = shown
        write_output(text, output)
        _written(output, quiet, output_format, summary)
        raise typer.Exit(EXIT_OK if passed else EXIT_FINDINGS)
    report = _validated(request, changed, base, quiet, key)
    options = ReportOptions(
        color=color,
        verbose=verbose,
        quiet=quiet,
        tool_version=__version__,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    chunks = stream_report(output_format.value, report, options)
    verdict = "passed" if report.passed else f"{report.error_count} error(s)"
    summary = f"{len(report.files)} file(s) checked, {verdict}"
    if key is not None and output_format is OutputFormat.text:
        text = "".join(chunks)  # remembered whole, to be printed again next time
        write_output(text, output)
        runmemo.remember_output(config, key, variant, text, report.passed, summary)
    else:
        write_output(chunks, output)
    _written(output, quiet, output_format, summary)
    raise typer.Exit(EXIT_OK if report.passed else EXIT_FINDINGS)


def _written(output: Path | None, quiet: bool, output_format: OutputFormat, summary: str) -> None:
    if output is not None and not quiet:
        sys.stderr.write(f"pubflow: {summary}; {output_format.value} report written to "
                         f"{output}\n")


def _validated(request: ValidateRequest, changed: bool, base: str | None, quiet: bool,
               key: str | None) -> ValidationReport:
    """The report, from the whole-run memo when nothing changed since the last full run."""
    from pubflow.validation import memo as runmemo

    root = request.config.root
    if key is not None:
        report = runmemo.recall(root, key)
        if report is not None:
            return report
    targets = _targets(request, changed, base)
    if not targets:
        if not quiet:
            sys.stderr.write("pubflow: no changed pattern files to validate\n")
        raise typer.Exit(EXIT_OK)
    report = _run_with_progress(targets, request, quiet)
    if key is not None:
        runmemo.remember(root, key, report)
    return report


def _targets(request: ValidateRequest, changed: bool, base: str | None) -> list[Target]:
    from pubflow.storage.discovery import collect_targets

    config = request.config
    if not changed:
        return collect_targets(request.paths or (config.patterns_path,), config.root)
    from pubflow.storage import git as gitrepo

    scope = request.paths or (config.patterns_path,)
    files = [p for p in gitrepo.changed_files(config.root, base)
             if p.suffix == ".json" and any(_within(p, s) for s in scope)]
    return collect_targets(files, config.root) if files else []


def _within(path: Path, scope: Path) -> bool:
    scope = scope if scope.is_absolute() else Path.cwd() / scope
    return path == scope or scope in path.parents


def _run_with_progress(targets: list[Target], request: ValidateRequest,
                       quiet: bool) -> ValidationReport:
    from pubflow.validation.run import validate_targets

    if quiet or len(targets) < 500 or not sys.stderr.isatty():
        return validate_targets(targets, request)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("validating", total=len(targets))
        return validate_targets(targets, request,
                                lambda done, total: bar.update(task, completed=done, total=total))


@handle_errors
def action(
    paths: Paths = None,
    changed: Annotated[bool, typer.Option(
        "--changed", help="Only pattern files changed against --base.")] = False,
    base: Annotated[str | None, typer.Option(
        "--base", help="Git ref to compare with for --changed (default: HEAD).",
        show_default=False)] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="The report printed to the log.")] = OutputFormat.text,
    sarif: Annotated[Path, typer.Option("--sarif", help="Where to write the SARIF file.")] = Path(
        "pubflow.sarif"),
    fail: Annotated[bool, typer.Option("--fail/--no-fail",
                                       help="Exit 1 when there are errors.")] = True,
) -> None:
    """What the GitHub Action runs: validate, annotations, job summary, SARIF, outputs.

    Annotations come most important first, within GitHub's per-step limit; the Markdown job
    summary goes to $GITHUB_STEP_SUMMARY (under 1 MiB); step outputs to $GITHUB_OUTPUT
    (sarif-file, errors, warnings, files, passed).

    Outside GitHub (no $GITHUB_STEP_SUMMARY) it prints the summary's headline instead.

    Example: pubflow action --changed --base origin/main --sarif pubflow.sarif
    """
    import os

    from pubflow import __version__
    from pubflow.config import find_root, load_config
    from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
    from pubflow.reporters.action import append_outputs, append_summary, build
    from pubflow.validation.run import ValidateRequest

    if base is not None and not changed:
        raise UsageError("--base only makes sense with --changed")
    config = load_config(find_root(Path.cwd()))
    request = ValidateRequest(config=config, paths=tuple(paths or ()), subset=changed)
    targets = _targets(request, changed, base)
    from pubflow.findings import ValidationReport

    report = (_run_with_progress(targets, request, True) if targets
              else ValidationReport((), root=str(config.root)))
    options = ReportOptions(tool_version=__version__,
                            generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    log = REPORTER_BY_NAME[output_format.value](report, options)
    result = build(report, options)
    write_output(log + result.commands, None)
    sarif_path = sarif if sarif.is_absolute() else Path.cwd() / sarif
    write_output(REPORTER_BY_NAME["sarif"](report, options), sarif_path)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        append_summary(Path(summary_file), result.summary)
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        append_outputs(Path(output_file), {
            "sarif-file": str(sarif_path), "errors": str(report.error_count),
            "warnings": str(report.warning_count), "files": str(len(report.files)),
            "passed": "true" if report.passed else "false"})
    sys.stderr.write(f"pubflow: {len(report.files)} file(s), {report.error_count} error(s), "
                     f"{report.warning_count} warning(s); {result.shown} of {result.total} "
                     f"annotated; SARIF in {sarif_path}\n")
    raise typer.Exit(EXIT_FINDINGS if fail and not report.passed else EXIT_OK)
