"""The health score a health command may print, and seed 001's deployment gates on it.

A health command says how healthy the platform is with a score from 0 to 100: a line
`score: N` (the last such line counts), or a JSON object with `score` and optionally
`components` (the whole output, or its last line). The score decides whether the check
passes, by the gates of the environment (`health_score` in pubflow.yaml, seed 001's
defaults):

- at `promote` (95) and above: the release may go on, anywhere;
- from `canary` (85): into the last environment only as a canary (its steps pass; a switch
  of all traffic at once fails), or into any environment before the last;
- from `earlier` (70): only into environments before the last;
- below `earlier`: nowhere.

A check whose command printed no score passes on its exit status alone, unless the gate
says `required`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pubflow.config import Config, HealthScoreGate
from pubflow.release.health import HealthResult, HealthScore, run_health, score_number

_SCORE_LINE = re.compile(r"^\s*score\s*[:=]\s*([-+]?\d+(?:\.\d+)?)\s*(?:/\s*100)?\s*$",
                         re.IGNORECASE)


def parse_score(output: str) -> HealthScore | None:
    """The score in a health command's output; None when it printed none."""
    stripped = output.strip()
    lines = stripped.splitlines()
    for text in (stripped, lines[-1] if lines else ""):
        found = _json_score(text)
        if found is not None:
            return found
    for line in reversed(lines):
        match = _SCORE_LINE.match(line)
        if match:
            return _checked(float(match.group(1)), {})
    return None


def _json_score(text: str) -> HealthScore | None:
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or "score" not in data:
        return None
    value = data["score"]
    components = data.get("components")
    if components is not None and not isinstance(components, dict):
        return HealthScore(None, {}, "'components' must be an object of names and numbers")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return HealthScore(None, {}, f"'score' must be a number from 0 to 100, not {value!r}")
    return _checked(float(value), _plain_components(components or {}))


def _plain_components(components: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """Numbers and groups of numbers (two levels, as seed 001's framework has them); the
    rest is left out so that nothing unbounded reaches the environment file."""
    kept: dict[str, Any] = {}
    for name, value in list(components.items())[:50]:
        key = str(name)[:60]
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            kept[key] = value
        elif isinstance(value, dict) and depth == 0:
            kept[key] = _plain_components(value, 1)
    return kept


def _checked(value: float, components: dict[str, Any]) -> HealthScore:
    if not math.isfinite(value) or not 0 <= value <= 100:
        return HealthScore(None, components, f"score {value:g} is outside 0 to 100")
    return HealthScore(value, components)


def gate_problem(found: HealthScore | None, gate: HealthScoreGate, *, last_environment: bool,
                 canary_step: bool) -> str | None:
    """Why the check fails on its score (None: the score lets the release go on).

    `canary_step`: the check runs between the steps of a gradual rollout (some traffic still
    on the stable version), so the 'promote only with a canary' band passes."""
    if found is None:
        return ("the health command printed no score, and this environment's health_score "
                "gate requires one (a line `score: N`)" if gate.required else None)
    if found.problem is not None:
        return f"the health command printed a bad score: {found.problem}"
    score = float(found.score or 0)
    shown = score_number(score)
    if score >= gate.promote:
        return None
    if score < gate.earlier:
        return (f"health score {shown} is below {score_number(gate.earlier)}: not fit for any "
                "environment")
    if not last_environment:
        return None
    if score < gate.canary:
        return (f"health score {shown} is below {score_number(gate.canary)}: only environments "
                "before the last")
    if canary_step:
        return None
    return (f"health score {shown} is below {score_number(gate.promote)}: the last environment "
            "takes it only as a canary (--canary)")


def health_variables(pattern: str, version: str, environment: str, ticket: str, weight: int,
                     stable: str | None, phase: str) -> dict[str, str]:
    """What the health command is told: which release, at what share of the traffic, and
    whether it runs between canary steps (`canary`) or after the release (`watch`)."""
    return {"PUBFLOW_PATTERN": pattern, "PUBFLOW_VERSION": version,
            "PUBFLOW_ENVIRONMENT": environment, "PUBFLOW_WEIGHT": str(weight),
            "PUBFLOW_TICKET": ticket, "PUBFLOW_STABLE_VERSION": stable or "",
            "PUBFLOW_PHASE": phase}


def scored_check(config: Config, command: str, timeout: float, variables: dict[str, str],
                 environment: str, *, canary_step: bool) -> HealthResult:
    """Run the health command; a check that exits 0 still fails on a score the environment's
    gates do not let through (`health_score`)."""
    from dataclasses import replace

    health = run_health(command, variables, timeout, config.root)
    score = parse_score(health.output)
    health = replace(health, score=score)
    if health.ok:
        problem = gate_problem(score, config.health_gate(environment),
                               last_environment=environment == config.environments[-1],
                               canary_step=canary_step)
        if problem is not None:
            health = replace(health, ok=False, problem=problem)
    return health
