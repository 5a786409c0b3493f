"""Unique visitors: exact while small, a bounded-memory estimate (HyperLogLog) beyond."""

from __future__ import annotations

import pytest

from pubflow.monitoring.engagement import UniqueCounter


@pytest.mark.parametrize("count", [0, 1, 5, UniqueCounter.EXACT_LIMIT])
def test_exact_while_small(count: int) -> None:
    counter = UniqueCounter()
    for n in range(count):
        counter.add(f"visitor-{n}")
        counter.add(f"visitor-{n}")  # repeats do not count
    assert len(counter) == count


@pytest.mark.parametrize("count", [UniqueCounter.EXACT_LIMIT + 1, 5_000, 100_000])
def test_estimate_within_five_percent(count: int) -> None:
    counter = UniqueCounter()
    for n in range(count):
        counter.add(f"visitor-{n}")
    assert abs(len(counter) - count) <= 0.05 * count
