"""`pubflow verify --since REF` checks what a pull request can have changed, and only that:
a repository built through the real CLI, then a pull request of plain git commits (an
attacker with push access does not run the hooks). What the range broke is reported, as the
whole check reports it; what was broken before REF was reported when it landed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pubflow.records.audit import AuditLog
from tests.acceptance.release_support import approved, promote
from tests.acceptance.tickets_support import create, invoke, setup_repo
from tests.conftest import git, valid_pattern

BASE = "base"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A ticket promoted to staging, another waiting for review; tag `base` at HEAD."""
    home = tmp_path_factory.mktemp("since")
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

        def write(data: dict[str, Any]) -> Path:
            path = root / "patterns" / f"{data['id']}.json"
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            return path

        setup_repo(root, write, (valid_pattern(), valid_pattern(id="second-one")))
        live = approved()
        assert promote(live, "--to", "staging")[0] == 0
        waiting = create("second-one")
        git(root, "tag", BASE)
        assert verify()[0] == 0, verify()
    return root, live, waiting


@pytest.fixture
def repo(template: tuple[Path, str, str], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, str]]:
    source, live, waiting = template
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    shutil.rmtree(root / ".git" / "pubflow", ignore_errors=True)
    monkeypatch.chdir(root)
    yield root, live, waiting


def verify(*args: str) -> tuple[int, list[str]]:
    code, out, _err = invoke("verify", *args)
    return code, out.splitlines()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)
    return git(root, "rev-parse", "--short=7", "HEAD").strip()


def ticket_file(root: Path, ticket: str) -> Path:
    return root / ".pubflow" / "tickets" / f"{ticket}.yaml"


def since_reports(*expected: str) -> list[str]:
    """`verify --since base` fails with each expected text in some line, and every line it
    prints is one the whole check prints too."""
    code, out = verify("--since", BASE)
    assert code == 1, out
    for text in expected:
        assert any(text in line for line in out), (text, out)
    whole_code, whole = verify()
    assert whole_code == 1
    problems = out[:-1] if out and out[-1].startswith("verified") else out
    assert set(problems) <= set(whole), (problems, whole)
    return out


def test_a_clean_pull_request_verifies(repo: tuple[Path, str, str]) -> None:
    _root, _live, waiting = repo
    assert invoke("--actor", "editor", "ticket", "route", waiting, "--reviewer", "rlee")[0] == 0
    code, out = verify("--since", BASE)
    assert code == 0, out
    assert out[-1].startswith("verified 1 ticket(s), 1 environment(s)"), out
    assert verify("--since", "HEAD")[0] == 0
    assert verify()[0] == 0


def test_a_ticket_hand_edited_in_the_range_is_reported(repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    path = ticket_file(root, waiting)
    path.write_text(path.read_text().replace("state: ready_for_review", "state: approved"))
    commit(root, "approve it myself")
    since_reports(f".pubflow/tickets/{waiting}.yaml: {waiting}: state is approved but the "
                  "history ends in ready_for_review")


def test_a_ticket_edited_before_ref_is_not_reported_again(repo: tuple[Path, str, str]) -> None:
    root, live, waiting = repo
    path = ticket_file(root, live)
    path.write_text(path.read_text().replace("priority: normal", "priority: high", 1))
    commit(root, "bump it")
    git(root, "tag", "-f", BASE)
    assert invoke("--actor", "editor", "ticket", "route", waiting, "--reviewer", "rlee")[0] == 0
    code, out = verify("--since", BASE)
    assert code == 0, out  # reported when it landed, by the check of that push
    code, whole = verify()
    assert code == 1 and any(f"{live}: priority is 'high'" in line for line in whole), whole


def test_a_new_ticket_reusing_an_id_is_reported(repo: tuple[Path, str, str]) -> None:
    root, live, _waiting = repo
    copy = ticket_file(root, "PUB-2026-900")
    copy.write_text(ticket_file(root, live).read_text())
    commit(root, "a second copy")
    since_reports(f".pubflow/tickets/PUB-2026-900.yaml: id '{live}' does not match the file "
                  "name")


def test_a_second_open_ticket_for_an_untouched_tickets_pattern(
        repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    copy = ticket_file(root, "PUB-2026-900")
    copy.write_text(ticket_file(root, waiting).read_text().replace(
        f"id: {waiting}", "id: PUB-2026-900"))
    commit(root, "another ticket")
    since_reports("pattern second-one has more than one open ticket: "
                  f"{waiting}, PUB-2026-900")


def test_an_audit_entry_appended_without_its_event(repo: tuple[Path, str, str]) -> None:
    root, live, _waiting = repo
    log = AuditLog(root)
    log.append({"at": "2026-03-01T00:00:00Z", "actor": "rlee", "kind": "ticket",
                "ticket": live, "event": "reviewed", "eventHash": "0" * 64})
    log.append({"at": "2026-03-01T00:00:00Z", "actor": "releng", "kind": "promote",
                "ticket": live, "environment": "production", "pattern": "incident-escalation",
                "version": "1.0.0"})
    commit(root, "two entries")
    since_reports(f"no ticket holds the event it records ({live} reviewed)",
                  f"the ticket {live} has no event for it")


def test_a_pinned_pattern_edited_under_an_untouched_ticket(
        repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    path = root / "patterns" / "second-one.json"
    data = json.loads(path.read_text())
    data["title"] = "Something else than what was submitted"
    path.write_text(json.dumps(data, indent=2) + "\n")
    commit(root, "a small fix")
    since_reports(f".pubflow/tickets/{waiting}.yaml: {waiting}: patterns/second-one.json "
                  "differs from the pinned sha256")


def test_a_pinned_pattern_replaced_through_a_symlink(repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    other = root / "elsewhere" / "other.json"
    other.parent.mkdir()
    other.write_text((root / "patterns" / "second-one.json").read_text())
    (root / "patterns" / "second-one.json").unlink()
    (root / "patterns" / "second-one.json").symlink_to("../elsewhere/other.json")
    commit(root, "move it")
    assert verify("--since", BASE)[0] == 0  # the same bytes: nothing changed
    other.write_text(other.read_text().replace("}", ', "extra": 1}', 1))
    commit(root, "edit the target only")
    since_reports(f"{waiting}: patterns/second-one.json differs from the pinned sha256")


def test_uncommitted_edits_are_checked_too(repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    path = ticket_file(root, waiting)
    path.write_text(path.read_text().replace("state: ready_for_review", "state: approved"))
    code, out = verify("--since", BASE)
    assert code == 1 and any("state is approved" in line for line in out), out


def test_a_symlinked_ticket_whose_target_changed(repo: tuple[Path, str, str]) -> None:
    root, _live, waiting = repo
    path = ticket_file(root, waiting)
    target = root / "kept" / f"{waiting}.yaml"
    target.parent.mkdir()
    target.write_text(path.read_text())
    path.unlink()
    path.symlink_to(f"../../kept/{waiting}.yaml")
    commit(root, "keep it elsewhere")
    git(root, "tag", "-f", BASE)
    target.write_text(target.read_text().replace("state: ready_for_review", "state: approved"))
    commit(root, "approve it there")
    since_reports(f"{waiting}: state is approved but the history ends in ready_for_review")


def test_since_head_before_the_first_commit(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-commit hook runs `verify --since HEAD`; a repository's first commit has no HEAD:
    everything in it is new, so everything is checked."""
    fresh = tmp_path / "fresh"
    (fresh / "patterns").mkdir(parents=True)
    git(fresh, "init", "-q")
    monkeypatch.chdir(fresh)
    (fresh / "pubflow.yaml").write_text("reviewers: [{id: rlee}]\n")
    (fresh / "patterns" / "incident-escalation.json").write_text(json.dumps(valid_pattern()))
    code, out, err = invoke("verify", "--since", "HEAD")
    assert code == 0, out + err
    assert "verified 0 ticket(s)" in out
    code, _out, err = invoke("verify", "--since", "no-such-ref")
    assert code == 2 and "no-such-ref" in err
