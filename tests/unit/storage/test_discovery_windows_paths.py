"""Report paths use `/` on every OS (issue 16, item 2): display names built with Windows'
path rules (`ntpath`) on this machine; the real Windows path flavour runs in the CI matrix."""

from __future__ import annotations

import ntpath
import posixpath

import pytest

from pubflow.storage.discovery import display_name, posix_display


@pytest.mark.parametrize(("path", "root", "shown"), [
    (r"C:\work\repo\patterns\a.json", r"C:\work\repo", "patterns/a.json"),
    (r"C:\work\repo\patterns\deep\b.json", "C:\\work\\repo\\", "patterns/deep/b.json"),
    (r"c:\Work\Repo\patterns\a.json", r"C:\work\repo", "patterns/a.json"),  # case-blind
    (r"D:\elsewhere\a.json", r"C:\work\repo", "D:/elsewhere/a.json"),
    (r"C:\work\repo-other\a.json", r"C:\work\repo", "C:/work/repo-other/a.json"),
    (r"\\server\share\a.json", r"C:\work\repo", "//server/share/a.json"),
])
def test_windows_paths_are_shown_with_forward_slashes(path: str, root: str, shown: str) -> None:
    assert posix_display(path, root, ntpath) == shown
    assert "\\" not in posix_display(path, root, ntpath)


def test_posix_paths_keep_their_backslashes() -> None:
    """On POSIX a backslash is part of a file name, not a separator."""
    assert posix_display("/repo/patterns/a\\b.json", "/repo", posixpath) == "patterns/a\\b.json"
    assert posix_display("/other/a.json", "/repo", posixpath) == "/other/a.json"
    assert posix_display("/repo/a.json", "/", posixpath) == "repo/a.json"
    assert posix_display("/Repo/a.json", "/repo", posixpath) == "/Repo/a.json"  # case counts


def test_display_name_is_the_os_flavour() -> None:
    assert display_name("/repo/patterns/a.json", "/repo") == "patterns/a.json"
    assert display_name("/repo/patterns/a.json", "/repo/") == "patterns/a.json"
