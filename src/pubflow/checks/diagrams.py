"""Beat 6: both sequence diagrams parse as Mermaid would, and stay within their budgets.

The counting is the Mermaid parser's job (`pubflow.diagrams.mermaid`) and the budgets are
`pubflow.diagrams.budgets`'; this check runs both on the pattern's two diagram fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pubflow.checks.base import CheckContext
from pubflow.diagrams.budgets import DIAGRAM_FIELDS, budget_issues
from pubflow.findings import Issue


class DiagramCheck:
    name = "diagrams"

    def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]:
        if not isinstance(data, dict):
            return []
        from pubflow.diagrams.mermaid import MermaidError, sequence_diagram_counts

        issues: list[Issue] = []
        for field, title in DIAGRAM_FIELDS.items():
            text = data.get(field)
            if not isinstance(text, str) or not text or text.isspace():
                continue  # the schema check reports missing or empty diagrams
            pointer = f"/{field}"
            try:
                counts = sequence_diagram_counts(text)
            except MermaidError as exc:
                issues.append(Issue(
                    pointer, f"diagram.{exc.kind.replace('_', '-')}",
                    f"{title} does not parse: line {exc.line}: {exc.message}",
                    "Mermaid must accept the diagram; try it in the Mermaid live editor.",
                    line_in_string=exc.line,
                ))
                continue
            issues.extend(budget_issues(counts, title, pointer, context.config.diagrams, text))
        return issues
