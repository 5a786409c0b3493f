"""Structure rules that keep pubflow fast and testable, checked on the real modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import valid_pattern

CORE_MODULES = [
    "pubflow.validation.run", "pubflow.config", "pubflow.checks", "pubflow.reporters",
    "pubflow.diagrams.mermaid", "pubflow.diagrams.lint", "pubflow.validation.scoring", "pubflow.validation.result_cache",
    "pubflow.storage.discovery", "pubflow.storage.jsonsource", "pubflow.findings", "pubflow.checks.rules",
    "pubflow.tickets.service", "pubflow.records.store", "pubflow.records.verify",
    "pubflow.checks.locked",
]


def imported_after(code: str, cwd: Path | None = None) -> set[str]:
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_core_imports_neither_typer_nor_rich() -> None:
    loaded = imported_after("\n".join(f"import {m}" for m in CORE_MODULES))
    assert not loaded & {"typer", "rich", "click"}


def test_a_passing_file_loads_no_heavy_library(tmp_path: Path) -> None:
    """The pre-commit path: typer is the only heavy import allowed."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "incident-escalation.json").write_text(json.dumps(valid_pattern()))
    code = (
        "from pubflow.cli.app import app\n"
        "try:\n"
        "    app(['validate', '--no-cache', 'patterns/incident-escalation.json'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
    )
    loaded = imported_after(code, cwd=tmp_path)
    assert "pubflow" in loaded
    assert not loaded & {"jsonschema", "ruamel", "git", "rich", "pydantic", "fastjsonschema",
                         "referencing", "yaml"}
