"""`pubflow init` scaffolds a repository whose example passes, and never clobbers files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from pubflow.cli.app import app
from pubflow.scaffold import FILES
from tests.conftest import git

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_scaffolds_a_repository_that_validates(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "my-patterns"
    code, out, err = invoke("init", str(target))
    assert code == 0, out + err
    assert "git repository created" in out
    for rel in FILES:
        assert (target / rel).is_file(), rel
        assert f"created      {rel}" in out
    assert "merge=pubflow-ticket" in (target / ".gitattributes").read_text()
    assert "ticket merge-driver" in git(target, "config", "merge.pubflow-ticket.driver")
    yaml = YAML(typ="safe")
    hooks = yaml.load((target / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert [h["id"] for h in hooks] == ["pubflow-validate", "pubflow-tickets"]
    project_hooks = yaml.load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} <= {h["id"] for h in project_hooks}
    workflow = yaml.load((target / ".github/workflows/pubflow.yml").read_text())
    steps = workflow["jobs"]["validate"]["steps"]
    assert any(str(s.get("uses", "")).startswith("pubflow/pubflow@v") for s in steps)
    # Pinned third-party actions, a time limit and the whole history (issue 16, item 3).
    assert workflow["jobs"]["validate"]["timeout-minutes"] == 15
    third_party = [str(s["uses"]) for s in steps
                   if "uses" in s and not str(s["uses"]).startswith("pubflow/")]
    assert third_party and all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", u) for u in third_party)
    assert steps[0]["with"]["fetch-depth"] == 0
    monkeypatch.chdir(target)
    code, out, err = invoke("validate")
    assert code == 0, out + err
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "pubflow init")


def test_init_twice_changes_nothing_and_force_restores(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    assert invoke("init", str(target))[0] == 0
    (target / "pubflow.yaml").write_text("patterns_dir: patterns\n# mine\n")
    before = {rel: (target / rel).read_bytes() for rel in FILES}
    code, out, _ = invoke("init", str(target))
    assert code == 0
    assert "nothing to do: every file is already there" in out
    assert "kept         pubflow.yaml (exists; --force replaces it)" in out
    assert {rel: (target / rel).read_bytes() for rel in FILES} == before
    code, out, _ = invoke("init", str(target), "--force")
    assert code == 0 and "overwritten  pubflow.yaml" in out
    assert "# mine" not in (target / "pubflow.yaml").read_text()


def test_init_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    code, _out, err = invoke("init", str(tmp_path / "afile"))
    assert code == 2 and "exists and is not a folder" in err


def test_init_in_an_existing_repository_keeps_its_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "README.md").write_text("# Ours\n")
    code, out, _ = invoke("init", str(tmp_path))
    assert code == 0
    assert "git repository created" not in out
    assert (tmp_path / "README.md").read_text() == "# Ours\n"
