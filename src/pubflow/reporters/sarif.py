"""SARIF 2.1.0, so GitHub code scanning (and any SARIF viewer) shows findings on the diff.

Paths are URI references relative to `%SRCROOT%`, which code scanning maps to the checkout;
an absolute path (a file outside the repository) becomes a `file:` URI instead, because a
base would be wrong for it.

The log passes Microsoft's SARIF validator with GitHub's rules (`sarif-multitool validate
--rule-kind Gh`: every rule has a full description and help) and stays within what code
scanning accepts: at most 25 000 results in a run and 10 MB gzipped. Beyond that the least
important results are left out (notes first, then warnings, then errors; within a level the
last files in report order), and the run says so: a tool execution notification and the
run's `properties.pubflow` give how many were left out and where every finding can be read.
"""

from __future__ import annotations

import hashlib
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_from_bytes

from pubflow.checks.rules import describe
from pubflow.findings import Finding, Severity, ValidationReport, check_group
from pubflow.reporters._common import CHECK_LABELS, compact_json, json_chunks

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/pubflow/pubflow"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pubflowFinding/v1"
"""Versioned so that a change in what the hash covers never matches old alerts by accident."""
MAX_RESULTS = 25_000
"""GitHub code scanning rejects a run with more results than this."""
MAX_GZIP_BYTES = 10_000_000
"""...and an upload larger than this once gzipped (10 MB)."""
RESULTS_BUDGET = MAX_GZIP_BYTES - 1_000_000
"""What the results may take, compressed: the rest leaves room for the rules, the run and
what the size estimate misses (each level is measured on its own)."""
RANK_ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE)
FULL_REPORT = ("the output of `pubflow validate --format json` (the GitHub Action prints "
               "them all in its job log)")


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    return json_chunks(sarif_log(report, options), expand=6)  # a line per rule and location


@dataclass(slots=True)
class _Level:
    """One severity's results in report order, measured until nothing more of it could fit."""

    budget: int
    total: int = 0
    sizes: list[int] = field(default_factory=list)
    """Compressed size of the first n results, n = 1, 2, ... (as far as measured)."""
    packer: Any = field(default_factory=lambda: zlib.compressobj(6, zlib.DEFLATED, 31))
    packed: int = 0

    def add(self, finding: Finding) -> None:
        self.total += 1
        if len(self.sizes) < MAX_RESULTS and self.packed <= self.budget:
            line = compact_json(_result(finding, 0)) + ",\n"
            self.packed += len(self.packer.compress(line.encode("utf-8", "surrogatepass")))
            self.sizes.append(self.packed)


@dataclass(frozen=True, slots=True)
class Selection:
    """How many results of each level a log keeps: the first ones in report order."""

    kept: dict[Severity, int]
    totals: dict[Severity, int]

    @property
    def left_out(self) -> int:
        return sum(self.totals.values()) - sum(self.kept.values())


class _Selector:
    """Which results fit GitHub's limits, most important first: errors, warnings, notes.

    Each level's results are compressed in report order as they would be written; the
    compressed sizes of every prefix tell how many of each fit in what the levels before it
    left of the count and the size budget.
    """

    def __init__(self, max_results: int, budget: int) -> None:
        self.max_results, self.budget = max_results, budget
        self.levels = {severity: _Level(budget) for severity in RANK_ORDER}

    def add(self, finding: Finding) -> None:
        self.levels[finding.severity].add(finding)

    def selection(self) -> Selection:
        kept: dict[Severity, int] = {}
        count_left, size_left = self.max_results, self.budget
        for severity in RANK_ORDER:
            sizes = self.levels[severity].sizes
            n = min(bisect_right(sizes, size_left), count_left)
            kept[severity] = n
            count_left -= n
            size_left -= sizes[n - 1] if n else 0
        return Selection(kept, {s: level.total for s, level in self.levels.items()})


def select(findings: Iterable[Finding], *, max_results: int = MAX_RESULTS,
           budget: int = RESULTS_BUDGET) -> Selection:
    """The results a log keeps of `findings` (see `_Selector`)."""
    selector = _Selector(max_results, budget)
    for finding in findings:
        selector.add(finding)
    return selector.selection()


def sarif_log(report: ValidationReport, options: ReportOptions) -> dict[str, Any]:
    rules: dict[str, Finding] = {}  # rule id -> its first finding with a hint, else its first
    selector = _Selector(MAX_RESULTS, RESULTS_BUDGET)
    for finding in _findings(report):  # one pass: a big report is read back from disk
        known = rules.get(finding.rule)
        if known is None or (finding.hint and not known.hint):
            rules[finding.rule] = finding
        selector.add(finding)
    selection = selector.selection()
    rule_ids = sorted(rules)
    rule_index = {rule: index for index, rule in enumerate(rule_ids)}
    driver: dict[str, Any] = {"name": "pubflow"}
    if options.tool_version:
        driver["version"] = options.tool_version
    driver["informationUri"] = INFORMATION_URI
    driver["rules"] = [_rule(rules[rule]) for rule in rule_ids]
    run: dict[str, Any] = {"tool": {"driver": driver}}
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if options.generated_at:
        # The run finished when the report was made; SARIF has no other timestamp slot.
        invocation["endTimeUtc"] = options.generated_at
    if selection.left_out:
        invocation["toolExecutionNotifications"] = [_left_out_notification(selection, options)]
    if len(invocation) > 1:
        run["invocations"] = [invocation]
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = _results(report, selection, rule_index)
    if selection.left_out:
        run["properties"] = {"pubflow": {
            "resultsLeftOut": selection.left_out,
            "resultsTotal": sum(selection.totals.values()),
            "leftOutByLevel": {s.value: selection.totals[s] - selection.kept[s]
                               for s in RANK_ORDER},
            "fullReport": options.full_report or FULL_REPORT}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _findings(report: ValidationReport) -> Iterator[Finding]:
    """Every finding in report order, reading a spooled report once per call."""
    for result in report.files:
        yield from result.findings


def _results(report: ValidationReport, selection: Selection,
             rule_index: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The kept results, as the log is written (a report of any size is never held whole)."""
    room = dict(selection.kept)
    for finding in _findings(report):
        if room.get(finding.severity, 0) > 0:
            room[finding.severity] -= 1
            yield _result(finding, rule_index[finding.rule])


def _left_out_notification(selection: Selection, options: ReportOptions) -> dict[str, Any]:
    total = sum(selection.totals.values())
    levels = ", ".join(f"{selection.totals[s] - selection.kept[s]} {s.value}(s)"
                       for s in RANK_ORDER if selection.totals[s] > selection.kept[s])
    text = (f"{selection.left_out} of {total} results were left out ({levels}) to stay within "
            f"GitHub code scanning's limits ({MAX_RESULTS} results per run, "
            f"{MAX_GZIP_BYTES // 1_000_000} MB gzipped); the least important went first. Every "
            f"finding is in {options.full_report or FULL_REPORT}.")
    return {"level": "warning", "message": {"text": text},
            "descriptor": {"id": "pubflow.results-left-out"}}


def _rule(example: Finding) -> dict[str, Any]:
    """A reporting descriptor: which check the rule belongs to, what it means, how to fix it.

    Code scanning shows `shortDescription` as the alert's headline, `fullDescription` on the
    rule's page, `help` below it and `tags` as filters; GitHub requires all but the tags.
    """
    rule = example.rule
    group = check_group(rule)
    label = CHECK_LABELS[group]
    short = describe(rule) or f"{label} check: {rule}"
    full = (f"{short} Found by pubflow's {group} check (rule {rule}); each result's message "
            "says what is wrong at that place. Only error-level findings keep a pattern from "
            "review.")
    descriptor: dict[str, Any] = {
        "id": rule,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": example.severity.value},
        "help": {"text": example.hint or f"{short} See the result's message for the place."},
        "properties": {"tags": [group]},
    }
    return descriptor


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {"pointer": finding.pointer}
    if finding.hint:
        # The rule's help shows one hint; this finding's own (often more specific) one stays here.
        properties["hint"] = finding.hint
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_location(finding.file),
            "region": {"startLine": max(1, finding.line), "startColumn": max(1, finding.column)},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": properties,
    }


def artifact_location(path: str) -> dict[str, str]:
    """A URI reference for `path` (already in forward-slash form), percent-encoded.

    Everything but unreserved characters and "/" is encoded, so a ":" in the first segment is
    never read as a URI scheme and "#" or "?" never start a fragment or a query.
    """
    if path.startswith("/"):
        return {"uri": "file://" + _quote(path, safe="/")}
    if (path[1:2] == ":" or path.startswith("\\")) and PureWindowsPath(path).is_absolute():
        return {"uri": "file:///" + _quote(path, safe="/:")}
    return {"uri": _quote(path, safe="/"), "uriBaseId": SRCROOT}


def _quote(path: str, *, safe: str) -> str:
    # Undecodable file-name bytes arrive as surrogate escapes; encode them back to the bytes
    # on disk. Any other lone surrogate cannot be a real name, so it must merely not crash.
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe=safe)


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line shifts: the same rule at the same place in the same file."""
    key = "\0".join((finding.rule, finding.file, finding.pointer))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
