"""Benchmark the per-file result cache and the whole-run memo, and print the ratios.

Figures, not assertions (issue 19, items 2 and 3). Run it with the python of a virtual
environment where pubflow was installed as users install it, `pip install .`, not editable
(an editable install recompiles every module at each start when PYTHONDONTWRITEBYTECODE is
set); it installs nothing itself:

    python -m venv /tmp/pf && /tmp/pf/bin/pip install . && /tmp/pf/bin/python bench/bench_cache.py

    options: [--sizes 10,10000,100000] [--runs 11] [--million] [--out bench/out]

Each corpus comes from `gen_patterns.py` (10 % invalid), in a git repository, every file
dated a minute back (so nothing is racy), and a first full run fills the cache and the memo.
Then, with every figure a ratio taken within this one run:
1. a named-file run (`validate patterns/ONE.json`, the pre-commit hook's), cache warm, vs the
   same with `--no-cache`, medians of fresh processes, interleaved: the cache must never make
   a run slower (bar: < 1 at every size);
2. the cost of one lookup, in this process: opening the cache and looking one file up, and a
   further lookup on an open cache, at each size (and with `--million`, a cache of a million
   synthetic entries), as a ratio to the smallest size (bar: about 1, whatever the size);
3. with the memo warm, `validate patterns`, `validate patterns/`, `validate ./patterns` and
   `-C REPO validate` from the folder above, each vs `validate` (bar: about 1).
Timing helpers, the child environment (bytecode caches on, no colour) and the corpus come from
`bench_validate.py`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_validate import BIN, first_passing_file, make_repo, median_of, timed  # noqa: E402

PUBFLOW = str(BIN / "pubflow")
LOOKUP_RUNS = 21
FURTHER_LOOKUPS = 1000


def editable_install() -> bool:
    """True when the pubflow this python imports is an editable install (its start-up is not
    what users pay)."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct = distribution("pubflow").read_text("direct_url.json")
    except PackageNotFoundError:
        return True
    return bool(direct) and bool(json.loads(direct).get("dir_info", {}).get("editable"))


def backdate(repo: Path) -> None:
    """Every file and folder of the work tree a minute old: none is racy, so the cache trusts
    stats and the memo may answer."""
    past = time.time() - 60
    for folder, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*files, *dirs]:
            os.utime(Path(folder) / name, (past, past))
    os.utime(repo, (past, past))


def settled_repo(out: Path, count: int) -> tuple[Path, Path]:
    """The corpus of `count` patterns, backdated, with cache and memo filled by full runs;
    and one passing file in it (the hook's case)."""
    repo = make_repo(out, count)
    backdate(repo)
    one = first_passing_file(repo)  # a full run (JSON report): fills the per-file cache
    timed([PUBFLOW, "validate"], repo)  # the text report: fills the memo and its text
    return repo, one


def interleaved(first: list[str], second: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Medians of two commands, run in turn so that drift hits both alike."""
    timed(first, cwd)
    timed(second, cwd)
    a, b = [], []
    for _ in range(runs):
        a.append(timed(first, cwd)[0])
        b.append(timed(second, cwd)[0])
    return statistics.median(a), statistics.median(b)


def cache_files(repo: Path) -> tuple[Path, ...]:
    folder = repo / ".git" / "pubflow"
    return tuple(p for p in folder.glob("validate-cache*") if p.is_file())


def lookup_costs(repo: Path) -> tuple[float, float, int]:
    """(seconds to open the cache and look one file up, seconds per further lookup, entries)."""
    from pubflow.config import load_config
    from pubflow.validation.result_cache import cache_path, verdict_key

    config = load_config(repo)
    path, key = cache_path(repo), verdict_key(config)
    files = sorted(p.name for p in (repo / "patterns").iterdir())
    sample = random.Random(1).sample(files, min(FURTHER_LOOKUPS, len(files)))
    named = [(f"patterns/{name}", str(repo / "patterns" / name)) for name in sample]
    return lookups(path, key, named)


def lookups(path: str, key: str, named: list[tuple[str, str]]) -> tuple[float, float, int]:
    from pubflow.validation.result_cache import ResultCache

    first = []
    for i in range(LOOKUP_RUNS):
        start = time.perf_counter()
        cache = ResultCache(path, key)
        hit = cache.lookup(*named[i % len(named)])
        first.append(time.perf_counter() - start)
        assert hit is not None, "the cache should hold every file of the corpus"
        close = getattr(cache, "close", None)
        if close is not None:
            close()
    cache = ResultCache(path, key)
    start = time.perf_counter()
    for display, file in named:
        assert cache.lookup(display, file) is not None
    further = (time.perf_counter() - start) / len(named)
    close = getattr(cache, "close", None)
    if close is not None:
        close()
    return statistics.median(first), further, len(named)


def million_costs() -> tuple[float, float, int]:
    """The lookup costs in a cache of a million synthetic entries (one real file, whose
    verdict is stored among them)."""
    from pubflow.findings import FileResult, PatternFacts
    from pubflow.validation.result_cache import ResultCache

    with tempfile.TemporaryDirectory() as folder:
        real = Path(folder) / "patterns" / "real-one.json"
        real.parent.mkdir()
        real.write_text("{}")
        past = time.time_ns() - 60_000_000_000
        os.utime(real, ns=(past, past))
        st = real.stat()
        path = str(Path(folder) / "cache")
        cache = ResultCache(path, "million")
        facts = PatternFacts("real-one", "Real one", "1.0.0", ("a-b", "c-d"), 33, False)
        for i in range(1_000_000):
            display = f"patterns/synthetic-{i:07d}.json"
            cache.store(display, (f"{i:064x}", 5000, past), FileResult(display, (), facts))
        named = [("patterns/real-one.json", str(real))]
        cache.store(named[0][0], ("0" * 64, st.st_size, st.st_mtime_ns),
                    FileResult(named[0][0], (), facts))
        cache.save()
        close = getattr(cache, "close", None)
        if close is not None:
            close()
        return lookups(path, "million", named * FURTHER_LOOKUPS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,10000,100000",
                        help="corpus sizes, comma-separated (default: 10,10000,100000)")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--million", action="store_true",
                        help="also time lookups in a cache of a million synthetic entries")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    if not Path(PUBFLOW).exists():
        print(f"no pubflow script beside {sys.executable}", file=sys.stderr)
        return 2
    if editable_install():
        print("pubflow is not installed here, or installed editable: run this with the python "
              "of a venv made by `pip install .`", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    import pubflow

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, pubflow "
          f"{pubflow.__version__} from {Path(pubflow.__file__).parent}")

    repos = {count: settled_repo(args.out, count) for count in sizes}

    print(f"\n## 1. named file, cache warm vs --no-cache (median of {args.runs}, fresh "
          "processes)")
    for count, (repo, one) in repos.items():
        name = str(one.relative_to(repo))
        warm, cold = interleaved([PUBFLOW, "validate", name],
                                 [PUBFLOW, "validate", "--no-cache", name], repo, args.runs)
        size = sum(p.stat().st_size for p in cache_files(repo)) / 2**20
        print(f"{count:>7} patterns: warm {warm * 1000:7.1f} ms, --no-cache "
              f"{cold * 1000:7.1f} ms, ratio {warm / cold:5.2f} (bar < 1); cache "
              f"{size:6.1f} MiB")

    print(f"\n## 2. one lookup, in process (open + first lookup: median of {LOOKUP_RUNS}; "
          f"further lookups: mean of up to {FURTHER_LOOKUPS})")
    costs = [(f"{count} entries", lookup_costs(repo)) for count, (repo, _) in repos.items()]
    if args.million:
        costs.append(("1000000 synthetic", million_costs()))
    base_open, base_further, _ = costs[0][1]
    for label, (opened, further, _n) in costs:
        print(f"{label:>18}: open + lookup {opened * 1e6:9.1f} us "
              f"({opened / base_open:6.2f}x), further lookup {further * 1e6:7.1f} us "
              f"({further / base_further:5.2f}x)   (bar: about 1x)")

    print(f"\n## 3. memo warm: naming the folder vs `validate` (median of {args.runs})")
    for count, (repo, _) in repos.items():
        plain = median_of([PUBFLOW, "validate"], repo, args.runs)
        print(f"{count:>7} patterns: validate {plain * 1000:7.1f} ms")
        for label, cmd, cwd in (
                ("validate patterns", [PUBFLOW, "validate", "patterns"], repo),
                ("validate patterns/", [PUBFLOW, "validate", "patterns/"], repo),
                ("validate ./patterns", [PUBFLOW, "validate", "./patterns"], repo),
                ("-C REPO validate", [PUBFLOW, "-C", repo.name, "validate"], repo.parent)):
            seconds = median_of(cmd, cwd, args.runs)
            print(f"{'':>16}{label:<20} {seconds * 1000:7.1f} ms, ratio "
                  f"{seconds / plain:5.2f} (bar: about 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
