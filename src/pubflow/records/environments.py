"""Environment state files (`.pubflow/environments/<env>.yaml`) and their catalog indexes.

An environment file says, per pattern, which version is live there, its digest, ticket, who
promoted it and when, an unfinished canary rollout, and the versions that were live before.
pubflow writes it in YAML's JSON-compatible flow style: every YAML reader reads it, and a
repository with a thousand live patterns and ten thousand earlier releases loads in
milliseconds, which a rollback needs. A file a person rewrote in block style is still read
(through ruamel, aliases refused) and written back in flow style.

The catalog (`.pubflow/catalog/<env>.json`) is what the live platform reads for search and
category listings: id, name, version, industries and tags of every pattern live there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


@dataclass(slots=True)
class Environment:
    """One environment's state document; `patterns` maps pattern id to its live entry."""

    name: str
    doc: dict[str, Any]
    path: Path

    @property
    def patterns(self) -> dict[str, Any]:
        patterns: dict[str, Any] = self.doc["patterns"]
        return patterns

    @property
    def retired(self) -> dict[str, Any]:
        retired: dict[str, Any] = self.doc.setdefault("retired", {})
        return retired

    def live(self, pattern_id: str) -> dict[str, Any] | None:
        entry = self.patterns.get(pattern_id)
        return entry if isinstance(entry, dict) else None

    def serialize(self) -> bytes:
        """JSON (so YAML) with one line per pattern: readable diffs, and written by the C
        encoder (an indented dump of a thousand patterns with history takes half a second)."""
        return (HEADER + _one_line_per_entry(self.doc, ("patterns", "retired"))).encode("utf-8")


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
    try:
        doc = json.loads(body)
    except ValueError:
        doc = _parse_yaml(text, shown)
    if not isinstance(doc, dict):
        raise InputError(f"{shown}:1:1: an environment file must be a mapping")
    return doc


def _parse_yaml(text: str, shown: str) -> Any:
    from pubflow.storage.yaml import load_yaml, to_plain

    return to_plain(load_yaml(text, shown))


def schema_problems(doc: Any) -> list[str]:
    return schemas.schema_problems("environment.schema.json", doc)


def catalog_entry(pattern: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": pattern.get("id"),
        "name": pattern.get("name"),
        "version": live.get("version"),
        "industries": list(pattern.get("industries") or []),
        "tags": list(pattern.get("tags") or []),
    }
    rollout = live.get("rollout")
    if isinstance(rollout, dict):
        entry["rollout"] = {"canary": rollout.get("canary"), "weight": rollout.get("weight")}
    return entry


def load_catalog(root: Path, name: str) -> dict[str, Any]:
    path = catalog_path(root, name)
    try:
        data = json.loads(path.read_bytes())
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


def _one_line_per_entry(doc: dict[str, Any], collections: tuple[str, ...]) -> str:
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
