"""Issue 17, item 5: a page never links to a pattern readers cannot open. Promotion's smoke
checks refuse a pattern whose relatedPatterns are not live in that environment; taking a
pattern out warns about live patterns that still point at it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.acceptance.release_support import approved, head, live_in, promote
from tests.acceptance.tickets_support import invoke, setup_repo
from tests.conftest import git, valid_pattern

WritePattern = Callable[..., Path]


def test_related_patterns_must_be_live_first(repo: Path, write_pattern: WritePattern) -> None:
    main = valid_pattern(relatedPatterns=["on-call-handover"])
    other = valid_pattern(id="on-call-handover", name="On-call handover")
    setup_repo(repo, write_pattern, patterns=(main, other))
    first = approved("incident-escalation")
    before = head(repo)
    code, _out, err = promote(first, "--to", "staging")
    assert code == 1
    assert ("smoke check 'related' failed for incident-escalation 1.0.0 in staging: "
            "relatedPatterns names on-call-handover, not live in staging") in err
    assert head(repo) == before and live_in(repo, "staging") is None
    assert git(repo, "status", "--porcelain") == ""
    second = approved("on-call-handover")
    assert promote(second, "--to", "staging")[0] == 0
    code, out, err = promote(first, "--to", "staging")
    assert code == 0, out + err
    # taking the related pattern out warns about the page that still links to it
    code, out, err = invoke("--actor", "releng", "rollback", "on-call-handover", "--env",
                            "staging", "--depublish", "--reason", "retired")
    assert code == 0, out + err
    assert ("warning: incident-escalation 1.0.0 (live in staging) still names "
            "on-call-handover in relatedPatterns") in out
