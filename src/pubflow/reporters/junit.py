"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines).

Each pattern file is one test case; each error is a `<failure>`, so a file with three errors
shows all three. Counts follow JUnit's meaning: `failures` is the number of test cases (files)
that failed, not the number of `<failure>` elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pubflow.findings import FileResult, Severity, ValidationReport
from pubflow.reporters._common import finding_lines, printable

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

SUITE_NAME = "pubflow validate"
CLASS_NAME = "pubflow"


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    """The whole document in one piece: ElementTree writes a tree, so this format holds one
    element per pattern in memory (JSON, text and Markdown stream instead)."""
    tests = str(len(report.files))
    failures = str(sum(1 for result in report.files if not result.ready_for_review))
    counts = {"tests": tests, "failures": failures, "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": "pubflow", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts})
    if options.generated_at:
        suite.set("timestamp", options.generated_at)
    if options.tool_version:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "pubflow.version",
                                               "value": options.tool_version})
    for result in report.files:
        _add_testcase(suite, result)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    yield '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _add_testcase(suite: ET.Element, result: FileResult) -> None:
    # `printable` everywhere: XML 1.0 cannot hold most control characters even escaped.
    case = ET.SubElement(suite, "testcase", {"classname": CLASS_NAME,
                                             "name": printable(result.file)})
    remarks: list[str] = []
    for finding in result.findings:
        text = "\n".join(finding_lines(finding))
        if finding.severity is Severity.ERROR:
            # ElementTree writes a newline in an attribute as &#10;, so it survives parsing.
            message = printable(finding.message, keep_newlines=True)
            failure = ET.SubElement(case, "failure", {"message": message,
                                                      "type": printable(finding.rule)})
            failure.text = text
        else:
            remarks.append(text)
    if remarks:
        ET.SubElement(case, "system-out").text = "\n".join(remarks)
