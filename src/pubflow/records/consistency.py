"""The committed files agree with each other: tickets, audit log, environments, catalogs, tags.

- Every ticket event has its audit entry and every audit entry its event: a ticket-workflow
  event by its hash (`eventHash`), a promotion or rollback by ticket, environment, time and
  actor. Events the merge machinery writes (`merged`, `renumbered`) have none.
- Each environment file's live versions, rollouts and history (versions and how each ended)
  are what replaying the audit log's promotions, canary steps, rollbacks and depublications
  produces; each catalog lists exactly the live patterns at their versions and canaries.
- A release tag `pubflow/<env>/<pattern>/<version>` points at the commit that recorded that
  promotion (its ticket gained the `promoted` event).

Problems are lines naming the file, as `pubflow verify` prints them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubflow.errors import InputError
from pubflow.records.audit import AUDIT_FILE
from pubflow.records.environments import CATALOG_DIR, ENVIRONMENTS_DIR, Environment
from pubflow.records.paths import TICKETS_DIR

MACHINERY = frozenset({"merged", "renumbered"})
ROLLBACK_EVENTS = frozenset({"rolled-back", "depublished", "environment", "restored"})
_RENUMBERED = re.compile(r"renumbered from (PUB-\d{4}-\d{3,})")


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """What the checks need of one ticket file: its id and pinned pattern, its history."""

    id: str
    pattern: str
    history: list[dict[str, Any]]


def load_ticket_records(root: Path, only: Collection[str] | None = None) -> list[TicketRecord]:
    """Every ticket file (or those of the ids in `only`) that reads as YAML with a history
    (the others are `verify`'s problems already), parsed with the fast loader."""
    from pubflow.records.store import read_ticket_document
    from pubflow.storage.yaml import to_plain

    folder = root / TICKETS_DIR
    if not folder.is_dir():
        return []
    records = []
    paths = (sorted(folder.glob("*.yaml")) if only is None else
             sorted(p for p in (folder / f"{i}.yaml" for i in set(only)
                                if i and "/" not in i and not i.startswith(".")) if p.is_file()))
    for path in paths:
        try:
            doc = to_plain(read_ticket_document(path, path.name, round_trip=False))
        except InputError:
            continue
        history = doc.get("history")
        pattern = doc.get("pattern")
        if not isinstance(history, list):
            continue
        records.append(TicketRecord(path.name[:-len(".yaml")],
                                    str(pattern.get("id")) if isinstance(pattern, dict) else "",
                                    [e for e in history if isinstance(e, dict)]))
    return records


def _ids_over_time(record: TicketRecord) -> list[str]:
    """The id the ticket had at each event (a renumbered ticket had another before)."""
    ids = [record.id] * len(record.history)
    current = record.id
    for index in range(len(record.history) - 1, -1, -1):
        ids[index] = current
        event = record.history[index]
        match = _RENUMBERED.search(str(event.get("reason") or ""))
        if event.get("event") == "renumbered" and match:
            current = match.group(1)
    return ids


def _key(*parts: Any) -> tuple[str, ...]:
    return tuple("" if p is None else str(p) for p in parts)


def check_events_against_audit(tickets: list[TicketRecord], entries: list[dict[str, Any]], *,
                               events_of: Collection[str] | None = None,
                               new_entries: Collection[int] | None = None) -> list[str]:
    """Every event of `tickets` has its entry and every entry its event. For a pull request
    (`pubflow verify --since`) only part is reported: the events of the tickets `events_of`
    and the entries at the indexes `new_entries` (the rest was checked when it landed);
    `tickets` must then hold those tickets and every ticket a new entry names, and the
    counting is the same as over the whole repository for them."""
    problems: list[str] = []
    known_hashes: set[str] = set()
    event_hashes: Counter[str] = Counter()
    operations: Counter[tuple[str, ...]] = Counter()
    where: dict[object, str] = {}
    whose: dict[object, str] = {}
    ids = {record.id for record in tickets}
    for record in tickets:
        shown = f"{TICKETS_DIR}/{record.id}.yaml"
        for index, (event, ticket_id) in enumerate(zip(record.history, _ids_over_time(record),
                                                       strict=True)):
            name = event.get("event")
            own = str(event.get("merged_from") or event.get("hash"))
            known_hashes.update({str(event.get("hash")), own})
            for kept in event.get("superseded") or ():
                if isinstance(kept, dict):
                    known_hashes.add(str(kept.get("hash")))
            described = f"{shown}: event {index + 1} ({name} at {event.get('at')})"
            if name in MACHINERY:
                continue
            if name == "promoted":
                key = _key("promote", ticket_id, event.get("environment"),
                           event.get("version"), event.get("at"), event.get("actor"))
            elif name in ROLLBACK_EVENTS:
                key = _key("rollback", ticket_id, event.get("environment"), event.get("at"),
                           event.get("actor"))
            else:
                event_hashes[own] += 1
                where[own] = described
                whose[own] = record.id
                continue
            operations[key] += 1
            where[key] = described
            whose[key] = record.id
    audit_hashes: set[str] = set()
    for index, entry in enumerate(entries):
        kind = entry.get("kind")
        reported = new_entries is None or index in new_entries
        line = f"{AUDIT_FILE}: entry {entry.get('seq')} ({kind} at {entry.get('at')})"
        if kind == "ticket":
            audit_hashes.add(str(entry.get("eventHash")))
            if str(entry.get("eventHash")) not in known_hashes and reported:
                problems.append(f"{line}: no ticket holds the event it records "
                                f"({entry.get('ticket')} {entry.get('event')})")
            continue
        if kind == "rollback" and entry.get("restored") is not None:
            # the ticket of the release a rollback brought back has an event of its own
            restored = _key("rollback", entry.get("restored"), entry.get("environment"),
                            entry.get("at"), entry.get("actor"))
            if operations[restored] > 0:
                operations[restored] -= 1
            elif reported:
                problems.append(f"{line}: the ticket {entry.get('restored')} has no event "
                                "for it")
        if kind == "promote":
            key = _key("promote", entry.get("ticket"), entry.get("environment"),
                       entry.get("version"), entry.get("at"), entry.get("actor"))
        elif kind in ("rollback", "depublish"):
            if str(entry.get("ticket")) not in ids and entry.get("ticket") not in _all_old_ids(
                    tickets):
                continue  # no ticket to record it in (pubflow writes no event then)
            key = _key("rollback", entry.get("ticket"), entry.get("environment"),
                       entry.get("at"), entry.get("actor"))
        else:
            continue
        if operations[key] > 0:
            operations[key] -= 1
        elif reported:
            problems.append(f"{line}: the ticket {entry.get('ticket')} has no event for it")
    for own, count in event_hashes.items():
        if own not in audit_hashes and count and (events_of is None or whose[own] in events_of):
            problems.append(f"{where[own]}: has no entry in {AUDIT_FILE}")
    for key, count in operations.items():
        if count > 0 and (events_of is None or whose[key] in events_of):
            problems.append(f"{where[key]}: has no {key[0]} entry in {AUDIT_FILE}")
    return problems


def _all_old_ids(tickets: list[TicketRecord]) -> set[str]:
    return {i for record in tickets for i in _ids_over_time(record)}


# --- environments from the audit log ---------------------------------------------------

@dataclass(slots=True)
class _Live:
    version: str
    ticket: str | None
    rollout: tuple[str, int, str | None] | None = None
    history: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Replayed:
    live: dict[str, _Live] = field(default_factory=dict)
    retired: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def replay(entries: Iterable[Mapping[str, Any]]) -> dict[str, _Replayed]:
    """What the audit log's promotions and rollbacks leave in each environment."""
    envs: dict[str, _Replayed] = {}
    ticket_of: dict[tuple[str, str, str], str | None] = {}
    for entry in entries:
        kind = entry.get("kind")
        if kind not in ("promote", "canary", "rollback", "depublish"):
            continue
        name, pattern = str(entry.get("environment")), str(entry.get("pattern"))
        env = envs.setdefault(name, _Replayed())
        current = env.live.get(pattern)
        version = str(entry.get("version"))
        ticket = entry.get("ticket")
        if kind == "promote":
            history = list(current.history) if current is not None else []
            if current is not None and current.version != version:
                history.append((current.version, "superseded"))
            env.live[pattern] = _Live(version, ticket, None, history)
            ticket_of[(name, pattern, version)] = ticket
        elif kind == "canary":
            stable = entry.get("stable")
            rollout = (version, int(entry.get("weight") or 0),
                       None if stable is None else str(stable))
            if current is None:
                env.live[pattern] = _Live(version, ticket, rollout)
                ticket_of.setdefault((name, pattern, version), ticket)
            else:
                current.rollout = rollout
        elif current is None:
            continue  # nothing live to roll back: the entry's own chain says enough
        elif kind == "depublish":
            env.retired[pattern] = [*env.retired.get(pattern, []), *current.history,
                                    (current.version, "depublished")]
            del env.live[pattern]
        elif current.rollout is not None:
            if current.rollout[2] is None:
                del env.live[pattern]
            else:
                current.rollout = None
        else:
            target = str(entry.get("to"))
            # `rollback --to` a newer release supersedes the current one (it was not bad)
            current.history.append((current.version, str(entry.get("ended") or "rolled_back")))
            current.version = target
            current.ticket = ticket_of.get((name, pattern, target), current.ticket)
    return envs


def check_environment(env: Environment, replayed: _Replayed | None,
                      catalog: Mapping[str, Any] | None) -> list[str]:
    shown = f"{ENVIRONMENTS_DIR}/{env.name}.yaml"
    problems: list[str] = []
    expected = replayed.live if replayed is not None else {}
    for pattern in sorted(set(env.patterns) | set(expected)):
        live, want = env.patterns.get(pattern), expected.get(pattern)
        if live is None:
            assert want is not None
            problems.append(f"{shown}: {pattern} is missing, but the audit log's promotions "
                            f"and rollbacks leave {want.version} live")
            continue
        if want is None:
            problems.append(f"{shown}: {pattern} {live.version} is live here, but the audit "
                            "log records no promotion of it that is still live")
            continue
        if str(live.version) != want.version:
            problems.append(f"{shown}: {pattern}: version {live.version} is live here, but "
                            f"the audit log's promotions and rollbacks leave {want.version}")
            continue
        if want.ticket is not None and str(live.ticket) != str(want.ticket):
            problems.append(f"{shown}: {pattern} {live.version} names ticket {live.ticket}, "
                            f"but the audit log promoted it from {want.ticket}")
        rollout = live.rollout
        have = None if rollout is None else (str(rollout.canary), rollout.weight,
                                             None if rollout.stable is None
                                             else str(rollout.stable))
        if have != want.rollout:
            problems.append(f"{shown}: {pattern}: canary {_rollout(have)}, but the audit log "
                            f"leaves {_rollout(want.rollout)}")
        past = [(str(p.version), str(p.ended)) for p in live.history]
        if past != want.history:
            problems.append(f"{shown}: {pattern}: history {_past(past)}, but the audit log "
                            f"leaves {_past(want.history)}")
    retired = env.document.get("retired") or {}
    want_retired = replayed.retired if replayed is not None else {}
    for pattern in sorted(set(retired) | set(want_retired)):
        item = retired.get(pattern)
        have_past = ([(str(p.get("version")), str(p.get("ended")))
                      for p in item.get("history") or () if isinstance(p, dict)]
                     if isinstance(item, dict) else None)
        if pattern in env.patterns and pattern not in want_retired:
            continue
        if have_past != want_retired.get(pattern):
            problems.append(f"{shown}: retired {pattern}: history "
                            f"{_past(have_past or [])}, but the audit log leaves "
                            f"{_past(want_retired.get(pattern) or [])}")
    if catalog is not None:
        problems += check_catalog(env, catalog)
    return problems


def check_catalog(env: Environment, catalog: Mapping[str, Any]) -> list[str]:
    shown = f"{CATALOG_DIR}/{env.name}.json"
    rows = {str(row.get("id")): row for row in catalog.get("patterns") or ()
            if isinstance(row, dict)}
    problems = []
    for pattern in sorted(set(rows) | set(env.patterns)):
        row, live = rows.get(pattern), env.patterns.get(pattern)
        if live is None:
            problems.append(f"{shown}: lists {pattern}, which is not live in {env.name}")
        elif row is None:
            problems.append(f"{shown}: {pattern} {live.version} is live in {env.name} but "
                            "missing from the catalog")
        elif str(row.get("version")) != str(live.version):
            problems.append(f"{shown}: {pattern} is at {row.get('version')}, but "
                            f"{env.name} runs {live.version}")
        else:
            want = None if live.rollout is None else live.rollout.catalog_row()
            if row.get("rollout") != want:
                problems.append(f"{shown}: {pattern}: rollout {row.get('rollout')}, but "
                                f"{env.name} has {want}")
    return problems


def _rollout(value: tuple[str, int, str | None] | None) -> str:
    if value is None:
        return "none"
    return f"{value[0]} at {value[1]}% (stable {value[2] or 'none'})"


def _past(items: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{v} {how}" for v, how in items) + "]" if items else "empty"


# --- release tags ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    commit: str
    subject: str


def promoted_in(appended: Iterable[tuple[str, str]],
                pattern_of: Mapping[str, str]) -> set[tuple[str, str, str]]:
    """(environment, pattern, version) of every `promoted` event in the ticket text a commit
    appended: (ticket file path, text) pairs."""
    found = set()
    for path, text in appended:
        events = _parse_tail(text)
        ticket_id = path.rsplit("/", 1)[-1].removesuffix(".yaml")
        for event in events:
            if event.get("event") == "promoted":
                found.add((str(event.get("environment")), pattern_of.get(ticket_id, ""),
                           str(event.get("version"))))
    return found


def _parse_tail(text: str) -> list[dict[str, Any]]:
    from pubflow.errors import PubflowError
    from pubflow.storage.yaml import load_yaml, to_plain

    try:
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = to_plain(load_yaml("history:\n" + text, "ticket", round_trip=False))
            value = value.get("history") if isinstance(value, dict) else None
    except (PubflowError, ValueError):
        return []
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _tag_parts(name: str) -> tuple[str, str, str] | None:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "pubflow":
        return None
    return parts[1], parts[2], parts[3]


def _names(version: str, promoted: set[tuple[str, str, str]], env: str, pattern: str) -> bool:
    if (env, pattern, version) in promoted:
        return True
    base, _, number = version.rpartition("-")
    return bool(base) and number.isdigit() and (env, pattern, base) in promoted


def check_tags(tags: list[Tag], appended: Mapping[str, list[tuple[str, str]]],
               pattern_of: Mapping[str, str], *, whole_history: bool) -> list[str]:
    """Each tag must point at the commit that recorded its promotion. With only part of the
    history walked (`--since`), tags of commits outside it are left alone, but a promotion
    inside it must carry its own tag."""
    problems = []
    promotions = {sha: promoted_in(items, pattern_of) for sha, items in appended.items()}
    where: dict[tuple[str, str, str], set[str]] = {}
    for sha, found in promotions.items():
        for triple in found:
            where.setdefault(triple, set()).add(sha)
    for tag in tags:
        parts = _tag_parts(tag.name)
        if parts is None:
            continue
        env, pattern, version = parts
        promoted = promotions.get(tag.commit)
        if promoted is not None and _names(version, promoted, env, pattern):
            continue
        base = version.rpartition("-")[0] or version
        inside = where.get((env, pattern, version)) or where.get((env, pattern, base))
        if promoted is None and not whole_history and not inside:
            continue
        problems.append(f'refs/tags/{tag.name}: points at commit {tag.commit[:7]} '
                        f'"{tag.subject}", which did not promote {pattern} {version} to {env}'
                        + (f" (commit {sorted(inside)[0][:7]} did)" if inside else ""))
    return problems
