"""SARIF 2.1.0, so GitHub code scanning (and any SARIF viewer) shows findings on the diff.

Paths are URI references relative to `%SRCROOT%`, which code scanning maps to the checkout;
an absolute path (a file outside the repository) becomes a `file:` URI instead, because a
base would be wrong for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_from_bytes

from pubflow.checks.rules import describe
from pubflow.findings import Finding, ValidationReport, check_group
from pubflow.reporters._common import CHECK_LABELS, json_chunks

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/pubflow/pubflow"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "pubflowFinding/v1"
"""Versioned so that a change in what the hash covers never matches old alerts by accident."""


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    return json_chunks(sarif_log(report, options), expand=6)  # a line per rule and location


def sarif_log(report: ValidationReport, options: ReportOptions) -> dict[str, Any]:
    findings = report.findings
    rule_ids = sorted({finding.rule for finding in findings})
    rule_index = {rule: index for index, rule in enumerate(rule_ids)}
    driver: dict[str, Any] = {"name": "pubflow"}
    if options.tool_version:
        driver["version"] = options.tool_version
    driver["informationUri"] = INFORMATION_URI
    driver["rules"] = [_rule(rule, findings) for rule in rule_ids]
    run: dict[str, Any] = {"tool": {"driver": driver}}
    if options.generated_at:
        # The run finished when the report was made; SARIF has no other timestamp slot.
        run["invocations"] = [{"executionSuccessful": True, "endTimeUtc": options.generated_at}]
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [_result(finding, rule_index[finding.rule]) for finding in findings]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(rule: str, findings: list[Finding]) -> dict[str, Any]:
    """A reporting descriptor: which Beat 7 check the rule belongs to, help from its hint.

    Code scanning shows `shortDescription` as the alert's headline and `tags` as filters.
    """
    group = check_group(rule)
    descriptor: dict[str, Any] = {
        "id": rule,
        "shortDescription": {"text": describe(rule) or f"{CHECK_LABELS[group]} check: {rule}"},
    }
    hint = next((f.hint for f in findings if f.rule == rule and f.hint), "")
    if hint:
        descriptor["help"] = {"text": hint}
    descriptor["properties"] = {"tags": [group]}
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
    if PureWindowsPath(path).is_absolute():
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
