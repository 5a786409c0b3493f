from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pubflow.errors import InputError
from pubflow.records.audit import AUDIT_FILE, AuditHead, AuditLog, AuditProblem


def record(n: int = 1, kind: str = "ticket") -> dict[str, Any]:
    return {"at": f"2026-11-23T10:00:{n % 60:02d}Z", "actor": "alice", "kind": kind,
            "ticket": f"PUB-2026-{n:03d}"}


def sha(entry: dict[str, Any]) -> str:
    """The hash as the format defines it, computed independently of pubflow.records.audit."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def log_with(tmp_path: Path, count: int) -> AuditLog:
    log = AuditLog(tmp_path)
    for n in range(1, count + 1):
        log.append(record(n))
    return log


def lines_of(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(log: AuditLog, lines: list[str]) -> None:
    log.path.write_bytes("".join(lines).encode("utf-8"))


def messages(problems: list[AuditProblem]) -> list[str]:
    return [str(p) for p in problems]


def test_three_entries_chain_and_verify(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    assert log.path == tmp_path / ".pubflow" / "audit.jsonl"
    entries = list(log.entries())
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev"] is None
    assert entries[1]["prev"] == entries[0]["hash"]
    assert entries[2]["prev"] == entries[1]["hash"]
    assert all(e["hash"] == sha(e) for e in entries)
    assert list(entries[0]) == ["seq", "at", "actor", "kind", "ticket", "prev", "hash"]
    assert log.head() == AuditHead(3, entries[2]["hash"])
    assert log.verify() == []
    assert log.verify(AuditHead(3, entries[2]["hash"])) == []
    raw = log.path.read_bytes()
    assert raw.endswith(b"\n") and b"\r" not in raw and raw.count(b"\n") == 3


def test_append_returns_the_written_entry(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    entry = log.append({**record(), "note": "café", "pair": (1, 2)})
    assert entry == next(log.entries())
    assert entry["pair"] == [1, 2]
    assert "café" in log.path.read_text(encoding="utf-8")


def test_missing_or_empty_log_is_fine(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    assert log.head() is None
    assert list(log.entries()) == []
    assert log.verify() == []
    log.path.parent.mkdir()
    log.path.write_bytes(b"")
    assert log.head() is None
    assert log.verify() == []


GOOD = {"at": "2026-11-23T10:00:00Z", "actor": "alice", "kind": "ticket"}


@pytest.mark.parametrize("bad", [
    {**GOOD, "seq": 7}, {**GOOD, "prev": None}, {**GOOD, "hash": "x"},
    {"at": "2026-11-23T10:00:00Z", "actor": "alice"},
    {**GOOD, "at": "2026-11-23T10:00:00"},
    {**GOOD, "at": "2026-11-23T12:00:00+02:00"},
    {**GOOD, "at": "yesterday"},
    {**GOOD, "actor": ""},
    {**GOOD, "x": float("nan")},
    {**GOOD, "x": object()},
])
def test_invalid_records_are_refused_without_touching_the_log(
        tmp_path: Path, bad: dict[str, Any]) -> None:
    log = AuditLog(tmp_path)
    with pytest.raises(ValueError):
        log.append(bad)
    assert not log.path.exists()
    assert log.append(GOOD)["seq"] == 1


def test_edited_entry_is_reported(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    lines = lines_of(log)
    entry = json.loads(lines[1])
    entry["actor"] = "mallory"
    lines[1] = json.dumps(entry) + "\n"
    write_lines(log, lines)
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:2: entry 2 was edited after the fact: its content does not match its hash"]


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    lines = lines_of(log)
    entry = json.loads(lines[1])
    entry["actor"] = "mallory"
    entry["hash"] = sha(entry)
    lines[1] = json.dumps(entry) + "\n"
    write_lines(log, lines)
    problems = log.verify()
    assert [(p.line, p.seq) for p in problems] == [(3, 3)]
    assert "prev is not the hash of entry 2" in problems[0].message


def test_deleted_entry_is_reported(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    lines = lines_of(log)
    del lines[1]
    write_lines(log, lines)
    problems = log.verify()
    assert messages(problems) == [
        f"{AUDIT_FILE}:2: entry 2 is missing before entry 3: deleted from the log"]
    assert problems[0].seq == 3


def test_several_deleted_entries_are_named(tmp_path: Path) -> None:
    log = log_with(tmp_path, 6)
    lines = lines_of(log)
    write_lines(log, [lines[1], lines[3], lines[5]])
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:1: entry 1 is missing before entry 2: deleted from the log",
        f"{AUDIT_FILE}:2: entry 3 is missing before entry 4: deleted from the log",
        f"{AUDIT_FILE}:3: entry 5 is missing before entry 6: deleted from the log"]
    write_lines(log, [lines[0], lines[5]])
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:2: entries 2-5 are missing before entry 6: deleted from the log"]


def test_swapped_entries_are_reported_once(tmp_path: Path) -> None:
    log = log_with(tmp_path, 4)
    lines = lines_of(log)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(log, lines)
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:2: entry 3 comes before entry 2 (line 3) that it follows: the log "
        "was reordered"]


def test_duplicated_entry_is_reported(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    lines = lines_of(log)
    write_lines(log, [*lines, lines[1]])
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:4: entry 2 appears twice (first on line 2)"]


def test_deleted_tail_is_caught_by_the_recorded_head(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    recorded = log.head()
    assert recorded is not None
    write_lines(log, lines_of(log)[:-1])
    assert log.verify() == []  # without the head from git, a shorter log looks complete
    assert messages(log.verify(recorded)) == [
        f"{AUDIT_FILE}:2: the log ends at entry 2, but pubflow recorded entry 3 in git: "
        "the log was truncated or rewritten after entry 2"]
    log.path.write_bytes(b"")
    assert "truncated" in log.verify(recorded)[0].message


def test_rewritten_tail_is_caught_by_the_recorded_head(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    recorded = log.head()
    assert recorded is not None
    write_lines(log, lines_of(log)[:-1])
    log.append(record(99))
    assert log.verify() == []
    assert messages(log.verify(recorded)) == [
        f"{AUDIT_FILE}:3: entry 3 is not the one pubflow recorded in git: "
        "the log was truncated or rewritten up to entry 3"]


def test_torn_last_line_is_dropped_by_the_next_append(tmp_path: Path) -> None:
    log = log_with(tmp_path, 2)
    good = log.path.read_bytes()
    torn = json.dumps(log.append(record(3))).encode("utf-8")[:40]
    log.path.write_bytes(good + torn)
    assert log.head() == AuditHead(2, json.loads(good.splitlines()[1])["hash"])
    assert [e["seq"] for e in log.entries()] == [1, 2]
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:3: unfinished last line: a write was interrupted; "
        "the next append removes it"]
    entry = log.append(record(3))
    assert entry["seq"] == 3
    assert log.path.read_bytes() == good + json.dumps(
        entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    assert log.verify() == []


def test_torn_first_line_is_dropped_too(tmp_path: Path) -> None:
    log = AuditLog(tmp_path)
    log.path.parent.mkdir()
    log.path.write_bytes(b'{"seq":1,"at":"2026')
    assert log.head() is None
    assert log.append(record())["seq"] == 1
    assert log.verify() == []


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    log = log_with(tmp_path, 2)
    log.path.write_bytes(log.path.read_bytes().rstrip(b"\n"))
    assert log.verify() == []
    assert log.append(record(3))["seq"] == 3
    assert [e["seq"] for e in log.entries()] == [1, 2, 3]
    assert log.verify() == []


def test_garbage_line_is_reported_with_its_number(tmp_path: Path) -> None:
    log = log_with(tmp_path, 3)
    lines = lines_of(log)
    lines.insert(2, "this is not json\n")
    lines.insert(1, "[1, 2]\n")
    write_lines(log, lines)
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:2: not a JSON object (the line was damaged or inserted by hand)",
        f"{AUDIT_FILE}:4: not a JSON object (the line was damaged or inserted by hand)"]
    with pytest.raises(InputError, match=r"audit\.jsonl:2: not a JSON object"):
        list(log.entries())


def test_garbage_last_line_stops_appends(tmp_path: Path) -> None:
    log = log_with(tmp_path, 1)
    with log.path.open("ab") as handle:
        handle.write(b"oops\n")
    with pytest.raises(InputError, match="last line is not a JSON object") as caught:
        log.append(record(2))
    assert caught.value.hint
    assert log.path.read_bytes().endswith(b"oops\n")


def test_append_reads_only_the_tail_of_a_large_log(tmp_path: Path) -> None:
    count = 20_000
    lines = []
    previous: str | None = None
    for n in range(1, count + 1):
        entry: dict[str, Any] = {"seq": n, **record(n), "prev": previous}
        entry["hash"] = previous = sha(entry)
        lines.append(json.dumps(entry, separators=(",", ":")) + "\n")
    assert previous is not None
    # A garbage first line: anything that read the whole file would trip over it.
    lines[0] = "garbage that is not json\n"
    log = AuditLog(tmp_path)
    log.path.parent.mkdir()
    write_lines(log, lines)
    assert log.head() == AuditHead(count, previous)
    entry = log.append(record(count + 1))
    assert entry["seq"] == count + 1
    assert entry["prev"] == previous
    assert messages(log.verify()) == [
        f"{AUDIT_FILE}:1: not a JSON object (the line was damaged or inserted by hand)",
        f"{AUDIT_FILE}:2: entry 1 is missing before entry 2: deleted from the log"]


def test_long_last_entry_spanning_several_reads(tmp_path: Path) -> None:
    log = log_with(tmp_path, 2)
    long_entry = log.append({**record(3), "reason": "x" * 50_000})
    assert log.head() == AuditHead(3, long_entry["hash"])
    assert log.append(record(4))["prev"] == long_entry["hash"]
    assert log.verify() == []
