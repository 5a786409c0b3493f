#!/usr/bin/env bash
# Packaging check (issue 16): the release artefacts are whole. Builds the sdist and the wheel the
# way a release does (`python -m build`: the sdist first, then the wheel from the unpacked sdist),
# runs `twine check`, reads both archives, installs the wheel (not editable) into a fresh virtual
# environment and runs the README's first command from it, then installs the sdist with the test
# extras into another fresh environment and runs the whole test suite from the unpacked sdist.
# Any packaging regression exits non-zero. Build, twine and the environments live in a temporary
# folder (removed on success, kept and named on failure); nothing is written in the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=$PWD
PYTHON=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/pubflow-packaging.XXXXXX")
finish() {
  local status=$?
  if [ "$status" = 0 ]; then
    rm -rf "$work"
  else
    echo "packaging: FAILED (exit $status); the builds and environments are kept in $work" >&2
  fi
}
trap finish EXIT
step() { printf '\n== packaging: %s\n' "$*"; }
fail() { printf 'packaging: FAIL: %s\n' "$*" >&2; exit 1; }
# A fresh cache folder: pubflow keeps per-file verdicts outside a git repository's work tree.
export XDG_CACHE_HOME="$work/cache"
export PIP_DISABLE_PIP_VERSION_CHECK=1

step "build and twine in a scratch environment"
"$PYTHON" -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet build twine

step "python -m build (the sdist, then the wheel from the unpacked sdist)"
"$work/tools/bin/python" -m build --outdir "$work/dist" "$PROJECT" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "python -m build failed"; }
shopt -s nullglob
sdists=("$work"/dist/*.tar.gz)
wheels=("$work"/dist/*.whl)
shopt -u nullglob
if [ "${#sdists[@]}" != 1 ] || [ "${#wheels[@]}" != 1 ]; then fail "expected one sdist and one wheel"; fi
sdist=${sdists[0]}
wheel=${wheels[0]}
ls -l "$sdist" "$wheel"

step "twine check --strict"
"$work/tools/bin/twine" check --strict "$sdist" "$wheel"

step "the archives' contents"
# Tracked files, when this is a git checkout: each one must be in the sdist, except the root
# `schemas` symlink, which the sdist replaces by a copy of src/pubflow/schemas.
tracked="$work/tracked.txt"
if git -C "$PROJECT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$PROJECT" ls-files >"$tracked"
else
  echo "not a git checkout: the sdist is checked against the required files only"
  : >"$tracked"
fi
"$work/tools/bin/python" - "$PROJECT" "$sdist" "$wheel" "$tracked" <<'PY'
import email
import sys
import tarfile
import zipfile
from pathlib import Path

project, sdist_path, wheel_path, tracked_path = (Path(a) for a in sys.argv[1:])
problems: list[str] = []

with tarfile.open(sdist_path) as tar:
    members = {m.name: m for m in tar.getmembers()}
    prefix = sdist_path.name.removesuffix(".tar.gz") + "/"
    sdist = {name.removeprefix(prefix): m for name, m in members.items() if m.isfile()}
    if any(not m.isfile() and not m.isdir() for m in members.values()):
        problems.append("sdist: holds a link or a special file")
    shipped_schemas = {n: tar.extractfile(m).read() for n, m in sdist.items()  # type: ignore[union-attr]
                       if n.startswith(("schemas/", "src/pubflow/schemas/"))}
with zipfile.ZipFile(wheel_path) as whl:
    wheel = set(whl.namelist())
    dist_info = next(n.split("/")[0] for n in wheel if n.split("/")[0].endswith(".dist-info"))
    metadata = email.message_from_bytes(whl.read(f"{dist_info}/METADATA"))
    wheel_license = whl.read(f"{dist_info}/licenses/LICENSE") if (
        f"{dist_info}/licenses/LICENSE" in wheel) else b""

package = sorted(p.relative_to(project / "src").as_posix()
                 for p in (project / "src" / "pubflow").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
schemas = sorted(p.name for p in (project / "src" / "pubflow" / "schemas").glob("*.json"))
if not schemas:
    problems.append("src/pubflow/schemas holds no schema")

for name in package:
    if name not in wheel:
        problems.append(f"wheel: missing {name}")
    if f"src/{name}" not in sdist:
        problems.append(f"sdist: missing src/{name}")
for name in schemas:
    if f"pubflow/schemas/{name}" not in wheel:
        problems.append(f"wheel: missing the schema pubflow/schemas/{name}")
    real, copy = shipped_schemas.get(f"src/pubflow/schemas/{name}"), shipped_schemas.get(f"schemas/{name}")
    if real is None or copy != real:
        problems.append(f"sdist: schemas/{name} and src/pubflow/schemas/{name} are not the same file")
if metadata.get("License-Expression") != "MIT" or "LICENSE" not in metadata.get_all("License-File", []):
    problems.append("wheel: METADATA lacks License-Expression: MIT and License-File: LICENSE")
if b"MIT License" not in wheel_license:
    problems.append(f"wheel: {dist_info}/licenses/LICENSE missing or not the MIT licence")

required = ["pyproject.toml", "PKG-INFO", "README.md", "CHANGELOG.md", "LICENSE", "action.yml",
            ".pre-commit-hooks.yaml", "examples/repo/pubflow.yaml", "tests/conftest.py",
            "tools/gen_fastpath.py", "docs/architecture.md"]
tracked = [line for line in tracked_path.read_text().splitlines() if line]
for name in sorted(set(required) | {name for name in tracked if name != "schemas"}):
    if name not in sdist:
        problems.append(f"sdist: missing {name}")
stray = [n for n in sdist if "__pycache__" in n or n.endswith(".pyc")]
problems += [f"sdist: stray file {n}" for n in stray]

print(f"wheel: {len(wheel)} files, {len(schemas)} schemas in pubflow/schemas, licence in {dist_info}/licenses")
print(f"sdist: {len(sdist)} files: the {len(tracked)} tracked files (the root symlink `schemas` "
      f"as a copy of src/pubflow/schemas) and PKG-INFO" if tracked else
      f"sdist: {len(sdist)} files, the required ones among them")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY

step "unpack the sdist"
mkdir "$work/sdist"
tar -xzf "$sdist" -C "$work/sdist"
tree=$(echo "$work"/sdist/*/)
tree=${tree%/}
echo "$tree"

step "the wheel in a fresh environment, and the README's first command from it"
"$PYTHON" -m venv "$work/wheel-venv"
"$work/wheel-venv/bin/pip" install --quiet "$wheel"
# Outside the source tree, so that only the installed package can be imported.
(cd "$work" && "$work/wheel-venv/bin/python" - "$work/wheel-venv" <<'PY'
import sys
from pathlib import Path

import pubflow

where = Path(pubflow.__file__).resolve()
assert Path(sys.argv[1]).resolve() in where.parents, f"pubflow imported from {where}"
print(f"pubflow {pubflow.__version__} imported from {where.parent}")
PY
)
# README: `python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/pubflow -C examples/repo validate`
echo "\$ pubflow -C examples/repo validate   (in the unpacked sdist)"
(cd "$tree" && "$work/wheel-venv/bin/pubflow" -C examples/repo validate) \
  || fail "the README's first command failed from the installed wheel"
# A pattern that breaks the schema is a finding (exit 1), not an internal error (exit 3).
cp -r "$tree/examples/repo" "$work/broken-repo"
cp "$tree/examples/invalid/unknown-field.json" "$work/broken-repo/patterns/"
set +e
(cd "$work" && "$work/wheel-venv/bin/pubflow" -C broken-repo validate >"$work/broken.log" 2>&1)
code=$?
set -e
[ "$code" = 1 ] || { cat "$work/broken.log" >&2; fail "a pattern that breaks the schema gave exit $code, not 1"; }
echo "a pattern that breaks the schema: exit 1 with its findings"

step "the sdist with the test extras in a fresh environment"
"$PYTHON" -m venv "$work/sdist-venv"
"$work/sdist-venv/bin/pip" install --quiet "${sdist}[test]"
# Some tests need the project to be a git checkout (`pre-commit try-repo` of the project's hooks;
# commands run from the project folder): make the unpacked sdist one, holding exactly its files.
git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" -c user.name=packaging -c user.email=packaging@localhost -c commit.gpgsign=false \
  commit -q -m "the unpacked sdist"

step "the test suite from the unpacked sdist"
# With the environment's bin/ first on PATH, as when it is activated: some tests look for the
# test extras' commands (check-jsonschema, pre-commit) there.
(cd "$tree" && PATH="$work/sdist-venv/bin:$PATH" "$work/sdist-venv/bin/python" -m pytest -q \
  -p no:cacheprovider) \
  || fail "the test suite failed from the unpacked sdist"

step "all packaging checks passed: $(basename "$sdist") and $(basename "$wheel")"
