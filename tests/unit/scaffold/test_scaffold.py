"""`pubflow init`'s core: the files of a new pattern repository, the merge driver in the real
git config, and folders that already hold something."""

from __future__ import annotations

import json
from pathlib import Path

from pubflow import __version__
from pubflow.config import load_config
from pubflow.records.merge import ATTRIBUTES_LINE, DRIVER_NAME, driver_command, register_driver
from pubflow.scaffold import FILES, InitResult, init_repository, template
from tests.conftest import git

TICKET = ".pubflow/tickets/PUB-2026-001.yaml"


def contents(target: Path) -> dict[str, bytes]:
    return {rel: (target / rel).read_bytes() for rel in FILES}


def test_a_new_folder_gets_every_file_a_repository_and_the_merge_driver(
        tmp_path: Path) -> None:
    target = tmp_path / "deep" / "my-patterns"
    result = init_repository(target, force=False)
    assert result == InitResult(created=list(FILES), git_initialized=True, merge_driver=True)
    for rel, name in FILES.items():
        text = (target / rel).read_text(encoding="utf-8")
        assert text == template(name)
        assert "@VERSION@" not in text, rel
    assert git(target, "rev-parse", "--is-inside-work-tree").strip() == "true"
    assert git(target, "config", f"merge.{DRIVER_NAME}.driver").strip() == driver_command()
    assert git(target, "check-attr", "merge", TICKET).strip() == f"{TICKET}: merge: {DRIVER_NAME}"
    assert ATTRIBUTES_LINE in (target / ".gitattributes").read_text().splitlines()


def test_the_templates_name_this_version_and_hold_together(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    init_repository(target, force=False)
    assert f"rev: v{__version__}" in (target / ".pre-commit-config.yaml").read_text()
    assert f"@v{__version__}" in (target / ".github/workflows/pubflow.yml").read_text()
    config = load_config(target)  # a valid pubflow.yaml
    example = config.patterns_path / "incident-escalation.json"
    assert example == target / "patterns" / "incident-escalation.json"
    assert json.loads(example.read_text())["id"] == "incident-escalation"


def test_the_example_pattern_passes_validation(tmp_path: Path) -> None:
    from pubflow.validation.run import ValidateRequest, validate

    target = tmp_path / "repo"
    init_repository(target, force=False)
    config = load_config(target)
    report = validate(ValidateRequest(config=config, paths=(config.patterns_path,),
                                      use_cache=False))
    [result] = report.files
    assert result.ready_for_review, [f.message for f in result.findings]
    assert result.errors == 0


def test_running_it_twice_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    init_repository(target, force=False)
    before = contents(target)
    again = init_repository(target, force=False)
    assert again == InitResult(kept=list(FILES))
    assert contents(target) == before


def test_an_existing_folder_keeps_its_files(tmp_path: Path) -> None:
    target = tmp_path / "ours"
    (target / "patterns").mkdir(parents=True)
    (target / "README.md").write_text("# Our patterns\n")
    (target / "patterns" / "mine.json").write_text("{}\n")
    result = init_repository(target, force=False)
    assert result.kept == ["README.md"]
    assert result.created == [rel for rel in FILES if rel != "README.md"]
    assert result.git_initialized and result.merge_driver
    assert (target / "README.md").read_text() == "# Our patterns\n"
    assert (target / "patterns" / "mine.json").read_text() == "{}\n"


def test_force_overwrites_only_what_differs(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    init_repository(target, force=False)
    (target / "pubflow.yaml").write_text("patterns_dir: patterns\n# mine\n")
    (target / "README.md").write_text("# Ours\n")
    result = init_repository(target, force=True)
    assert result.overwritten == ["pubflow.yaml", "README.md"]
    assert result.kept == [rel for rel in FILES if rel not in ("pubflow.yaml", "README.md")]
    assert result.created == [] and not result.git_initialized and not result.merge_driver
    assert (target / "pubflow.yaml").read_text() == template("pubflow.yaml")
    assert (target / "README.md").read_text() == template("README.md")


def test_an_existing_repository_is_used_as_it_is(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "notes.txt").write_text("x\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "start")
    result = init_repository(tmp_path, force=False)
    assert not result.git_initialized
    assert result.merge_driver
    assert git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"  # init commits nothing
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.driver").strip() == driver_command()


def test_a_subfolder_of_a_repository_is_not_made_a_repository_of_its_own(
        tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    target = tmp_path / "catalog"
    result = init_repository(target, force=False)
    assert not result.git_initialized
    assert not (target / ".git").exists()
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.driver").strip() == driver_command()


def test_a_driver_set_to_something_else_is_set_again(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    register_driver(tmp_path, "old-pubflow ticket merge-driver %O %A %B %P")
    result = init_repository(tmp_path, force=False)
    assert result.merge_driver
    assert git(tmp_path, "config", f"merge.{DRIVER_NAME}.driver").strip() == driver_command()
    assert not init_repository(tmp_path, force=False).merge_driver


def test_the_promotion_workflow_offers_the_environments_of_the_config_it_leaves(
        tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    def choice(target: Path) -> list[str]:
        workflow = YAML(typ="safe").load(
            (target / ".github/workflows/pubflow-promote.yml").read_text(encoding="utf-8"))
        options: list[str] = workflow["on"]["workflow_dispatch"]["inputs"]["environment"][
            "options"]
        return options

    fresh = tmp_path / "fresh"
    init_repository(fresh, force=False)
    assert choice(fresh) == list(load_config(fresh).environments) == ["staging", "production"]
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "pubflow.yaml").write_text("environments: [dev, {name: live, approvals: 2}]\n")
    init_repository(ours, force=False)
    assert choice(ours) == ["dev", "live"]
    assert (ours / ".github/workflows/pubflow-promote.yml").read_text() == template(
        "promote-workflow.yml", ("dev", "live"))
    init_repository(ours, force=True)  # the template's pubflow.yaml, and its environments
    assert choice(ours) == list(load_config(ours).environments) == ["staging", "production"]
