"""Helpers for the promotion tests: an approved ticket in a real repository, and readers for
the state files as a user (or the live platform) would read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.acceptance.tickets_support import create, invoke, setup_repo
from tests.conftest import git, valid_pattern

PATTERN = "incident-escalation"


def approved(pattern: str = PATTERN) -> str:
    """Create, route and approve a ticket for `pattern` (authored by jdoe, reviewed by rlee)."""
    ticket_id = create(pattern, actor="jdoe")
    code, out, err = invoke("--actor", "editor", "ticket", "route", ticket_id, "--reviewer",
                            "rlee")
    assert code == 0, out + err
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                            "approve")
    assert code == 0, out + err
    return ticket_id


def approved_repo(repo: Path, write_pattern: Callable[..., Path]) -> str:
    setup_repo(repo, write_pattern)
    return approved()


def new_version(repo: Path, write_pattern: Callable[..., Path], version: str) -> str:
    """Commit the pattern at `version` and take a new ticket for it through approval."""
    write_pattern(valid_pattern(version=version))
    git(repo, "commit", "-q", "-am", f"pattern {version}")
    return approved()


def promote(*args: str, actor: str = "releng") -> tuple[int, str, str]:
    return invoke("--actor", actor, "promote", *args)


def live_in(repo: Path, env: str, pattern: str = PATTERN) -> dict[str, Any] | None:
    """What the environment file says, read with a YAML reader as any tool would."""
    path = repo / ".pubflow" / "environments" / f"{env}.yaml"
    if not path.exists():
        return None
    doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    entry = doc["patterns"].get(pattern)
    return entry if isinstance(entry, dict) else None


def catalog(repo: Path, env: str) -> dict[str, Any]:
    rows = json.loads((repo / ".pubflow" / "catalog" / f"{env}.json").read_text())["patterns"]
    return {row["id"]: row for row in rows}


def ticket_state(ticket_id: str) -> str:
    code, out, err = invoke("ticket", "show", ticket_id, "--format", "json")
    assert code == 0, err
    return str(json.loads(out)["state"])


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "--list").split()


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def run_pubflow(repo: Path, *args: str, env: dict[str, str] | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """pubflow in a real child process (for SIGKILL tests and timing-free health checks)."""
    return subprocess.run([sys.executable, "-m", "pubflow", *args], cwd=repo, text=True,
                          capture_output=True, env={**os.environ, **(env or {})},
                          timeout=timeout)
