"""Atomic writes below `.pubflow/` (or below a `root` the caller names) never go through a
link: the target, and every folder between the repository root and it, are checked first,
and nothing is written when one is a link, wherever it points."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.errors import InputError
from pubflow.storage.files import atomic_write_bytes, atomic_write_text
from pubflow.storage.safepaths import (
    LinkRefused,
    check_readable,
    check_state_tree,
    state_root,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    (folder / ".pubflow" / "tickets").mkdir(parents=True)
    return folder


def test_a_plain_state_file_is_written(root: Path) -> None:
    target = root / ".pubflow" / "tickets" / "PUB-2026-001.yaml"
    atomic_write_text(target, "id: 1\n")
    assert target.read_text() == "id: 1\n"


def test_a_linked_target_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text("before\n")
    target = root / ".pubflow" / "audit.jsonl"
    target.symlink_to(outside)
    with pytest.raises(LinkRefused, match=r"\.pubflow/audit\.jsonl: is a symbolic link"):
        atomic_write_bytes(target, b"after\n")
    assert outside.read_text() == "before\n"
    assert target.is_symlink()
    assert sorted(p.name for p in (root / ".pubflow").iterdir()) == ["audit.jsonl", "tickets"]


@pytest.mark.parametrize("linked", [".pubflow", ".pubflow/tickets"])
def test_a_linked_folder_on_the_way_is_refused(root: Path, tmp_path: Path, linked: str) -> None:
    outside = tmp_path / "outside"
    (root / linked).rename(outside)
    (root / linked).symlink_to(outside, target_is_directory=True)
    target = root / ".pubflow" / "tickets" / "PUB-2026-001.yaml"
    with pytest.raises(LinkRefused) as caught:
        atomic_write_bytes(target, b"x")
    assert caught.value.message.startswith(f"{linked}: is a symbolic link")
    assert caught.value.exit_code == 2
    assert not any(p.is_file() for p in outside.rglob("*"))


def test_a_link_inside_the_repository_is_refused_too(root: Path) -> None:
    (root / "kept").mkdir()
    (root / ".pubflow" / "tickets").rmdir()
    (root / ".pubflow" / "tickets").symlink_to(root / "kept", target_is_directory=True)
    with pytest.raises(LinkRefused):
        atomic_write_bytes(root / ".pubflow" / "tickets" / "a.yaml", b"x")
    assert list((root / "kept").iterdir()) == []


def test_a_named_root_guards_paths_outside_pubflow(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "queue").symlink_to(outside, target_is_directory=True)
    with pytest.raises(LinkRefused, match="queue: is a symbolic link"):
        atomic_write_bytes(root / "queue" / "m.json", b"{}", root=root)
    with pytest.raises(InputError, match="outside the repository"):
        atomic_write_bytes(tmp_path / "elsewhere.json", b"{}", root=root)
    assert list(outside.iterdir()) == []


def test_other_paths_are_the_callers_choice(tmp_path: Path) -> None:
    """`--output FILE` is where the user asked for it, link or not."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    atomic_write_text(tmp_path / "link" / "report.txt", "ok")
    assert (real / "report.txt").read_text() == "ok"


def test_the_state_root_is_found_lexically(tmp_path: Path) -> None:
    assert state_root(tmp_path / "r" / ".pubflow" / "tickets" / "a.yaml") == tmp_path / "r"
    assert state_root(tmp_path / "r" / ".git" / "pubflow" / "journal.json") is None


def test_the_state_tree_writing_and_reading(root: Path, tmp_path: Path) -> None:
    check_state_tree(root, writing=True)
    (root / "kept").mkdir()
    (root / ".pubflow" / "tickets" / "a.yaml").symlink_to(root / "kept" / "a.yaml")
    with pytest.raises(LinkRefused, match=r"\.pubflow/tickets/a\.yaml"):
        check_state_tree(root, writing=True)
    check_state_tree(root, writing=False)  # a link inside the repository reads its own files
    (root / ".pubflow" / "tickets" / "b.yaml").symlink_to(tmp_path / "b.yaml")
    with pytest.raises(LinkRefused, match="leading outside the repository"):
        check_state_tree(root, writing=False)
    with pytest.raises(LinkRefused):
        check_readable(root, root / ".pubflow" / "tickets" / "b.yaml")
    check_readable(root, root / ".pubflow" / "tickets" / "a.yaml")


def test_a_loop_of_links_inside_the_repository_ends(root: Path) -> None:
    (root / ".pubflow" / "tickets" / "loop").symlink_to(root / ".pubflow",
                                                         target_is_directory=True)
    check_state_tree(root, writing=False)
    with pytest.raises(LinkRefused):
        check_state_tree(root, writing=True)
