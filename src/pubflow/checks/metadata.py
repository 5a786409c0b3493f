"""What a submission records about its pattern (beats 2 and 3): words per section, broken
signals, industries, an implementation complexity level, and a priority that combines the
marginal-score flag with topic demand.

Complexity (documented in the README): the implementation checklist's length and the
orchestrated diagram's size decide it.
- `high`: more than 10 checklist items, or more than 14 diagram steps, or more than 5
  participants;
- `low`: at most 5 checklist items and at most 8 diagram steps (and not high);
- `medium`: everything between.

Priority: `high` for a marginal score (30-32) or a topic in demand (the highest `demand`
weight of the pattern's industries and tags is 0.7 or more); `low` when `demand` is configured
and no industry or tag of the pattern reaches 0.3; otherwise `normal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MARKDOWN_SECTIONS = ("hookMarkdown", "problemMarkdown", "orchestratedMarkdown")
LIST_SECTIONS = ("brokenSignals", "acceptanceCriteria", "implementationChecklist")
HIGH_DEMAND = 0.7
LOW_DEMAND = 0.3
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class PatternMetadata:
    words: dict[str, int]
    broken_signals: int
    industries: tuple[str, ...]
    complexity: str
    checklist_items: int
    diagram_steps: int | None
    diagram_participants: int | None

    def to_json(self) -> dict[str, Any]:
        return {"words": dict(self.words), "totalWords": sum(self.words.values()),
                "brokenSignals": self.broken_signals, "industries": list(self.industries),
                "complexity": self.complexity, "checklistItems": self.checklist_items,
                "diagramSteps": self.diagram_steps,
                "diagramParticipants": self.diagram_participants}


def count_words(text: str) -> int:
    """Words as a reader counts them: Markdown marks, links' targets and code fences'
    languages do not count."""
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's target is not prose
    return len(_WORD.findall(text))


def pattern_metadata(data: dict[str, Any]) -> PatternMetadata:
    words: dict[str, int] = {}
    for field in MARKDOWN_SECTIONS:
        value = data.get(field)
        if isinstance(value, str):
            words[field] = count_words(value)
    for field in LIST_SECTIONS:
        value = data.get(field)
        if isinstance(value, list):
            words[field] = sum(count_words(_text(item)) for item in value)
    signals = data.get("brokenSignals")
    checklist = data.get("implementationChecklist")
    industries = data.get("industries")
    steps, participants = _diagram_size(data.get("orchestratedDiagramMermaid"))
    items = len(checklist) if isinstance(checklist, list) else 0
    return PatternMetadata(
        words, len(signals) if isinstance(signals, list) else 0,
        tuple(str(i) for i in industries if isinstance(i, str))
        if isinstance(industries, list) else (),
        complexity(items, steps or 0, participants or 0), items, steps, participants)


def complexity(checklist_items: int, steps: int, participants: int) -> str:
    if checklist_items > 10 or steps > 14 or participants > 5:
        return "high"
    if checklist_items <= 5 and steps <= 8:
        return "low"
    return "medium"


def priority(marginal: bool, data: dict[str, Any], demand: dict[str, float] | None) -> str:
    """`high`, `normal` or `low`, by the rule in the module's docstring."""
    if marginal:
        return "high"
    if not demand:
        return "normal"
    topics = [t for key in ("industries", "tags") if isinstance(data.get(key), list)
              for t in data[key] if isinstance(t, str)]
    weight = max((demand.get(t, 0.0) for t in topics), default=0.0)
    if weight >= HIGH_DEMAND:
        return "high"
    return "low" if weight < LOW_DEMAND else "normal"


def _text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return " ".join(_text(v) for v in item.values())
    if isinstance(item, list):
        return " ".join(_text(v) for v in item)
    return ""


def _diagram_size(source: Any) -> tuple[int | None, int | None]:
    if not isinstance(source, str):
        return None, None
    from pubflow.diagrams.mermaid import MermaidError, sequence_diagram_counts

    try:
        counts = sequence_diagram_counts(source)
    except MermaidError:
        return None, None
    return counts.step_count, counts.actor_count
