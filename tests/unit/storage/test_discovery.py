"""Turning what a user typed into the files to check: sorted, once each, named repo-relative,
tool folders skipped, and files that really live outside the repository marked, not read."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.storage import discovery, statefile
from pubflow.storage.discovery import (
    FOLDER_INDEX,
    PatternNames,
    Target,
    collect_targets,
    counts_subfolders,
    display_name,
    iter_targets,
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


# --- files by name, without a walk (issue 19) --------------------------------------------------


def by_stem(folder: Path, root: Path) -> dict[str, list[str]]:
    """What the walk says: stem -> display names, in walk order."""
    found: dict[str, list[str]] = {}
    for display, stem in pattern_stems(folder, root).items():
        found.setdefault(stem, []).append(display)
    return found


def assert_lookups_agree_with_the_walk(folder: Path, root: Path, *extra: str) -> None:
    walked = by_stem(folder, root)
    names = PatternNames(folder, root)
    for stem in [*walked, *extra]:
        assert names.files_named(stem) == walked.get(stem, []), stem


def test_a_name_is_found_with_a_stat_in_every_folder_the_walk_visits(tree: Path) -> None:
    touch(tree / "patterns" / "sub" / "a.json")  # the same name in two folders
    touch(tree / "patterns" / "z-sub" / "a.json")
    (tree / "patterns" / "dir.json").mkdir()  # a folder is not a file, whatever its name
    touch(tree / "patterns" / "dir.json" / "b.json")
    (tree / "patterns" / "link.json").symlink_to(tree / "patterns" / "sub")  # a link is a file
    names = PatternNames(tree / "patterns", tree)
    assert names.files_named("a") == [
        "patterns/a.json", "patterns/sub/a.json", "patterns/z-sub/a.json"]
    assert names.files_named("b") == ["patterns/b.json", "patterns/dir.json/b.json"]
    assert names.files_named("dir") == []
    assert names.files_named("link") == ["patterns/link.json"]
    for skipped in ("e", "f", "g", "h", ".hidden", "", "sub/c", "../other/x", "nul\0l", "notes"):
        assert names.files_named(skipped) == [], skipped
    assert_lookups_agree_with_the_walk(tree / "patterns", tree, "e", "f", ".hidden", "zz")
    assert PatternNames(tree / "missing", tree).files_named("a") == []
    assert PatternNames(tree / "patterns" / "a.json", tree).files_named("a") == []


def test_a_flat_folder_is_answered_from_its_link_count_without_any_state(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for stem in ("one", "two"):
        touch(root / "patterns" / f"{stem}.json")
    (root / ".git").mkdir()
    if (root / "patterns").stat().st_nlink != 2 or not counts_subfolders(
            os.path.realpath(root / "patterns"), root.stat().st_dev):
        pytest.skip("this file system does not count subfolders in link counts")
    names = PatternNames(root / "patterns", root)
    assert names.folders() == [str(root / "patterns")]
    assert names.files_named("two") == ["patterns/two.json"]
    assert not (root / ".git" / "pubflow" / FOLDER_INDEX).exists()


@pytest.fixture(params=[True, False], ids=["links", "times"])
def link_counts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways a folder index is confirmed: by link counts, or by mtime and ctime (then a
    folder changed in the clock's last tick is not trusted: here, no tick at all)."""
    monkeypatch.setattr(discovery, "TRUST_LINK_COUNTS", request.param)
    monkeypatch.setattr(statefile, "RACY_NS", 0)
    monkeypatch.setattr(discovery, "_COUNTING", {})
    return bool(request.param)


def aged(root: Path) -> None:
    """Every folder dated a minute back (a folder changed just now is too fresh to trust)."""
    for folder, _, _ in os.walk(root):
        past = time.time_ns() - 60 * 10**9
        os.utime(folder, ns=(past, past))


def test_the_folder_index_is_kept_and_confirmed_by_stats(tree: Path, link_counts: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / ".git").mkdir()
    aged(tree)
    index = tree / ".git" / "pubflow" / FOLDER_INDEX
    first = PatternNames(tree / "patterns", tree).folders()
    assert [Path(f).relative_to(tree).as_posix() for f in first] == [
        "patterns", "patterns/sub", "patterns/sub/deeper", "patterns/z-sub"]
    assert index.is_file()

    def no_listing(path: object) -> None:
        raise AssertionError(f"listed {path}")

    with monkeypatch.context() as patched:
        patched.setattr(discovery.os, "scandir", no_listing)
        patched.setattr(discovery.os, "listdir", no_listing)
        assert PatternNames(tree / "patterns", tree).folders() == first
        assert PatternNames(tree / "patterns", tree).files_named("d") == [
            "patterns/sub/deeper/d.json"]
    touch(tree / "patterns" / "new.json")  # a file more: where links count, the index stands
    if link_counts and counts_subfolders(os.path.realpath(tree / "patterns"),
                                         tree.stat().st_dev):
        with monkeypatch.context() as patched:
            patched.setattr(discovery.os, "scandir", no_listing)
            assert PatternNames(tree / "patterns", tree).folders() == first
    assert PatternNames(tree / "patterns", tree).folders() == first
    assert_lookups_agree_with_the_walk(tree / "patterns", tree)


@pytest.mark.parametrize("change", ["add", "remove", "rename", "unhide", "replace", "hide"])
def test_the_folder_index_never_answers_for_a_changed_tree(tree: Path, link_counts: bool,
                                                           change: str) -> None:
    (tree / ".git").mkdir()
    touch(tree / "patterns" / ".later" / "d.json")
    aged(tree)
    names = PatternNames(tree / "patterns", tree)
    assert len(names.folders()) == 4
    patterns = tree / "patterns"
    if change == "add":
        touch(patterns / "sub" / "new" / "d.json")
    elif change == "remove":
        shutil.rmtree(patterns / "sub" / "deeper")
    elif change == "rename":
        (patterns / "z-sub").rename(patterns / "y-sub")
    elif change == "unhide":
        (patterns / ".later").rename(patterns / "later")
    elif change == "hide":
        (patterns / "z-sub").rename(patterns / ".z-sub")
    else:
        shutil.rmtree(patterns / "z-sub")
        (patterns / ".later").rename(patterns / "z-sub")
    assert_lookups_agree_with_the_walk(patterns, tree, "i")
    expected = [folder for folder, _ in walk_folders(patterns, (".json",))]
    assert PatternNames(patterns, tree).folders() == expected
    aged(tree)
    assert PatternNames(patterns, tree).folders() == expected  # written again, and right


def test_a_broken_or_foreign_index_is_listed_again(tree: Path) -> None:
    (tree / ".git" / "pubflow").mkdir(parents=True)
    index = tree / ".git" / "pubflow" / FOLDER_INDEX
    expected = [folder for folder, _ in walk_folders(tree / "patterns", (".json",))]
    for content in ("{not json", "[]", '{"format": 1, "top": "/elsewhere", "folders": []}',
                    json.dumps({"format": 1, "top": os.path.realpath(tree / "patterns"),
                                "folders": [["x"]]})):
        index.write_text(content)
        assert PatternNames(tree / "patterns", tree).folders() == expected


def test_a_folding_file_system_is_confirmed_by_a_listing(tree: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Where `X.json` is found under `x.json` (macOS, Windows), a name found is checked
    against its folder's listing: the walk would call that file `X`, not `x`."""
    real_lstat = os.lstat

    def folding(path: str | Path, *args: object, **kwargs: object) -> os.stat_result:
        asked = Path(path)
        if asked.name.lower().endswith(".json") and asked.parent.is_dir():
            for stored in asked.parent.iterdir():
                if stored.name.lower() == asked.name.lower():
                    return real_lstat(stored)
        return real_lstat(path)

    touch(tree / "patterns" / "Upper.json")
    monkeypatch.setattr(discovery.os, "lstat", folding)
    names = PatternNames(tree / "patterns", tree)
    assert names.files_named("upper") == []
    assert names.files_named("UPPER") == []
    assert names.files_named("Upper") == ["patterns/Upper.json"]
    assert names.files_named("a") == ["patterns/a.json"]


# --- targets as a stream (issue 19) ------------------------------------------------------------


def walked_and_sorted(paths: list[Path], root: Path) -> list[tuple[str, str, bool]]:
    """The targets as collect_targets made them before issue 19: every folder walked, the
    whole list sorted by display name, each display once (the first path's)."""
    seen: dict[str, tuple[str, str, bool]] = {}
    for given in paths:
        if given.is_dir():
            for folder, files in walk_folders(given, (".json",)):
                for name, _ in files:
                    display = display_name(Path(folder, name), root)
                    seen.setdefault(display, (folder, display, False))
        else:
            display = display_name(given, root)
            seen.setdefault(display, (str(given.parent), display, False))
    return sorted(seen.values(), key=lambda t: t[1])


@pytest.mark.parametrize("seed", range(8))
def test_the_stream_gives_the_sorted_list_on_disk_or_not(tmp_path: Path, seed: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Names that sort differently as paths than folder by folder (`a/`, `a-b`, `a.json`,
    `a0`), hidden and tool folders, several paths naming the same files; folders sorted in
    memory and on disk (in runs of 3) give the same stream."""
    import random

    rng = random.Random(seed)
    root = tmp_path / "repo"
    parts = ["a", "a-b", "a.json", "a0", "b", "Z", "\u00e9", "node_modules", ".h"]
    for _ in range(rng.randint(5, 40)):
        depth = rng.randint(0, 3)
        folder = root.joinpath("patterns", *(rng.choice(parts) for _ in range(depth)))
        name = rng.choice(parts) + rng.choice(["", "x", "-1", ".d"]) + ".json"
        path = folder / name
        if any(p.exists() and not p.is_dir() for p in path.parents) or path.is_dir():
            continue
        touch(path)
    (root / "patterns").mkdir(parents=True, exist_ok=True)
    touch(root / "patterns" / "zz.json")
    paths = [root / "patterns"]
    files = sorted(p for p in (root / "patterns").rglob("*.json") if p.is_file())
    paths += rng.sample(files, min(3, len(files)))
    subfolders = sorted({p.parent for p in files} - {root / "patterns"})
    paths += rng.sample(subfolders, min(1, len(subfolders)))
    rng.shuffle(paths)
    expected = walked_and_sorted(paths, root)
    assert [(t.folder, t.display, t.outside_repo) for t in iter_targets(paths, root)] == expected
    monkeypatch.setattr(discovery, "LISTING_CHUNK", 3)
    monkeypatch.setattr(discovery, "_RUN_BLOCK", 2)
    assert [(t.folder, t.display, t.outside_repo) for t in iter_targets(paths, root)] == expected
    assert collect_targets(paths, root) == list(iter_targets(paths, root))


def test_a_stream_checks_its_paths_at_once(tree: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        iter_targets([tree / "patterns", tree / "gone.json"], tree)
    (tree / "empty").mkdir()
    with pytest.raises(InputError, match="no pattern files"):
        iter_targets([tree / "empty"], tree)
