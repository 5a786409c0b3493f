"""What the GitHub Action does with a validation report: annotations, a job summary, outputs.

GitHub shows at most 10 error and 10 warning annotations per step, so the most important go
first (errors, then warnings, then notes; by file and line) and a final notice gives the
total. The job summary (`$GITHUB_STEP_SUMMARY`) is the Markdown report, cut to stay under
GitHub's 1 MiB limit however many findings there are. Step outputs use the multi-line-safe
`name<<DELIMITER` form of `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from pubflow.findings import Finding, Severity, ValidationReport
from pubflow.reporters import ReportOptions
from pubflow.reporters.github import annotation, escape_data

ANNOTATIONS_PER_KIND = 10
"""GitHub's per-step limit for each of error and warning annotations."""
SUMMARY_LIMIT = 1024 * 1024
SUMMARY_MARGIN = 4096
RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}


@dataclass(frozen=True, slots=True)
class ActionOutput:
    commands: str
    summary: str
    shown: int
    total: int


def build(report: ValidationReport, options: ReportOptions,
          per_kind: int = ANNOTATIONS_PER_KIND) -> ActionOutput:
    findings = sorted(report.findings,
                      key=lambda f: (RANK[f.severity], f.file, f.line, f.column, f.rule))
    chosen: list[Finding] = []
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        if counts[finding.severity] < per_kind:
            counts[finding.severity] += 1
            chosen.append(finding)
    lines = [annotation(f) for f in chosen]
    total = len(findings)
    headline = (f"pubflow: {report.error_count} error(s), {report.warning_count} warning(s) in "
                f"{len(report.files)} file(s); {len(chosen)} of {total} finding(s) annotated")
    if total > len(chosen):
        more = (f"{headline} (GitHub shows {per_kind} per kind and step); the job summary "
                "lists them all")
        lines.append(f"::notice title=pubflow::{escape_data(more)}")
    return ActionOutput("".join(line + "\n" for line in lines),
                        summary_text(report, options, headline), len(chosen), total)


def summary_text(report: ValidationReport, options: ReportOptions, headline: str) -> str:
    from pubflow.reporters import REPORTER_BY_NAME

    body = REPORTER_BY_NAME["markdown"](report, options)
    text = f"{body.rstrip()}\n\n{diagram_fences(report)}_{headline}._\n"
    limit = SUMMARY_LIMIT - SUMMARY_MARGIN
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    note = (f"\n\n**The report was cut here to stay under GitHub's 1 MiB summary limit.** "
            f"_{headline}._ Every finding is in the log (the SARIF file keeps up to GitHub's "
            "limits).\n")
    cut = encoded[: limit - len(note.encode("utf-8"))].decode("utf-8", errors="ignore")
    return cut[: cut.rfind("\n") + 1] + note


DIAGRAM_FIELDS = (("asIsDiagramMermaid", "As-is"),
                  ("orchestratedDiagramMermaid", "Orchestrated"))
MAX_DIAGRAM_PATTERNS = 20


def diagram_fences(report: ValidationReport) -> str:
    """The diagrams of the run's patterns (the changed ones, in a pull request) as `mermaid`
    fences, which GitHub draws in the job summary; at most `MAX_DIAGRAM_PATTERNS`."""
    import json

    parts: list[str] = []
    shown = 0
    for result in report.files:
        if shown == MAX_DIAGRAM_PATTERNS:
            parts.append(f"_Diagrams of the first {MAX_DIAGRAM_PATTERNS} patterns only._\n")
            break
        try:
            data = json.loads((Path(report.root) / result.file).read_bytes())
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        fences = []
        for field, title in DIAGRAM_FIELDS:
            source = data.get(field)
            if isinstance(source, str) and source.strip():
                fence = "`" * max(3, _longest_backticks(source) + 1)
                fences.append(f"**{title}**\n\n{fence}mermaid\n{source.rstrip()}\n{fence}\n")
        if fences:
            shown += 1
            name = str(data.get("name") or result.file).replace("\n", " ")
            parts.append(f"<details><summary>Diagrams of {_plain(name)} "
                         f"({_plain(result.file)})</summary>\n\n" + "\n".join(fences)
                         + "\n</details>\n")
    return ("### Diagrams\n\n" + "\n".join(parts) + "\n") if parts else ""


def _longest_backticks(text: str) -> int:
    import re

    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _plain(text: str) -> str:
    """Text for the summary's HTML: escaped, control characters shown."""
    from html import escape

    from pubflow.reporters import printable

    return escape(printable(text))


def append_summary(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def append_outputs(path: Path, values: dict[str, str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for name, value in values.items():
            delimiter = f"pubflow_{secrets.token_hex(8)}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
