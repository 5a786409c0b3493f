"""The whole-run memo answers an unchanged repository from the last run, and never stale:
any change to a pattern, a new file or the configuration means a real run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import git, valid_pattern

runner = CliRunner()
WritePattern = Callable[..., Path]


def backdate(repo: Path) -> None:
    """Make every file look written a minute ago, so none is racy."""
    past = time.time() - 60
    for folder, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*files, *dirs]:
            os.utime(Path(folder) / name, (past, past))
    os.utime(repo, (past, past))


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", *args])
    return result.exit_code, result.stdout


def memo_files(repo: Path) -> set[str]:
    folder = repo / ".git" / "pubflow"
    return {p.name for p in folder.glob("validate-run*")} if folder.is_dir() else set()


def test_unchanged_repository_is_answered_from_the_memo(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    git(repo, "init", "-q")
    write_pattern(valid_pattern())
    weak = valid_pattern(id="weak-one")
    weak["scorecard"]["handoffs"] = 2
    write_pattern(weak)
    backdate(repo)
    first = run()
    assert first[0] == 1 and "weak-one.json" in first[1]
    assert memo_files(repo) == {"validate-run.json", "validate-run-output.json"}
    assert run() == first
    assert run("--format", "json")[0] == 1

    weak["scorecard"]["handoffs"] = 4
    write_pattern(weak)
    backdate(repo)
    code, out = run()
    assert code == 0, out
    assert "weak-one.json" not in out


def test_a_new_file_or_a_new_config_is_a_real_run(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern())
    backdate(repo)
    assert run()[0] == 0
    second = valid_pattern(id="second-one", relatedPatterns=["missing-pattern"])
    write_pattern(second)
    backdate(repo)
    code, out = run()
    assert code == 1 and "missing-pattern" in out
    (repo / "patterns" / "second-one.json").unlink()
    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 39\n")
    backdate(repo)
    code, out = run()
    assert code == 1 and "below 39" in out


def test_racy_files_and_open_tickets_are_never_memoised(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern())  # written just now: racy
    assert run()[0] == 0
    assert memo_files(repo) == set()
    backdate(repo)
    (repo / ".pubflow" / "tickets").mkdir(parents=True)
    assert run()[0] == 0
    assert memo_files(repo) == set()


def test_naming_one_file_still_sees_the_rest_of_the_folder(repo: Path,
                                                           write_pattern: WritePattern) -> None:
    one = write_pattern(valid_pattern(id="first-one", relatedPatterns=["second-one"]))
    backdate(repo)
    code, out = run(str(one))
    assert code == 1 and "second-one" in out
    second = write_pattern(valid_pattern(id="second-one"))
    past = time.time() - 60
    for path in (second, second.parent):  # only what changed: the named file is untouched
        os.utime(path, (past, past))
    code, out = run(str(one))
    assert code == 0, out


# Runs the script's entry point and says whether the CLI framework was imported.
PROBE = """
import sys
import pubflow.cli
sys.argv = ["pubflow", *sys.argv[1:]]
try:
    pubflow.cli.main()
except SystemExit as stop:
    code = stop.code
print("typer loaded" if "typer" in sys.modules else "typer not loaded", file=sys.stderr)
heavy = [m for m in ("pathlib", "dataclasses", "hashlib", "typing") if m in sys.modules]
print("heavy imports:", heavy, file=sys.stderr)
raise SystemExit(code)
"""


def script(repo: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    """The installed `pubflow` script, as a shell or a pre-commit hook starts it."""
    return subprocess.run([str(Path(sys.executable).parent / "pubflow"), *args], cwd=repo,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_the_script_answers_an_unchanged_run_before_loading_the_cli(
        repo: Path, write_pattern: WritePattern) -> None:
    """Same output and exit code as the full run, for each option set the memo covers; any
    other option, a change or a broken configuration goes to the full CLI."""
    weak = valid_pattern(id="weak-one")
    weak["scorecard"]["handoffs"] = 2
    write_pattern(weak)
    write_pattern(valid_pattern())
    backdate(repo)
    for options in ([], ["-q"], ["--verbose"], ["--format", "text"]):
        first = script(repo, "validate", *options)
        assert first.returncode == 1 and "weak-one.json" in first.stdout, first.stderr
        again = subprocess.run([sys.executable, "-c", PROBE, "validate", *options], cwd=repo,
                               capture_output=True, text=True)
        assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
        assert "typer not loaded" in again.stderr
        assert "heavy imports: []" in again.stderr  # the answer reads no configuration

    assert script(repo, "validate", "--format", "json").returncode == 1  # the full CLI
    weak["scorecard"]["handoffs"] = 4
    write_pattern(weak)
    backdate(repo)
    fixed = script(repo, "validate")
    assert fixed.returncode == 0 and "weak-one.json" not in fixed.stdout

    (repo / "pubflow.yaml").write_text("patterns_dir: [\n", encoding="utf-8")
    broken = script(repo, "validate")
    assert broken.returncode == 2 and "pubflow.yaml" in broken.stderr
    assert "Traceback" not in broken.stderr


def probe(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, "validate"], cwd=repo,
                          capture_output=True, text=True)


def test_the_shortcut_follows_the_configuration_file(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    """The shortcut decides without reading the configuration: a new setting must still mean
    a real run, and an edit that changes no setting must not disable the shortcut for good."""
    write_pattern(valid_pattern())
    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 30\n", encoding="utf-8")
    backdate(repo)
    assert script(repo, "validate").returncode == 0
    assert "typer not loaded" in probe(repo).stderr

    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 39\n", encoding="utf-8")
    backdate(repo)
    stricter = probe(repo)
    assert stricter.returncode == 1 and "below 39" in stricter.stdout
    assert "typer loaded" in stricter.stderr

    (repo / "pubflow.yaml").write_text("# stricter\nscorecard:\n  total_min: 39\n",
                                       encoding="utf-8")  # not in the listing: no backdate
    same = probe(repo)  # the same settings: the full CLI answers from the memo, once
    assert (same.returncode, same.stdout) == (stricter.returncode, stricter.stdout)
    assert "typer loaded" in same.stderr
    again = probe(repo)
    assert (again.returncode, again.stdout) == (stricter.returncode, stricter.stdout)
    assert "typer not loaded" in again.stderr

    (repo / "pubflow.yaml").unlink()
    backdate(repo)
    default = probe(repo)
    assert default.returncode == 0 and "typer loaded" in default.stderr
