"""Parallel work under the `spawn` start method (macOS's and Windows' default): the workers
import what they run by name and get everything in their arguments, so a spawned run gives
what a serial run gives (issue 16, item 2)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from pubflow.config import load_config
from pubflow.findings import ValidationReport
from pubflow.storage import parallel
from pubflow.storage.parallel import SPAWN_COST, map_in_batches, start_method, worker_count
from pubflow.validation.run import ValidateRequest, validate
from tests.conftest import PROJECT


def _square_all(batch: list[int], offset: int) -> list[int]:
    return [n * n + offset for n in batch]


def test_spawned_workers_return_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    items = list(range(500))
    assert list(map_in_batches(_square_all, items, 7, 2, 16)) == [n * n + 7 for n in items]


def _rows(report: ValidationReport) -> list[tuple[object, ...]]:
    return [(r.file, tuple(f.to_record() for f in r.findings), r.facts) for r in report.files]


def test_validation_with_spawned_workers_equals_the_serial_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real corpus: 300 generated patterns (a quarter with one defect each) and every file
    of examples/invalid/."""
    monkeypatch.syspath_prepend(str(PROJECT / "bench"))
    from gen_patterns import generate

    generate(tmp_path, 300, invalid_ratio=0.25, seed=11)
    for example in sorted((PROJECT / "examples" / "invalid").glob("*.json")):
        (tmp_path / "patterns" / f"zz-{example.name}").write_bytes(example.read_bytes())
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path)
    serial = validate(ValidateRequest(config, use_cache=False, jobs=1))
    used: list[str] = []
    monkeypatch.setattr(parallel, "start_method", lambda: used.append("spawn") or "spawn")
    spawned = validate(ValidateRequest(config, use_cache=False, jobs=2))
    assert used == ["spawn"]
    assert _rows(spawned) == _rows(serial)
    assert spawned.summary == serial.summary
    assert serial.summary.errors > 75


def test_fork_only_on_linux_with_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the default start method of this OS is checked by the CI matrix")
    assert start_method() == "fork"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method() == "spawn"  # forking a threaded process is not safe
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert start_method() == "spawn"  # macOS: not fork, whatever multiprocessing offers
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delattr("os.fork")
    assert start_method() == "spawn"


def test_spawned_workers_must_each_have_more_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 8)
    monkeypatch.setattr(parallel, "start_method", lambda: "fork")
    assert worker_count(1000, 0, 200) == 5
    assert worker_count(399, 0, 200) == 1
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    assert worker_count(1000, 0, 200) == 1
    assert worker_count(200 * SPAWN_COST * 3, 0, 200) == 3
    assert worker_count(1000, 4, 200) == 4  # --jobs is taken as given


def test_few_items_decide_without_loading_multiprocessing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> str:
        raise AssertionError("start_method asked for a one-file run")

    monkeypatch.setattr(parallel, "start_method", refuse)
    assert worker_count(1, 0, 200) == 1
