"""What pubflow hands to GitHub Actions: `action.yml`, the workflows `pubflow init` writes (and
the README shows: validation, and promotion), and the project's own `.github/workflows/ci.yml`.

Always: third-party actions pinned by full commit SHA with the version in a comment (the same
pin everywhere), `timeout-minutes` on every job, the whole history fetched where `--changed
--base` runs, upload-sarif v4, the CI matrix. Where installed (`.ci/github-tools.sh`):
actionlint over the workflows and ShellCheck over every `run:` script.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pubflow.scaffold import template
from tests.conftest import PROJECT
from tests.external_tools import actionlint

yaml = YAML(typ="safe")
ACTION = PROJECT / "action.yml"
CI = PROJECT / ".github" / "workflows" / "ci.yml"

PINS = {
    "actions/checkout": ("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-python": ("e797f83bcb11b83ae66e0230d6156d7c80228e7c", "v6.0.0"),
    "actions/cache": ("0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0"),
    "actions/upload-artifact": ("b7c566a772e6b6bfb58ed0dc250532a479d7789f", "v6.0.0"),
    "github/codeql-action": ("5d4e8d1aca955e8d8589aabd499c5cae939e33c7", "v4.31.9"),
}
"""The one commit each third-party action is pinned to, and the release tag it carries."""
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")


def _texts() -> dict[str, str]:
    return {"action.yml": ACTION.read_text(encoding="utf-8"),
            "ci.yml": CI.read_text(encoding="utf-8"),
            "init's pubflow.yml": template("workflow.yml"),
            "init's pubflow-promote.yml": template("promote-workflow.yml")}


def test_every_third_party_action_is_pinned_by_commit_with_its_version() -> None:
    seen = set()
    for name, text in _texts().items():
        for line in text.splitlines():
            found = USES.match(line)
            if not found:
                continue
            ref = found["ref"]
            action, _, version = ref.partition("@")
            if action.startswith("./") or action == "pubflow/pubflow":
                continue  # this project itself: pinned by its own release tag
            repository = "/".join(action.split("/")[:2])
            assert repository in PINS, f"{name}: {ref} is not a known pin"
            sha, tag = PINS[repository]
            assert version == sha, f"{name}: {ref} is not pinned to {sha}"
            assert found["comment"] == tag, f"{name}: {ref} says '{found['comment']}', not {tag}"
            seen.add(action)
    assert seen == {"actions/checkout", "actions/setup-python", "actions/cache",
                    "github/codeql-action/upload-sarif", "actions/upload-artifact"}


def _jobs(text: str) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.load(text)["jobs"]
    return jobs


def test_every_job_has_a_time_limit() -> None:
    for name, text in _texts().items():
        if name == "action.yml":
            continue
        for job_id, job in _jobs(text).items():
            assert isinstance(job.get("timeout-minutes"), int), f"{name}: {job_id}"


def test_the_init_workflow_fetches_history_and_uploads_with_v4() -> None:
    text = template("workflow.yml")
    steps = _jobs(text)["validate"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed --base and verify --since
    upload = next(s for s in steps if "upload-sarif@" in s.get("uses", ""))
    assert upload["if"].startswith("always()")
    assert "# v4." in text and "@v3" not in text


def test_the_action_runs_on_every_runner_os() -> None:
    action = yaml.load(ACTION.read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    assert all(step["shell"] == "bash" for step in steps if "run" in step)
    install = next(step["run"] for step in steps if "pip install" in step.get("run", ""))
    assert '"$venv/Scripts"' in install and '"$venv/bin"' in install  # Windows and POSIX venvs
    assert "cygpath -w" in install  # GITHUB_PATH in Windows' own form
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert "runner.os" in cache["with"]["key"]
    assert action["inputs"]["cache"]["default"] == "true"


def test_ci_runs_the_suite_on_three_systems_and_three_pythons() -> None:
    tests = _jobs(CI.read_text(encoding="utf-8"))["tests"]
    matrix = tests["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert matrix["python"] == ["3.11", "3.12", "3.13"]
    assert tests["strategy"]["fail-fast"] is False
    setup = next(s for s in tests["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    assert any("pytest" in step.get("run", "") for step in tests["steps"])


def test_the_workflows_follow_githubs_schema(tmp_path: Path) -> None:
    checker = shutil.which("check-jsonschema")
    venv_checker = PROJECT / ".venv" / "bin" / "check-jsonschema"
    checker = str(venv_checker) if venv_checker.exists() else checker
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    init = tmp_path / "pubflow.yml"
    init.write_text(template("workflow.yml"), encoding="utf-8")
    promote = tmp_path / "pubflow-promote.yml"
    promote.write_text(template("promote-workflow.yml"), encoding="utf-8")
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(CI),
                           str(init), str(promote)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "pubflow.yml").write_text(template("workflow.yml"), encoding="utf-8")
    (workflows / "ci.yml").write_text(CI.read_text(encoding="utf-8"), encoding="utf-8")
    (workflows / "pubflow-promote.yml").write_text(template("promote-workflow.yml"),
                                                   encoding="utf-8")
    assert actionlint(workflows / "pubflow.yml", workflows / "ci.yml",
                      workflows / "pubflow-promote.yml") == []
    # ...and it does read them: a mistake is found.
    broken = workflows / "broken.yml"
    broken.write_text(CI.read_text(encoding="utf-8").replace("matrix.python", "matrix.pyton"),
                      encoding="utf-8")
    assert any("pyton" in line for line in actionlint(broken))
    broken.write_text(template("promote-workflow.yml").replace(
        "group: pubflow-promote-${{ inputs.environment }}",
        "group: pubflow-promote-${{ inputs.enviroment }}"), encoding="utf-8")
    assert any("enviroment" in line for line in actionlint(broken))


def _run_scripts() -> list[tuple[str, str]]:
    scripts = []
    for name, text in (("action.yml", ACTION.read_text(encoding="utf-8")),
                       ("ci.yml", CI.read_text(encoding="utf-8")),
                       ("init's pubflow-promote.yml", template("promote-workflow.yml"))):
        document = yaml.load(text)
        steps = (document["runs"]["steps"] if "runs" in document
                 else [s for job in document["jobs"].values() for s in job["steps"]])
        for index, step in enumerate(steps):
            if "run" in step:
                # As actionlint does: an expression becomes a plain word of the same length.
                script = re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m.group()), step["run"])
                scripts.append((f"{name} step {index + 1}", script))
    return scripts


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck is not installed (apt-get install shellcheck, as "
                           ".ci/github-tools.sh does)")
def test_shellcheck_finds_nothing_in_the_run_scripts() -> None:
    scripts = _run_scripts()
    assert len(scripts) >= 10
    for where, script in scripts:
        done = subprocess.run(["shellcheck", "--shell=bash", "-"], input=script,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{where}:\n{done.stdout}"
