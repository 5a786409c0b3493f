"""Benchmark `pubflow validate` against its peers and the issue's speed bars; print the figures.

Figures, not assertions: run it, read it, paste it in the closing note.

    python bench/bench_validate.py [--sizes 10000,100000] [--runs 3] [--one-runs 11]
                                   [--out ~/.cache/pubflow-bench/out] [--serial] [--json]
                                   [--no-install] [--skip 1,3] [--baseline REV]

pubflow is timed as users install it: `pip install .` (a regular install, not editable: an
editable install recompiles every module at every start where PYTHONDONTWRITEBYTECODE is set)
into a virtual environment outside the repository, ~/.cache/pubflow-bench/venv, refreshed
from this checkout at each run. The peers, each skipped (saying so) when it cannot be had:
- check-jsonschema, from the environment running this script (`pip install -e '.[test]'`);
- ajv-cli 5 (ajv 8) with ajv-formats, installed with npm into ~/.cache/pubflow-bench, run with
  the same schema (draft-07), formats on, `--all-errors`;
- a bare "read + json.loads" loop over the same files, timed inside its process: the floor.

Measures, each as a fresh process (what a pre-commit hook or CI job pays):
1. one pattern, cold process, passing and failing (a schema error): pubflow (all checks) vs
   check-jsonschema (schema only), median, interleaved; the modules the failing run imports
   (`python -X importtime`, the biggest first);
2. N generated patterns (10 % invalid) at each size: pubflow's default run (`pubflow validate
   --no-cache`: the text report, automatic --jobs), ajv-cli, check-jsonschema and the floor,
   in turn within each round so drift hits them alike; medians and the ratios against the
   bars; peak RSS. `--serial` adds `--jobs 1`, `--json` the JSON report (which also reads
   each pattern's metadata);
3. the same repository again with the cache warm, as a fraction of the cold run.

`--baseline REV` times pubflow as it was at a git revision too (installed once, from
`git archive`, into ~/.cache/pubflow-bench/venv-REV), in the same rounds: before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SCHEMA = PROJECT / "schemas" / "pattern.schema.json"
sys.path.insert(0, str(HERE))

from gen_patterns import generate  # noqa: E402

CACHE = Path.home() / ".cache" / "pubflow-bench"
VENV = CACHE / "venv"
BIN = Path(sys.executable).parent
AJV_PACKAGES = ("ajv-cli@5", "ajv-formats@3")
# As users run it: bytecode caches on (some shells export PYTHONDONTWRITEBYTECODE, which
# makes every start recompile every module of both tools), no colour.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["NO_COLOR"] = "1"
BARS = {"ajv-cli": 0.8, "check-jsonschema": 0.15}
"""pubflow's default run at most this fraction of each peer's time, at every size."""
FLOOR_BAR = 3.0
"""pubflow's default run within this many times reading and json.loads alone."""
ONE_FILE_BAR = 0.5
"""One file, cold, passing or failing: at most this fraction of check-jsonschema's time."""


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
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "maxrss"
        timed([sys.executable, "-S", "-c", _MEASURE, str(report), *cmd], cwd)
        return int(report.read_text()) // 1024


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
                         text=True, check=True, env=CHILD_ENV).stdout
    return float(out)


# --------------------------------------------------------------------------- the tools


def installed_pubflow(refresh: bool) -> Path:
    """The `pubflow` script of a regular (not editable) install of this checkout."""
    script = VENV / "bin" / "pubflow"
    if not refresh and script.exists():
        return script
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    first = not script.exists()
    # Dependencies once; afterwards only pubflow itself, rebuilt from the work tree.
    extra = [] if first else ["--force-reinstall", "--no-deps"]
    done = subprocess.run([*pip, *extra, str(PROJECT)], env=CHILD_ENV, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"cannot install pubflow:\n{done.stderr[-3000:]}")
    return script


def installed_revision(revision: str) -> tuple[str, Path]:
    """A regular install of pubflow as it was at `revision` (`git archive`: the checkout is not
    touched), in its own environment beside the other, made once; its label and script."""
    commit = subprocess.run(["git", "-C", str(PROJECT), "rev-parse", "--short=10", revision],
                            capture_output=True, text=True, check=True).stdout.strip()
    venv = CACHE / f"venv-{commit}"
    script = venv / "bin" / "pubflow"
    if not script.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        with tempfile.TemporaryDirectory() as folder:
            archive = subprocess.run(["git", "-C", str(PROJECT), "archive", commit],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
            done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                                   "--disable-pip-version-check", folder], env=CHILD_ENV,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"cannot install {revision}:\n{done.stderr[-3000:]}")
    return f"pubflow@{commit}", script


def ajv_command() -> list[str] | None:
    """ajv-cli with ajv-formats, installed on first use; None (said why) when npm fails."""
    script = CACHE / "node_modules" / ".bin" / "ajv"
    if not script.exists():
        if shutil.which("npm") is None:
            print("ajv-cli skipped: npm is not installed", file=sys.stderr)
            return None
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(CACHE), *AJV_PACKAGES],
                              capture_output=True, text=True)
        if done.returncode != 0 or not script.exists():
            print(f"ajv-cli skipped: npm install failed:\n{done.stderr[-2000:]}",
                  file=sys.stderr)
            return None
    return [str(script), "validate", "-s", str(SCHEMA), "-c", "ajv-formats", "--all-errors",
            "--spec=draft7"]


def ajv_version() -> str:
    try:
        return json.loads((CACHE / "node_modules" / "ajv" / "package.json").read_text())["version"]
    except OSError:
        return "?"


def check_jsonschema_command() -> list[str] | None:
    script = BIN / "check-jsonschema"
    if not script.exists():
        print("check-jsonschema skipped: not installed (pip install -e '.[test]')",
              file=sys.stderr)
        return None
    return [str(script), "--schemafile", str(SCHEMA)]


def in_argument_lists(cmd: list[str], names: list[str]) -> list[list[str]]:
    """`cmd` with `names` appended, split (like xargs) into commands within the kernel's
    limit on arguments; at 100 000 files that is two or three commands."""
    limit = os.sysconf("SC_ARG_MAX") // 2 - sum(len(k) + len(v) + 2 for k, v in CHILD_ENV.items())
    commands: list[list[str]] = []
    current: list[str] = []
    size = base = sum(len(a) + 9 for a in cmd)
    for name in names:
        if current and size + len(name) + 9 > limit:
            commands.append([*cmd, *current])
            current, size = [], base
        current.append(name)
        size += len(name) + 9  # the string, its NUL and its pointer
    commands.append([*cmd, *current])
    return commands


def timed_all(commands: list[list[str]], cwd: Path) -> float:
    return sum(timed(command, cwd)[0] for command in commands)


# --------------------------------------------------------------------------- corpora


def make_repo(out: Path, count: int) -> Path:
    repo = out / f"repo-{count}"
    folder = repo / "patterns"
    if not folder.is_dir() or sum(1 for _ in folder.iterdir()) != count:
        shutil.rmtree(repo, ignore_errors=True)
        generate(repo, count, 0.1, 1)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def one_file_of_each(pubflow: Path, repo: Path) -> tuple[Path, Path, str]:
    """A file that passes (the pre-commit case), one with a schema error, and that error's
    rule: a failing file is where jsonschema used to be imported."""
    done = subprocess.run([str(pubflow), "validate", "--no-cache", "--format", "json"], cwd=repo,
                          capture_output=True, text=True, env=CHILD_ENV)
    report = json.loads(done.stdout)
    passing = next(p["file"] for p in report["patterns"] if p["readyForReview"])
    failing, rule = next((f["file"], f["rule"]) for p in report["patterns"]
                         for f in p["findings"] if f["rule"].startswith("schema."))
    return repo / passing, repo / failing, rule


def clear_cache(repo: Path) -> None:
    shutil.rmtree(repo / ".git" / "pubflow", ignore_errors=True)


def interleaved(commands: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """The median seconds of each, run in turn `runs` times after one warm-up round."""
    for measure in commands.values():
        measure()  # the OS page cache, .pyc files, node's compile cache
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, measure in commands.items():
            seconds[name].append(measure())
    return {name: statistics.median(values) for name, values in seconds.items()}


def imports_of(pubflow: Path, file: Path, cwd: Path, top: int = 15) -> list[str]:
    """The modules a run imports, by `python -X importtime`: the top-level ones (with what
    they pull in) by cumulative time, the biggest first."""
    python = pubflow.parent / "python"
    done = subprocess.run([str(python), "-X", "importtime", str(pubflow), "validate",
                           "--no-cache", str(file)], cwd=cwd, capture_output=True, text=True,
                          env=CHILD_ENV)
    rows = []
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header, or anything else on stderr
        self_us, cumulative, name = fields
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((depth, int(cumulative), int(self_us), name.strip()))
    names = {name for _, _, _, name in rows}
    total = sum(c for d, c, _, _ in rows if d == 0)
    tops = sorted((r for r in rows if r[0] == 0), key=lambda r: -r[1])[:top]
    heavy = [m for m in ("jsonschema", "typer", "click", "rich", "ruamel.yaml", "git",
                         "pathlib", "multiprocessing", "concurrent.futures") if m in names]
    lines = [f"{len(rows)} modules, {total / 1000:.1f} ms of imports; of the heavy ones: "
             f"{', '.join(heavy) or 'none'}"]
    lines += [f"  {cumulative / 1000:7.1f} ms  {name}" for _, cumulative, _, name in tops]
    return lines


# --------------------------------------------------------------------------- the sections


def one_file(pubflow: Path, cjs: list[str] | None, out: Path, runs: int,
             baseline: tuple[str, Path] | None) -> None:
    small = make_repo(out, 1000)
    passing, failing, rule = one_file_of_each(pubflow, small)
    print(f"\n## 1. one pattern, cold process, --no-cache, in a folder of 1 000 "
          f"(median of {runs}, interleaved)")
    for label, file in (("passing", passing), (f"failing ({rule})", failing)):
        commands = {"pubflow": lambda f=file: timed([str(pubflow), "validate", "--no-cache",
                                                     str(f)], small)[0]}
        if baseline:
            commands[baseline[0]] = lambda f=file: timed([str(baseline[1]), "validate",
                                                          "--no-cache", str(f)], small)[0]
        if cjs:
            commands["check-jsonschema"] = lambda f=file: timed([*cjs, str(f)], small)[0]
        medians = interleaved(commands, runs)
        print(f"{label}: " + ", ".join(f"{name} {seconds * 1000:6.1f} ms"
                                        for name, seconds in medians.items()))
        for name in ("pubflow", *([baseline[0]] if baseline else [])):
            if cjs:
                ratio = medians[name] / medians["check-jsonschema"]
                print(f"{'':>4}{name} / check-jsonschema {ratio:4.2f} (bar <= {ONE_FILE_BAR}) "
                      f"{verdict(ratio <= ONE_FILE_BAR)}")
    print(f"\nimports of the failing run ({failing.name}):")
    for line in imports_of(pubflow, failing, small):
        print(f"  {line}")


def verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def throughput(pubflow: Path, cjs: list[str] | None, ajv: list[str] | None, out: Path,
               sizes: list[int], runs: int, serial: bool, as_json: bool,
               baseline: tuple[str, Path] | None) -> None:
    print(f"\n## 2. throughput (10 % invalid), cache off, median of {runs} interleaved rounds")
    print("pubflow as a user runs it: `pubflow validate --no-cache` (text report), automatic "
          "--jobs.")
    for count in sizes:
        repo = make_repo(out, count)
        patterns = repo / "patterns"
        names = sorted(os.listdir(patterns))  # noqa: PTH208 (names, not paths)
        default = [str(pubflow), "validate", "--no-cache"]
        commands: dict[str, Callable[[], float]] = {
            "pubflow": lambda r=repo, d=default: timed(d, r)[0]}
        if serial:
            commands["pubflow -j1"] = lambda r=repo, d=default: timed([*d, "--jobs", "1"], r)[0]
        if as_json:
            commands["pubflow -f json"] = lambda r=repo, d=default: timed(
                [*d, "--format", "json"], r)[0]
        if baseline:
            commands[baseline[0]] = lambda r=repo: timed(
                [str(baseline[1]), "validate", "--no-cache"], r)[0]
        if ajv:
            commands["ajv-cli"] = lambda r=repo: timed([*ajv, "-d", "patterns/*.json"], r)[0]
        if cjs:
            split = in_argument_lists(cjs, names)
            commands["check-jsonschema"] = lambda s=split, p=patterns: timed_all(s, p)
        commands["read+json.loads"] = lambda p=patterns: read_and_parse_seconds(p)
        medians = interleaved(commands, runs)
        ours = medians["pubflow"]
        print(f"\n{count:>7} patterns: " + ", ".join(
            f"{name} {seconds:6.2f} s" for name, seconds in medians.items()))
        for peer, bar in BARS.items():
            if peer in medians:
                ratio = ours / medians[peer]
                print(f"{'':>9}pubflow / {peer:<17} {ratio:5.2f}  (bar <= {bar:.2f}) "
                      f"{verdict(ratio <= bar)}")
            else:
                print(f"{'':>9}pubflow / {peer:<17} skipped (not installed)")
        floor = ours / medians["read+json.loads"]
        print(f"{'':>9}pubflow / read+json.loads  {floor:5.2f}x (bar <= {FLOOR_BAR:.0f}x) "
              f"{verdict(floor <= FLOOR_BAR)}")
        for variant in ("pubflow -j1", "pubflow -f json", *([baseline[0]] if baseline else [])):
            if variant in medians:
                print(f"{'':>9}{variant}: " + ", ".join(
                    f"{medians[variant] / medians[peer]:5.2f}x {peer}"
                    for peer in ("ajv-cli", "check-jsonschema", "read+json.loads")
                    if peer in medians))
        if cjs and len(split) > 1:
            print(f"{'':>9}(check-jsonschema ran as {len(split)} commands: the file names "
                  "exceed one command line)")
        print(f"{'':>9}peak RSS of pubflow: {peak_rss(default, repo)} MiB")


def warm_cache(pubflow: Path, out: Path, count: int, runs: int) -> None:
    print("\n## 3. second run with the cache warm (text report, automatic --jobs)")
    repo = make_repo(out, count)
    colds = []
    for _ in range(runs):  # each a first run: the cache emptied before it
        clear_cache(repo)
        colds.append(timed([str(pubflow), "validate"], repo)[0])
    cold = statistics.median(colds)
    warm = statistics.median(timed([str(pubflow), "validate"], repo)[0] for _ in range(5))
    print(f"{count} patterns: cold (fills cache, median of {runs}) {cold:6.2f} s, warm "
          f"{warm:6.3f} s, ratio {warm / cold:5.3f} (bar <= 0.05)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="pattern counts for the throughput section, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the throughput section")
    parser.add_argument("--one-runs", type=int, default=11, help="rounds of the one-file section")
    parser.add_argument("--out", type=Path, default=CACHE / "out",
                        help="where the generated repositories are kept between runs")
    parser.add_argument("--serial", action="store_true", help="also time pubflow --jobs 1")
    parser.add_argument("--json", action="store_true",
                        help="also time pubflow --format json (each pattern's metadata too)")
    parser.add_argument("--no-install", action="store_true",
                        help="time the installed pubflow as it is (no reinstall from the checkout)")
    parser.add_argument("--skip", default="", help="sections to skip, e.g. 1,3")
    parser.add_argument("--baseline", metavar="REV",
                        help="also time pubflow as it was at this git revision (its own venv)")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    skip = set(args.skip.split(","))
    args.out.mkdir(parents=True, exist_ok=True)

    pubflow = installed_pubflow(refresh=not args.no_install)
    cjs = check_jsonschema_command()
    ajv = ajv_command()
    version = subprocess.run([str(pubflow), "--version"], capture_output=True, text=True,
                             env=CHILD_ENV).stdout.strip()
    print(f"{time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}, {os.cpu_count()} "
          f"CPUs; {version} (pip install . in {VENV}); node "
          f"{subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip() if ajv else '-'}"
          f", ajv {ajv_version() if ajv else '-'}")
    baseline = installed_revision(args.baseline) if args.baseline else None
    if "1" not in skip:
        one_file(pubflow, cjs, args.out, args.one_runs, baseline)
    if "2" not in skip:
        throughput(pubflow, cjs, ajv, args.out, sizes, args.runs, args.serial, args.json,
                   baseline)
    if "3" not in skip:
        warm_cache(pubflow, args.out, sizes[0], args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
