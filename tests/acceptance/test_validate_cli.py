"""`pubflow validate` driven through the real CLI on real files in real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pubflow.cli.app import app
from tests.conftest import git, run_cli, valid_pattern

runner = CliRunner()
WritePattern = Callable[..., Path]


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_valid_repository_passes(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    code, out, err = invoke("validate")
    assert code == 0, out + err
    assert "1 file" in out
    assert "\x1b[" not in out


def test_compiler_style_line_and_hint(repo: Path, write_pattern: WritePattern) -> None:
    card = {**valid_pattern()["scorecard"], "handoffs": 2}
    path = write_pattern(valid_pattern(scorecard=card))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if '"handoffs"' in text)
    code, out, _ = invoke("validate")
    assert code == 1
    lines = out.splitlines()
    expected = (f"patterns/incident-escalation.json:{line}:17: error[scorecard.dimension-min] "
                "scorecard: dimension 'handoffs' scores 2/5 (minimum 3)")
    assert expected in lines
    hint = lines[lines.index(expected) + 1]
    assert "hint" in hint


def test_every_finding_of_a_file_is_reported(repo: Path, write_pattern: WritePattern) -> None:
    data = valid_pattern(version="1", industries=[], tags=["a", "a"])
    data["author"]["email"] = "nobody"
    write_pattern(data)
    code, out, _ = invoke("validate", "--format", "json")
    assert code == 1
    report = json.loads(out)
    rules = sorted(f["rule"] for p in report["patterns"] for f in p["findings"])
    assert rules == ["schema.format", "schema.format", "schema.minItems", "schema.uniqueItems"]
    (pattern,) = report["patterns"]
    assert pattern["readyForReview"] is False
    for finding in pattern["findings"]:
        assert finding["line"] > 1 and finding["column"] > 1 and finding["pointer"]
        assert finding["hint"]


def test_json_marks_ready_for_review_and_marginal(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    marginal = valid_pattern(id="marginal-one", scorecard=dict.fromkeys(
        ["ownership", "timeSla", "capacity", "visibility", "customerLoop", "escalation",
         "handoffs", "documentation"], 4))
    write_pattern(marginal)
    code, out, _ = invoke("validate", "--format", "json")
    assert code == 0
    report = json.loads(out)
    by_id = {p["id"]: p for p in report["patterns"]}
    assert by_id["incident-escalation"]["readyForReview"] is True
    assert by_id["incident-escalation"]["marginal"] is False
    assert by_id["marginal-one"]["readyForReview"] is True
    assert by_id["marginal-one"]["marginal"] is True
    assert report["summary"]["passed"] is True


def test_schema_error_points_at_the_value(repo: Path, write_pattern: WritePattern) -> None:
    path = write_pattern(valid_pattern(version="1.0"))
    text = path.read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"version"' in t)
    code, out, _ = invoke("validate")
    assert code == 1
    assert (f"patterns/incident-escalation.json:{line}:14: error[schema.format] "
            "version '1.0' is not a semantic version MAJOR.MINOR.PATCH") in out


def test_missing_required_points_at_the_object(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(hookMarkdown=None))
    _, out, _ = invoke("validate")
    assert ("patterns/incident-escalation.json:1:1: error[schema.required] "
            "missing required field 'hookMarkdown'") in out
    assert 'hint: Add "hookMarkdown" (Section 1: the hook).' in out


def test_unknown_field_points_at_the_key(repo: Path, write_pattern: WritePattern) -> None:
    data = valid_pattern()
    data["descripton"] = "typo"
    path = write_pattern(data)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "descripton" in t)
    _, out, _ = invoke("validate")
    assert (f"patterns/incident-escalation.json:{line}:3: error[schema.unknown-field] "
            "unknown field 'descripton'") in out


def test_repository_checks(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(relatedPatterns=["no-such-pattern", "other-one"]))
    write_pattern(valid_pattern(id="other-one"), name="other-one")
    write_pattern(valid_pattern(id="other-one"), name="renamed")
    code, out, _ = invoke("validate")
    assert code == 1
    assert "relatedPatterns[0] 'no-such-pattern' does not exist in the repository" in out
    assert "relatedPatterns[1]" not in out
    assert ("patterns/renamed.json:2:9: error[repo.id-filename] id 'other-one' does not match "
            "the file name 'renamed.json'") in out
    assert "id 'other-one' is also used by patterns/renamed.json" in out
    assert "id 'other-one' is also used by patterns/other-one.json" in out


def test_single_file_links_are_checked_against_the_whole_folder(
        repo: Path, write_pattern: WritePattern) -> None:
    path = write_pattern(valid_pattern(relatedPatterns=["other-one"]))
    write_pattern(valid_pattern(id="other-one"), name="other-one")
    code, out, err = invoke("validate", str(path))
    assert code == 0, out + err
    assert "1 file" in out
    (repo / "patterns" / "other-one.json").unlink()
    code, out, _ = invoke("validate", str(path))
    assert code == 1
    assert "'other-one' does not exist" in out


@pytest.mark.parametrize(("content", "rule", "where"), [
    (b'{"id": "pattern",}', "json.syntax", ":1:18:"),
    (b"", "json.empty", ":1:1:"),
    (b'{"name": "caf\xe9"}', "json.encoding", ":1:14:"),
    (b"[1, 2]", "schema.type", ":1:1:"),
    (b"[" * 100_000 + b"]" * 100_000, "json.too-deep", ":1:65:"),
])
def test_unreadable_content_is_a_located_finding(repo: Path, write_pattern: WritePattern,
                                                 content: bytes, rule: str, where: str) -> None:
    write_pattern(content, name="pattern")
    code, out, err = invoke("validate")
    assert code == 1
    assert f"patterns/pattern.json{where} error[{rule}]" in out
    assert "Traceback" not in out + err


def test_fifty_megabyte_file(repo: Path) -> None:
    big = repo / "patterns" / "big.json"
    with big.open("wb") as handle:
        handle.write(b'{"id": "big", "hookMarkdown": "')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b'"}')
    code, out, _ = invoke("validate")
    assert code == 1
    assert "patterns/big.json:1:1: error[json.too-large] file is 50.0 MiB" in out


def test_folder_without_patterns_is_a_usage_error(repo: Path) -> None:
    (repo / "empty").mkdir()
    code, _, err = invoke("validate", "empty")
    assert code == 2
    assert "empty: no pattern files (*.json) found in this folder" in err


def test_missing_path_is_a_usage_error(repo: Path) -> None:
    code, _, err = invoke("validate", "patterns/nope.json")
    assert code == 2
    assert "patterns/nope.json: no such file or folder" in err


def test_missing_patterns_folder_is_a_usage_error(repo: Path) -> None:
    (repo / "patterns").rmdir()
    code, _, err = invoke("validate")
    assert code == 2
    assert "no such file or folder" in err


def test_symlink_out_of_the_repository_is_not_read(repo: Path, write_pattern: WritePattern,
                                                  tmp_path: Path) -> None:
    write_pattern()
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "hunter2"}')
    (repo / "patterns" / "evil.json").symlink_to(secret)
    code, out, _ = invoke("validate")
    assert code == 1
    assert "patterns/evil.json:1:1: error[file.outside-repo]" in out
    assert "hunter2" not in out
    assert "patterns/incident-escalation.json" not in out  # the good file still passes


def test_folder_symlinked_out_of_the_repository_is_not_read(repo: Path, tmp_path: Path) -> None:
    """A folder inside the repository that is a link to elsewhere: none of its files is read."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deeper").mkdir(parents=True)
    (elsewhere / "leak.json").write_text('{"password": "hunter2"}')
    (elsewhere / "deeper" / "more.json").write_text('{"token": "s3cret"}')
    (repo / "linked").symlink_to(elsewhere, target_is_directory=True)
    code, out, _ = invoke("validate", "linked")
    assert code == 1
    assert "linked/leak.json:1:1: error[file.outside-repo]" in out
    assert "linked/deeper/more.json:1:1: error[file.outside-repo]" in out
    assert "hunter2" not in out and "s3cret" not in out


def test_diagram_that_is_not_a_sequence_diagram(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(asIsDiagramMermaid="flowchart TD\n  A --> B"))
    code, out, _ = invoke("validate")
    assert code == 1
    assert "As-Is Diagram does not parse: line 1:" in out


def test_diagram_with_an_unclosed_block(repo: Path, write_pattern: WritePattern) -> None:
    diagram = "sequenceDiagram\n  A->>B: hi\n  alt ok\n    B-->>A: yes\n"
    path = write_pattern(valid_pattern(orchestratedDiagramMermaid=diagram))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1)
                if "orchestratedDiagramMermaid" in t)
    code, out, _ = invoke("validate")
    assert code == 1
    found = [x for x in out.splitlines() if "Orchestrated Diagram does not parse" in x]
    assert len(found) == 1
    assert found[0].startswith(f"patterns/incident-escalation.json:{line}:")


def test_quiet_prints_only_problems(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    code, out, _ = invoke("validate", "--quiet")
    assert (code, out) == (0, "")


def test_output_file_and_format_choices(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(version="x"))
    code, out, err = invoke("validate", "--format", "sarif", "--output", "report.sarif")
    assert code == 1
    assert out == ""
    sarif = json.loads((repo / "report.sarif").read_text())
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "schema.format"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "patterns/incident-escalation.json"
    assert "report written to report.sarif" in err
    code, _, err = invoke("validate", "--format", "yaml")
    assert code == 2
    assert "yaml" in err


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_unwritable_output_is_a_usage_error_and_leaves_nothing(
        repo: Path, write_pattern: WritePattern, output_format: str) -> None:
    """A missing folder fails before writing; a folder in the way fails at the final rename,
    after the report was streamed into a temporary file, which must not be left behind."""
    write_pattern()
    (repo / "reports").mkdir()
    before = sorted(p.name for p in repo.iterdir())
    for target in (repo / "missing" / "report.out", repo / "reports"):
        code, out, err = invoke("validate", "--format", output_format, "--output", str(target))
        assert code == 2, err
        assert f"{target}: cannot write the report" in err
        assert out == ""
    assert not (repo / "missing").exists()
    assert list((repo / "reports").iterdir()) == []
    assert sorted(p.name for p in repo.iterdir()) == before


def test_changed_validates_only_changed_files(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    code, _, err = invoke("validate", "--changed")
    assert code == 0
    assert "no changed pattern files" in err
    write_pattern(valid_pattern(id="new-one", version="bad"), name="new-one")
    code, out, _ = invoke("validate", "--changed")
    assert code == 1
    assert "patterns/new-one.json" in out
    assert "incident-escalation" not in out
    git(repo, "checkout", "-qb", "feature")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "second")
    code, out, _ = invoke("validate", "--changed", "--base", "main")
    assert code == 1 and "patterns/new-one.json" in out
    code, _, err = invoke("validate", "--changed", "--base", "no-such-ref")
    assert code == 2
    assert "no-such-ref" in err


def test_base_without_changed_is_a_usage_error(repo: Path) -> None:
    code, _, err = invoke("validate", "--base", "main")
    assert code == 2
    assert "--base only makes sense with --changed" in err


def test_bad_configuration_stops_with_exit_2(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: thirty\n")
    code, _, err = invoke("validate")
    assert code == 2
    assert "pubflow.yaml:2:14: key 'scorecard.total_min'" in err


def test_configured_thresholds_and_budgets_apply(repo: Path, write_pattern: WritePattern) -> None:
    card = {**valid_pattern()["scorecard"], "handoffs": 2}
    write_pattern(valid_pattern(scorecard=card))
    assert invoke("validate")[0] == 1
    (repo / "pubflow.yaml").write_text("scorecard:\n  dimension_min: 2\n")
    assert invoke("validate")[0] == 0
    (repo / "pubflow.yaml").write_text("scorecard:\n  dimension_min: 2\ndiagrams:\n  max_actors: 2\n")
    code, out, _ = invoke("validate")
    assert code == 1
    assert "As-Is Diagram exceeds actor budget (3/2)" in out
    assert "Orchestrated Diagram exceeds actor budget (3/2)" in out


def test_no_traceback_for_internal_errors_without_debug(repo: Path, write_pattern: WritePattern,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_pattern()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("pubflow.validation.run.validate_targets", boom)
    code, _, err = invoke("validate")
    assert code == 3
    assert "internal error: RuntimeError: simulated bug" in err
    assert "Traceback" not in err
    code, _, err = invoke("--debug", "validate")
    assert code == 3 and "Traceback" in err


def test_subprocess_entry_points(repo: Path, write_pattern: WritePattern) -> None:
    write_pattern()
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("pubflow ")
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("validate", "score"):
        assert command in done.stdout
    done = run_cli("validate", cwd=repo, env={"NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_cli("-C", str(repo), "validate", "--format", "json")
    assert json.loads(done.stdout)["summary"]["files"] == 1


def test_colour_only_when_forced_and_never_with_no_color(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(version="x"))
    forced = run_cli("validate", cwd=repo, env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    plain = run_cli("validate", cwd=repo, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout
    assert plain.returncode == forced.returncode == 1


def test_cache_never_dirties_git_status_and_sees_changes(repo: Path,
                                                        write_pattern: WritePattern) -> None:
    path = write_pattern()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    assert invoke("validate")[0] == 0
    assert (repo / ".git" / "pubflow" / "validate-cache.sqlite3").is_file()
    assert git(repo, "status", "--porcelain") == ""
    assert invoke("validate")[0] == 0
    data = json.loads(path.read_text())
    data["version"] = "oops"
    path.write_text(json.dumps(data, indent=2))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    code, out, _ = invoke("validate")
    assert code == 1 and "version 'oops'" in out
    (repo / "pubflow.yaml").write_text("scorecard:\n  total_min: 40\n")
    code, out, _ = invoke("validate", "--no-cache")
    assert code == 1 and "below 40" in out


def test_changed_file_links_resolve_against_unchanged_files(repo: Path,
                                                            write_pattern: WritePattern) -> None:
    write_pattern(valid_pattern(id="other-one"), name="other-one")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    write_pattern(valid_pattern(relatedPatterns=["other-one"]))
    code, out, err = invoke("validate", "--changed")
    assert code == 0, out + err
    write_pattern(valid_pattern(id="other-one"), name="copy-of-other")
    code, out, _ = invoke("validate", "--changed")
    assert code == 1
    assert "id 'other-one' is also used by patterns/other-one.json" in out


def test_closed_pipe_is_not_a_crash(repo: Path, write_pattern: WritePattern) -> None:
    for index in range(400):
        write_pattern(valid_pattern(id=f"broken-{index:03d}", version="x"), name=f"broken-{index:03d}")
    proc = subprocess.Popen([sys.executable, "-m", "pubflow", "validate", "--no-cache"], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 1
    assert first.startswith(b"patterns/broken-000.json")
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_ctrl_c_exits_130(repo: Path, write_pattern: WritePattern,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    write_pattern()

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("pubflow.validation.run.validate_targets", interrupted)
    code, _, err = invoke("validate")
    assert code == 130
    assert "interrupted" in err


def test_several_processes_give_the_same_report(repo: Path, write_pattern: WritePattern) -> None:
    for index in range(30):
        version = "1.0.0" if index % 3 else "broken"
        write_pattern(valid_pattern(id=f"pattern-{index:02d}", version=version),
                      name=f"pattern-{index:02d}")
    serial = run_cli("validate", "--no-cache", "--jobs", "1", "--format", "json", cwd=repo)
    parallel = run_cli("validate", "--no-cache", "--jobs", "3", "--format", "json", cwd=repo)
    assert serial.returncode == parallel.returncode == 1
    strip = lambda out: {k: v for k, v in json.loads(out).items() if k != "generatedAt"}  # noqa: E731
    assert strip(serial.stdout) == strip(parallel.stdout)
    assert json.loads(serial.stdout)["summary"]["errors"] == 10
    # With the cache on, workers hand back each file's stamp too; the next run reuses them.
    cached = run_cli("validate", "--jobs", "3", "--format", "json", cwd=repo)
    again = run_cli("validate", "--jobs", "3", "--format", "json", "--output", "again.json",
                    cwd=repo)
    assert cached.returncode == again.returncode == 1, cached.stderr + again.stderr
    assert strip(cached.stdout) == strip(serial.stdout)
    assert strip((repo / "again.json").read_text(encoding="utf-8")) == strip(serial.stdout)
    assert "internal error" not in cached.stderr + again.stderr


@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "sarif", "github", "junit"])
def test_big_runs_spool_results_and_report_the_same(repo: Path, write_pattern: WritePattern,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     output_format: str) -> None:
    """Above `SPOOL_FROM` files the results wait on disk; every report is unchanged."""
    import pubflow.validation.run

    for index in range(12):
        version = "1.0.0" if index % 4 else "broken"
        related = [f"pattern-{index + 1:02d}"] if index % 5 else ["nowhere"]
        write_pattern(valid_pattern(id=f"pattern-{index:02d}", version=version,
                                    relatedPatterns=related), name=f"pattern-{index:02d}")
    write_pattern(valid_pattern(id="pattern-03"), name="copy-of-three")  # a duplicate id
    marginal = valid_pattern(id="marginal-one", relatedPatterns=["nowhere"])
    marginal["scorecard"].update(ownership=3, visibility=3)  # a warning, then a joined error
    write_pattern(marginal)
    args = ("validate", "--no-cache", "--jobs", "1", "--format", output_format, "--verbose")
    if output_format != "text":
        args = args[:-1]
    in_memory = invoke(*args)
    monkeypatch.setattr(pubflow.validation.run, "SPOOL_FROM", 2)
    spooled = invoke(*args)
    out_file = repo / "report.out"
    to_file = invoke(*args, "--output", str(out_file))

    def steady(text: str) -> str:  # the timestamp is the only thing allowed to differ
        import re

        return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)

    assert in_memory[0] == spooled[0] == to_file[0] == 1
    if output_format == "text":  # counted while checking == counted from the files
        from pubflow.config import load_config
        from pubflow.findings import ValidationReport
        from pubflow.validation.run import ValidateRequest, validate

        for limit in (2, 1000):
            monkeypatch.setattr(pubflow.validation.run, "SPOOL_FROM", limit)
            report = validate(ValidateRequest(load_config(repo), use_cache=False, jobs=1))
            recount = ValidationReport(tuple(report.files)).summary
            assert report.summary == recount
            assert recount.errors > 0 and recount.warnings > 0
            assert 0 < recount.ready < recount.files
    assert steady(spooled[1]) == steady(in_memory[1])
    assert steady(out_file.read_text(encoding="utf-8")) == steady(in_memory[1])
    assert "repo.duplicate-id" in in_memory[1] or output_format == "junit"
