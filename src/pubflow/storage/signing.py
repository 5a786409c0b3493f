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


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    subject: str


def commit_info(root: Path, commits: Iterable[str]) -> dict[str, CommitInfo]:
    """Parents and subject of each commit, in one `git log` call."""
    wanted = list(dict.fromkeys(commits))
    if not wanted:
        return {}
    output = _git(root, "log", "--no-walk=unsorted", "--format=%H%x00%P%x00%s%x00", "--stdin",
                  stdin="\n".join(wanted) + "\n")
    found: dict[str, CommitInfo] = {}
    for record in output.split("\x00\n"):
        fields = record.strip("\n").split("\x00")
        if len(fields) >= 3:
            found[fields[0]] = CommitInfo(fields[0], tuple(fields[1].split()), fields[2])
    return found


def commits_touching(root: Path, paths: list[str], since: str | None) -> list[str]:
    """Every commit (merges too) that changed one of `paths`, newest first; with `since`, only
    the commits after it (`since..HEAD`)."""
    span = [f"{since}..HEAD"] if since else ["HEAD"]
    output = _git(root, "log", "--format=%H", "--full-history", "-m", *span, "--", *paths)
    return list(dict.fromkeys(output.split()))


def line_origins(root: Path, path: str, since: str | None) -> list[tuple[str, str]]:
    """(commit, line) for each line of `path` at HEAD, the commit being the one that added
    it (`git blame`: lines two branches appended keep their own commits through a union
    merge; a line first seen in a merge belongs to the merge). With `since`, only the lines
    added after it."""
    span = f"{since}..HEAD" if since else "HEAD"
    output = _git(root, "blame", "--line-porcelain", "--root", span, "--", path)
    origins: list[tuple[str, str]] = []
    sha, boundary = "", False
    for line in output.split("\n"):
        if line.startswith("\t"):
            if not boundary:
                origins.append((sha, line[1:]))
            sha, boundary = "", False
        elif not sha:
            sha = line.split(" ", 1)[0]
        elif line == "boundary":
            boundary = True
    return origins


def files_at(root: Path, specs: Iterable[str]) -> dict[str, bytes | None]:
    """The content of each `rev:path`, None where that revision has no such file."""
    wanted = list(dict.fromkeys(specs))
    if not wanted:
        return {}
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(["git", "cat-file", "--batch"], cwd=root, capture_output=True,
                          input=("\n".join(wanted) + "\n").encode(), env=env, check=False)
    if done.returncode != 0:
        raise GitError(f"`git cat-file --batch` failed (exit {done.returncode}): "
                       f"{done.stderr.decode(errors='replace').strip()}")
    out, at = done.stdout, 0
    found: dict[str, bytes | None] = {}
    for spec in wanted:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[spec] = out[at:at + size]
            at += size + 1
        else:  # "<spec> missing", or not a file
            found[spec] = None
            if len(header) == 3:
                at += int(header[2]) + 1
    return found
