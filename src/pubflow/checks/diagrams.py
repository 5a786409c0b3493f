"""Beat 6: both sequence diagrams parse as Mermaid would, and stay within their budgets.

The counting is the Mermaid parser's job (`pubflow.diagrams.mermaid`); this module only compares its
model with the budgets and words the findings exactly as the specification fixes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pubflow.checks.base import CheckContext, Issue
from pubflow.config import DiagramBudgets

DIAGRAM_FIELDS: dict[str, str] = {
    "asIsDiagramMermaid": "As-Is Diagram",
    "orchestratedDiagramMermaid": "Orchestrated Diagram",
}


if TYPE_CHECKING:  # a Protocol class costs a millisecond to create at every start
    from typing import Protocol

    class DiagramCounts(Protocol):
        """What the budgets need from a parsed diagram."""

        @property
        def actor_count(self) -> int: ...
        @property
        def step_count(self) -> int: ...
        @property
        def alt_blocks(self) -> int: ...
        @property
        def nested_alt(self) -> bool: ...


def budget_issues(counts: DiagramCounts, title: str, pointer: str,
                  budgets: DiagramBudgets) -> Iterator[Issue]:
    """Compare one parsed diagram with the budgets; messages are fixed by the spec."""
    if counts.actor_count > budgets.max_actors:
        yield Issue(pointer, "diagram.actor-budget",
                    f"{title} exceeds actor budget ({counts.actor_count}/{budgets.max_actors})",
                    "Merge participants that play the same role, or split the story into two "
                    "patterns.")
    if counts.step_count > budgets.max_steps:
        yield Issue(pointer, "diagram.step-budget",
                    f"{title} exceeds step budget ({counts.step_count}/{budgets.max_steps})",
                    "Keep the messages that carry the story; fold routine exchanges into one "
                    "step.")
    if counts.alt_blocks > budgets.max_alt_blocks:
        yield Issue(pointer, "diagram.alt-budget",
                    f"{title} exceeds alt block budget ({counts.alt_blocks}/"
                    f"{budgets.max_alt_blocks})",
                    "Show the main path; describe rare branches in the Markdown instead.")
    if counts.nested_alt and not budgets.allow_nested_alt:
        yield Issue(pointer, "diagram.nested-alt", "Diagrams cannot contain nested alt blocks",
                    "Flatten the inner alt into the outer one's branches, or move it to a "
                    "separate diagram.")


class DiagramCheck:
    name = "diagrams"

    def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]:
        if not isinstance(data, dict):
            return []
        from pubflow.diagrams.mermaid import MermaidError, sequence_diagram_counts

        issues: list[Issue] = []
        for field, title in DIAGRAM_FIELDS.items():
            text = data.get(field)
            if not isinstance(text, str) or not text.strip():
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
            issues.extend(budget_issues(counts, title, pointer, context.config.diagrams))
        return issues
