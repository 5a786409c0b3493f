"""The release artefacts are whole (issue 16). A real build with the project's own build backend,
as `python -m build` does it: the sdist from the project, then the wheel from the unpacked sdist.
The sdist carries every tracked file (its tests need them) and the schemas as real files; the
wheel carries the schemas and the licence, and the README's first command runs from it.
`.ci/packaging.sh` does the same with `python -m build`, twine, fresh environments and the whole
test suite from the sdist; this test is the quick version that runs with the others."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, PROJECT

pytest.importorskip("hatchling.build")  # the build backend, in the test extras

SCHEMAS = sorted(p.name for p in (PROJECT / "src" / "pubflow" / "schemas").glob("*.json"))
PACKAGE = sorted(p.relative_to(PROJECT / "src").as_posix()
                 for p in (PROJECT / "src" / "pubflow").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _backend(hook: str, source: Path, out: Path) -> Path:
    """Call a PEP 517 hook of hatchling in `source`, in a fresh interpreter (as a build
    frontend does), and return the artefact it wrote."""
    code = f"import sys, hatchling.build as b; print(b.{hook}(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=source,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(sdist, the unpacked sdist, the wheel built from it)."""
    work = tmp_path_factory.mktemp("packaging")
    sdist = _backend("build_sdist", PROJECT, work)
    with tarfile.open(sdist) as tar:
        # The "data" filter where Python has it (3.11.4 and later; 3.14 makes it the default).
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(work / "unpacked", **safe)  # type: ignore[arg-type]
    tree = work / "unpacked" / sdist.name.removesuffix(".tar.gz")
    wheel = _backend("build_wheel", tree, work)
    return sdist, tree, wheel


def _tracked() -> list[str]:
    """The project's tracked files, or none outside a git checkout (an unpacked sdist)."""
    if not (PROJECT / ".git").exists():
        return []
    done = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True)
    return done.stdout.splitlines() if done.returncode == 0 else []


def test_sdist_carries_what_its_tests_need(artefacts: tuple[Path, Path, Path]) -> None:
    sdist, _tree, _wheel = artefacts
    with tarfile.open(sdist) as tar:
        members = tar.getmembers()
        prefix = sdist.name.removesuffix(".tar.gz") + "/"
        files = {m.name.removeprefix(prefix): m for m in members if m.isfile()}
        content = {name: tar.extractfile(m).read()  # type: ignore[union-attr]
                   for name, m in files.items() if "schemas/" in name}
    assert all(m.isfile() or m.isdir() for m in members), "links do not survive an sdist"
    required = {"pyproject.toml", "PKG-INFO", "README.md", "CHANGELOG.md", "LICENSE",
                "action.yml", ".pre-commit-hooks.yaml", "examples/repo/pubflow.yaml",
                "tests/conftest.py", "bench/gen_patterns.py", "tools/gen_fastpath.py",
                "docs/architecture.md"}
    # Every tracked file, except the root symlink, which the sdist replaces by a copy.
    required |= {n for n in _tracked() if n != "schemas"}
    required |= {f"src/{name}" for name in PACKAGE}
    assert sorted(required - set(files)) == []
    assert [n for n in files if "__pycache__" in n or n.endswith(".pyc")] == []
    assert len(SCHEMAS) >= 5
    for name in SCHEMAS:  # the root `schemas/` readers look for, as a copy of the real files
        assert content[f"schemas/{name}"] == content[f"src/pubflow/schemas/{name}"]
    assert b"MIT License" in (PROJECT / "LICENSE").read_bytes()


def test_wheel_from_the_sdist_has_the_schemas_and_the_licence(
        artefacts: tuple[Path, Path, Path]) -> None:
    _sdist, _tree, wheel = artefacts
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info"))
        metadata = email.message_from_bytes(whl.read(f"{dist_info}/METADATA"))
        licence = whl.read(f"{dist_info}/licenses/LICENSE").decode()
    assert sorted(set(PACKAGE) - names) == []
    assert {f"pubflow/schemas/{name}" for name in SCHEMAS} <= names
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert licence.startswith("MIT License") and "2026 pubflow developers" in licence


def test_readme_first_command_runs_from_the_wheel(
        artefacts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _sdist, _tree, wheel = artefacts
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as whl:
        whl.extractall(site)
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "repo", repo)
    # The unpacked wheel comes first on the path: the checkout's own `src` is not used.
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "NO_COLOR": "1"}
    where = subprocess.run([sys.executable, "-c", "import pubflow; print(pubflow.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(where.stdout.strip()).parent == site / "pubflow", where.stdout + where.stderr
    done = subprocess.run([sys.executable, "-m", "pubflow", "-C", str(repo), "validate"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "files checked: all passed" in done.stdout
