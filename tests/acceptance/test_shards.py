"""`validate --shard I/N` and `validate --merge-reports`: N slices of a run report exactly what
the one run reports, each finding once and in the slice holding its file, on a real repository
with invalid files, shared ids, missing related patterns and broken links.

Why it holds: every finding belongs to one file (the per-file ones and the folder-wide ones
alike, which are joined to the file they name), every file belongs to exactly one slice (a hash
of its path), and a slice works out its files' cross-file findings from the ids of every file
of the run (it reads the id of each file of the other slices), with the run's order, so they
are the run's. The tests below check each step on the CLI's own output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from pubflow.cli.app import app
from pubflow.storage.schemas import load_schema
from pubflow.validation.run import shard_of
from tests.conftest import EXAMPLES, PROJECT, git, run_cli, valid_pattern

runner = CliRunner()
CROSS_FILE = ("repo.duplicate-id", "repo.related-missing", "repo.related-self",
              "links.missing", "links.anchor")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.fixture
def catalog(repo: Path) -> Path:
    """Every invalid example, the example repository's patterns, and more cross-file trouble:
    ids shared in one folder and across subfolders, related ids that only a file of the run
    with another file name holds (so only its read id resolves them), missing and self links,
    and a Markdown link to a file that is not there."""
    for source in [*(EXAMPLES / "invalid").glob("*.json"),
                   *(EXAMPLES / "repo" / "patterns").glob("*.json")]:
        shutil.copyfile(source, repo / "patterns" / source.name)
    patterns = repo / "patterns"
    for index in range(40):
        related = [f"generated-{(index * 7) % 40:02d}", "incident-escalation"]
        if index % 9 == 0:
            related.append("renamed-elsewhere")  # only the id of `odd-name.json`
        if index % 11 == 0:
            related.append(f"generated-{index:02d}")  # itself
        if index % 13 == 0:
            related.append("nowhere-at-all")
        data = valid_pattern(id=f"generated-{index:02d}", relatedPatterns=related)
        if index % 10 == 0:
            data["hookMarkdown"] += " See [the runbook](../docs/missing-runbook.md)."
        write(patterns / f"generated-{index:02d}.json", data)
    write(patterns / "odd-name.json", valid_pattern(id="renamed-elsewhere"))
    write(patterns / "copy-of-generated.json", valid_pattern(id="generated-05"))
    write(patterns / "team-a" / "incident-escalation.json", valid_pattern())
    write(patterns / "team-b" / "generated-07.json", valid_pattern(id="generated-07"))
    write(patterns / "team-b" / "deeper" / "copy.json", valid_pattern(id="generated-05"))
    (repo / "docs").mkdir()
    (repo / "docs" / "present.md").write_text("# Present\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "catalog")
    return repo


def report_of(*args: str) -> dict[str, Any]:
    code, out, err = invoke("validate", "--no-cache", "--format", "json", *args)
    assert code in (0, 1), out + err
    data: dict[str, Any] = json.loads(out)
    return data


def slices(repo: Path, count: int, *extra: str) -> list[Path]:
    paths = []
    for index in range(1, count + 1):
        path = repo / f"slice-{index}-of-{count}.json"
        code, out, err = invoke("validate", "--no-cache", "--shard", f"{index}/{count}",
                                "--format", "json", "--output", str(path), *extra)
        assert code in (0, 1), out + err
        paths.append(path)
    return paths


def steady(text: str) -> str:
    """The report without its timestamp (the only thing a merge may change)."""
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)


def without_time(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "generatedAt"}


def cross_file(entries: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    for entry in entries:
        for finding in entry["findings"]:
            if finding["rule"] in CROSS_FILE:
                yield entry["file"], finding["rule"], finding["message"]


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_slices_report_exactly_what_one_run_reports(catalog: Path, count: int) -> None:
    whole = report_of()
    rules = {f["rule"] for p in whole["patterns"] for f in p["findings"]}
    assert {"repo.duplicate-id", "repo.related-missing", "repo.related-self", "links.missing",
            "repo.id-filename", "json.syntax", "schema.unknown-field"} <= rules
    by_file = {entry["file"]: entry for entry in whole["patterns"]}
    seen: dict[str, int] = {}
    found_cross_file: list[tuple[str, str, str]] = []
    for index, path in enumerate(slices(catalog, count), 1):
        piece = json.loads(path.read_text(encoding="utf-8"))
        assert piece["shard"]["index"] == index and piece["shard"]["count"] == count
        assert piece["shard"]["files"] == whole["summary"]["files"]
        for entry in piece["patterns"]:
            assert shard_of(entry["file"], count) == index  # the slice its path hashes to
            assert entry == by_file[entry["file"]]  # every finding, message and place
            seen[entry["file"]] = seen.get(entry["file"], 0) + 1
        found_cross_file += cross_file(piece["patterns"])
    assert seen == dict.fromkeys(by_file, 1)  # every file in exactly one slice
    assert sorted(found_cross_file) == sorted(cross_file(whole["patterns"]))  # each once
    jsonschema.Draft7Validator(load_schema("validate-report.schema.json")).validate(piece)


def test_slices_laid_out_by_another_tool_merge_too(catalog: Path) -> None:
    """A slice re-indented (by jq, say) is read whole rather than line by line."""
    whole = report_of()
    pieces = slices(catalog, 2)
    data = json.loads(pieces[0].read_text())
    pieces[0].write_text(json.dumps(data, indent=4), encoding="utf-8")
    code, merged, _ = invoke("validate", "--merge-reports", *map(str, pieces), "-f", "json")
    assert code == 1 and without_time(json.loads(merged)) == without_time(whole)
    jsonschema.Draft7Validator(load_schema("validate-report.schema.json")).validate(
        json.loads(merged))


@pytest.mark.parametrize("output_format", ["json", "sarif", "text", "markdown", "junit",
                                           "github"])
def test_the_merged_slices_are_the_runs_report(catalog: Path, output_format: str) -> None:
    code, whole, _ = invoke("validate", "--no-cache", "--format", output_format)
    assert code == 1
    pieces = [str(path) for path in slices(catalog, 3)]
    code, merged, err = invoke("validate", "--merge-reports", *reversed(pieces),
                               "--format", output_format)
    assert code == 1, err
    assert steady(merged) == steady(whole)
    to_file = catalog / f"merged.{output_format}"
    done = run_cli("validate", "--merge-reports", *pieces, "--format", output_format,
                   "--output", str(to_file), cwd=catalog)
    assert done.returncode == 1, done.stderr
    assert "file(s) of 3 slice(s) merged" in done.stderr
    assert steady(to_file.read_text(encoding="utf-8")) == steady(whole)


def test_big_runs_on_disk_and_the_cache_shard_the_same(catalog: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With the run's plan, results and cross-file index on disk (a threshold of 2 files),
    in worker processes, and with the cache warm (other slices' ids from their cached
    results), the slices still merge into the run's report."""
    import pubflow.validation.run

    whole = report_of()
    monkeypatch.setattr(pubflow.validation.run, "SPOOL_FROM", 2)
    assert without_time(report_of("--jobs", "2")) == without_time(whole)
    pieces = slices(catalog, 4, "--jobs", "2")
    code, merged, _ = invoke("validate", "--merge-reports", *map(str, pieces), "-f", "json")
    assert code == 1 and without_time(json.loads(merged)) == without_time(whole)
    assert invoke("validate", "--format", "json")[0] == 1  # fills the cache
    for index in range(1, 5):
        code, out, _ = invoke("validate", "--shard", f"{index}/4", "--format", "json")
        cached = json.loads(out)
        assert cached["patterns"] == json.loads(pieces[index - 1].read_text())["patterns"]


def test_a_slice_of_named_files_or_a_subfolder(catalog: Path) -> None:
    """A run over part of the folder shards too: the files outside the run count by name."""
    named = ("patterns/team-b", "patterns/generated-05.json", "patterns/odd-name.json")
    whole = report_of(*named)
    code, merged, _ = invoke("validate", "--merge-reports",
                             *map(str, slices(catalog, 2, *named)), "-f", "json")
    assert code == 1 and without_time(json.loads(merged)) == without_time(whole)


def test_adding_files_moves_only_the_new_ones(catalog: Path) -> None:
    before = {entry["file"]: index for index, path in enumerate(slices(catalog, 4), 1)
              for entry in json.loads(path.read_text())["patterns"]}
    for index in range(30):
        write(catalog / "patterns" / f"added-{index:02d}.json",
              valid_pattern(id=f"added-{index:02d}"))
    after = {entry["file"]: index for index, path in enumerate(slices(catalog, 4), 1)
             for entry in json.loads(path.read_text())["patterns"]}
    assert {file: after[file] for file in before} == before
    assert len(after) == len(before) + 30


@pytest.mark.parametrize(("value", "message"), [
    ("0/4", "--shard 0/4: I/N needs 1 <= I <= N"),
    ("5/4", "--shard 5/4: I/N needs 1 <= I <= N"),
    ("1/0", "--shard 1/0: I/N needs 1 <= I <= N"),
    ("a/b", "--shard takes I/N, two whole numbers such as 2/4, not 'a/b'"),
    ("3", "--shard takes I/N, two whole numbers such as 2/4, not '3'"),
    ("1/2/3", "not '1/2/3'"),
])
def test_a_bad_shard_is_a_usage_error(catalog: Path, value: str, message: str) -> None:
    code, out, err = invoke("validate", "--shard", value)
    assert code == 2, out + err
    assert message in err
    done = run_cli("validate", f"--shard={value}", cwd=catalog)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_what_cannot_be_merged_is_an_input_error(catalog: Path) -> None:
    one, two, three = map(str, slices(catalog, 3))
    whole = catalog / "whole.json"
    assert invoke("validate", "--no-cache", "-f", "json", "-o", str(whole))[0] == 1
    lines = Path(three).read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("    {"))
    cut = catalog / "cut.json"
    cut.write_text("\n".join(lines[:first + 2]) + "\n")
    dropped = catalog / "dropped.json"
    dropped.write_text("\n".join(lines[:first] + lines[first + 1:]) + "\n")
    (catalog / "notes.txt").write_text("not a report\n")
    (catalog / "other.json").write_text('{"schemaVersion": 1, "tool": {"name": "ajv"}}\n')
    write(catalog / "patterns" / "late-arrival.json", valid_pattern(id="late-arrival"))
    other_run = catalog / "other-run.json"
    assert invoke("validate", "--no-cache", "--shard", "3/3", "-f", "json",
                  "-o", str(other_run))[0] == 1
    other_count = catalog / "other-count.json"
    assert invoke("validate", "--no-cache", "--shard", "2/2", "-f", "json",
                  "-o", str(other_count))[0] == 1
    cases = [
        ((one, two), "slice 3/3 is missing: merge needs the reports of all 3 slices"),
        ((one,), "slices 2/3, 3/3 are missing"),
        ((one, two, two, three), "are both slice 2/3: overlapping slices"),
        ((one, two, str(other_run)), "are slices of different runs"),
        ((one, two, str(other_count)), "are slices of different runs"),
        ((one, two, str(whole)), "is the report of a whole run, not of a `--shard` slice"),
        ((one, two, "notes.txt"), "notes.txt is not a pubflow JSON report"),
        ((one, two, "other.json"), "other.json is not a pubflow JSON report"),
        ((one, two, "gone.json"), "gone.json: no such file"),
        ((one, two, str(cut)), "the report ends inside its patterns: it was cut short"),
        ((one, two, str(dropped)), "a report was cut short or edited"),
        ((), "--merge-reports needs the JSON reports of the slices"),
    ]
    for given, message in cases:
        code, out, err = invoke("validate", "--merge-reports", *given)
        assert code == 2, (given, out, err)
        assert message in err, (given, err)
        assert out == ""
    code, _, err = invoke("validate", "--merge-reports", one, two, three, "--shard", "1/3")
    assert code == 2 and "--merge-reports merges reports; it takes no --shard" in err


def test_the_readmes_job_matrix_runs_and_merges_into_the_runs_report(catalog: Path,
                                                                     tmp_path: Path) -> None:
    """The README's workflow follows GitHub's schema, its matrix and `--shard I/N` agree, and
    its shell steps, run here as the jobs would run them, give the run's SARIF and fail the
    report job on errors."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- snippet: shard-workflow -->\n```yaml\n(.*?)```", readme, re.S)
    assert found, "README has no shard-workflow snippet"
    workflow = tmp_path / "pubflow-sharded.yml"
    workflow.write_text(found.group(1), encoding="utf-8")
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows",
                           str(workflow)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = YAML(typ="safe").load(found.group(1))["jobs"]
    shards = jobs["slice"]["strategy"]["matrix"]["shard"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1"}
    for shard in shards:
        (step,) = [s for s in jobs["slice"]["steps"] if "--shard" in s.get("run", "")]
        assert f"/{len(shards)}" in step["run"]
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=catalog, text=True,
                              capture_output=True, env={**env, "SHARD": str(shard)})
        assert done.returncode == 0, done.stderr  # findings (exit 1) do not fail a slice
    runs = [s["run"] for s in jobs["report"]["steps"] if "--merge-reports" in s.get("run", "")]
    sarif, text = (subprocess.run(["bash", "-e", "-c", run], cwd=catalog, text=True,
                                  capture_output=True, env=env) for run in runs)
    assert sarif.returncode == 0, sarif.stderr
    assert text.returncode == 1 and "repo.duplicate-id" in text.stdout
    code, whole, _ = invoke("validate", "--no-cache", "--format", "sarif")
    assert code == 1
    assert steady((catalog / "pubflow.sarif").read_text(encoding="utf-8")) == steady(whole)
    code, whole, _ = invoke("validate", "--no-cache")
    assert code == 1 and text.stdout == whole
