"""Microsoft's SARIF validator with GitHub's rules (`sarif-multitool validate --rule-kind Gh`)
on what pubflow writes: every kind of report passes, including one that had to leave results
out; and the same tool catches what pubflow wrote before (no `fullDescription`, GH2012).
Skips when the tool is not installed (`.ci/github-tools.sh` installs it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pubflow.findings import FileResult, Finding, Severity, ValidationReport
from pubflow.reporters import REPORTER_BY_NAME, ReportOptions
from pubflow.reporters import sarif as sarif_module
from tests.external_tools import need_sarif_multitool, sarif_gh_problems
from tests.unit.reporters.conftest import OPTIONS, clean_report, sample_report

render = REPORTER_BY_NAME["sarif"]


@pytest.fixture(autouse=True)
def _tool() -> None:
    need_sarif_multitool()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sarif"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("options", [OPTIONS, ReportOptions()])
def test_every_report_passes_githubs_rules(tmp_path: Path, options: ReportOptions) -> None:
    logs = [_write(tmp_path, name, render(report, options))
            for name, report in [("sample", sample_report()), ("clean", clean_report()),
                                 ("empty", ValidationReport(()))]]
    assert sarif_gh_problems(*logs, workdir=tmp_path) == []


def test_a_log_that_left_results_out_passes_githubs_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 3)
    findings = [Finding(f"patterns/p{i}.json", 2, 3, "/id", "repo.duplicate-id", Severity.ERROR,
                        f"id 'x' is also used by 4 other files, first patterns/p{i - 1}.json")
                for i in range(5)]
    text = render(ValidationReport(tuple(FileResult(f.file, (f,)) for f in findings)), OPTIONS)
    assert json.loads(text)["runs"][0]["properties"]["pubflow"]["resultsLeftOut"] == 2
    assert sarif_gh_problems(_write(tmp_path, "capped", text), workdir=tmp_path) == []


def test_the_validator_catches_a_rule_without_full_description(tmp_path: Path) -> None:
    log = json.loads(render(sample_report(), OPTIONS))
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        del rule["fullDescription"]
    problems = sarif_gh_problems(_write(tmp_path, "old", json.dumps(log)), workdir=tmp_path)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert len(problems) == len(rules) and all(p.startswith("GH2012 error") for p in problems)
