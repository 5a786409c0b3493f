"""`release.promote` called directly on real repositories: the plan and each of its gates, what
a dry run plans, what a promotion writes (package, environment file, catalog, ticket, audit
entry, one commit and a tag), canary rollouts with real health commands.

Tickets, reviews and earlier releases are made through the real CLI (`release_support`) once
per module; each test works on its own copy of that repository."""

from __future__ import annotations

import hashlib
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
from pubflow.release.health import HealthResult
from pubflow.release.package import MANIFEST_FILE, NOTES_FILE, ReleaseInfo, build_files
from pubflow.release.promote import PromotePlan, PromoteRequest, PromoteResult, promote
from pubflow.release.rollback import rollback
from pubflow.release.state_check import check_state
from tests.acceptance.release_support import (
    PATTERN,
    approved,
    catalog,
    head,
    live_in,
    new_version,
    run_pubflow,
    tags,
)
from tests.acceptance.release_support import promote as promote_cli
from tests.acceptance.tickets_support import REVIEWERS, create, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
AT = "2030-01-02T03:04:05Z"
PATTERN_FILE = f"patterns/{PATTERN}.json"
PACKAGE = f".pubflow/releases/{PATTERN}/1.0.0"
PACKAGE_FILES = [f"{PACKAGE}/{name}" for name in
                 ("manifest.json", "RELEASE_NOTES.md", "page.md", "pattern.json")]
GATES = ["promoter", "history", "ticket state", "pinned content", "approvals", "checks",
         "version", "package"]
HISTORY = ("history", "the ticket verifies; its state follows from its history")


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
def building(home: Path, template: Path | None = None) -> Iterator[tuple[Path, WritePattern]]:
    """A repository under `home` (a copy of `template`, or new), with the test's environment
    and the current folder set while it is built."""
    root = home / "repo"
    if template is None:
        (root / "patterns").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        if template is None:
            git(root, "init", "-q", "-b", "main")
        else:
            copy_repo(template, root)
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
def approved_template(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """incident-escalation 1.0.0 approved (T1), second-one only submitted (ready_for_review)."""
    with building(tmp_path_factory.mktemp("approved")) as (root, write):
        setup_repo(root, write, (valid_pattern(),
                                 valid_pattern(id="second-one", name="A Second Pattern")))
        first = approved()
        waiting = create("second-one")
    return Built(root, (first, waiting))


@pytest.fixture(scope="module")
def live_template(tmp_path_factory: pytest.TempPathFactory, approved_template: Built) -> Built:
    """T1 (1.0.0) live in staging and production; no open ticket for the pattern."""
    first = approved_template.tickets[0]
    with building(tmp_path_factory.mktemp("live"), approved_template.root) as (root, _write):
        assert promote_cli(first, "--to", "staging")[0] == 0
        assert promote_cli(first, "--to", "production")[0] == 0
    return Built(root, (first,))


@pytest.fixture(scope="module")
def second_template(tmp_path_factory: pytest.TempPathFactory, live_template: Built) -> Built:
    """As `live_template`, and T2 for 1.1.0 approved."""
    with building(tmp_path_factory.mktemp("second"), live_template.root) as (root, write):
        second = new_version(root, write, "1.1.0")
    return Built(root, (live_template.tickets[0], second))


@dataclass(frozen=True)
class Repo:
    root: Path
    tickets: tuple[str, ...]
    write: WritePattern

    def promote(self, ticket: str, env: str, **options: Any) -> PromoteResult:
        on_step = options.pop("on_step", None)
        return promote(load_config(self.root), PromoteRequest(ticket, env, **options),
                       "releng", NOW, on_step)

    def refused(self, ticket: str, env: str, **options: Any) -> GateRefused:
        """The gate's refusal, after checking that nothing was written."""
        before = head(self.root)
        with pytest.raises(GateRefused) as caught:
            self.promote(ticket, env, **options)
        assert head(self.root) == before
        assert git(self.root, "status", "--porcelain") == ""
        assert not journal_path(self.root).exists()
        return caught.value

    def state(self, ticket: str) -> State:
        return TicketStore(self.root).load(ticket).state


def copied(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    root = tmp_path / "repo"
    copy_repo(built.root, root)
    monkeypatch.chdir(root)
    return Repo(root, built.tickets, pattern_writer(root))


@pytest.fixture
def approved_repo(approved_template: Built, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Repo:
    return copied(approved_template, tmp_path, monkeypatch)


@pytest.fixture
def live_repo(live_template: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    return copied(live_template, tmp_path, monkeypatch)


@pytest.fixture
def second_repo(second_template: Built, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Repo:
    return copied(second_template, tmp_path, monkeypatch)


def changed_in(root: Path, sha: str) -> set[str]:
    return set(git(root, "show", "--name-only", "--format=", sha).split())


def last_audit(root: Path) -> dict[str, Any]:
    return list(AuditLog(root).entries())[-1]


def env_at(root: Path, sha: str, env: str) -> dict[str, Any]:
    text = git(root, "show", f"{sha}:.pubflow/environments/{env}.yaml")
    doc: dict[str, Any] = json.loads("\n".join(line for line in text.splitlines()
                                               if not line.startswith("#")))
    return doc


def catalog_at(root: Path, sha: str, env: str) -> dict[str, Any]:
    rows = json.loads(git(root, "show", f"{sha}:.pubflow/catalog/{env}.json"))["patterns"]
    return {row["id"]: row for row in rows}


# --- the plan and a dry run -----------------------------------------------------------------

def test_a_dry_run_checks_every_gate_plans_and_writes_nothing(approved_repo: Repo) -> None:
    root, (first, _waiting) = approved_repo.root, approved_repo.tickets
    before = head(root)
    result = approved_repo.promote(first, "staging", dry_run=True, notes="First")
    assert result.commits == [] and result.noop is None and result.recovered is None
    plan = result.plan
    assert plan is not None
    digest = TicketStore(root).load(first).pattern.digest
    assert plan == PromotePlan(
        ticket=first, pattern=PATTERN, version="1.0.0", environment="staging",
        release="initial", previous=None, package=PACKAGE, build_package=True,
        ticket_to="staged", tag=f"pubflow/staging/{PATTERN}/1.0.0",
        message=f"promote {PATTERN} 1.0.0 to staging ({first}, initial)",
        gates=[("promoter", "releng"), HISTORY, ("ticket state", "approved"),
               ("pinned content", f"sha256 {digest[:12]} as reviewed"),
               ("approvals", "1 of 1: rlee"),
               ("checks", "every validate check passes"),
               ("version", "nothing -> 1.0.0 (initial)"),
               ("package", "will be built")],
        canary=(),
        files=[*PACKAGE_FILES, ".pubflow/environments/staging.yaml",
               ".pubflow/catalog/staging.json", f".pubflow/tickets/{first}.yaml",
               ".pubflow/audit.jsonl"],
        notes="First")
    assert head(root) == before and git(root, "status", "--porcelain") == ""
    assert not (root / ".pubflow" / "releases").exists()
    assert not (root / ".pubflow" / "environments").exists()
    assert tags(root) == [] and approved_repo.state(first) is State.APPROVED


def test_a_dry_run_of_a_canary_names_it_in_the_message(approved_repo: Repo) -> None:
    first = approved_repo.tickets[0]
    plan = approved_repo.promote(first, "staging", dry_run=True, canary=(10, 50, 100),
                                 health_cmd="true").plan
    assert plan is not None and plan.canary == (10, 50, 100)
    assert plan.message == f"canary 10,50,100 {PATTERN} 1.0.0 to staging ({first}, initial)"
    assert not (approved_repo.root / ".pubflow" / "environments").exists()


# --- what a promotion writes ------------------------------------------------------------------

def test_a_promotion_writes_exactly_its_plan_in_one_commit_and_tags_it(
        approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    before = head(root)
    audit_before = AuditLog(root).head()
    assert audit_before is not None
    result = approved_repo.promote(first, "staging", notes="First publication")
    plan = result.plan
    assert plan is not None and result.noop is None and result.failed_health is None
    # one commit, holding exactly the planned files
    assert git(root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert result.commits == [head(root)]
    assert changed_in(root, head(root)) == set(plan.files)
    message = git(root, "log", "-1", "--format=%B").strip().splitlines()
    assert message[0] == f"promote {PATTERN} 1.0.0 to staging ({first}, initial)"
    assert message[-1].startswith("Pubflow-Operation: promotion-")
    assert git(root, "status", "--porcelain") == ""
    assert not journal_path(root).exists()
    # an annotated tag on that commit
    tag = f"pubflow/staging/{PATTERN}/1.0.0"
    assert tags(root) == [tag]
    assert git(root, "cat-file", "-t", tag).strip() == "tag"
    assert git(root, "rev-list", "-n", "1", tag).strip() == head(root)
    assert git(root, "tag", "-l", "--format=%(contents:subject)", tag).strip() == (
        f"{PATTERN} 1.0.0 released to staging (initial, {first})")
    # the environment file and the catalog
    ticket = TicketStore(root).load(first)
    digest = ticket.pattern.digest
    assert live_in(root, "staging") == {
        "version": "1.0.0", "digest": digest, "ticket": first, "release": "initial",
        "by": "releng", "at": AT, "package": PACKAGE, "history": []}
    assert catalog(root, "staging") == {PATTERN: {
        "id": PATTERN, "name": "Incident Escalation with Clear Ownership", "version": "1.0.0",
        "industries": ["saas", "telecom"], "tags": ["support", "sla"]}}
    assert live_in(root, "production") is None
    # the package: what build_files makes of the reviewed file and the ticket's approval
    approval = next(e for e in reversed(ticket.history) if e.to_state == "approved")
    expected = build_files(json.loads((root / PATTERN_FILE).read_bytes()),
                           ReleaseInfo(PATTERN, "1.0.0", first, "initial", digest,
                                       approval.actor, approval.at, "First publication"))
    assert {name: (root / PACKAGE / name).read_bytes() for name in expected} == expected
    assert approval.actor == "rlee"
    # the ticket and the audit log
    assert ticket.state is State.STAGED
    event = ticket.history[-1]
    assert (event.event, event.actor, event.at, event.from_state, event.to_state) == (
        "promoted", "releng", AT, "approved", "staged")
    assert event.reason == "1.0.0 promoted to staging (initial)"
    assert event.extra == {"environment": "staging", "version": "1.0.0", "release": "initial"}
    entry = last_audit(root)
    assert {k: entry[k] for k in ("at", "actor", "kind", "ticket", "pattern", "version",
                                  "environment", "release", "previous", "seq")} == {
        "at": AT, "actor": "releng", "kind": "promote", "ticket": first, "pattern": PATTERN,
        "version": "1.0.0", "environment": "staging", "release": "initial", "previous": None,
        "seq": audit_before.seq + 1}
    assert check_state(root).problems == ()


def test_production_takes_the_staged_ticket_and_reuses_its_package(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    approved_repo.promote(first, "staging")
    package = {p.name: p.read_bytes() for p in (root / PACKAGE).iterdir()}
    result = approved_repo.promote(first, "production")
    plan = result.plan
    assert plan is not None
    assert plan.gates[2] == ("staged in staging", "1.0.0 is live there")
    assert plan.gates[-1] == ("package", "exists and its checksums verify")
    assert [name for name, _ in plan.gates] == [*GATES[:2], "staged in staging", *GATES[3:]]
    assert (plan.build_package, plan.ticket_to, plan.release) == (False, "live", "initial")
    assert plan.files == [".pubflow/environments/production.yaml",
                          ".pubflow/catalog/production.json",
                          f".pubflow/tickets/{first}.yaml", ".pubflow/audit.jsonl"]
    assert changed_in(root, head(root)) == set(plan.files)
    assert {p.name: p.read_bytes() for p in (root / PACKAGE).iterdir()} == package
    assert approved_repo.state(first) is State.LIVE
    assert sorted(tags(root)) == [f"pubflow/production/{PATTERN}/1.0.0",
                                  f"pubflow/staging/{PATTERN}/1.0.0"]
    production = live_in(root, "production")
    assert production is not None and production["package"] == PACKAGE
    assert production == live_in(root, "staging")
    assert check_state(root).problems == ()


def test_promoting_what_is_already_live_does_nothing(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    approved_repo.promote(first, "staging")
    before = head(root)
    result = approved_repo.promote(first, "staging")
    assert result.plan is None and result.commits == []
    assert result.noop == f"{PATTERN} 1.0.0 ({first}) is already live in staging: nothing to do"
    assert head(root) == before and tags(root) == [f"pubflow/staging/{PATTERN}/1.0.0"]


def test_a_new_version_supersedes_the_live_one(second_repo: Repo) -> None:
    root, (first, second) = second_repo.root, second_repo.tickets
    old_package = {p.name: p.read_bytes() for p in (root / PACKAGE).iterdir()}
    plan = second_repo.promote(second, "staging").plan
    assert plan is not None
    assert (plan.release, plan.previous, plan.build_package) == ("minor", "1.0.0", True)
    assert plan.gates[6] == ("version", "1.0.0 -> 1.1.0 (minor)")
    live = live_in(root, "staging")
    assert live is not None
    assert (live["version"], live["ticket"], live["release"]) == ("1.1.0", second, "minor")
    [past] = live["history"]
    assert (past["version"], past["ticket"], past["until"], past["ended"]) == (
        "1.0.0", first, AT, "superseded")
    assert catalog(root, "staging")[PATTERN]["version"] == "1.1.0"
    assert catalog(root, "production")[PATTERN]["version"] == "1.0.0"
    assert last_audit(root)["previous"] == "1.0.0"
    assert f"pubflow/staging/{PATTERN}/1.1.0" in tags(root)
    manifest = json.loads((root / f".pubflow/releases/{PATTERN}/1.1.0" / MANIFEST_FILE)
                          .read_text())
    assert (manifest["version"], manifest["ticket"], manifest["release"]) == (
        "1.1.0", second, "minor")
    assert {p.name: p.read_bytes() for p in (root / PACKAGE).iterdir()} == old_package
    # the earlier ticket keeps its state: it is still what production runs
    assert second_repo.state(first) is State.LIVE


def test_a_tag_name_already_taken_gets_a_number(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    git(root, "tag", f"pubflow/staging/{PATTERN}/1.0.0")
    git(root, "tag", f"pubflow/staging/{PATTERN}/1.0.0-2")
    plan = approved_repo.promote(first, "staging").plan
    assert plan is not None and plan.tag == f"pubflow/staging/{PATTERN}/1.0.0-3"
    assert git(root, "rev-list", "-n", "1", plan.tag).strip() == head(root)


def test_a_failed_smoke_check_undoes_the_promotion(approved_repo: Repo,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    audit = (root / ".pubflow" / "audit.jsonl").read_bytes()
    monkeypatch.setenv("PUBFLOW_TEST_FAIL_SMOKE", "renders")
    error = approved_repo.refused(first, "staging")
    assert error.message == (f"smoke check 'renders' failed for {PATTERN} 1.0.0 in staging: "
                             "page.md is not what the pattern renders to; the promotion was "
                             "undone")
    assert not (root / ".pubflow" / "releases").exists()
    assert not (root / ".pubflow" / "environments").exists()
    assert (root / ".pubflow" / "audit.jsonl").read_bytes() == audit
    assert tags(root) == [] and approved_repo.state(first) is State.APPROVED
    monkeypatch.delenv("PUBFLOW_TEST_FAIL_SMOKE")
    assert approved_repo.promote(first, "staging").commits == [head(root)]


# --- gates --------------------------------------------------------------------------------

def test_a_ticket_that_is_not_approved_is_refused(approved_repo: Repo) -> None:
    waiting = approved_repo.tickets[1]
    error = approved_repo.refused(waiting, "staging")
    assert error.message == (f"{waiting}: gate 'ticket state' refused promotion to staging: the "
                             "ticket is ready_for_review; promotion to staging needs an approved "
                             "ticket")
    assert error.hint == f"Finish the review first (`pubflow ticket show {waiting}`)."
    assert error.exit_code == 1


def test_an_approved_ticket_cannot_skip_staging(approved_repo: Repo) -> None:
    first = approved_repo.tickets[0]
    error = approved_repo.refused(first, "production")
    assert error.message == (f"{first}: gate 'ticket state' refused promotion to production: "
                             "the ticket is approved; production takes only a ticket staged in "
                             "staging (or --release hotfix with --notes)")


def test_the_order_of_environments_comes_from_the_configuration(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    (root / "pubflow.yaml").write_text(REVIEWERS + "environments: [dev, staging, production]\n")
    git(root, "commit", "-q", "-am", "three environments")
    error = approved_repo.refused(first, "staging")
    assert "gate 'ticket state' refused promotion to staging: the ticket is approved; staging " \
           "takes only a ticket staged in dev" in error.message
    plan = approved_repo.promote(first, "dev").plan
    assert plan is not None and plan.ticket_to == "staged"
    error = approved_repo.refused(first, "production")
    assert error.message == (f"{first}: gate 'staged in staging' refused promotion to "
                             f"production: staging runs nothing of {PATTERN}, not 1.0.0 from "
                             f"{first}")
    assert error.hint == f"Promote it to staging first: pubflow promote {first} --to staging"
    plan = approved_repo.promote(first, "staging").plan
    assert plan is not None and plan.gates[2] == ("staged in dev", "1.0.0 is live there")
    assert plan.ticket_to == "staged" and not plan.build_package
    plan = approved_repo.promote(first, "production").plan
    assert plan is not None and plan.ticket_to == "live"
    assert approved_repo.state(first) is State.LIVE
    with pytest.raises(UsageError) as caught:
        approved_repo.promote(first, "moon")
    assert caught.value.message == ("unknown environment 'moon'; pubflow.yaml lists: dev, "
                                    "staging, production")
    assert caught.value.exit_code == 2


def test_a_ticket_rolled_back_in_staging_cannot_go_on_to_production(
        second_repo: Repo) -> None:
    root, second = second_repo.root, second_repo.tickets[1]
    second_repo.promote(second, "staging")
    # staging goes back to 1.0.0: the ticket staged there is rolled back with it
    rollback(load_config(root), PATTERN, "staging", "1.0.0", "not yet", False, "releng", NOW)
    assert second_repo.state(second) is State.ROLLED_BACK
    error = second_repo.refused(second, "production")
    assert error.message == (f"{second}: gate 'staged in staging' refused promotion to "
                             f"production: staging runs 1.0.0 ({second_repo.tickets[0]}) of "
                             f"{PATTERN}, not 1.1.0 from {second}")
    assert error.hint == f"Promote it to staging first: pubflow promote {second} --to staging"


@pytest.mark.parametrize("notes", [None, "  \n"])
def test_a_hotfix_needs_notes(approved_repo: Repo, notes: str | None) -> None:
    first = approved_repo.tickets[0]
    error = approved_repo.refused(first, "production", release="hotfix", notes=notes)
    assert error.message == (f"{first}: gate 'release notes' refused promotion to production: "
                             "a hotfix needs --notes saying what it fixes")


def test_a_hotfix_goes_straight_to_production(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    plan = approved_repo.promote(first, "production", release="hotfix",
                                 notes="Fixes the paging step").plan
    assert plan is not None
    assert plan.gates[2] == ("ticket state", "approved")
    assert plan.gates[6] == ("version", "nothing -> 1.0.0 (hotfix)")
    assert (plan.release, plan.ticket_to, plan.build_package) == ("hotfix", "live", True)
    assert live_in(root, "staging") is None
    live = live_in(root, "production")
    assert live is not None and live["release"] == "hotfix"
    assert "Fixes the paging step" in (root / PACKAGE / NOTES_FILE).read_text()
    assert approved_repo.state(first) is State.LIVE


def test_a_changed_pattern_file_is_refused(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    pinned = TicketStore(root).load(first).pattern.digest
    approved_repo.write(valid_pattern(name="Edited after the review"))
    git(root, "commit", "-q", "-am", "edited")
    now = hashlib.sha256((root / PATTERN_FILE).read_bytes()).hexdigest()
    error = approved_repo.refused(first, "staging")
    assert error.message == (f"{first}: gate 'pinned content' refused promotion to staging: "
                             f"{PATTERN_FILE} differs from the reviewed content (sha256 "
                             f"{now[:12]}, pinned {pinned[:12]})")
    assert error.hint == "Restore the reviewed file, or resubmit the changes for review."
    git(root, "rm", "-q", PATTERN_FILE)
    git(root, "commit", "-q", "-m", "removed")
    error = approved_repo.refused(first, "staging")
    assert error.message.endswith(f"gate 'pinned content' refused promotion to staging: "
                                  f"{PATTERN_FILE} is missing")


def test_a_pattern_that_no_longer_passes_the_checks_is_refused(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    # the reviewed bytes, unchanged, but the repository now asks more of every scorecard
    (root / "pubflow.yaml").write_text(REVIEWERS + "scorecard: {dimension_min: 5}\n")
    git(root, "commit", "-q", "-am", "stricter scorecards")
    error = approved_repo.refused(first, "staging")
    assert error.message.startswith(f"{first}: gate 'checks' refused promotion to staging: 5 "
                                    f"error(s), first: {PATTERN_FILE}:")
    assert "scores 4/5 (minimum 5)" in error.message
    assert error.hint == "Run `pubflow validate` for all."


@pytest.mark.parametrize(("release", "notes"), [("patch", None), ("major", None),
                                                ("hotfix", "a fix")])
def test_the_release_type_must_match_the_bump(second_repo: Repo, release: str,
                                              notes: str | None) -> None:
    second = second_repo.tickets[1]
    error = second_repo.refused(second, "staging", release=release, notes=notes)
    assert error.message == (f"{second}: gate 'version' refused promotion to staging: 1.0.0 -> "
                             f"1.1.0 is a minor bump, not {release}")
    assert error.hint == "Use --release minor, or set the version."


def test_the_named_release_type_is_recorded(second_repo: Repo) -> None:
    plan = second_repo.promote(second_repo.tickets[1], "staging", release="minor").plan
    assert plan is not None and plan.release == "minor"
    live = live_in(second_repo.root, "staging")
    assert live is not None and live["release"] == "minor"


@pytest.mark.parametrize("version", ["1.0.0", "0.9.0"])
def test_a_version_not_higher_than_the_live_one_is_refused(live_repo: Repo,
                                                           version: str) -> None:
    root = live_repo.root
    live_repo.write(valid_pattern(version=version, hookMarkdown="Resubmitted as it was."))
    git(root, "commit", "-q", "-am", f"pattern {version}")
    ticket = approved()
    error = live_repo.refused(ticket, "staging")
    assert error.message == (f"{ticket}: gate 'version' refused promotion to staging: {version} "
                             "is not higher than 1.0.0, live in staging")
    assert error.hint == "Raise the pattern's version and resubmit."


def test_a_package_built_from_another_ticket_is_refused(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    approved_repo.promote(first, "staging")
    rollback(load_config(root), PATTERN, "staging", None, "withdrawn", True, "releng", NOW)
    assert approved_repo.state(first) is State.DEPUBLISHED
    approved_repo.write(valid_pattern(hookMarkdown="Same version, other content."))
    git(root, "commit", "-q", "-am", "other content")
    again = approved()
    error = approved_repo.refused(again, "staging")
    assert error.message == (f"{again}: gate 'package' refused promotion to staging: {PACKAGE} "
                             f"was built from {first}, another submission of 1.0.0")
    assert error.hint == "Raise the pattern's version: a released version never changes."


def test_later_environments_keep_the_notes_the_package_was_built_with(
        approved_repo: Repo) -> None:
    first = approved_repo.tickets[0]
    approved_repo.promote(first, "staging", notes="First publication")
    error = approved_repo.refused(first, "production", notes="Something else")
    assert error.message == (f"{first}: gate 'release notes' refused promotion to production: "
                             "the package's notes were fixed when it was built for an earlier "
                             "environment; leave out --notes")
    assert approved_repo.promote(first, "production", notes="First publication").plan


def test_a_changed_package_is_refused_before_anything_is_written(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    approved_repo.promote(first, "staging")
    page = root / PACKAGE / "page.md"
    page.write_text(page.read_text() + "tampered\n")
    git(root, "commit", "-q", "-am", "tampered")
    error = approved_repo.refused(first, "production")
    assert error.message.startswith(f"{PACKAGE}/page.md: sha256 ")
    assert "does not match the manifest" in error.message
    assert error.message.endswith("the package was changed")
    assert live_in(root, "production") is None


@pytest.mark.parametrize(("options", "message"), [
    ({"release": "huge"}, "unknown release type 'huge'; choose one of major, minor, patch, "
                          "hotfix"),
    ({"canary": (50, 10, 100), "health_cmd": "true"},
     "--canary 50,10,100: weights must rise strictly between 1 and 100, e.g. 10,25,50,100"),
    ({"canary": (10, 10, 100), "health_cmd": "true"}, "--canary 10,10,100: weights must rise"),
    ({"canary": (0, 100), "health_cmd": "true"}, "--canary 0,100: weights must rise"),
    ({"canary": (10, 150), "health_cmd": "true"}, "--canary 10,150: weights must rise"),
    ({"canary": (10, 50), "health_cmd": "true"}, "--canary must end at 100 (the full rollout)"),
    ({"canary": (10, 100)}, "--canary needs --health-cmd: the check run between steps"),
    ({"health_timeout": 0.0}, "--health-timeout must be a positive number of seconds"),
])
def test_bad_options_are_usage_errors(approved_repo: Repo, options: dict[str, Any],
                                      message: str) -> None:
    root = approved_repo.root
    with pytest.raises(UsageError) as caught:
        approved_repo.promote(approved_repo.tickets[0], "staging", **options)
    assert caught.value.message.startswith(message)
    assert caught.value.exit_code == 2
    assert git(root, "status", "--porcelain") == ""


# --- canary rollouts ------------------------------------------------------------------------

def test_a_canary_commits_each_weight_and_runs_the_health_check_between(
        approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    log = root.parent / "health.log"
    check = ('echo "$PUBFLOW_PATTERN $PUBFLOW_VERSION $PUBFLOW_ENVIRONMENT $PUBFLOW_WEIGHT '
             f'$PUBFLOW_TICKET stable=$PUBFLOW_STABLE_VERSION" >> {log}')
    steps: list[str] = []
    before = head(root)
    result = approved_repo.promote(first, "staging", canary=(10, 50, 100), health_cmd=check,
                                   on_step=steps.append)
    assert result.failed_health is None
    assert log.read_text().splitlines() == [f"{PATTERN} 1.0.0 staging 10 {first} stable=",
                                            f"{PATTERN} 1.0.0 staging 50 {first} stable="]
    assert steps == [
        f"canary {PATTERN} 1.0.0: 10% of traffic in staging; running the health check",
        "health check passed at 10%",
        f"canary {PATTERN} 1.0.0: 50% of traffic in staging; running the health check",
        "health check passed at 50%"]
    assert git(root, "rev-list", "--reverse", f"{before}..HEAD").split() == result.commits
    assert len(result.commits) == 3
    subjects = [git(root, "log", "-1", "--format=%s", sha).strip() for sha in result.commits]
    assert subjects == [f"canary {PATTERN} 1.0.0 at 10% in staging ({first})",
                        f"canary {PATTERN} 1.0.0 at 50% in staging ({first})",
                        f"canary 10,50,100 {PATTERN} 1.0.0 to staging ({first}, initial)"]
    rollouts = [env_at(root, sha, "staging")["patterns"][PATTERN].get("rollout")
                for sha in result.commits]
    assert rollouts[2] is None
    assert [(r["stable"], r["canary"], r["weight"], r["ticket"]) for r in rollouts[:2]] == [
        (None, "1.0.0", 10, first), (None, "1.0.0", 50, first)]
    assert [catalog_at(root, sha, "staging")[PATTERN].get("rollout")
            for sha in result.commits] == [{"canary": "1.0.0", "weight": 10},
                                           {"canary": "1.0.0", "weight": 50}, None]
    # the package goes in with the first step; the tag only on the last commit
    assert set(PACKAGE_FILES) <= changed_in(root, result.commits[0])
    assert not any(name.startswith(".pubflow/releases") for sha in result.commits[1:]
                   for name in changed_in(root, sha))
    assert tags(root) == [f"pubflow/staging/{PATTERN}/1.0.0"]
    assert git(root, "rev-list", "-n", "1", tags(root)[0]).strip() == result.commits[2]
    kinds = [(e["kind"], e.get("weight")) for e in AuditLog(root).entries()][-3:]
    assert kinds == [("canary", 10), ("canary", 50), ("promote", None)]
    assert approved_repo.state(first) is State.STAGED
    assert git(root, "status", "--porcelain") == ""


def test_a_failing_health_check_returns_to_the_stable_version(second_repo: Repo) -> None:
    root, (first, second) = second_repo.root, second_repo.tickets
    result = second_repo.promote(
        second, "staging", canary=(25, 100),
        health_cmd='echo "error rate 7% (stable $PUBFLOW_STABLE_VERSION)" >&2; exit 3')
    assert result.failed_health == HealthResult(False, 3, "error rate 7% (stable 1.0.0)\n")
    assert len(result.commits) == 1 and result.rollback_commit == head(root)
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in staging: canary 1.1.0 -> 1.0.0 (canary 1.1.0 failed its health "
        "check at 25%: exit 3)")
    live = live_in(root, "staging")
    assert live is not None and "rollout" not in live
    assert (live["version"], live["ticket"]) == ("1.0.0", first)
    assert catalog(root, "staging")[PATTERN] == catalog(root, "production")[PATTERN]
    assert "rollout" not in catalog(root, "staging")[PATTERN]
    assert second_repo.state(second) is State.ROLLED_BACK
    entry = last_audit(root)
    assert (entry["kind"], entry["from"], entry["to"], entry["ticket"]) == (
        "rollback", "1.1.0", "1.0.0", second)
    assert not any("1.1.0" in tag for tag in tags(root))
    assert git(root, "status", "--porcelain") == ""
    # a rolled-back ticket may be promoted again; its package is already there
    plan = second_repo.promote(second, "staging").plan
    assert plan is not None and plan.gates[2] == ("ticket state", "rolled_back")
    assert not plan.build_package
    assert second_repo.state(second) is State.STAGED


def test_a_new_pattern_whose_canary_fails_is_taken_out_again(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    result = approved_repo.promote(first, "staging", canary=(50, 100),
                                   health_cmd="echo unhealthy; exit 1")
    assert result.failed_health is not None and result.failed_health.output == "unhealthy\n"
    assert git(root, "log", "-1", "--format=%s").strip() == (
        f"rollback {PATTERN} in staging: canary 1.0.0 -> nothing (canary 1.0.0 failed its "
        "health check at 50%: exit 1)")
    assert live_in(root, "staging") is None and catalog(root, "staging") == {}
    assert approved_repo.state(first) is State.ROLLED_BACK
    assert tags(root) == []


def interrupt_canary(repo: Repo, ticket: str) -> None:
    """A real `pubflow promote --canary` killed (SIGKILL) by its own health check."""
    done = run_pubflow(repo.root, "--actor", "releng", "promote", ticket, "--to", "staging",
                       "--canary", "10,100", "--health-cmd", "kill -9 $PPID")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    live = live_in(repo.root, "staging")
    assert live is not None and live["rollout"]["weight"] == 10
    assert git(repo.root, "status", "--porcelain") == ""


def test_an_interrupted_canary_resumes_when_promoted_again(second_repo: Repo) -> None:
    root, second = second_repo.root, second_repo.tickets[1]
    interrupt_canary(second_repo, second)
    result = second_repo.promote(second, "staging", canary=(10, 100), health_cmd="true")
    assert result.failed_health is None and len(result.commits) == 2
    live = live_in(root, "staging")
    assert live is not None and "rollout" not in live
    assert (live["version"], [p["version"] for p in live["history"]]) == ("1.1.0", ["1.0.0"])
    assert second_repo.state(second) is State.STAGED
    assert tags(root).count(f"pubflow/staging/{PATTERN}/1.1.0") == 1


def test_an_interrupted_canary_of_a_new_pattern_resumes_when_promoted_again(
        approved_repo: Repo) -> None:
    first = approved_repo.tickets[0]
    interrupt_canary(approved_repo, first)
    result = approved_repo.promote(first, "staging", canary=(10, 100), health_cmd="true")
    assert result.failed_health is None
    live = live_in(approved_repo.root, "staging")
    assert live is not None and "rollout" not in live


# --- an interrupted promotion --------------------------------------------------------------

def crash_promotion(repo: Repo, point: str) -> str:
    before = head(repo.root)
    done = run_pubflow(repo.root, "--actor", "releng", "promote", repo.tickets[0], "--to",
                       "staging", env={"PUBFLOW_CRASH_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert journal_path(repo.root).exists()
    return before


def test_a_promotion_first_undoes_an_interrupted_one(approved_repo: Repo) -> None:
    root, first = approved_repo.root, approved_repo.tickets[0]
    before = crash_promotion(approved_repo, "written")
    result = approved_repo.promote(first, "staging")
    assert result.recovered == (f"undid an interrupted promotion (promote {PATTERN} 1.0.0 to "
                                f"staging ({first}, initial)); run it again")
    assert git(root, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert tags(root) == [f"pubflow/staging/{PATTERN}/1.0.0"]
    assert git(root, "status", "--porcelain") == "" and not journal_path(root).exists()
    assert check_state(root).problems == ()


def test_a_dry_run_after_an_interrupted_promotion_does_not_call_it_live(
        approved_repo: Repo) -> None:
    crash_promotion(approved_repo, "written")
    result = approved_repo.promote(approved_repo.tickets[0], "staging", dry_run=True)
    assert result.noop is None
