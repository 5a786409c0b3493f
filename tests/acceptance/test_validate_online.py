"""Issue 17, item 5: `validate --online` fetches every http(s) link and image, concurrently,
each within a timeout, against a real loopback HTTP server. 404 is an error, a timeout a
warning; successes are cached, so a second run asks only for what failed."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.acceptance.tickets_support import invoke
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]
HITS: Counter[str] = Counter()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        HITS[f"{self.command} {self.path}"] += 1
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/nohead" and self.command == "HEAD":
            self.send_response(405)
        elif self.path in ("/ok", "/nohead", "/slow"):
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = _answer
    do_HEAD = _answer


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    HITS.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_online_links_are_fetched_and_reported_in_place(repo: Path, write_pattern: WritePattern,
                                                         server: str) -> None:
    hook = (f"See [the guide]({server}/ok) and [the old page]({server}/gone).\n\n"
            f"![chart]({server}/nohead) and [a slow one]({server}/slow).")
    write_pattern(valid_pattern(hookMarkdown=hook))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pattern")
    # offline (the default): no request at all
    assert invoke("validate", "--format", "json")[0] == 0
    assert not HITS
    code, out, err = invoke("validate", "--online", "--online-timeout", "0.5", "--format",
                            "json")
    assert code == 1, out + err
    [result] = json.loads(out)["patterns"]
    found = {f["rule"]: f for f in result["findings"]}
    assert set(found) == {"links.broken", "links.unreachable"}
    broken = found["links.broken"]
    assert broken["severity"] == "error"
    assert broken["message"] == f"link {server}/gone answers HTTP 404 (Not Found)"
    assert broken["line"] > 1 and broken["column"] > 1
    slow = found["links.unreachable"]
    assert slow["severity"] == "warning"
    assert slow["message"] == f"link {server}/slow did not answer within 0.5 s"
    assert HITS["HEAD /nohead"] == 1 and HITS["GET /nohead"] == 1  # HEAD refused, GET fine
    # a second run asks only for what was not fine
    before = HITS.copy()
    assert invoke("validate", "--online", "--online-timeout", "0.5")[0] == 1
    assert HITS["HEAD /ok"] == before["HEAD /ok"]
    assert HITS["HEAD /gone"] == before["HEAD /gone"] + 1
