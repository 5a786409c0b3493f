"""Issue 17, item 1: the review page. `ticket show --format html --output FILE` writes one
self-contained page: sections from Markdown, both diagrams side by side as inline SVG that
pubflow draws, the scorecard, findings, the diff against the live version, section comments
and the history. Opened in headless Chromium with the network cut off when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.acceptance.release_support import PATTERN, approved_repo, promote
from tests.acceptance.tickets_support import in_review, invoke
from tests.conftest import git, valid_pattern

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--proxy-server=127.0.0.1:9"]
WritePattern = Callable[..., Path]


def second_version_in_review(repo: Path, write_pattern: WritePattern) -> tuple[str, Path]:
    """1.0.0 live in production; 1.1.0, with hostile text and a changed hook, in review
    with a section comment."""
    first = approved_repo(repo, write_pattern)
    for env in ("staging", "production"):
        assert promote(first, "--to", env)[0] == 0
    hook = ("A <script>alert(1)</script> page that **matters**.\n\n"
            "![chart](https://example.org/chart.png)")
    write_pattern(valid_pattern(version="1.1.0", hookMarkdown=hook))
    git(repo, "commit", "-q", "-am", "1.1.0")
    ticket_id = in_review()
    code, out, err = invoke("--actor", "rlee", "ticket", "review", ticket_id, "--decision",
                            "request-changes", "--on", "hookMarkdown:major",
                            "Say who is paged <b>first</b>")
    assert code == 0, out + err
    target = repo.parent / "review.html"
    code, out, err = invoke("ticket", "show", ticket_id, "--format", "html", "--output",
                            str(target))
    assert code == 0, out + err
    assert out == f"{target}: the review page of {ticket_id}\n"
    return ticket_id, target


def test_the_review_page_holds_everything_and_fetches_nothing(
        repo: Path, write_pattern: WritePattern) -> None:
    ticket_id, target = second_version_in_review(repo, write_pattern)
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>")
    # self-contained: no script, nothing loaded from anywhere
    assert "<script" not in page and "<img" not in page and "<link" not in page
    assert not re.search(r"\ssrc=", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.org/chart.png">[image: chart]</a>' in page
    # both diagrams side by side, drawn by pubflow as SVG
    pair = re.search(r'<div class="pair">(.*?)</div>', page, re.S)
    assert pair is not None
    svgs = re.findall(r"<svg.*?</svg>", pair.group(1), re.S)
    assert len(svgs) == 2
    for svg in svgs:
        ElementTree.fromstring(svg)  # well-formed
    # the rest of what a reviewer needs
    for anchor in ('id="scorecard"', 'id="findings"', 'id="hookMarkdown"', 'id="diff"',
                   'id="history"', 'id="implementationChecklist"'):
        assert anchor in page
    assert "C1 [major]</span> Say who is paged &lt;b&gt;first&lt;/b&gt;" in page
    assert f"{PATTERN} 1.0.0, live in production" in page
    assert '<span class="add">+A &lt;script&gt;' in page  # the hook changed since 1.0.0
    assert f"{ticket_id}: " in page and "changes_requested" in page


def test_the_review_page_shows_what_readers_said_of_each_version(
        repo: Path, write_pattern: WritePattern) -> None:
    import json

    ticket_id, target = second_version_in_review(repo, write_pattern)
    events = repo.parent / "events.jsonl"
    lines = [{"type": "rating", "pattern": PATTERN, "version": "1.0.0", "visitor": f"v{n}",
              "at": f"2030-01-01T10:0{n}:00Z", "rating": rating, "comment": comment}
             for n, (rating, comment) in enumerate([(4, "Clear"), (2, "<i>Vague</i> step 3")])]
    events.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, err = invoke("ticket", "show", ticket_id, "--format", "html", "--output",
                            str(target), "--events", str(events))
    assert code == 0, out + err
    page = target.read_text()
    assert 'id="ratings"' in page
    assert "<tr><td>1.0.0</td><td>2</td><td>3.00</td>" in page
    assert "&lt;i&gt;Vague&lt;/i&gt; step 3" in page


def test_html_needs_an_output_file(repo: Path, write_pattern: WritePattern) -> None:
    ticket_id = approved_repo(repo, write_pattern)
    code, _out, err = invoke("ticket", "show", ticket_id, "--format", "html")
    assert code == 2 and "--format html needs --output FILE" in err


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_chromium_shows_the_review_page_offline(repo: Path,
                                                write_pattern: WritePattern) -> None:
    _ticket_id, target = second_version_in_review(repo, write_pattern)
    assert CHROMIUM is not None
    dom = subprocess.run([CHROMIUM, *OFFLINE, "--dump-dom", target.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<svg") >= 2
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "Say who is paged" in text and "Changes against the live version" in text
    shot = target.parent / "review.png"
    subprocess.run([CHROMIUM, *OFFLINE, "--window-size=1280,2000",
                    f"--screenshot={shot}", target.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
