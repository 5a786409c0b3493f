"""Benchmark `pubflow validate` at any size: the hook's cost and a full run's memory.

Figures, not assertions (issue 19, items 1, 5 and 6). Run it with the python of a virtual
environment where pubflow was installed as users install it, `pip install .`, not editable (an
editable install recompiles every module at each start when PYTHONDONTWRITEBYTECODE is set);
it installs nothing itself and refuses an editable install:

    python -m venv /tmp/pf && /tmp/pf/bin/pip install . check-jsonschema
    /tmp/pf/bin/python bench/bench_scale.py [--sizes 100,10000,100000] [--rss 10000,100000]
        [--million] [--shards 4] [--runs 11] [--out bench/out] [--pubflow PATH]

Corpora come from `gen_patterns.py` (10 % invalid), each in a git repository, made once and
kept in `--out`. Each figure is a fresh process:
1. the pre-commit hook: `validate --no-cache ONE.json` in a folder of each size, for a file
   that passes and for one that fails (a schema error), cold (a new process, no result
   cache), against check-jsonschema on the same file; medians of interleaved runs, and the
   ratio of each size to the smallest (bar: about 1: the hook costs what changed);
2. peak RSS and time of a full run (`validate --no-cache --format json`, the report to
   /dev/null) at each `--rss` size and, with `--million`, at 1 000 000 patterns (made once
   from the 10 000-pattern corpus: each file copied under a hundred ids, about 6 GB; only the
   run is timed); the ratio to the smallest size (bar: <= 1.2);
3. with `--shards N`: each slice of the biggest `--rss` corpus (`--shard I/N`) and the merge
   of their JSON reports, against the whole run; the merged report equals the run's.
Timing and memory helpers and the corpus come from `bench_validate.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_validate import CHILD_ENV, SCHEMA, make_repo, peak_rss, timed  # noqa: E402

MILLION = 1_000_000
COPIES = 100
"""The million-pattern corpus: each of 10 000 generated patterns under this many ids."""


def installed(script: Path) -> Path:
    """`script`, refused (exit 2) when it is an editable install of pubflow."""
    python = script.parent / "python"
    where = subprocess.run(
        [str(python), "-c", "import json, importlib.metadata as m; d = m.distribution('pubflow');"
         " t = d.read_text('direct_url.json'); print(json.loads(t).get('dir_info', {})"
         ".get('editable', False) if t else False)"],
        capture_output=True, text=True, env=CHILD_ENV)
    if where.returncode != 0:
        sys.exit(f"{script}: no pubflow installed next to it ({where.stderr.strip()})")
    if where.stdout.strip() == "True":
        sys.exit(f"{script} is an editable install; time a regular one (`pip install .`)")
    return script


def first_files(pubflow: Path, repo: Path) -> tuple[Path, Path]:
    """A file that passes and one with a schema error (where a failing run pays most)."""
    done = subprocess.run([str(pubflow), "validate", "--no-cache", "--format", "json"],
                          cwd=repo, capture_output=True, text=True, env=CHILD_ENV)
    report = json.loads(done.stdout)
    passing = next(p["file"] for p in report["patterns"] if p["readyForReview"])
    failing = next(p["file"] for p in report["patterns"]
                   if any(f["rule"].startswith("schema.") for f in p["findings"]))
    return repo / passing, repo / failing


def cpu_timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process: on a loaded
    machine the CPU time moves far less than the wall time."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=CHILD_ENV)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def medians(commands: dict[str, tuple[list[str], Path]],
            runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command, run in turn `runs` times after a warm-up
    round."""
    for command, cwd in commands.values():
        timed(command, cwd)
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, cwd) in commands.items():
            seconds[name].append(cpu_timed(command, cwd))
    return {name: (statistics.median(w for w, _ in values),
                   statistics.median(c for _, c in values))
            for name, values in seconds.items()}


def hook(pubflow: Path, cjs: Path | None, out: Path, sizes: list[int], runs: int) -> None:
    print(f"\n## 1. the pre-commit hook: one named file, cold (median of {runs}, interleaved)")
    commands: dict[str, tuple[list[str], Path]] = {}
    for size in sizes:
        repo = make_repo(out, size)
        passing, failing = first_files(pubflow, repo)
        for kind, file in (("passing", passing), ("failing", failing)):
            commands[f"pubflow {kind} {size}"] = (
                [str(pubflow), "validate", "--no-cache", str(file.relative_to(repo))], repo)
            if cjs is not None:
                commands[f"check-jsonschema {kind} {size}"] = (
                    [str(cjs), "--schemafile", str(SCHEMA), str(file)], repo)
    seconds = medians(commands, runs)
    smallest = min(sizes)
    print(f"{'patterns':>9} {'file':8} {'pubflow wall':>13} {'cpu':>9} {'check-jsonschema':>17} "
          f"{'ratio':>6} {'wall vs ' + str(smallest):>12} {'cpu vs ' + str(smallest):>11}")
    for size in sizes:
        for kind in ("passing", "failing"):
            wall, cpu = seconds[f"pubflow {kind} {size}"]
            theirs = seconds.get(f"check-jsonschema {kind} {size}")
            ratio = f"{wall / theirs[0]:6.2f}" if theirs else "     -"
            shown = f"{theirs[0] * 1000:14.1f} ms" if theirs else f"{'-':>17}"
            base_wall, base_cpu = seconds[f"pubflow {kind} {smallest}"]
            print(f"{size:>9} {kind:8} {wall * 1000:10.1f} ms {cpu * 1000:6.1f} ms {shown} "
                  f"{ratio} {wall / base_wall:11.2f}x {cpu / base_cpu:10.2f}x")
    print("bar: the same cost at every size (the last columns about 1.00; the CPU time is the "
          "steadier figure on a loaded machine); ratio: wall time against check-jsonschema")


def renamed(raw: bytes, top_id: re.Pattern[bytes], suffix: bytes) -> bytes:
    """The pattern's bytes with `suffix` added to its top-level id."""
    found = top_id.search(raw)
    if found is None:
        return raw
    return raw[:found.end(1)] + suffix + raw[found.end(1):]


def million_repo(out: Path) -> Path:
    """1 000 000 patterns in one folder: each of the 10 000-pattern corpus's files under a
    hundred ids (`<id>-cNN`, copy 0 the original; related ids name the originals), so every
    file is a realistic pattern with its own id. Made once; about 6 GB."""
    repo = out / f"repo-{MILLION}"
    folder = repo / "patterns"
    marker = repo / ".complete"
    if marker.exists():
        return repo
    source = make_repo(out, MILLION // COPIES)
    folder.mkdir(parents=True, exist_ok=True)
    (repo / "pubflow.yaml").write_bytes((source / "pubflow.yaml").read_bytes())
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    top_id = re.compile(rb'^  "id": "([^"\\]*)"', re.M)
    started = time.perf_counter()
    for path in sorted((source / "patterns").iterdir()):
        raw = path.read_bytes()
        stem = path.name[: -len(".json")]
        for copy in range(COPIES):
            if copy == 0:
                data, name = raw, path.name
            else:
                data = renamed(raw, top_id, f"-c{copy:02d}".encode())
                name = f"{stem}-c{copy:02d}.json"
            (folder / name).write_bytes(data)
    marker.write_text("")
    print(f"(made {MILLION} patterns in {time.perf_counter() - started:.0f} s)")
    return repo


def memory(pubflow: Path, out: Path, sizes: list[int], million: bool) -> dict[int, Path]:
    print("\n## 2. a full run: peak RSS and time (--no-cache --format json > /dev/null)")
    repos = {size: make_repo(out, size) for size in sizes}
    if million:
        repos[MILLION] = million_repo(out)
    rss: dict[tuple[str, int], int] = {}
    for size, repo in sorted(repos.items()):
        for jobs in ("auto", "1"):
            if size == MILLION and jobs == "1":
                continue  # a serial million takes long and says nothing more
            command = [str(pubflow), "validate", "--no-cache", "--format", "json",
                       *(["--jobs", "1"] if jobs == "1" else [])]
            started = time.perf_counter()
            rss[jobs, size] = peak_rss(command, repo)
            seconds = time.perf_counter() - started
            print(f"{size:>9} patterns, --jobs {jobs:4}: {seconds:7.1f} s, peak RSS "
                  f"{rss[jobs, size]:4d} MiB", flush=True)
    smallest = min(repos)
    for (jobs, size), mib in sorted(rss.items()):
        if size != smallest:
            print(f"--jobs {jobs:4}: peak RSS at {size} / at {smallest}: "
                  f"{mib / rss[jobs, smallest]:.2f} (bar: <= 1.20)")
    return repos


def shards(pubflow: Path, repo: Path, count: int) -> None:
    print(f"\n## 3. the job matrix: {count} slices of {repo.name} and their merge")
    whole_json = repo / "whole.json"
    started = time.perf_counter()
    subprocess.run([str(pubflow), "validate", "--no-cache", "-f", "json", "-o", str(whole_json)],
                   cwd=repo, env=CHILD_ENV, capture_output=True, check=False)
    whole = time.perf_counter() - started
    print(f"whole run {whole:7.1f} s")
    pieces = []
    for index in range(1, count + 1):
        piece = repo / f"slice-{index}.json"
        seconds, _, code = timed([str(pubflow), "validate", "--no-cache", "--shard",
                                    f"{index}/{count}", "-f", "json", "-o", str(piece)], repo)
        pieces.append(piece)
        print(f"slice {index}/{count} {seconds:7.1f} s ({seconds / whole:.2f} of the run; exit "
              f"{code})")
    merged = repo / "merged.json"
    seconds, _, code = timed([str(pubflow), "validate", "--merge-reports", *map(str, pieces),
                              "-f", "json", "-o", str(merged)], repo)
    same = (json.loads(merged.read_text()) | {"generatedAt": ""}) == (
        json.loads(whole_json.read_text()) | {"generatedAt": ""})
    print(f"merge {seconds:7.1f} s (exit {code}); merged report equals the run's: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000",
                        help="folder sizes for the hook (default 100,10000,100000)")
    parser.add_argument("--rss", default="10000,100000",
                        help="sizes of the full runs measured (default 10000,100000)")
    parser.add_argument("--million", action="store_true", help="and 1 000 000 patterns")
    parser.add_argument("--shards", type=int, default=0, help="slices of the biggest --rss run")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--pubflow", type=Path, default=Path(sys.executable).parent / "pubflow",
                        help="the pubflow script to time (default: next to this python)")
    args = parser.parse_args()
    pubflow = installed(args.pubflow)
    cjs = Path(sys.executable).parent / "check-jsonschema"
    if not cjs.exists():
        print("check-jsonschema is not installed next to this python: not compared")
    args.out.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([str(pubflow), "--version"], capture_output=True, text=True,
                             env=CHILD_ENV).stdout.strip()
    print(f"{version} ({pubflow}), python {sys.version.split()[0]}")
    hook(pubflow, cjs if cjs.exists() else None, args.out,
         [int(n) for n in args.sizes.split(",")], args.runs)
    repos = memory(pubflow, args.out, [int(n) for n in args.rss.split(",")], args.million)
    if args.shards:
        shards(pubflow, repos[max(int(n) for n in args.rss.split(","))], args.shards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
