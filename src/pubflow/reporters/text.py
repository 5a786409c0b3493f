"""Compiler-style text: one finding per line, so editors and terminals can jump to it.

Colour is built from raw ANSI codes rather than rich, because this is what the pre-commit hook
prints on every commit and start-up time is part of the product.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pubflow.findings import FileResult, Severity, ValidationReport
from pubflow.reporters._common import (
    ANSI,
    PLAIN,
    Palette,
    Role,
    finding_lines,
    printable,
    score_text,
    summary_sentence,
)

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    """Findings (with per-file check lines when verbose), then one summary line.

    `quiet` keeps errors and warnings only, and drops the summary when nothing failed, so a
    clean run prints nothing at all.
    """
    palette = ANSI if options.color else PLAIN
    for result in report.files:
        lines = [_file_line(result, palette)] if options.verbose else []
        for finding in result.findings:
            if options.quiet and finding.severity is Severity.NOTE:
                continue
            lines.extend(finding_lines(finding, palette))
        if lines:
            yield "".join(line + "\n" for line in lines)
    summary = report.summary
    if not (options.quiet and summary.passed):
        role: Role = "good" if summary.passed else "error"
        yield palette.paint(role, summary_sentence(summary)) + "\n"


def _file_line(result: FileResult, palette: Palette) -> str:
    """`file: ready for review; schema: pass, ...; score 31/40 (marginal)` for --verbose."""
    if result.ready_for_review:
        verdict = palette.paint("good", "ready for review")
    else:
        verdict = palette.paint("error", "validation failed")
    checks = ", ".join(f"{group}: {status}" for group, status in result.check_status().items())
    line = f"{palette.paint('location', printable(result.file) + ':')} {verdict}; {checks}"
    score = score_text(result)
    if score is not None:
        line += f"; score {score}"
        if result.facts.marginal:
            line += " " + palette.paint("warning", "(marginal: priority review)")
    return line
