"""Who signed a commit, as git itself verifies it against an allowed-signers file.

pubflow never checks a signature by hand: git does (`gpg.ssh.allowedSignersFile`, SSH keys in
the format of ssh-keygen's ALLOWED SIGNERS), and this module asks it for many commits in one
`git log --no-walk` call per allowed-signers file. A verified SSH signature names its
*principal*: the email the allowed-signers line gives for that key. Which file applies to a
commit (the one in force at its parent, so that nobody widens the policy in the very commit
that uses it) is the caller's decision.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pubflow.errors import GitError

NO_SIGNERS = b""
"""An allowed-signers file that trusts nobody: signatures still verify, but name no one."""


@dataclass(frozen=True, slots=True)
class Signature:
    """git's verdict on one commit's signature."""

    status: str
    """git's `%G?`: G good and trusted, U good but the key is not allowed, B bad, X/Y expired,
    R revoked key, E cannot be checked, N not signed."""
    principal: str | None
    """For a good SSH signature, the principal its allowed-signers line names (an email)."""
    key: str | None
    """The signing key's fingerprint, when git could read one."""

    @property
    def trusted(self) -> bool:
        """Signed by a key that the allowed-signers file names (status G)."""
        return self.status == "G" and bool(self.principal)


def commit_signatures(root: Path, commits: Iterable[str],
                      allowed_signers: bytes) -> dict[str, Signature]:
    """Each commit's signature as verified against `allowed_signers` (the file's bytes)."""
    wanted = list(dict.fromkeys(commits))
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="pubflow-signers-") as folder:
        signers = Path(folder) / "allowed_signers"
        signers.write_bytes(allowed_signers)
        output = _git(root, "-c", f"gpg.ssh.allowedSignersFile={signers}", "log",
                      "--no-walk=unsorted", "--format=%H%x00%G?%x00%GS%x00%GF%x00",
                      "--stdin", stdin="\n".join(wanted) + "\n")
    found: dict[str, Signature] = {}
    for record in output.split("\x00\n"):
        fields = record.strip("\n").split("\x00")
        if len(fields) < 4:
            continue
        sha, status, principal, key = fields[:4]
        found[sha] = Signature(status or "N", principal or None, key or None)
    return found


def signing_arguments(root: Path) -> list[str]:
    """What `git commit` needs to sign with the actor's own git configuration: `-S`, or a
    `GitError` saying what to set when no signing key is configured."""
    key = _git(root, "config", "--get", "user.signingkey", check=False).strip()
    if not key:
        raise GitError("signed commits are required (trust.signed in pubflow.yaml), but git "
                       "has no signing key for you",
                       hint="Set one: git config user.signingkey ~/.ssh/id_ed25519.pub and "
                            "git config gpg.format ssh (or a GPG key id).")
    return ["-S"]


def _git(root: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True,
                              text=True, env=env, check=False)
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH") from exc
    if check and done.returncode != 0:
        raise GitError(f"`git {' '.join(args[:3])}` failed (exit {done.returncode}): "
                       f"{done.stderr.strip()}")
    return done.stdout
