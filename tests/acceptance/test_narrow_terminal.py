"""An 80-column terminal: ids, versions, ticket numbers and times are never cut; the other
columns wrap, or a table becomes a stacked list; `--help` examples fit. Checked through
CliRunner and a subprocess with COLUMNS=80 and COLUMNS=200, and once in a real terminal
(tmux, `capture-pane`), which is what a user sees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli.app import app, build_app
from tests.acceptance.release_support import approved, promote
from tests.acceptance.tickets_support import invoke, setup_repo
from tests.conftest import run_cli, valid_pattern

LONG = "customer-onboarding-handoff-with-sla-tracking"
NOTES = ("First production rollout of the incident escalation pattern; watch the paging "
         "volume for a week and compare it with the old email escalations")
DIMENSIONS = ("ownership", "timeSla", "capacity", "visibility", "customerLoop", "escalation",
              "handoffs", "documentation")


@pytest.fixture
def busy_repo(repo: Path, write_pattern: Callable[..., Path]) -> dict[str, str]:
    """Three patterns (one with a long id, one weak, one marginal), a release in staging with
    long notes, and a ticket that failed validation."""
    weak = valid_pattern(id=LONG, name="Customer onboarding")
    weak["scorecard"]["handoffs"] = 2
    marginal = valid_pattern(id="vendor-risk-review", name="Vendor risk")
    marginal["scorecard"].update(ownership=3, timeSla=4, capacity=4, visibility=4,
                                 customerLoop=4, escalation=4, handoffs=4, documentation=4)
    setup_repo(repo, write_pattern, patterns=(valid_pattern(), weak, marginal))
    staged = approved()
    code, out, err = promote(staged, "--to", "staging", "--notes", NOTES)
    assert code == 0, out + err
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", LONG)
    assert code == 1, out + err  # the weak pattern fails validation: a ticket all the same
    failed = out.strip().splitlines()[-1]
    return {"staged": staged, "failed": failed}


COMMANDS: list[tuple[str, ...]] = [
    ("score",), ("status",), ("ticket", "list"), ("ticket", "show", "{staged}"),
    ("ticket", "history", "{failed}"), ("diagrams",),
]


def never_cut(out: str, width: int, tickets: dict[str, str]) -> None:
    """Every line fits, nothing is elided, and each id, version and ticket number is whole
    on one line."""
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines), "\n".join(
        line for line in lines if len(line) > width)
    assert "…" not in out
    for word in ("incident-escalation", "vendor-risk-review", "1.0.0", *tickets.values()):
        if word in out.replace("\n", ""):
            assert any(word in line for line in lines), (word, out)


def expected_words(command: tuple[str, ...], tickets: dict[str, str]) -> list[str]:
    name = " ".join(command[:2])
    if name == "score":
        return [LONG, "incident-escalation", "vendor-risk-review", *DIMENSIONS, "33/40",
                "marginal (priority review)"]
    if name == "status":
        return ["incident-escalation", "1.0.0", tickets["staged"], "recent events"]
    if name == "ticket list":
        return [LONG, *tickets.values(), "validation_failed"]
    if name == "diagrams":
        return [f"patterns/{LONG}.json asIsDiagramMermaid", "nested alt"]
    return [tickets["staged"] if command[1] == "show" else tickets["failed"]]


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_tables_fit_and_never_cut_ids(busy_repo: dict[str, str], command: tuple[str, ...],
                                      width: int) -> None:
    args = [part.format(**busy_repo) for part in command]
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(width)})
    assert result.exit_code in (0, 1), result.output
    never_cut(result.stdout, width, busy_repo)
    for word in expected_words(command, busy_repo):
        assert any(word in line for line in result.stdout.splitlines()), (word, result.stdout)


def test_score_is_a_table_when_wide_and_a_stacked_list_when_narrow(
        busy_repo: dict[str, str]) -> None:
    wide = CliRunner().invoke(app, ["score"], env={"COLUMNS": "200"}).stdout
    header = next(line for line in wide.splitlines() if "pattern" in line)
    assert all(dimension in header for dimension in DIMENSIONS)
    assert any(LONG in line and "33/40" in line and "fail" in line for line in wide.splitlines())
    narrow = CliRunner().invoke(app, ["score"], env={"COLUMNS": "80"}).stdout
    assert "┃" not in narrow
    assert f"\n{LONG}\n" in narrow
    assert "  ownership: 5  timeSla: 4  capacity: 4  visibility: 5  customerLoop: 4" in narrow
    assert "verdict: marginal (priority review)" in narrow


def test_status_wraps_notes_but_never_the_columns_it_keeps(busy_repo: dict[str, str]) -> None:
    for width in (80, 120, 200):
        out = CliRunner().invoke(app, ["status"], env={"COLUMNS": str(width)}).stdout
        never_cut(out, width, busy_repo)
        assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out)  # a whole timestamp
        # The notes (first 60 characters) are all there, wrapped at spaces if need be.
        assert " ".join(NOTES[:60].split()[:-1]) in " ".join(
            re.sub(r"[│┃|]", " ", out).split())


@pytest.mark.parametrize("width", [80, 200])
def test_a_subprocess_follows_columns(busy_repo: dict[str, str], width: int,
                                      repo: Path) -> None:
    for command in (("score",), ("ticket", "list"), ("status",)):
        done = run_cli(*command, cwd=repo, env={"COLUMNS": str(width)})
        assert done.returncode in (0, 1), done.stderr
        never_cut(done.stdout, width, busy_repo)
        assert LONG in done.stdout or command == ("status",)


def help_paths() -> list[list[str]]:
    import typer.main

    whole = typer.main.get_command(build_app())
    paths: list[list[str]] = [[]]
    for name, command in whole.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        paths += [[name, sub] for sub in subcommands] if subcommands else [[name]]
    return paths


def example_lines(path: list[str]) -> list[str]:
    """The lines of the examples in a command's docstring (continuations included)."""
    import typer.main

    command = typer.main.get_command(build_app())
    for part in path:
        command = command.commands[part]  # type: ignore[attr-defined]
    doc = command.help or ""
    lines = [line.strip() for line in doc.splitlines()
             if line.startswith(" ") and line.strip().startswith(("pubflow ", "--"))]
    return lines + re.findall(r"Example: (pubflow [^\n]*)", doc)


@pytest.mark.parametrize("width", [80, 200])
def test_help_examples_fit_on_their_lines(width: int) -> None:
    checked = 0
    for path in help_paths():
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, (path, result.output)
        shown = [line.strip(" │") for line in result.output.splitlines()]
        assert all(len(line) <= width for line in result.output.splitlines()), path
        for example in example_lines(path):
            assert any(example in line for line in shown), (path, example, result.output)
            checked += 1
    assert checked > 30


def test_help_prose_is_not_ragged_at_80_columns() -> None:
    result = CliRunner().invoke(app, ["monitor", "--help"], env={"COLUMNS": "80"})
    # the docstring's own line break after "nobody" used to end a line of its own there
    assert "patterns nobody views" in " ".join(result.output.split())
    assert not any(line.strip(" │").endswith("nobody") for line in result.output.splitlines())


# --- A real terminal ---

TMUX = shutil.which("tmux")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_a_real_80_column_terminal(busy_repo: dict[str, str], repo: Path,
                                   tmp_path: Path) -> None:
    assert TMUX is not None
    pubflow = shutil.which("pubflow", path=str(Path(sys.executable).parent))
    assert pubflow is not None
    session = f"pubflow-{os.getpid()}-{time.monotonic_ns()}"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
    env["TMUX_TMPDIR"] = str(tmp_path)
    script = tmp_path / "run.sh"
    script.write_text(
        f"cd {repo}\n"
        f"{pubflow} score\n{pubflow} status\n{pubflow} ticket list\n"
        f"{pubflow} ticket history {busy_repo['staged']}\n"
        "echo END-OF-RUN\n")

    def tmux(*args: str) -> str:
        return subprocess.run([TMUX, *args], env=env, check=True, capture_output=True,
                              text=True, timeout=30).stdout

    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "50",
         f"bash --norc --noprofile {script}; sleep 60")
    try:
        deadline = time.monotonic() + 60
        screen = ""
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-S", "-", "-t", session)
            if "END-OF-RUN" in screen:
                break
            time.sleep(0.2)
        assert "END-OF-RUN" in screen, screen
        assert tmux("display-message", "-p", "-t", session, "#{pane_width}").strip() == "80"
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], env=env, capture_output=True)
    lines = screen.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in screen
    # What a user sees: each id whole on one line, stacked where a table would not fit.
    assert LONG in lines
    assert any("ownership: 5" in line for line in lines)
    for ticket in busy_repo.values():
        assert any(ticket in line for line in lines), ticket
    assert any("incident-escalation" in line and "version" not in line for line in lines)
    assert any(re.search(r"\b1\.0\.0\b", line) for line in lines)
    json.dumps(lines)  # plain text: capture-pane gives what is on the screen, no escapes
