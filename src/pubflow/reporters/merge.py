"""The slices of a `validate --shard I/N` run, joined into the run's report.

Each slice's JSON report (`--format json`) holds the files of its slice, in the run's order,
and says which slice of which run it is (`shard`: index, count, the run's files, the run's
key). `validate --merge-reports` reads them a pattern at a time, checks that they are all the
slices of one run, each once, and writes the run's report in any format: the same report one
run over every file gives (the JSON one line for line, each pattern's entry as its slice wrote
it; `generatedAt` is the merge's). Nothing of a slice is held whole, so slices of a million
files merge in flat memory.

Any input that cannot be merged is an `InputError` (exit 2) naming the file: not a pubflow
JSON report, a report of a whole run, slices of different runs, a slice given twice or a file
in two slices, a missing slice, or slices that do not add up to their run's files.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, overload

from pubflow.errors import InputError
from pubflow.findings import (
    FileResult,
    Finding,
    PatternFacts,
    Summary,
    Tally,
    ValidationReport,
)
from pubflow.reporters import ReportOptions, stream_report
from pubflow.reporters._common import json_chunks

_PATTERNS_LINE = '  "patterns": ['
_NOT_A_REPORT = "is not a pubflow JSON report (`pubflow validate --format json`)"
_HINT = ("Give the JSON reports of every slice of one run: `pubflow validate --shard I/N "
         "--format json -o slice-I.json`, I = 1..N, on the same files and configuration.")


@dataclass(frozen=True, slots=True)
class _Slice:
    """One slice's report: where it is, its header and shard, and its patterns when the file
    is not laid out as pubflow writes it (then it was read whole)."""

    path: Path
    header: dict[str, Any]
    shard: dict[str, Any]
    whole: list[Any] | None

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def group(self) -> tuple[Any, ...]:
        """What every slice of one run has in common."""
        return (self.shard["count"], self.shard["files"], self.shard["run"],
                self.header["tool"].get("version"))

    def patterns(self) -> Iterator[dict[str, Any]]:
        """The slice's pattern entries, one at a time, in the order it lists them."""
        if self.whole is not None:
            yield from self.whole
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(_PATTERNS_LINE):
                    if line.rstrip() == _PATTERNS_LINE + "]":
                        return
                    break
            for line in handle:
                text = line.strip()
                if text == "]":
                    return
                try:
                    yield json.loads(text[:-1] if text.endswith(",") else text)
                except ValueError:
                    raise InputError(f"{self.name}: a pattern line is not JSON: the report was "
                                     "cut short or edited", hint=_HINT) from None
        raise InputError(f"{self.name}: the report ends inside its patterns: it was cut short",
                         hint=_HINT)


def _read(path: Path) -> _Slice:
    """A slice's header (read up to its patterns) and shard; a file not laid out as pubflow
    writes it is read whole."""
    try:
        with path.open(encoding="utf-8") as handle:
            lines: list[str] = []
            streamed = False
            for line in handle:
                if line.startswith(_PATTERNS_LINE):
                    streamed = bool(lines) and lines[0] == "{\n"
                    break
                lines.append(line)
                if len(lines) > 64:  # not pubflow's layout: read it whole
                    break
        if streamed:
            header = json.loads("".join(lines) + '"patterns": []}')
            whole = None
        else:
            header = json.loads(path.read_text(encoding="utf-8"))
            whole = header.get("patterns") if isinstance(header, dict) else None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint=_HINT) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}", hint=_HINT) from None
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{path} {_NOT_A_REPORT}: it is not JSON", hint=_HINT) from None
    if (not isinstance(header, dict) or header.get("schemaVersion") != 1
            or not isinstance(header.get("tool"), dict)
            or header["tool"].get("name") != "pubflow"
            or not isinstance(header.get("summary"), dict)
            or "patterns" not in header or (whole is None and not streamed)
            or (whole is not None and not isinstance(whole, list))):
        raise InputError(f"{path} {_NOT_A_REPORT}", hint=_HINT)
    shard = header.get("shard")
    if shard is None:
        raise InputError(f"{path} is the report of a whole run, not of a `--shard` slice: "
                         "there is nothing to merge it with", hint=_HINT)
    if (not isinstance(shard, dict) or not all(
            isinstance(shard.get(key), int) and not isinstance(shard.get(key), bool)
            for key in ("index", "count", "files"))
            or not isinstance(shard.get("run"), str)
            or not 1 <= shard["index"] <= shard["count"]):
        raise InputError(f"{path}: its `shard` is not what pubflow writes", hint=_HINT)
    return _Slice(path, header, shard, whole)


def _result(entry: Any, where: str) -> FileResult:
    """A pattern entry of a JSON report as the result it was written from (related ids are
    not in the report; no reporter reads them)."""
    try:
        findings = tuple(Finding.from_dict(f) for f in entry["findings"])
        facts = PatternFacts(entry["id"], entry["name"], entry["version"], (),
                             entry["scoreTotal"], bool(entry["marginal"]))
        return FileResult(entry["file"], findings, facts)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: a pattern entry is not what pubflow writes", hint=_HINT) from None


class Merged:
    """The slices of one run, checked: their run's report in any format (`chunks`)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        if not paths:
            raise InputError("--merge-reports needs the JSON reports of the slices", hint=_HINT)
        self.slices = [_read(path) for path in paths]
        self._check_slices()
        self.summary = self._counted()

    def _check_slices(self) -> None:
        first = self.slices[0]
        by_index: dict[int, _Slice] = {}
        for piece in self.slices:
            if piece.group != first.group:
                raise InputError(
                    f"{first.name} (slice {first.shard['index']}/{first.shard['count']}) and "
                    f"{piece.name} (slice {piece.shard['index']}/{piece.shard['count']}) are "
                    "slices of different runs: their files, configuration, options or pubflow "
                    "version differ", hint=_HINT)
            seen = by_index.setdefault(piece.shard["index"], piece)
            if seen is not piece:
                raise InputError(f"{seen.name} and {piece.name} are both slice "
                                 f"{piece.shard['index']}/{piece.shard['count']}: overlapping "
                                 "slices", hint=_HINT)
        count = first.shard["count"]
        missing = [str(i) for i in range(1, count + 1) if i not in by_index]
        if missing:
            which = ", ".join(f"{i}/{count}" for i in missing)
            raise InputError(f"slice{'s' if len(missing) > 1 else ''} {which} "
                             f"{'are' if len(missing) > 1 else 'is'} missing: merge needs the "
                             f"reports of all {count} slices", hint=_HINT)
        self.slices.sort(key=lambda piece: int(piece.shard["index"]))

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every pattern entry of the run, in the run's order (each slice is in that order;
        a slice out of order, or a file in two slices, is an input error)."""
        streams = [self._ordered(piece) for piece in self.slices]
        last: tuple[str, str] | None = None
        for file, name, entry in heapq.merge(*streams, key=lambda item: item[0]):
            if last is not None and last[0] == file:
                raise InputError(f"{file} is in both {last[1]} and {name}: overlapping slices",
                                 hint=_HINT)
            last = (file, name)
            yield entry

    @staticmethod
    def _ordered(piece: _Slice) -> Iterator[tuple[str, str, dict[str, Any]]]:
        last = None
        for entry in piece.patterns():
            file = entry.get("file") if isinstance(entry, dict) else None
            if not isinstance(file, str):
                raise InputError(f"{piece.name}: a pattern entry is not what pubflow writes",
                                 hint=_HINT)
            if last is not None and file <= last:
                raise InputError(f"{piece.name}: {file} comes after {last}: the patterns are "
                                 "not in the order pubflow writes them", hint=_HINT)
            last = file
            yield file, piece.name, entry

    def results(self) -> Iterator[FileResult]:
        for entry in self.entries():
            yield _result(entry, str(entry.get("file")))

    def _counted(self) -> Summary:
        """One pass over every entry: each checked, the summary counted."""
        tally = Tally()
        files = 0
        for result in self.results():
            files += 1
            tally.add(result)
        expected = self.slices[0].shard["files"]
        if files != expected:
            raise InputError(f"the slices hold {files} files, but their run had {expected}: a "
                             "report was cut short or edited", hint=_HINT)
        return tally.summary()

    def report(self, root: str = ".") -> ValidationReport:
        return ValidationReport(_Results(self), root, self.summary)

    def chunks(self, name: str, options: ReportOptions) -> Iterator[str]:
        """The run's report in format `name`; `tool.version` is the slices' pubflow's."""
        version = self.slices[0].header["tool"].get("version")
        options = replace(options, shard=None,
                          tool_version=version if isinstance(version, str) else "")
        report = self.report()
        if name != "json":
            return stream_report(name, report, options)
        from pubflow.reporters.json_report import report_document

        document = report_document(report, options)
        document["patterns"] = self.entries()  # as the slices wrote them (metadata and all)
        return json_chunks(document, expand=2)


class _Results(Sequence[FileResult]):
    """The merged results, read from the slices again on each pass."""

    def __init__(self, merged: Merged) -> None:
        self._merged = merged

    def __len__(self) -> int:
        return self._merged.summary.files

    def __iter__(self) -> Iterator[FileResult]:
        return self._merged.results()

    @overload
    def __getitem__(self, index: int) -> FileResult: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[FileResult]: ...
    def __getitem__(self, index: int | slice) -> FileResult | Sequence[FileResult]:
        everything = list(self)  # (random access is for tests; reporters iterate)
        return everything[index]
