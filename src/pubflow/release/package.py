"""Deployment packages: `.pubflow/releases/<pattern>/<version>/`, byte-identical every build.

A package holds the pattern JSON in canonical form, its rendered Markdown page, the release
notes and `manifest.json` with the sha256 of every file. Nothing in it comes from the wall
clock: times come from the ticket, so building twice from the same inputs gives the same
bytes, and a package checked into git can be verified (and rolled back to) at any time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.errors import GateRefused

RELEASES_DIR = ".pubflow/releases"
PATTERN_FILE = "pattern.json"
PAGE_FILE = "page.md"
NOTES_FILE = "RELEASE_NOTES.md"
MANIFEST_FILE = "manifest.json"
PACKAGE_FORMAT = 1


def package_dir(root: Path, pattern_id: str, version: str) -> Path:
    return root / RELEASES_DIR / pattern_id / version


def package_rel(pattern_id: str, version: str) -> str:
    return f"{RELEASES_DIR}/{pattern_id}/{version}"


def canonical_json(data: Any) -> bytes:
    """Sorted keys, two-space indent, UTF-8, one final newline: one text per document."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """What a package records about its release; all of it comes from the ticket or the user."""

    pattern_id: str
    version: str
    ticket: str
    release: str
    source_digest: str
    approved_by: str | None
    approved_at: str | None
    notes: str
    release_name: str | None = None
    """`promote --name`: a name for the release (e.g. Production-Release-Jan2024)."""


def build_files(pattern: dict[str, Any], info: ReleaseInfo) -> dict[str, bytes]:
    """The package's files by name, manifest last (it lists the others' sha256)."""
    from pubflow.release.render import render_page

    files = {
        PATTERN_FILE: canonical_json(pattern),
        PAGE_FILE: render_page(pattern).encode("utf-8"),
        NOTES_FILE: release_notes_text(pattern, info).encode("utf-8"),
    }
    manifest = {
        "format": PACKAGE_FORMAT,
        "pattern": info.pattern_id,
        "name": pattern.get("name"),
        "version": info.version,
        "ticket": info.ticket,
        "release": info.release,
        "sourceDigest": info.source_digest,
        "approvedBy": info.approved_by,
        "approvedAt": info.approved_at,
        "notes": info.notes.strip(),
        **({"releaseName": info.release_name} if info.release_name else {}),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[MANIFEST_FILE] = canonical_json(manifest)
    return files


def release_notes_text(pattern: dict[str, Any], info: ReleaseInfo) -> str:
    lines = [f"# {pattern.get('name') or info.pattern_id} {info.version}", "",
             f"Release type: {info.release}. Ticket: {info.ticket}."]
    if info.approved_by:
        lines.append(f"Approved by {info.approved_by}"
                     + (f" at {info.approved_at}." if info.approved_at else "."))
    lines += ["", info.notes.strip() or "No release notes were given.", ""]
    return "\n".join(lines)


def read_manifest(folder: Path, shown: str) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_bytes())
    except FileNotFoundError as exc:
        raise GateRefused(f"{shown}: package has no {MANIFEST_FILE}",
                          hint="The package is missing or incomplete; restore it from git.") from exc
    except (OSError, ValueError) as exc:
        raise GateRefused(f"{shown}/{MANIFEST_FILE}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise GateRefused(f"{shown}/{MANIFEST_FILE}: not a pubflow manifest")
    return manifest


def verify_package(root: Path, pattern_id: str, version: str) -> dict[str, Any]:
    """The manifest, after checking every file against its sha256; a mismatch is refused."""
    shown = package_rel(pattern_id, version)
    folder = package_dir(root, pattern_id, version)
    if not folder.is_dir():
        raise GateRefused(f"{shown}: no package for {pattern_id} {version}",
                          hint="Only versions that were promoted have a package.")
    manifest = read_manifest(folder, shown)
    if manifest.get("pattern") != pattern_id or manifest.get("version") != version:
        raise GateRefused(f"{shown}/{MANIFEST_FILE}: manifest names {manifest.get('pattern')} "
                          f"{manifest.get('version')}, not {pattern_id} {version}")
    for name, expected in sorted(manifest["files"].items()):
        try:
            actual = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except OSError:
            raise GateRefused(f"{shown}/{name}: missing from the package",
                              hint="Restore the package from git history.") from None
        if actual != expected:
            raise GateRefused(f"{shown}/{name}: sha256 {actual[:12]} does not match the "
                              f"manifest ({str(expected)[:12]}): the package was changed",
                              hint="Restore the package from git history.")
    return manifest
