"""Deployment packages: the same pattern and release give the same bytes every time, what each
file holds, and how a package on disk is verified (and what a changed one says)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pubflow.errors import GateRefused
from pubflow.release.package import (
    MANIFEST_FILE,
    NOTES_FILE,
    PAGE_FILE,
    PATTERN_FILE,
    ReleaseInfo,
    build_files,
    canonical_json,
    package_dir,
    package_rel,
    release_notes_text,
    verify_package,
)
from pubflow.release.render import render_page
from tests.conftest import valid_pattern

PATTERN = "incident-escalation"
DIGEST = "a" * 64
INFO = ReleaseInfo(PATTERN, "1.0.0", "PUB-2026-001", "initial", DIGEST, "rlee",
                   "2026-03-01T10:00:00Z", "First publication\n")


def write_package(root: Path, files: dict[str, bytes], version: str = "1.0.0") -> Path:
    folder = package_dir(root, PATTERN, version)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def digest_of(files: dict[str, bytes]) -> str:
    return hashlib.sha256(b"".join(name.encode() + b"\0" + data
                                   for name, data in sorted(files.items()))).hexdigest()


def test_the_same_pattern_gives_the_same_bytes_and_digest_twice() -> None:
    first = build_files(valid_pattern(), INFO)
    second = build_files(valid_pattern(), INFO)
    assert first == second
    assert digest_of(first) == digest_of(second)
    # the order of the keys in the source document does not matter either
    reordered = dict(reversed(list(valid_pattern().items())))
    assert list(reordered) != list(valid_pattern())
    assert build_files(reordered, INFO) == first


BUILD_IN_CHILD = """
import hashlib, json, sys
from pubflow.release.package import ReleaseInfo, build_files
info = ReleaseInfo(*json.loads(sys.argv[2]))
files = build_files(json.loads(sys.argv[1]), info)
print(json.dumps({name: hashlib.sha256(data).hexdigest() for name, data in files.items()}))
"""


def test_another_process_with_another_hash_seed_builds_the_same_bytes() -> None:
    info = [INFO.pattern_id, INFO.version, INFO.ticket, INFO.release, INFO.source_digest,
            INFO.approved_by, INFO.approved_at, INFO.notes]
    done = subprocess.run([sys.executable, "-c", BUILD_IN_CHILD, json.dumps(valid_pattern()),
                           json.dumps(info)], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=60)
    here = {name: hashlib.sha256(data).hexdigest()
            for name, data in build_files(valid_pattern(), INFO).items()}
    assert json.loads(done.stdout) == here


def test_a_different_release_gives_a_different_package() -> None:
    base = build_files(valid_pattern(), INFO)
    other_notes = build_files(valid_pattern(), dataclasses.replace(INFO, notes="Another text"))
    assert other_notes[PATTERN_FILE] == base[PATTERN_FILE]
    assert other_notes[PAGE_FILE] == base[PAGE_FILE]
    assert other_notes[NOTES_FILE] != base[NOTES_FILE]
    assert other_notes[MANIFEST_FILE] != base[MANIFEST_FILE]
    edited = build_files(valid_pattern(hookMarkdown="A different hook."), INFO)
    assert edited[PATTERN_FILE] != base[PATTERN_FILE]
    assert digest_of(edited) != digest_of(base)


def test_what_the_package_holds() -> None:
    pattern = valid_pattern()
    files = build_files(pattern, INFO)
    assert list(files) == [PATTERN_FILE, PAGE_FILE, NOTES_FILE, MANIFEST_FILE]
    assert files[PATTERN_FILE] == (json.dumps(pattern, indent=2, sort_keys=True)
                                   + "\n").encode()
    assert json.loads(files[PATTERN_FILE]) == pattern
    assert files[PAGE_FILE] == render_page(pattern).encode("utf-8")
    assert files[NOTES_FILE].decode() == (
        "# Incident Escalation with Clear Ownership 1.0.0\n\n"
        "Release type: initial. Ticket: PUB-2026-001.\n"
        "Approved by rlee at 2026-03-01T10:00:00Z.\n\n"
        "First publication\n")
    manifest = json.loads(files[MANIFEST_FILE])
    assert manifest == {
        "format": 1, "pattern": PATTERN, "name": pattern["name"], "version": "1.0.0",
        "ticket": "PUB-2026-001", "release": "initial", "sourceDigest": DIGEST,
        "approvedBy": "rlee", "approvedAt": "2026-03-01T10:00:00Z",
        "notes": "First publication",
        "files": {name: hashlib.sha256(files[name]).hexdigest()
                  for name in (NOTES_FILE, PAGE_FILE, PATTERN_FILE)}}
    assert files[MANIFEST_FILE] == canonical_json(manifest)


def test_canonical_json_is_one_text_per_document() -> None:
    text = canonical_json({"b": [1, {"d": 2, "c": "é"}], "a": None})
    assert text == ('{\n  "a": null,\n  "b": [\n    1,\n    {\n      "c": "é",\n'
                    '      "d": 2\n    }\n  ]\n}\n').encode()
    assert canonical_json({"a": None, "b": [1, {"c": "é", "d": 2}]}) == text


def test_no_wall_clock_time_goes_in() -> None:
    text = b"".join(build_files(valid_pattern(), INFO).values()).decode()
    # the only time in the package is the approval time the ticket recorded
    assert set(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)) == {"2026-03-01T10:00:00Z"}


@pytest.mark.parametrize(("info", "notes_text"), [
    (ReleaseInfo(PATTERN, "2.0.0", "PUB-2026-007", "major", DIGEST, None, None, "  \n"),
     "# Incident Escalation with Clear Ownership 2.0.0\n\n"
     "Release type: major. Ticket: PUB-2026-007.\n\nNo release notes were given.\n"),
    (ReleaseInfo(PATTERN, "1.0.1", "PUB-2026-008", "hotfix", DIGEST, "rlee", None,
                 "\n  Fixes step 3\n\n"),
     "# Incident Escalation with Clear Ownership 1.0.1\n\n"
     "Release type: hotfix. Ticket: PUB-2026-008.\nApproved by rlee.\n\nFixes step 3\n"),
])
def test_release_notes_without_an_approval_time_or_notes(info: ReleaseInfo,
                                                         notes_text: str) -> None:
    assert release_notes_text(valid_pattern(), info) == notes_text
    manifest = json.loads(build_files(valid_pattern(), info)[MANIFEST_FILE])
    assert manifest["notes"] == info.notes.strip()
    assert manifest["approvedAt"] is None


def test_release_notes_of_a_pattern_without_a_name_use_its_id() -> None:
    text = release_notes_text(valid_pattern(name=None), INFO)
    assert text.startswith(f"# {PATTERN} 1.0.0\n")


def test_package_paths() -> None:
    root = Path("/repo")
    assert package_rel(PATTERN, "1.2.0") == ".pubflow/releases/incident-escalation/1.2.0"
    assert package_dir(root, PATTERN, "1.2.0") == root / package_rel(PATTERN, "1.2.0")


def test_a_written_package_verifies_and_returns_its_manifest(tmp_path: Path) -> None:
    files = build_files(valid_pattern(), INFO)
    write_package(tmp_path, files)
    assert verify_package(tmp_path, PATTERN, "1.0.0") == json.loads(files[MANIFEST_FILE])


def refusal(root: Path, version: str = "1.0.0") -> GateRefused:
    with pytest.raises(GateRefused) as caught:
        verify_package(root, PATTERN, version)
    assert caught.value.exit_code == 1
    return caught.value


def test_a_changed_file_is_refused(tmp_path: Path) -> None:
    files = build_files(valid_pattern(), INFO)
    folder = write_package(tmp_path, files)
    (folder / PAGE_FILE).write_bytes(files[PAGE_FILE] + b"tampered\n")
    error = refusal(tmp_path)
    actual = hashlib.sha256(files[PAGE_FILE] + b"tampered\n").hexdigest()
    expected = hashlib.sha256(files[PAGE_FILE]).hexdigest()
    assert error.message == (f".pubflow/releases/{PATTERN}/1.0.0/page.md: sha256 {actual[:12]} "
                             f"does not match the manifest ({expected[:12]}): the package was "
                             "changed")
    assert error.hint == "Restore the package from git history."


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    folder = write_package(tmp_path, build_files(valid_pattern(), INFO))
    (folder / NOTES_FILE).unlink()
    assert refusal(tmp_path).message == (f".pubflow/releases/{PATTERN}/1.0.0/RELEASE_NOTES.md: "
                                         "missing from the package")


def test_a_version_without_a_package_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, "0.9.0")
    assert error.message == (f".pubflow/releases/{PATTERN}/0.9.0: no package for {PATTERN} "
                             "0.9.0")
    assert error.hint == "Only versions that were promoted have a package."


def test_a_package_without_a_manifest_is_refused(tmp_path: Path) -> None:
    files = build_files(valid_pattern(), INFO)
    del files[MANIFEST_FILE]
    write_package(tmp_path, files)
    error = refusal(tmp_path)
    assert error.message == f".pubflow/releases/{PATTERN}/1.0.0: package has no manifest.json"
    assert error.hint is not None and "restore it from git" in error.hint


@pytest.mark.parametrize(("manifest", "says"), [
    (b"{not json", "unreadable manifest"),
    (b"[1, 2]", "not a pubflow manifest"),
    (b'{"pattern": "incident-escalation", "version": "1.0.0"}', "not a pubflow manifest"),
    (b'{"pattern": "incident-escalation", "version": "1.0.0", "files": []}',
     "not a pubflow manifest"),
])
def test_a_manifest_that_is_not_one_is_refused(tmp_path: Path, manifest: bytes,
                                               says: str) -> None:
    files = build_files(valid_pattern(), INFO)
    files[MANIFEST_FILE] = manifest
    write_package(tmp_path, files)
    error = refusal(tmp_path)
    assert error.message.startswith(f".pubflow/releases/{PATTERN}/1.0.0/manifest.json: {says}")


def test_a_manifest_of_another_version_is_refused(tmp_path: Path) -> None:
    # a package copied into the folder of another version
    write_package(tmp_path, build_files(valid_pattern(), INFO), version="1.1.0")
    error = refusal(tmp_path, "1.1.0")
    assert error.message == (f".pubflow/releases/{PATTERN}/1.1.0/manifest.json: manifest names "
                             f"{PATTERN} 1.0.0, not {PATTERN} 1.1.0")
