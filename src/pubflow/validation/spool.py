"""A big run's records kept on disk, so memory stays flat however many patterns there are.

Ten thousand `FileResult`s (and the report a reporter builds from them) cost tens of
megabytes; a pre-commit or CI machine should not need more memory for a bigger repository.
Records are appended as `marshal`-ed plain values in batches to an unlinked temporary file and
read back, batch by batch, each time they are iterated (`RecordSpool`). A run keeps three
such streams: its plan (each file, and its cached result when there is one), its results
(`ResultSpool`) and the findings the folder-wide checks add afterwards (`ExtraFindings`),
which are joined to the results they name on the way out. Each is written in the run's
order, so joining is a walk along both; none is ever held whole.
"""

from __future__ import annotations

import marshal
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar, overload

from pubflow.findings import FileResult, Finding, FindingRecord, ResultRecord, Severity

BATCH = 256
"""Records per marshal call: big enough to be fast, small enough to stay out of the way."""

Record = TypeVar("Record")


class RecordSpool(Generic[Record]):
    """Plain (`marshal`-able) records, appended in order and read back in order as often as
    asked: in memory up to `spill_from` records, then in a temporary file (gone when closed
    or on exit). Several passes may read it at once: each batch is read at its own offset."""

    def __init__(self, spill_from: int = 0) -> None:
        self._spill_from = spill_from
        self._memory: list[Record] | None = [] if spill_from > 0 else None
        self._file: Any = None
        self._batches: list[tuple[int, int, int]] = []
        """(offset, length, records) of each written batch."""
        self._pending: list[Record] = []
        self._length = 0
        self._closer: weakref.finalize[Any, Any] | None = None

    def _open(self) -> None:
        import tempfile  # not on the start-up path: only big runs spill

        self._file = tempfile.TemporaryFile(prefix="pubflow-run-")  # noqa: SIM115
        # It lives as long as the report that reads it, and is closed with it.
        self._closer = weakref.finalize(self, self._file.close)

    def close(self) -> None:
        """Delete the temporary file now (it goes anyway when the spool does)."""
        if self._closer is not None:
            self._closer()

    def append(self, record: Record) -> None:
        self._length += 1
        if self._memory is not None:
            self._memory.append(record)
            if len(self._memory) < self._spill_from:
                return
            spilled, self._memory = self._memory, None
            for item in spilled:
                self._add(item)
            return
        self._add(record)

    def _add(self, record: Record) -> None:
        self._pending.append(record)
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._open()
        blob = marshal.dumps(self._pending)
        offset = self._file.seek(0, 2)
        self._file.write(blob)
        self._batches.append((offset, len(blob), len(self._pending)))
        self._pending = []

    def _batch(self, index: int) -> list[Record]:
        offset, length, _ = self._batches[index]
        self._file.seek(offset)
        records: list[Record] = marshal.loads(self._file.read(length))
        return records

    @property
    def in_memory(self) -> bool:
        return self._memory is not None

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Record]:
        if self._memory is not None:
            yield from self._memory[:]  # (a copy: appending while reading stays safe)
            return
        self._flush()
        for index in range(len(self._batches)):
            yield from self._batch(index)

    def record(self, index: int) -> Record:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("record index out of range")
        if self._memory is not None:
            return self._memory[index]
        self._flush()
        for number, (_, _, count) in enumerate(self._batches):
            if index < count:
                return self._batch(number)[index]
            index -= count
        raise IndexError("record index out of range")  # pragma: no cover - counts add up


ExtraRecord = tuple[str, tuple[FindingRecord, ...]]


class ExtraFindings:
    """Findings the folder-wide checks add after the per-file ones: (file, findings) in the
    run's order, each file once (on disk for big runs, like the results they join)."""

    def __init__(self, spill_from: int = 0) -> None:
        self._records: RecordSpool[ExtraRecord] = RecordSpool(spill_from)

    def append(self, file: str, findings: tuple[Finding, ...]) -> None:
        self._records.append((file, tuple(f.to_record() for f in findings)))

    def __len__(self) -> int:
        return len(self._records)

    def __bool__(self) -> bool:
        return len(self._records) > 0

    def __iter__(self) -> Iterator[tuple[str, tuple[Finding, ...]]]:
        severity = _SEVERITY
        for file, records in self._records:
            yield file, tuple(Finding(f, line, col, ptr, rule, severity[sev], msg, hint)
                              for f, line, col, ptr, rule, sev, msg, hint in records)

    def get(self, file: str) -> tuple[Finding, ...] | None:
        """The findings of one file (a walk along them: for the rare random access)."""
        for name, findings in self:
            if name == file:
                return findings
        return None


_SEVERITY = {severity.value: severity for severity in Severity}


class ResultSpool(Sequence[FileResult]):
    """An append-only sequence of results in a temporary file (gone when closed or on exit)."""

    def __init__(self) -> None:
        self._records: RecordSpool[ResultRecord] = RecordSpool()
        self.extra: Mapping[str, tuple[Finding, ...]] | ExtraFindings = {}
        """Findings to join to the files they name on the way out (set once the cross-file
        checks have run): a mapping, or `ExtraFindings` in the results' order."""

    def append(self, result: FileResult) -> None:
        self._records.append(result.to_record())

    def append_record(self, record: ResultRecord) -> None:
        """`append` for a result already in its plain form."""
        self._records.append(record)

    def close(self) -> None:
        self._records.close()

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[FileResult]:
        from_record, extra = FileResult.from_record, self.extra
        results = map(from_record, self._records)
        if isinstance(extra, ExtraFindings):
            yield from joined(results, extra)
            return
        for result in results:
            yield with_extra(result, extra)

    @overload
    def __getitem__(self, index: int) -> FileResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[FileResult]: ...
    def __getitem__(self, index: int | slice) -> FileResult | Sequence[FileResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        try:
            result = FileResult.from_record(self._records.record(index))
        except IndexError:
            raise IndexError("result index out of range") from None
        more = self.extra.get(result.file)
        return replace(result, findings=result.findings + more) if more else result


def joined(results: Iterable[FileResult],
           extra: Iterable[tuple[str, tuple[Finding, ...]]]) -> Iterator[FileResult]:
    """`results` with the extra findings of each file appended: both in the run's order."""
    pending = iter(extra)
    upcoming = next(pending, None)
    for result in results:
        if upcoming is not None and upcoming[0] == result.file:
            result = replace(result, findings=result.findings + upcoming[1])
            upcoming = next(pending, None)
        yield result


def with_extra(result: FileResult, extra: Mapping[str, tuple[Finding, ...]]) -> FileResult:
    """`result` with the extra findings that name its file appended."""
    more = extra.get(result.file)
    return replace(result, findings=result.findings + more) if more else result
