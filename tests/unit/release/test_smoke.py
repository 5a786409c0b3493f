"""Smoke checks on what a real promotion wrote: they pass on it, and each check fails, naming
itself, when the package, the packaged JSON, the page or the catalog is not what the live
platform should read (and when a test forces it with PUBFLOW_TEST_FAIL_SMOKE)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import GateRefused
from pubflow.release.package import MANIFEST_FILE, PAGE_FILE, PATTERN_FILE, canonical_json
from pubflow.release.smoke import smoke_checks
from tests.acceptance.release_support import PATTERN, approved_repo, promote
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
PACKAGE = f".pubflow/releases/{PATTERN}/1.0.0"
CATALOG = ".pubflow/catalog/staging.json"
PREFIX = f"smoke check '{{check}}' failed for {PATTERN} 1.0.0 in staging: "
SUFFIX = "; the promotion was undone"


@pytest.fixture(scope="module")
def promoted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """incident-escalation 1.0.0 promoted to staging through the real CLI."""
    home = tmp_path_factory.mktemp("smoke")
    root = home / "repo"
    (root / "patterns").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        for who in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{who}_NAME", "Test Author")
            mp.setenv(f"GIT_{who}_EMAIL", "author@example.org")
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig-global"))
        mp.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
        mp.delenv("PUBFLOW_TEST_FAIL_SMOKE", raising=False)
        git(root, "init", "-q", "-b", "main")
        mp.chdir(root)

        def write(data: dict[str, Any] | None = None, name: str | None = None) -> Path:
            data = valid_pattern() if data is None else data
            path = root / "patterns" / f"{name or data['id']}.json"
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            return path

        ticket = approved_repo(root, write)
        assert promote(ticket, "--to", "staging")[0] == 0
    return root


@pytest.fixture
def root(promoted_template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(promoted_template, copy, symlinks=True)
    return copy


def failure(root: Path, check: str) -> str:
    """What the named check says is wrong (the sentence around it is always the same)."""
    with pytest.raises(GateRefused) as caught:
        smoke_checks(root, "staging", PATTERN, "1.0.0")
    assert caught.value.exit_code == 1
    message = caught.value.message
    prefix = PREFIX.format(check=check)
    assert message.startswith(prefix) and message.endswith(SUFFIX), message
    return message[len(prefix):-len(SUFFIX)]


def repackage(root: Path, name: str, data: bytes) -> None:
    """Replace a package file and record its new sha256 in the manifest, so that only the
    check under test can notice."""
    folder = root / PACKAGE
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST_FILE).read_bytes())
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (folder / MANIFEST_FILE).write_bytes(canonical_json(manifest))


def test_a_real_promotion_passes_every_check(root: Path) -> None:
    smoke_checks(root, "staging", PATTERN, "1.0.0")  # raises when a check fails


@pytest.mark.parametrize(("check", "why"), [
    ("checksums", "forced by PUBFLOW_TEST_FAIL_SMOKE"),
    ("schema", "forced by PUBFLOW_TEST_FAIL_SMOKE"),
    ("renders", "page.md is not what the pattern renders to"),
    ("catalog", f"the staging catalog does not list {PATTERN} 1.0.0"),
])
def test_each_check_can_be_forced_to_fail(root: Path, monkeypatch: pytest.MonkeyPatch,
                                          check: str, why: str) -> None:
    monkeypatch.setenv("PUBFLOW_TEST_FAIL_SMOKE", check)
    assert failure(root, check) == why


def test_a_forced_name_that_is_no_check_changes_nothing(root: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBFLOW_TEST_FAIL_SMOKE", "no-such-check")
    smoke_checks(root, "staging", PATTERN, "1.0.0")  # raises when a check fails


def test_a_changed_package_file_fails_the_checksums(root: Path) -> None:
    page = root / PACKAGE / PAGE_FILE
    page.write_bytes(page.read_bytes() + b"\nedited after packaging\n")
    why = failure(root, "checksums")
    assert why.startswith(f"{PACKAGE}/page.md: sha256 ")
    assert why.endswith("): the package was changed")


def test_a_missing_package_fails_the_checksums(root: Path) -> None:
    shutil.rmtree(root / PACKAGE)
    assert failure(root, "checksums") == f"{PACKAGE}: no package for {PATTERN} 1.0.0"


def test_a_packaged_pattern_that_breaks_the_schema_fails_it(root: Path) -> None:
    data = valid_pattern(scorecard=None)
    repackage(root, PATTERN_FILE, canonical_json(data))
    assert failure(root, "schema") == "'scorecard' is a required property"


def test_a_page_that_is_not_the_rendered_pattern_fails_renders(root: Path) -> None:
    repackage(root, PAGE_FILE, b"# Something else\n")
    assert failure(root, "renders") == "page.md is not what the pattern renders to"


def test_a_pattern_whose_page_was_not_rendered_again_fails_renders(root: Path) -> None:
    # the packaged JSON changed (validly), its page still shows the old text
    repackage(root, PATTERN_FILE, canonical_json(valid_pattern(hookMarkdown="A new hook.")))
    assert failure(root, "renders") == "page.md is not what the pattern renders to"


@pytest.mark.parametrize("rows", [[], [{"id": PATTERN, "version": "0.9.0"}],
                                  [{"id": "another-pattern", "version": "1.0.0"}]])
def test_a_catalog_that_does_not_list_the_live_version_fails(root: Path,
                                                             rows: list[dict[str, str]]) -> None:
    (root / CATALOG).write_text(json.dumps({"environment": "staging", "patterns": rows}))
    assert failure(root, "catalog") == f"the staging catalog does not list {PATTERN} 1.0.0"


def test_the_catalog_must_match_the_environment_file_not_the_package(root: Path) -> None:
    # the environment says 0.9.0 runs (say, after a rollback was written): the catalog's
    # 1.0.0 is then wrong, however good the 1.0.0 package is
    path = root / ".pubflow" / "environments" / "staging.yaml"
    path.write_text(path.read_text().replace('"version": "1.0.0"', '"version": "0.9.0"', 1))
    assert failure(root, "catalog") == f"the staging catalog does not list {PATTERN} 0.9.0"
