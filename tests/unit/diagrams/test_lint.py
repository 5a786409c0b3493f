"""`diagrams`' core on real files: every diagram of pattern files and `.mmd` files parsed,
counted and measured, each problem placed in the diagram and in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pubflow.config import Config, DiagramBudgets
from pubflow.diagrams.lint import DIAGRAM_SUFFIXES, DiagramProblem, DiagramResult, lint_targets
from pubflow.storage.discovery import collect_targets
from tests.conftest import plain_repository, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)

BROKEN = "sequenceDiagram\n  participant A\n  A->>B hello"
PARSE_MESSAGE = ("unexpected end of line after 'A->>B hello' (expected ':' and a message text, "
                 "e.g. 'A->>B hello: hello')")


def write(repo: Path, name: str, content: str | bytes | dict[str, object]) -> Path:
    path = repo / "patterns" / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content, indent=2))
    return path


def lint(repo: Path, *names: str, config: Config | None = None) -> list[DiagramResult]:
    paths = [repo / "patterns" / n for n in names] or [repo / "patterns"]
    targets = collect_targets(paths, repo, suffixes=DIAGRAM_SUFFIXES)
    return lint_targets(targets, config or Config(root=repo))


def place(path: Path, needle: str) -> tuple[int, int]:
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if needle in text:
            return number, text.index(needle) + 1
    raise AssertionError(needle)


def test_a_valid_pattern_gives_both_diagrams_counted(repo: Path) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    as_is, orchestrated = lint(repo)
    assert as_is == DiagramResult(
        "patterns/incident-escalation.json", "asIsDiagramMermaid", "As-Is Diagram", True,
        actors=3, steps=6, alt_blocks=1, nested_alt=False, max_alt_depth=1,
        actor_ids=("Customer", "Agent", "Eng"))
    assert as_is.ok and orchestrated.ok
    assert (orchestrated.field, orchestrated.title, orchestrated.actors, orchestrated.steps) == (
        "orchestratedDiagramMermaid", "Orchestrated Diagram", 3, 5)
    assert as_is.to_dict() == {
        "file": "patterns/incident-escalation.json", "field": "asIsDiagramMermaid",
        "parsed": True, "actors": 3, "steps": 6, "altBlocks": 1, "nestedAlt": False,
        "maxAltDepth": 1, "actorIds": ["Customer", "Agent", "Eng"], "withinBudget": True,
        "errors": [], "violations": []}


def test_a_parse_error_is_placed_in_the_diagram_and_in_the_file(repo: Path) -> None:
    path = write(repo, "p.json", valid_pattern(id="p", asIsDiagramMermaid=BROKEN))
    as_is, orchestrated = lint(repo)
    assert not as_is.parsed and not as_is.ok and orchestrated.ok
    line, column = place(path, "\\n  A->>B hello")
    assert as_is.errors == (DiagramProblem(3, PARSE_MESSAGE, "diagram.parse-error", line,
                                           column + 2),)
    assert as_is.to_dict()["withinBudget"] is False
    assert as_is.to_dict()["errors"] == [{"line": 3, "message": PARSE_MESSAGE,
                                          "rule": "diagram.parse-error", "fileLine": line,
                                          "fileColumn": column + 2}]
    assert (as_is.actors, as_is.steps, as_is.to_dict()["actors"]) == (None, None, None)


def test_budget_violations_are_placed_at_the_diagram_value(repo: Path) -> None:
    crowded = "\n".join(["sequenceDiagram", *(f"  participant P{i}" for i in range(9)),
                         "  P0->>P1: hi"])
    path = write(repo, "p.json", valid_pattern(id="p", orchestratedDiagramMermaid=crowded))
    _, orchestrated = lint(repo)
    line, column = place(path, '"sequenceDiagram\\n  participant P0')
    assert orchestrated.parsed and not orchestrated.ok
    assert orchestrated.violations == (DiagramProblem(
        1, "Orchestrated Diagram exceeds actor budget (9/7)", "diagram.actor-budget", line,
        column),)  # the string value itself, as for an error on the diagram's first line
    assert orchestrated.to_dict()["withinBudget"] is False
    roomy = Config(root=repo, diagrams=DiagramBudgets(max_actors=9))
    assert all(result.ok for result in lint(repo, config=roomy))


@pytest.mark.parametrize(("value", "what"), [("", "empty"), ("  \n ", "empty"),
                                             (7, "not a string"), (None, "missing")])
def test_a_missing_or_empty_field_is_an_error_of_its_own(repo: Path, value: object,
                                                         what: str) -> None:
    data = valid_pattern(id="p")
    if value is None:
        del data["asIsDiagramMermaid"]
    else:
        data["asIsDiagramMermaid"] = value
    write(repo, "p.json", data)
    as_is, orchestrated = lint(repo)
    assert (as_is.field, as_is.parsed, orchestrated.ok) == ("asIsDiagramMermaid", False, True)
    (problem,) = as_is.errors
    assert (problem.rule, problem.message) == ("schema.required", f"asIsDiagramMermaid is {what}")


def test_a_file_that_is_not_a_pattern_gives_one_result(repo: Path) -> None:
    write(repo, "listed.json", "[]")
    write(repo, "broken.json", "{\n  \"id\": }")
    broken, listed = lint(repo)
    assert (broken.field, broken.parsed, broken.errors) == (None, False, (DiagramProblem(
        2, "expecting value, found '}'", "json.syntax", 2, 9),))
    assert listed.errors == (DiagramProblem(1, "a pattern must be a JSON object",
                                            "schema.type", 1, 1),)


def test_an_mmd_file_is_one_diagram_with_file_lines(repo: Path) -> None:
    write(repo, "flow.mmd", "sequenceDiagram\r\n  A->>B: hi\r\n  B-->>A: ok\r\n")
    write(repo, "broken.mmd", "\ufeffsequenceDiagram\n  A->>B: hi\n  A->>B hello\n")
    broken, flow = lint(repo)
    assert (flow.file, flow.field, flow.title, flow.parsed, flow.actors, flow.steps) == (
        "patterns/flow.mmd", None, "flow.mmd", True, 2, 2)
    assert flow.to_dict()["field"] is None
    assert broken.errors == (DiagramProblem(3, PARSE_MESSAGE, "diagram.parse-error", 3, 1),)


def test_mmd_files_that_cannot_be_read(repo: Path, tmp_path: Path) -> None:
    write(repo, "bad-utf8.mmd", b"sequenceDiagram\n  A->>B: caf\xe9\n")
    (repo / "patterns" / "dangling.mmd").symlink_to("missing.mmd")
    outside = tmp_path / "outside.mmd"
    outside.write_text("sequenceDiagram\n  A->>B: hi\n")
    (repo / "patterns" / "outside.mmd").symlink_to(outside)
    big = write(repo, "big.mmd", "sequenceDiagram\n" + "  A->>B: hi\n" * 200)
    results = {r.file: r for r in lint(repo, config=Config(root=repo,
                                                           max_file_bytes=big.stat().st_size - 1))}
    problems = {file: (r.errors[0].rule, r.errors[0].message, r.errors[0].file_line)
                for file, r in results.items()}
    assert problems == {
        "patterns/bad-utf8.mmd": ("file.encoding", "file is not valid UTF-8", 2),
        "patterns/dangling.mmd": ("file.unreadable", "cannot read file: No such file or directory",
                                  1),
        "patterns/outside.mmd": ("file.outside-repo",
                                 "file resolves outside the repository; it was not read", 1),
        "patterns/big.mmd": ("file.too-large",
                             f"file is larger than the {big.stat().st_size - 1} byte limit", 1),
    }
    assert not any(r.parsed or r.ok for r in results.values())


def test_results_follow_the_targets_in_order(repo: Path) -> None:
    write(repo, "b.json", valid_pattern(id="b"))
    write(repo, "a.mmd", "sequenceDiagram\n  A->>B: hi\n")
    assert [(r.file, r.field) for r in lint(repo)] == [
        ("patterns/a.mmd", None), ("patterns/b.json", "asIsDiagramMermaid"),
        ("patterns/b.json", "orchestratedDiagramMermaid")]
    assert lint_targets([], Config(root=repo)) == []
