"""Work spread over forked processes, for jobs of thousands of small files.

Fork (where the platform has it) so workers inherit everything already imported and loaded;
results come back in input order, so callers see the same answer as a serial run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(items: int, jobs: int, per_worker: int) -> int:
    """`jobs` when given (>0); otherwise one process per CPU, but only when each gets at
    least `per_worker` items (below that, forking costs more than it saves)."""
    if jobs > 0:
        return min(jobs, max(1, items))
    return max(1, min(available_cpus(), items // per_worker))


class Transport(NamedTuple):
    """How a batch's results cross from a worker to the parent: `pack` runs in the worker,
    `unpack` in the parent (plain values marshal many times faster than dataclasses pickle)."""

    pack: Callable[[list[Any]], Any]
    unpack: Callable[[Any], list[Any]]


def map_in_batches(func: Callable[[list[Item], Any], list[Result]], items: Sequence[Item],
                   shared: Any, workers: int, max_batch: int,
                   transport: Transport | None = None) -> Iterator[Result]:
    """`func(batch, shared)` over batches of `items`, in `workers` processes; in order."""
    if workers <= 1:
        for item in items:  # one at a time, so a progress bar moves
            yield from func([item], shared)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    size = max(1, min(max_batch, len(items) // (workers * 4) or 1))
    batches = [list(items[i : i + size]) for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        if transport is None:
            for outcomes in pool.map(func, batches, [shared] * len(batches)):
                yield from outcomes
            return
        calls = [(func, transport.pack)] * len(batches)
        for packed in pool.map(_packed, calls, batches, [shared] * len(batches)):
            yield from transport.unpack(packed)


def _packed(call: tuple[Callable[[list[Any], Any], list[Any]], Callable[[list[Any]], Any]],
            batch: list[Any], shared: Any) -> Any:
    func, pack = call
    return pack(func(batch, shared))
