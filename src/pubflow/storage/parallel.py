"""Work spread over worker processes, for jobs of thousands of small files.

On Linux the workers are forked while pubflow runs a single thread, so they inherit
everything already imported and loaded. Elsewhere (macOS, where fork is unsafe once system
frameworks are loaded, and Windows, which has no fork), or when another thread runs, they are
spawned: a fresh interpreter that imports the worker function by name. So a worker function
must be a module-level function, and what it needs comes in its arguments (pickled), never
from globals the parent set at run time. Results come back in input order, so callers see
the same answer as a serial run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


SPAWN_COST = 10
"""A spawned worker starts a fresh interpreter and imports pubflow (~0.5 s here, against
~10 ms for a fork): automatic worker counts ask that many times more items per worker."""


def worker_count(items: int, jobs: int, per_worker: int) -> int:
    """`jobs` when given (>0); otherwise one process per CPU, but only when each gets at
    least `per_worker` items (below that, forking costs more than it saves; `SPAWN_COST`
    times that where workers are spawned)."""
    if jobs > 0:
        return min(jobs, max(1, items))
    if items < 2 * per_worker:
        return 1  # decided before `start_method` imports multiprocessing: the common case
    if start_method() != "fork":
        per_worker *= SPAWN_COST
    return max(1, min(available_cpus(), items // per_worker))


def start_method() -> str:
    """`fork` on Linux while this process runs one thread (forking a threaded process can
    copy a lock some other thread holds); otherwise the platform's default, `spawn` where
    that is `fork`."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if (sys.platform.startswith("linux") and "fork" in methods and hasattr(os, "fork")
            and threading.active_count() == 1):
        return "fork"
    default = multiprocessing.get_start_method(allow_none=True) or methods[0]
    return "spawn" if default == "fork" else default


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

    context = multiprocessing.get_context(start_method())
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
