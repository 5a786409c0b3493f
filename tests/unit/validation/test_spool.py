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
