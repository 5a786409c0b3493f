"""Benchmark the per-file result cache and the whole-run memo; print the ratios.

Figures, not assertions (issue 19, items 2 and 3): run it, read it, paste it in the note.

    python bench/bench_cache.py [--sizes 10,10000,100000] [--runs 11] [--million]
                                [--out ~/.cache/pubflow-bench/out] [--no-install]
                                [--pubflow PATH]

pubflow is timed as users install it, through `bench_validate.py`'s helpers: `pip install .`
(a regular install, not editable: an editable install recompiles every module at each start
where PYTHONDONTWRITEBYTECODE is set) into ~/.cache/pubflow-bench/venv, the child processes
with bytecode caches on and no colour. `--pubflow PATH` times another installed `pubflow`
script instead (say, a venv of an older commit, for a before/after); nothing else is
installed. The corpora are `bench_validate.py`'s too (`gen_patterns.py`, 10 % invalid, in a git
repository), dated a minute back here so that nothing is racy, their state folder emptied,
then filled by one full run (JSON report: the per-file cache) and one text run (the memo).

Every figure below is a ratio taken within this one run:
1. a named-file run (`validate patterns/ONE.json`, the pre-commit hook's) with the cache warm
   vs the same with `--no-cache`, medians of fresh processes run in turn (bar: < 1, at every
   size: a cache never makes a run slower);
2. one lookup, inside the installed pubflow's own python: opening the cache and looking one
   file up (what the hook pays), and a further lookup on the open cache (timed on a second
   pass over up to 1 000 files, so that the disk is out of it), at each size (and, with
   `--million`, in a cache of a million synthetic entries), as a ratio to the smallest (bar:
   about 1x);
3. with the memo warm, `validate patterns`, `validate patterns/`, `validate ./patterns` and
   `-C REPO validate` from the folder above, each vs `validate` (bar: about 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_validate import (  # noqa: E402
    CACHE,
    CHILD_ENV,
    clear_cache,
    installed_pubflow,
    make_repo,
    timed,
)

LOOKUP_RUNS = 21
FURTHER_LOOKUPS = 1000

# Run by the installed pubflow's python: the lookup costs of the code users run.
# argv: cache path, verdict key ("" for the repository's own), repository or "", files...
LOOKUPS = """
import json, os, sys, time, statistics
from pubflow.validation.result_cache import ResultCache, cache_path, verdict_key
repo, runs = sys.argv[1], int(sys.argv[2])
if repo == "million":
    import tempfile
    from pubflow.findings import FileResult, PatternFacts
    folder = tempfile.mkdtemp()
    real = os.path.join(folder, "real-one.json")
    with open(real, "w") as handle:
        handle.write("{}")
    past = time.time_ns() - 60_000_000_000
    os.utime(real, ns=(past, past))
    st = os.stat(real)
    path, key = os.path.join(folder, "cache"), "million"
    cache = ResultCache(path, key)
    facts = PatternFacts("real-one", "Real one", "1.0.0", ("a-b", "c-d"), 33, False)
    for i in range(1_000_000):
        name = f"patterns/synthetic-{i:07d}.json"
        cache.store(name, (f"{i:064x}", 5000, past), FileResult(name, (), facts))
    cache.store("patterns/real-one.json", ("0" * 64, st.st_size, st.st_mtime_ns),
                FileResult("patterns/real-one.json", (), facts))
    cache.save()
    named = [("patterns/real-one.json", real)] * len(sys.argv[3:])
else:
    from pubflow.config import load_config
    path, key = cache_path(repo), verdict_key(load_config(__import__("pathlib").Path(repo)))
    named = [(f"patterns/{n}", os.path.join(repo, "patterns", n)) for n in sys.argv[3:]]
first = []
for i in range(runs):
    start = time.perf_counter()
    cache = ResultCache(path, key)
    hit = cache.lookup(*named[i % len(named)])
    first.append(time.perf_counter() - start)
    assert hit is not None, "every file of the corpus should be in the cache"
    getattr(cache, "close", lambda: None)()
cache = ResultCache(path, key)
for display, file in named:  # a first pass brings the files' inodes and pages into memory,
    assert cache.lookup(display, file) is not None  # so the second times the cache, not I/O
start = time.perf_counter()
for display, file in named:
    cache.lookup(display, file)
further = (time.perf_counter() - start) / len(named)
size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
print(json.dumps([statistics.median(first), further, size]))
"""


def backdate(repo: Path) -> None:
    """Every file and folder of the work tree a minute old: none is racy, so the cache trusts
    stats and the memo may answer."""
    past = time.time() - 60
    for folder, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*files, *dirs]:
            os.utime(Path(folder) / name, (past, past))
    os.utime(repo, (past, past))


def editable(pubflow: Path) -> bool:
    """True when the python beside `pubflow` imports an editable install (its start-up is not
    what users pay), or none."""
    code = ("import json; from importlib.metadata import distribution as d\n"
            "t = d('pubflow').read_text('direct_url.json') or '{}'\n"
            "print(json.loads(t).get('dir_info', {}).get('editable', False))")
    done = subprocess.run([str(pubflow.parent / "python"), "-c", code], capture_output=True,
                          text=True, env=CHILD_ENV)
    return done.stdout.strip() != "False"


def settled_repo(pubflow: Path, out: Path, count: int) -> tuple[Path, str]:
    """The corpus of `count` patterns, backdated, with the per-file cache and the memo filled;
    and the name of one passing file in it (the hook's case)."""
    repo = make_repo(out, count)
    backdate(repo)
    clear_cache(repo)  # what another pubflow (or another benchmark) left there
    done = subprocess.run([str(pubflow), "validate", "--format", "json"], cwd=repo,
                          capture_output=True, text=True, env=CHILD_ENV)
    report = json.loads(done.stdout)
    one = next(p["file"] for p in report["patterns"] if p["readyForReview"])
    timed([str(pubflow), "validate"], repo)  # the text report: the memo and its text
    return repo, one


def in_turn(first: tuple[list[str], Path], second: tuple[list[str], Path],
            runs: int) -> tuple[float, float]:
    """Medians of two (command, folder) runs taken in turn after a warm-up of each, so that
    drift hits both alike."""
    for cmd, cwd in (first, second):
        timed(cmd, cwd)
    a, b = [], []
    for _ in range(runs):
        a.append(timed(*first)[0])
        b.append(timed(*second)[0])
    return statistics.median(a), statistics.median(b)


def lookup_costs(python: Path, repo: Path | None) -> tuple[float, float, int]:
    """(open + first lookup, further lookup, cache bytes) in the installed pubflow's python;
    `repo` None: a cache of a million synthetic entries."""
    if repo is None:
        args = ["million", str(LOOKUP_RUNS), *["x"] * FURTHER_LOOKUPS]
    else:
        names = sorted(p.name for p in (repo / "patterns").iterdir())
        step = max(1, len(names) // FURTHER_LOOKUPS)
        args = [str(repo), str(LOOKUP_RUNS), *names[::step][:FURTHER_LOOKUPS]]
    done = subprocess.run([str(python), "-c", LOOKUPS, *args], capture_output=True, text=True,
                          env=CHILD_ENV, check=True)
    first, further, size = json.loads(done.stdout)
    return first, further, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,10000,100000",
                        help="corpus sizes, comma-separated (default: 10,10000,100000)")
    parser.add_argument("--runs", type=int, default=11, help="fresh processes per median")
    parser.add_argument("--million", action="store_true",
                        help="also time lookups in a cache of a million synthetic entries")
    parser.add_argument("--out", type=Path, default=CACHE / "out",
                        help="where the generated repositories are kept between runs")
    parser.add_argument("--no-install", action="store_true",
                        help="time the installed pubflow as it is (no reinstall from the checkout)")
    parser.add_argument("--pubflow", type=Path,
                        help="time this installed `pubflow` script instead (nothing installed)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    args.out.mkdir(parents=True, exist_ok=True)
    pubflow = args.pubflow or installed_pubflow(refresh=not args.no_install)
    if editable(pubflow):
        print(f"{pubflow}: not a regular install of pubflow (editable, or none)", file=sys.stderr)
        return 2
    version = subprocess.run([str(pubflow), "--version"], capture_output=True, text=True,
                             env=CHILD_ENV).stdout.strip()
    print(f"{time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}, {os.cpu_count()} "
          f"CPUs; {version} ({pubflow})")
    repos = {count: settled_repo(pubflow, args.out, count) for count in sizes}
    cmd = str(pubflow)

    print(f"\n## 1. named file, cache warm vs --no-cache (median of {args.runs}, in turn)")
    for count, (repo, one) in repos.items():
        warm, cold = in_turn(([cmd, "validate", one], repo),
                             ([cmd, "validate", "--no-cache", one], repo), args.runs)
        print(f"{count:>7} patterns: warm {warm * 1000:7.1f} ms, --no-cache "
              f"{cold * 1000:7.1f} ms: {warm / cold:5.2f}x (bar < 1) "
              f"{'ok' if warm < cold else 'MISSED'}")

    print(f"\n## 2. one lookup, in the installed pubflow's python (open + first lookup: median "
          f"of {LOOKUP_RUNS}; a further lookup: mean of a second pass over up to "
          f"{FURTHER_LOOKUPS})")
    costs = [(f"{count} entries", lookup_costs(pubflow.parent / "python", repo))
             for count, (repo, _) in repos.items()]
    if args.million:
        costs.append(("1000000 synthetic", lookup_costs(pubflow.parent / "python", None)))
    base_first, base_further, _ = costs[0][1]
    for label, (first, further, size) in costs:
        print(f"{label:>18}: open + lookup {first * 1e6:8.0f} us ({first / base_first:6.2f}x), "
              f"further {further * 1e6:6.1f} us ({further / base_further:5.2f}x); cache "
              f"{size / 2**20:6.1f} MiB   (bar: about 1x)")

    print(f"\n## 3. memo warm: the folder named vs `validate` (median of {args.runs}, in turn)")
    for count, (repo, _) in repos.items():
        for label, named, cwd in (
                ("validate patterns", [cmd, "validate", "patterns"], repo),
                ("validate patterns/", [cmd, "validate", "patterns/"], repo),
                ("validate ./patterns", [cmd, "validate", "./patterns"], repo),
                ("-C REPO validate", [cmd, "-C", repo.name, "validate"], repo.parent)):
            plain, seconds = in_turn(([cmd, "validate"], repo), (named, cwd), args.runs)
            print(f"{count:>7} patterns: {label:<20} {seconds * 1000:7.1f} ms vs validate "
                  f"{plain * 1000:6.1f} ms: {seconds / plain:5.2f}x (bar: about 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
