"""`pubflow verify`'s core: everything under `.pubflow/` of a real repository checked at once,
and each kind of damage reported as a line naming its file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pubflow.release.state_check import StateReport, check_state
from tests.acceptance.release_support import approved_repo, promote
from tests.conftest import git, valid_pattern

ENVIRONMENTS = Path(".pubflow/environments")
AUDIT = Path(".pubflow/audit.jsonl")


@pytest.fixture(scope="module")
def live_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One ticket, its pattern promoted to staging and production through the real CLI."""
    home = tmp_path_factory.mktemp("state")
    root = home / "repo"
    (root / "patterns").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        for who in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{who}_NAME", "Test Author")
            mp.setenv(f"GIT_{who}_EMAIL", "author@example.org")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig-global"))
        mp.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
        git(root, "init", "-q", "-b", "main")
        mp.chdir(root)

        def write(data: dict[str, Any] | None = None, name: str | None = None) -> Path:
            data = valid_pattern() if data is None else data
            path = root / "patterns" / f"{name or data['id']}.json"
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            return path

        ticket = approved_repo(root, write)
        for env in ("staging", "production"):
            assert promote(ticket, "--to", env)[0] == 0
    return root, ticket


@pytest.fixture
def repo_copy(live_template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    template, ticket = live_template
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    shutil.rmtree(root / ".git" / "pubflow", ignore_errors=True)
    return root, ticket


def audit_lines(root: Path) -> list[str]:
    return (root / AUDIT).read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_repository_without_pubflow_state(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    assert check_state(tmp_path) == StateReport(0, 0, 0, ())


def test_a_repository_after_real_promotions_is_sound(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    entries = len(audit_lines(root))
    # submitted, validated, routed, approved; a promotion to each environment (ticket event
    # and promotion)
    assert entries >= 6
    assert check_state(root) == StateReport(tickets=1, environments=2, audit_entries=entries,
                                            problems=())


def test_an_environment_file_that_breaks_the_schema(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    path = root / ENVIRONMENTS / "staging.yaml"
    doc = json.loads("".join(line for line in path.read_text().splitlines(keepends=True)
                             if not line.startswith("#")))
    del doc["patterns"]["incident-escalation"]["digest"]
    path.write_text(json.dumps(doc))
    report = check_state(root)
    assert report.environments == 2
    [problem] = report.problems
    assert problem.startswith(".pubflow/environments/staging.yaml: does not follow the "
                              "environment schema:\n")
    assert "digest" in problem


def test_an_environment_file_under_another_name(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    shutil.copy(root / ENVIRONMENTS / "staging.yaml", root / ENVIRONMENTS / "qa.yaml")
    report = check_state(root)
    assert report.environments == 3
    assert report.problems == (".pubflow/environments/qa.yaml: name is 'staging', expected "
                               "'qa'",)


def test_an_environment_file_that_is_not_a_mapping(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    (root / ENVIRONMENTS / "production.yaml").write_text("- just\n- a list\n")
    assert check_state(root).problems == (
        ".pubflow/environments/production.yaml:1:1: an environment file must be a mapping",)


def test_an_edited_audit_entry(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    lines = audit_lines(root)
    assert '"actor":"editor"' in lines[2]
    lines[2] = lines[2].replace('"actor":"editor"', '"actor":"mallory"')
    (root / AUDIT).write_text("".join(lines))
    assert check_state(root).problems == (
        ".pubflow/audit.jsonl:3: entry 3 was edited after the fact: its content does not match "
        "its hash",)


def test_a_deleted_audit_entry(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    lines = audit_lines(root)
    (root / AUDIT).write_text("".join(lines[:1] + lines[2:]))
    report = check_state(root)
    assert report.problems == (".pubflow/audit.jsonl:2: entry 2 is missing before entry 3: "
                               "deleted from the log",)
    assert report.audit_entries == len(lines)  # the head is still the last entry


def test_a_damaged_audit_line(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    lines = audit_lines(root)
    lines[1] = "not json\n"
    (root / AUDIT).write_text("".join(lines))
    assert check_state(root).problems == (
        ".pubflow/audit.jsonl:2: not a JSON object (the line was damaged or inserted by hand)",
        ".pubflow/audit.jsonl:3: entry 2 is missing before entry 3: deleted from the log")


def test_an_edited_ticket_event(repo_copy: tuple[Path, str]) -> None:
    root, ticket = repo_copy
    path = root / ".pubflow" / "tickets" / f"{ticket}.yaml"
    text = path.read_text()
    assert "reason: assigned to rlee\n" in text
    path.write_text(text.replace("reason: assigned to rlee\n", "reason: assigned to mallory\n"))
    report = check_state(root)
    assert report.tickets == 1
    [problem] = report.problems
    assert problem.startswith(f".pubflow/tickets/{ticket}.yaml: {ticket}: event 3 (routed at ")
    assert problem.endswith("): its content does not match its hash (edited after the fact)")


def test_every_kind_of_damage_at_once(repo_copy: tuple[Path, str]) -> None:
    root, _ticket = repo_copy
    shutil.copy(root / ENVIRONMENTS / "staging.yaml", root / ENVIRONMENTS / "qa.yaml")
    lines = audit_lines(root)
    (root / AUDIT).write_text("".join(lines[:1] + lines[2:]))
    problems = check_state(root).problems
    assert [p.split(":")[0] for p in problems] == [".pubflow/environments/qa.yaml",
                                                   ".pubflow/audit.jsonl"]
