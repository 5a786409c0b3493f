"""The bundled examples are test cases by themselves.

`examples/repo` must pass as a whole; each file in `examples/invalid/` is validated inside a
copy of that repository (so its links resolve) and must produce exactly the findings that
`examples/invalid.expected.json` names, at the line it names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import EXAMPLES, git

INVALID = EXAMPLES / "invalid"
EXPECTED: dict[str, list[dict[str, Any]]] = json.loads(
    (EXAMPLES / "invalid.expected.json").read_text())
runner = CliRunner()


@pytest.fixture
def example_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLES / "repo", root)
    git(root, "init", "-q")
    monkeypatch.chdir(root)
    return root


def test_every_invalid_file_has_expectations_and_vice_versa() -> None:
    files = {p.name for p in INVALID.glob("*.json")}
    assert files == set(EXPECTED)
    assert len(files) >= 20


def test_example_repository_passes(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["summary"]["files"] >= 3
    assert all(p["readyForReview"] for p in report["patterns"])
    assert any(p["marginal"] for p in report["patterns"])


def test_example_diagrams_lint_clean(example_repo: Path) -> None:
    result = runner.invoke(app, ["diagrams", "diagrams", "patterns", "--format", "json"])
    assert result.exit_code == 0, result.stdout
    diagrams = json.loads(result.stdout)["diagrams"]
    assert len(diagrams) >= 8
    assert all(d["parsed"] and d["withinBudget"] for d in diagrams)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_example(name: str, example_repo: Path) -> None:
    target = example_repo / "patterns" / name
    shutil.copyfile(INVALID / name, target)
    result = runner.invoke(app, ["validate", "--format", "json", f"patterns/{name}"])
    assert result.exit_code == 1, result.stdout
    (pattern,) = json.loads(result.stdout)["patterns"]
    found = [(f["rule"], f["line"], f["message"]) for f in pattern["findings"]
             if f["severity"] == "error"]
    assert len(found) == len(EXPECTED[name]), found
    for expected, (rule, line, message) in zip(EXPECTED[name], found, strict=True):
        assert rule == expected["rule"]
        assert line == expected["line"], message
        if "message" in expected:
            assert message == expected["message"]
        else:
            assert message.startswith(expected["message_prefix"])
