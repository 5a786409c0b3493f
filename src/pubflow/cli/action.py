"""`pubflow action`: what the GitHub Action runs, around one validation run."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from pubflow.cli.common import Paths, handle_errors
from pubflow.cli.terminal import write_output
from pubflow.cli.validate import OutputFormat, run_with_progress
from pubflow.errors import EXIT_FINDINGS, EXIT_OK, UsageError


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
    from pubflow.validation.run import ValidateRequest, select_targets

    if base is not None and not changed:
        raise UsageError("--base only makes sense with --changed")
    config = load_config(find_root(Path.cwd()))
    request = ValidateRequest(config=config, paths=tuple(paths or ()), subset=changed)
    targets = select_targets(request, base)
    from pubflow.findings import ValidationReport

    report = (run_with_progress(targets, request, quiet=True) if targets
              else ValidationReport((), root=str(config.root)))
    options = ReportOptions(tool_version=__version__,
                            generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            full_report=_job_log())
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


def _job_log() -> str:
    """Where every finding can be read when SARIF must leave some out: this run's log on
    GitHub (its URL from the runner's environment), else "" (the JSON report is named)."""
    import os

    server, repository, run = (os.environ.get(name, "") for name in (
        "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if not (server and repository and run):
        return ""
    return f"the job log of {server}/{repository}/actions/runs/{run}"
