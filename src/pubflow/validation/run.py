"""The validation core: files in, a `ValidationReport` out. No printing, no exiting.

Every other part of pubflow (the CLI, tickets, promotion gates, the pre-commit hook and the
GitHub Action) calls `validate()` or `check_document()`; reporters turn the result into text.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pubflow.checks import FOLDER_CHECKS, PATTERN_CHECKS
from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
from pubflow.checks.links import may_hold_link
from pubflow.checks.runindex import RunIndex
from pubflow.checks.scorecard import ScorecardResult, evaluate, read_scores
from pubflow.config import Config
from pubflow.findings import (
    FileResult,
    Finding,
    Issue,
    PatternFacts,
    ResultRecord,
    Severity,
    Tally,
    ValidationReport,
)
from pubflow.storage.discovery import PATTERN_SUFFIX, Target, collect_targets, iter_targets
from pubflow.storage.jsonsource import (
    JsonDocument,
    LoadFailure,
    load_json_file,
    parse_json_bytes,
    too_large,
    use_fast_decoder,
)
from pubflow.validation.spool import ExtraFindings, RecordSpool, ResultSpool, joined

if TYPE_CHECKING:
    from pubflow.validation.result_cache import ResultCache

ProgressCallback = Callable[[int, int], None]
FILES_PER_WORKER = 200
"""Below this many files per extra process, forking costs more than it saves."""
SPOOL_FROM = 1000
"""From this many files on, a run's plan, results, cross-file index and added findings wait
on disk rather than in memory: its memory stays flat at any size."""


class FileStamp(NamedTuple):
    """The checked bytes' sha256, and the file's size and mtime from just before the read."""

    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    """A parsed `validate` invocation: what to check and how."""

    config: Config
    paths: tuple[Path, ...] = ()
    use_cache: bool = True
    jobs: int = 0
    """Worker processes; 0 picks a number from the file count and the CPUs."""
    subset: bool = False
    """The targets are a selection (`--changed`), not everything under `paths`."""
    online: float = 0.0
    """`--online`: fetch every http(s) link, each within this many seconds (0: no network)."""
    shard: Shard | None = None
    """`--shard I/N`: check only the files of slice I; the cross-file rules still span all."""


@dataclass(frozen=True, slots=True)
class Shard:
    """Slice `index` (1-based) of `count`: the files whose path hashes to it (`shard_of`)."""

    index: int
    count: int

    def holds(self, display: str) -> bool:
        return shard_of(display, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(display: str, count: int) -> int:
    """The slice (1-based) of `count` that holds the file `display` (its repo-relative,
    `/`-separated path): a hash of the path alone, so adding files moves only the new ones,
    and every machine and Python agree (no `hash()` salt)."""
    from hashlib import blake2b

    digest = blake2b(display.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def parse_shard(text: str) -> Shard:
    """`I/N` with 1 <= I <= N, as `--shard` takes it; ValueError says what is wrong."""
    index, slash, count = text.strip().partition("/")
    if not slash or not index.strip().isdecimal() or not count.strip().isdecimal():
        raise ValueError(f"--shard takes I/N, two whole numbers such as 2/4, not '{text}'")
    shard = Shard(int(index), int(count))
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise ValueError(f"--shard {text}: I/N needs 1 <= I <= N (slices are numbered from 1)")
    return shard


class RunFingerprint:
    """Counts and digests the targets of a run as they stream past, so the slices of one
    `--shard` run can tell that they belong together (`slice_run_key`)."""

    def __init__(self, targets: Iterable[Target]) -> None:
        from hashlib import blake2b

        self._targets = targets
        self._digest = blake2b(digest_size=16)
        self.files = 0

    def __iter__(self) -> Iterator[Target]:
        update = self._digest.update
        for target in self._targets:
            self.files += 1
            update(target.display.encode("utf-8", "surrogatepass") + b"\0")
            yield target

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def slice_run_key(request: ValidateRequest, fingerprint: RunFingerprint) -> str:
    """What every slice of one sharded run shares: pubflow's version, the schema and the
    checks' configuration, the run's options that change findings, and its files (names)."""
    from hashlib import blake2b

    from pubflow import __version__
    from pubflow.storage.schemas import schema_text

    config = request.config
    parts = (__version__, schema_text("pattern.schema.json"), config.check_fingerprint(),
             f"covers={_covers_patterns_folder(request)}", f"online={bool(request.online)}",
             f"files={fingerprint.files}", fingerprint.hexdigest())
    return blake2b("\0".join(parts).encode(), digest_size=12).hexdigest()


def validate(request: ValidateRequest, progress: ProgressCallback | None = None) -> ValidationReport:
    config = request.config
    paths = request.paths or (config.patterns_path,)
    targets = iter_targets(paths, config.root)
    return validate_targets(targets, request, progress)


def select_targets(request: ValidateRequest,
                   base: str | None = None) -> Iterator[Target] | list[Target]:
    """The files a run reads: everything under its paths (the patterns folder by default; a
    stream, never held whole) or, for a `subset` run (`--changed`), the JSON files within
    them that git reports changed against `base` (default HEAD) or uncommitted (a list)."""
    config = request.config
    scope = request.paths or (config.patterns_path,)
    if not request.subset:
        return iter_targets(scope, config.root)
    from pubflow.storage import git

    files = [p for p in git.changed_files(config.root, base)
             if p.suffix == ".json" and any(_within(p, s) for s in scope)]
    return collect_targets(files, config.root) if files else []


def _within(path: Path, scope: Path) -> bool:
    """`path` (from git) is `scope` (as the user wrote it: `../patterns`, a symlinked folder)
    or lies below it; both are resolved first."""
    path = path.resolve()
    scope = (scope if scope.is_absolute() else Path.cwd() / scope).resolve()
    return path == scope or scope in path.parents


_CHECK, _KNOWN, _ID, _KNOWN_ID = range(4)
"""What a run does with each file of its plan: check it, take its cached result, or (a file of
another `--shard` slice) read its id, or take the id from the cached result."""
PlanItem = tuple[str, str, bool, int, Any]
"""(folder, display, outside the repository, what to do, the cached result or id)."""


def validate_targets(targets: Iterable[Target], request: ValidateRequest,
                     progress: ProgressCallback | None = None) -> ValidationReport:
    """Check `targets` (in display-name order, each once: what `iter_targets` gives).

    In two passes, neither holding the files: the plan (each file, and its cached result)
    and the count of what is left to check; then the checks, in worker processes when there
    are enough, their results in order into the report and the cross-file index, each on
    disk from `SPOOL_FROM` files. Then the folder-wide checks, whose findings join the files
    they name on the way out. A `--shard` run checks its slice and reads only the ids of the
    other files, so its cross-file findings are exactly the whole run's for its files."""
    config = request.config
    cache = _open_cache(config) if request.use_cache else None
    plan, mine, pending = _plan(targets, request.shard, cache)
    results: list[FileResult] | ResultSpool = ResultSpool() if mine >= SPOOL_FROM else []
    index = RunIndex(SPOOL_FROM)
    tally = Tally()
    worked = _work_all(plan, pending, config, request.jobs, digest=cache is not None)
    from_record = FileResult.from_record
    done = 0
    for _folder, display, _outside, kind, payload in plan:
        if kind in (_ID, _KNOWN_ID):
            pattern_id: str | None = next(worked)[1] if kind == _ID else payload
            index.add(RepoEntry(display, pattern_id, ()), mine=False)
            continue
        # Results stay plain records here (as the workers send them and the spool keeps
        # them): a big run makes no objects of them until the report is written.
        if kind == _KNOWN:
            record = payload
        else:
            record, stamp = next(worked)
            assert record is not None
            if cache is not None and stamp is not None:
                cache.store(display, stamp, from_record(record))
        if isinstance(results, ResultSpool):
            results.append_record(record)
        else:
            results.append(from_record(record))
        errors = tally.add_record(record)
        facts = record[2]
        index.add_checked(display, facts[0], facts[3], facts[6],
                          flags=bool(record[1]) | (errors > 0) << 1)
        done += 1
        if progress:
            progress(done, mine)
    if cache is not None:
        cache.save()
    extra = ExtraFindings(0 if index.on_disk else SPOOL_FROM)
    try:
        context = FolderContext(config, index, _covers_patterns_folder(request), request.online)
        _join(folder_findings(context), index, tally, extra)
    finally:
        index.close()
    if isinstance(results, ResultSpool):
        results.extra = extra
        return ValidationReport(results, str(config.root), tally.summary())
    return ValidationReport(tuple(joined(results, extra)), str(config.root), tally.summary())


def _plan(targets: Iterable[Target], shard: Shard | None,
          cache: ResultCache | None) -> tuple[RecordSpool[PlanItem], int, int]:
    """The run's plan (on disk from `SPOOL_FROM` files), its files of this slice, and how
    many files need work (checking, or reading an id)."""
    plan: RecordSpool[PlanItem] = RecordSpool(SPOOL_FROM)
    mine = pending = 0
    last: str | None = None
    payload: Any
    for target in targets:
        display = target.display
        if last is not None and display <= last:
            raise ValueError(f"targets out of order: {display!r} after {last!r}")
        last = display
        known = None if target.outside_repo or cache is None else cache.lookup(display,
                                                                              target.file)
        if shard is None or shard.holds(display):
            mine += 1
            kind, payload = (_CHECK, None) if known is None else (_KNOWN, known.to_record())
        elif known is not None or target.outside_repo:
            kind, payload = _KNOWN_ID, known.facts.id if known is not None else None
        else:
            kind, payload = _ID, None
        pending += kind in (_CHECK, _ID)
        plan.append((target.folder, display, target.outside_repo, kind, payload))
    return plan, mine, pending


def _join(found: Iterator[tuple[str, tuple[Finding, ...]]], index: RunIndex, tally: Tally,
          extra: ExtraFindings) -> None:
    """Count the folder-wide findings into the tally (each file's flags tell whether it
    already had findings or errors) and keep them, in order, for the report."""
    flags: Iterator[tuple[str, int]] | None = None
    current: tuple[str, int] | None = None
    for file, more in found:
        if flags is None:  # read once every check has run (none then changes the index)
            flags = index.flags()
            current = next(flags, None)
        while current is not None and current[0] < file:
            current = next(flags, None)
        if current is None or current[0] != file:
            continue  # not a file of this run: nothing to join it to
        tally.join(more, had_findings=bool(current[1] & 1), had_errors=bool(current[1] & 2))
        extra.append(file, more)


def _open_cache(config: Config) -> ResultCache:
    from pubflow.validation.result_cache import ResultCache, cache_path, verdict_key

    return ResultCache(cache_path(config.root), verdict_key(config))


WorkItem = tuple[str, str, bool, bool]
"""(folder, display, outside the repository, only the id) of a file that needs work."""
Outcome = tuple[ResultRecord | None, Any]
"""A checked file's result (as a record: `FileResult.to_record`) and its stamp (or None), or
(None, its id) for a file of another slice."""


def _work_all(plan: RecordSpool[PlanItem], pending: int, config: Config, jobs: int, *,
              digest: bool) -> Iterator[Outcome]:
    """The outcome of each file of `plan` that needs work, in order: in this process, or in
    worker processes fed a window of batches at a time (the plan is read as they go)."""
    from pubflow.storage.parallel import worker_count

    items = ((folder, display, outside, kind == _ID)
             for folder, display, outside, kind, _ in plan if kind in (_CHECK, _ID))
    workers = worker_count(pending, jobs, FILES_PER_WORKER)
    if pending >= FILES_PER_WORKER:
        use_fast_decoder()  # (before the workers fork: they inherit it)
    if workers <= 1:  # one at a time: progress moves
        return (_as_record(_work(item, config, digest)) for item in items)
    size = max(1, min(FILES_PER_WORKER, pending // (workers * 4) or 1))
    return _in_processes(items, (config, digest), workers, size)


def _in_processes(items: Iterator[WorkItem], shared: tuple[Config, bool], workers: int,
                  size: int) -> Iterator[Outcome]:
    """Outcomes in order from `workers` processes, each with a pipe of its own: batch k goes
    to worker k mod `workers`, each worker keeps `IN_FLIGHT` batches, and results are read
    back in the same order. No helper thread: a pool's result thread left the parent's heap
    growing by a few bytes a file (6 MiB over a million files)."""
    import multiprocessing
    from itertools import islice

    from pubflow.storage.parallel import start_method

    context: Any = multiprocessing.get_context(start_method())
    pipes: list[Any] = []
    processes: list[Any] = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, shared), daemon=True)
            process.start()
            theirs.close()
            pipes.append(ours)
            processes.append(process)
        batches = _batches(items, size)
        sent = received = 0
        for batch in islice(batches, workers * IN_FLIGHT):
            pipes[sent % workers].send(batch)
            sent += 1
        while received < sent:
            pipe = pipes[received % workers]
            try:
                packed = pipe.recv_bytes()
            except EOFError:
                raise RuntimeError("a worker process stopped before it answered") from None
            received += 1
            if packed[:1] == b"!":  # the worker's exception, and its traceback (--debug)
                told = packed[1:].decode().rstrip("\n")
                failure = RuntimeError(f"a worker process failed: {told.rsplit(chr(10), 1)[-1]}")
                failure.add_note(told)
                raise failure
            following = next(batches, None)
            if following is not None:  # to the same worker: sent - received stays a multiple
                pipe.send(following)
                sent += 1
            yield from _unpack(packed)
    finally:
        for pipe in pipes:
            try:
                pipe.send(None)
                pipe.close()
            except OSError:
                pass
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join()


IN_FLIGHT = 2
"""Batches sent ahead to each worker: one to work on, one waiting, few enough to fit the
pipe, so the parent never blocks on a send while a worker blocks on its answer."""


def _batches(items: Iterator[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    batch: list[WorkItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _worker(pipe: Any, shared: tuple[Config, bool]) -> None:
    """A worker process: batches in, packed outcomes out, until told to stop."""
    use_fast_decoder()  # (a spawned worker starts without it)
    try:
        while True:
            batch = pipe.recv()
            if batch is None:
                return
            try:
                packed = _work_batch(batch, shared)
            except Exception:  # a bug: the parent reports it (exit 3), with the traceback
                import traceback

                packed = b"!" + traceback.format_exc().encode("utf-8", "replace")
            pipe.send_bytes(packed)
    except (EOFError, OSError, KeyboardInterrupt):
        return
    finally:
        pipe.close()


def _as_record(outcome: tuple[FileResult | None, Any]) -> Outcome:
    result, other = outcome
    return (None, other) if result is None else (result.to_record(), other)


def _work(item: WorkItem, config: Config, digest: bool) -> tuple[FileResult | None, Any]:
    folder, display, outside, id_only = item
    target = Target(folder, display, outside)
    if id_only:
        return None, read_id(target, config)
    return check_target(target, config, digest=digest)


def _work_batch(items: list[WorkItem], shared: tuple[Config, bool]) -> bytes:
    """A worker's batch, packed as plain values (marshal is many times faster than pickling
    the dataclasses)."""
    import marshal

    config, digest = shared
    packed: list[Any] = []
    for item in items:
        result, other = _work(item, config, digest)
        if result is None:
            packed.append((None, other))
        else:
            packed.append((result.to_record(), tuple(other) if other else None))
    return marshal.dumps(packed)


def _unpack(packed: bytes) -> list[Outcome]:
    import marshal

    return [(None, value) if record is None else (record, FileStamp(*value) if value else None)
            for record, value in marshal.loads(packed)]


def read_id(target: Target, config: Config) -> str | None:
    """The id a check of the file would record (`PatternFacts.id`), from reading and parsing
    it alone: what a `--shard` run needs of the files of other slices."""
    if target.outside_repo:
        return None
    try:
        raw, _, _ = _read_unless_larger(target.file, config.max_file_bytes)
    except OSError:
        return None
    if raw is None:
        return None
    loaded = parse_json_bytes(raw, target.display)
    if isinstance(loaded, LoadFailure) or not isinstance(loaded.data, dict):
        return None
    value = loaded.data.get("id")
    return value if isinstance(value, str) else None


def check_target(target: Target, config: Config, *,
                 digest: bool = True) -> tuple[FileResult, FileStamp | None]:
    """Check one file on its own; returns the result and, when `digest` is on (only the
    cache needs it), the stamp of the bytes checked."""
    if target.outside_repo:
        real = Path(os.path.realpath(target.file)).as_posix()  # `/` on every OS, as reports
        finding = Finding(target.display, 1, 1, "", "file.outside-repo", Severity.ERROR,
                          f"file resolves to {real}, outside the repository; it was not read",
                          "Patterns must live inside the repository; replace the symlink with "
                          "the file itself.")
        return FileResult(target.display, (finding,)), None
    try:
        raw, size, mtime_ns = _read_unless_larger(target.file, config.max_file_bytes)
    except OSError as exc:
        finding = Finding(target.display, 1, 1, "", "file.unreadable", Severity.ERROR,
                          f"cannot read file: {exc.strerror or exc}",
                          "Check that the file exists and that you may read it.")
        return FileResult(target.display, (finding,)), None
    if raw is None:
        return FileResult(target.display, too_large(target.display, size,
                                                    config.max_file_bytes).findings), None
    result = check_bytes(raw, target.display, config, stem=_stem(target.file))
    if not digest:
        return result, None
    return result, FileStamp(hashlib.sha256(raw).hexdigest(), size, mtime_ns)


def _read_unless_larger(file: str, limit: int) -> tuple[bytes | None, int, int]:
    """(bytes, size, mtime): the bytes are None when the file is over `limit` (then nothing
    more is read); size and mtime are taken before the read, as the cache needs them.

    Plain descriptor calls: `open()` builds two file objects per file, which costs more than
    the read itself over thousands of small files.
    """
    fd = os.open(file, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        if st.st_size > limit:
            return None, st.st_size, st.st_mtime_ns
        raw = os.read(fd, st.st_size + 1)  # a regular file reads whole unless it grew meanwhile
        if len(raw) > st.st_size:
            chunks = [raw]
            while chunks[-1] and sum(map(len, chunks)) <= limit:
                chunks.append(os.read(fd, 65536))
            raw = b"".join(chunks)
    finally:
        os.close(fd)
    return (None if len(raw) > limit else raw), len(raw), st.st_mtime_ns


def _stem(file: str) -> str:
    name = os.path.basename(file)
    return name[: -len(PATTERN_SUFFIX)] if name.endswith(PATTERN_SUFFIX) else Path(name).stem


def check_bytes(raw: bytes, display: str, config: Config, *, stem: str) -> FileResult:
    loaded = parse_json_bytes(raw, display)
    if isinstance(loaded, LoadFailure):
        return FileResult(display, loaded.findings)
    return check_document(loaded, config, stem=stem, may_link=may_hold_link(raw))


def check_document(doc: JsonDocument, config: Config, *, stem: str,
                   may_link: bool = True) -> FileResult:
    """Run every registered check on a parsed document and place each finding in the file."""
    data = doc.data
    if not isinstance(data, dict):
        finding = Finding(doc.file, 1, 1, "", "schema.type", Severity.ERROR,
                          f"a pattern must be a JSON object, not {_kind(data)}",
                          "Wrap the pattern's fields in { ... }; one pattern per file.")
        return FileResult(doc.file, (finding,))
    context = CheckContext(config=config, file_stem=stem)
    issues: list[Issue] = []
    for check in PATTERN_CHECKS:
        issues.extend(check(data, context))
    findings = tuple(locate(doc, issue) for issue in issues)
    return FileResult(doc.file, findings, _facts(data, context, may_link))


def locate(doc: JsonDocument, issue: Issue) -> Finding:
    if issue.line_in_string is not None:
        pos = doc.string_line_position(issue.pointer, issue.line_in_string)
    elif issue.at_key:
        pos = doc.key_position(issue.pointer)
    else:
        pos = doc.value_position(issue.pointer)
    return Finding(doc.file, pos.line, pos.column, issue.pointer, issue.rule, issue.severity,
                   issue.message, issue.hint)


def _kind(data: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(data), "a number")


def _facts(data: dict[str, Any], context: CheckContext, may_link: bool) -> PatternFacts:
    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    related = data.get("relatedPatterns")
    related_ids = tuple(r for r in related if isinstance(r, str)) if isinstance(related, list) else ()
    result: ScorecardResult | None = context.derived.get("scorecard")
    if result is None:  # the scorecard check did not run, or found no valid scorecard
        scores = read_scores(data.get("scorecard"))
        result = evaluate(scores, context.config.scorecard) if scores is not None else None
    total = result.total if result else None
    marginal = result.marginal if result else None
    return PatternFacts(text("id"), text("name"), text("version"), related_ids, total,
                        bool(marginal), may_link)


def _covers_patterns_folder(request: ValidateRequest) -> bool:
    """True when this run already reads every file of the patterns folder."""
    if request.subset:
        return False
    folder = request.config.patterns_path.resolve()
    return not request.paths or any(
        (p if p.is_absolute() else Path.cwd() / p).resolve() in (folder, *folder.parents)
        for p in request.paths
    )


def folder_findings(folder: FolderContext) -> Iterator[tuple[str, tuple[Finding, ...]]]:
    """The folder-wide checks' findings (duplicate ids, unresolved links, ticket locks), by
    file in the run's order, each placed in its file (which is read again only for that).

    Each check runs in turn and its (file, issue) pairs, which come in the run's order, wait
    on disk for a big run; then the checks' streams are merged, so a file's findings follow
    the registry's order and each check's own."""
    import heapq
    from itertools import groupby
    from operator import itemgetter

    spill = 0 if isinstance(folder.entries, RunIndex) and folder.entries.on_disk else SPOOL_FROM
    streams = [_kept(check, folder, spill) for check in FOLDER_CHECKS]
    merged = heapq.merge(*streams, key=itemgetter(0)) if len(streams) != 1 else streams[0]
    root = str(folder.config.root)
    for file, group in groupby(merged, key=itemgetter(0)):
        issues = [_issue(record) for _, record in group]
        doc = (_reparse(root, file)
               if any(not issue.whole_file for issue in issues) else None)
        yield file, tuple(
            locate(doc, issue) if doc and not issue.whole_file
            else Finding(file, 1, 1, issue.pointer, issue.rule, issue.severity, issue.message,
                         issue.hint)
            for issue in issues
        )


IssueRecord = tuple[str, str, str, str, str, bool, "int | None", int, bool]


def _kept(check: Any, folder: FolderContext,
          spill: int) -> Iterator[tuple[str, IssueRecord]]:
    """One check's pairs, all of them (in memory, or on disk from `spill`), as records."""
    kept: RecordSpool[tuple[str, IssueRecord]] = RecordSpool(spill)
    last = ""
    for file, issue in check(folder):
        if file < last:
            raise RuntimeError(f"the {check.name} check gave {file} after {last}: a folder "
                               "check must give its findings in the run's order")
        last = file
        line = issue.line_in_string
        kept.append((file, (issue.pointer, issue.rule, issue.message, issue.hint,
                            issue.severity.value, issue.at_key,
                            None if line is None else int(line), getattr(line, "column", 1),
                            issue.whole_file)))
    return iter(kept)


def _issue(record: IssueRecord) -> Issue:
    pointer, rule, message, hint, severity, at_key, line, column, whole_file = record
    from pubflow.storage.jsonsource import LineInString

    return Issue(pointer, rule, message, hint, Severity(severity), at_key,
                 None if line is None else LineInString(line, column), whole_file)


def _reparse(root: str, display: str) -> JsonDocument | None:
    loaded = load_json_file(Path(root, display), display)
    return loaded if isinstance(loaded, JsonDocument) else None
