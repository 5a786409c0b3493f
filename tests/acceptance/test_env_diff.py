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


def test_named_releases(repo: Path, write_pattern: WritePattern) -> None:
    """Issue 18, item 4: promote --name; the name is in the environment file, the manifest,
    the tag's annotation, status and env diff; rollback --to takes it."""
    from tests.acceptance.release_support import live_in, run_pubflow
    from tests.conftest import git

    first = approved_repo(repo, write_pattern)
    assert promote(first, "--to", "staging", "--name", "Jan2030-Launch")[0] == 0
    assert promote(first, "--to", "production", "--name", "Production-Release-Jan2030")[0] == 0
    second = new_version(repo, write_pattern, "1.1.0")
    assert promote(second, "--to", "staging")[0] == 0
    code, out, err = promote(second, "--to", "production", "--name", "Feb2030")
    assert code == 0, out + err
    assert "is live in production as Feb2030" in out
    live = live_in(repo, "production")
    assert live is not None and live["name"] == "Feb2030"
    manifest = json.loads((repo / ".pubflow" / "releases" / PATTERN / "1.0.0" /
                           "manifest.json").read_text())
    assert manifest["releaseName"] == "Jan2030-Launch"  # built for staging, with its name
    note = git(repo, "tag", "-l", "--format=%(contents)", f"pubflow/production/{PATTERN}/1.1.0")
    assert "Feb2030" in note
    status = json.loads(run_pubflow(repo, "status", "--format", "json").stdout)
    [production] = [e for e in status["environments"] if e["name"] == "production"]
    assert production["patterns"][0]["name"] == "Feb2030"
    code, out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                            "--to", "Production-Release-Jan2030")
    assert code == 0, out + err
    live = live_in(repo, "production")
    assert live is not None and live["version"] == "1.0.0"
    code, _out, err = invoke("--actor", "releng", "rollback", PATTERN, "--env", "production",
                             "--to", "Never-Released")
    assert code == 1 and "no release in production is called that" in err
    assert "Feb2030" in err
    for bad in ("1.2.3", " padded", "two\nlines", "../x", ".hidden"):
        code, _out, err = promote(second, "--to", "production", "--name", bad)
        assert code == 2, (bad, err)
    assert run_pubflow(repo, "verify").returncode == 0
