"""All-or-nothing operations: `apply` writes, checks, commits and tags; a failed check puts every
file back; a process killed (SIGKILL, for real) at each crash point leaves a journal that
`recover` finishes or undoes, so nothing half-written remains."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import GateRefused
from pubflow.records.audit import AUDIT_FILE, AuditLog
from pubflow.records.store import HOUSEKEEPING
from pubflow.records.transaction import (
    CRASH_POINTS,
    Change,
    apply,
    apply_steps,
    journal_path,
    recover,
)
from tests.conftest import git

AT = "2030-01-02T03:04:05Z"
TRACKED = ".pubflow/environments/staging.yaml"
NEW = ".pubflow/releases/some-pattern/1.0.0/page.md"
TAG = "pubflow/staging/some-pattern/1.0.0"
FILES = {TRACKED: b'{"state": "new"}\n', NEW: b"# the page\n"}
AUDIT = [{"at": AT, "actor": "releng", "kind": "promote", "pattern": "some-pattern"}]
MESSAGE = "promote some-pattern 1.0.0 to staging\n\nThe body of the message."

ONE_STEP_POINTS = tuple(p for p in CRASH_POINTS if p != "step")
"""A one-commit operation has no later step to crash in."""

CHILD = """
import json, sys
from pathlib import Path
from pubflow.records.transaction import Change, apply
spec = json.loads(sys.argv[1])
change = Change(spec["kind"], {k: v.encode() for k, v in spec["files"].items()},
                spec["message"], spec["audit"], [tuple(t) for t in spec["tags"]])
print(apply(Path(sys.argv[2]), change))
"""


def change(**overrides: Any) -> Change:
    values: dict[str, Any] = {"kind": "promotion", "files": dict(FILES), "message": MESSAGE,
                              "audit": [dict(r) for r in AUDIT], "tags": [(TAG, "released")]}
    values.update(overrides)
    return Change(**values)


def git_env(home: Path) -> dict[str, str]:
    names = {f"GIT_{who}_{part}": value for who in ("AUTHOR", "COMMITTER")
             for part, value in (("NAME", "Test Author"), ("EMAIL", "author@example.org"))}
    return {**names, "GIT_CONFIG_GLOBAL": str(home / "gitconfig-global"),
            "XDG_CACHE_HOME": str(home / "xdg-cache")}


def build_template(home: Path) -> Path:
    """A repository with a tracked environment file and an audit log of one entry."""
    root = home / "template"
    (root / ".pubflow" / "environments").mkdir(parents=True)
    (root / TRACKED).write_bytes(b'{"state": "old"}\n')
    for name, text in HOUSEKEEPING.items():
        (root / ".pubflow" / name).write_text(text)
    env = {**os.environ, **git_env(home)}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, env=env)
    AuditLog(root).append({"at": AT, "actor": "jdoe", "kind": "ticket", "event": "created"})
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "start"], cwd=root, check=True, env=env)
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("operation"))


@dataclass(frozen=True)
class Start:
    root: Path
    head: str
    audit: bytes


def start_from(template: Path, root: Path) -> Start:
    shutil.copytree(template, root, symlinks=True)
    return Start(root, git(root, "rev-parse", "HEAD").strip(),
                 (root / AUDIT_FILE).read_bytes())


@pytest.fixture
def start(template: Path, tmp_path: Path) -> Start:
    return start_from(template, tmp_path / "repo")


def assert_untouched(start: Start) -> None:
    """The repository as it was before the operation: nothing half-written remains."""
    root = start.root
    assert git(root, "rev-parse", "HEAD").strip() == start.head
    assert (root / TRACKED).read_bytes() == b'{"state": "old"}\n'
    assert (root / AUDIT_FILE).read_bytes() == start.audit
    assert not (root / ".pubflow" / "releases").exists()  # empty folders pruned too
    assert git(root, "tag", "--list") == ""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not journal_path(root).exists()


def assert_done(start: Start, sha: str) -> None:
    """The operation complete: one commit of every file and the audit entry, and its tag."""
    root = start.root
    assert git(root, "rev-parse", "HEAD").strip() == sha
    assert git(root, "rev-parse", f"{sha}~1").strip() == start.head
    assert set(git(root, "show", "--name-only", "--format=", sha).split()) == {
        TRACKED, NEW, AUDIT_FILE}
    for name, data in FILES.items():
        assert (root / name).read_bytes() == data
        assert git(root, "show", f"{sha}:{name}").encode() == data
    body = git(root, "log", "-1", "--format=%B", sha).rstrip("\n")
    assert re.fullmatch(re.escape(MESSAGE) + r"\n\nPubflow-Operation: promotion-[0-9a-f]+-\d+",
                        body), body
    assert git(root, "cat-file", "-t", TAG).strip() == "tag"
    assert git(root, "rev-list", "-n", "1", TAG).strip() == sha
    entries = list(AuditLog(root).entries())
    assert len(entries) == 2 and AuditLog(root).verify() == []
    assert {k: entries[-1][k] for k in AUDIT[0]} == AUDIT[0]
    assert entries[-1]["seq"] == entries[0]["seq"] + 1
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not journal_path(root).exists()


# --- in one process -------------------------------------------------------------------------

def test_apply_writes_commits_and_tags(start: Start) -> None:
    sha = apply(start.root, change())
    assert_done(start, sha)
    assert recover(start.root) is None


@pytest.mark.parametrize("failure", [GateRefused("smoke check 'catalog' failed"),
                                     KeyboardInterrupt()])
def test_a_failed_check_puts_every_file_back(start: Start, failure: BaseException) -> None:
    seen: dict[str, bytes] = {}

    def smoke() -> None:
        seen.update({name: (start.root / name).read_bytes() for name in FILES})
        seen["audit"] = (start.root / AUDIT_FILE).read_bytes()
        raise failure

    with pytest.raises(type(failure)):
        apply(start.root, change(), smoke)
    # the check saw the new files and the audit entry; none of it remains
    assert {name: seen[name] for name in FILES} == FILES
    assert seen["audit"].startswith(start.audit) and seen["audit"] != start.audit
    assert_untouched(start)


def test_a_change_without_audit_records_leaves_the_log_alone(start: Start) -> None:
    sha = apply(start.root, change(audit=[], tags=[]))
    assert set(git(start.root, "show", "--name-only", "--format=", sha).split()) == {TRACKED,
                                                                                   NEW}
    assert (start.root / AUDIT_FILE).read_bytes() == start.audit
    assert git(start.root, "tag", "--list") == ""


def test_housekeeping_files_git_does_not_track_yet_go_in_the_same_commit(start: Start) -> None:
    git(start.root, "rm", "-q", "--cached", ".pubflow/.gitignore")
    git(start.root, "commit", "-q", "-m", "untrack")
    (start.root / ".pubflow" / ".gitattributes").unlink()
    git(start.root, "commit", "-q", "-am", "gone")
    sha = apply(start.root, change(tags=[]))
    assert ".pubflow/.gitattributes" in git(start.root, "show", "--name-only", "--format=",
                                            sha)
    assert ".pubflow/.gitignore" in git(start.root, "show", "--name-only", "--format=", sha)
    assert git(start.root, "status", "--porcelain", "--untracked-files=all") == ""
    sha = apply(start.root, change(files={TRACKED: b"again\n"}, tags=[]))
    assert set(git(start.root, "show", "--name-only", "--format=", sha).split()) == {
        TRACKED, AUDIT_FILE}


def test_recover_without_a_journal_does_nothing(start: Start) -> None:
    assert recover(start.root) is None
    assert_untouched(start)


def test_a_torn_journal_is_dropped(start: Start) -> None:
    # cut short while it was being written: nothing else had been written yet
    path = journal_path(start.root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"id": "promotion-1-2", "kind": "promo')
    assert recover(start.root) is None
    assert not path.exists()
    assert_untouched(start)


def test_crash_point_does_nothing_unless_named(monkeypatch: pytest.MonkeyPatch,
                                               start: Start) -> None:
    monkeypatch.setenv("PUBFLOW_CRASH_AT", "somewhere-else")
    assert_done(start, apply(start.root, change()))


# --- killed for real at each crash point ----------------------------------------------------

@pytest.fixture(scope="module")
def crashed(template: Path, tmp_path_factory: pytest.TempPathFactory,
            ) -> dict[str, tuple[Start, subprocess.CompletedProcess[str]]]:
    """One copy of the repository per crash point, each with a child process that ran
    `apply` and was killed at that point (all at once, to keep the module fast)."""
    home = tmp_path_factory.mktemp("crashed")
    spec = json.dumps({"kind": "promotion", "files": {k: v.decode() for k, v in FILES.items()},
                       "message": MESSAGE, "audit": AUDIT, "tags": [[TAG, "released"]]})
    running = {}
    for point in ONE_STEP_POINTS:
        start = start_from(template, home / point)
        env = {**os.environ, **git_env(home), "PUBFLOW_CRASH_AT": point}
        process = subprocess.Popen([sys.executable, "-c", CHILD, spec, str(start.root)],
                                   cwd=start.root, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        running[point] = (start, process)
    done = {}
    for point, (start, process) in running.items():
        out, err = process.communicate(timeout=60)
        done[point] = (start, subprocess.CompletedProcess(process.args, process.returncode,
                                                          out, err))
    return done


def test_there_is_a_crash_point_at_every_step() -> None:
    assert CRASH_POINTS == ("journal", "write", "written", "audit", "committed", "step",
                            "tagged")


@pytest.mark.parametrize("point", ONE_STEP_POINTS)
def test_an_operation_killed_at_each_point_is_finished_or_undone(
        crashed: dict[str, tuple[Start, subprocess.CompletedProcess[str]]], point: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    start, done = crashed[point]
    root = start.root
    monkeypatch.chdir(root)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert done.stdout == ""  # it never returned
    # where it stopped, and the journal it left
    journal = json.loads(journal_path(root).read_bytes())
    assert (journal["kind"], journal["head"], journal["message"]) == ("promotion", start.head,
                                                                      MESSAGE)
    assert journal["files"] == {AUDIT_FILE: True, NEW: False, TRACKED: True}
    assert journal["tags"] == [[TAG, "released"]]
    written = {name: (root / name).read_bytes() if (root / name).exists() else None
               for name in FILES}
    head_now = git(root, "rev-parse", "HEAD").strip()
    audit_grew = (root / AUDIT_FILE).read_bytes() != start.audit
    tagged = git(root, "tag", "--list").split() == [TAG]
    assert (written, audit_grew, head_now != start.head, tagged) == {
        "journal": ({NEW: None, TRACKED: b'{"state": "old"}\n'}, False, False, False),
        "write": ({NEW: None, TRACKED: FILES[TRACKED]}, False, False, False),  # in name order
        "written": (FILES, False, False, False),
        "audit": (FILES, True, False, False),
        "committed": (FILES, True, True, False),
        "tagged": (FILES, True, True, True),
    }[point]
    # the next command under the lock finishes it or undoes it
    said = recover(root)
    first_line = MESSAGE.splitlines()[0]
    if point in ("committed", "tagged"):
        assert said == f"finished an interrupted promotion ({first_line})"
        assert_done(start, head_now)
    else:
        assert said == f"undid an interrupted promotion ({first_line}); run it again"
        assert_untouched(start)
    assert recover(root) is None
    # and the same operation can then run (again) without trouble
    if point not in ("committed", "tagged"):
        assert_done(start, apply(root, change()))


# --- preconditions: refused before anything is written --------------------------------------

def test_an_uncommitted_edit_of_a_file_it_writes_is_refused(start: Start) -> None:
    (start.root / TRACKED).write_bytes(b'{"state": "hand edited"}\n')
    with pytest.raises(GateRefused) as caught:
        apply(start.root, change())
    assert caught.value.message == ("uncommitted changes in files pubflow is about to write: "
                                    f"{TRACKED} (modified)")
    assert (start.root / TRACKED).read_bytes() == b'{"state": "hand edited"}\n'
    assert git(start.root, "rev-parse", "HEAD").strip() == start.head
    assert not journal_path(start.root).exists()


def test_a_staged_leftover_at_a_new_path_is_refused(start: Start) -> None:
    (start.root / NEW).parent.mkdir(parents=True)
    (start.root / NEW).write_bytes(b"half made\n")
    git(start.root, "add", NEW)
    with pytest.raises(GateRefused, match=re.escape(f"{NEW} (staged)")):
        apply(start.root, change())
    assert git(start.root, "rev-parse", "HEAD").strip() == start.head


def test_no_git_identity_is_refused_before_writing(start: Start,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    home = start.root.parent / "empty-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "none"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(start.root, "config", "user.useConfigOnly", "true")
    from pubflow.errors import InputError

    with pytest.raises(InputError, match=r"git cannot commit here: .*user.name and user.email"):
        apply(start.root, change())
    git(start.root, "config", "--unset", "user.useConfigOnly")
    assert (start.root / TRACKED).read_bytes() == b'{"state": "old"}\n'
    assert not journal_path(start.root).exists()


def test_a_pre_commit_hook_that_refuses_leaves_nothing_behind(start: Start) -> None:
    hook = start.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    from pubflow.errors import GitError

    with pytest.raises(GitError, match="no commits today"):
        apply(start.root, change())
    hook.unlink()
    assert_untouched(start)


def test_a_tag_already_there_for_another_commit_is_refused(start: Start) -> None:
    git(start.root, "tag", TAG)
    with pytest.raises(GateRefused, match=f"release tag {re.escape(TAG)} already exists"):
        apply(start.root, change())
    assert git(start.root, "rev-parse", "HEAD").strip() == start.head


def test_recovery_removes_temporary_files_a_kill_left(start: Start) -> None:
    leftover = start.root / ".pubflow" / "environments" / ".staging.yaml.x1y2.tmp"
    journal = journal_path(start.root)
    journal.parent.mkdir(parents=True, exist_ok=True)
    stale = journal.parent / f".{journal.name}.abc.tmp"
    stale.write_bytes(b"{")
    spec = {"id": "promotion-1-2", "kind": "promotion", "head": start.head, "message": MESSAGE,
            "files": {TRACKED: True}, "tags": []}
    journal.write_text(json.dumps(spec))
    leftover.write_bytes(b"half")
    assert recover(start.root) is not None
    assert not leftover.exists() and not stale.exists()
    assert_untouched(start)


# --- an operation of several commits ----------------------------------------------------------

SECOND = {TRACKED: b'{"state": "second"}\n'}
SECOND_MESSAGE = "second step"
STEPS_CHILD = """
import json, sys
from pathlib import Path
from pubflow.records.transaction import Change, apply_steps
spec = json.loads(sys.argv[1])
changes = [Change(s["kind"], {k: v.encode() for k, v in s["files"].items()}, s["message"],
                  s["audit"], [tuple(t) for t in s["tags"]]) for s in spec]
print(" ".join(apply_steps(Path(sys.argv[2]), changes)))
"""


def steps() -> list[Change]:
    return [change(tags=[]), Change("promotion", dict(SECOND), SECOND_MESSAGE,
                                    [{"at": AT, "actor": "releng", "kind": "second"}],
                                    [(TAG, "released")])]


def assert_both_steps(start: Start) -> None:
    root = start.root
    log = git(root, "log", "--format=%s", f"{start.head}..HEAD").split("\n")
    assert [line for line in log if line] == [SECOND_MESSAGE, MESSAGE.splitlines()[0]]
    assert (root / TRACKED).read_bytes() == SECOND[TRACKED]
    assert (root / NEW).read_bytes() == FILES[NEW]
    kinds = [e["kind"] for e in AuditLog(root).entries()]
    assert kinds == ["ticket", "promote", "second"] and AuditLog(root).verify() == []
    assert git(root, "rev-list", "-n", "1", TAG).strip() == git(root, "rev-parse",
                                                                "HEAD").strip()
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not journal_path(root).exists()


def test_several_steps_are_several_commits(start: Start) -> None:
    shas = apply_steps(start.root, steps())
    assert len(shas) == 2 and shas[-1] == git(start.root, "rev-parse", "HEAD").strip()
    assert_both_steps(start)


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_several_steps_killed_anywhere_are_finished_or_undone(
        template: Path, tmp_path: Path, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    start = start_from(template, tmp_path / "repo")
    spec = json.dumps([{"kind": c.kind, "files": {k: v.decode() for k, v in c.files.items()},
                        "message": c.message, "audit": c.audit, "tags": [list(t) for t in c.tags]}
                       for c in steps()])
    env = {**os.environ, **git_env(tmp_path), "PUBFLOW_CRASH_AT": point}
    done = subprocess.run([sys.executable, "-c", STEPS_CHILD, spec, str(start.root)],
                          cwd=start.root, env=env, text=True, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    monkeypatch.chdir(start.root)
    said = recover(start.root)
    assert said is not None
    if point in ("journal", "write", "written", "audit"):
        assert said.startswith("undid an interrupted promotion")
        assert_untouched(start)
        assert_both_steps_after(start)
    else:
        assert said.startswith("finished an interrupted promotion")
        assert_both_steps(start)


def assert_both_steps_after(start: Start) -> None:
    apply_steps(start.root, steps())
    assert_both_steps(start)
