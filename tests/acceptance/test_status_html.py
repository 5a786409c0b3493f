"""`pubflow status --format html`: one self-contained page, opened in headless Chromium
(Debian's `chromium`) with the network cut off; the test reads what the browser rendered.
Skipped, saying why, on a machine without Chromium (`.ci/run` installs it when it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.release_support import (
    PATTERN,
    approved_repo,
    new_version,
    promote,
    run_pubflow,
)
from tests.acceptance.tickets_support import invoke

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WritePattern = Callable[..., Path]
OFFLINE = ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
           "--proxy-server=127.0.0.1:9"]


def build_history(repo: Path, write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging", "--notes", "First publication")[0] == 0
    assert promote(first, "--to", "production")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    assert promote(second, "--to", "production")[0] == 0
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                             "--reason", "<b>broken</b> step")
    assert code == 0, err
    third = new_version(repo, write_pattern, "1.2.0")
    assert promote(third, "--to", "staging")[0] == 0
    killed = run_pubflow(repo, "--actor", "releng", "promote", third, "--to", "production",
                         "--canary", "25,100", "--health-cmd", "kill -9 $PPID; sleep 5")
    assert killed.returncode != 0


def test_html_is_self_contained_and_escaped(repo: Path, write_pattern: WritePattern) -> None:
    build_history(repo, write_pattern)
    target = repo.parent / "status.html"
    code, _out, err = invoke("status", "--format", "html", "--output", str(target))
    assert code == 0, err
    page = target.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
    assert "&lt;b&gt;broken&lt;/b&gt; step" in page and "<b>broken</b>" not in page
    code, _out, err = invoke("status", "--output", str(target))
    assert code == 2 and "--output needs --format json or html" in err


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_chromium_shows_the_dashboard(repo: Path, write_pattern: WritePattern) -> None:
    build_history(repo, write_pattern)
    target = repo.parent / "status.html"
    assert invoke("status", "--format", "html", "--output", str(target))[0] == 0
    assert CHROMIUM is not None
    dom = subprocess.run([CHROMIUM, *OFFLINE, "--dump-dom", target.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "production: 1 pattern(s)" in text and "staging: 1 pattern(s)" in text
    assert re.search(r"1\.2\.0 at 25%\s+\(stable\s+1\.0\.0\)", text)
    assert "First publication" in text
    assert "Publications and rollbacks" in dom and dom.count('fill="#cf222e"') >= 2
    assert "rollback" in text and "broken" in text
    shot = repo.parent / "status.png"
    subprocess.run([CHROMIUM, *OFFLINE, "--hide-scrollbars", "--window-size=1200,1400",
                    f"--screenshot={shot}", target.as_uri()], capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
