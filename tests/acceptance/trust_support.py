"""A repository with people and per-environment permissions, built once per test module and
copied for each test (real git, the real CLI)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from pubflow.records.chain import event_hash
from tests.acceptance.tickets_support import invoke
from tests.conftest import git, valid_pattern

CONFIG = """\
reviewers:
  - id: rlee
    email: r.lee@example.org
    industries: [saas, telecom]
  - id: mkhan
    email: m.khan@example.org
    industries: [saas]
  - id: jane
    email: "Jane.Doe@example.org "   # the author, with a trailing space
    industries: [saas]
editors: [editor]
promoters: [releng, relops]
admins:
  - {id: root-admin, email: admin@example.org}
environments:
  - staging
  - {name: production, promoters: [releng], approvals: 2, require_canary: true}
"""
ENV = {"GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
       "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.org"}


def ok(*args: str) -> str:
    code, out, err = invoke(*args)
    assert code == 0, out + err
    return out


def built(tmp_path_factory: pytest.TempPathFactory,
          build: Callable[[Path], dict[str, str]]) -> Iterator[tuple[Path, dict[str, str]]]:
    """Run `build` once in a fresh repository; yields the folder and what `build` returned."""
    base = tmp_path_factory.mktemp("trust")
    root = base / "repo"
    (root / "patterns").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in ENV.items():
            mp.setenv(key, value)
        mp.setenv("GIT_CONFIG_GLOBAL", str(base / "gitconfig"))
        mp.setenv("XDG_CACHE_HOME", str(base / "cache"))
        mp.delenv("PUBFLOW_ACTOR", raising=False)
        mp.chdir(root)
        git(root, "init", "-q", "-b", "main")
        (root / "pubflow.yaml").write_text(CONFIG)
        for pattern_id in ("incident-escalation", "second-one", "third-one"):
            (root / "patterns" / f"{pattern_id}.json").write_text(
                json.dumps(valid_pattern(id=pattern_id), indent=2) + "\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "patterns")
        names = build(root)
    yield root, names


def copy_of(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(source, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


def ticket_doc(root: Path, ticket_id: str) -> Any:
    return YAML().load((root / ".pubflow" / "tickets" / f"{ticket_id}.yaml").read_text())


def save_and_commit(root: Path, ticket_id: str, doc: Any, message: str) -> None:
    """Write the ticket as a hand edit would and commit it, hooks skipped."""
    path = root / ".pubflow" / "tickets" / f"{ticket_id}.yaml"
    yaml = YAML()
    with path.open("w") as handle:
        yaml.dump(doc, handle)
    git(root, "add", str(path))
    git(root, "commit", "-q", "--no-verify", "-m", message)


def rehash(event: Any) -> None:
    event["hash"] = event_hash(event)


def pinned_digest(root: Path, pattern_id: str) -> str:
    return hashlib.sha256((root / "patterns" / f"{pattern_id}.json").read_bytes()).hexdigest()
