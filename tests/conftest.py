"""Shared fixtures: real temporary git repositories and a valid pattern to start from."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"

AS_IS = """sequenceDiagram
  participant Customer
  participant Agent as Support Agent
  participant Eng as Engineering
  Customer->>Agent: Report outage
  Agent->>Agent: Search old tickets
  alt Known issue
    Agent-->>Customer: Send workaround
  else Unknown
    Agent->>Eng: Forward by email
    Eng-->>Agent: Reply days later
  end
  Agent-->>Customer: Close ticket"""

ORCHESTRATED = """sequenceDiagram
  participant Customer
  participant Desk as Service Desk
  participant OnCall as On-call Engineer
  Customer->>Desk: Report outage
  Desk->>OnCall: Page with severity and context
  activate OnCall
  OnCall-->>Desk: Acknowledge within 15 minutes
  Note over Desk,OnCall: SLA clock visible to both
  OnCall->>Desk: Fix deployed
  deactivate OnCall
  Desk-->>Customer: Confirm resolution"""

VALID_PATTERN: dict[str, Any] = {
    "id": "incident-escalation",
    "name": "Incident Escalation with Clear Ownership",
    "version": "1.0.0",
    "author": {"id": "jdoe", "name": "Jane Doe", "email": "jane.doe@example.org"},
    "industries": ["saas", "telecom"],
    "tags": ["support", "sla"],
    "hookMarkdown": "Outages drag on because nobody owns the escalation.",
    "problemMarkdown": "Tickets bounce between teams by email; customers wait days.",
    "brokenSignals": ["Tickets reopened", "Escalations by email"],
    "asIsDiagramMermaid": AS_IS,
    "orchestratedMarkdown": "A service desk pages the on-call engineer with context.",
    "orchestratedDiagramMermaid": ORCHESTRATED,
    "scorecard": {
        "ownership": 5, "timeSla": 4, "capacity": 4, "visibility": 5,
        "customerLoop": 4, "escalation": 5, "handoffs": 4, "documentation": 4,
    },
    "acceptanceCriteria": [
        {"given": "a P1 outage", "when": "the desk pages", "then": "on-call acks in 15 minutes"},
    ],
    "implementationChecklist": ["Define severities", "Set up paging"],
}


def valid_pattern(**overrides: Any) -> dict[str, Any]:
    """A deep copy of a valid pattern with top-level fields replaced (None deletes)."""
    data = copy.deepcopy(VALID_PATTERN)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def plain_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository folder with a patterns folder, made the working directory; its `.git` is
    only where pubflow keeps its state, so no git command is needed (and none is paid for)."""
    root = tmp_path / "repo"
    (root / "patterns").mkdir(parents=True)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's git identity, colour settings or cache folder."""
    for name in ("NO_COLOR", "FORCE_COLOR", "PUBFLOW_ACTOR", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.org")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.org")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig-global"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty git repository with a patterns folder; the test runs inside it."""
    root = tmp_path / "repo"
    (root / "patterns").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    yield root


@pytest.fixture
def write_pattern(repo: Path) -> Callable[..., Path]:
    """Write a pattern (dict, or raw text/bytes) as patterns/<name>.json."""

    def write(data: dict[str, Any] | str | bytes | None = None, name: str | None = None) -> Path:
        if data is None:
            data = valid_pattern()
        if name is None:
            name = data["id"] if isinstance(data, dict) else "pattern"
        path = repo / "patterns" / f"{name}.json"
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        return path

    return write


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `pubflow` entry point in a subprocess, as a user or a hook would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pubflow", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input_text, timeout=120,
    )
