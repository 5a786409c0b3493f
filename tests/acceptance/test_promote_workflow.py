"""The promotion workflow `pubflow init` writes (`.github/workflows/pubflow-promote.yml`, issue
18 item 7): its shape as GitHub reads it, the environments of the repository's own
`pubflow.yaml` as the choice, user edits kept, and its `run:` steps executed on a real
repository pushing to a real (bare) `origin`, with GitHub's environment simulated: the commit
and the tag land together, a branch that moved meanwhile or a refused push fails the job
clearly and forces nothing, and inputs never reach the shell as code.

actionlint and ShellCheck run over it in `test_github_files.py`, with the other workflows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pubflow.config import load_config
from pubflow.scaffold import template
from tests.acceptance.release_support import approved
from tests.acceptance.tickets_support import REVIEWERS, setup_repo
from tests.conftest import git, run_cli
from tests.external_tools import actionlint

WORKFLOW = ".github/workflows/pubflow-promote.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
yaml = YAML(typ="safe")


def _init(target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("init", str(target), *args)


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"))
    return document


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"]["promote"]["steps"]
    return steps


def _uses(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in _steps(workflow) if str(s.get("uses", "")).startswith(f"{action}@"))


def test_init_writes_a_promotion_workflow_github_can_run(tmp_path: Path) -> None:
    target = tmp_path / "patterns-repo"
    done = _init(target)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"created      {WORKFLOW}" in done.stdout
    workflow = _load(target / WORKFLOW)
    triggers = workflow["on"]  # a YAML 1.2 reader, as GitHub's: `on` is a string
    assert list(triggers) == ["workflow_dispatch"]
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert inputs["ticket"] == {**inputs["ticket"], "type": "string", "required": True}
    choice = inputs["environment"]
    assert choice["type"] == "choice" and choice["required"] is True
    assert choice["options"] == ["staging", "production"] == list(
        load_config(target).environments)
    assert choice["default"] == "staging"  # the first environment, never the last by accident
    assert workflow["permissions"] == {}
    assert workflow["concurrency"] == {"group": "pubflow-promote-${{ inputs.environment }}",
                                       "cancel-in-progress": False}
    job = workflow["jobs"]["promote"]
    assert job["environment"] == "${{ inputs.environment }}"  # GitHub's required reviewers
    assert job["timeout-minutes"] == 15
    assert job["permissions"] == {"contents": "write"}
    checkout = _uses(workflow, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # history and tags
    assert checkout["with"]["persist-credentials"] is False  # the token only in the push step
    _uses(workflow, "actions/setup-python")
    promote = next(s for s in _steps(workflow) if s.get("id") == "promote")
    assert 'promote --to "$ENVIRONMENT"' in promote["run"] and '-- "$TICKET"' in promote["run"]
    assert promote["env"]["TICKET"] == "${{ inputs.ticket }}"
    push = next(s for s in _steps(workflow) if "git push" in s.get("run", ""))
    assert "--atomic --follow-tags" in push["run"] and "--force" not in push["run"]
    upload = _uses(workflow, "actions/upload-artifact")
    assert upload["with"]["path"] == "${{ steps.promote.outputs.package }}"
    assert upload["with"]["include-hidden-files"] is True  # .pubflow/ is a hidden folder
    assert upload["with"]["if-no-files-found"] == "error"
    verify = next(s for s in _steps(workflow) if "pubflow verify" in s.get("run", ""))
    assert verify["run"] == 'pubflow verify --since "$START"'
    names = [s.get("id") or s.get("name") or s["uses"] for s in _steps(workflow)]
    assert (names.index("promote") < names.index(verify["name"]) < names.index(push["name"])
            < names.index(upload["name"]))
    # No expression inside a script: inputs reach the shell as variables only.
    for step in _steps(workflow):
        assert "${{" not in step.get("run", ""), step
    # The validation workflow's action and this install come from the same release.
    validate = (target / ".github/workflows/pubflow.yml").read_text(encoding="utf-8")
    [release] = re.findall(r"uses: pubflow/pubflow@(v[\w.]+)", validate)
    install = next(s for s in _steps(workflow) if "pip install" in s.get("run", ""))
    assert install["env"]["PUBFLOW_SOURCE"].endswith(f"pubflow/pubflow@{release}")


def test_the_choice_is_the_environments_of_the_pubflow_yaml_init_keeps(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "pubflow.yaml").write_text(
        "environments:\n  - dev\n  - {name: qa-2, approvals: 2}\n  - name: production\n"
        "    require_canary: true\n", encoding="utf-8")
    done = _init(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept         pubflow.yaml" in done.stdout
    choice = _load(tmp_path / WORKFLOW)["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert choice["options"] == ["dev", "qa-2", "production"]
    assert choice["default"] == "dev"
    assert actionlint(tmp_path / WORKFLOW) == []
    # --force writes the template's pubflow.yaml, and the workflow follows it
    done = _init(tmp_path, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    choice = _load(tmp_path / WORKFLOW)["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert choice["options"] == list(load_config(tmp_path).environments) == [
        "staging", "production"]


def test_an_edited_workflow_is_kept_and_a_broken_config_stops_init(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    assert _init(target).returncode == 0
    edited = (target / WORKFLOW).read_text(encoding="utf-8").replace(
        "runs-on: ubuntu-latest", "runs-on: [self-hosted, linux]")
    (target / WORKFLOW).write_text(edited, encoding="utf-8")
    done = _init(target)
    assert done.returncode == 0, done.stderr
    assert f"kept         {WORKFLOW} (exists; --force replaces it)" in done.stdout
    assert (target / WORKFLOW).read_text(encoding="utf-8") == edited
    # a pubflow.yaml init cannot read: the choice would be a guess, so nothing is written
    other = tmp_path / "other"
    other.mkdir()
    (other / "pubflow.yaml").write_text("environments: [staging, staging]\n", encoding="utf-8")
    done = _init(other)
    assert done.returncode == 2
    assert "pubflow.yaml:1:15" in done.stderr and "pubflow init --force" in done.stderr
    assert sorted(p.name for p in other.iterdir()) == ["pubflow.yaml"]


# --- the job's steps, run ------------------------------------------------------------------

ACTOR = "octocat"
BRANCH_EXPRESSION = ("github.ref_type == 'branch' && github.ref_name || "
                     "github.event.repository.default_branch")


@dataclass
class JobRun:
    failed: bool
    log: str
    outputs: dict[str, dict[str, str]]
    ran: list[str] = field(default_factory=list)
    """Names of the steps that ran (`uses:` steps that would have run, too)."""

    def step(self, name: str) -> dict[str, str]:
        return self.outputs.get(name, {})


class Runner:
    """Runs the workflow's job in `workspace` (a clone of `origin`) as a GitHub runner would:
    steps in order, each `run:` in `bash -e` (the workflow's `defaults.run.shell: bash`
    adds pipefail), until one fails. Third-party actions (checkout, setup-python,
    upload-artifact) and the install from GitHub are not run: the clone is the checkout,
    and this test runs on the installed pubflow."""

    def __init__(self, workspace: Path, temp: Path, inputs: dict[str, str],
                 actor: str = ACTOR) -> None:
        self.workflow = _load(workspace / WORKFLOW)
        self.workspace = workspace
        self.temp = temp
        self.inputs = inputs
        self.actor = actor

    def expand(self, text: str, outputs: dict[str, dict[str, str]]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("inputs."):
                return self.inputs[expression.removeprefix("inputs.")]
            found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
            if found:
                return outputs.get(found.group(1), {}).get(found.group(2), "")
            known = {"github.token": "ghs_not-a-real-token", BRANCH_EXPRESSION: "main",
                     "env.BRANCH": "main"}
            assert expression in known, f"the runner does not know ${{{{ {expression} }}}}"
            return known[expression]

        return EXPRESSION.sub(value, text)

    def condition(self, text: str, outputs: dict[str, dict[str, str]]) -> bool:
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+) != ''", text.strip())
        assert found, f"the runner does not know the condition {text}"
        return outputs.get(found.group(1), {}).get(found.group(2), "") != ""

    def run(self, before: dict[str, Callable[[], None]] | None = None) -> JobRun:
        job = self.workflow["jobs"]["promote"]
        outputs: dict[str, dict[str, str]] = {}
        summary = self.temp / "summary.md"
        result = JobRun(False, "", outputs)
        base = {name: value for name, value in os.environ.items()
                if not name.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_", "PUBFLOW_"))}
        base.update({
            "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(self.temp),
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTOR": self.actor, "GITHUB_TRIGGERING_ACTOR": self.actor,
            "GITHUB_ACTOR_ID": "583231",
            "GITHUB_SERVER_URL": "https://github.com",
            # `python` and `pubflow`, as setup-python and the install step leave them
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        })
        base.update({k: self.expand(str(v), outputs) for k, v in job["env"].items()})
        for index, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("id") or step["uses"].partition("@")[0]
            if "if" in step and not self.condition(step["if"], outputs):
                continue
            if (before or {}).get(name):
                (before or {})[name]()
            result.ran.append(name)
            if "uses" in step or "pip install" in step["run"]:
                continue
            output = self.temp / f"output-{index}"
            output.write_text("", encoding="utf-8")
            env = {**base, "GITHUB_OUTPUT": str(output)}
            env.update({k: self.expand(str(v), outputs) for k, v in (step.get("env") or {}).items()})
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]],
                                  cwd=self.workspace, env=env, capture_output=True, text=True,
                                  timeout=300)
            result.log += done.stdout + done.stderr
            outputs[step.get("id", name)] = dict(
                line.partition("=")[::2] for line in output.read_text().splitlines())
            if done.returncode:
                result.failed = True
                break
        return result


@pytest.fixture
def origin(repo: Path, write_pattern: Callable[..., Path], tmp_path: Path) -> tuple[Path, str]:
    """A bare `origin` holding a repository whose ticket is approved, and the ticket's id."""
    setup_repo(repo, write_pattern,
               config=REVIEWERS.replace("promoters: [releng, relops, monitor-bot]",
                                        f"promoters: [{ACTOR}]"))
    ticket_id = approved()
    done = _init(repo)  # the workflows, committed like any file
    assert done.returncode == 0, done.stdout + done.stderr
    git(repo, "add", ".github")
    git(repo, "commit", "-q", "-m", "pubflow workflows")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    return bare, ticket_id


def _checkout(bare: Path, where: Path) -> Path:
    git(bare.parent, "clone", "-q", str(bare), str(where))  # all the history and tags
    return where


def _remote(bare: Path) -> dict[str, str]:
    refs = {}
    for line in git(bare, "for-each-ref", "--format=%(refname) %(objectname)").splitlines():
        name, _, sha = line.partition(" ")
        refs[name] = sha
    return refs


pytestmark_linux = pytest.mark.skipif(
    sys.platform != "linux", reason="the workflow's job runs on ubuntu-latest (GNU base64)")


@pytestmark_linux
def test_the_job_promotes_pushes_commit_and_tag_and_names_the_package(
        origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, ticket_id = origin
    work = _checkout(bare, tmp_path / "work")
    run = Runner(work, tmp_path, {"ticket": ticket_id, "environment": "staging"}).run()
    assert not run.failed, run.log
    assert run.ran[-2:] == ["Push the commit and tag", "Upload the package"]
    assert "Verify what the promotion wrote" in run.ran
    package = run.step("promote")["package"]
    assert package == ".pubflow/releases/incident-escalation/1.0.0"
    assert (work / package / "manifest.json").is_file()
    artifact = run.step("promote")["artifact"]
    assert artifact == "pubflow-staging-incident-escalation-1.0.0"
    assert not set(artifact) & set('":<>|*?\\/\r\n')  # a name upload-artifact takes
    refs = _remote(bare)
    head = git(work, "rev-parse", "HEAD").strip()
    assert refs["refs/heads/main"] == head != run.step("promote")["start"]
    tag = "refs/tags/pubflow/staging/incident-escalation/1.0.0"
    assert git(bare, "rev-parse", f"{tag}^{{commit}}").strip() == head
    assert git(work, "log", "-1", "--format=%an <%ae>").strip() == (
        f"{ACTOR} <583231+{ACTOR}@users.noreply.github.com>")
    assert "incident-escalation 1.0.0 is live in staging" in (
        tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "ghs_not-a-real-token" not in run.log
    # Run again: already live there, nothing to push or upload, and the job passes.
    again = Runner(_checkout(bare, tmp_path / "again"), tmp_path,
                   {"ticket": ticket_id, "environment": "staging"}).run()
    assert not again.failed, again.log
    assert again.step("promote")["package"] == "" and "Upload the package" not in again.ran
    assert _remote(bare) == refs


@pytestmark_linux
def test_a_branch_that_moved_fails_the_job_and_nothing_is_forced(
        origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, ticket_id = origin
    work = _checkout(bare, tmp_path / "work")
    other = _checkout(bare, tmp_path / "other")

    def someone_pushes() -> None:
        (other / "NOTES.md").write_text("meanwhile\n", encoding="utf-8")
        git(other, "add", "NOTES.md")
        git(other, "commit", "-q", "-m", "meanwhile")
        git(other, "push", "-q", "origin", "main")

    run = Runner(work, tmp_path, {"ticket": ticket_id, "environment": "staging"}).run(
        before={"Push the commit and tag": someone_pushes})
    assert run.failed
    assert "::error title=Promotion not pushed::main moved while this promotion ran" in run.log
    assert "Run the workflow again" in run.log
    refs = _remote(bare)
    assert refs["refs/heads/main"] == git(other, "rev-parse", "HEAD").strip()  # not forced
    assert not any(ref.startswith("refs/tags/pubflow/") for ref in refs)  # atomic: no tag
    assert "Upload the package" not in run.ran
    # Run again from the new main: it lands on top of the other commit.
    again = Runner(_checkout(bare, tmp_path / "again"), tmp_path,
                   {"ticket": ticket_id, "environment": "staging"}).run()
    assert not again.failed, again.log
    assert "refs/tags/pubflow/staging/incident-escalation/1.0.0" in _remote(bare)


@pytestmark_linux
def test_a_refused_push_says_so(origin: tuple[Path, str], tmp_path: Path) -> None:
    bare, ticket_id = origin
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: changes must be made through a pull "
                    "request' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = _remote(bare)
    run = Runner(_checkout(bare, tmp_path / "work"), tmp_path,
                 {"ticket": ticket_id, "environment": "staging"}).run()
    assert run.failed
    assert "protected branch" in run.log  # git's own words first
    assert "::error title=Promotion not pushed::git refused the push to main" in run.log
    assert _remote(bare) == before


@pytestmark_linux
@pytest.mark.parametrize("ticket", ['"; touch pwned; echo "', "$(touch pwned)",
                                    "--health-cmd=touch pwned", "--dry-run"])
def test_inputs_are_data_never_code_or_options(origin: tuple[Path, str], tmp_path: Path,
                                                ticket: str) -> None:
    bare, _ = origin
    work = _checkout(bare, tmp_path / "work")
    before = _remote(bare)
    run = Runner(work, tmp_path, {"ticket": ticket, "environment": "staging"}).run()
    assert run.failed and run.ran[-1] == "Promote"
    assert f"'{ticket}' is not a ticket id" in run.log  # one argument, after `--`
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert _remote(bare) == before


@pytestmark_linux
def test_someone_who_is_not_a_promoter_is_refused(origin: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    bare, ticket_id = origin
    before = _remote(bare)
    run = Runner(_checkout(bare, tmp_path / "work"), tmp_path,
                 {"ticket": ticket_id, "environment": "staging"}, actor="mallory").run()
    assert run.failed and run.ran[-1] == "Promote"
    assert _remote(bare) == before
    assert "gate 'promoter' refused promotion to staging" in run.log
    assert "'mallory' is not configured in pubflow.yaml" in run.log


def test_the_template_renders_any_configured_environment_as_a_string() -> None:
    text = template("promote-workflow.yml", ("1e3", "dev", "on", "qa-2"))
    # quoted where a YAML reader (1.1 or 1.2) would read a number or a boolean
    assert '- "1e3"' in text and '- "on"' in text and "- dev\n" in text
    assert 'default: "1e3"' in text
    choice = yaml.load(text)["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert choice["options"] == ["1e3", "dev", "on", "qa-2"]
