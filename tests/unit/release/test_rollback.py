"""`release.rollback` called directly on real repositories: back to the previous release, to a
named one, out of the environment (`depublish`), a canary stopped, and every refusal with what
it says. Releases are made through the real CLI once per module; each test works on a copy."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pubflow.config import load_config
from pubflow.errors import GateRefused, UsageError
from pubflow.records.audit import AuditLog
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.transaction import journal_path
from pubflow.release.rollback import RollbackResult, rollback
from pubflow.release.state_check import check_state
from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    catalog,
    head,
    live_in,
    new_version,
    promote,
    run_pubflow,
    tags,
)
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
AT = "2030-01-02T03:04:05Z"
RELEASES = f".pubflow/releases/{PATTERN}"


# --- repositories built once per module, copied per test ----------------------------------

def pattern_writer(root: Path) -> WritePattern:
    def write(data: dict[str, Any] | None = None, name: str | None = None) -> Path:
        data = valid_pattern() if data is None else data
        path = root / "patterns" / f"{name or data['id']}.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    return write


def isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    """What the autouse fixture of tests/conftest.py does, for a module-scoped build."""
    for name in ("NO_COLOR", "FORCE_COLOR", "PUBFLOW_ACTOR", "GITHUB_ACTIONS"):
        mp.delenv(name, raising=False)
    for who in ("AUTHOR", "COMMITTER"):
        mp.setenv(f"GIT_{who}_NAME", "Test Author")
        mp.setenv(f"GIT_{who}_EMAIL", "author@example.org")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig-global"))
    mp.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))


@contextmanager
def building(home: Path) -> Iterator[tuple[Path, WritePattern]]:
    root = home / "repo"
    (root / "patterns").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        git(root, "init", "-q", "-b", "main")
        mp.chdir(root)
        yield root, pattern_writer(root)


def copy_repo(template: Path, root: Path) -> None:
    shutil.copytree(template, root, symlinks=True)
    shutil.rmtree(root / ".git" / "pubflow", ignore_errors=True)  # caches: worked out again


@dataclass(frozen=True)
class Built:
    root: Path
    tickets: tuple[str, ...]


@pytest.fixture(scope="module")
def one_template(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """incident-escalation 1.0.0 (T1) staged in staging, nothing in production."""
    with building(tmp_path_factory.mktemp("one")) as (root, write):
        first = approved_repo(root, write)
        assert promote(first, "--to", "staging")[0] == 0
    return Built(root, (first,))


@pytest.fixture(scope="module")
def three_template(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """1.0.0 (T1), 1.1.0 (T2) and 1.2.0 (T3) released in turn to staging and production."""
    with building(tmp_path_factory.mktemp("three")) as (root, write):
        found = [approved_repo(root, write)]
        for version in ("1.1.0", "1.2.0", None):
            for env in ("staging", "production"):
                assert promote(found[-1], "--to", env)[0] == 0
            if version is not None:
                found.append(new_version(root, write, version))
    return Built(root, tuple(found))


@dataclass(frozen=True)
class Repo:
    root: Path
    tickets: tuple[str, ...]
    write: WritePattern

    def rollback(self, env: str, to: str | None = None, reason: str | None = "bad step",
                 depublish: bool = False, pattern: str = PATTERN) -> RollbackResult:
        return rollback(load_config(self.root), pattern, env, to, reason, depublish,
                        "releng", NOW)

    def refused(self, env: str, to: str | None = None, pattern: str = PATTERN) -> GateRefused:
        before = head(self.root)
        with pytest.raises(GateRefused) as caught:
            self.rollback(env, to, pattern=pattern)
        assert caught.value.exit_code == 1
        assert head(self.root) == before
        assert git(self.root, "status", "--porcelain") == ""
        assert not journal_path(self.root).exists()
        return caught.value

    def ticket(self, ticket_id: str) -> Any:
        return TicketStore(self.root).load(ticket_id)

    def environment(self, env: str) -> dict[str, Any]:
        text = (self.root / ".pubflow" / "environments" / f"{env}.yaml").read_text()
        doc: dict[str, Any] = json.loads("\n".join(line for line in text.splitlines()
                                                   if not line.startswith("#")))
        return doc


def copied(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    root = tmp_path / "repo"
    copy_repo(built.root, root)
    monkeypatch.chdir(root)
    return Repo(root, built.tickets, pattern_writer(root))


@pytest.fixture
def one(one_template: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    return copied(one_template, tmp_path, monkeypatch)


@pytest.fixture
def three(three_template: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    return copied(three_template, tmp_path, monkeypatch)


def history(live: dict[str, Any]) -> list[tuple[str, str]]:
    return [(past["version"], past["ended"]) for past in live["history"]]


def last_audit(root: Path) -> dict[str, Any]:
    return list(AuditLog(root).entries())[-1]


def changed_in(root: Path, sha: str) -> set[str]:
    return set(git(root, "show", "--name-only", "--format=", sha).split())


# --- back to the previous release -------------------------------------------------------------

def test_back_to_the_previous_release(three: Repo) -> None:
    root, (_first, second, third) = three.root, three.tickets
    before, tags_before = head(root), tags(root)
    production_before = live_in(root, "production")
    result = three.rollback("production", reason="step 3 is wrong")
    assert result == RollbackResult(PATTERN, "production", "1.2.0", "1.1.0", head(root),
                                    None, result.deliveries)
    assert git(root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in production: 1.2.0 -> 1.1.0 (step 3 is wrong)")
    assert changed_in(root, head(root)) == {
        ".pubflow/environments/production.yaml", ".pubflow/catalog/production.json",
        f".pubflow/tickets/{third}.yaml", ".pubflow/audit.jsonl"}
    assert tags(root) == tags_before  # a rollback releases nothing new
    live = live_in(root, "production")
    assert live is not None and production_before is not None
    manifest = json.loads((root / RELEASES / "1.1.0" / "manifest.json").read_text())
    assert {k: v for k, v in live.items() if k != "history"} == {
        "version": "1.1.0", "digest": three.ticket(second).pattern.digest, "ticket": second,
        "release": "minor", "by": "releng", "at": AT, "package": f"{RELEASES}/1.1.0"}
    assert live["digest"] == manifest["sourceDigest"]
    assert history(live) == [("1.0.0", "superseded"), ("1.1.0", "superseded"),
                             ("1.2.0", "rolled_back")]
    ended = live["history"][-1]
    assert ended == {**{k: v for k, v in production_before.items() if k != "history"},
                     "until": AT, "ended": "rolled_back", "reason": "step 3 is wrong"}
    assert catalog(root, "production")[PATTERN] == {
        "id": PATTERN, "name": "Incident Escalation with Clear Ownership", "version": "1.1.0",
        "industries": ["saas", "telecom"], "tags": ["support", "sla"]}
    # the rolled-back version's ticket says so; the one live again keeps its state
    ticket = three.ticket(third)
    assert ticket.state is State.ROLLED_BACK
    event = ticket.history[-1]
    assert (event.event, event.actor, event.at, event.from_state, event.reason) == (
        "rolled-back", "releng", AT, "live",
        "rolled back to 1.1.0 in production: step 3 is wrong")
    assert event.extra == {"environment": "production"}
    assert three.ticket(second).state is State.LIVE
    entry = last_audit(root)
    assert {k: entry[k] for k in ("at", "actor", "kind", "pattern", "environment", "from", "to",
                                  "ticket", "reason")} == {
        "at": AT, "actor": "releng", "kind": "rollback", "pattern": PATTERN,
        "environment": "production", "from": "1.2.0", "to": "1.1.0", "ticket": third,
        "reason": "step 3 is wrong"}
    staging = live_in(root, "staging")
    assert staging is not None and staging["version"] == "1.2.0"
    assert git(root, "status", "--porcelain") == "" and not journal_path(root).exists()
    assert check_state(root).problems == ()


def test_a_rollback_in_an_earlier_environment_keeps_the_tickets_state(three: Repo) -> None:
    root, third = three.root, three.tickets[2]
    result = three.rollback("staging", reason="flaky in staging")
    assert (result.from_version, result.to_version) == ("1.2.0", "1.1.0")
    staging, production = live_in(root, "staging"), live_in(root, "production")
    assert staging is not None and production is not None
    assert (staging["version"], production["version"]) == ("1.1.0", "1.2.0")
    ticket = three.ticket(third)
    assert ticket.state is State.LIVE  # production, the last environment, still runs it
    event = ticket.history[-1]
    assert (event.event, event.from_state, event.to_state, event.reason, event.extra) == (
        "environment", "live", "live", "rolled back to 1.1.0 in staging: flaky in staging",
        {"environment": "staging"})
    assert check_state(root).problems == ()


def test_back_to_a_named_release_and_the_default_reason(three: Repo) -> None:
    root, (first, _second, third) = three.root, three.tickets
    result = three.rollback("production", to="1.0.0", reason="  ")
    assert (result.from_version, result.to_version) == ("1.2.0", "1.0.0")
    live = live_in(root, "production")
    assert live is not None
    assert (live["version"], live["ticket"], live["release"]) == ("1.0.0", first, "initial")
    assert live["history"][-1]["reason"] == "no reason given"
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in production: 1.2.0 -> 1.0.0 (no reason given)")
    assert catalog(root, "production")[PATTERN]["version"] == "1.0.0"
    assert three.ticket(third).state is State.ROLLED_BACK


def test_forward_again_to_a_release_that_was_rolled_back(three: Repo) -> None:
    root = three.root
    three.rollback("production")
    result = three.rollback("production", to="1.2.0", reason="fixed upstream")
    assert (result.from_version, result.to_version) == ("1.1.0", "1.2.0")
    live = live_in(root, "production")
    assert live is not None and live["version"] == "1.2.0"
    # forward: 1.1.0 was not bad, it was superseded; 1.2.0's ticket is live again
    assert history(live)[-2:] == [("1.2.0", "rolled_back"), ("1.1.0", "superseded")]
    third = three.tickets[2]
    assert three.ticket(third).state is State.LIVE
    assert three.ticket(third).history[-1].event == "restored"
    # and a plain rollback goes back to 1.1.0 again
    assert three.rollback("production").to_version == "1.1.0"
    assert check_state(root).problems == ()


# --- refusals -------------------------------------------------------------------------------

def test_a_version_without_a_package_is_refused(three: Repo) -> None:
    error = three.refused("production", "0.9.0")
    assert error.message == f"{RELEASES}/0.9.0: no package for {PATTERN} 0.9.0"
    assert error.hint == "Only versions that were promoted have a package."


def test_the_version_already_live_is_refused(three: Repo) -> None:
    error = three.refused("production", "1.2.0")
    assert error.message == f"{PATTERN} 1.2.0 is already live in production"


def test_a_changed_package_is_refused(three: Repo) -> None:
    root = three.root
    page = root / RELEASES / "1.1.0" / "page.md"
    page.write_text(page.read_text() + "tampered\n")
    git(root, "commit", "-q", "-am", "tampered")
    error = three.refused("production")
    assert error.message.startswith(f"{RELEASES}/1.1.0/page.md: sha256 ")
    assert "does not match the manifest (" in error.message
    assert error.message.endswith("): the package was changed")
    assert error.hint == "Restore the package from git history."
    live = live_in(root, "production")
    assert live is not None and live["version"] == "1.2.0"


def test_a_pattern_that_is_not_live_is_refused(three: Repo) -> None:
    error = three.refused("production", pattern="no-such-pattern")
    assert error.message == "no-such-pattern is not live in production"
    assert error.hint == "`pubflow status` shows what runs where."


def test_an_unknown_environment_is_a_usage_error(three: Repo) -> None:
    with pytest.raises(UsageError) as caught:
        three.rollback("moon")
    assert caught.value.message == ("unknown environment 'moon'; pubflow.yaml lists: staging, "
                                    "production")
    assert caught.value.exit_code == 2


def test_nothing_earlier_to_roll_back_to(one: Repo) -> None:
    error = one.refused("staging")
    assert error.message == f"{PATTERN}: no earlier release in staging to roll back to"
    assert error.hint == "Use --depublish to take it out instead."
    error = one.refused("production")
    assert error.message == f"{PATTERN} is not live in production"


# --- depublish ------------------------------------------------------------------------------

def test_depublish_takes_the_pattern_out_and_keeps_its_history(three: Repo) -> None:
    root, third = three.root, three.tickets[2]
    before = live_in(root, "production")
    assert before is not None
    result = three.rollback("production", reason="withdrawn", depublish=True)
    assert (result.from_version, result.to_version, result.commit) == ("1.2.0", None,
                                                                       head(root))
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"depublish {PATTERN} 1.2.0 from production (withdrawn)")
    assert live_in(root, "production") is None
    assert PATTERN not in catalog(root, "production")
    retired = three.environment("production")["retired"]
    assert list(retired) == [PATTERN]
    record = retired[PATTERN]
    assert (record["at"], record["by"], record["reason"]) == (AT, "releng", "withdrawn")
    assert [(p["version"], p["ended"]) for p in record["history"]] == [
        ("1.0.0", "superseded"), ("1.1.0", "superseded"), ("1.2.0", "depublished")]
    assert record["history"][-1] == {**{k: v for k, v in before.items() if k != "history"},
                                     "until": AT, "ended": "depublished"}
    ticket = three.ticket(third)
    assert ticket.state is State.DEPUBLISHED
    assert (ticket.history[-1].event, ticket.history[-1].reason) == (
        "depublished", "depublished from production: withdrawn")
    entry = last_audit(root)
    assert (entry["kind"], entry["from"], entry["ticket"], entry["reason"]) == (
        "depublish", "1.2.0", third, "withdrawn")
    assert "to" not in entry
    # the packages stay: a release is history
    assert sorted(p.name for p in (root / RELEASES).iterdir()) == ["1.0.0", "1.1.0", "1.2.0"]
    staging = live_in(root, "staging")
    assert staging is not None and staging["version"] == "1.2.0"
    assert git(root, "status", "--porcelain") == ""
    assert check_state(root).problems == ()
    error = three.refused("production")
    assert error.message == f"{PATTERN} is not live in production"


def test_depublishing_from_the_environment_a_ticket_is_staged_in(one: Repo) -> None:
    root, first = one.root, one.tickets[0]
    result = one.rollback("staging", reason=None, depublish=True)
    assert (result.from_version, result.to_version) == ("1.0.0", None)
    assert live_in(root, "staging") is None and catalog(root, "staging") == {}
    assert one.environment("staging")["retired"][PATTERN]["reason"] == "no reason given"
    assert one.ticket(first).state is State.DEPUBLISHED


def test_depublishing_twice_keeps_both_histories(three: Repo) -> None:
    root = three.root
    three.rollback("production", reason="first time", depublish=True)
    fourth = new_version(root, three.write, "1.3.0")
    for env in ("staging", "production"):
        assert promote(fourth, "--to", env)[0] == 0
    three.rollback("production", reason="second time", depublish=True)
    record = three.environment("production")["retired"][PATTERN]
    versions = [p["version"] for p in record["history"]]
    assert versions == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]


# --- rollbacks in a row -----------------------------------------------------------------------

def test_rolling_back_until_nothing_is_left(three: Repo) -> None:
    assert three.rollback("production").to_version == "1.1.0"
    assert three.rollback("production").to_version == "1.0.0"
    error = three.refused("production")
    assert error.message == f"{PATTERN}: no earlier release in production to roll back to"


# --- a canary under way -----------------------------------------------------------------------

def interrupt_canary(root: Path, ticket: str, env: str) -> dict[str, Any]:
    """A real `pubflow promote --canary 20,100`, killed (SIGKILL) by its own health check after
    the first step, as a crash between two steps leaves it; the entry it left."""
    done = run_pubflow(root, "--actor", "releng", "promote", ticket, "--to", env,
                       "--canary", "20,100", "--health-cmd", "kill -9 $PPID")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    live = live_in(root, env)
    assert live is not None and live["rollout"]["weight"] == 20
    assert git(root, "status", "--porcelain") == ""
    return live


def test_a_canary_under_way_goes_back_to_its_stable_version(three: Repo) -> None:
    root = three.root
    fourth = new_version(root, three.write, "1.3.0")
    before = interrupt_canary(root, fourth, "staging")
    error = three.refused("staging", "1.0.0")
    assert error.message == (f"{PATTERN}: a canary of 1.3.0 is under way in staging; it can only "
                             "go back to its stable version 1.2.0")
    result = three.rollback("staging", to="1.2.0", reason="bad")
    assert (result.from_version, result.to_version) == ("1.3.0", "1.2.0")
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in staging: canary 1.3.0 -> 1.2.0 (canary 1.3.0 stopped: bad)")
    live = live_in(root, "staging")
    assert live == {k: v for k, v in before.items() if k != "rollout"}
    assert catalog(root, "staging")[PATTERN]["version"] == "1.2.0"
    assert "rollout" not in catalog(root, "staging")[PATTERN]
    assert three.ticket(fourth).state is State.ROLLED_BACK
    entry = last_audit(root)
    assert (entry["kind"], entry["from"], entry["to"], entry["ticket"]) == (
        "rollback", "1.3.0", "1.2.0", fourth)
    assert git(root, "status", "--porcelain") == ""
    assert check_state(root).problems == ()


def test_a_canary_of_a_new_pattern_is_taken_out_again(one: Repo) -> None:
    root, first = one.root, one.tickets[0]
    interrupt_canary(root, first, "production")
    assert catalog(root, "production")[PATTERN]["rollout"] == {"canary": "1.0.0", "weight": 20}
    result = one.rollback("production", reason="bad")
    assert (result.from_version, result.to_version) == ("1.0.0", None)
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in production: canary 1.0.0 -> nothing (canary 1.0.0 stopped: "
        "bad)")
    assert live_in(root, "production") is None and catalog(root, "production") == {}
    assert one.ticket(first).state is State.ROLLED_BACK
    staging = live_in(root, "staging")
    assert staging is not None and staging["version"] == "1.0.0"
    assert check_state(root).problems == ()


def test_the_canary_of_a_new_pattern_has_no_stable_version_to_name(one: Repo) -> None:
    interrupt_canary(one.root, one.tickets[0], "production")
    error = one.refused("production", "0.9.0")
    assert error.message.startswith(f"{PATTERN}: a canary of 1.0.0 is under way in production")
    assert "None" not in error.message
