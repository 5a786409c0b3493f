"""Work spread over processes comes back in input order and equal to a serial run."""

from __future__ import annotations

import os
from typing import Any

import pytest

from pubflow.storage import parallel
from pubflow.storage.parallel import Transport, available_cpus, map_in_batches, worker_count


def square_batch(batch: list[int], shared: dict[str, int]) -> list[tuple[int, int, int]]:
    """(item, item squared plus the shared offset, the pid that did it)."""
    return [(item, item * item + shared["offset"], os.getpid()) for item in batch]


def pack(outcomes: list[tuple[int, int, int]]) -> bytes:
    return repr(outcomes).encode()


def unpack(packed: bytes) -> list[tuple[int, int, int]]:
    import ast

    result: list[tuple[int, int, int]] = ast.literal_eval(packed.decode())
    return result


def values(outcomes: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    return [(item, value) for item, value, _ in outcomes]


ITEMS = list(range(103))  # several batches and a short last one
EXPECTED = [(i, i * i + 7) for i in ITEMS]


def test_serial_runs_in_this_process_one_item_at_a_time() -> None:
    calls: list[list[int]] = []

    def record(batch: list[int], shared: Any) -> list[int]:
        calls.append(batch)
        return [item * 2 for item in batch]

    assert list(map_in_batches(record, [3, 1, 2], None, 1, 50)) == [6, 2, 4]
    assert calls == [[3], [1], [2]]  # so a progress bar moves
    outcomes = list(map_in_batches(square_batch, ITEMS, {"offset": 7}, 1, 10))
    assert values(outcomes) == EXPECTED
    assert {pid for _, _, pid in outcomes} == {os.getpid()}


@pytest.mark.parametrize("transport", [None, Transport(pack, unpack)])
def test_workers_keep_the_order_and_agree_with_a_serial_run(transport: Transport | None) -> None:
    outcomes = list(map_in_batches(square_batch, ITEMS, {"offset": 7}, 2, 10, transport))
    assert values(outcomes) == EXPECTED
    assert os.getpid() not in {pid for _, _, pid in outcomes}
    serial = list(map_in_batches(square_batch, ITEMS, {"offset": 7}, 1, 10, transport))
    assert values(serial) == values(outcomes)


def test_workers_with_fewer_items_than_batches() -> None:
    assert values(list(map_in_batches(square_batch, [5], {"offset": 0}, 3, 10))) == [(5, 25)]
    assert list(map_in_batches(square_batch, [], {"offset": 0}, 1, 10)) == []


def failing_batch(batch: list[int], shared: Any) -> list[int]:
    if 13 in batch:
        raise ValueError("item 13 is unlucky")
    return batch


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="item 13 is unlucky"):
        list(map_in_batches(failing_batch, ITEMS, None, 2, 10))


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 4)
    assert worker_count(1000, 3, 200) == 3  # asked for
    assert worker_count(2, 8, 200) == 2  # never more processes than items
    assert worker_count(0, 8, 200) == 1
    assert worker_count(399, 0, 200) == 1  # automatic: only when each gets enough
    assert worker_count(400, 0, 200) == 2
    assert worker_count(100_000, 0, 200) == 4  # at most one per CPU
    assert worker_count(0, 0, 200) == 1


def test_available_cpus_is_a_positive_count() -> None:
    cpus = available_cpus()
    assert cpus >= 1
    if hasattr(os, "sched_getaffinity"):
        assert cpus == len(os.sched_getaffinity(0))
