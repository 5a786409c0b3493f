"""`pubflow rollback`: back to the previous (or a named) release, or out of the environment.

The target's package is verified against its manifest first: a rollback never goes to
something that is not exactly what was released. Only the environment file, its catalog, the
ticket and the audit log change, in one commit, so it takes a fraction of a second however
many patterns and releases the repository holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.config import Config
from pubflow.errors import GateRefused, InputError, UsageError
from pubflow.records.environments import (
    Environment,
    LiveEntry,
    catalog_entry,
    check_environment_name,
    load_environment,
    state_files,
)
from pubflow.records.states import TRANSITIONS, State
from pubflow.records.store import TicketStore, check_schema
from pubflow.records.tickets import TICKET_ID, Ticket, utc_text
from pubflow.records.transaction import Change, apply, recover
from pubflow.release import package as pkg
from pubflow.storage.yaml import dump_yaml


@dataclass(frozen=True, slots=True)
class RollbackResult:
    pattern: str
    environment: str
    from_version: str
    to_version: str | None  # None: depublished
    commit: str
    recovered: str | None = None
    deliveries: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()
    """What a depublication leaves pointing at nothing: live patterns that name it."""


def rollback(config: Config, pattern_id: str, environment: str, to_version: str | None,
             reason: str | None, depublish: bool, actor: str, now: datetime, *,
             expect: str | None = None) -> RollbackResult:
    """`expect`: roll back only while this version is what runs (a canary's version while
    one is under way); a watch uses it, so it never rolls back a release that came after."""
    check_environment_name(environment, config.environments)
    named = to_version is not None and not _is_version(to_version)
    if to_version is not None and (not named or _path_like(to_version)):
        _check_version(to_version)  # a version, never a path (a name has no / or leading .)
    refused = refuse_actor(config, actor, environment, "roll back in")
    if refused is not None:
        raise GateRefused(f"{pattern_id}: rollback in {environment} refused: {refused}",
                          hint="Ask a promoter of this environment, or have an admin add you "
                               "to its `promoters` in pubflow.yaml.")
    root = config.root
    why = (reason or "").strip() or "no reason given"
    with TicketStore(root).locked():
        recovered = recover(root)
        env = load_environment(root, environment)
        live = env.live(pattern_id)
        if live is None:
            raise GateRefused(f"{pattern_id} is not live in {environment}",
                              hint="`pubflow status` shows what runs where.")
        current = str(live.version)
        running = str(live.rollout.canary) if live.rollout is not None else current
        if expect is not None and running != expect:
            raise GateRefused(f"{pattern_id}: {environment} runs {running} now, not {expect}: "
                              "not rolled back")
        if named and to_version is not None:
            to_version = _version_named(live, environment, to_version)
        ticket = _ticket(root, str(live.ticket))
        warnings: tuple[str, ...] = ()
        if depublish:
            change = _depublish(config, env, pattern_id, ticket, actor, now, why)
            target = None
            warnings = _pointing_at(root, env, pattern_id)
        elif live.rollout is not None:
            rollout = live.rollout
            if to_version not in (None, rollout.stable):
                back = (f"its stable version {rollout.stable}" if rollout.stable is not None
                        else f"nothing ({pattern_id} was new in {environment})")
                raise GateRefused(f"{pattern_id}: a canary of {rollout.canary} is under "
                                  f"way in {environment}; it can only go back to {back}",
                                  hint=f"pubflow rollback {pattern_id} --env {environment}")
            canary_ticket = _ticket(root, str(rollout.ticket or live.ticket))
            change = restore_stable(config, env, pattern_id, canary_ticket, actor, now,
                                    f"canary {rollout.canary} stopped: {why}")
            current, target = str(rollout.canary), rollout.stable
        else:
            target = to_version or previous_release(live)
            if target is None:
                raise GateRefused(f"{pattern_id}: no earlier release in {environment} to roll "
                                  "back to", hint="Use --depublish to take it out instead.")
            if target == current:
                raise GateRefused(f"{pattern_id} {target} is already live in {environment}")
            change = _switch(config, env, pattern_id, target, ticket, actor, now, why)
        sha = apply(root, change, sign=config.signed_commits)
    from pubflow.notify import events

    told = events.rolled_back(config, pattern_id, environment, current, target, why, ticket, now)
    return RollbackResult(pattern_id, environment, current, target, sha, recovered, tuple(told),
                          warnings)


def _pointing_at(root: Path, env: Environment, pattern_id: str) -> tuple[str, ...]:
    """Live patterns in `env` whose packaged `relatedPatterns` name `pattern_id`."""
    found = []
    for other, entry in sorted(env.patterns.items()):
        if other == pattern_id:
            continue
        document = _packaged(root, other, str(entry.version)) or {}
        if pattern_id in (document.get("relatedPatterns") or []):
            found.append(f"{other} {entry.version} (live in {env.name}) still names "
                         f"{pattern_id} in relatedPatterns")
    return tuple(found)


def refuse_actor(config: Config, actor: str, environment: str, what: str) -> str | None:
    """Why `actor` may not promote to or roll back in `environment` (None: they may)."""
    if config.may_promote(actor, environment):
        return None
    listed = config.rule(environment).promoters
    who = (f"only {', '.join(listed)} may {what} {environment}" if listed is not None
           else f"only the promoters (and admins) in pubflow.yaml may {what} {environment}")
    if not config.is_configured(actor):
        return f"'{actor}' is not configured in pubflow.yaml; {who}"
    return f"'{actor}' is not a promoter of {environment}; {who}"


def _ticket(root: Path, ticket_id: str) -> Ticket | None:
    """The ticket a release names, refused when its history does not verify."""
    from pubflow.records.verify import history_problems

    store = TicketStore(root)
    if not TICKET_ID.match(ticket_id) or not store.exists(ticket_id):
        return None
    ticket = store.load(ticket_id)
    broken = [p for p in history_problems(ticket) if p.kind == "broken"]
    if broken:
        raise GateRefused(f"{ticket.id}: the ticket's history does not verify ({len(broken)} "
                          f"problem(s)), first: {broken[0]}",
                          hint=f"Run `pubflow ticket verify {ticket.id}` and restore the "
                               "ticket file from git before rolling back.")
    return ticket


def _path_like(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith(".")


def _is_version(text: str) -> bool:
    from pubflow.release.versions import parse

    try:
        parse(text)
    except InputError:
        return False
    return True


def _version_named(live: LiveEntry, environment: str, name: str) -> str:
    """The version of the release `promote --name` called `name` in this environment (the
    newest, when a name was used twice); refused for a name no release has, or for text that
    could be a path."""
    releases: list[tuple[str, Any]] = [(str(live.version), live.document.get("name")),
                                        *((str(p.version), p.document.get("name"))
                                          for p in live.history)]
    for version, called in (releases[0], *reversed(releases[1:])):
        if called == name:
            return str(version)
    known = [str(called) for _v, called in releases if called]
    raise GateRefused(f"--to {name}: no release in {environment} is called that",
                      hint=f"Named releases there: {', '.join(known)}." if known else
                      "Give a version, e.g. --to 1.2.0; `promote --name` names a release.")


def _check_version(to_version: str) -> None:
    """`--to` names a release by its version, never a path or anything else."""
    from pubflow.release.versions import parse

    try:
        parse(to_version)
    except InputError:
        raise UsageError(f"--to {to_version!r} is not a version; give the release to go "
                         "back to by its version, e.g. --to 1.2.0",
                         hint="`pubflow status` lists each pattern's live version; the "
                              "environment file lists the earlier ones.") from None


def previous_release(live: LiveEntry) -> str | None:
    """The release before this one: the newest earlier version whose last time live did not
    end in a rollback (a version rolled back once and brought back later counts by its later
    record), so rollbacks in a row walk back through the releases and never return to one
    just rolled back."""
    last = {str(past.version): index for index, past in enumerate(live.history)}
    for index in range(len(live.history) - 1, -1, -1):
        past = live.history[index]
        version = str(past.version)
        if version == str(live.version) or last[version] != index:
            continue
        if past.ended != "rolled_back":
            return version
    return None


def _switch(config: Config, env: Environment, pattern_id: str, target: str,
            ticket: Ticket | None, actor: str, now: datetime, reason: str) -> Change:
    """Another release live: back to an earlier one (the current one ends `rolled_back`) or,
    with `--to` a newer one, forward (it ends `superseded`: it was not bad); the target's
    ticket is live (or staged) again when a rollback had ended it."""
    from pubflow.release.versions import bump_kind

    root = config.root
    manifest = pkg.verify_package(root, pattern_id, target)
    live = env.patterns[pattern_id]
    forward = bump_kind(str(live.version), target) is not None
    how = "superseded" if forward else "rolled_back"
    history = [*live.history, live.ended(utc_text(now), how, reason)]
    entry = LiveEntry.released(
        version=target, digest=str(manifest.get("sourceDigest")),
        ticket=str(manifest.get("ticket")), release=str(manifest.get("release")), by=actor,
        at=utc_text(now), package=pkg.package_rel(pattern_id, target), history=history)
    env = env.with_live(pattern_id, entry)
    document = _packaged(root, pattern_id, target) or {"id": pattern_id}
    files = state_files(config.root, env, pattern_id, catalog_entry(document, entry))
    message = f"rollback {pattern_id} in {env.name}: {live.version} -> {target} ({reason})"
    files.update(_ticket_files(config, env, ticket, State.LIVE if forward else State.ROLLED_BACK,
                               actor, now, f"{'superseded by' if forward else 'rolled back to'} "
                                           f"{target} in {env.name}: {reason}"))
    brought_back = _ticket(root, str(manifest.get("ticket")))
    restored = {} if brought_back is None or (ticket is not None and brought_back.id == ticket.id) \
        else _restored(config, env, brought_back, target, actor, now, reason)
    files.update(restored)
    audit: list[dict[str, Any]] = [{
        "at": utc_text(now), "actor": actor, "kind": "rollback", "pattern": pattern_id,
        "environment": env.name, "from": live.version, "to": target, "ticket": live.ticket,
        "reason": reason}]
    if restored and brought_back is not None:
        audit[0]["restored"] = brought_back.id
    if forward:
        audit[0]["ended"] = "superseded"
    return Change("rollback", files, message, audit)


def _restored(config: Config, env: Environment, ticket: Ticket, version: str, actor: str,
              now: datetime, reason: str) -> dict[str, bytes]:
    """The ticket of a release brought back: live (staged, before the last environment)
    again when a rollback had ended it; otherwise it keeps its state."""
    if ticket.state is not State.ROLLED_BACK:
        return {}
    target = State.LIVE if env.name == config.environments[-1] else State.STAGED
    ticket.transition(target, actor=actor, event="restored", now=now,
                      reason=f"{version} live again in {env.name}: {reason}",
                      environment=env.name, version=version)
    rel = ticket.path.relative_to(config.root).as_posix()
    check_schema(ticket.doc, rel)
    return {rel: dump_yaml(ticket.doc)}


def restore_stable(config: Config, env: Environment, pattern_id: str, ticket: Ticket | None,
                   actor: str, now: datetime, reason: str) -> Change:
    """End a canary: the stable version again (or nothing, for a pattern that was new)."""
    live = env.patterns[pattern_id]
    rollout = live.rollout
    canary = rollout.canary if rollout is not None else None
    stable = rollout.stable if rollout is not None else None
    entry = None if stable is None else live.without_rollout()
    env = env.with_live(pattern_id, entry)
    document = None if entry is None else _packaged(config.root, pattern_id, str(entry.version))
    files = state_files(config.root, env, pattern_id,
                       None if entry is None or document is None else catalog_entry(document,
                                                                                    entry))
    files.update(_ticket_files(config, env, ticket, State.ROLLED_BACK, actor, now, reason,
                               canary=True))
    audit = [{"at": utc_text(now), "actor": actor, "kind": "rollback", "pattern": pattern_id,
              "environment": env.name, "from": canary, "to": stable,
              "ticket": rollout.ticket if rollout is not None else None, "reason": reason}]
    return Change("rollback", files, f"rollback {pattern_id} in {env.name}: canary {canary} -> "
                  f"{stable or 'nothing'} ({reason})", audit)


def _depublish(config: Config, env: Environment, pattern_id: str, ticket: Ticket | None,
               actor: str, now: datetime, reason: str) -> Change:
    live = env.patterns[pattern_id]
    env = env.depublished(pattern_id, utc_text(now), actor, reason)
    files = state_files(config.root, env, pattern_id, None)
    files.update(_ticket_files(config, env, ticket, State.DEPUBLISHED, actor, now,
                               f"depublished from {env.name}: {reason}"))
    audit = [{"at": utc_text(now), "actor": actor, "kind": "depublish", "pattern": pattern_id,
              "environment": env.name, "from": live.version, "ticket": live.ticket,
              "reason": reason}]
    return Change("depublish", files, f"depublish {pattern_id} {live.version} from "
                  f"{env.name} ({reason})", audit)


def _packaged(root: Path, pattern_id: str, version: str) -> dict[str, Any] | None:
    try:
        data = json.loads((pkg.package_dir(root, pattern_id, version) / pkg.PATTERN_FILE)
                          .read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _ticket_files(config: Config, env: Environment, ticket: Ticket | None, target: State,
                  actor: str, now: datetime, reason: str, *,
                  canary: bool = False) -> dict[str, bytes]:
    """The ticket moves to `target` when this environment is where its state comes from (the
    last environment for a live ticket, an earlier one for a staged ticket, any for the
    ticket of a canary); otherwise the change is recorded as an `environment` event that
    keeps the state."""
    if ticket is None:
        return {}
    last = env.name == config.environments[-1]
    state = ticket.state
    owns_state = canary or (state is State.LIVE and last) or (
        state is State.STAGED and not last)
    if owns_state and target in TRANSITIONS[state]:
        ticket.transition(target, actor=actor, event=target.value.replace("_", "-"), now=now,
                          reason=reason, environment=env.name)
    else:
        from pubflow.records.tickets import append_event

        append_event(ticket.doc, actor=actor, event="environment", from_state=state, to=state,
                     now=now, reason=reason, environment=env.name)
    rel = ticket.path.relative_to(config.root).as_posix()
    check_schema(ticket.doc, rel)
    return {rel: dump_yaml(ticket.doc)}
