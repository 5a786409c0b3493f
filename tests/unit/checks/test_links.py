"""Links and images in a pattern's Markdown resolve inside the repository, and their anchors
name headings (issue 17, item 5, the offline part): `links.missing` and `links.anchor`, each
at the link's line and column in the JSON file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pubflow.checks import FOLDER_CHECKS
from pubflow.checks.links import (
    SECTION_HEADINGS,
    GitHubSlugger,
    LinkCheck,
    external_links,
    github_slug,
    heading_slugs,
    links_of,
    page_slugs,
)
from pubflow.config import Config
from pubflow.findings import Finding
from pubflow.validation.run import ValidateRequest, validate
from tests.conftest import plain_repository, valid_pattern

PATTERN = "patterns/incident-escalation.json"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = plain_repository(tmp_path, monkeypatch)
    (root / "docs").mkdir()
    (root / "docs" / "oncall.md").write_text(
        "# On-call guide\n\n## Paging policy\n\nText.\n\n## Paging policy\n\n"
        "### Who's on call? (24/7)\n\n<a name=\"legacy-anchor\"></a>\n")
    (root / "patterns" / "img").mkdir()
    (root / "patterns" / "img" / "flow.png").write_bytes(b"\x89PNG")
    return root


def write(root: Path, ensure_ascii: bool = True, indent: int | None = 2,
          **fields: Any) -> str:
    raw = json.dumps(valid_pattern(**fields), indent=indent, ensure_ascii=ensure_ascii)
    (root / PATTERN).write_text(raw, encoding="utf-8")
    return raw


def link_findings(root: Path) -> list[Finding]:
    report = validate(ValidateRequest(Config(root=root), use_cache=False))
    (result,) = report.files
    return [f for f in result.findings if f.rule.startswith("links.")]


def at(raw: str, finding: Finding) -> str:
    return raw.split("\n")[finding.line - 1][finding.column - 1:]


def test_the_check_is_registered_after_the_cross_file_check() -> None:
    assert [c.name for c in FOLDER_CHECKS][:2] == ["cross-file", "links"]
    assert isinstance(FOLDER_CHECKS[1], LinkCheck)


def test_links_that_resolve_pass(repo: Path) -> None:
    write(repo, hookMarkdown=(
        "See the [guide](../docs/oncall.md), [paging](../docs/oncall.md#paging-policy), the "
        "[second one](/docs/oncall.md#paging-policy-1), [who](../docs/oncall.md#whos-on-call-247)"
        ", [old](../docs/oncall.md#legacy-anchor), [folder](../docs/), ![flow](img/flow.png "
        "\"Flow\"), [ref][r], [problem](#2-problem), [web](https://example.org/x#y), "
        "[mail](mailto:a@b.c) and [query](img/flow.png?raw=true).\n\n[r]: <../docs/oncall.md>"))
    assert link_findings(repo) == []


def test_a_missing_file_is_found_at_its_place_in_the_json_file(repo: Path) -> None:
    text = ('The "desk" caf\u00e9 \U0001f600 pages.\n\nThen read\n[the runbook](../docs/'
            'runbook.md) and ![the chart](img/chart.png).')
    for ensure_ascii in (True, False):
        raw = write(repo, ensure_ascii=ensure_ascii, problemMarkdown=text)
        first, second = link_findings(repo)
        assert (first.rule, first.pointer, first.message) == (
            "links.missing", "/problemMarkdown",
            "problemMarkdown: link '../docs/runbook.md' does not resolve: docs/runbook.md "
            "does not exist")
        assert at(raw, first).startswith("../docs/runbook.md)")
        assert second.message == ("problemMarkdown: image 'img/chart.png' does not resolve: "
                                  "patterns/img/chart.png does not exist")
        assert at(raw, second).startswith("img/chart.png)")
        assert first.hint.startswith("Fix the path")


def test_a_reference_link_points_at_its_definition(repo: Path) -> None:
    raw = write(repo, orchestratedMarkdown="Use [the runbook][rb].\n\n[rb]: ../docs/gone.md")
    (finding,) = link_findings(repo)
    assert finding.message.startswith("orchestratedMarkdown: link '../docs/gone.md' does not")
    assert at(raw, finding).startswith('../docs/gone.md"')


def test_a_link_out_of_the_repository_is_a_finding(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# Secret\n")
    (repo / "docs" / "escape.md").symlink_to(tmp_path / "secret.md")
    write(repo, hookMarkdown="[a](../../secret.md) [b](/../secret.md) [c](../docs/escape.md)")
    found = link_findings(repo)
    assert [f.rule for f in found] == ["links.missing"] * 3
    assert [f.message.split("' ", 1)[1] for f in found] == [
        "resolves outside the repository", "resolves outside the repository",
        "resolves outside the repository (through a symlink: docs/escape.md)"]
    assert found[0].hint.startswith("Link only to files in the repository")


def test_anchors_must_name_a_heading_of_the_target(repo: Path) -> None:
    raw = write(repo, implementationChecklist=[
        "Set up paging", "Read [paging](../docs/oncall.md#paging-polcy) first"])
    (finding,) = link_findings(repo)
    assert (finding.rule, finding.pointer) == ("links.anchor", "/implementationChecklist/1")
    assert finding.message == (
        "implementationChecklist[1]: link '../docs/oncall.md#paging-polcy' names no heading "
        "of docs/oncall.md (did you mean '#paging-policy'?)")
    assert at(raw, finding).startswith("../docs/oncall.md#paging-polcy)")


def test_same_page_anchors_name_the_pattern_page_headings(repo: Path) -> None:
    criteria = [{"given": "a P1", "when": "paged", "then": "see [scores](#7-scorecard)"}]
    write(repo, acceptanceCriteria=criteria,
          hookMarkdown="## Why it matters\n\nSee [why](#why-it-matters), [title](#incident-"
                       "escalation-with-clear-ownership) and [the list](#9-implementation-checklist); not [x](#hook).")
    (finding,) = link_findings(repo)
    assert finding.message == ("hookMarkdown: link '#hook' names no heading of this pattern's "
                               "page (did you mean '#1-hook'?)")


def test_the_page_headings_are_the_rendered_pages(repo: Path) -> None:
    from pubflow.release.render import render_page

    data = valid_pattern(relatedPatterns=["other-one"],
                         problemMarkdown="Intro\n\n## Root cause\n\nText\n\nOutcome\n=======")
    page = render_page(data)
    assert page_slugs(data) == set(heading_slugs(page))
    assert [h for h, _ in SECTION_HEADINGS] == [
        line[3:] for line in page.split("\n") if line.startswith("## ")
        and line[3:4].isdigit()]


@pytest.mark.parametrize(("heading", "slug"), [
    ("Paging policy", "paging-policy"),
    ("Who's on call? (24/7)", "whos-on-call-247"),
    ("  API_v2 -- `code` & **bold**", "api_v2----code--bold"),
    ("Caf\u00e9 Stra\u00dfe 100%", "caf\u00e9-stra\u00dfe-100"),
    ("\U0001f600 Emoji", "-emoji"),
])
def test_anchors_are_made_as_github_makes_them(heading: str, slug: str) -> None:
    assert heading_slugs(f"# {heading}\n") == [slug]


def test_repeated_headings_are_numbered() -> None:
    slugger = GitHubSlugger()
    assert [slugger.slug(t) for t in ("A", "A", "A-1", "A")] == ["a", "a-1", "a-1-1", "a-2"]
    assert github_slug("Hello World") == "hello-world"


def test_links_are_placed_where_their_destination_is_written() -> None:
    text = ("# Title\n\n- item with [x](a.md)\n- and ![i](<b c.png>) [y][ref] "
            "<https://e.org/p>\n\n> quoted [z](a.md)\n\n[ref]: d.md")
    assert [(link.href, link.image, link.line, link.column) for link in links_of(text)] == [
        ("a.md", False, 3, 17),
        ("b%20c.png", True, 4, 12),
        ("d.md", False, 8, 8),
        ("https://e.org/p", False, 4, 33),
        ("a.md", False, 6, 14),
    ]


def test_http_links_are_left_for_the_online_check(repo: Path) -> None:
    data = valid_pattern(hookMarkdown="[a](https://example.org/missing) [b](local.md)",
                         brokenSignals=["see <http://example.org/x>"])
    assert [(pointer, link.href) for pointer, link in external_links(data)] == [
        ("/hookMarkdown", "https://example.org/missing"),
        ("/brokenSignals/0", "http://example.org/x")]
    write(repo, hookMarkdown="[a](https://example.org/missing)")
    assert link_findings(repo) == []


def test_patterns_without_links_are_not_even_decoded(repo: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import pubflow.checks.links as links

    write(repo, hookMarkdown="No links [here] at all, not even (this).")

    def refuse(*args: Any) -> Any:
        raise AssertionError("decoded")

    monkeypatch.setattr(links.json, "loads", refuse)
    assert link_findings(repo) == []


def test_fields_whose_links_all_have_a_scheme_are_not_parsed(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pubflow.checks.links as links

    monkeypatch.setattr(links, "links_of", lambda text: pytest.fail("parsed"))
    write(repo, hookMarkdown="[a](https://example.org) and [b]: mailto:x@y.z")
    assert link_findings(repo) == []


def test_unreadable_or_invalid_files_are_left_to_the_other_checks(repo: Path) -> None:
    (repo / PATTERN).write_text('{"hookMarkdown": "[a](missing.md)", ')
    assert link_findings(repo) == []


@pytest.mark.parametrize("hook", ["[a](missing.md)", "[a]\\u0028missing.md)",
                                  "[a\\u005d(missing.md)", "[a][r]\\n\\n[r]\\u003a missing.md"])
def test_links_written_with_escapes_in_the_json_are_found(repo: Path, hook: str) -> None:
    raw = json.dumps(valid_pattern(hookMarkdown="HOOK"), indent=2).replace("HOOK", hook)
    (repo / PATTERN).write_text(raw)
    (finding,) = link_findings(repo)
    assert finding.rule == "links.missing"
    assert at(raw, finding).startswith("missing.md")


@pytest.mark.parametrize("files", [3, 1001], ids=["in-memory-index", "on-disk-index"])
def test_only_files_whose_checked_bytes_may_link_are_read_again(
        repo: Path, monkeypatch: pytest.MonkeyPatch, files: int) -> None:
    """The per-file check records whether a file's bytes may hold a link at all; the folder
    check opens only those again (it used to read every file of the run a second time)."""
    import pubflow.checks.links as links

    for n in range(files - 1):
        pid = f"plain-{n:04d}"
        (repo / "patterns" / f"{pid}.json").write_text(json.dumps(valid_pattern(id=pid)))
    write(repo, hookMarkdown="See [the guide](missing.md).")
    opened: list[str] = []
    real_read = links._read_if_linking

    def counting_read(path: str, limit: int) -> Any:
        opened.append(path)
        return real_read(path, limit)

    monkeypatch.setattr(links, "_read_if_linking", counting_read)
    report = validate(ValidateRequest(Config(root=repo), use_cache=False, jobs=1))
    found = [(f.file, f.rule) for r in report.files for f in r.findings if f.rule.startswith("links.")]
    assert found == [(PATTERN, "links.missing")]
    assert [Path(p).name for p in opened] == ["incident-escalation.json"]

    past = time.time() - 60
    for path in (repo / "patterns").iterdir():
        os.utime(path, (past, past))
    for _ in range(2):  # fills the per-file cache, then takes every result from it
        opened.clear()
        report = validate(ValidateRequest(Config(root=repo), jobs=1))
        assert [Path(p).name for p in opened] == ["incident-escalation.json"]
        assert report.summary.errors == 1
