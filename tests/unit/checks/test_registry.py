"""The check registries: every check is named, and findings come out in registry order (the
per-file checks in theirs, then the folder-wide ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pubflow.checks import FOLDER_CHECKS, PATTERN_CHECKS
from pubflow.checks.base import CheckContext
from pubflow.config import Config
from pubflow.validation.run import ValidateRequest, validate
from tests.conftest import plain_repository, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)


def test_every_check_has_its_own_name() -> None:
    names = [check.name for check in (*PATTERN_CHECKS, *FOLDER_CHECKS)]
    assert all(isinstance(name, str) and name for name in names)
    assert len(set(names)) == len(names)
    assert [c.name for c in PATTERN_CHECKS] == ["schema", "id-filename", "scorecard", "diagrams"]
    assert [c.name for c in FOLDER_CHECKS] == ["cross-file", "links", "links-online", "ticket-lock"]


def failing_everything() -> dict[str, object]:
    """A pattern that each per-file check objects to, each for one reason."""
    data = valid_pattern(version="one", relatedPatterns=["nowhere"])
    data["scorecard"]["handoffs"] = 2
    data["asIsDiagramMermaid"] = "sequenceDiagram\n  A->>B oops"
    return data


def test_each_pattern_check_finds_its_own_issue() -> None:
    context = CheckContext(config=Config(), file_stem="other-name")
    data = failing_everything()
    found = {check.name: [issue.rule for issue in check(data, context)]
             for check in PATTERN_CHECKS}
    assert found == {"schema": ["schema.format"], "id-filename": ["repo.id-filename"],
                     "scorecard": ["scorecard.dimension-min"],
                     "diagrams": ["diagram.parse-error"]}


def test_findings_are_reported_in_registry_order(repo: Path) -> None:
    (repo / "patterns" / "other-name.json").write_text(json.dumps(failing_everything(),
                                                                  indent=2))
    (repo / "patterns" / "incident-escalation.json").write_text(json.dumps(valid_pattern()))
    report = validate(ValidateRequest(Config(root=repo), use_cache=False))
    files = {r.file: [f.rule for f in r.findings] for r in report.files}
    assert files["patterns/other-name.json"] == [
        "schema.format",  # schema
        "repo.id-filename",  # id-filename
        "scorecard.dimension-min",  # scorecard
        "diagram.parse-error",  # diagrams
        "repo.duplicate-id",  # cross-file, after every per-file check
        "repo.related-missing",
    ]
    assert files["patterns/incident-escalation.json"] == ["repo.duplicate-id"]
