"""`pubflow.yaml`: one typed, validated configuration object with defaults for every key.

The file is optional. When present it is checked against `schemas/config.schema.json`; an
unknown key or a bad value stops the command (exit 2) with the file, line and key, because a
typo in a threshold must never silently fall back to a default.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pubflow.errors import ConfigError
from pubflow.storage.diskstate import CONFIG_FILE, repository_root

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from typing import Any

DEFAULT_TOTAL_MIN = 30
DEFAULT_OUTBOX = ".pubflow/outbox"


@dataclass(frozen=True, slots=True)
class ScorecardThresholds:
    """Beat 5: every dimension at least `dimension_min`, the total at least `total_min`."""

    dimension_min: int = 3
    total_min: int = DEFAULT_TOTAL_MIN
    marginal_max: int = 32


@dataclass(frozen=True, slots=True)
class DiagramBudgets:
    """Beat 6: how big a sequence diagram may grow before readers stop following it."""

    max_actors: int = 7
    max_steps: int = 18
    max_alt_blocks: int = 2
    allow_nested_alt: bool = False


def same_email(a: str | None, b: str | None) -> bool:
    """Emails are compared trimmed and case-insensitively; an empty email matches nothing."""
    left, right = normal_email(a), normal_email(b)
    return bool(left) and left == right


def normal_email(value: str | None) -> str:
    return (value or "").strip().casefold()


_INVISIBLE = frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_characters(text: str) -> bool:
    """Whether `text` holds a control character (C0, DEL, C1, a line/paragraph separator) or
    a bidi embedding, override or isolate (which reorder what a reader sees)."""
    return any(ord(c) < 32 or 127 <= ord(c) < 160 or c in _INVISIBLE for c in text)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone named in pubflow.yaml: matched by id exactly, or by email (trimmed, any case)."""

    id: str
    email: str | None = None
    name: str | None = None

    def matches(self, actor: str) -> bool:
        return actor == self.id or same_email(actor, self.email)

    def same_as(self, other_id: str | None, other_email: str | None) -> bool:
        """Whether this person is the one with `other_id` / `other_email` (an author, say)."""
        if other_id and other_id == self.id:
            return True
        return same_email(self.email, other_email)


@dataclass(frozen=True, slots=True)
class Reviewer(Person):
    industries: tuple[str, ...] = ()
    max_queue: int = 5


@dataclass(frozen=True, slots=True)
class HealthScoreGate:
    """Seed 001's deployment gates on a health score from 0 to 100: at `promote` and above a
    release may go anywhere; from `canary` it reaches the last environment only as a canary;
    from `earlier` only the environments before the last; below `earlier` nowhere.
    `required`: a health check that prints no score fails."""

    promote: float = 95
    canary: float = 85
    earlier: float = 70
    required: bool = False


@dataclass(frozen=True, slots=True)
class EnvironmentRule:
    """An `environments` entry: the name, and who may release there under what conditions."""

    name: str
    promoters: tuple[str, ...] | None = None
    """Ids or emails of the only people who may promote or roll back here (None: anyone in
    the top-level `promoters` or `admins`)."""
    approvals: int = 1
    require_canary: bool = False
    health_score: HealthScoreGate | None = None
    """This environment's own score gates (None: the top-level `health_score`)."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything configurable, with the defaults the specification names."""

    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    patterns_dir: str = "patterns"
    scorecard: ScorecardThresholds = field(default_factory=ScorecardThresholds)
    diagrams: DiagramBudgets = field(default_factory=DiagramBudgets)
    max_file_bytes: int = 5 * 1024 * 1024
    reviewers: tuple[Reviewer, ...] = ()
    review_sla_days: float = 3
    """Days to review a ticket of normal priority."""
    review_sla_by_priority: tuple[tuple[str, float], ...] = (("high", 1), ("normal", 3),
                                                            ("low", 5))
    """Days to review per priority: a number for `review_sla_days` applies to every priority;
    a mapping sets each (defaults high 1, normal 3, low 5)."""
    demand: tuple[tuple[str, float], ...] = ()
    """`demand`: how much readers want each industry or tag (0 to 1), for ticket priority."""
    environments: tuple[str, ...] = ("staging", "production")
    notifications: dict[str, Any] = field(default_factory=dict)
    editors: tuple[Person, ...] = ()
    promoters: tuple[Person, ...] = ()
    admins: tuple[Person, ...] = ()
    signed_commits: bool = False
    """`trust: {signed: true}`: decisions must sit in commits their actors signed, and pubflow
    signs the commits it makes (`records/trust.py`)."""
    environment_rules: tuple[EnvironmentRule, ...] = ()
    """One per environment that was given as a mapping; `rule()` answers for every name."""
    health_score: HealthScoreGate = field(default_factory=HealthScoreGate)
    """`health_score`: the score gates of every environment without its own."""

    def health_gate(self, environment: str) -> HealthScoreGate:
        return self.rule(environment).health_score or self.health_score

    def rule(self, environment: str) -> EnvironmentRule:
        for rule in self.environment_rules:
            if rule.name == environment:
                return rule
        return EnvironmentRule(environment)

    def people(self) -> tuple[Person, ...]:
        """Everyone configured, in any role."""
        return (*self.reviewers, *self.editors, *self.promoters, *self.admins)

    def demand_weights(self) -> dict[str, float]:
        return dict(self.demand)

    def review_days(self, priority: str) -> float:
        """Days a reviewer has for a ticket of this priority (`review_sla_days`)."""
        return dict(self.review_sla_by_priority).get(priority, self.review_sla_days)

    def person(self, actor: str, among: tuple[Person, ...] | None = None) -> Person | None:
        """The first configured person (of `among`, default everyone) that `actor` is; a
        blank actor is nobody (it would match a person without an email)."""
        if not actor.strip():
            return None
        for person in self.people() if among is None else among:
            if person.matches(actor):
                return person
        return None

    def is_configured(self, actor: str) -> bool:
        return self.person(actor) is not None or any(
            _names(actor, name) for rule in self.environment_rules
            for name in rule.promoters or ())

    def may_promote(self, actor: str, environment: str) -> bool:
        """Whether `actor` may promote to or roll back in `environment`."""
        listed = self.rule(environment).promoters
        if listed is None:
            return self.person(actor, (*self.promoters, *self.admins)) is not None
        for name in listed:
            if _names(actor, name):
                return True
            # a listed id also admits that person's configured email
            person = next((p for p in self.people() if p.id == name), None)
            if person is not None and person.matches(actor):
                return True
        return False

    @property
    def patterns_path(self) -> Path:
        return self.root / self.patterns_dir

    @property
    def outbox_path(self) -> Path:
        """The notification outbox (`notifications.outbox`, inside the repository)."""
        return self.root / str(self.notifications.get("outbox") or DEFAULT_OUTBOX)

    def check_fingerprint(self) -> str:
        """A digest of every setting that changes a validation verdict (for the cache)."""
        relevant = {
            "patterns_dir": self.patterns_dir,
            "scorecard": asdict(self.scorecard),
            "diagrams": asdict(self.diagrams),
            "max_file_bytes": self.max_file_bytes,
        }
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def find_root(start: Path) -> Path:
    """The repository root: the nearest folder holding `.git` or `pubflow.yaml`.

    Walks the file system instead of asking git, so a pre-commit run pays no git start-up.
    """
    return Path(repository_root(str(start)))


def load_config(root: Path) -> Config:
    """Read and check `pubflow.yaml`, reusing the last verdict when its bytes are unchanged.

    Parsing YAML and importing jsonschema would cost a pre-commit run ~100 ms; a config file
    that already passed is remembered (keyed on its sha256 and pubflow's version) in the
    repository's cache folder.
    """
    path = root / CONFIG_FILE
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return Config(root=root)
    except OSError as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    from pubflow import __version__
    from pubflow.storage.statefile import CONFIG_CACHE, read_json, state_path, write_json

    key = f"{__version__}:{hashlib.sha256(content).hexdigest()}"
    memo = state_path(root, CONFIG_CACHE)
    cached = read_json(memo)
    if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("raw"), dict):
        # The folders are checked on every run, not remembered: a folder that became a link
        # since the verdict was cached must not pass on the strength of unchanged bytes.
        _check_folders(cached["raw"], path, content)
        return _build(root, path, cached["raw"])
    raw = _read_yaml_mapping(path, content)
    _validate(raw, path)
    _check_folders(raw, path, content)
    plain = json.loads(json.dumps(raw))
    write_json(memo, {"key": key, "raw": plain})
    return _build(root, path, plain)


def _read_yaml_mapping(path: Path, content: bytes) -> Any:
    from pubflow.storage.yaml import load_yaml

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid UTF-8 (byte offset {exc.start})") from exc
    data = load_yaml(text, path.name, error=ConfigError, kind="pubflow configuration")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}:1:1: the top level must be a mapping of keys, "
                          f"not a {type(data).__name__}")
    return data


FOLDER_KEYS: tuple[tuple[str, ...], ...] = (("patterns_dir",), ("notifications", "outbox"))
"""Every key of pubflow.yaml that names a place on disk (pubflow reads or writes there)."""


def _check_folders(raw: Any, path: Path, content: bytes) -> None:
    """Each folder the configuration names must lie inside the repository, followed through
    links: pubflow reads and writes there, and `../..`, an absolute path or a link out of the
    repository would send it anywhere. Positions come from the YAML when `raw` (a cached,
    plain copy) has none."""
    root = path.parent.resolve()
    for keys in FOLDER_KEYS:
        value: Any = raw
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str):
            continue
        target = (root / value).resolve()
        if target == root or root in target.parents:
            continue
        positioned = raw if hasattr(raw, "lc") else _read_yaml_mapping(path, content)
        line, col = _yaml_position(positioned, list(keys))
        raise ConfigError(f"{path.name}:{line}:{col}: key '{_dotted(list(keys))}': '{value}' "
                          f"leads outside the repository ({target})",
                          hint="Name a folder inside the repository, relative to pubflow.yaml "
                               "(and not a link that leads out of it).")


def _validate(raw: Any, path: Path) -> None:
    import jsonschema

    from pubflow.storage.schemas import load_schema

    validator = jsonschema.Draft7Validator(load_schema("config.schema.json"))
    problems = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        keys = list(error.absolute_path)
        if error.validator == "additionalProperties":
            extras = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for extra in extras:
                line, col = _yaml_position(raw, [*keys, extra], at_value=False)
                allowed = ", ".join(sorted(error.schema.get("properties", {})))
                problems.append(f"{path.name}:{line}:{col}: unknown key "
                                f"'{_dotted([*keys, extra])}' (allowed here: {allowed})")
            continue
        line, col = _yaml_position(raw, keys)
        problems.append(f"{path.name}:{line}:{col}: key '{_dotted(keys) or '(top level)'}': "
                        f"{_config_message(error)}")
    if problems:
        raise ConfigError("\n".join(problems),
                          hint="See schemas/config.schema.json for every key and its type.")
    seen: set[str] = set()
    for index, entry in enumerate(raw.get("environments") or ()):
        name = _env_name(entry)
        if name in seen:
            line, col = _yaml_position(raw, ["environments", index])
            raise ConfigError(f"{path.name}:{line}:{col}: environment '{name}' is listed twice")
        seen.add(name)
    scorecard = raw.get("scorecard") or {}
    total_min = scorecard.get("total_min", DEFAULT_TOTAL_MIN)
    if scorecard.get("marginal_max", total_min) < total_min:
        line, col = _yaml_position(raw, ["scorecard", "marginal_max"])
        raise ConfigError(f"{path.name}:{line}:{col}: key 'scorecard.marginal_max' must be at "
                          f"least scorecard.total_min ({total_min})")
    gates: list[tuple[list[str | int], Any, HealthScoreGate]] = [
        (["health_score"], raw.get("health_score") or {}, HealthScoreGate())]
    gates += [(["environments", i, "health_score"], e["health_score"], _health_gate(
                  raw.get("health_score") or {}, HealthScoreGate()))
              for i, e in enumerate(raw.get("environments") or ())
              if isinstance(e, dict) and isinstance(e.get("health_score"), dict)]
    for keys, given, base in gates:
        gate = _health_gate(given, base)
        if not gate.promote >= gate.canary >= gate.earlier:
            line, col = _yaml_position(raw, keys)
            raise ConfigError(f"{path.name}:{line}:{col}: key '{_dotted(keys)}': the thresholds "
                              f"must not cross: promote ({gate.promote:g}) >= canary "
                              f"({gate.canary:g}) >= earlier ({gate.earlier:g})")


def _config_message(error: Any) -> str:
    if error.validator == "type":
        return f"{error.instance!r} is not {_a(error.validator_value)}"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    return str(error.message)


def _a(type_name: Any) -> str:
    names = [type_name] if isinstance(type_name, str) else list(type_name)
    return " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)


def _dotted(keys: list[Any]) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _yaml_position(raw: Any, keys: list[Any], *, at_value: bool = True) -> tuple[int, int]:
    """Line and column (1-based) of the value at `keys` (or of its key), as ruamel recorded."""
    node = raw
    line, col = 1, 1
    for depth, key in enumerate(keys):
        lc = getattr(node, "lc", None)
        last = depth == len(keys) - 1
        try:
            if lc is not None:
                if isinstance(key, int):
                    ln, cl = lc.item(key)
                elif last and at_value:
                    ln, cl = lc.value(key)
                else:
                    ln, cl = lc.key(key)
                line, col = ln + 1, cl + 1
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line, col


def _build(root: Path, path: Path, raw: Any) -> Config:
    def section(name: str) -> dict[str, Any]:
        return dict(raw.get(name) or {})

    reviewers = tuple(
        Reviewer(
            id=str(r["id"]),
            email=r.get("email"),
            name=r.get("name"),
            industries=tuple(r.get("industries") or ()),
            max_queue=int(r.get("max_queue", 5)),
        )
        for r in raw.get("reviewers") or ()
    )
    defaults = Config(root=root)
    thresholds = section("scorecard")
    # "Marginal" is the two points above the pass mark unless the team says otherwise.
    thresholds.setdefault(
        "marginal_max", min(40, thresholds.get("total_min", DEFAULT_TOTAL_MIN) + 2)
    )
    scorecard = ScorecardThresholds(**thresholds)
    return Config(
        root=root,
        source=path,
        patterns_dir=str(raw.get("patterns_dir", defaults.patterns_dir)),
        scorecard=scorecard,
        diagrams=DiagramBudgets(**section("diagrams")),
        max_file_bytes=int(section("limits").get("max_file_bytes", defaults.max_file_bytes)),
        reviewers=reviewers,
        review_sla_days=_sla(raw, defaults)["normal"],
        review_sla_by_priority=tuple(_sla(raw, defaults).items()),
        demand=tuple((str(k), float(v)) for k, v in (raw.get("demand") or {}).items()),
        environments=tuple(_env_name(e) for e in raw.get("environments") or ())
        or defaults.environments,
        notifications=json.loads(json.dumps(raw.get("notifications") or {})),
        editors=_people(raw.get("editors")),
        promoters=_people(raw.get("promoters")),
        admins=_people(raw.get("admins")),
        signed_commits=section("trust").get("signed") is True,
        environment_rules=tuple(
            EnvironmentRule(str(e["name"]),
                            None if e.get("promoters") is None
                            else tuple(str(p).strip() for p in e["promoters"]),
                            int(e.get("approvals", 1)), bool(e.get("require_canary", False)),
                            None if e.get("health_score") is None
                            else _health_gate(e["health_score"], defaults.health_score))
            for e in raw.get("environments") or () if isinstance(e, dict)),
        health_score=_health_gate(raw.get("health_score") or {}, defaults.health_score),
    )


def _health_gate(raw: Any, base: HealthScoreGate) -> HealthScoreGate:
    """Thresholds given override `base`'s; they must not cross (checked when loading)."""
    return HealthScoreGate(float(raw.get("promote", base.promote)),
                           float(raw.get("canary", base.canary)),
                           float(raw.get("earlier", base.earlier)),
                           bool(raw.get("required", base.required)))


def _names(actor: str, name: str) -> bool:
    """Whether `actor` is the id or email `name` (as listed under an environment's promoters)."""
    return actor == name or ("@" in name and same_email(actor, name))


def _env_name(entry: Any) -> str:
    return str(entry["name"]) if isinstance(entry, dict) else str(entry)


def _people(raw: Any) -> tuple[Person, ...]:
    return tuple(Person(str(p)) if isinstance(p, str)
                 else Person(str(p["id"]), p.get("email"), p.get("name"))
                 for p in raw or ())


def _sla(raw: dict[str, Any], defaults: Config) -> dict[str, float]:
    """`review_sla_days` as days per priority: one number for all, or a mapping over the
    defaults."""
    given = raw.get("review_sla_days")
    days = dict(defaults.review_sla_by_priority)
    if isinstance(given, dict):
        days.update({str(k): float(v) for k, v in given.items()})
    elif given is not None:
        days = dict.fromkeys(days, float(given))
    return days
