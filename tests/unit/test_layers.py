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
                         "referencing", "yaml", "msgspec", "concurrent"}


def test_a_failing_file_loads_no_heavy_library_through_the_script(tmp_path: Path) -> None:
    """The pre-commit hook on a failing file, through the real entry point: the message is
    worded without jsonschema and the options are read without typer."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "patterns").mkdir()
    wrong = valid_pattern(version="1.0", name="ab", industries=["saas", "saas"], extra=1,
                          scorecard={**valid_pattern()["scorecard"], "handoffs": 9})
    del wrong["problemMarkdown"]
    (tmp_path / "patterns" / "incident-escalation.json").write_text(json.dumps(wrong))
    code = (
        "import runpy\n"
        "sys.argv = ['pubflow', 'validate', '--quiet', '--patterns-dir-only',\n"
        "            'patterns/incident-escalation.json']\n"
        "try:\n"
        "    runpy.run_module('pubflow', run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 1, e.code\n"
    )
    loaded = imported_after(code, cwd=tmp_path)
    assert "pubflow" in loaded
    assert not loaded & {"jsonschema", "typer", "click", "ruamel", "git", "rich", "pydantic",
                         "fastjsonschema", "referencing", "yaml", "msgspec", "concurrent"}


# -- The light `validate` (cli/light.py) against the typer command it stands in for ------------

_TYPER_ENTRY = """import sys
sys.argv = ['pubflow', *sys.argv[1:]]
from pubflow.cli.remembered import answer
code = answer(sys.argv[1:])
if code is not None:
    raise SystemExit(code)
from pubflow.cli.app import build_app, command_named
build_app(command_named(sys.argv[1:]))(args=sys.argv[1:], prog_name='pubflow')
"""
"""`pubflow.cli.main` as it was: the start-up shortcut, then typer for everything."""


def _timeless(text: str) -> str:
    import re

    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z", "<now>", text)


def _run(entry: list[str], args: list[str], cwd: Path) -> tuple[int, str, str, list[str]]:
    """Exit code, output, error output and the files written by one run."""
    import os

    written = [cwd / "out.txt", cwd / "out.json"]
    for output in written:
        output.unlink(missing_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    done = subprocess.run([*entry, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=120)
    return (done.returncode, _timeless(done.stdout), _timeless(done.stderr),
            [_timeless(o.read_text()) for o in written if o.exists()])


LIGHT_CASES: list[list[str] | None] = [
    ["validate"], ["validate", "-q"], ["validate", "--verbose"], ["validate", "--no-cache"],
    ["validate", "patterns/incident-escalation.json"],
    ["validate", "--no-cache", "patterns/bad.json", "patterns/incident-escalation.json"],
    ["validate", "--quiet", "--patterns-dir-only", "patterns/bad.json", "README.md"],
    ["validate", "--patterns-dir-only", "README.md", "package.json"],
    ["validate", "-q", "--patterns-dir-only", "README.md"],
    ["validate", "--format", "json", "patterns"], ["validate", "-fjson", "--no-cache"],
    ["validate", "--format=sarif", "-j", "1"], ["validate", "-f", "markdown", "--jobs=2"],
    ["validate", "-f", "github", "-j0"], ["validate", "-f", "junit", "patterns/bad.json"],
    ["validate", "-o", "out.txt"], ["validate", "--output=out.json", "-f", "json", "-q"],
    ["validate", "--output", "missing/out.txt"],
    ["validate", "--base", "HEAD"], ["validate", "-q", "-v"],
    ["validate", "--changed"], ["validate", "--changed", "--base", "HEAD"],
    ["validate", "patterns/none.json"], ["validate", "elsewhere"],
    ["--debug", "validate", "patterns/bad.json"], ["-C", "patterns", "validate"],
    ["--directory=.", "validate", "-q"], ["--actor", "someone", "validate", "-v"],
    ["-C", "no-such-folder", "validate"],
    None,  # the rest is left to typer: help, unknown options and values it refuses
    ["validate", "--help"], ["validate", "--frmat", "json"], ["validate", "-f", "xml"],
    ["validate", "-j", "-1"], ["validate", "--online-timeout", "0"], ["validate", "-qv"],
    ["validate", "--", "patterns/bad.json"], ["validate", "-f"],
]


def test_light_validate_says_what_the_typer_command_says(tmp_path: Path) -> None:
    """Every invocation gives the same output, error output and exit code through the
    script (which runs a plain `validate` without typer) as through typer; and the light
    path's `--format` choices are the command's."""
    from pubflow.cli.light import FORMATS, _parsed
    from pubflow.cli.validate import OutputFormat

    assert tuple(f.value for f in OutputFormat) == FORMATS
    repo = tmp_path / "repo"
    (repo / "patterns").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "patterns" / "incident-escalation.json").write_text(json.dumps(valid_pattern()))
    (repo / "patterns" / "bad.json").write_text(json.dumps(valid_pattern(version="1", id="Bad")))
    (repo / "README.md").write_text("# patterns\n")
    (repo / "package.json").write_text("{}\n")
    light = [sys.executable, "-m", "pubflow"]
    full = [sys.executable, "-c", _TYPER_ENTRY]
    ran_light = True
    for args in LIGHT_CASES:
        if args is None:
            ran_light = False
            continue
        assert (_parsed(args) is not None) == ran_light, args
        assert _run(light, args, repo) == _run(full, args, repo), args
