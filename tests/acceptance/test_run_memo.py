"""The whole-run memo answers an unchanged repository from the last run, and never stale:
any change to a pattern, a new file or the configuration means a real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
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
            os.utime(Path(folder) / name, (past, past), follow_symlinks=False)
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



@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
@pytest.mark.parametrize("chain", [False, True], ids=["link", "link-to-link"])
def test_an_edit_behind_a_symlinked_pattern_is_a_real_run(repo: Path, chain: bool) -> None:
    """The memo records what a symlinked pattern leads to, not only the link: editing the
    file it points at (the link itself untouched) must never be answered from the memo."""
    real = repo / "sources" / "linked-one.json"
    real.parent.mkdir()
    real.write_text(json.dumps(valid_pattern(id="linked-one")))
    if chain:
        (repo / "sources" / "hop.json").symlink_to("linked-one.json")
        (repo / "patterns" / "linked-one.json").symlink_to("../sources/hop.json")
    else:
        (repo / "patterns" / "linked-one.json").symlink_to("../sources/linked-one.json")
    backdate(repo)
    first = run()
    assert first[0] == 0, first[1]
    assert memo_files(repo)
    assert run() == first  # answered from the memo

    broken = valid_pattern(id="linked-one")
    del broken["hookMarkdown"]
    real.write_text(json.dumps(broken))
    past = time.time() - 60
    os.utime(real, (past, past))  # back to an old mtime: only its ctime and size moved
    code, out = run()
    assert code == 1 and "linked-one.json" in out, out
    assert "hookMarkdown" in out


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


def early(done: subprocess.CompletedProcess[str]) -> bool:
    """True when PROBE's run was answered by the start-up shortcut: it reads no configuration,
    so it imports none of the modules that reading one needs (a full run may go without typer
    too: `cli/light.py`)."""
    return "typer not loaded" in done.stderr and "heavy imports: []" in done.stderr


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
        assert early(again)  # the answer reads no configuration

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
    assert early(probe(repo))

    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 39\n", encoding="utf-8")
    backdate(repo)
    stricter = probe(repo)
    assert stricter.returncode == 1 and "below 39" in stricter.stdout
    assert not early(stricter)

    (repo / "pubflow.yaml").write_text("# stricter\nscorecard:\n  total_min: 39\n",
                                       encoding="utf-8")  # not in the listing: no backdate
    same = probe(repo)  # the same settings: the full CLI answers from the memo, once
    assert (same.returncode, same.stdout) == (stricter.returncode, stricter.stdout)
    assert not early(same)
    again = probe(repo)
    assert (again.returncode, again.stdout) == (stricter.returncode, stricter.stdout)
    assert early(again)

    (repo / "pubflow.yaml").unlink()
    backdate(repo)
    default = probe(repo)
    assert default.returncode == 0 and not early(default)


# --- whatever names the same files is the same run ----------------------------------------

FOLDER_SPELLINGS = (["patterns"], ["patterns/"], ["./patterns"], ["patterns", "./patterns/"])


def settled_with_a_finding(repo: Path, write_pattern: WritePattern) -> None:
    weak = valid_pattern(id="weak-one", relatedPatterns=["incident-escalation"])
    weak["scorecard"]["handoffs"] = 2
    write_pattern(weak)
    write_pattern(valid_pattern())
    backdate(repo)


def test_naming_the_patterns_folder_is_answered_by_the_memo(
        repo: Path, write_pattern: WritePattern, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every spelling of the patterns folder prints what `validate` prints, from the memo
    (no file is checked again: the run itself is out of reach)."""
    settled_with_a_finding(repo, write_pattern)
    first = run()
    assert first[0] == 1 and "weak-one.json" in first[1]
    import pubflow.validation.run as core

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the memo should have answered")

    monkeypatch.setattr(core, "validate_targets", no_run)
    for paths in (*FOLDER_SPELLINGS, [str(repo / "patterns")]):
        assert run(*paths) == first, paths
    monkeypatch.chdir(repo / "patterns")
    assert run(".") == first  # from inside the folder: reports name files from the root
    monkeypatch.chdir(repo.parent)  # the folder above, where the repository is named
    for argv in (["-C", "repo"], ["-C", str(repo)]):
        done = runner.invoke(app, [*argv, "validate", "--format", "text"])
        assert (done.exit_code, done.stdout) == first
        monkeypatch.chdir(repo.parent)  # -C entered the repository


def test_naming_anything_else_is_a_real_run(repo: Path, write_pattern: WritePattern,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A named file, the folder with a file, a subfolder or `--changed`: never the memo."""
    settled_with_a_finding(repo, write_pattern)
    (repo / "patterns" / "more").mkdir()
    (repo / "patterns" / "more" / "other-one.json").write_text(
        json.dumps(valid_pattern(id="other-one")))
    backdate(repo)
    assert run()[0] == 1
    import pubflow.validation.run as core

    real, calls = core.validate_targets, []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "validate_targets", counted)
    for paths in (["patterns/weak-one.json"], ["patterns", "patterns/weak-one.json"],
                  ["patterns/more"], ["."]):
        before = len(calls)
        run(*paths)
        assert len(calls) == before + 1, paths
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    write_pattern(valid_pattern(id="weak-one", relatedPatterns=["incident-escalation"],
                                tags=["support", "fixed"]))  # another size: git sees it
    backdate(repo)
    assert run() == run("patterns")  # the change is remembered
    before = len(calls)
    for paths in ([], ["patterns"]):
        assert run("--changed", *paths)[0] == 0
    assert len(calls) == before + 2  # each checked the changed file itself


def test_the_script_answers_the_folder_named_or_from_elsewhere(
        repo: Path, write_pattern: WritePattern) -> None:
    """The start-up shortcut answers every spelling of the patterns folder and `-C` from
    another folder, before typer loads, byte for byte what the full run printed."""
    settled_with_a_finding(repo, write_pattern)
    first = script(repo, "validate")
    assert first.returncode == 1 and "weak-one.json" in first.stdout, first.stderr
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    calls: list[tuple[list[str], Path]] = [
        *((["validate", *paths], repo) for paths in FOLDER_SPELLINGS),
        (["validate", str(repo / "patterns")], repo),
        (["validate", "-q", "patterns/"], repo),
        (["validate", "."], repo / "patterns"),
        (["-C", str(repo), "validate"], elsewhere),
        (["-C", "../repo", "validate", "patterns"], elsewhere),
        (["--directory", str(repo), "validate", "./patterns"], elsewhere),
        ([f"--directory={repo}", "--debug", "validate"], elsewhere),
        (["-C", "patterns", "validate", "."], repo),
    ]
    quiet = script(repo, "validate", "-q")
    for argv, cwd in calls:
        again = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd,
                               capture_output=True, text=True)
        expected = quiet if "-q" in argv else first
        assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout), argv
        assert early(again), argv


def test_the_script_leaves_anything_else_to_the_full_cli(repo: Path,
                                                         write_pattern: WritePattern) -> None:
    """Another folder, a named file, a `-C` that cannot be entered, two `-C`: the full CLI
    answers (and says what is wrong), never the shortcut."""
    settled_with_a_finding(repo, write_pattern)
    (repo / "other").mkdir()
    (repo / "other" / "weak-one.json").write_text("{}")
    backdate(repo)
    assert script(repo, "validate").returncode == 1
    for argv, code in ((["validate", "patterns/weak-one.json"], 1),
                       (["validate", "other"], 1),
                       (["validate", "patterns", "other"], 1),
                       (["validate", "--", "patterns"], 1),
                       (["-C", "missing", "validate"], 2),
                       (["-C", ".", "-C", ".", "validate"], None)):
        again = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=repo,
                               capture_output=True, text=True)
        assert not early(again), argv
        if code is not None:
            assert again.returncode == code, (argv, again.stderr)
    missing = subprocess.run([sys.executable, "-c", PROBE, "-C", "missing", "validate"],
                             cwd=repo, capture_output=True, text=True)
    assert "cannot change to missing" in missing.stderr
