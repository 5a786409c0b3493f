"""Beat 6: how big a sequence diagram may grow, and which fields of a pattern hold one.

Shared by the diagram check (`checks.diagrams`) and the `diagrams` command (`diagrams.lint`):
the messages are fixed by the specification, so they are worded in this one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from pubflow.config import DiagramBudgets
from pubflow.findings import Issue

DIAGRAM_FIELDS: dict[str, str] = {
    "asIsDiagramMermaid": "As-Is Diagram",
    "orchestratedDiagramMermaid": "Orchestrated Diagram",
}


if TYPE_CHECKING:  # a Protocol class costs a millisecond to create at every start
    from typing import Protocol

    from pubflow.diagrams.mermaid.model import Block, SequenceDiagram

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
                  budgets: DiagramBudgets, text: str | None = None) -> Iterator[Issue]:
    """Compare one parsed diagram with the budgets; messages are fixed by the spec.

    Given the diagram's `text`, each finding also points at the statement that breaks its
    budget (the first actor, step or alt beyond it, the inner alt), in the field (a
    `LineInString`) and in the message. Only then is the whole model built (`_Places`): the
    counts of a plain diagram come from a scan that knows no lines, and a diagram within its
    budgets never needs them.
    """
    if (counts.actor_count <= budgets.max_actors and counts.step_count <= budgets.max_steps
            and counts.alt_blocks <= budgets.max_alt_blocks
            and (not counts.nested_alt or budgets.allow_nested_alt)):
        return  # within every budget (nearly every diagram): nothing to place
    places = _Places(counts, text) if text is not None else None
    if counts.actor_count > budgets.max_actors:
        yield _placed(Issue(
            pointer, "diagram.actor-budget",
            f"{title} exceeds actor budget ({counts.actor_count}/{budgets.max_actors})",
            "Merge participants that play the same role, or split the story into two "
            "patterns."), places.actor(budgets.max_actors) if places else None)
    if counts.step_count > budgets.max_steps:
        yield _placed(Issue(
            pointer, "diagram.step-budget",
            f"{title} exceeds step budget ({counts.step_count}/{budgets.max_steps})",
            "Keep the messages that carry the story; fold routine exchanges into one step."),
            places.step(budgets.max_steps) if places else None)
    if counts.alt_blocks > budgets.max_alt_blocks:
        yield _placed(Issue(
            pointer, "diagram.alt-budget",
            f"{title} exceeds alt block budget ({counts.alt_blocks}/{budgets.max_alt_blocks})",
            "Show the main path; describe rare branches in the Markdown instead."),
            places.alt(budgets.max_alt_blocks) if places else None)
    if counts.nested_alt and not budgets.allow_nested_alt:
        yield _placed(Issue(
            pointer, "diagram.nested-alt", "Diagrams cannot contain nested alt blocks",
            "Flatten the inner alt into the outer one's branches, or move it to a separate "
            "diagram."), places.nested_alt(title) if places else None)


_Place = tuple[int, int, str]
"""Line and column in the diagram, and what the message adds after the specification's words
(a plain tuple: this module loads at every start, where a NamedTuple class costs time)."""


def _placed(issue: Issue, place: _Place | None) -> Issue:
    if not place:
        return issue
    from pubflow.storage.jsonsource import LineInString

    line, column, words = place
    return Issue(issue.pointer, issue.rule, f"{issue.message}: {words}", issue.hint,
                 issue.severity, line_in_string=LineInString(line, column))


class _Places:
    """Where in a diagram's text each budget is broken, worked out from the whole model."""

    def __init__(self, counts: DiagramCounts, text: str) -> None:
        self._counts = counts
        self._text = text
        self._model: SequenceDiagram | None = None
        self._lines: list[str] | None = None

    def _diagram(self) -> SequenceDiagram | None:
        if self._model is None:
            if hasattr(self._counts, "actors"):  # already the whole model
                self._model = cast("SequenceDiagram", self._counts)
            else:
                from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram

                try:
                    self._model = parse_sequence_diagram(self._text)
                except MermaidError:  # counted, so parsed; never expected
                    return None
        return self._model

    def _line(self, number: int) -> str:
        if self._lines is None:
            self._lines = self._text.split("\n")
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    def _first_word(self, number: int) -> int:
        line = self._line(number)
        return len(line) - len(line.lstrip(" \t")) + 1

    def actor(self, budget: int) -> _Place | None:
        """The first actor beyond the budget, in reading order (where each first appears)."""
        diagram = self._diagram()
        if diagram is None or len(diagram.actors) <= budget:
            return None
        actor = sorted(diagram.actors, key=lambda a: a.line)[budget]
        return (actor.line, self._actor_column(diagram, actor.id, actor.line),
                      f"actor '{actor.id}', the {_ordinal(budget + 1)}, first appears on "
                      f"diagram line {actor.line}")

    def _actor_column(self, diagram: SequenceDiagram, actor: str, number: int) -> int:
        line = self._line(number)
        after = 0
        for message in diagram.messages:  # `A->>B`: B named after its sender
            if message.line == number and message.target == actor != message.source:
                found = _name_at(line, message.source, 0)
                after = found + len(message.source) if found >= 0 else 0
                break
        found = _name_at(line, actor, after)
        return found + 1 if found >= 0 else self._first_word(number)

    def step(self, budget: int) -> _Place | None:
        diagram = self._diagram()
        if diagram is None or len(diagram.messages) <= budget:
            return None
        message = sorted(diagram.messages, key=lambda m: m.line)[budget]
        return (message.line, self._first_word(message.line),
                      f"step {budget + 1} is on diagram line {message.line}")

    def alt(self, budget: int) -> _Place | None:
        diagram = self._diagram()
        alts = sorted(block.line for block, _ in diagram.iter_blocks()
                      if block.kind == "alt") if diagram is not None else []
        if len(alts) <= budget:
            return None
        line = alts[budget]
        return (line, self._first_word(line),
                      f"alt block {budget + 1} opens on diagram line {line}")

    def nested_alt(self, title: str) -> _Place | None:
        """The first alt (in reading order) inside another alt, and the alt around it."""
        diagram = self._diagram()
        if diagram is None:
            return None
        nested: list[tuple[int, int]] = []  # (inner line, line of the nearest alt around it)
        pending: list[tuple[Block, int | None]] = [(block, None) for block in diagram.blocks]
        while pending:
            block, outer = pending.pop()
            if block.kind == "alt" and outer is not None:
                nested.append((block.line, outer))
            around = block.line if block.kind == "alt" else outer
            pending.extend((child, around) for child in block.children)
        if not nested:
            return None
        inner, outer = min(nested)
        return (inner, self._first_word(inner),
                      f"the alt on {title} line {inner} is inside the alt of line {outer}")


def _name_at(line: str, name: str, start: int) -> int:
    """Where `name` stands on its own in `line` from `start` (not inside a longer name)."""
    at = line.find(name, start)
    while at >= 0:
        before = line[at - 1] if at else " "
        end = at + len(name)
        after = line[end] if end < len(line) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return at
        at = line.find(name, at + 1)
    return -1


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"
