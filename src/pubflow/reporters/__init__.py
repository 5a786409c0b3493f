"""Reporters turn a `ValidationReport` into one output format; `--format` picks one by name.

A reporter is a plain function returning the whole output (ending in a newline, or empty when
there is nothing to say); it never prints, so the CLI decides between stdout and `--output`.
Each format's module produces the output in pieces (`chunks`), which `stream_report` hands
on as they come: the CLI writes a report of ten thousand patterns without ever holding it.
Reporters import only the standard library: the text reporter runs in the pre-commit hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pubflow.findings import ValidationReport
from pubflow.reporters._common import printable


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to render, as decided by the CLI; every format ignores what does not apply to it."""

    color: bool = False
    """ANSI colour; only the text format uses it."""
    verbose: bool = False
    """Text: also a line per file with each check group's status."""
    quiet: bool = False
    """Text: only problems, and no summary line when nothing failed."""
    tool_version: str = ""
    """`pubflow.__version__`, recorded in JSON, SARIF, JUnit and Markdown."""
    generated_at: str = ""
    """ISO-8601 UTC timestamp supplied by the caller, so output is reproducible; "" omits it."""
    full_report: str = ""
    """Where every finding can be read, named by SARIF when GitHub's limits make it leave
    results out (the GitHub Action's job log, say); "" names `pubflow validate --format json`."""
    shard: Mapping[str, Any] | None = None
    """A `--shard` run's slice (index, count, the run's files and key): JSON records it, so
    the slices can be merged (`reporters.merge`)."""


Reporter = Callable[[ValidationReport, ReportOptions], str]


def stream_report(name: str, report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    """The `name` format's output in pieces, in order. A format's module is imported on first
    use, so the hook's text output never loads XML."""
    module = importlib.import_module(f"{__name__}.{_MODULE_BY_NAME[name]}")
    chunks: Iterator[str] = module.chunks(report, options)
    return chunks


def _whole(name: str) -> Reporter:
    def render(report: ValidationReport, options: ReportOptions) -> str:
        return "".join(stream_report(name, report, options))

    render.__qualname__ = render.__name__ = f"{_MODULE_BY_NAME[name]}.render"
    return render


_MODULE_BY_NAME = {
    "text": "text",
    "json": "json_report",
    "markdown": "markdown",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}
REPORTER_BY_NAME: dict[str, Reporter] = {name: _whole(name) for name in _MODULE_BY_NAME}
"""The `--format` choices, in the order `--help` lists them."""

__all__ = ["REPORTER_BY_NAME", "ReportOptions", "Reporter", "printable", "stream_report"]
