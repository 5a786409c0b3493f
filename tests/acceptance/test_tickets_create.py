"""`pubflow ticket create|show|list|history` on real temporary git repositories."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.acceptance.tickets_support import create, invoke, setup_repo, ticket_json
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def test_create_validates_pins_and_commits(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 0, err
    ticket_id = out.splitlines()[-1]
    assert re.fullmatch(r"PUB-\d{4}-001", ticket_id)
    data = ticket_json(ticket_id)
    assert data["state"] == "ready_for_review"
    digest = hashlib.sha256((repo / "patterns/incident-escalation.json").read_bytes()).hexdigest()
    assert data["pattern"] == {"id": "incident-escalation",
                               "path": "patterns/incident-escalation.json",
                               "version": "1.0.0", "digest": digest}
    assert [e["to"] for e in data["history"]] == ["submission_received", "ready_for_review"]
    assert data["history"][0]["actor"] == "jdoe"
    assert data["history"][0]["at"].endswith("Z")
    log = git(repo, "log", "--format=%s").splitlines()
    assert log[0] == f"{ticket_id}: ready_for_review (validated incident-escalation 1.0.0)"
    assert log[1] == f"{ticket_id}: submission_received (incident-escalation 1.0.0 by jdoe)"
    assert git(repo, "status", "--porcelain") == ""
    text = (repo / ".pubflow/tickets" / f"{ticket_id}.yaml").read_text()
    assert text.startswith("apiVersion: pubflow.dev/v1\nkind: PublicationTicket\n")


def test_create_by_path_and_ids_increase(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    write_pattern(valid_pattern(id="second-pattern"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second pattern")
    first = create("incident-escalation")
    second = create("patterns/second-pattern.json")
    assert first.rsplit("-", 1)[0] == second.rsplit("-", 1)[0]
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_invalid_pattern_fails_validation(repo: Path, write_pattern: WritePattern) -> None:
    bad = valid_pattern()
    bad["scorecard"]["handoffs"] = 2
    setup_repo(repo, write_pattern, (bad,))
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 1, err
    assert "error[scorecard.dimension-min] scorecard: dimension 'handoffs' scores 2/5" in out
    ticket_id = out.splitlines()[-1]
    data = ticket_json(ticket_id)
    assert data["state"] == "validation_failed"
    assert any(f["rule"] == "scorecard.dimension-min" for f in data["findings"])
    assert git(repo, "log", "-1", "--format=%s").startswith(f"{ticket_id}: validation_failed")


def test_marginal_score_is_high_priority(repo: Path, write_pattern: WritePattern) -> None:
    marginal = valid_pattern(scorecard={
        "ownership": 4, "timeSla": 4, "capacity": 4, "visibility": 4,
        "customerLoop": 4, "escalation": 4, "handoffs": 4, "documentation": 3})
    setup_repo(repo, write_pattern, (marginal,))
    assert ticket_json(create())["priority"] == "high"


def test_second_open_ticket_is_refused(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 1
    assert f"ticket {ticket_id} for this pattern is still open (ready_for_review)" in err


def test_missing_and_outside_patterns(repo: Path, write_pattern: WritePattern,
                                      tmp_path: Path) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "nope")
    assert code == 2
    assert "nope: no such pattern file (patterns/nope.json)" in err
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(valid_pattern()))
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", str(outside))
    assert code == 2
    assert "the pattern file is outside the repository" in err
    (repo / "patterns" / "link.json").symlink_to(outside)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "patterns/link.json")
    assert code == 2
    assert "outside the repository" in err
    assert not (repo / ".pubflow" / "tickets").exists() or not list(
        (repo / ".pubflow" / "tickets").iterdir())


def test_actor_defaults_to_git_email(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    git(repo, "config", "user.email", "jane.doe@example.org")
    code, out, err = invoke("ticket", "create", "incident-escalation")
    assert code == 0, err
    assert ticket_json(out.splitlines()[-1])["history"][0]["actor"] == "jane.doe@example.org"


def test_env_actor(repo: Path, write_pattern: WritePattern,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    setup_repo(repo, write_pattern)
    monkeypatch.setenv("PUBFLOW_ACTOR", "jane.doe@example.org")  # the pattern's author
    code, out, err = invoke("ticket", "create", "incident-escalation")
    assert code == 0, err
    assert ticket_json(out.splitlines()[-1])["history"][0]["actor"] == "jane.doe@example.org"


def test_show_list_history_text_and_json(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    code, out, _ = invoke("ticket", "show", ticket_id)
    assert code == 0
    assert "ready_for_review" in out and "patterns/incident-escalation.json" in out
    assert "\x1b[" not in out
    code, out, _ = invoke("ticket", "list", "--format", "json")
    assert [t["id"] for t in json.loads(out)["tickets"]] == [ticket_id]
    code, out, _ = invoke("ticket", "list", "--state", "in_review", "--format", "json")
    assert json.loads(out)["tickets"] == []
    code, out, _ = invoke("ticket", "list")
    assert ticket_id in out
    code, out, _ = invoke("ticket", "history", ticket_id)
    assert "submission_received" in out and "jdoe" in out
    code, out, _ = invoke("ticket", "history", ticket_id, "--format", "json")
    assert len(json.loads(out)["history"]) == 2


def test_list_rejects_unknown_state(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("ticket", "list", "--state", "done")
    assert code == 2
    assert "unknown state 'done'" in err


def test_unknown_ticket(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("ticket", "show", "PUB-2026-404")
    assert code == 2
    assert ".pubflow/tickets/PUB-2026-404.yaml: no ticket PUB-2026-404" in err
    code, _out, err = invoke("ticket", "show", "../../etc/passwd")
    assert code == 2
    assert "is not a ticket id" in err


def test_broken_ticket_files_are_named(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    ticket_id = create()
    path = repo / ".pubflow/tickets" / f"{ticket_id}.yaml"
    original = path.read_text()
    for content, message in [
        ("state: [\n", "invalid YAML"),
        ("a: &a [x, x]\nb: &b [*a, *a]\n", "YAML aliases (*a) are not allowed"),
        (original.replace("state: ready_for_review", "state: shipped"),
         "does not follow the ticket schema"),
        (original.replace("path: patterns/incident-escalation.json", "path: /etc/passwd"),
         "does not follow the ticket schema"),
    ]:
        path.write_text(content)
        for command in (["ticket", "show", ticket_id], ["ticket", "list"],
                        ["--actor", "rlee", "ticket", "route", ticket_id]):
            code, _out, err = invoke(*command)
            assert code == 2, (command, err)
            assert f".pubflow/tickets/{ticket_id}.yaml" in err
            assert message in err
        assert path.read_text() == content  # nothing overwritten


def test_no_actor_is_a_usage_error(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    code, _out, err = invoke("ticket", "create", "incident-escalation")
    assert code == 2
    assert "who is acting? pass --actor ID" in err


def test_unparseable_pattern_gets_a_failed_ticket(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    write_pattern('{"id": "broken-json",', name="broken-json")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a broken pattern")
    # nobody can be its author: an editor submits it
    code, out, _err = invoke("--actor", "editor", "ticket", "create", "broken-json")
    assert code == 1
    assert "error[json.syntax]" in out
    data = ticket_json(out.splitlines()[-1])
    assert (data["state"], data["pattern"]["id"]) == ("validation_failed", "broken-json")


def test_file_name_that_is_not_an_id(repo: Path, write_pattern: WritePattern) -> None:
    setup_repo(repo, write_pattern)
    write_pattern(valid_pattern(), name="Bad Name")
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "patterns/Bad Name.json")
    assert code == 2
    assert "'Bad Name' is not a pattern id" in err
    assert not (repo / ".pubflow").exists()


def test_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "plain"
    (folder / "patterns").mkdir(parents=True)
    (folder / "pubflow.yaml").write_text("reviewers: []\n")
    (folder / "patterns" / "incident-escalation.json").write_text(json.dumps(valid_pattern()))
    monkeypatch.chdir(folder)
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 2
    assert "not a git repository" in err
    assert not (folder / ".pubflow").exists()


def test_a_ticket_commit_leaves_other_staged_work_alone(repo: Path,
                                                        write_pattern: Callable[..., Path]) -> None:
    setup_repo(repo, write_pattern)
    (repo / "notes.txt").write_text("work in progress\n")
    git(repo, "add", "notes.txt")
    ticket_id = create()
    assert "notes.txt" not in git(repo, "show", "--name-only", "--format=", "HEAD")
    assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.txt"]
    assert ticket_id.startswith("PUB-")


@pytest.mark.parametrize("state", ["untracked", "modified since the last commit"])
def test_only_committed_content_is_pinned(repo: Path, write_pattern: WritePattern,
                                          state: str) -> None:
    """A ticket never pins a file that exists only in someone's work tree (issue 15, item 2)."""
    setup_repo(repo, write_pattern)
    if state == "untracked":
        write_pattern(valid_pattern(id="second-pattern"))
        name = "second-pattern"
    else:
        write_pattern(valid_pattern(version="1.0.1"))
        name = "incident-escalation"
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", name)
    assert code == 1
    assert f"patterns/{name}.json: {state}; a ticket pins committed content only" in err
    assert f"git add patterns/{name}.json && git commit" in err
    assert not (repo / ".pubflow" / "tickets").exists() or not list(
        (repo / ".pubflow" / "tickets").glob("*.yaml"))


def test_create_records_metadata_and_demand_decides_priority(repo: Path,
                                                             write_pattern: WritePattern) -> None:
    """Beats 2 and 3: words per section, broken signals, industries, complexity; priority
    from the `demand` map of pubflow.yaml."""
    from tests.acceptance.tickets_support import REVIEWERS

    setup_repo(repo, write_pattern, config=REVIEWERS + "demand: {telecom: 0.9, mining: 0.1}\n")
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation")
    assert code == 0, err
    data = ticket_json(out.splitlines()[-1])
    assert data["priority"] == "high"  # telecom is in demand
    ticket = YAML(typ="safe").load((repo / ".pubflow" / "tickets" /
                                    f"{data['id']}.yaml").read_text())
    metadata = ticket["metadata"]
    assert metadata["industries"] == ["saas", "telecom"]
    assert metadata["complexity"] in ("low", "medium", "high")
    assert metadata["totalWords"] > 0 and metadata["brokenSignals"] > 0
    assert ticket["history"][-1]["metadata"] == metadata


def test_views_per_industry_from_the_events_decide_the_priority(
        repo: Path, write_pattern: WritePattern) -> None:
    """Beat 3: 'assign priority based on pattern topic demand', measured from the platform's
    events when they are given: telecom is the most viewed industry, mining barely."""
    mining = valid_pattern(id="mine-safety", name="Mine safety", industries=["mining"])
    setup_repo(repo, write_pattern, patterns=(valid_pattern(), mining))
    views = [{"type": "view", "pattern": pattern, "visitor": f"v{n}",
              "at": f"2030-01-01T10:{n:02d}:00Z"}
             for n, pattern in enumerate(["incident-escalation"] * 20 + ["mine-safety"])]
    events = repo.parent / "events.jsonl"
    events.write_text("\n".join(json.dumps(v) for v in views) + "\n")
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "incident-escalation",
                            "--events", str(events))
    assert code == 0, err
    assert ticket_json(out.splitlines()[-1])["priority"] == "high"
    code, out, err = invoke("--actor", "jdoe", "ticket", "create", "mine-safety",
                            "--events", str(events))
    assert code == 0, err
    assert ticket_json(out.splitlines()[-1])["priority"] == "low"
    code, _out, err = invoke("--actor", "jdoe", "ticket", "create", "mine-safety",
                             "--events", str(repo / "missing.jsonl"))
    assert code == 2 and "cannot read the events" in err
