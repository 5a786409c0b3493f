"""The whole-run memo: which runs may be remembered, what it gives back, and that a changed,
stale or damaged memo never answers."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pubflow.config import Config, load_config
from pubflow.storage.statefile import RUN_MEMO, RUN_OUTPUT, read_json, state_path, write_json
from pubflow.validation.memo import (
    RunMemo,
    names_patterns_folder,
    run_key,
    shortcut_answer,
    shortcut_basis,
)
from pubflow.validation.run import ValidateRequest, validate
from tests.conftest import plain_repository, valid_pattern


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return plain_repository(tmp_path, monkeypatch)


def backdate(repo: Path) -> None:
    """Every file and folder of the work tree as if written a minute ago: none is racy."""
    past = time.time() - 60
    for folder, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*files, *dirs]:
            os.utime(Path(folder) / name, (past, past))
    os.utime(repo, (past, past))


def write(repo: Path, name: str, **overrides: object) -> Path:
    path = repo / "patterns" / f"{name}.json"
    path.write_text(json.dumps(valid_pattern(id=name, **overrides), indent=2))
    return path


@pytest.fixture
def settled(repo: Path) -> Config:
    """A repository of two patterns (one failing), written long enough ago to be memoised."""
    write(repo, "incident-escalation")
    write(repo, "weak-one", relatedPatterns=["nowhere"])
    backdate(repo)
    return Config(root=repo)


def key_of(config: Config) -> str:
    key = run_key(config)
    assert key is not None
    return key


# --- run_key: which runs are memoised ---------------------------------------------------------


def test_a_plain_run_over_a_settled_folder_has_a_stable_key(settled: Config) -> None:
    key = key_of(settled)
    assert run_key(settled) == key
    assert run_key(Config(root=settled.root, scorecard=settled.scorecard)) == key


@pytest.mark.parametrize("options", [
    {"use_cache": False},
    {"paths": (Path("patterns/weak-one.json"),)},
    {"subset": True},
])
def test_runs_that_are_never_memoised(settled: Config, options: dict[str, object]) -> None:
    assert run_key(settled, **options) is None
    assert RunMemo.for_run(ValidateRequest(settled, **options)) is None


@pytest.mark.parametrize("paths", [
    ("patterns",), ("patterns/",), ("./patterns",), ("patterns", "./patterns/"),
    ("patterns/../patterns",), (Path("patterns"),),
])
def test_every_spelling_of_the_patterns_folder_has_the_plain_key(
        settled: Config, paths: tuple[str, ...]) -> None:
    key = key_of(settled)
    assert run_key(settled, paths=paths) == key
    assert run_key(settled, paths=(str(settled.root / "patterns"),)) == key
    memo = RunMemo.for_run(ValidateRequest(settled, paths=tuple(map(Path, paths))))
    assert memo is not None and memo.key == key


def test_the_folder_is_recognised_from_anywhere(settled: Config,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key = key_of(settled)
    monkeypatch.chdir(settled.root / "patterns")
    assert run_key(settled, paths=(".",)) == key
    assert run_key(settled, paths=("../patterns/",)) == key
    monkeypatch.chdir(settled.root.parent)
    assert run_key(settled) == key  # the root is the configuration's, not the working folder
    assert run_key(settled, paths=("repo/patterns",)) == key
    assert run_key(settled, paths=("patterns",)) is None  # another folder, from here


@pytest.mark.parametrize("paths", [
    ("patterns/weak-one.json",), ("patterns", "patterns/weak-one.json"), (".",),
    ("patterns/sub",), ("other",), ("patterns", "other"),
])
def test_naming_anything_but_the_patterns_folder_is_never_memoised(
        settled: Config, paths: tuple[str, ...]) -> None:
    (settled.root / "patterns" / "sub").mkdir()
    (settled.root / "other").mkdir()
    assert run_key(settled, paths=paths) is None
    assert RunMemo.for_run(ValidateRequest(settled, paths=tuple(map(Path, paths))),
                           handed_on="from-the-shortcut") is None


def test_names_patterns_folder_resolves_as_the_run_does() -> None:
    assert names_patterns_folder(["patterns"], "/r/patterns", "/r")
    assert names_patterns_folder(["/r/patterns/", "../r/patterns"], "/r/patterns", "/r")
    assert names_patterns_folder(["."], "/r/patterns", "/r/patterns")
    assert names_patterns_folder(["link/../patterns"], "/r/patterns", "/r")  # lexically
    assert not names_patterns_folder([], "/r/patterns", "/r")
    assert not names_patterns_folder(["patterns/a.json"], "/r/patterns", "/r")
    assert not names_patterns_folder(["Patterns"], "/r/patterns", "/r")
    assert not names_patterns_folder(["patterns", "other"], "/r/patterns", "/r")


def test_a_shard_is_never_memoised(settled: Config) -> None:
    """A slice reports only its part of the folder: never the whole run's memo."""
    from pubflow.validation.run import Shard

    for paths in ((), (Path("patterns"),)):
        request = ValidateRequest(settled, paths=paths, shard=Shard(1, 2))
        assert RunMemo.for_run(request) is None
        assert RunMemo.for_run(request, handed_on="from-the-shortcut") is None


def test_tickets_mean_no_memo(settled: Config) -> None:
    (settled.root / ".pubflow" / "tickets").mkdir(parents=True)
    assert run_key(settled) is None


def test_a_racy_file_means_no_memo(settled: Config) -> None:
    write(settled.root, "fresh-one")
    assert run_key(settled) is None
    backdate(settled.root)
    assert run_key(settled) is not None


def test_the_key_follows_the_files_and_the_configuration(settled: Config) -> None:
    key = key_of(settled)
    path = settled.root / "patterns" / "weak-one.json"
    path.write_text(path.read_text().replace("nowhere", "nowhere2"))
    backdate(settled.root)
    changed = key_of(settled)
    assert changed != key
    assert key_of(Config(root=settled.root, max_file_bytes=4096)) not in (key, changed)


def test_for_run_takes_the_key_handed_on(settled: Config) -> None:
    memo = RunMemo.for_run(ValidateRequest(settled))
    assert memo is not None and memo.key == key_of(settled)
    handed = RunMemo.for_run(ValidateRequest(settled), handed_on="from-the-shortcut")
    assert handed is not None and handed.key == "from-the-shortcut"


# --- the remembered report and text ------------------------------------------------------------


def test_the_report_is_remembered_and_recalled_equal(settled: Config) -> None:
    memo = RunMemo(settled, key_of(settled))
    assert memo.recall_report() is None
    report = validate(ValidateRequest(settled))
    memo.remember_report(report)
    recalled = memo.recall_report()
    assert recalled is not None
    assert tuple(recalled.files) == tuple(report.files)
    assert recalled.root == report.root
    assert recalled.summary == report.summary
    assert not recalled.passed
    assert RunMemo(settled, "another key").recall_report() is None


def test_text_variants_are_remembered_side_by_side(settled: Config) -> None:
    memo = RunMemo(settled, key_of(settled))
    assert memo.recall_text("plain") is None
    memo.remember_text("plain", "text\n", False, "1 error")
    memo.remember_text("verbose", "more text\n", False, "1 error")
    assert memo.recall_text("plain") == ("text\n", False, "1 error")
    assert memo.recall_text("verbose") == ("more text\n", False, "1 error")
    assert memo.recall_text("colour") is None
    other = RunMemo(settled, "another key")
    assert other.recall_text("plain") is None
    other.remember_text("plain", "new\n", True, "ok")  # a new key starts afresh
    assert memo.recall_text("plain") is None
    assert other.recall_text("verbose") is None
    assert other.recall_text("plain") == ("new\n", True, "ok")


# --- the start-up shortcut --------------------------------------------------------------------


def test_the_basis_follows_the_configuration_file(repo: Path) -> None:
    bare = shortcut_basis(str(repo))
    assert bare is not None and shortcut_basis(str(repo)) == bare
    (repo / "pubflow.yaml").write_text("")
    empty = shortcut_basis(str(repo))
    assert empty not in (None, bare)  # an empty file is not a missing one
    (repo / "pubflow.yaml").write_text("# a comment\n")
    assert shortcut_basis(str(repo)) not in (None, bare, empty)
    (repo / "pubflow.yaml").unlink()
    (repo / "pubflow.yaml").mkdir()  # cannot be read: the full CLI will say why
    assert shortcut_basis(str(repo)) is None


def test_the_shortcut_answers_what_the_full_run_remembered(settled: Config) -> None:
    root = str(settled.root)
    assert shortcut_answer(root, "plain") is None  # nothing remembered yet
    key = key_of(settled)
    RunMemo(settled, key).remember_text("plain", "text\n", False, "1 error")
    assert shortcut_answer(root, "plain") == (key, ("text\n", False, "1 error"))
    assert shortcut_answer(root, "colour") == (key, None)  # the key, to hand on


def test_the_shortcut_answers_the_folder_named(settled: Config) -> None:
    root = str(settled.root)
    key = key_of(settled)
    RunMemo(settled, key).remember_text("plain", "text\n", False, "1 error")
    shown = (key, ("text\n", False, "1 error"))
    for paths, cwd in ((["patterns"], root), (["patterns/", "./patterns"], root),
                       ([f"{root}/patterns"], "/"), (["."], f"{root}/patterns")):
        assert shortcut_answer(root, "plain", paths, cwd) == shown, paths
    for paths in (["patterns/weak-one.json"], ["."], ["patterns", "other"]):
        assert shortcut_answer(root, "plain", paths, root) is None, paths


def test_the_shortcut_reads_no_memo_for_named_files(settled: Config,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-commit hook names files: the remembered text (megabytes in a big folder) is
    not even read for it."""
    RunMemo(settled, key_of(settled)).remember_text("plain", "text\n", False, "1 error")
    import pubflow.validation.memo as memo_module

    reads: list[str] = []
    monkeypatch.setattr(memo_module, "read_json", lambda path: reads.append(path))
    root = str(settled.root)
    assert shortcut_answer(root, "plain", ["patterns/weak-one.json"], root) is None
    assert shortcut_answer(root, "plain", ["patterns", "missing"], root) is None
    assert reads == []
    assert shortcut_answer(root, "plain", ["patterns"], root) is None  # read: None here
    assert len(reads) == 1


def test_the_shortcut_sees_a_changed_folder(settled: Config) -> None:
    key = key_of(settled)
    RunMemo(settled, key).remember_text("plain", "text\n", False, "1 error")
    write(settled.root, "third-one")
    assert shortcut_answer(str(settled.root), "plain") is None  # racy
    backdate(settled.root)
    answer = shortcut_answer(str(settled.root), "plain")
    assert answer == (key_of(settled), None)
    assert answer[0] != key


def test_the_shortcut_steps_aside_for_tickets(settled: Config) -> None:
    RunMemo(settled, key_of(settled)).remember_text("plain", "text\n", False, "1 error")
    (settled.root / ".pubflow" / "tickets").mkdir(parents=True)
    assert shortcut_answer(str(settled.root), "plain") is None


def test_an_edited_configuration_file_waits_for_a_full_run_to_record_its_basis(
        settled: Config) -> None:
    root = settled.root
    (root / "pubflow.yaml").write_text("patterns_dir: patterns\n")
    config = load_config(root)
    key = key_of(config)
    memo = RunMemo(config, key)
    memo.remember_text("plain", "text\n", False, "1 error")
    assert shortcut_answer(str(root), "plain") == (key, ("text\n", False, "1 error"))
    (root / "pubflow.yaml").write_text("# same settings\npatterns_dir: patterns\n")
    assert shortcut_answer(str(root), "plain") is None  # another basis: ask the full CLI
    config = load_config(root)
    assert key_of(config) == key  # ... which finds the same key
    assert RunMemo(config, key).recall_text("plain") == ("text\n", False, "1 error")
    assert shortcut_answer(str(root), "plain") == (key, ("text\n", False, "1 error"))


# --- a stale or damaged memo never answers ----------------------------------------------------


@pytest.mark.parametrize("content", [
    b"", b"{", b"null", b"[]", b'{"key": 5}',
    b'{"key": "K", "files": 7}',
    b'{"key": "K", "files": [["a.json"]]}',
    b'{"key": "K", "files": [["a.json", {"findings": []}]]}',
    b'{"key": "K", "files": [["a.json", {"findings": [{"file": "a.json"}], "facts": []}]]}',
    b'{"key": "K", "files": [["a.json", {"findings": [], "facts": [1, 2]}]]}',
])
def test_a_damaged_report_memo_never_answers(settled: Config, content: bytes) -> None:
    path = Path(state_path(settled.root, RUN_MEMO))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert RunMemo(settled, "K").recall_report() is None


@pytest.mark.parametrize("memo", [
    None, [], {"key": "K"}, {"key": "K", "variants": {}},
    {"key": "K", "variants": {"plain": "text"}},
    {"key": "K", "variants": {"plain": ["text", True]}},
    {"key": "other", "variants": {"plain": ["text", True, "ok"]}},
])
def test_a_stale_or_damaged_text_memo_never_answers(settled: Config, memo: object) -> None:
    write_json(state_path(settled.root, RUN_OUTPUT), memo)
    assert RunMemo(settled, "K").recall_text("plain") is None


def test_a_text_memo_with_variants_of_the_wrong_type_never_answers(settled: Config) -> None:
    write_json(state_path(settled.root, RUN_OUTPUT), {"key": "K", "variants": []})
    assert RunMemo(settled, "K").recall_text("plain") is None


@pytest.mark.parametrize("change", [
    {"basis": "another"}, {"verdict": 5}, {"patterns": None}, {"basis": None},
])
def test_the_shortcut_ignores_a_damaged_basis(settled: Config, change: dict[str, object]) -> None:
    key = key_of(settled)
    RunMemo(settled, key).remember_text("plain", "text\n", False, "1 error")
    path = state_path(settled.root, RUN_OUTPUT)
    write_json(path, {**read_json(path), **change})
    assert shortcut_answer(str(settled.root), "plain") is None
