"""Benchmark `pubflow validate` against the issue's speed bars and print the figures.

Figures, not assertions: run it, read it, paste it in the closing note.

    python bench/bench_validate.py [--count 10000] [--runs 11] [--out bench/out]

Measures, each as a fresh process (what a pre-commit hook or CI job pays):
1. one pattern, cold process: pubflow (all checks) vs check-jsonschema (schema only), median;
2. N generated patterns (10 % invalid): pubflow --no-cache --jobs 1, pubflow --jobs 0 (auto),
   check-jsonschema, and a bare "read + json.loads" loop; peak RSS at 1k and N;
3. the same repository again with the cache warm, as a fraction of the cold run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SCHEMA = PROJECT / "schemas" / "pattern.schema.json"
sys.path.insert(0, str(HERE))

from gen_patterns import generate  # noqa: E402

BIN = Path(sys.executable).parent
THROUGHPUT_RUNS = 3
# As users run it: bytecode caches on (some shells export PYTHONDONTWRITEBYTECODE, which
# makes every start recompile every module of both tools), no colour.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["NO_COLOR"] = "1"


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MiB and exit code of one child process.

    The RSS is only an upper bound here: Linux carries a process's peak RSS across exec, so a
    child forked from this (large) process reports at least this process's size. Memory is
    read with `peak_rss` instead."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=CHILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss // 1024, proc.returncode


_MEASURE = ("import os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execv(sys.argv[2], sys.argv[2:])\n"
            "_, _, usage = os.wait4(pid, 0)\n"
            "with open(sys.argv[1], 'w') as out:\n"
            "    out.write(str(usage.ru_maxrss))\n")


def peak_rss(cmd: list[str], cwd: Path) -> int:
    """The command's own peak RSS in MiB. A fresh, small interpreter forks and execs it and
    reports its usage, so the figure is the command's, not this benchmark's (which holds the
    generated patterns), nor the interpreter's (about 9 MiB, below any pubflow run)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "maxrss"
        timed([sys.executable, "-S", "-c", _MEASURE, str(report), *cmd], cwd)
        return int(report.read_text()) // 1024


def median_of(cmd: list[str], cwd: Path, runs: int) -> float:
    timed(cmd, cwd)  # warm the OS page cache and .pyc files
    return statistics.median(timed(cmd, cwd)[0] for _ in range(runs))


def read_and_parse_seconds(folder: Path) -> float:
    """A bare loop in a fresh process, timed inside it (no interpreter start-up counted)."""
    code = (
        "import json,os,sys,time\n"
        "t=time.perf_counter()\n"
        "for e in sorted(os.scandir(sys.argv[1]), key=lambda e: e.name):\n"
        "    json.loads(open(e.path,'rb').read())\n"
        "print(time.perf_counter()-t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                         text=True, check=True).stdout
    return float(out)


def first_passing_file(repo: Path) -> Path:
    """The pre-commit case: one file that passes (a failing one would load jsonschema)."""
    import json

    done = subprocess.run([str(BIN / "pubflow"), "validate", "--format", "json"], cwd=repo,
                          capture_output=True, text=True)
    report = json.loads(done.stdout)
    name = next(p["file"] for p in report["patterns"] if p["readyForReview"])
    return repo / name


def clear_cache(repo: Path) -> None:
    shutil.rmtree(repo / ".git" / "pubflow", ignore_errors=True)


def make_repo(out: Path, count: int) -> Path:
    repo = out / f"repo-{count}"
    if not (repo / "patterns").is_dir() or len(list((repo / "patterns").iterdir())) != count:
        shutil.rmtree(repo, ignore_errors=True)
        generate(repo, count, 0.1, 1)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    pubflow = [str(BIN / "pubflow")]
    cjs = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA)]
    if not (BIN / "check-jsonschema").exists():
        print("check-jsonschema is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    small = make_repo(args.out, 1000)
    one = first_passing_file(small)
    ours = median_of([*pubflow, "validate", "--no-cache", str(one)], small, args.runs)
    theirs = median_of([*cjs, str(one)], small, args.runs)
    print(f"\n## 1. one pattern, cold process (median of {args.runs})")
    print(f"pubflow validate (all checks)     {ours * 1000:8.1f} ms")
    print(f"check-jsonschema (schema only)    {theirs * 1000:8.1f} ms")
    print(f"ratio                             {ours / theirs:8.2f}   (bar: <= 0.50)")

    print(f"\n## 2. throughput (10 % invalid), cache off, median of {THROUGHPUT_RUNS} runs")
    print("The bar is read on pubflow as a user runs it (automatic --jobs); -j1 is shown too.")
    rss: dict[int, int] = {}
    for count in sorted({1000, args.count}):
        repo = make_repo(args.out, count)
        files = sorted(str(p) for p in (repo / "patterns").iterdir())
        serial_runs = [timed([*pubflow, "validate", "--no-cache", "--jobs", "1", "--format",
                              "json"], repo) for _ in range(THROUGHPUT_RUNS)]
        serial = statistics.median(r[0] for r in serial_runs)
        code = serial_runs[0][2]
        rss[count] = peak_rss([*pubflow, "validate", "--no-cache", "--jobs", "1", "--format",
                               "json"], repo)
        parallel = statistics.median(
            timed([*pubflow, "validate", "--no-cache", "--format", "json"], repo)[0]
            for _ in range(THROUGHPUT_RUNS))
        baseline = statistics.median(read_and_parse_seconds(repo / "patterns")
                                     for _ in range(THROUGHPUT_RUNS))
        theirs = statistics.median(timed([*cjs, *files], repo)[0]
                                   for _ in range(THROUGHPUT_RUNS))
        print(f"{count:>6} patterns: pubflow -j auto {parallel:6.2f} s, -j1 {serial:6.2f} s "
              f"(exit {code}), check-jsonschema {theirs:6.2f} s, read+json.loads "
              f"{baseline:6.2f} s")
        print(f"{'':>16}-j auto: {parallel / theirs:5.2f} of check-jsonschema (bar <= 0.25), "
              f"{parallel / baseline:5.1f}x read+loads (bar <= 5)")
        print(f"{'':>16}-j1:     {serial / theirs:5.2f} of check-jsonschema, "
              f"{serial / baseline:5.1f}x read+loads; peak RSS {rss[count]} MiB")

    print("\n## 3. second run with the cache warm (text report, automatic --jobs)")
    repo = make_repo(args.out, args.count)
    colds = []
    for _ in range(THROUGHPUT_RUNS):  # each a first run: the cache emptied before it
        clear_cache(repo)
        colds.append(timed([*pubflow, "validate"], repo)[0])
    cold = statistics.median(colds)
    warm = statistics.median(timed([*pubflow, "validate"], repo)[0]
                             for _ in range(5))
    print(f"cold (fills cache, median of {THROUGHPUT_RUNS}) {cold:6.2f} s, warm {warm:6.3f} s, "
          f"ratio {warm / cold:5.3f} "
          "(bar <= 0.05)")
    print(f"\npeak RSS: {', '.join(f'{c}: {m} MiB' for c, m in sorted(rss.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
