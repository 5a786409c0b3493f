"""Who acted is proven, not claimed: every decision sits in a commit its actor signed.

With `trust: {signed: true}` in `pubflow.yaml`, people's signing keys live in
`.pubflow/allowed_signers` (git's format: an email, then an SSH public key). Every audit entry
(a ticket event, a promotion, a canary step, a rollback) is a decision, and git says which
commit added each line of the audit log (`git blame`: a line two branches appended keeps its
own commit through the union merge). That commit's signature must verify, against the
allowed signers *as of its parent*, for a key whose principal is the email of the person the
entry names.

The policy itself (the allowed signers, and the people, permissions and trust settings of
`pubflow.yaml`) may change only in a commit signed by an admin as of the parent commit; a merge
that only brings in one parent's policy changes nothing. So nobody can widen the policy, or
roll it back to an older one, in the very commit that uses it. While the parent's policy does
not ask for signatures, identities are claimed (like git's author field) and nothing here
applies: that is how a team adopts signing (one commit turns it on, with the first admin's key).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.config import Person, same_email
from pubflow.errors import InputError
from pubflow.records.audit import AUDIT_FILE
from pubflow.storage import signing
from pubflow.storage.yaml import load_yaml, to_plain

ALLOWED_SIGNERS = ".pubflow/allowed_signers"
CONFIG_FILE = "pubflow.yaml"
POLICY_KEYS = ("trust", "reviewers", "editors", "promoters", "admins", "environments")
"""The parts of pubflow.yaml that say who may do what."""
_PEOPLE_KEYS = ("reviewers", "editors", "promoters", "admins")


@dataclass(frozen=True, slots=True)
class Policy:
    """The trust policy in force at one commit."""

    signed: bool
    people: tuple[Person, ...]
    admins: tuple[Person, ...]
    fingerprint: str
    """The policy parts of pubflow.yaml and the allowed signers, to tell a change."""
    signers: bytes


@dataclass(frozen=True, slots=True)
class TrustProblem:
    file: str
    message: str
    commit: str
    subject: str
    ticket: str | None = None
    """The ticket whose decision is not proven; None for a policy change."""

    def __str__(self) -> str:
        return f'{self.file}: {self.message} (commit {self.commit[:7]} "{self.subject}")'


UNSIGNED = Policy(False, (), (), "", b"")
"""Before pubflow.yaml asks for signatures (or before there is one)."""


def policy_from(config: bytes | None, signers: bytes | None) -> Policy:
    """The policy a revision's pubflow.yaml and allowed signers make. A pubflow.yaml that does
    not parse asks for signatures and trusts nobody: a broken policy never opens the door."""
    raw: Any = {}
    if config:
        try:
            raw = to_plain(load_yaml(config.decode("utf-8"), CONFIG_FILE, round_trip=False))
        except (InputError, UnicodeDecodeError):
            return Policy(True, (), (), "unreadable", signers or b"")
    if not isinstance(raw, dict):
        return Policy(True, (), (), "unreadable", signers or b"")
    trust = raw.get("trust")
    signed = isinstance(trust, dict) and trust.get("signed") is True
    people = tuple(person for key in _PEOPLE_KEYS for person in _people(raw.get(key)))
    fingerprint = json.dumps({key: raw.get(key) for key in POLICY_KEYS}, sort_keys=True,
                             default=str)
    return Policy(signed, people, _people(raw.get("admins")), fingerprint, signers or b"")


def _people(raw: Any) -> tuple[Person, ...]:
    found: list[Person] = []
    for entry in raw if isinstance(raw, list) else ():
        if isinstance(entry, str):
            found.append(Person(entry.strip()))
        elif isinstance(entry, dict) and entry.get("id") is not None:
            email = entry.get("email")
            found.append(Person(str(entry["id"]), email if isinstance(email, str) else None))
    return tuple(found)


def check_signatures(root: Path, since: str | None = None) -> list[TrustProblem]:
    """Every decision and policy change in `since..HEAD` (default: all of history) made by
    someone the policy of its parent commit says may make it, proven by their signature."""
    policy_commits = signing.commits_touching(root, [CONFIG_FILE, ALLOWED_SIGNERS], since)
    changers = signing.commit_info(root, policy_commits)
    around = {"HEAD", *policy_commits, *(p for c in changers.values() for p in c.parents)}
    if not any(policy.signed for policy in _policies(root, around).values()):
        return []  # no policy in the range asks for signatures: identities are claimed
    origins = _decisions(root, since)
    info = signing.commit_info(root, [sha for sha, _ in origins] + policy_commits)
    revisions = {parent for commit in info.values() for parent in commit.parents}
    revisions.update(policy_commits)
    policies = _policies(root, revisions)
    problems: list[TrustProblem] = []
    checked = _signatures(root, [(sha, _base(info[sha], policies)) for sha, _ in origins]
                          + [(sha, _base(info[sha], policies)) for sha in policy_commits])
    for sha, line in origins:
        commit, base = info[sha], _base(info[sha], policies)
        if not base.signed:
            continue
        entry = _entry(line)
        actor = str(entry.get("actor", "")) if entry else ""
        problem = _not_by(actor, base, checked[sha])
        if problem:
            ticket = entry.get("ticket") if entry else None
            problems.append(TrustProblem(AUDIT_FILE, f"{_describe(entry)} by '{actor}' "
                                         f"is not signed by {actor}'s key: {problem}",
                                         sha, commit.subject,
                                         ticket if isinstance(ticket, str) else None))
    for sha in policy_commits:
        commit = info[sha]
        base = _base(commit, policies)
        mine = policies[sha]
        if not base.signed or any(_same(mine, policies[p]) for p in commit.parents):
            continue
        admins = Policy(True, base.admins, base.admins, "", base.signers)
        problem = _not_by(None, admins, checked[sha])
        if problem:
            changed = [name for name, differs in (
                (ALLOWED_SIGNERS, mine.signers != base.signers),
                (CONFIG_FILE, mine.fingerprint != base.fingerprint)) if differs]
            problems.append(TrustProblem(", ".join(changed) or CONFIG_FILE,
                                         "the trust policy (allowed signers, people, "
                                         "permissions) was changed without an admin's "
                                         f"signature: {problem}", sha, commit.subject))
    return problems


def unproven_decisions(root: Path, ticket_id: str) -> list[TrustProblem]:
    """What keeps a ticket's decisions from being proven: its own unsigned or wrongly signed
    decisions, and any policy change made without an admin (the keys cannot be trusted)."""
    return [problem for problem in check_signatures(root)
            if problem.ticket in (ticket_id, None)]


def _decisions(root: Path, since: str | None) -> list[tuple[str, str]]:
    if signing.files_at(root, [f"HEAD:{AUDIT_FILE}"])[f"HEAD:{AUDIT_FILE}"] is None:
        return []
    return [(sha, line) for sha, line in signing.line_origins(root, AUDIT_FILE, since)
            if line.strip()]


def _policies(root: Path, revisions: Iterable[str]) -> dict[str, Policy]:
    revisions = list(revisions)
    files = signing.files_at(root, [f"{rev}:{name}" for rev in revisions
                                    for name in (CONFIG_FILE, ALLOWED_SIGNERS)])
    return {rev: policy_from(files[f"{rev}:{CONFIG_FILE}"], files[f"{rev}:{ALLOWED_SIGNERS}"])
            for rev in revisions}


def _base(commit: signing.CommitInfo, policies: dict[str, Policy]) -> Policy:
    """The policy a commit is judged by: its first parent's (none for a root commit)."""
    return policies[commit.parents[0]] if commit.parents else UNSIGNED


def _same(a: Policy, b: Policy) -> bool:
    return a.fingerprint == b.fingerprint and a.signers == b.signers


def _signatures(root: Path, wanted: list[tuple[str, Policy]]) -> dict[str, signing.Signature]:
    """Each commit's signature, verified against the allowed signers of its base policy."""
    by_signers: dict[bytes, list[str]] = {}
    for sha, base in wanted:
        if base.signed:
            by_signers.setdefault(base.signers, []).append(sha)
    checked: dict[str, signing.Signature] = {}
    for signers, shas in by_signers.items():
        checked.update(signing.commit_signatures(root, shas, signers))
    return checked


def _not_by(actor: str | None, policy: Policy, signature: signing.Signature) -> str | None:
    """Why `signature` is not a signature of `actor` (None: of one of `policy.admins`) under
    `policy`, or None when it is."""
    if signature.status == "N":
        return "the commit is not signed"
    if signature.status == "B":
        return "its signature does not verify"
    if not signature.trusted:
        return f"signed with a key {ALLOWED_SIGNERS} does not list"
    principal = signature.principal or ""
    if actor is None:
        if any(same_email(principal, admin.email) for admin in policy.admins):
            return None
        return f"signed by {principal}, who is not an admin"
    person = next((p for p in policy.people if p.matches(actor)), None)
    emails = [person.email] if person is not None and person.email else []
    if "@" in actor:
        emails.append(actor)
    if any(same_email(principal, email) for email in emails):
        return None
    return f"signed by {principal}"


def _entry(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def _describe(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "an unreadable entry"
    kind = entry.get("kind")
    if kind == "ticket":
        return f"{entry.get('ticket')} {entry.get('event')}"
    return f"{kind} of {entry.get('pattern')} {entry.get('version') or ''}".rstrip()
