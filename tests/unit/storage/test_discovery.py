"""Turning what a user typed into the files to check: sorted, once each, named repo-relative,
tool folders skipped, and files that really live outside the repository marked, not read."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.storage.discovery import (
    Target,
    collect_targets,
    display_name,
    pattern_stems,
    walk_files,
    walk_folders,
)


def touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def shown(targets: list[Target]) -> list[str]:
    return [t.display for t in targets]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in ("patterns/b.json", "patterns/a.json", "patterns/sub/c.json",
                 "patterns/sub/deeper/d.json", "patterns/notes.txt", "patterns/.hidden.json",
                 "patterns/.cache/e.json", "patterns/node_modules/f.json",
                 "patterns/.pubflow/g.json", "patterns/__pycache__/h.json",
                 "patterns/z-sub/i.json", "other/x.json"):
        touch(root / name)
    return root


def test_a_folder_is_every_json_file_below_it_sorted(tree: Path) -> None:
    targets = collect_targets([tree / "patterns"], tree)
    assert shown(targets) == ["patterns/a.json", "patterns/b.json", "patterns/sub/c.json",
                              "patterns/sub/deeper/d.json", "patterns/z-sub/i.json"]
    first = targets[0]
    assert first == Target(str(tree / "patterns"), "patterns/a.json", False)
    assert first.file == str(tree / "patterns" / "a.json")
    assert first.path == tree / "patterns" / "a.json"
    assert targets[2].folder == str(tree / "patterns" / "sub")


def test_files_and_folders_together_each_once(tree: Path) -> None:
    targets = collect_targets([tree / "patterns" / "sub" / "c.json", tree / "patterns" / "sub",
                               tree / "other" / "x.json", tree / "patterns" / "sub" / "c.json"],
                              tree)
    assert shown(targets) == ["other/x.json", "patterns/sub/c.json",
                              "patterns/sub/deeper/d.json"]


def test_a_named_file_is_taken_whatever_its_suffix(tree: Path) -> None:
    assert shown(collect_targets([tree / "patterns" / "notes.txt"], tree)) == [
        "patterns/notes.txt"]


def test_relative_paths_start_at_the_current_folder(tree: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "patterns")
    assert shown(collect_targets([Path("sub/../a.json"), Path("../other")], tree)) == [
        "other/x.json", "patterns/a.json"]


def test_the_root_itself_names_files_without_a_prefix(tmp_path: Path) -> None:
    touch(tmp_path / "top.json")
    touch(tmp_path / "dir" / "in.json")
    assert shown(collect_targets([tmp_path], tmp_path)) == ["dir/in.json", "top.json"]


def test_a_missing_path_is_an_input_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    with pytest.raises(InputError) as info:
        collect_targets([Path("patterns/nope.json")], tree)
    assert info.value.message == "patterns/nope.json: no such file or folder"
    assert info.value.hint == "Check the path, or set patterns_dir in pubflow.yaml."
    with pytest.raises(InputError, match=r"^patterns/gone: no such file or folder$"):
        collect_targets([tree / "patterns" / "gone"], tree)


def test_a_folder_without_pattern_files_is_an_input_error(tree: Path) -> None:
    (tree / "empty" / "inner").mkdir(parents=True)
    touch(tree / "empty" / "readme.md")
    with pytest.raises(InputError) as info:
        collect_targets([tree / "empty"], tree)
    assert info.value.message == "empty: no pattern files (*.json) found in this folder"
    assert info.value.hint == "Pass the folder that holds your patterns, or files."
    with pytest.raises(InputError, match=r"^empty: no diagrams found in this folder$"):
        collect_targets([tree / "empty"], tree, suffixes=(".mmd",), what="diagrams")
    touch(tree / "empty" / "inner" / "late.mmd")
    assert shown(collect_targets([tree / "empty"], tree, suffixes=(".mmd",))) == [
        "empty/inner/late.mmd"]


def test_symlinks_out_of_the_repository_are_marked_outside(tree: Path, tmp_path: Path) -> None:
    secret = touch(tmp_path / "secret" / "passwd.json")
    (tree / "patterns" / "evil.json").symlink_to(secret)
    (tree / "patterns" / "inside-link.json").symlink_to(tree / "patterns" / "a.json")
    (tree / "linked-folder").symlink_to(secret.parent, target_is_directory=True)
    targets = {t.display: t.outside_repo for t in collect_targets([tree / "patterns"], tree)}
    assert targets["patterns/evil.json"] is True
    assert targets["patterns/inside-link.json"] is False
    assert targets["patterns/a.json"] is False
    named = collect_targets([tree / "patterns" / "evil.json", tree / "linked-folder"], tree)
    assert [(t.display, t.outside_repo) for t in named] == [
        ("linked-folder/passwd.json", True), ("patterns/evil.json", True)]


def test_a_symlinked_folder_below_a_folder_is_not_entered(tree: Path) -> None:
    (tree / "patterns" / "loop").symlink_to(tree / "patterns", target_is_directory=True)
    assert "patterns/loop/a.json" not in shown(collect_targets([tree / "patterns"], tree))


def test_a_path_outside_the_root_is_named_absolutely(tree: Path, tmp_path: Path) -> None:
    elsewhere = touch(tmp_path / "elsewhere" / "p.json")
    (target,) = collect_targets([elsewhere], tree)
    assert target.display == elsewhere.as_posix()


def test_display_name() -> None:
    assert display_name("/r/patterns/a.json", "/r") == "patterns/a.json"
    assert display_name("/r/patterns/a.json", "/r/") == "patterns/a.json"
    assert display_name("/rx/a.json", "/r") == "/rx/a.json"  # a sibling is not inside
    assert display_name(Path("/r"), Path("/r")) == "/r"


def test_walks_go_folder_by_folder_in_name_order(tree: Path) -> None:
    walked = [(Path(folder).relative_to(tree).as_posix(), [n for n, _ in files])
              for folder, files in walk_folders(tree / "patterns", (".json",))]
    assert walked == [("patterns", ["a.json", "b.json"]), ("patterns/sub", ["c.json"]),
                      ("patterns/sub/deeper", ["d.json"]), ("patterns/z-sub", ["i.json"])]
    files = [Path(p).relative_to(tree).as_posix() for p, _ in walk_files(tree, (".json", ".txt"))]
    assert files == ["other/x.json", "patterns/a.json", "patterns/b.json", "patterns/notes.txt",
                     "patterns/sub/c.json", "patterns/sub/deeper/d.json", "patterns/z-sub/i.json"]


def test_pattern_stems_name_every_pattern_file_without_opening_it(tree: Path) -> None:
    touch(tree / "patterns" / "broken.json", "{not json")
    assert pattern_stems(tree / "patterns", tree) == {
        "patterns/a.json": "a", "patterns/b.json": "b", "patterns/broken.json": "broken",
        "patterns/sub/c.json": "c", "patterns/sub/deeper/d.json": "d",
        "patterns/z-sub/i.json": "i"}
    assert pattern_stems(tree / "missing", tree) == {}
