"""Reporters turn a `ValidationReport` into one output format; `--format` picks one by name.

A reporter is a plain function returning the whole output (ending in a newline, or empty when
there is nothing to say); it never prints, so the CLI decides between stdout and `--output`.
Reporters import only the standard library: the text reporter runs in the pre-commit hook.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from pubflow.findings import ValidationReport


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


Reporter = Callable[[ValidationReport, ReportOptions], str]



def _lazy(module_name: str) -> Reporter:
    """Import a format's module on first use, so the hook's text output never loads XML."""

    def render(report: ValidationReport, options: ReportOptions) -> str:
        module = importlib.import_module(f"{__name__}.{module_name}")
        output: str = module.render(report, options)
        return output

    render.__qualname__ = render.__name__ = f"{module_name}.render"
    return render


REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": _lazy("text"),
    "json": _lazy("json_report"),
    "markdown": _lazy("markdown"),
    "sarif": _lazy("sarif"),
    "github": _lazy("github"),
    "junit": _lazy("junit"),
}
"""The `--format` choices, in the order `--help` lists them."""

__all__ = ["REPORTER_BY_NAME", "ReportOptions", "Reporter"]
