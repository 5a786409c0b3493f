"""Helpers for the ticket acceptance tests: a repository with reviewers and one pattern."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import git

runner = CliRunner()

REVIEWERS = """\
reviewers:
  - id: rlee
    email: r.lee@example.org
    industries: [saas, telecom]
    max_queue: 2
  - id: mkhan
    email: m.khan@example.org
    industries: [saas]
  - id: jdoe
    email: jane.doe@example.org
    industries: [saas, telecom]
review_sla_days: 3
editors: [editor]
promoters: [releng, relops, monitor-bot]
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def setup_repo(repo: Path, write_pattern: Callable[..., Path],
               patterns: tuple[dict[str, Any], ...] = (), config: str = REVIEWERS) -> None:
    (repo / "pubflow.yaml").write_text(config)
    if patterns:
        for data in patterns:
            write_pattern(data)
    else:
        write_pattern()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "patterns")


def ticket_json(ticket_id: str) -> dict[str, Any]:
    code, out, err = invoke("ticket", "show", ticket_id, "--format", "json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def create(pattern: str = "incident-escalation", actor: str = "jdoe") -> str:
    code, out, err = invoke("--actor", actor, "ticket", "create", pattern)
    assert code == 0, out + err
    return out.strip().splitlines()[-1]


def in_review(pattern: str = "incident-escalation") -> str:
    ticket_id = create(pattern)
    code, out, err = invoke("--actor", "editor", "ticket", "route", ticket_id)
    assert code == 0, out + err
    return ticket_id
