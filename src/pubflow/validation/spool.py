"""A big run's results kept on disk, so memory stays flat however many patterns there are.

Ten thousand `FileResult`s (and the report a reporter builds from them) cost tens of
megabytes; a pre-commit or CI machine should not need more memory for a bigger repository.
Results are appended as `marshal`-ed records in batches to an unlinked temporary file and read
back, batch by batch, each time the report is iterated. Findings added after the checks (the
cross-file ones, ticket locks) are few; they are kept in memory (`extra`) and joined on the
way out.
"""

from __future__ import annotations

import marshal
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import overload

from pubflow.findings import FileResult, Finding, ResultRecord

BATCH = 256
"""Records per marshal call: big enough to be fast, small enough to stay out of the way."""


class ResultSpool(Sequence[FileResult]):
    """An append-only sequence of results in a temporary file (gone when closed or on exit)."""

    def __init__(self) -> None:
        import tempfile  # not on the start-up path: only big runs spool

        self._file = tempfile.TemporaryFile(prefix="pubflow-results-")  # noqa: SIM115
        # It lives as long as the report that reads it, and is closed with it.
        self.close = weakref.finalize(self, self._file.close)
        self._batches: list[tuple[int, int, int]] = []
        """(offset, length, records) of each written batch."""
        self._pending: list[ResultRecord] = []
        self._length = 0
        self.extra: Mapping[str, tuple[Finding, ...]] = {}
        """Findings to join to the files they name on the way out (set once the cross-file
        checks have run)."""

    def append(self, result: FileResult) -> None:
        self._pending.append(result.to_record())
        self._length += 1
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        blob = marshal.dumps(self._pending)
        offset = self._file.seek(0, 2)
        self._file.write(blob)
        self._batches.append((offset, len(blob), len(self._pending)))
        self._pending = []

    def _batch(self, index: int) -> list[ResultRecord]:
        offset, length, _ = self._batches[index]
        self._file.seek(offset)
        records: list[ResultRecord] = marshal.loads(self._file.read(length))
        return records

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[FileResult]:
        self._flush()
        from_record, extra = FileResult.from_record, self.extra
        for index in range(len(self._batches)):
            for record in self._batch(index):
                yield with_extra(from_record(record), extra)

    @overload
    def __getitem__(self, index: int) -> FileResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[FileResult]: ...
    def __getitem__(self, index: int | slice) -> FileResult | Sequence[FileResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("result index out of range")
        self._flush()
        for number, (_, _, count) in enumerate(self._batches):
            if index < count:
                return with_extra(FileResult.from_record(self._batch(number)[index]), self.extra)
            index -= count
        raise IndexError("result index out of range")  # pragma: no cover - counts add up


def with_extra(result: FileResult, extra: Mapping[str, tuple[Finding, ...]]) -> FileResult:
    """`result` with the extra findings that name its file appended."""
    more = extra.get(result.file)
    return replace(result, findings=result.findings + more) if more else result
