"""Throughput and scaling of ``pubflow.diagrams.mermaid.parse_sequence_diagram`` on one core.

    PYTHONPATH=src python bench/bench_mermaid.py            # full run
    PYTHONPATH=src python bench/bench_mermaid.py --quick    # fewer repeats, smaller inputs

Prints diagrams/s and diagram lines/s over the oracle-labelled corpora in
``tests/data/mermaid``, the time for pubflow's worst realistic load (10 000 patterns
with 2 diagrams each), and the time per size of pathological inputs at 1x, 2x and 4x:
time that doubles with the size is linear.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path

from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram

DATA_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "mermaid"
CORPUS_FILES = ["corpus.json", "corpus_seed777.json", "handmade.json", "surprises.json"]


def parse_all(diagrams: list[str]) -> int:
    accepted = 0
    for text in diagrams:
        with contextlib.suppress(MermaidError):
            parse_sequence_diagram(text)
            accepted += 1
    return accepted


def best_time(action: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def line_count(diagrams: list[str]) -> int:
    return sum(text.count("\n") + (not text.endswith("\n")) for text in diagrams)


def throughput(repeat: int) -> None:
    diagrams: list[str] = []
    for name in CORPUS_FILES:
        diagrams += json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    expected = json.loads((DATA_DIR / "expected.json").read_text(encoding="utf-8"))
    shared = json.loads((DATA_DIR / "corpus.json").read_text(encoding="utf-8"))
    typical = [text for text, record in zip(shared, expected, strict=True) if record["ok"]]
    print(f"throughput (best of {repeat}, one core)")
    for label, subset in [
        ("all corpora", diagrams),
        ("accepted diagrams of the shared corpus", typical),
    ]:
        seconds = best_time(lambda subset=subset: parse_all(subset), repeat)  # type: ignore[misc]
        lines = line_count(subset)
        print(
            f"  {label:42s} {len(subset):6d} diagrams {lines:7d} lines  "
            f"{len(subset) / seconds:9.0f} diagrams/s  {lines / seconds:9.0f} lines/s"
        )
    # pubflow validates up to 10 000 patterns with two diagrams each; diagrams that
    # pass review stay within the budget (at most 18 steps and 7 actors).
    within_budget = [
        text
        for text, record in zip(shared, expected, strict=True)
        if record["ok"] and record["messages"] <= 18 and record["actors"] <= 7
    ]
    for label, pool in [("corpus diagrams", typical), ("diagrams within budget", within_budget)]:
        workload = (pool * (20_000 // len(pool) + 1))[:20_000]
        lines = line_count(workload)
        seconds = best_time(lambda workload=workload: parse_all(workload), max(1, repeat // 2))  # type: ignore[misc]
        print(
            f"  10 000 patterns x 2 {label:24s} ({lines / 20_000:4.1f} lines each): {seconds:.2f} s"
        )


def scaling(scale: float) -> None:
    print("scaling: seconds at 1x, 2x, 4x (linear time doubles with size)")
    unit_line = int(250_000 * scale)
    cases: dict[str, Callable[[int], str]] = {
        "nesting depth 5000 x": lambda n: (
            "sequenceDiagram\n"
            + "alt a\nloop l\n" * (2500 * n)
            + "A->>B: x\n"
            + "end\n" * (5000 * n)
        ),
        "diagram of 10 000 lines x": lambda n: (
            "sequenceDiagram\n"
            + "".join(
                f"P{i % 7}->>P{(i + 1) % 7}: step {i}\n" if i % 40 else "alt x\nA->>B: y\nend\n"
                for i in range(10_000 * n)
            )
        ),
        f"single line of {unit_line // 1000} k chars x": lambda n: (
            "sequenceDiagram\nA->>B: " + "x" * (unit_line * n) + "\n"
        ),
        f"name of {unit_line // 1000} k chars x": lambda n: (
            "sequenceDiagram\n" + "a-b " * (unit_line * n // 4) + "->>B: x\n"
        ),
        f"{unit_line // 1000} k ';' x": lambda n: (
            "sequenceDiagram\n" + ";" * (unit_line * n) + "\n"
        ),
        f"{unit_line // 10_000} k comment lines x": lambda n: (
            "sequenceDiagram\n" + "%% comment\nA->>B: x\n" * (unit_line * n // 20)
        ),
        f"declaration padded by {unit_line // 1000} k spaces x": lambda n: (
            "sequenceDiagram\nparticipant A" + " " * (unit_line * n) + "@\n"
        ),
    }
    for label, build in cases.items():
        times = []
        for factor in (1, 2, 4):
            text = build(factor)
            times.append(best_time(lambda text=text: parse_all([text]), 3))  # type: ignore[misc]
        ratios = f"{times[1] / times[0]:.1f}x, {times[2] / times[0]:.1f}x"
        print(
            f"  {label:40s} 1x {times[0]:7.3f} s   2x {times[1]:7.3f} s   "
            f"4x {times[2]:7.3f} s   ({ratios})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller inputs")
    arguments = parser.parse_args()
    throughput(repeat=3 if arguments.quick else 7)
    scaling(scale=0.25 if arguments.quick else 1.0)


if __name__ == "__main__":
    main()
