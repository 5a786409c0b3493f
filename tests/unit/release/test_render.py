"""The published page: its outline, fences that hold, escaped tables, byte-stable output."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pubflow.release.render import render_page

PATTERNS_DIR = Path(__file__).parents[3] / "examples" / "repo" / "patterns"
PATTERN_FILES = sorted(PATTERNS_DIR.glob("*.json"))
HEADINGS = [
    "## 1. Hook",
    "## 2. Problem",
    "## 3. Broken signals",
    "## 4. As-is sequence",
    "## 5. Orchestrated approach",
    "## 6. Orchestrated sequence",
    "## 7. Scorecard",
    "## 8. Acceptance criteria",
    "## 9. Implementation checklist",
]


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def pattern() -> dict[str, Any]:
    return load(PATTERNS_DIR / "incident-escalation.json")


def heading_lines(page: str) -> list[str]:
    return [line for line in page.split("\n") if line.startswith("## ")]


def mermaid_blocks(page: str) -> list[str]:
    """Fenced mermaid blocks, each closed by a fence of the same length."""
    return re.findall(r"^(`{3,})mermaid\n(.*?)\n\1$", page, flags=re.MULTILINE | re.DOTALL)


def test_the_examples_exist() -> None:
    assert len(PATTERN_FILES) >= 2


@pytest.mark.parametrize("path", PATTERN_FILES, ids=lambda p: p.stem)
def test_example_page_outline(path: Path) -> None:
    data = load(path)
    page = render_page(data)
    assert page.startswith(f"# {data['name']}\n")
    assert heading_lines(page)[:9] == HEADINGS
    assert page.endswith("\n") and not page.endswith("\n\n")
    assert "\r" not in page


@pytest.mark.parametrize("path", PATTERN_FILES, ids=lambda p: p.stem)
def test_example_diagrams_are_inside_mermaid_fences(path: Path) -> None:
    data = load(path)
    page = render_page(data)
    blocks = [body for _fence, body in mermaid_blocks(page)]
    assert blocks == [data["asIsDiagramMermaid"].rstrip(), data["orchestratedDiagramMermaid"].rstrip()]
    as_is = page.index("## 4. As-is sequence")
    assert as_is < page.index("```mermaid", as_is) < page.index("## 5. Orchestrated approach")


@pytest.mark.parametrize("path", PATTERN_FILES, ids=lambda p: p.stem)
def test_example_scorecard_total(path: Path) -> None:
    data = load(path)
    page = render_page(data)
    total = sum(data["scorecard"].values())
    assert f"| **Total** | **{total}/40** |" in page
    assert f"| Time & SLA | {data['scorecard']['timeSla']}/5 |" in page


@pytest.mark.parametrize("path", PATTERN_FILES, ids=lambda p: p.stem)
def test_rendering_is_deterministic(path: Path) -> None:
    data = load(path)
    first = render_page(data)
    assert render_page(load(path)) == first
    assert render_page(data) == first
    assert render_page(copy.deepcopy(data)).encode("utf-8") == first.encode("utf-8")


def test_sections_follow_the_fixed_labels(pattern: dict[str, Any]) -> None:
    page = render_page(pattern)
    labels = ["Ownership", "Time & SLA", "Capacity", "Visibility", "Customer loop",
              "Escalation", "Handoffs", "Documentation"]
    positions = [page.index(f"| {label} |") for label in labels]
    assert positions == sorted(positions)
    assert f"- {pattern['brokenSignals'][0]}\n" in page
    assert f"- [ ] {pattern['implementationChecklist'][0]}\n" in page
    first = pattern["acceptanceCriteria"][0]
    assert f"1. **Given** {first['given']}\n   **When** {first['when']}\n" in page
    assert "| Author | Jane Mercer (jane.mercer@example.org) |" in page


def test_a_diagram_with_backticks_gets_a_longer_fence(pattern: dict[str, Any]) -> None:
    diagram = "sequenceDiagram\n  A->>B: ```\n```\n  B->>A: ````x\n## 5. Fake"
    pattern["asIsDiagramMermaid"] = diagram
    page = render_page(pattern)
    assert mermaid_blocks(page)[0] == ("`" * 5, diagram)
    assert "## 5. Fake\n`````\n\n## 5. Orchestrated approach\n" in page


def test_a_pipe_in_a_table_cell_is_escaped(pattern: dict[str, Any]) -> None:
    pattern["author"]["name"] = "Ann | Bob"
    pattern["tags"] = ["a|b", "back\\|slash"]
    page = render_page(pattern)
    assert "| Author | Ann \\| Bob (jane.mercer@example.org) |" in page
    assert "| Tags | a\\|b, back\\\\\\|slash |" in page


def test_no_related_section_without_related_patterns(pattern: dict[str, Any]) -> None:
    del pattern["relatedPatterns"]
    page = render_page(pattern)
    assert "## Related patterns" not in page
    assert heading_lines(page) == HEADINGS
    pattern["relatedPatterns"] = []
    assert render_page(pattern) == page


def test_related_patterns_are_linked(pattern: dict[str, Any]) -> None:
    page = render_page(pattern)
    assert heading_lines(page)[-1] == "## Related patterns"
    assert page.endswith("- [order-to-cash-handoff](../order-to-cash-handoff/)\n")


def test_missing_optional_fields_are_left_out(pattern: dict[str, Any]) -> None:
    del pattern["tags"]
    del pattern["author"]["name"]
    page = render_page(pattern)
    assert "| Tags |" not in page
    assert "| Author | jmercer (jane.mercer@example.org) |" in page


def test_crlf_and_trailing_blank_lines_are_normalised(pattern: dict[str, Any]) -> None:
    pattern["hookMarkdown"] = "\r\nLine one\r\nLine two\r\n\r\n"
    pattern["implementationChecklist"] = ["Step\r\nwith a second line\n\n"]
    page = render_page(pattern)
    assert "\r" not in page
    assert "## 1. Hook\n\nLine one\nLine two\n\n## 2. Problem" in page
    assert "- [ ] Step\n  with a second line\n\n## Related patterns" in page


def test_wrong_types_are_rendered_not_fatal(pattern: dict[str, Any]) -> None:
    pattern.update(
        name=["a", "list"],
        version=2,
        author="someone",
        industries="saas",
        brokenSignals="just one",
        scorecard={**pattern["scorecard"], "capacity": "high", "handoffs": True},
        acceptanceCriteria=["free text", {"given": 1, "then": None}],
        implementationChecklist=None,
        relatedPatterns=["Not A Slug", 7],
    )
    page = render_page(pattern)
    assert page.startswith("# ['a', 'list']\n")
    assert "| Version | 2 |" in page
    assert "| Author | someone |" in page
    assert "| Industries | saas |" in page
    assert "- just one\n" in page
    assert "| Capacity | high/5 |" in page
    assert "| Handoffs | True/5 |" in page
    assert "**Total**" not in page
    assert "1. free text\n2. **Given** 1\n   **Then**\n" in page
    assert "- Not A Slug\n- 7\n" in page
    assert heading_lines(page) == [*HEADINGS, "## Related patterns"]
    assert page.endswith("\n") and not page.endswith("\n\n")


def test_a_scorecard_of_the_wrong_shape_is_shown_as_text(pattern: dict[str, Any]) -> None:
    pattern["scorecard"] = "all fives"
    assert "## 7. Scorecard\n\nall fives\n\n## 8." in render_page(pattern)


def test_integral_float_scores_count(pattern: dict[str, Any]) -> None:
    pattern["scorecard"] = dict.fromkeys(pattern["scorecard"], 4.0)
    page = render_page(pattern)
    assert "| Ownership | 4/5 |" in page
    assert "| **Total** | **32/40** |" in page


def test_an_empty_document_still_has_the_outline() -> None:
    page = render_page({})
    assert heading_lines(page) == HEADINGS
    assert page.endswith("## 9. Implementation checklist\n")
