"""The composite action in `action.yml`: valid against the public schema for GitHub actions,
and executed step by step by a small harness with GitHub's environment simulated
(`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`, `RUNNER_TEMP`, inputs and
`${{ }}` expressions). `uses:` steps (actions/setup-python, actions/cache) are GitHub's own
and are skipped: the harness already runs on a Python. The install step runs for real, once per session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.acceptance.tickets_support import create, setup_repo
from tests.conftest import PROJECT, git, valid_pattern

ACTION = YAML(typ="safe").load((PROJECT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def test_action_follows_the_public_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-actions",
                           str(PROJECT / "action.yml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ACTION["runs"]["using"] == "composite"


def _expand(text: str, inputs: dict[str, str], step_outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression == "github.action_path":
            return str(PROJECT)
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if found:
            return step_outputs.get(found.group(1), {}).get(found.group(2), "")
        raise AssertionError(f"the harness does not know ${{{{ {expression} }}}}")

    return EXPRESSION.sub(value, text)


def _read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        if "<<" not in lines[index]:  # the one-line form, name=value
            name, _, value = lines[index].partition("=")
            outputs[name] = value
            index += 1
            continue
        name, _, delimiter = lines[index].partition("<<")
        end = lines.index(delimiter, index + 1)
        outputs[name] = "\n".join(lines[index + 1:end])
        index = end + 1
    return outputs


class Harness:
    """Runs the action's `run:` steps in order, as a GitHub runner would."""

    def __init__(self, runner_temp: Path) -> None:
        self.runner_temp = runner_temp
        self.path_file = runner_temp / "github_path"
        self.installed = False
        self.step_outputs: dict[str, dict[str, str]] = {}

    def run(self, workspace: Path, overrides: dict[str, str] | None = None) -> StepRun:
        inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        inputs.update(overrides or {})
        summary = self.runner_temp / f"summary-{workspace.name}.md"
        summary.unlink(missing_ok=True)
        step_outputs: dict[str, dict[str, str]] = {}
        last = StepRun(0, "", "", {}, "")
        self.step_outputs = step_outputs
        failed = 0
        stdout = stderr = ""
        for step in ACTION["runs"]["steps"]:
            if "uses" in step:
                continue  # GitHub's own actions (setup-python): the harness runs on a Python
            if failed and "always()" not in str(step.get("if", "")):
                break  # GitHub skips the steps after a failure unless they run always()
            if "pip install" in step["run"] and self.installed:
                continue  # installed once per session; the step ran for real the first time
            output_file = self.runner_temp / f"output-{step.get('id', 'step')}"
            output_file.unlink(missing_ok=True)
            extra_path = self.path_file.read_text().split() if self.path_file.exists() else []
            env = {**os.environ, "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(self.runner_temp),
                   "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary),
                   "GITHUB_PATH": str(self.path_file), "GITHUB_WORKSPACE": str(workspace),
                   "PATH": os.pathsep.join([*extra_path, os.environ["PATH"]])}
            env.pop("VIRTUAL_ENV", None)
            env.update({k: _expand(str(v), inputs, step_outputs)
                        for k, v in (step.get("env") or {}).items()})
            cwd = workspace / _expand(step.get("working-directory", "."), inputs, step_outputs)
            done = subprocess.run(["bash", "-e", "-c", _expand(step["run"], inputs, step_outputs)],
                                  cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
            if "pip install" in step["run"]:
                assert done.returncode == 0, done.stdout + done.stderr
                self.installed = True
            step_outputs[step.get("id", "")] = _read_outputs(output_file)
            failed = failed or done.returncode
            stdout, stderr = stdout + done.stdout, stderr + done.stderr
            last = StepRun(failed, stdout, stderr,
                           {name: _expand(spec["value"], inputs, step_outputs)
                            for name, spec in ACTION["outputs"].items()},
                           summary.read_text(encoding="utf-8") if summary.exists() else "")
        return last


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    return Harness(tmp_path_factory.mktemp("runner-temp"))


def _bad(index: int) -> dict[str, Any]:
    data = valid_pattern(id=f"weak-pattern-{index:02d}")
    data["scorecard"]["handoffs"] = 2
    return data


def _write(repo: Path, data: dict[str, Any]) -> None:
    (repo / "patterns" / f"{data['id']}.json").write_text(json.dumps(data, indent=2) + "\n")


def test_annotations_summary_and_sarif(repo: Path, harness: Harness) -> None:
    _write(repo, valid_pattern())
    for index in range(12):
        _write(repo, _bad(index))
    warning = valid_pattern(id="unknown-related", relatedPatterns=["nowhere-pattern"])
    _write(repo, warning)
    run = harness.run(repo)
    assert run.returncode == 1, run.stdout + run.stderr
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 10
    assert errors[0].startswith("::error file=patterns/unknown-related.json,line=")
    notice = [line for line in run.stdout.splitlines() if line.startswith("::notice title=pubflow::")]
    assert len(notice) == 1 and "10 of 13 finding(s) annotated" in notice[0]
    assert "13 error(s)" in run.summary and "weak-pattern-11" in run.summary
    assert len(run.summary.encode()) < 1024 * 1024
    assert run.outputs["errors"] == "13" and run.outputs["passed"] == "false"
    sarif = json.loads(Path(run.outputs["sarif-file"]).read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == 13
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)


def test_changed_only_against_a_base_ref(repo: Path, harness: Harness) -> None:
    _write(repo, valid_pattern())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    _write(repo, _bad(1))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a weak pattern")
    run = harness.run(repo, {"changed-only": "true", "base-ref": base,
                             "fail-on-findings": "false", "format": "github"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs["errors"] == "1"
    assert "1 file(s)" in run.stderr
    assert "incident-escalation" not in run.summary
    assert "::error file=patterns/weak-pattern-01.json" in run.stdout
    # the changed pattern's diagrams, as mermaid fences GitHub draws in the summary
    assert "### Diagrams" in run.summary
    assert "(patterns/weak-pattern-01.json)</summary>" in run.summary
    assert run.summary.count("```mermaid\nsequenceDiagram") == 2


def test_clean_repository_passes(repo: Path, harness: Harness) -> None:
    _write(repo, valid_pattern())
    run = harness.run(repo)
    assert run.returncode == 0, run.stdout + run.stderr
    # The cache step's key: pip's cache folder and a hash of pubflow's dependencies.
    cache = harness.step_outputs["pip-cache"]
    assert cache["dir"] and re.fullmatch(r"key=[0-9a-f]{20}", f"key={cache['key']}")
    assert run.outputs["passed"] == "true"
    assert "::error" not in run.stdout


def test_hand_edited_ticket_fails_the_verify_step(repo: Path, write_pattern: Callable[..., Path],
                                                 harness: Harness) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    ticket = repo / ".pubflow" / "tickets" / f"{ticket_id}.yaml"
    ticket.write_text(ticket.read_text().replace("pattern submitted", "approved by rlee"))
    git(repo, "commit", "-q", "--no-verify", "-am", "approve it myself")
    run = harness.run(repo)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.outputs["passed"] == "true"  # the patterns themselves pass
    assert f".pubflow/tickets/{ticket_id}.yaml" in run.stdout
    assert "problem(s)" in run.stderr
    assert harness.run(repo, {"verify": "false"}).returncode == 0


def _install_step() -> str:
    return next(step["run"] for step in ACTION["runs"]["steps"]
                if "pip install" in step.get("run", ""))


def test_the_install_step_finds_a_windows_venv(tmp_path: Path) -> None:
    """What only a Windows runner could prove, simulated: `python -m venv` there makes
    Scripts/python.exe, not bin/python, and Git Bash's `cygpath -w` gives GITHUB_PATH the
    runner's own form of the folder. Stand-ins for python and cygpath record what they get."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    calls = tmp_path / "calls"
    (stubs / "python").write_text(
        '#!/bin/bash\n'
        '[ "$1 $2" = "-m venv" ] || exit 9\n'
        'mkdir -p "$3/Scripts"\n'
        'printf \'#!/bin/bash\\necho "venv python $*" >> "%s"\\n\' "$CALLS" > "$3/Scripts/python"\n'
        'chmod +x "$3/Scripts/python"\n')
    (stubs / "cygpath").write_text('#!/bin/bash\n[ "$1" = -w ] || exit 9\n'
                                   'echo "C:${2//\\//\\\\}"\n')
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    runner_temp = tmp_path / "runner temp"
    runner_temp.mkdir()
    github_path = tmp_path / "github_path"
    env = {"PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(runner_temp),
           "GITHUB_PATH": str(github_path), "CALLS": str(calls),
           "PUBFLOW_ACTION_PATH": str(PROJECT), "HOME": str(tmp_path)}
    done = subprocess.run(["bash", "-e", "-c", _install_step()], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls.read_text().split("\n")[0].startswith("venv python -m pip install")
    scripts = f"{runner_temp}/pubflow-venv/Scripts"
    assert github_path.read_text() == "C:" + scripts.replace("/", "\\") + "\n"


def test_the_install_step_uses_bin_on_posix(tmp_path: Path) -> None:
    """Linux and macOS: bin/, and no cygpath, so GITHUB_PATH gets the folder as it is."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "python").write_text(
        '#!/bin/bash\nmkdir -p "$3/bin"\nprintf \'#!/bin/bash\\nexit 0\\n\' > "$3/bin/python"\n'
        'chmod +x "$3/bin/python"\n')
    (stubs / "python").chmod(0o755)
    github_path = tmp_path / "github_path"
    env = {"PATH": f"{stubs}{os.pathsep}/usr/bin{os.pathsep}/bin", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_PATH": str(github_path), "PUBFLOW_ACTION_PATH": str(PROJECT)}
    done = subprocess.run(["bash", "-e", "-c", _install_step()], env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert github_path.read_text() == f"{tmp_path}/pubflow-venv/bin\n"


def test_a_trimmed_sarif_names_the_runs_job_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from pubflow.cli.action import _job_log

    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    assert _job_log() == ""
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/patterns")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    assert _job_log() == "the job log of https://github.com/acme/patterns/actions/runs/42"
