"""SARIF at scale, through the real CLI: 12 600 copies of one pattern (issue 16 met 13 000 and
got 52 001 results in 4.4 GB, each duplicate-id message listing every other copy).

Now each copy has one duplicate-id finding that names the others by count and the first of
them, so the report grows linearly; past GitHub's 25 000 results the least important are left
out and the run says how many. Microsoft's validator with GitHub's rules checks the log when it
is installed (`.ci/github-tools.sh`).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import valid_pattern
from tests.external_tools import sarif_gh_problems, sarif_multitool

COPIES = 12_600


def test_thousands_of_duplicate_ids_stay_within_githubs_limits(repo: Path,
                                                               tmp_path: Path) -> None:
    original = valid_pattern(id="incident-escalation")
    text = json.dumps(original, indent=2) + "\n"
    (repo / "patterns" / "incident-escalation.json").write_text(text)
    for index in range(COPIES):  # each copy: repo.id-filename and repo.duplicate-id
        (repo / "patterns" / f"copy-{index:05d}.json").write_text(text)
    pubflow = shutil.which("pubflow", path=str(Path(sys.executable).parent))
    assert pubflow is not None
    sarif = tmp_path / "report.sarif"
    started = time.perf_counter()
    done = subprocess.run([pubflow, "validate", "--format", "sarif", "--output", str(sarif)],
                          cwd=repo, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=600)
    seconds = time.perf_counter() - started
    assert done.returncode == 1, done.stdout + done.stderr
    size = sarif.stat().st_size
    packed = len(gzip.compress(sarif.read_bytes()))
    log = json.loads(sarif.read_text(encoding="utf-8"))
    [run] = log["runs"]
    results = run["results"]
    print(f"{COPIES + 1} files: {seconds:.1f} s, {size / 1e6:.1f} MB, {packed / 1e6:.2f} MB "
          f"gzipped, {len(results)} results")

    # One duplicate-id finding per file, each message short: the size is linear.
    total = 2 * COPIES + 1
    assert run["properties"]["pubflow"]["resultsTotal"] == total
    assert len(results) == 25_000
    assert run["properties"]["pubflow"]["resultsLeftOut"] == total - 25_000
    assert max(len(r["message"]["text"]) for r in results) < 200
    assert size < 1_000 * len(results) and packed < 10_000_000
    # Files are read in name order: copy-00000.json holds the id first, the others name it.
    first = f"id 'incident-escalation' is also used by {COPIES} other files, first patterns/"
    messages = [r["message"]["text"] for r in results if r["ruleId"] == "repo.duplicate-id"]
    assert messages[0] == first + "copy-00001.json"
    assert set(messages[1:]) == {first + "copy-00000.json"}
    notification = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert notification.startswith(f"{total - 25_000} of {total} results were left out")

    if sarif_multitool() is not None:
        # The validator takes minutes over 25 000 results; the first 1 000 of them, with the
        # run's rules, notification and properties as written, check the same shapes.
        sample = tmp_path / "sample.sarif"
        sample.write_text(json.dumps({**log, "runs": [{**run, "results": results[:1000]}]}))
        assert sarif_gh_problems(sample, workdir=tmp_path) == []
