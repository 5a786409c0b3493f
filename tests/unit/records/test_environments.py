"""Environment files read as typed entries and written back as they were: a file pubflow wrote
comes back byte for byte, a file a person rewrote (block style, keys in another order, keys
pubflow does not know) keeps every entry it did not change."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pubflow.errors import InputError, UsageError
from pubflow.records.environments import (
    Environment,
    LiveEntry,
    PastRelease,
    Rollout,
    catalog_entry,
    check_environment_name,
    load_environment,
    state_files,
)

D1, D2, D3 = "a" * 64, "b" * 64, "c" * 64
T1, T2, T3 = "2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z", "2026-01-07T09:00:00Z"
PACKAGE = ".pubflow/releases/incident-escalation"
HEADER = ("# pubflow environment state: written by pubflow, checked against\n"
          "# schemas/environment.schema.json. JSON is YAML: flow style keeps big files fast.\n")

ONE_LIVE = HEADER + "".join([
    "{\n",
    '  "apiVersion": "pubflow.dev/v1",\n',
    '  "kind": "Environment",\n',
    '  "name": "staging",\n',
    '  "patterns": {\n',
    f'    "incident-escalation": {{"version": "1.1.0", "digest": "{D2}", "ticket": '
    f'"PUB-2026-002", "release": "minor", "by": "releng", "at": "{T2}", "package": '
    f'"{PACKAGE}/1.1.0", "history": [{{"version": "1.0.0", "digest": "{D1}", "ticket": '
    f'"PUB-2026-001", "release": "initial", "by": "releng", "at": "{T1}", "package": '
    f'"{PACKAGE}/1.0.0", "until": "{T2}", "ended": "superseded"}}]}}\n',
    "  }\n",
    "}\n",
])

BY_HAND = f"""# staging, tidied up by hand
name: staging
kind: Environment
apiVersion: pubflow.dev/v1
patterns:
  incident-escalation:
    owner: ops-team
    at: '{T2}'
    by: releng
    version: 1.1.0
    ticket: PUB-2026-002
    digest: {D2}
    rollout:
      weight: 25
      canary: 1.2.0
      stable: 1.1.0
    history:
      - version: 1.0.0
        ended: rolled_back
        reason: broken step
        until: '{T2}'
        digest: {D1}
        ticket: PUB-2026-001
        by: releng
        at: '{T1}'
"""


def write_env(repo: Path, text: str, name: str = "staging") -> Path:
    path = repo / ".pubflow" / "environments" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def released(version: str, digest: str, ticket: str, at: str,
             history: tuple[PastRelease, ...] = ()) -> LiveEntry:
    return LiveEntry.released(version=version, digest=digest, ticket=ticket,
                              release="initial" if version == "1.0.0" else "minor",
                              by="releng", at=at, package=f"{PACKAGE}/{version}",
                              history=history)


def test_a_missing_file_is_an_empty_environment(repo: Path) -> None:
    env = load_environment(repo, "staging")
    assert (env.name, dict(env.patterns), env.live("incident-escalation")) == (
        "staging", {}, None)
    assert env.path == repo / ".pubflow" / "environments" / "staging.yaml"
    assert env.serialize().decode() == HEADER + (
        '{\n  "apiVersion": "pubflow.dev/v1",\n  "kind": "Environment",\n'
        '  "name": "staging",\n  "patterns": {}\n}\n')


def test_a_file_pubflow_wrote_reads_typed_and_comes_back_byte_for_byte(repo: Path) -> None:
    write_env(repo, ONE_LIVE)
    env = load_environment(repo, "staging")
    live = env.live("incident-escalation")
    assert live is not None
    assert (live.version, live.digest, live.ticket, live.release, live.by, live.at,
            live.package, live.rollout) == ("1.1.0", D2, "PUB-2026-002", "minor", "releng", T2,
                                             f"{PACKAGE}/1.1.0", None)
    [past] = live.history
    assert (past.version, past.ticket, past.release, past.until, past.ended, past.reason) == (
        "1.0.0", "PUB-2026-001", "initial", T2, "superseded", None)
    assert env.serialize() == ONE_LIVE.encode()


def test_a_file_rewritten_by_hand_keeps_its_order_and_its_own_keys(repo: Path) -> None:
    write_env(repo, BY_HAND)
    env = load_environment(repo, "staging")
    live = env.live("incident-escalation")
    assert live is not None
    assert (live.version, live.ticket, live.at, live.release, live.package) == (
        "1.1.0", "PUB-2026-002", T2, None, None)
    assert live.rollout is not None
    assert (live.rollout.stable, live.rollout.canary, live.rollout.weight,
            live.rollout.ticket) == ("1.1.0", "1.2.0", 25, None)
    assert [(p.version, p.ended, p.reason) for p in live.history] == [
        ("1.0.0", "rolled_back", "broken step")]
    text = env.serialize().decode()
    assert text.startswith(HEADER + '{\n  "name": "staging",\n  "kind": "Environment",\n'
                           '  "apiVersion": "pubflow.dev/v1",\n  "patterns": {\n')
    line = next(x for x in text.splitlines() if x.startswith('    "incident-escalation"'))
    assert line == (
        f'    "incident-escalation": {{"owner": "ops-team", "at": "{T2}", "by": "releng", '
        f'"version": "1.1.0", "ticket": "PUB-2026-002", "digest": "{D2}", "rollout": '
        f'{{"weight": 25, "canary": "1.2.0", "stable": "1.1.0"}}, "history": [{{"version": '
        f'"1.0.0", "ended": "rolled_back", "reason": "broken step", "until": "{T2}", '
        f'"digest": "{D1}", "ticket": "PUB-2026-001", "by": "releng", "at": "{T1}"}}]}}')
    # another pattern going live leaves the hand-written entry exactly as it was (followed
    # by a comma now that it is no longer the last)
    changed = env.with_live("second-one", released("1.0.0", D3, "PUB-2026-003", T3))
    assert line + "," in changed.serialize().decode().splitlines()


def test_with_live_returns_a_new_environment_and_leaves_the_old_one(repo: Path) -> None:
    write_env(repo, ONE_LIVE)
    env = load_environment(repo, "staging")
    second = released("1.0.0", D3, "PUB-2026-003", T3)
    added = env.with_live("second-one", second)
    assert sorted(added.patterns) == ["incident-escalation", "second-one"]
    assert added.live("second-one") == second
    assert sorted(env.patterns) == ["incident-escalation"]  # unchanged
    lines = added.serialize().decode().splitlines()
    assert [x.split(":")[0].strip() for x in lines if x.startswith('    "')] == [
        '"incident-escalation"', '"second-one"']  # one line each, sorted by id
    removed = added.with_live("incident-escalation", None)
    assert sorted(removed.patterns) == ["second-one"]
    assert "\"incident-escalation\":" not in removed.serialize().decode()
    with pytest.raises(dataclasses.FrozenInstanceError):
        env.name = "production"  # type: ignore[misc]


def test_a_new_release_supersedes_the_live_one_in_the_order_pubflow_writes(repo: Path) -> None:
    first = released("1.0.0", D1, "PUB-2026-001", T1)
    second = released("1.1.0", D2, "PUB-2026-002", T2,
                      history=(*first.history, first.ended(T2, "superseded")))
    assert list(second.to_dict()) == ["version", "digest", "ticket", "release", "by", "at",
                                      "package", "history"]
    assert second.to_dict()["history"] == [{
        "version": "1.0.0", "digest": D1, "ticket": "PUB-2026-001", "release": "initial",
        "by": "releng", "at": T1, "package": f"{PACKAGE}/1.0.0", "until": T2,
        "ended": "superseded"}]
    rolled = second.ended(T3, "rolled_back", "broken step 3")
    assert list(rolled.to_dict())[-3:] == ["until", "ended", "reason"]
    assert (rolled.version, rolled.until, rolled.ended, rolled.reason) == (
        "1.1.0", T3, "rolled_back", "broken step 3")
    copy = second.to_dict()
    copy["history"].clear()
    assert len(second.history) == 1  # to_dict hands out a copy


def test_a_canary_goes_last_and_comes_off_again() -> None:
    stable = released("1.0.0", D1, "PUB-2026-001", T1)
    rollout = Rollout.new("1.0.0", "1.1.0", 10, "PUB-2026-002", D2)
    canary = stable.with_rollout(rollout)
    assert list(canary.to_dict()) == ["version", "digest", "ticket", "release", "by", "at",
                                      "package", "history", "rollout"]
    assert canary.to_dict()["rollout"] == {"stable": "1.0.0", "canary": "1.1.0", "weight": 10,
                                           "ticket": "PUB-2026-002", "digest": D2}
    wider = canary.with_rollout(Rollout.new("1.0.0", "1.1.0", 50, "PUB-2026-002", D2))
    assert wider.rollout is not None and wider.rollout.weight == 50
    assert list(wider.to_dict())[-1] == "rollout"
    assert wider.without_rollout() == stable
    assert wider.without_rollout().rollout is None


def test_depublishing_keeps_the_history_under_retired(repo: Path) -> None:
    write_env(repo, ONE_LIVE)
    env = load_environment(repo, "staging")
    out = env.depublished("incident-escalation", T3, "releng", "withdrawn")
    assert dict(out.patterns) == {}
    assert list(out.document) == ["apiVersion", "kind", "name", "patterns", "retired"]
    retired = out.document["retired"]["incident-escalation"]
    assert (retired["at"], retired["by"], retired["reason"]) == (T3, "releng", "withdrawn")
    assert [(h["version"], h["ended"], h["until"]) for h in retired["history"]] == [
        ("1.0.0", "superseded", T2), ("1.1.0", "depublished", T3)]
    assert "reason" not in retired["history"][-1]
    text = out.serialize().decode()
    assert '  "patterns": {},\n  "retired": {\n    "incident-escalation": {"at": ' in text
    # written and read again, the environment passes its schema
    write_env(repo, text)
    again = load_environment(repo, "staging")
    assert again.document["retired"] == out.document["retired"]


def test_catalog_rows_and_state_files(repo: Path) -> None:
    pattern = {"id": "incident-escalation", "name": "Incident", "version": "1.1.0",
               "industries": ["saas"], "tags": ["sla"]}
    canary = released("1.0.0", D1, "PUB-2026-001", T1).with_rollout(
        Rollout.new("1.0.0", "1.1.0", 25, "PUB-2026-002", D2))
    row = catalog_entry(pattern, canary)
    assert row == {"id": "incident-escalation", "name": "Incident", "version": "1.0.0",
                   "industries": ["saas"], "tags": ["sla"],
                   "rollout": {"canary": "1.1.0", "weight": 25, "stable": "1.0.0", "stableWeight": 75}}
    # an entry's plain document, as bench/bench_rollback.py builds it, reads the same way
    assert catalog_entry(pattern, canary.to_dict()) == row
    env = Environment("staging", {"apiVersion": "pubflow.dev/v1", "kind": "Environment",
                                  "name": "staging", "patterns": {}},
                      repo / ".pubflow" / "environments" / "staging.yaml")
    files = state_files(repo, env.with_live("incident-escalation", canary),
                        "incident-escalation", row)
    assert sorted(files) == [".pubflow/catalog/staging.json",
                             ".pubflow/environments/staging.yaml"]
    catalog = json.loads(files[".pubflow/catalog/staging.json"])
    assert catalog == {"environment": "staging", "patterns": [row]}
    assert b'"rollout": {"stable": "1.0.0", "canary": "1.1.0", "weight": 25' in files[
        ".pubflow/environments/staging.yaml"]


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe", ".pubflow/environments/staging.yaml: not valid UTF-8 (byte offset 0)"),
    (b"[1, 2]\n", ".pubflow/environments/staging.yaml:1:1: an environment file must be a "
                  "mapping"),
    (b'{"apiVersion": "pubflow.dev/v1", "kind": "Environment", "name": "production", '
     b'"patterns": {}}\n',
     ".pubflow/environments/staging.yaml: name is 'production', expected 'staging'"),
])
def test_unreadable_files_are_refused_naming_the_file(repo: Path, content: bytes,
                                                      message: str) -> None:
    write_env(repo, "").write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_environment(repo, "staging")
    assert caught.value.message == message


def test_a_file_against_the_schema_is_refused_with_a_hint(repo: Path) -> None:
    write_env(repo, "apiVersion: pubflow.dev/v1\nkind: Environment\nname: staging\n"
                    "patterns: {incident-escalation: {version: 1}}\n")
    with pytest.raises(InputError) as caught:
        load_environment(repo, "staging")
    assert caught.value.message.startswith(
        ".pubflow/environments/staging.yaml: does not follow the environment schema:\n")
    assert caught.value.hint is not None and "git checkout -- FILE" in caught.value.hint


def test_unknown_environment_names_the_known_ones() -> None:
    check_environment_name("production", ("staging", "production"))
    with pytest.raises(UsageError) as caught:
        check_environment_name("moon", ("staging", "production"))
    assert caught.value.message == ("unknown environment 'moon'; pubflow.yaml lists: "
                                    "staging, production")
