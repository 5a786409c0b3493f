"""Issue 18, items 5 and 8: `pubflow metrics` on a real repository's history (tickets,
promotions, a rollback, a fix, a failed validation) and the platform's events; its bad inputs;
the metrics on `status --format html`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    new_version,
    promote,
    run_pubflow,
)
from tests.acceptance.tickets_support import invoke
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
LATER = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
"""The window's end: two days on, so every publication's first 24 hours are over."""


def history(repo: Path, write_pattern: WritePattern) -> None:
    """Three publications of one pattern (the second rolled back, the third its fix) and a
    second pattern whose submission fails validation."""
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                             "--reason", "broken step")
    assert code == 0, err
    third = new_version(repo, write_pattern, "1.2.0")
    assert promote(third, "--to", "staging")[0] == 0
    assert promote(third, "--to", "production")[0] == 0
    broken = valid_pattern(id="broken-one")
    broken["scorecard"]["handoffs"] = 2
    write_pattern(broken)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a broken pattern")
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "broken-one")
    assert code == 1, out + err  # created, failing validation


def events_file(repo: Path, lines: list[str]) -> Path:
    path = repo.parent / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def event(kind: str, visitor: str, at: datetime, **extra: Any) -> str:
    return json.dumps({"type": kind, "pattern": PATTERN, "version": "1.2.0",
                       "visitor": visitor, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), **extra})


def metrics_json(*args: str) -> dict[str, Any]:
    code, out, err = invoke("metrics", "--now", LATER, "--format", "json", *args)
    assert code == 0, out + err
    data: dict[str, Any] = json.loads(out)
    return data


def test_the_seven_metrics_of_a_real_history(repo: Path, write_pattern: WritePattern,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo, write_pattern)
    soon = datetime.now(UTC) + timedelta(hours=1)
    lines = [event("view", "v1", soon), event("view", "v2", soon + timedelta(minutes=1)),
             "{not json", event("download", "v4", soon + timedelta(minutes=2)),
             event("view", "v1", soon + timedelta(minutes=3)),
             event("view", "v3", soon + timedelta(minutes=4))]
    data = metrics_json("--events", str(events_file(repo, lines)))
    found = data["metrics"]
    assert list(found) == ["publicationSuccessRate", "reviewCycleTime", "deploymentDuration",
                           "validationFailureRate", "incidentRate", "adoptionRate",
                           "timeToFirstFix"]
    assert data["environment"] == "production" and data["until"] == LATER
    success = found["publicationSuccessRate"]
    # 1.0.0 and 1.2.0 went live and stayed; 1.1.0 was rolled back; broken-one is pending
    assert (success["count"], success["total"], success["pending"]) == (2, 3, 1)
    assert success["rate"] == round(2 / 3, 4)
    for key in ("reviewCycleTime", "deploymentDuration"):
        assert found[key]["count"] == 3 and found[key]["median"] is not None
        assert found[key]["p90"] >= found[key]["median"] >= 0
    assert found["reviewCycleTime"]["unit"] == "hours"
    assert found["deploymentDuration"]["unit"] == "minutes"
    assert (found["validationFailureRate"]["count"],
            found["validationFailureRate"]["total"]) == (1, 4)
    incidents = found["incidentRate"]
    assert (incidents["count"], incidents["total"], incidents["watching"]) == (1, 3, 0)
    fix = found["timeToFirstFix"]
    assert (fix["count"], fix["unfixed"]) == (1, 0) and fix["median"] is not None
    adoption = found["adoptionRate"]
    assert (adoption["count"], adoption["total"], adoption["rate"]) == (3, 4, 0.75)
    assert data["events"]["events"] == 5 and data["events"]["badEvents"] == 1
    assert data["events"]["badLines"] == [{"line": 3, "reason": "not JSON"}]
    assert len(data["weeks"]) >= 5
    for metric in found.values():
        assert len(metric["weekly"]) == len(data["weeks"]) and metric["definition"]
    # text: every line fits 80 columns; markdown: a table and the definitions
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = invoke("metrics", "--now", LATER)
    assert code == 0, err
    assert "publication success rate" in out and "66.7 %" in out
    assert "no events given" in out and "1 fix;" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, err = invoke("metrics", "--now", LATER, "--format", "markdown")
    assert code == 0, err
    assert "| publication success rate | 66.7 % |" in out and "## Definitions" in out
    output = repo.parent / "metrics.md"
    code, _out, err = invoke("metrics", "--format", "markdown", "--output", str(output))
    assert code == 0, err and output.read_text().startswith("# Governance metrics")
    # a window that starts after everything happened: nothing to measure, n/a, not 0
    data = metrics_json("--since", LATER[:10])
    assert data["metrics"]["reviewCycleTime"]["median"] is None
    assert data["metrics"]["publicationSuccessRate"]["rate"] is None
    assert data["metrics"]["adoptionRate"]["rate"] is None
    assert run_pubflow(repo, "verify").returncode == 0


def test_a_repository_without_history_says_n_a(repo: Path, write_pattern: WritePattern) -> None:
    from tests.acceptance.tickets_support import setup_repo

    setup_repo(repo, write_pattern)
    data = metrics_json("--since", "12w")
    assert len(data["weeks"]) in (12, 13) and data["events"] is None
    for metric in data["metrics"].values():
        assert metric.get("rate", metric.get("median")) is None
    code, out, _err = invoke("metrics")
    assert code == 0 and out.count("n/a") >= 7


def test_a_damaged_audit_log_stops_it_naming_the_line(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    approved_repo(repo, write_pattern)
    log = repo / ".pubflow" / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], "{damaged", *lines[1:]]) + "\n")
    code, _out, err = invoke("metrics")
    assert code == 2 and ".pubflow/audit.jsonl:2: not a JSON object" in err


@pytest.mark.parametrize("args, message", [
    (("--since", "30"), "not a duration or an ISO date"),
    (("--since", "30x"), "not a duration or an ISO date"),
    (("--since", "-3d"), "not a duration or an ISO date"),
    (("--since", "0d"), "between 1 and"),
    (("--since", "99999w"), "between 1 and 3660 days"),
    (("--since", "2026-02-30"), "not a duration or an ISO date"),
    (("--since", "2999-01-01"), "at or after its end"),
    (("--since", "1990-01-01"), "more than"),
    (("--now", "yesterday"), "--now yesterday"),
    (("--events", "missing.jsonl"), "cannot read the events"),
    (("--format", "xml"), "xml"),
    (("--output", "x.txt"), "--output needs --format json or markdown"),
])
def test_bad_inputs_exit_2(repo: Path, write_pattern: WritePattern, args: tuple[str, ...],
                           message: str) -> None:
    from tests.acceptance.tickets_support import setup_repo

    setup_repo(repo, write_pattern)
    code, _out, err = invoke("metrics", *args)
    assert code == 2, err
    assert message in err


def test_status_html_shows_the_metrics_with_a_weekly_trend(
        repo: Path, write_pattern: WritePattern) -> None:
    history(repo, write_pattern)
    done = run_pubflow(repo, "status", "--format", "html")
    assert done.returncode == 0, done.stderr
    page = done.stdout
    assert "<h2>Governance metrics</h2>" in page and "66.7 %" in page
    assert page.count('<svg role="img" aria-label=') >= 8  # the day chart and seven trends
    assert 'aria-label="review cycle time per week"' in page
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
