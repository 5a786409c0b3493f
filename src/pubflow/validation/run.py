"""The validation core: files in, a `ValidationReport` out. No printing, no exiting.

Every other part of pubflow (the CLI, tickets, promotion gates, the pre-commit hook and the
GitHub Action) calls `validate()` or `check_document()`; reporters turn the result into text.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pubflow.checks import FOLDER_CHECKS, PATTERN_CHECKS
from pubflow.checks.base import CheckContext, FolderContext, RepoEntry
from pubflow.checks.scorecard import ScorecardResult, evaluate, read_scores
from pubflow.config import Config
from pubflow.findings import (
    FileResult,
    Finding,
    Issue,
    PatternFacts,
    Severity,
    Tally,
    ValidationReport,
)
from pubflow.storage.discovery import PATTERN_SUFFIX, Target, collect_targets
from pubflow.storage.jsonsource import (
    JsonDocument,
    LoadFailure,
    load_json_file,
    parse_json_bytes,
    too_large,
)
from pubflow.validation.spool import ResultSpool, with_extra

if TYPE_CHECKING:
    from pubflow.validation.result_cache import ResultCache

ProgressCallback = Callable[[int, int], None]
FILES_PER_WORKER = 200
"""Below this many files per extra process, forking costs more than it saves."""
SPOOL_FROM = 1000
"""From this many files on, results wait in a temporary file rather than in memory."""


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


def validate(request: ValidateRequest, progress: ProgressCallback | None = None) -> ValidationReport:
    config = request.config
    paths = request.paths or (config.patterns_path,)
    targets = collect_targets(paths, config.root)
    return validate_targets(targets, request, progress)


def select_targets(request: ValidateRequest, base: str | None = None) -> list[Target]:
    """The files a run reads: everything under its paths (the patterns folder by default) or,
    for a `subset` run (`--changed`), the JSON files within them that git reports changed
    against `base` (default HEAD) or uncommitted."""
    config = request.config
    scope = request.paths or (config.patterns_path,)
    if not request.subset:
        return collect_targets(scope, config.root)
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


def validate_targets(targets: list[Target], request: ValidateRequest,
                     progress: ProgressCallback | None = None) -> ValidationReport:
    config = request.config
    cache = _open_cache(config) if request.use_cache else None
    known = [None if t.outside_repo else cache.lookup(t.display, t.file)
             for t in targets] if cache else [None] * len(targets)
    pending = [t for t, result in zip(targets, known, strict=True) if result is None]
    checked = _check_all(pending, config, request.jobs, digest=cache is not None)
    results: list[FileResult] | ResultSpool = ResultSpool() if len(targets) >= SPOOL_FROM else []
    entries: list[RepoEntry] = []
    tally = Tally()
    had = bytearray()  # per file: 1 has findings, 2 has errors (to count joined findings)
    for done, (target, result) in enumerate(zip(targets, known, strict=True), 1):
        if result is None:
            result, stamp = next(checked)
            if cache is not None and stamp is not None:
                cache.store(target.display, stamp, result)
        results.append(result)
        errors = tally.add(result)
        had.append(bool(result.findings) | (errors > 0) << 1)
        entries.append(_repo_entry(target.display, result.facts))
        if progress:
            progress(done, len(targets))
    if cache is not None:
        cache.save()
    extra = _folder_findings(FolderContext(config, entries, _covers_patterns_folder(request),
                                           request.online), targets)
    del entries
    for index, target in enumerate(targets) if extra else ():
        more = extra.get(target.display)
        if more:
            tally.join(more, had_findings=bool(had[index] & 1), had_errors=bool(had[index] & 2))
    if isinstance(results, ResultSpool):
        results.extra = extra
        return ValidationReport(results, str(config.root), tally.summary())
    return ValidationReport(tuple(with_extra(r, extra) for r in results), str(config.root),
                            tally.summary())


def _repo_entry(display: str, facts: PatternFacts) -> RepoEntry:
    """What the cross-file checks keep of a file. Ids are interned: most are named again in
    other files' relatedPatterns, and a big run should hold each id once."""
    related = tuple(map(sys.intern, facts.related)) if facts.related else ()
    return RepoEntry(display, sys.intern(facts.id) if facts.id else facts.id, related)


def _open_cache(config: Config) -> ResultCache:
    from pubflow.validation.result_cache import ResultCache, cache_path, verdict_key

    return ResultCache(cache_path(config.root), verdict_key(config))


def _check_all(targets: list[Target], config: Config, jobs: int, *,
               digest: bool) -> Iterator[tuple[FileResult, FileStamp | None]]:
    """(result, stamp) of each target, in order."""
    from pubflow.storage.parallel import Transport, map_in_batches, worker_count

    workers = worker_count(len(targets), jobs, FILES_PER_WORKER)
    return map_in_batches(_check_batch, targets, (config, digest), workers, FILES_PER_WORKER,
                          Transport(_pack, _unpack))


def _check_batch(targets: list[Target],
                 shared: tuple[Config, bool]) -> list[tuple[FileResult, FileStamp | None]]:
    config, digest = shared
    return [check_target(t, config, digest=digest) for t in targets]


def _pack(outcomes: list[tuple[FileResult, FileStamp | None]]) -> bytes:
    import marshal

    return marshal.dumps([(result.to_record(), tuple(stamp) if stamp else None)
                          for result, stamp in outcomes])


def _unpack(packed: bytes) -> list[tuple[FileResult, FileStamp | None]]:
    import marshal

    from_record = FileResult.from_record
    return [(from_record(record), FileStamp(*stamp) if stamp else None)
            for record, stamp in marshal.loads(packed)]


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
    return check_document(loaded, config, stem=stem)


def check_document(doc: JsonDocument, config: Config, *, stem: str) -> FileResult:
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
    return FileResult(doc.file, findings, _facts(data, context))


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


def _facts(data: dict[str, Any], context: CheckContext) -> PatternFacts:
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
                        bool(marginal))


def _covers_patterns_folder(request: ValidateRequest) -> bool:
    """True when this run already reads every file of the patterns folder."""
    if request.subset:
        return False
    folder = request.config.patterns_path.resolve()
    return not request.paths or any(
        (p if p.is_absolute() else Path.cwd() / p).resolve() in (folder, *folder.parents)
        for p in request.paths
    )


def _folder_findings(folder: FolderContext,
                     targets: list[Target]) -> dict[str, tuple[Finding, ...]]:
    """The folder-wide checks' findings (duplicate ids, unresolved links, ticket locks), by
    file, each placed in its file (which is read again only for that)."""
    issues: dict[str, list[Issue]] = {}
    for check in FOLDER_CHECKS:
        for file, issue in check(folder):
            issues.setdefault(file, []).append(issue)
    if not issues:
        return {}
    by_display = {t.display: t for t in targets if t.display in issues}
    located: dict[str, tuple[Finding, ...]] = {}
    for file, file_issues in issues.items():
        doc = (_reparse(by_display[file])
               if any(not issue.whole_file for issue in file_issues) else None)
        located[file] = tuple(
            locate(doc, issue) if doc and not issue.whole_file
            else Finding(file, 1, 1, issue.pointer, issue.rule, issue.severity, issue.message,
                         issue.hint)
            for issue in file_issues
        )
    return located


def _reparse(target: Target) -> JsonDocument | None:
    loaded = load_json_file(target.path, target.display)
    return loaded if isinstance(loaded, JsonDocument) else None
