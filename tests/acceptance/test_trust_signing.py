"""Signed decisions end to end (issue 14, item 3): pubflow signs its commits with the actor's
own git key, and `pubflow verify` proves who acted. Real keys from ssh-keygen, real signatures
made and checked by git, the real CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import invoke, setup_repo
from tests.conftest import git

PEOPLE = {"alice": "alice@example.org", "jdoe": "jane.doe@example.org",
          "editor": "editor@example.org", "rlee": "r.lee@example.org",
          "releng": "releng@example.org", "mallory": "mallory@example.org"}
CONFIG = """\
trust:
  signed: true
admins:
  - {id: alice, email: alice@example.org}
reviewers:
  - {id: rlee, email: r.lee@example.org, industries: [saas, telecom]}
  - {id: jdoe, email: jane.doe@example.org, industries: [saas, telecom]}
editors:
  - {id: editor, email: editor@example.org}
promoters:
  - {id: releng, email: releng@example.org}
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    for name in PEOPLE:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", PEOPLE[name],
                        "-f", str(folder / name)], check=True)
    return {name: folder / f"{name}.pub" for name in PEOPLE}


def as_person(repo: Path, keys: dict[str, Path], name: str) -> None:
    """The git signing configuration of whoever sits at this clone now."""
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingkey", str(keys[name]))


def act(repo: Path, keys: dict[str, Path], actor: str, *args: str,
        key: str | None = None) -> tuple[int, str, str]:
    as_person(repo, keys, key or actor)
    return invoke("--actor", actor, *args)


@pytest.fixture
def signed(repo: Path, write_pattern: Callable[..., Path], keys: dict[str, Path]) -> Path:
    """Signing adopted in one commit (the policy and the keys together), by the first admin."""
    setup_repo(repo, write_pattern, config=CONFIG.replace("trust:\n  signed: true\n", ""))
    (repo / "pubflow.yaml").write_text(CONFIG)
    (repo / ".pubflow").mkdir(exist_ok=True)
    (repo / ".pubflow" / "allowed_signers").write_text("".join(
        f'{PEOPLE[name]} namespaces="git" {keys[name].read_text().strip()}\n'
        for name in ("alice", "jdoe", "editor", "rlee", "releng")))
    as_person(repo, keys, "alice")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-S", "-m", "adopt signed decisions")
    return repo


def review_flow(repo: Path, keys: dict[str, Path], reviewer_key: str = "rlee") -> str:
    code, out, err = act(repo, keys, "jdoe", "ticket", "create", "incident-escalation")
    assert code == 0, out + err
    ticket_id = out.strip().splitlines()[-1]
    code, out, err = act(repo, keys, "editor", "ticket", "route", ticket_id, "--reviewer", "rlee")
    assert code == 0, out + err
    code, out, err = act(repo, keys, "rlee", "ticket", "review", ticket_id, "--decision",
                         "approve", key=reviewer_key)
    assert code == 0, out + err
    return ticket_id


def test_signed_decisions_verify(signed: Path, keys: dict[str, Path]) -> None:
    review_flow(signed, keys)
    for back in range(3):  # create, route, review: each commit carries an SSH signature
        assert "gpgsig -----BEGIN SSH SIGNATURE-----" in git(signed, "cat-file", "commit",
                                                             f"HEAD~{back}")
    code, out, err = invoke("verify")
    assert code == 0, out + err
    assert "claimed, not proven" not in err


def test_a_review_signed_with_someone_elses_key(signed: Path, keys: dict[str, Path]) -> None:
    """`--actor rlee` no longer makes anyone rlee: the commit carries the signer's key."""
    ticket_id = review_flow(signed, keys, reviewer_key="editor")
    code, out, _err = invoke("verify")
    assert code == 1
    assert (f"{ticket_id} reviewed by 'rlee' is not signed by rlee's key: signed by "
            "editor@example.org") in out


def test_a_key_nobody_listed(signed: Path, keys: dict[str, Path]) -> None:
    review_flow(signed, keys, reviewer_key="mallory")
    code, out, _err = invoke("verify")
    assert code == 1
    assert "signed with a key .pubflow/allowed_signers does not list" in out


def test_listing_your_own_key_takes_an_admin(signed: Path, keys: dict[str, Path]) -> None:
    signers = signed / ".pubflow" / "allowed_signers"
    signers.write_text(signers.read_text() + f'r.lee@example.org namespaces="git" '
                                             f'{keys["mallory"].read_text().strip()}\n')
    as_person(signed, keys, "mallory")
    git(signed, "commit", "-q", "-S", "-am", "one more key for rlee")
    review_flow(signed, keys, reviewer_key="mallory")
    code, out, _err = invoke("verify")
    assert code == 1
    assert ".pubflow/allowed_signers: the trust policy" in out
    assert "one more key for rlee" in out


def test_pubflow_will_not_commit_unsigned(signed: Path, keys: dict[str, Path]) -> None:
    git(signed, "config", "--unset", "user.signingkey")
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code != 0
    assert "no signing key" in out + err and "user.signingkey" in out + err
    assert git(signed, "status", "--porcelain") == ""


def test_without_signing_verify_says_identities_are_claimed(
        repo: Path, write_pattern: Callable[..., Path]) -> None:
    setup_repo(repo, write_pattern)
    code, out, err = invoke("verify")
    assert code == 0, out + err
    assert "identities are claimed, not proven" in err


def test_promotion_needs_proven_decisions(signed: Path, keys: dict[str, Path]) -> None:
    ticket_id = review_flow(signed, keys, reviewer_key="editor")
    code, out, err = act(signed, keys, "releng", "promote", ticket_id, "--to", "staging")
    assert code == 1
    assert f"{ticket_id}: gate 'signatures' refused promotion to staging" in out + err
    assert "not signed by rlee's key" in out + err


def test_a_signed_promotion_verifies(signed: Path, keys: dict[str, Path]) -> None:
    ticket_id = review_flow(signed, keys)
    code, out, err = act(signed, keys, "releng", "promote", ticket_id, "--to", "staging")
    assert code == 0, out + err
    assert "gpgsig -----BEGIN SSH SIGNATURE-----" in git(signed, "cat-file", "commit", "HEAD")
    tag = git(signed, "tag", "--list", "pubflow/*").split()[0]
    assert "-----BEGIN SSH SIGNATURE-----" in git(signed, "cat-file", "tag", tag)
    code, out, err = invoke("verify")
    assert code == 0, out + err
    code, out, err = act(signed, keys, "releng", "rollback", "incident-escalation", "--env",
                         "staging", "--depublish", key="jdoe")
    assert code == 0, out + err
    code, out, _err = invoke("verify")
    assert code == 1
    assert "depublish" in out and "is not signed by releng's key: signed by jane.doe" in out
