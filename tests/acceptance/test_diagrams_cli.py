"""`pubflow diagrams` on pattern files and plain .mmd files, text and the JSON shape of SPEC.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import valid_pattern

runner = CliRunner()
WritePattern = Callable[..., Path]


def diagrams_json(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(app, ["diagrams", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)["diagrams"]


def test_pattern_fields_are_measured(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    code, entries = diagrams_json()
    assert code == 0
    assert [(e["file"], e["field"]) for e in entries] == [
        ("patterns/incident-escalation.json", "asIsDiagramMermaid"),
        ("patterns/incident-escalation.json", "orchestratedDiagramMermaid"),
    ]
    as_is = entries[0]
    assert (as_is["parsed"], as_is["actors"], as_is["steps"], as_is["altBlocks"],
            as_is["nestedAlt"], as_is["errors"]) == (True, 3, 6, 1, False, [])


def test_mmd_files_and_folders(repo: Path) -> None:
    docs = repo / "docs"
    docs.mkdir()
    (docs / "ok.mmd").write_text("sequenceDiagram\n  A->>B: hi\n  Note right of C: creates C\n")
    (docs / "bad.mmd").write_text("sequenceDiagram\n  A->>B hi\n")
    (docs / "notes.txt").write_text("ignored")
    code, entries = diagrams_json("docs")
    assert code == 1
    by_file = {e["file"]: e for e in entries}
    assert set(by_file) == {"docs/ok.mmd", "docs/bad.mmd"}
    ok = by_file["docs/ok.mmd"]
    assert (ok["field"], ok["actors"], ok["steps"], ok["actorIds"]) == (None, 3, 1, ["A", "B", "C"])
    bad = by_file["docs/bad.mmd"]
    assert bad["parsed"] is False
    assert bad["actors"] is None and bad["steps"] is None and bad["altBlocks"] is None
    (error,) = bad["errors"]
    assert error["line"] == 2 and error["message"]


def test_budget_violations_in_text_and_json(repo: Path, write_pattern: WritePattern) -> None:
    many = "sequenceDiagram\n" + "".join(f"  A{i}->>A{i + 1}: step {i}\n" for i in range(8))
    write_pattern(valid_pattern(asIsDiagramMermaid=many))
    code, entries = diagrams_json()
    assert code == 1
    as_is = entries[0]
    assert as_is["actors"] == 9 and as_is["withinBudget"] is False
    assert [v["message"] for v in as_is["violations"]] == [
        "As-Is Diagram exceeds actor budget (9/7)"]
    result = runner.invoke(app, ["diagrams"])
    assert result.exit_code == 1
    assert "As-Is Diagram exceeds actor budget (9/7)" in result.stdout
    assert "over budget" in result.stdout


def test_parse_error_points_into_the_json_file(repo: Path, write_pattern: WritePattern) -> None:
    path = write_pattern(valid_pattern(orchestratedDiagramMermaid="sequenceDiagram\n  A->>B: x\nend"))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1)
                if "orchestratedDiagramMermaid" in t)
    code, entries = diagrams_json()
    assert code == 1
    (error,) = entries[1]["errors"]
    assert error["line"] == 3
    assert error["fileLine"] == line
    result = runner.invoke(app, ["diagrams"])
    assert f"patterns/incident-escalation.json:{line}:" in result.stdout
    assert "line 3" in result.stdout


def test_no_diagrams_in_folder_is_usage_error(repo: Path) -> None:
    (repo / "empty").mkdir()
    result = runner.invoke(app, ["diagrams", "empty"])
    assert result.exit_code == 2


def test_svg_output_draws_every_diagram(repo: Path,
                                        write_pattern: Callable[..., Path]) -> None:
    """Issue 17, item 1: `diagrams --format svg --output DIR`, the review page's drawings."""
    from xml.etree import ElementTree

    write_pattern()
    (repo / "docs").mkdir()
    (repo / "docs" / "flow.mmd").write_text("sequenceDiagram\n  A->>B: <b>hi</b>\n")
    (repo / "docs" / "broken.mmd").write_text("sequenceDiagram\n  A->>: nothing\n")
    out = repo.parent / "svg"
    result = runner.invoke(app, ["diagrams", "patterns", "docs", "--format", "svg",
                                 "--output", str(out)])
    names = sorted(p.name for p in out.iterdir())
    assert names == ["broken.svg", "flow.svg", "incident-escalation.asIsDiagramMermaid.svg",
                     "incident-escalation.orchestratedDiagramMermaid.svg"]
    assert result.exit_code == 1  # the broken diagram is still a finding
    for name in names:
        ElementTree.fromstring((out / name).read_text())
    flow = (out / "flow.svg").read_text()
    assert "&lt;b&gt;hi&lt;/b&gt;" in flow or "hi" in flow
    assert "<script" not in flow
    result = runner.invoke(app, ["diagrams", "--format", "svg"])
    assert result.exit_code == 2 and "--format svg needs --output DIR" in result.stderr
