"""Every snippet of the README's "Three ways in" is exercised: the YAML blocks are what
`pubflow init` writes, the workflow follows GitHub's schema and uses only inputs and outputs
the action declares, the hooks exist, and shell completion answers. So is the promotion
workflow of "Promoting from GitHub Actions"."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from pubflow.scaffold import template
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")
yaml = YAML(typ="safe")


def snippet(name: str) -> str:
    found = re.search(rf"<!-- snippet: {name} -->\n```\w*\n(.*?)```", README, re.S)
    assert found, f"README has no snippet {name}"
    return found.group(1)


def test_pre_commit_snippet_is_what_init_writes_and_names_real_hooks() -> None:
    text = snippet("pre-commit")
    assert text == template("pre-commit-config.yaml")
    hooks = {h["id"] for h in yaml.load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    used = {h["id"] for repo in yaml.load(text)["repos"] for h in repo["hooks"]}
    assert used == {"pubflow-validate", "pubflow-tickets"} and used <= hooks


def test_workflow_snippet_follows_githubs_schema_and_the_actions_interface(
        tmp_path: Path) -> None:
    text = snippet("workflow")
    assert text == template("workflow.yml")
    workflow = tmp_path / "pubflow.yml"
    workflow.write_text(text)
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    action = yaml.load((PROJECT / "action.yml").read_text())
    steps = yaml.load(text)["jobs"]["validate"]["steps"]
    ours = next(s for s in steps if str(s.get("uses", "")).startswith("pubflow/pubflow@"))
    assert set(ours["with"]) <= set(action["inputs"])
    for output in re.findall(r"steps\.pubflow\.outputs\.([\w-]+)", text):
        assert output in action["outputs"]


def test_promote_workflow_snippet_is_what_init_writes(tmp_path: Path) -> None:
    text = snippet("promote-workflow")
    assert text == template("promote-workflow.yml")
    workflow = tmp_path / "pubflow-promote.yml"
    workflow.write_text(text)
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    inputs = yaml.load(text)["on"]["workflow_dispatch"]["inputs"]
    section = README.partition("### Promoting from GitHub Actions")[2].partition("\n## ")[0]
    assert all(f"`{name}`" in section for name in inputs)


def test_cli_snippet_commands_exist(tmp_path: Path) -> None:
    block = re.search(r"\*\*On the command line\*\*.*?```sh\n(.*?)```", README, re.S)
    assert block
    pubflow = shutil.which("pubflow", path=str(Path(sys.executable).parent))
    assert pubflow is not None
    for line in block.group(1).splitlines():
        if line.startswith("pip "):
            continue  # the package is installed already: this test runs from it
        command = line.replace("pubflow ", f"{pubflow} ")
        done = subprocess.run(["bash", "-e", "-c", command], cwd=tmp_path, capture_output=True,
                              text=True, env={**os.environ, "NO_COLOR": "1"})
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
        if "cd my-patterns" in line:
            tmp_path = tmp_path / "my-patterns"


def test_shell_completion_answers() -> None:
    pubflow = shutil.which("pubflow", path=str(Path(sys.executable).parent))
    assert pubflow is not None
    env = {**os.environ, "_PUBFLOW_COMPLETE": "complete_bash", "COMP_WORDS": "pubflow ticket re",
           "COMP_CWORD": "2"}
    done = subprocess.run([pubflow], env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["review", "resubmit", "resolve-ids"]
    # As the README says: typed in a shell, which typer finds among the process's ancestors
    # (started from a process with no shell above it, it knows no shell to print for).
    script = subprocess.run(["bash", "-c", f"'{pubflow}' --show-completion; true"],
                            capture_output=True, text=True)
    assert "_pubflow_completion" in script.stdout, script.stderr
