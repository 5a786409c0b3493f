"""The on-disk result spool gives back exactly what went in, in order, as often as asked."""

from __future__ import annotations

import pytest

from pubflow.findings import FileResult, Finding, PatternFacts, Severity
from pubflow.validation import spool
from pubflow.validation.spool import ResultSpool


def result(index: int) -> FileResult:
    findings = () if index % 3 else (
        Finding(f"patterns/p{index}.json", index + 1, 2, "/version", "schema.pattern",
                Severity.ERROR, "'x' is not a semantic version \ud800", "Write 1.2.0."),
        Finding(f"patterns/p{index}.json", 1, 1, "", "scorecard.marginal", Severity.WARNING,
                "marginal", ""),
    )
    facts = PatternFacts(f"p{index}", f"Pattern {index}" if index % 2 else None, "1.0.0",
                         (f"p{index + 1}",), 31 if index % 2 else None, bool(index % 2))
    return FileResult(f"patterns/p{index}.json", findings, facts)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "BATCH", 4)  # several batches plus a partial one


@pytest.mark.usefixtures("small_batches")
def test_results_come_back_equal_in_order_every_pass() -> None:
    expected = [result(i) for i in range(11)]
    store = ResultSpool()
    for item in expected:
        store.append(item)
    assert len(store) == 11
    assert list(store) == expected
    assert list(store) == expected  # a second pass reads the file again
    assert store[0] == expected[0] and store[5] == expected[5] and store[-1] == expected[-1]
    assert list(store[3:6]) == expected[3:6]
    with pytest.raises(IndexError):
        store[11]
    store.close()


@pytest.mark.usefixtures("small_batches")
def test_appending_after_reading_keeps_everything() -> None:
    store = ResultSpool()
    store.append(result(0))
    assert list(store) == [result(0)]
    for index in range(1, 6):
        store.append(result(index))
    assert list(store) == [result(i) for i in range(6)]


def test_extra_findings_join_the_files_they_name() -> None:
    store = ResultSpool()
    store.append(result(1))
    store.append(result(2))
    extra_finding = Finding("patterns/p2.json", 3, 4, "/id", "repo.duplicate-id",
                            Severity.ERROR, "duplicate", "rename")
    store.extra = {"patterns/p2.json": (extra_finding,)}
    assert list(store) == [result(1), store[1]]
    assert store[1].findings == (*result(2).findings, extra_finding)
    assert len(store) == 2


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("spill_from", [0, 3, 100])
def test_a_record_spool_moves_to_disk_at_its_threshold_and_reads_back_in_order(
        spill_from: int) -> None:
    records = spool.RecordSpool[tuple[int, str]](spill_from)
    for index in range(10):
        records.append((index, f"r{index}\udc80"))
    assert records.in_memory == (spill_from > 10)
    assert len(records) == 10
    first = iter(records)
    assert next(first) == (0, "r0\udc80")
    assert list(records) == [(i, f"r{i}\udc80") for i in range(10)]  # two passes at once
    assert list(first) == [(i, f"r{i}\udc80") for i in range(1, 10)]
    assert records.record(7) == (7, "r7\udc80") and records.record(-1) == (9, "r9\udc80")
    with pytest.raises(IndexError):
        records.record(10)
    records.close()


@pytest.mark.usefixtures("small_batches")
def test_extra_findings_in_order_join_the_results_they_name() -> None:
    """A big run keeps the folder-wide findings on disk in the run's order; they join the
    results on every pass, and a random read finds them too."""
    store = ResultSpool()
    for index in range(9):
        store.append(result(index))
    extra = spool.ExtraFindings()
    added = {index: (Finding(f"patterns/p{index}.json", 2, 3, "/id", "repo.duplicate-id",
                             Severity.ERROR, f"dup {index}", "rename"),)
             for index in (0, 4, 5, 8)}
    for index, findings in added.items():
        extra.append(f"patterns/p{index}.json", findings)
    store.extra = extra
    expected = [FileResult(r.file, r.findings + added.get(i, ()), r.facts)
                for i, r in enumerate(result(i) for i in range(9))]
    assert list(store) == expected
    assert list(store) == expected
    assert store[4] == expected[4] and store[3] == expected[3]
    assert extra.get("patterns/p5.json") == added[5] and extra.get("patterns/p6.json") is None
