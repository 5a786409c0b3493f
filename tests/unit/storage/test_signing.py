"""Commit signatures as git verifies them: real keys from ssh-keygen, real signed commits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pubflow.errors import GitError
from pubflow.storage.signing import NO_SIGNERS, commit_signatures, signing_arguments
from tests.conftest import git


def make_key(folder: Path, email: str) -> Path:
    key = folder / email.split("@")[0]
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(key)],
                   check=True)
    return key.with_suffix(".pub")


def allowed(*entries: tuple[str, Path]) -> bytes:
    return "".join(f'{email} namespaces="git" {key.read_text().strip()}\n'
                   for email, key in entries).encode()


def commit(repo: Path, name: str, key: Path | None) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    if key is None:
        git(repo, "commit", "-q", "-m", name)
    else:
        git(repo, "-c", "gpg.format=ssh", "-c", f"user.signingkey={key}", "commit", "-q", "-S",
            "-m", name)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {name: make_key(folder, f"{name}@example.org") for name in ("rlee", "mallory")}


def test_a_signed_commit_names_the_principal_of_its_key(repo: Path,
                                                        keys: dict[str, Path]) -> None:
    sha = commit(repo, "a", keys["rlee"])
    found = commit_signatures(repo, [sha], allowed(("rlee@example.org", keys["rlee"])))
    assert found[sha].status == "G"
    assert found[sha].principal == "rlee@example.org"
    assert found[sha].trusted


def test_a_key_the_file_does_not_name_is_not_trusted(repo: Path, keys: dict[str, Path]) -> None:
    sha = commit(repo, "a", keys["mallory"])
    found = commit_signatures(repo, [sha], allowed(("rlee@example.org", keys["rlee"])))
    assert found[sha].status == "U"
    assert found[sha].principal is None
    assert not found[sha].trusted
    assert commit_signatures(repo, [sha], NO_SIGNERS)[sha].status == "U"


def test_a_key_listed_under_another_email_names_that_email(repo: Path,
                                                           keys: dict[str, Path]) -> None:
    """The principal comes from the allowed-signers file, not from the commit's author field."""
    sha = commit(repo, "a", keys["mallory"])
    found = commit_signatures(repo, [sha], allowed(("mallory@example.org", keys["mallory"]),
                                                    ("rlee@example.org", keys["rlee"])))
    assert found[sha].principal == "mallory@example.org"


def test_many_commits_in_one_call_and_unsigned_ones(repo: Path, keys: dict[str, Path]) -> None:
    signed = commit(repo, "a", keys["rlee"])
    unsigned = commit(repo, "b", None)
    other = commit(repo, "c", keys["mallory"])
    found = commit_signatures(repo, [other, unsigned, signed, signed],
                              allowed(("rlee@example.org", keys["rlee"])))
    assert set(found) == {signed, unsigned, other}
    assert [found[s].status for s in (signed, unsigned, other)] == ["G", "N", "U"]
    assert found[unsigned].key is None
    assert commit_signatures(repo, [], NO_SIGNERS) == {}


def test_signing_needs_a_configured_key(repo: Path, keys: dict[str, Path]) -> None:
    with pytest.raises(GitError, match="no signing key") as caught:
        signing_arguments(repo)
    assert "user.signingkey" in (caught.value.hint or "")
    git(repo, "config", "user.signingkey", str(keys["rlee"]))
    assert signing_arguments(repo) == ["-S"]


def test_an_unknown_commit_is_a_git_error(repo: Path) -> None:
    with pytest.raises(GitError, match="failed"):
        commit_signatures(repo, ["0" * 40], NO_SIGNERS)
