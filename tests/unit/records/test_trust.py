"""Signed decisions on real histories: keys from ssh-keygen, commits signed by git, merges."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pubflow.records.trust import ALLOWED_SIGNERS, check_signatures, policy_from
from tests.conftest import git

PEOPLE = ("alice", "rlee", "jdoe", "mallory")
POLICY = """\
trust:
  signed: true
admins:
  - {{id: alice, email: alice@example.org}}
reviewers:
  - id: rlee
    email: RLee@Example.org{pad}
    industries: [saas]
editors:
  - {{id: jdoe, email: jdoe@example.org}}
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    found = {}
    for name in PEOPLE:
        key = folder / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                        str(key)], check=True)
        found[name] = key.with_suffix(".pub")
    return found


def signers(keys: dict[str, Path], *names: str) -> str:
    return "".join(f'{name}@example.org namespaces="git" {keys[name].read_text().strip()}\n'
                   for name in names)


def commit(repo: Path, message: str, by: Path | None) -> str:
    git(repo, "add", "-A")
    signing = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={by}"] if by else []
    git(repo, *signing, "commit", "-q", *(["-S"] if by else []), "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def decide(repo: Path, actor: str, event: str, by: Path | None) -> str:
    with (repo / ".pubflow" / "audit.jsonl").open("a") as log:
        log.write(json.dumps({"actor": actor, "kind": "ticket", "ticket": "PUB-2026-001",
                              "event": event}) + "\n")
    return commit(repo, f"{actor} {event}", by)


@pytest.fixture
def signed_repo(repo: Path, keys: dict[str, Path]) -> Path:
    """Signing adopted in one commit (signed by the first admin), then one signed decision."""
    (repo / "pubflow.yaml").write_text(POLICY.format(pad=""))
    (repo / ".pubflow").mkdir()
    (repo / ALLOWED_SIGNERS).write_text(signers(keys, "alice", "rlee", "jdoe"))
    commit(repo, "adopt signing", keys["alice"])
    decide(repo, "jdoe", "submitted", keys["jdoe"])
    return repo


def messages(repo: Path, since: str | None = None) -> list[str]:
    return [str(problem) for problem in check_signatures(repo, since)]


def test_decisions_signed_by_their_actors_pass(signed_repo: Path, keys: dict[str, Path]) -> None:
    decide(signed_repo, "rlee", "approved", keys["rlee"])
    decide(signed_repo, "RLEE@example.org ", "commented", keys["rlee"])  # by email, any case
    assert messages(signed_repo) == []


def test_a_decision_in_an_unsigned_commit(signed_repo: Path) -> None:
    sha = decide(signed_repo, "rlee", "approved", None)
    assert messages(signed_repo) == [
        f".pubflow/audit.jsonl: PUB-2026-001 approved by 'rlee' is not signed by rlee's key: "
        f'the commit is not signed (commit {sha[:7]} "rlee approved")']


def test_someone_else_signing_for_the_reviewer(signed_repo: Path, keys: dict[str, Path]) -> None:
    decide(signed_repo, "rlee", "approved", keys["jdoe"])
    decide(signed_repo, "rlee", "approved", keys["mallory"])
    found = messages(signed_repo)
    assert len(found) == 2
    assert "signed by jdoe@example.org" in found[0]
    assert f"signed with a key {ALLOWED_SIGNERS} does not list" in found[1]


def test_an_unconfigured_actor_proves_nothing(signed_repo: Path, keys: dict[str, Path]) -> None:
    decide(signed_repo, "mallory", "approved", keys["mallory"])
    assert "does not list" in messages(signed_repo)[0]


def test_widening_the_policy_needs_an_admin(signed_repo: Path, keys: dict[str, Path]) -> None:
    (signed_repo / ALLOWED_SIGNERS).write_text(signers(keys, "alice", "rlee", "jdoe", "mallory"))
    sha = commit(signed_repo, "add my key", keys["mallory"])
    decide(signed_repo, "mallory", "approved", keys["mallory"])  # listed only by that change
    found = messages(signed_repo)
    assert any(line.startswith(f"{ALLOWED_SIGNERS}: the trust policy") and sha[:7] in line
               and "does not list" in line for line in found)
    assert any("PUB-2026-001 approved by 'mallory'" in line for line in found)


def test_a_reviewer_cannot_change_the_policy(signed_repo: Path, keys: dict[str, Path]) -> None:
    (signed_repo / "pubflow.yaml").write_text(POLICY.format(pad="").replace("signed: true",
                                                                            "signed: false"))
    commit(signed_repo, "signing off", keys["rlee"])
    found = messages(signed_repo)
    assert len(found) == 1
    assert found[0].startswith("pubflow.yaml: the trust policy")
    assert "signed by rlee@example.org, who is not an admin" in found[0]


def test_rolling_the_policy_back_is_a_change(signed_repo: Path, keys: dict[str, Path]) -> None:
    (signed_repo / ALLOWED_SIGNERS).write_text(signers(keys, "alice", "rlee", "jdoe", "mallory"))
    commit(signed_repo, "mallory joins", keys["alice"])
    (signed_repo / ALLOWED_SIGNERS).write_text(signers(keys, "alice", "rlee", "jdoe"))
    commit(signed_repo, "mallory leaves", keys["alice"])
    assert messages(signed_repo) == []
    (signed_repo / ALLOWED_SIGNERS).write_text(signers(keys, "alice", "rlee", "jdoe", "mallory"))
    commit(signed_repo, "back to the older policy", keys["mallory"])
    assert "back to the older policy" in messages(signed_repo)[0]


def test_an_admin_changes_the_policy(signed_repo: Path, keys: dict[str, Path]) -> None:
    (signed_repo / "pubflow.yaml").write_text(POLICY.format(pad="   "))
    commit(signed_repo, "reformat", keys["alice"])
    decide(signed_repo, "rlee", "approved", keys["rlee"])
    assert messages(signed_repo) == []


def test_merged_branches_keep_their_own_signatures(signed_repo: Path,
                                                   keys: dict[str, Path]) -> None:
    (signed_repo / ".pubflow" / ".gitattributes").write_text("audit.jsonl merge=union\n")
    commit(signed_repo, "union merge", keys["alice"])
    git(signed_repo, "checkout", "-q", "-b", "other")
    decide(signed_repo, "rlee", "approved", keys["rlee"])
    git(signed_repo, "checkout", "-q", "main")
    decide(signed_repo, "jdoe", "routed", keys["jdoe"])
    git(signed_repo, "merge", "-q", "--no-edit", "other")  # an unsigned merge adds no decision
    assert messages(signed_repo) == []
    git(signed_repo, "checkout", "-q", "-b", "evil", "HEAD~1")
    git(signed_repo, "checkout", "-q", "main")
    with (signed_repo / ".pubflow" / "audit.jsonl").open("a") as log:
        log.write(json.dumps({"actor": "rlee", "kind": "promote", "pattern": "p",
                              "version": "9.9.9"}) + "\n")
    git(signed_repo, "add", "-A")
    git(signed_repo, "commit", "-q", "--amend", "--no-edit")  # a line first seen in the merge
    assert "promote of p 9.9.9 by 'rlee'" in messages(signed_repo)[0]


def test_since_checks_only_the_new_commits(signed_repo: Path, keys: dict[str, Path]) -> None:
    decide(signed_repo, "rlee", "approved", None)
    base = git(signed_repo, "rev-parse", "HEAD").strip()
    decide(signed_repo, "rlee", "approved", keys["rlee"])
    assert messages(signed_repo, base) == []
    assert len(messages(signed_repo)) == 1


def test_without_signing_identities_are_claimed(repo: Path) -> None:
    (repo / "pubflow.yaml").write_text("reviewers: [{id: rlee}]\n")
    (repo / ".pubflow").mkdir()
    commit(repo, "start", None)
    decide(repo, "rlee", "approved", None)
    assert messages(repo) == []


def test_a_broken_policy_trusts_nobody() -> None:
    policy = policy_from(b"trust: [unclosed", b"")
    assert policy.signed and policy.people == () and policy.admins == ()
    assert not policy_from(None, None).signed
