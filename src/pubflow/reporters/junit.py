"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines).

Each pattern file is one test case (`file` names it, as GitLab shows); each error is a
`<failure>` whose message starts with `file:line:column`, so a file with three errors shows all
three and where each is. Counts follow JUnit's meaning: `failures` is the number of test cases
(files) that failed, not the number of `<failure>` elements.

The document validates against `junit-10.xsd`, the schema Jenkins' xUnit plugin checks
reports with: `<testsuites>` carries only `name`, `tests`, `failures` and `errors` (that schema
has no `skipped` there); the suite also says `skipped="0"`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pubflow.findings import FileResult, Severity, ValidationReport
from pubflow.reporters._common import finding_lines, location, printable

if TYPE_CHECKING:
    from pubflow.reporters import ReportOptions

SUITE_NAME = "pubflow validate"
CLASS_NAME = "pubflow"


def chunks(report: ValidationReport, options: ReportOptions) -> Iterator[str]:
    """The document in pieces, a test case at a time, so a report of any size is never held
    (ElementTree writes trees: each case is built and written on its own, indented as the
    whole tree would indent it, between the text the tree without cases gives)."""
    tests = str(len(report.files))
    failures = str(sum(1 for result in report.files if not result.ready_for_review))
    counts = {"tests": tests, "failures": failures, "errors": "0"}
    root = ET.Element("testsuites", {"name": "pubflow", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts, "skipped": "0"})
    if options.generated_at:
        suite.set("timestamp", options.generated_at)
    if options.tool_version:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", {"name": "pubflow.version",
                                               "value": options.tool_version})
    results = iter(report.files)
    first = next(results, None)
    if first is not None:
        ET.SubElement(suite, _MARKER)
    ET.indent(root)
    whole = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    if first is None:
        yield whole + "\n"
        return
    before, after = whole.split(f"<{_MARKER} />")
    yield before + _testcase_text(first)
    for result in results:
        yield _BETWEEN + _testcase_text(result)
    yield after + "\n"


_MARKER = "pubflow-testcases"
"""Where the test cases go in the tree written without them."""
_BETWEEN = "\n    "
"""What ElementTree's indent puts between two test cases (children of the suite, level 2)."""


def _testcase_text(result: FileResult) -> str:
    case = _testcase(result)
    ET.indent(case, level=2)
    return ET.tostring(case, encoding="unicode")


def _testcase(result: FileResult) -> ET.Element:
    # `printable` everywhere: XML 1.0 cannot hold most control characters even escaped.
    name = printable(result.file)
    case = ET.Element("testcase", {"classname": CLASS_NAME, "name": name, "file": name})
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if errors:
        case.set("line", str(errors[0].line))  # the first failure's, for "jump to"
    remarks: list[str] = []
    for finding in result.findings:
        text = "\n".join(finding_lines(finding))
        if finding.severity is Severity.ERROR:
            # ElementTree writes a newline in an attribute as &#10;, so it survives parsing.
            message = printable(finding.message, keep_newlines=True)
            failure = ET.SubElement(case, "failure", {"message": f"{location(finding)}: {message}",
                                                      "type": printable(finding.rule)})
            failure.text = text
        else:
            remarks.append(text)
    if remarks:
        ET.SubElement(case, "system-out").text = "\n".join(remarks)
    return case
