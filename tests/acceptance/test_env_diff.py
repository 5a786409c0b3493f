"""Issue 18, item 6: `pubflow env diff A B` shows what runs where and exits 1 when the
environments differ."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.acceptance.release_support import PATTERN, approved_repo, new_version, promote
from tests.acceptance.tickets_support import invoke

WritePattern = Callable[..., Path]


def test_env_diff_says_what_differs_and_who_is_behind(repo: Path,
                                                      write_pattern: WritePattern) -> None:
    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging")[0] == 0
    code, out, _err = invoke("env", "diff", "staging", "production", "--format", "json")
    assert code == 1
    data = json.loads(out)
    [entry] = data["patterns"]
    assert (entry["pattern"], entry["status"], entry["b"]) == (PATTERN, "only in A (B behind)",
                                                               None)
    assert entry["a"]["version"] == "1.0.0" and entry["a"]["ticket"] == first
    assert promote(first, "--to", "production")[0] == 0
    code, out, _err = invoke("env", "diff", "staging", "production")
    assert code == 0, out
    assert out.startswith("staging and production run the same 1 pattern(s)")
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    code, out, _err = invoke("env", "diff", "staging", "production", "--format", "json")
    assert code == 1
    [entry] = json.loads(out)["patterns"]
    assert (entry["a"]["version"], entry["b"]["version"], entry["status"]) == (
        "1.1.0", "1.0.0", "B behind")
    code, out, _err = invoke("env", "diff", "production", "staging")
    assert code == 1 and "B ahead" in out
    code, _out, err = invoke("env", "diff", "staging", "nowhere")
    assert code == 2 and "unknown environment 'nowhere'" in err
