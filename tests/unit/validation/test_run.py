"""The validation core on real files: what `validate()` and its parts return for every kind of
file a repository can hold, and that the ways of running it (cache, processes, spool) agree."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pubflow.config import Config
from pubflow.findings import FileResult, Issue, Severity, ValidationReport
from pubflow.storage.discovery import Target, collect_targets
from pubflow.storage.jsonsource import JsonDocument, parse_json_bytes
from pubflow.storage.statefile import RESULT_CACHE, state_path
from pubflow.validation import run
from pubflow.validation.run import (
    ValidateRequest,
    check_bytes,
    check_document,
    check_target,
    locate,
    select_targets,
    validate,
    validate_targets,
)
from pubflow.validation.spool import ResultSpool
from tests.conftest import EXAMPLES, git, valid_pattern


def write(repo: Path, name: str, data: dict[str, Any] | str | bytes) -> Path:
    path = repo / "patterns" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def rules(result: FileResult) -> list[str]:
    return [f.rule for f in result.findings]


def by_file(report: ValidationReport) -> dict[str, FileResult]:
    return {r.file: r for r in report.files}


def recount(report: ValidationReport) -> Any:
    """The summary worked out again from the files alone."""
    return ValidationReport(tuple(report.files)).summary


def target(repo: Path, name: str) -> Target:
    (found,) = collect_targets([repo / "patterns" / name], repo)
    return found


@pytest.fixture
def config(repo: Path) -> Config:
    return Config(root=repo)


def mixed_repository(repo: Path) -> None:
    """A passing pattern, a weak scorecard, broken JSON, a pattern that is not an object, a
    duplicate id and links that resolve and links that do not."""
    write(repo, "incident-escalation.json", valid_pattern())
    weak = valid_pattern(id="weak-one", relatedPatterns=["incident-escalation"])
    weak["scorecard"]["handoffs"] = 2
    write(repo, "weak-one.json", weak)
    write(repo, "broken.json", '{"id": "broken",\n  "name": }\n')
    write(repo, "listed.json", "[1, 2]\n")
    write(repo, "copy.json", valid_pattern(relatedPatterns=["nowhere"]))


# --- validate: every file, in order, counted --------------------------------------------------


def test_every_file_is_reported_in_name_order_with_its_findings(repo: Path,
                                                                config: Config) -> None:
    mixed_repository(repo)
    report = validate(ValidateRequest(config, use_cache=False))
    assert [r.file for r in report.files] == [
        "patterns/broken.json", "patterns/copy.json", "patterns/incident-escalation.json",
        "patterns/listed.json", "patterns/weak-one.json"]
    files = by_file(report)
    assert rules(files["patterns/broken.json"]) == ["json.syntax"]
    assert (files["patterns/broken.json"].findings[0].line,
            files["patterns/broken.json"].findings[0].column) == (2, 11)
    assert rules(files["patterns/listed.json"]) == ["schema.type"]
    assert files["patterns/listed.json"].findings[0].message == (
        "a pattern must be a JSON object, not an array")
    assert rules(files["patterns/weak-one.json"]) == ["scorecard.dimension-min"]
    assert rules(files["patterns/copy.json"]) == [
        "repo.id-filename", "repo.duplicate-id", "repo.related-missing"]
    assert rules(files["patterns/incident-escalation.json"]) == ["repo.duplicate-id"]
    assert report.root == str(repo)
    summary = report.summary
    assert (summary.files, summary.errors, summary.files_with_findings, summary.ready) == (
        5, 7, 5, 0)
    assert summary == recount(report)


def test_facts_are_kept_for_each_file(repo: Path, config: Config) -> None:
    marginal = valid_pattern(id="marginal-one", relatedPatterns=["incident-escalation", 7])
    marginal["scorecard"] = dict.fromkeys(marginal["scorecard"], 4)  # 32/40: marginal
    write(repo, "marginal-one.json", marginal)
    write(repo, "incident-escalation.json", valid_pattern())
    report = validate(ValidateRequest(config, use_cache=False))
    facts = by_file(report)["patterns/marginal-one.json"].facts
    assert (facts.id, facts.name, facts.version, facts.score_total, facts.marginal) == (
        "marginal-one", "Incident Escalation with Clear Ownership", "1.0.0", 32, True)
    assert facts.related == ("incident-escalation",)  # the number is the schema's to report
    assert report.summary.marginal == 1
    assert [r.severity for r in by_file(report)["patterns/marginal-one.json"].findings] == [
        Severity.ERROR, Severity.WARNING]  # the link of the wrong type, the marginal score


def test_progress_is_told_after_each_file(repo: Path, config: Config) -> None:
    for index in range(3):
        write(repo, f"p{index}.json", valid_pattern(id=f"p{index}"))
    seen: list[tuple[int, int]] = []
    validate(ValidateRequest(config, use_cache=False), lambda done, total: seen.append(
        (done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_named_paths_replace_the_patterns_folder(repo: Path, config: Config) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    extra = repo / "drafts"
    extra.mkdir()
    (extra / "draft-one.json").write_text(json.dumps(valid_pattern(id="draft-one")))
    report = validate(ValidateRequest(config, paths=(extra,), use_cache=False))
    assert [r.file for r in report.files] == ["drafts/draft-one.json"]
    assert report.passed


# --- folder-wide findings ---------------------------------------------------------------------


def test_folder_findings_are_placed_in_their_files(repo: Path, config: Config) -> None:
    first = write(repo, "incident-escalation.json", valid_pattern())
    second = write(repo, "copy.json", valid_pattern(relatedPatterns=["copy", "nowhere"]))
    files = by_file(validate(ValidateRequest(config, use_cache=False)))
    duplicate = files["patterns/incident-escalation.json"].findings[0]
    assert (duplicate.rule, duplicate.message, duplicate.pointer, duplicate.line,
            duplicate.column) == ("repo.duplicate-id",
                                  "id 'incident-escalation' is also used by patterns/copy.json",
                                  "/id", line_of(first, '"id"'), 9)
    missing = [f for f in files["patterns/copy.json"].findings if f.pointer.startswith("/rel")]
    assert [(f.rule, f.message, f.line) for f in missing] == [
        ("repo.related-missing", "relatedPatterns[0] 'copy' does not exist in the repository",
         line_of(second, '"copy"')),
        ("repo.related-missing", "relatedPatterns[1] 'nowhere' does not exist in the repository",
         line_of(second, '"nowhere"')),
    ]


def test_a_partial_run_checks_links_and_ids_against_the_whole_folder(repo: Path,
                                                                     config: Config) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    linked = write(repo, "linked-one.json", valid_pattern(
        id="linked-one", relatedPatterns=["incident-escalation", "nowhere"]))
    taken = write(repo, "taken.json", valid_pattern())  # the id of a file not in the run
    report = validate(ValidateRequest(config, paths=(linked, taken), use_cache=False))
    files = by_file(report)
    assert list(files) == ["patterns/linked-one.json", "patterns/taken.json"]
    assert [f.message for f in files["patterns/linked-one.json"].findings] == [
        "relatedPatterns[1] 'nowhere' does not exist in the repository"]
    assert [f.message for f in files["patterns/taken.json"].findings][1:] == [
        "id 'incident-escalation' is also used by patterns/incident-escalation.json"]


def test_folder_findings_turn_a_clean_file_into_a_failing_one_in_the_counts(
        repo: Path, config: Config) -> None:
    write(repo, "incident-escalation.json", valid_pattern(relatedPatterns=["nowhere"]))
    report = validate(ValidateRequest(config, use_cache=False))
    (result,) = report.files
    assert rules(result) == ["repo.related-missing"]
    assert not result.ready_for_review
    assert (report.summary.errors, report.summary.files_with_findings, report.summary.ready) == (
        1, 1, 0)
    assert report.summary == recount(report)
    assert not report.passed


# --- the spool, processes and the cache give the same report ----------------------------------


def test_from_the_spool_threshold_on_results_wait_on_disk_and_read_back_equal(
        repo: Path, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mixed_repository(repo)
    in_memory = validate(ValidateRequest(config, use_cache=False))
    assert isinstance(in_memory.files, tuple)
    monkeypatch.setattr(run, "SPOOL_FROM", 5)
    spooled = validate(ValidateRequest(config, use_cache=False))
    assert isinstance(spooled.files, ResultSpool)
    assert list(spooled.files) == list(in_memory.files)  # folder findings joined on the way out
    assert list(spooled.files) == list(in_memory.files)  # and again on a second pass
    assert spooled.summary == in_memory.summary == recount(spooled)
    monkeypatch.setattr(run, "SPOOL_FROM", 6)
    assert isinstance(validate(ValidateRequest(config, use_cache=False)).files, tuple)


@pytest.fixture
def examples_repo(repo: Path) -> Path:
    """Every invalid example and the example repository's patterns in one folder."""
    for source in [*(EXAMPLES / "invalid").glob("*.json"),
                   *(EXAMPLES / "repo" / "patterns").glob("*.json")]:
        shutil.copyfile(source, repo / "patterns" / source.name)
    return repo


def test_worker_processes_and_a_serial_run_agree(examples_repo: Path) -> None:
    config = Config(root=examples_repo)
    serial = validate(ValidateRequest(config, use_cache=False, jobs=1))
    parallel = validate(ValidateRequest(config, use_cache=False, jobs=2))
    assert len(serial.files) > 30
    assert tuple(parallel.files) == tuple(serial.files)
    assert parallel.summary == serial.summary
    assert not serial.passed and serial.summary.ready == 4


def test_cached_and_uncached_runs_agree(examples_repo: Path) -> None:
    config = Config(root=examples_repo)
    cache_file = Path(state_path(examples_repo, RESULT_CACHE))
    uncached = validate(ValidateRequest(config, use_cache=False))
    assert not cache_file.exists()  # --no-cache neither reads nor writes it
    filling = validate(ValidateRequest(config))
    assert cache_file.is_file()
    answered = validate(ValidateRequest(config))
    parallel_cached = validate(ValidateRequest(config, jobs=2))
    for report in (filling, answered, parallel_cached):
        assert tuple(report.files) == tuple(uncached.files)
        assert report.summary == uncached.summary


def test_the_cache_never_keeps_folder_findings(repo: Path, config: Config) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    write(repo, "copy.json", valid_pattern())
    assert not validate(ValidateRequest(config)).passed
    (repo / "patterns" / "copy.json").unlink()
    report = validate(ValidateRequest(config))  # the survivor comes from the cache
    assert report.passed, report.findings


# --- select_targets ---------------------------------------------------------------------------


def committed(repo: Path) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    write(repo, "other-one.json", valid_pattern(id="other-one"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "patterns")


def test_select_targets_takes_everything_unless_a_subset(repo: Path, config: Config) -> None:
    committed(repo)
    request = ValidateRequest(config)
    assert list(select_targets(request)) == collect_targets([config.patterns_path], repo)
    assert select_targets(ValidateRequest(config, subset=True)) == []


def test_select_targets_subset_is_the_changed_json_within_the_paths(repo: Path,
                                                                   config: Config) -> None:
    committed(repo)
    write(repo, "other-one.json", valid_pattern(id="other-one", version="2.0.0"))  # modified
    write(repo, "new-one.json", valid_pattern(id="new-one"))  # untracked
    write(repo, "notes.txt", "not a pattern")
    (repo / "elsewhere.json").write_text("{}")  # changed, but outside the patterns folder
    request = ValidateRequest(config, subset=True)
    assert [t.display for t in select_targets(request)] == [
        "patterns/new-one.json", "patterns/other-one.json"]
    named = ValidateRequest(config, paths=(repo / "patterns" / "new-one.json",), subset=True)
    assert [t.display for t in select_targets(named)] == ["patterns/new-one.json"]
    whole = ValidateRequest(config, paths=(repo,), subset=True)
    assert [t.display for t in select_targets(whole)] == [
        "elsewhere.json", "patterns/new-one.json", "patterns/other-one.json"]


def test_select_targets_subset_against_a_base(repo: Path, config: Config) -> None:
    committed(repo)
    git(repo, "checkout", "-qb", "feature")
    write(repo, "feature-one.json", valid_pattern(id="feature-one"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature")
    request = ValidateRequest(config, subset=True)
    assert select_targets(request) == []
    assert [t.display for t in select_targets(request, "main")] == ["patterns/feature-one.json"]


def test_select_targets_subset_accepts_a_path_through_a_parent_folder(
        repo: Path, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    committed(repo)
    write(repo, "new-one.json", valid_pattern(id="new-one"))
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    plain = ValidateRequest(config, paths=(Path("../patterns"),))
    assert "patterns/new-one.json" in [t.display for t in select_targets(plain)]
    changed = ValidateRequest(config, paths=(Path("../patterns"),), subset=True)
    assert [t.display for t in select_targets(changed)] == ["patterns/new-one.json"]


# --- check_target: one file on its own ---------------------------------------------------------


def test_check_target_stamps_the_bytes_it_checked(repo: Path, config: Config) -> None:
    path = write(repo, "incident-escalation.json", valid_pattern())
    result, stamp = check_target(target(repo, "incident-escalation.json"), config)
    assert result == FileResult("patterns/incident-escalation.json", (), result.facts)
    assert result.facts.id == "incident-escalation"
    assert stamp is not None
    st = path.stat()
    assert stamp == (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns)
    again, none = check_target(target(repo, "incident-escalation.json"), config, digest=False)
    assert (again, none) == (result, None)


def test_a_file_outside_the_repository_is_not_read(repo: Path, config: Config,
                                                   tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text("{not json")
    (repo / "patterns" / "linked.json").symlink_to(outside)
    result, stamp = check_target(target(repo, "linked.json"), config)
    assert stamp is None
    (finding,) = result.findings
    assert (finding.rule, finding.line, finding.column, finding.severity) == (
        "file.outside-repo", 1, 1, Severity.ERROR)
    assert finding.message == (
        f"file resolves to {outside}, outside the repository; it was not read")


def test_an_unreadable_file_is_a_finding(repo: Path, config: Config) -> None:
    (repo / "patterns" / "dangling.json").symlink_to("missing.json")
    result, stamp = check_target(target(repo, "dangling.json"), config)
    assert stamp is None
    assert [(f.rule, f.message) for f in result.findings] == [
        ("file.unreadable", "cannot read file: No such file or directory")]
    (repo / "patterns" / "folder.json").mkdir()
    folder = Target(str(repo / "patterns"), "patterns/folder.json")
    result, _ = check_target(folder, config)
    assert [(f.rule, f.message) for f in result.findings] == [
        ("file.unreadable", "cannot read file: Is a directory")]


def test_a_file_over_the_limit_is_a_finding_and_not_parsed(repo: Path) -> None:
    path = write(repo, "incident-escalation.json", valid_pattern())
    size = path.stat().st_size
    small = Config(root=repo, max_file_bytes=size - 1)
    result, stamp = check_target(target(repo, "incident-escalation.json"), small)
    assert stamp is None
    (finding,) = result.findings
    assert (finding.rule, finding.line, finding.column) == ("json.too-large", 1, 1)
    assert "larger than the" in finding.message
    exact = Config(root=repo, max_file_bytes=size)
    assert check_target(target(repo, "incident-escalation.json"), exact)[0].findings == ()


# --- check_bytes, check_document, locate --------------------------------------------------------


def test_check_bytes_parses_then_checks(repo: Path, config: Config) -> None:
    raw = json.dumps(valid_pattern(), indent=2).encode()
    assert check_bytes(raw, "p.json", config, stem="incident-escalation").findings == ()
    renamed = check_bytes(raw, "p.json", config, stem="other-name")
    assert [(f.rule, f.message) for f in renamed.findings] == [
        ("repo.id-filename",
         "id 'incident-escalation' does not match the file name 'other-name.json'")]
    broken = check_bytes(b'{\n  "id": "x",\n}', "p.json", config, stem="x")
    assert [(f.rule, f.line, f.column) for f in broken.findings] == [("json.syntax", 3, 1)]
    assert broken.facts.id is None
    assert [f.rule for f in check_bytes(b"", "p.json", config, stem="x").findings] == [
        "json.empty"]
    assert [f.rule for f in check_bytes(b"\xff{}", "p.json", config, stem="x").findings] == [
        "json.encoding"]


@pytest.mark.parametrize(("text", "kind"), [
    ("[]", "an array"), ('"text"', "a string"), ("true", "a boolean"), ("null", "null"),
    ("3.5", "a number"), ("7", "a number"),
])
def test_a_document_that_is_not_an_object(config: Config, text: str, kind: str) -> None:
    doc = parse_json_bytes(text.encode(), "p.json")
    assert isinstance(doc, JsonDocument)
    result = check_document(doc, config, stem="p")
    (finding,) = result.findings
    assert (finding.rule, finding.message, finding.line, finding.column, finding.pointer) == (
        "schema.type", f"a pattern must be a JSON object, not {kind}", 1, 1, "")
    assert result.facts.id is None


def test_check_document_places_every_finding(config: Config) -> None:
    data = valid_pattern(version="one", colour="blue")
    data["scorecard"]["handoffs"] = 2
    text = json.dumps(data, indent=2)
    doc = parse_json_bytes(text.encode(), "p.json")
    assert isinstance(doc, JsonDocument)
    result = check_document(doc, config, stem="incident-escalation")
    lines = text.splitlines()
    placed = {f.rule: (f.line, f.column, f.pointer) for f in result.findings}
    version = next(i for i, t in enumerate(lines, 1) if '"version"' in t)
    colour = next(i for i, t in enumerate(lines, 1) if '"colour"' in t)
    handoffs = next(i for i, t in enumerate(lines, 1) if '"handoffs"' in t)
    assert placed == {
        "schema.format": (version, 14, "/version"),
        "schema.unknown-field": (colour, 3, "/colour"),  # at the member name
        "scorecard.dimension-min": (handoffs, 17, "/scorecard/handoffs"),
    }
    assert result.facts.score_total == 33


def test_a_diagram_error_is_placed_on_its_line_in_the_file(config: Config) -> None:
    diagram = "sequenceDiagram\n  participant A\n  A->>B hello"
    text = json.dumps(valid_pattern(asIsDiagramMermaid=diagram), indent=2)
    doc = parse_json_bytes(text.encode(), "p.json")
    assert isinstance(doc, JsonDocument)
    (finding,) = check_document(doc, config, stem="incident-escalation").findings
    assert finding.rule.startswith("diagram.")
    assert "line 3" in finding.message
    field_line = next(i for i, t in enumerate(text.splitlines(), 1) if "asIsDiagram" in t)
    assert finding.line == field_line  # the whole diagram is one JSON line
    shown = text.splitlines()[field_line - 1]
    assert finding.column == shown.index("\\n  A->>B") + 3  # where the diagram's line starts


def test_locate_points_at_value_key_or_line_in_a_string() -> None:
    text = '{\n  "a": 1,\n  "b": {\n    "c": "x\\ny\\nz"\n  }\n}'
    doc = parse_json_bytes(text.encode(), "f.json")
    assert isinstance(doc, JsonDocument)
    value = locate(doc, Issue("/a", "r", "m", "h"))
    assert (value.file, value.line, value.column, value.pointer, value.rule, value.message,
            value.hint, value.severity) == ("f.json", 2, 8, "/a", "r", "m", "h", Severity.ERROR)
    key = locate(doc, Issue("/b/c", "r", "m", severity=Severity.WARNING, at_key=True))
    assert (key.line, key.column, key.severity) == (4, 5, Severity.WARNING)
    inner = locate(doc, Issue("/b/c", "r", "m", line_in_string=3))
    assert (inner.line, inner.column) == (4, 17)


def test_validate_targets_takes_the_given_targets_only(repo: Path, config: Config) -> None:
    write(repo, "incident-escalation.json", valid_pattern())
    write(repo, "other-one.json", valid_pattern(id="other-one", version="x"))
    only = [target(repo, "incident-escalation.json")]
    report = validate_targets(only, ValidateRequest(config, use_cache=False, subset=True))
    assert [r.file for r in report.files] == ["patterns/incident-escalation.json"]
    assert report.passed
    empty = validate_targets([], ValidateRequest(config, use_cache=False))
    assert (tuple(empty.files), empty.summary.files, empty.passed) == ((), 0, True)


# --- --shard: slices, and the ids of the other slices' files (issue 19) -----------------------


def test_read_id_is_the_id_a_check_records(examples_repo: Path) -> None:
    """A slice reads only the id of another slice's file: it must be exactly what checking
    the file records, for every kind of file (broken, empty, not an object, not UTF-8,
    too large, an id that is not a string)."""
    write(examples_repo, "numbered.json", valid_pattern(id=7))
    write(examples_repo, "huge.json", valid_pattern(id="huge", hookMarkdown="x" * 4000))
    elsewhere = examples_repo.parent / "elsewhere.json"
    elsewhere.write_text(json.dumps(valid_pattern(id="elsewhere")))
    (examples_repo / "patterns" / "elsewhere.json").symlink_to(elsewhere)
    config = Config(root=examples_repo)
    targets = collect_targets([examples_repo / "patterns"], examples_repo)
    assert len(targets) > 40 and any(t.outside_repo for t in targets)
    for limit in (config.max_file_bytes, 3000):
        config = Config(root=examples_repo, max_file_bytes=limit)
        ids = [run.read_id(one, config) for one in targets]
        assert ids == [check_target(one, config)[0].facts.id for one in targets]
        assert "huge" in ids if limit > 3000 else "huge" not in ids


def test_a_shard_is_checked_against_every_files_id(repo: Path, config: Config) -> None:
    """Slices cover every file once; each slice reports its files as the whole run does,
    with the ids of the other slices' files read (a duplicate held by another slice)."""
    for index in range(12):
        write(repo, f"p{index:02d}.json", valid_pattern(id=f"p{index:02d}",
                                                        relatedPatterns=["renamed", "gone"]))
    write(repo, "other.json", valid_pattern(id="renamed"))
    write(repo, "copy.json", valid_pattern(id="p03"))
    whole = by_file(validate(ValidateRequest(config, use_cache=False)))
    seen: list[str] = []
    for count in (1, 2, 3):
        for index in range(1, count + 1):
            piece = validate(ValidateRequest(config, use_cache=False,
                                             shard=run.Shard(index, count)))
            for result in piece.files:
                assert run.shard_of(result.file, count) == index
                assert result == whole[result.file]
                seen.append(result.file)
            assert piece.summary == recount(piece)
    assert sorted(seen) == sorted(list(whole) * 3)


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/4", (2, 4)),
                                                (" 4/4 ", (4, 4))])
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    shard = run.parse_shard(text)
    assert (shard.index, shard.count) == expected and str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "3", "", "1/2/3", "-1/2", "1.5/2"])
def test_parse_shard_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="--shard"):
        run.parse_shard(text)


def test_a_files_slice_depends_on_its_path_alone() -> None:
    names = [f"patterns/p{index}.json" for index in range(2000)]
    slices = [run.shard_of(name, 4) for name in names]
    assert set(slices) == {1, 2, 3, 4}
    assert all(350 < slices.count(i) < 650 for i in range(1, 5))  # about even
    assert [run.shard_of(name, 4) for name in names] == slices  # the same every time
    assert run.shard_of("patterns/p1.json", 4) == 1 + int.from_bytes(
        hashlib.blake2b(b"patterns/p1.json", digest_size=8).digest(), "big") % 4


def test_a_failing_worker_process_is_an_error_not_a_hang(examples_repo: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from pubflow.storage.parallel import start_method

    if start_method() != "fork":
        pytest.skip("only a forked worker sees the monkeypatched check")

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("simulated bug")

    monkeypatch.setattr(run, "check_target", broken)
    with pytest.raises(RuntimeError) as info:
        validate(ValidateRequest(Config(root=examples_repo), use_cache=False, jobs=2))
    assert str(info.value) == "a worker process failed: ValueError: simulated bug"
    assert "Traceback" in info.value.__notes__[0]  # shown with --debug
