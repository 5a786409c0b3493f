"""Beat 6: how big a sequence diagram may grow, and which fields of a pattern hold one.

Shared by the diagram check (`checks.diagrams`) and the `diagrams` command (`diagrams.lint`):
the messages are fixed by the specification, so they are worded in this one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pubflow.config import DiagramBudgets
from pubflow.findings import Issue

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
