"""The registry `--format` chooses from, and the rules every reporter keeps."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import pubflow.reporters
from pubflow.config import Config
from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.storage.schemas import load_schema
from pubflow.validation.run import check_bytes
from tests.conftest import valid_pattern
from tests.unit.reporters.conftest import OPTIONS

REPORTERS_DIR = Path(pubflow.reporters.__file__).parent
ALLOWED_PUBFLOW_IMPORTS = {"pubflow.findings", "pubflow.reporters", "pubflow.reporters._common",
                           "pubflow.checks.scorecard", "pubflow.checks.rules",
                           "pubflow.checks.metadata",
                           "pubflow.reporters.github",
                           # merge.py: the error it raises, the JSON layout it writes again
                           "pubflow.errors", "pubflow.reporters.json_report"}
ALL_OPTIONS = [
    ReportOptions(),
    OPTIONS,
    ReportOptions(color=True, verbose=True, tool_version="1.2.3"),
    ReportOptions(quiet=True),
]


def test_format_names() -> None:
    assert list(REPORTER_BY_NAME) == ["text", "json", "markdown", "sarif", "github", "junit"]


def test_options_are_frozen() -> None:
    options = ReportOptions()
    with pytest.raises(AttributeError):
        options.color = True  # type: ignore[misc]


@pytest.mark.parametrize("name", list(REPORTER_BY_NAME))
def test_output_is_a_string_ending_in_a_newline_and_nothing_is_printed(
        name: str, report: ValidationReport, capsys: pytest.CaptureFixture[str]) -> None:
    for options in ALL_OPTIONS:
        output = REPORTER_BY_NAME[name](report, options)
        assert isinstance(output, str) and output.endswith("\n")
        output.encode("utf-8")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("name", list(REPORTER_BY_NAME))
def test_only_the_text_format_ever_colours(name: str, report: ValidationReport) -> None:
    coloured = REPORTER_BY_NAME[name](report, ReportOptions(color=True))
    assert ("\x1b" in coloured) is (name == "text")


@pytest.mark.parametrize("name", list(REPORTER_BY_NAME))
def test_every_format_survives_unencodable_text(name: str) -> None:
    finding = Finding("p\udcff.json", 1, 1, "/\ud800", "schema.unknown-field", Severity.ERROR,
                      "unknown field '\ud800'\x00", "hint \udfff")
    report = ValidationReport((FileResult(finding.file, (finding,)),))
    REPORTER_BY_NAME[name](report, OPTIONS).encode("utf-8")


@pytest.mark.parametrize("module", sorted(REPORTERS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_reporters_import_only_the_standard_library(module: Path) -> None:
    """The pre-commit hook renders on every commit: no rich, no jsonschema, nothing heavy."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {name for name in imported
               if name.split(".")[0] not in sys.stdlib_module_names
               and name not in ALLOWED_PUBFLOW_IMPORTS}
    assert outside == set()


def test_text_output_loads_no_other_format_and_no_rich() -> None:
    code = (
        "import sys\n"
        "from pubflow.findings import ValidationReport\n"
        "from pubflow.reporters import REPORTER_BY_NAME, ReportOptions\n"
        "REPORTER_BY_NAME['text'](ValidationReport(()), ReportOptions())\n"
        "heavy = ('rich', 'xml.etree.ElementTree', 'pubflow.reporters.junit',\n"
        "         'pubflow.reporters.sarif', 'pubflow.reporters.markdown')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_findings_from_the_real_checks_fit_every_format(tmp_path: Path) -> None:
    """The reporters' contracts hold for what the checks really produce, not just our samples."""
    pytest.importorskip("pubflow.diagrams.mermaid", reason="the diagram parser is not in the tree yet")
    config = Config(root=tmp_path)
    weak = valid_pattern(scorecard={
        "ownership": 2, "timeSla": 3, "capacity": 3, "visibility": 3, "customerLoop": 4,
        "escalation": 4, "handoffs": 4, "documentation": 4}, extra="field")
    marginal = valid_pattern(id="marginal-one", scorecard={
        "ownership": 4, "timeSla": 4, "capacity": 4, "visibility": 4, "customerLoop": 4,
        "escalation": 4, "handoffs": 4, "documentation": 3})
    report = ValidationReport((
        check_bytes(json.dumps(weak, indent=2).encode(), "patterns/incident-escalation.json",
                    config, stem="incident-escalation"),
        check_bytes(json.dumps(marginal, indent=2).encode(), "patterns/marginal-one.json",
                    config, stem="marginal-one"),
        check_bytes(b'{\n  "id": "x",\n  oops\n}\n', "patterns/x.json", config, stem="x"),
    ))
    assert {f.rule for f in report.findings} >= {
        "scorecard.dimension-min", "scorecard.marginal", "json.syntax"}
    data = json.loads(REPORTER_BY_NAME["json"](report, OPTIONS))
    jsonschema.Draft7Validator(load_schema("validate-report.schema.json")).validate(data)
    assert data["summary"]["marginal"] == 1
    sarif_schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                              .read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(sarif_schema).validate(
        json.loads(REPORTER_BY_NAME["sarif"](report, OPTIONS)))
    text = REPORTER_BY_NAME["text"](report, ReportOptions())
    assert "patterns/x.json:3:3: error[json.syntax]" in text
