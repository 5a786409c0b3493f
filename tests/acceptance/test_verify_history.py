"""`pubflow verify` walks the git history: a repository built through the real CLI, then
attacked with plain git commits. Each attack is reported with the file and the commit."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pubflow.records.chain import event_hash
from tests.acceptance.release_support import approved_repo, promote
from tests.acceptance.tickets_support import create, invoke
from tests.conftest import git, valid_pattern

AUDIT = Path(".pubflow/audit.jsonl")
TAG = "pubflow/staging/incident-escalation/1.0.0"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One ticket promoted to staging and production, through the real CLI."""
    home = tmp_path_factory.mktemp("history")
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
def live(template: tuple[Path, str], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    source, ticket = template
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    shutil.rmtree(root / ".git" / "pubflow", ignore_errors=True)
    monkeypatch.chdir(root)
    yield root, ticket


def commit(root: Path, message: str) -> str:
    git(root, "commit", "-q", "--no-verify", "-am", message)
    return git(root, "rev-parse", "--short=7", "HEAD").strip()


def verify(*args: str) -> tuple[int, list[str]]:
    code, out, _err = invoke("verify", *args)
    return code, out.splitlines()


def ticket_path(root: Path, ticket: str) -> Path:
    return root / ".pubflow" / "tickets" / f"{ticket}.yaml"


def rewrite_history(root: Path, ticket: str, change: Any) -> None:
    """Edit a ticket's history with a YAML library and re-chain it, as a careful forger
    would: `ticket verify` sees a sound chain."""
    from ruamel.yaml import YAML

    yaml = YAML()
    path = ticket_path(root, ticket)
    doc = yaml.load(path.read_text())
    change(doc["history"])
    previous = None
    for event in doc["history"]:
        event["prev"] = previous
        event["hash"] = event_hash(event)
        previous = event["hash"]
    with path.open("w") as handle:
        yaml.dump(doc, handle)


def test_the_real_history_verifies(live: tuple[Path, str]) -> None:
    assert verify() == (0, ["verified 1 ticket(s), 2 environment(s), 6 audit entries"])
    assert verify("--since", "HEAD~2")[0] == 0


def test_cutting_the_last_lines_off_the_audit_log(live: tuple[Path, str]) -> None:
    root, _ticket = live
    lines = (root / AUDIT).read_text().splitlines(keepends=True)
    (root / AUDIT).write_text("".join(lines[:-2]))
    sha = commit(root, "tidy the log")
    code, out = verify()
    assert code == 1
    assert (f'.pubflow/audit.jsonl: the log was truncated: 2 entries cut off after line 4 '
            f'(commit {sha} "tidy the log")') in out


def test_replacing_the_audit_log_with_a_fresh_chain(live: tuple[Path, str]) -> None:
    root, _ticket = live
    from pubflow.records.audit import AuditLog

    (root / AUDIT).unlink()
    AuditLog(root).append({"at": "2026-01-01T00:00:00Z", "actor": "mallory", "kind": "note"})
    sha = commit(root, "fresh start")
    code, out = verify()
    assert code == 1
    assert (f'.pubflow/audit.jsonl: the log was replaced: it held 6 entries, now 1 from another '
            f'chain (commit {sha} "fresh start")') in out
    assert invoke("audit", "verify")[0] == 0  # the chain alone cannot tell


def test_rewriting_a_past_ticket_event(live: tuple[Path, str]) -> None:
    root, ticket = live

    def forge(history: Any) -> None:
        history[3]["actor"] = "mkhan"

    rewrite_history(root, ticket, forge)
    sha = commit(root, "fix a typo")
    code, out = verify()
    assert code == 1
    assert any(line.startswith(f".pubflow/tickets/{ticket}.yaml: event 4 (reviewed at ")
               and line.endswith(f'was rewritten or removed (commit {sha} "fix a typo")')
               for line in out), out
    assert invoke("ticket", "verify")[0] == 0  # the re-chained history alone looks sound


def test_reordering_past_ticket_events(live: tuple[Path, str]) -> None:
    root, ticket = live

    def swap(history: Any) -> None:
        history[0], history[1] = history[1], history[0]

    rewrite_history(root, ticket, swap)
    sha = commit(root, "reorder")
    code, out = verify()
    assert code == 1
    assert any(line.startswith(f".pubflow/tickets/{ticket}.yaml: ")
               and line.endswith(f'(commit {sha} "reorder")') for line in out), out


def test_deleting_a_ticket_file(live: tuple[Path, str]) -> None:
    root, ticket = live
    git(root, "rm", "-q", str(ticket_path(root, ticket)))
    sha = commit(root, "clean up")
    code, out = verify()
    assert code == 1
    assert (f'.pubflow/tickets/{ticket}.yaml: ticket deleted: its history of 6 event(s) is gone '
            f'(commit {sha} "clean up")') in out


def test_an_environment_file_that_claims_version_9_9_9(live: tuple[Path, str]) -> None:
    root, _ticket = live
    path = root / ".pubflow" / "environments" / "production.yaml"
    path.write_text(path.read_text().replace('"version": "1.0.0"', '"version": "9.9.9"', 1))
    commit(root, "bump")
    code, out = verify()
    assert code == 1
    assert (".pubflow/environments/production.yaml: incident-escalation: version 9.9.9 is live "
            "here, but the audit log's promotions and rollbacks leave 1.0.0") in out


def test_a_catalog_that_disagrees(live: tuple[Path, str]) -> None:
    root, _ticket = live
    path = root / ".pubflow" / "catalog" / "staging.json"
    path.write_text(path.read_text().replace('"version": "1.0.0"', '"version": "2.0.0"'))
    commit(root, "catalog")
    code, out = verify()
    assert code == 1
    assert (".pubflow/catalog/staging.json: incident-escalation is at 2.0.0, but staging runs "
            "1.0.0") in out


def test_a_release_tag_moved(live: tuple[Path, str]) -> None:
    root, _ticket = live
    before = git(root, "rev-list", "-n1", TAG).strip()
    git(root, "tag", "-f", "-a", TAG, "-m", "moved", "HEAD")
    code, out = verify()
    assert code == 1
    assert any(line.startswith(f"refs/tags/{TAG}: points at commit ")
               and line.endswith(f"which did not promote incident-escalation 1.0.0 to staging "
                                 f"(commit {before[:7]} did)") for line in out), out


def test_a_ticket_event_without_its_audit_entry(live: tuple[Path, str]) -> None:
    root, ticket = live

    def add(history: Any) -> None:
        last = history[-1]
        history.append({"at": "2027-01-01T00:00:00Z", "actor": "rlee", "event": "escalated",
                        "from": last["to"], "to": last["to"], "reason": "by hand",
                        "prev": last["hash"]})

    rewrite_history(root, ticket, add)
    commit(root, "note")
    code, out = verify()
    assert code == 1
    assert (f".pubflow/tickets/{ticket}.yaml: event 7 (escalated at 2027-01-01T00:00:00Z): has no "
            "entry in .pubflow/audit.jsonl") in out


def test_two_branches_that_both_append_merge_and_verify(repo: Path, write_pattern: Any) -> None:
    from tests.acceptance.tickets_support import setup_repo

    setup_repo(repo, write_pattern, (valid_pattern(), valid_pattern(id="second-one")))
    first = create("incident-escalation")
    git(repo, "checkout", "-q", "-b", "feature")
    create("second-one")
    git(repo, "checkout", "-q", "main")
    assert invoke("--actor", "editor", "ticket", "route", first)[0] == 0
    git(repo, "merge", "-q", "--no-edit", "feature")
    assert len(git(repo, "rev-parse", "HEAD^@").split()) == 2
    assert verify()[0] == 0, verify()


def test_since_sees_only_the_pull_requests_commits(live: tuple[Path, str]) -> None:
    root, _ticket = live
    whole = (root / AUDIT).read_text()
    (root / AUDIT).write_text(whole.splitlines(keepends=True)[0])
    bad = commit(root, "cut")
    (root / AUDIT).write_text(whole)
    commit(root, "restore")
    code, out = verify()
    assert code == 1 and any(f"(commit {bad} " in line for line in out), out
    assert verify("--since", bad)[0] == 0  # bad..HEAD leaves the cut out
    code, out = verify("--since", f"{bad}~1")
    assert code == 1 and any(f"(commit {bad} " in line for line in out), out


def test_an_unknown_since_ref(live: tuple[Path, str]) -> None:
    code, _out, err = invoke("verify", "--since", "no-such-branch")
    assert code == 2
    assert "no-such-branch" in err
