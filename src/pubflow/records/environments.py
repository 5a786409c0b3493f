"""Environment state files (`.pubflow/environments/<env>.yaml`) and their catalog indexes.

An environment file says, per pattern, which version is live there, its digest, ticket, who
promoted it and when, an unfinished canary rollout, and the versions that were live before.
pubflow writes it in YAML's JSON-compatible flow style: every YAML reader reads it, and a
repository with a thousand live patterns and ten thousand earlier releases loads in
milliseconds, which a rollback needs. A file a person rewrote in block style is still read
(through ruamel, aliases refused) and written back in flow style. Entries are read as frozen,
typed views of the document (`LiveEntry`, `Rollout`, `PastRelease`): keys in another order,
or that pubflow does not know, are written back exactly as they were.

The catalog (`.pubflow/catalog/<env>.json`) is what the live platform reads for search and
category listings: id, name, version, industries and tags of every pattern live there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubflow.errors import InputError, UsageError
from pubflow.storage import schemas

API_VERSION = "pubflow.dev/v1"
KIND = "Environment"
ENVIRONMENTS_DIR = ".pubflow/environments"
CATALOG_DIR = ".pubflow/catalog"
HEADER = ("# pubflow environment state: written by pubflow, checked against\n"
          "# schemas/environment.schema.json. JSON is YAML: flow style keeps big files fast.\n")


def environment_path(root: Path, name: str) -> Path:
    return root / ENVIRONMENTS_DIR / f"{name}.yaml"


def catalog_path(root: Path, name: str) -> Path:
    return root / CATALOG_DIR / f"{name}.json"


def check_environment_name(name: str, known: tuple[str, ...]) -> None:
    if name not in known:
        raise UsageError(f"unknown environment '{name}'; pubflow.yaml lists: "
                         f"{', '.join(known) or 'none'}",
                         hint="Environments and their promotion order are the `environments` "
                              "key of pubflow.yaml (default: staging, production).")


RELEASE_KEYS = ("version", "digest", "ticket", "release", "by", "at", "package")
"""The keys of a release, in the order pubflow writes them."""


def _derive(view: object, document: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    """Fill a frozen view's typed fields from its document (a key left out reads as None)."""
    for key in keys:
        object.__setattr__(view, key, document.get(key))


@dataclass(frozen=True, slots=True)
class Rollout:
    """An unfinished canary: `canary` takes `weight` % of the traffic, `stable` the rest (None:
    the pattern was new there, nothing is stable yet). A typed view of the document as the
    file has it; `to_dict()` gives that document back."""

    document: Mapping[str, Any] = field(repr=False)
    stable: str | None = field(init=False, compare=False)
    canary: str = field(init=False, compare=False)
    weight: int = field(init=False, compare=False)
    ticket: str | None = field(init=False, compare=False)
    digest: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _derive(self, self.document, ("stable", "canary", "weight", "ticket", "digest"))

    @classmethod
    def new(cls, stable: str | None, canary: str, weight: int, ticket: str,
            digest: str, *, held: bool = False,
            health: Mapping[str, Any] | None = None) -> Rollout:
        """`held`: it stays at `weight` until resumed, reweighted or rolled back; `health`:
        the last health check before this step."""
        return cls({"stable": stable, "canary": canary, "weight": weight, "ticket": ticket,
                    "digest": digest, **({"held": True} if held else {}),
                    **({"health": dict(health)} if health else {})})

    @property
    def held(self) -> bool:
        return self.document.get("held") is True

    def catalog_row(self) -> dict[str, Any]:
        """What the catalog says of it: both versions live and the share of each."""
        row: dict[str, Any] = {"canary": self.canary, "weight": self.weight}
        if self.stable is not None:
            row.update({"stable": self.stable, "stableWeight": 100 - int(self.weight)})
        if self.held:
            row["held"] = True
        return row

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.document))


@dataclass(frozen=True, slots=True)
class PastRelease:
    """A release that was live before, an item of a live entry's history: until when, and how
    it ended (superseded, rolled_back, depublished). A typed view of its document."""

    document: Mapping[str, Any] = field(repr=False)
    version: str = field(init=False, compare=False)
    digest: str = field(init=False, compare=False)
    ticket: str = field(init=False, compare=False)
    release: str | None = field(init=False, compare=False)
    by: str = field(init=False, compare=False)
    at: str = field(init=False, compare=False)
    package: str | None = field(init=False, compare=False)
    until: str | None = field(init=False, compare=False)
    ended: str | None = field(init=False, compare=False)
    reason: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _derive(self, self.document, (*RELEASE_KEYS, "until", "ended", "reason"))

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.document))


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """What an environment file says about one live pattern: the release that runs there (its
    digest, ticket, who promoted it and when), an unfinished canary, and the releases live
    before. A typed view of the entry's document: keys the file has in another order, or that
    pubflow does not know, are written back as they were (`to_dict()`)."""

    document: Mapping[str, Any] = field(repr=False)
    version: str = field(init=False, compare=False)
    digest: str = field(init=False, compare=False)
    ticket: str = field(init=False, compare=False)
    release: str | None = field(init=False, compare=False)
    by: str = field(init=False, compare=False)
    at: str = field(init=False, compare=False)
    package: str | None = field(init=False, compare=False)
    rollout: Rollout | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _derive(self, self.document, RELEASE_KEYS)
        rollout = self.document.get("rollout")
        object.__setattr__(self, "rollout", Rollout(rollout) if isinstance(rollout, dict)
                           else None)

    @classmethod
    def released(cls, *, version: str, digest: str, ticket: str, release: str, by: str,
                 at: str, package: str, history: Iterable[PastRelease] = (),
                 name: str | None = None) -> LiveEntry:
        """A release going live (`name`: what `promote --name` called it), with the releases
        live before it."""
        return cls({"version": version, "digest": digest, "ticket": ticket, "release": release,
                    "by": by, "at": at, "package": package, **({"name": name} if name else {}),
                    "history": [dict(past.document) for past in history]})

    @property
    def history(self) -> tuple[PastRelease, ...]:
        """The releases live before, oldest first."""
        return tuple(PastRelease(item) for item in self.document.get("history") or ())

    def ended(self, until: str, how: str, reason: str | None = None) -> PastRelease:
        """This release as a history item: its own keys (not its history, not a canary), with
        when and how it ended (and why, when `reason` is given)."""
        stable = {k: v for k, v in self.document.items()
                  if k not in ("history", "rollout", "watch")}
        record = {**stable, "until": until, "ended": how}
        if reason is not None:
            record["reason"] = reason
        return PastRelease(record)

    def with_rollout(self, rollout: Rollout) -> LiveEntry:
        return LiveEntry({**self.document, "rollout": dict(rollout.document)})

    def without_rollout(self) -> LiveEntry:
        return LiveEntry({k: v for k, v in self.document.items() if k != "rollout"})

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.document))


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment's state document; `patterns` maps pattern id to its live entry.

    Frozen: `with_live` and `depublished` return the environment after a change, and
    `serialize` writes it."""

    name: str
    document: Mapping[str, Any] = field(repr=False)
    path: Path
    patterns: Mapping[str, LiveEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", {
            pattern_id: LiveEntry(entry)
            for pattern_id, entry in self.document["patterns"].items()
            if isinstance(entry, dict)})

    def live(self, pattern_id: str) -> LiveEntry | None:
        return self.patterns.get(pattern_id)

    def with_live(self, pattern_id: str, entry: LiveEntry | None) -> Environment:
        """This environment with `pattern_id`'s entry replaced (None: taken out)."""
        patterns = dict(self.document["patterns"])
        if entry is None:
            patterns.pop(pattern_id, None)
        else:
            patterns[pattern_id] = entry.document
        return Environment(self.name, {**self.document, "patterns": patterns}, self.path)

    def depublished(self, pattern_id: str, at: str, by: str, reason: str | None) -> Environment:
        """This environment with `pattern_id` taken out and kept under `retired`, its whole
        history with it (the live release ended `depublished` at `at`), after the history of
        an earlier depublication of the same pattern."""
        live = self.patterns[pattern_id]
        patterns = dict(self.document["patterns"])
        del patterns[pattern_id]
        retired = dict(self.document.get("retired", {}))
        earlier = retired.get(pattern_id, {}).get("history", [])  # depublished before
        retired[pattern_id] = {
            "at": at, "by": by, "reason": reason,
            "history": [*earlier, *(dict(past.document) for past in live.history),
                        dict(live.ended(at, "depublished").document)]}
        return Environment(self.name, {**self.document, "patterns": patterns,
                                       "retired": retired}, self.path)

    def serialize(self) -> bytes:
        """JSON (so YAML) with one line per pattern: readable diffs, and written by the C
        encoder (an indented dump of a thousand patterns with history takes half a second)."""
        return (HEADER + _one_line_per_entry(self.document, ("patterns", "retired"))
                ).encode("utf-8")


def new_environment(root: Path, name: str) -> Environment:
    doc = {"apiVersion": API_VERSION, "kind": KIND, "name": name, "patterns": {}}
    return Environment(name, doc, environment_path(root, name))


def load_environment(root: Path, name: str) -> Environment:
    """The environment's state (empty when it has never been promoted to), schema-checked."""
    path = environment_path(root, name)
    shown = f"{ENVIRONMENTS_DIR}/{name}.yaml"
    if not path.exists():
        return new_environment(root, name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    doc = _parse(raw, shown)
    problems = schema_problems(doc)
    if problems:
        raise InputError(f"{shown}: does not follow the environment schema:\n"
                         + "\n".join(problems),
                         hint="See schemas/environment.schema.json; `git diff` shows hand "
                              "edits, `git checkout -- FILE` undoes them.")
    if doc["name"] != name:
        raise InputError(f"{shown}: name is '{doc['name']}', expected '{name}'")
    return Environment(name, doc, path)


def _parse(raw: bytes, shown: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not valid UTF-8 (byte offset {exc.start})") from exc
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    _refuse_deep_json(body, shown)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = _parse_yaml(text, shown)
    if not isinstance(doc, dict):
        raise InputError(f"{shown}:1:1: an environment file must be a mapping")
    return doc


def _refuse_deep_json(text: str, shown: str) -> None:
    """Deep nesting is refused before `json.loads` (recursive) sees it; deep YAML is refused
    by `load_yaml` in the same words."""
    from pubflow.storage.jsonsource import MAX_DEPTH, depth_exceeded_at

    if depth_exceeded_at(text, MAX_DEPTH) is not None:
        raise InputError(f"{shown}: document is nested more than {MAX_DEPTH} levels deep, "
                         "the limit for pubflow's JSON files",
                         hint="Restore the file with `git checkout -- FILE`.")


def _parse_yaml(text: str, shown: str) -> Any:
    from pubflow.storage.yaml import load_yaml, to_plain

    return to_plain(load_yaml(text, shown))


def schema_problems(doc: Any) -> list[str]:
    return schemas.schema_problems("environment.schema.json", doc)


def catalog_entry(pattern: dict[str, Any],
                  live: LiveEntry | Mapping[str, Any]) -> dict[str, Any]:
    """The catalog row of `pattern` (its document) live as `live` (an entry, or an entry's
    document as `bench/bench_rollback.py` builds it)."""
    if not isinstance(live, LiveEntry):
        live = LiveEntry(live)
    entry: dict[str, Any] = {
        "id": pattern.get("id"),
        "name": pattern.get("name"),
        "version": live.version,
        "industries": list(pattern.get("industries") or []),
        "tags": list(pattern.get("tags") or []),
    }
    if live.rollout is not None:
        entry["rollout"] = live.rollout.catalog_row()
    return entry


def load_catalog(root: Path, name: str) -> dict[str, Any]:
    path = catalog_path(root, name)
    try:
        raw = path.read_bytes()
        _refuse_deep_json(raw.decode("utf-8", "replace"), f"{CATALOG_DIR}/{name}.json")
        data = json.loads(raw)
    except FileNotFoundError:
        return {"environment": name, "patterns": []}
    except (OSError, ValueError) as exc:
        raise InputError(f"{CATALOG_DIR}/{name}.json: unreadable catalog ({exc}); "
                         "restore it with `git checkout -- FILE`") from exc
    if not isinstance(data, dict) or not isinstance(data.get("patterns"), list):
        raise InputError(f"{CATALOG_DIR}/{name}.json: not a pubflow catalog")
    return data


def with_catalog_entry(catalog: dict[str, Any], pattern_id: str,
                       entry: dict[str, Any] | None) -> dict[str, Any]:
    """The catalog with `pattern_id`'s entry replaced (or removed when `entry` is None)."""
    rows = [row for row in catalog["patterns"] if row.get("id") != pattern_id]
    if entry is not None:
        rows.append(entry)
    rows.sort(key=lambda row: str(row.get("id")))
    return {"environment": catalog.get("environment"), "patterns": rows}


def serialize_catalog(catalog: dict[str, Any]) -> bytes:
    return _one_line_per_entry(catalog, ("patterns",)).encode("utf-8")


def _one_line_per_entry(doc: Mapping[str, Any], collections: tuple[str, ...]) -> str:
    """Top-level keys one per line; the items of `collections` (mappings sorted by key, or
    lists) one per line each."""
    parts = []
    for key, value in doc.items():
        name = json.dumps(key)
        if key in collections and isinstance(value, dict) and value:
            items = [f"    {json.dumps(k)}: {_compact(v)}"
                     for k, v in sorted(value.items())]
            parts.append(f"  {name}: {{\n" + ",\n".join(items) + "\n  }")
        elif key in collections and isinstance(value, list) and value:
            items = [f"    {_compact(v)}" for v in value]
            parts.append(f"  {name}: [\n" + ",\n".join(items) + "\n  ]")
        else:
            parts.append(f"  {name}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def state_files(root: Path, env: Environment, pattern_id: str,
                row: dict[str, Any] | None) -> dict[str, bytes]:
    """The environment file and its catalog with `pattern_id`'s row replaced (None: gone),
    by repo-relative path, ready for one operation."""
    catalog = with_catalog_entry(load_catalog(root, env.name), pattern_id, row)
    return {env.path.relative_to(root).as_posix(): env.serialize(),
            catalog_path(root, env.name).relative_to(root).as_posix(): serialize_catalog(catalog)}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
