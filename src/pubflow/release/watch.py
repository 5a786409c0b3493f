"""`promote --watch`: the health command keeps running after the last step.

Seed 001: "build success is not runtime success". A release is watched for a while after it
went live (with or without a canary, or held at a weight): the health command runs every
interval and the first failure rolls the release back, within one interval. The promotion
committed a `watch` marker with the release, so `status` anywhere shows a watch under way;
its end is committed too (`watched`: passed, or interrupted by Ctrl+C or SIGTERM), so a watch
killed outright is left with its marker and shown as interrupted, never as passed.

The watch holds no lock while it waits: other commands run meanwhile. Each record it makes
is checked against what runs then, so it never touches a release that came after it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pubflow.config import Config
from pubflow.errors import GateRefused
from pubflow.records.environments import Environment, LiveEntry, load_environment
from pubflow.records.store import TicketStore
from pubflow.records.tickets import utc_text
from pubflow.records.transaction import Change, apply, recover
from pubflow.release.health import HealthResult
from pubflow.release.health_score import health_variables, scored_check


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """The release a watch is for, and how to watch it (`promote --watch`)."""

    pattern: str
    version: str
    environment: str
    ticket: str
    command: str
    timeout: float
    seconds: float
    interval: float


@dataclass(frozen=True, slots=True)
class WatchOutcome:
    """How a watch ended: `passed`, `failed` (and rolled back), `interrupted`, or
    `superseded` (another release or a rollback replaced the one watched)."""

    result: str
    checks: int
    detail: str
    failed: HealthResult | None = None
    commit: str | None = None
    """The commit that recorded the end (the rollback, after a failure)."""

    def to_json(self) -> dict[str, Any]:
        failed = self.failed
        return {"result": self.result, "checks": self.checks, "detail": self.detail,
                "commit": self.commit,
                "failedCheck": None if failed is None else {
                    "exitCode": failed.exit_code, "timedOut": failed.timed_out,
                    "problem": failed.problem, "output": failed.output}}


@dataclass(frozen=True, slots=True)
class WatchState:
    """What `status` says of a release's watch: `under way` (until when), `interrupted`
    (its process is gone, or its time long past, without a recorded end), or the recorded
    end (`passed`, `interrupted`)."""

    state: str
    until: str | None
    checks: int | None = None

    def text(self) -> str:
        if self.state == "under way":
            return f"watching until {self.until}"
        if self.state == "passed":
            return f"watch passed ({self.checks} checks)"
        counted = "" if self.checks is None else f" after {self.checks} checks"
        return f"watch interrupted{counted}: not watched to the end"

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "until": self.until, "checks": self.checks}


_GRACE_SECONDS = 900
"""How long past its end a watch without a recorded result may still be finishing its last
check (a health check may take minutes) before `status` calls it interrupted."""


def watch_state(live: LiveEntry, now: datetime) -> WatchState | None:
    marker, ended = live.document.get("watch"), live.document.get("watched")
    if isinstance(marker, dict):
        until = str(marker.get("until"))
        if _process_gone(marker) or _past(until, now, _GRACE_SECONDS
                                          + float(marker.get("interval") or 0)):
            return WatchState("interrupted", until)
        return WatchState("under way", until)
    if isinstance(ended, dict):
        return WatchState(str(ended.get("result")), ended.get("until"),
                          int(ended.get("checks") or 0))
    return None


def _past(until: str, now: datetime, grace: float) -> bool:
    from datetime import UTC, timedelta

    try:
        end = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return True
    return now > end + timedelta(seconds=grace)


def _process_gone(marker: dict[str, Any]) -> bool:
    """On this machine (POSIX), whether the watching process has ended. Elsewhere, or on
    Windows (where signalling a process would end it), only the time tells."""
    import os
    import socket

    pid = marker.get("pid")
    if (os.name != "posix" or not isinstance(pid, int) or pid <= 0
            or marker.get("host") != socket.gethostname()[:100]):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class _Stopped(Exception):
    """SIGTERM during a watch: ended like Ctrl+C, recorded as interrupted."""


def watch_release(config: Config, plan: WatchTarget, actor: str,
                  on_step: Callable[[str], None] | None,
                  clock: Callable[[], datetime]) -> WatchOutcome:
    say = on_step or (lambda _text: None)
    deadline = time.monotonic() + plan.seconds
    checks = 0
    last: dict[str, Any] | None = None
    say(f"watching {plan.pattern} {plan.version} in {plan.environment} for "
        f"{plan.seconds:g} s, a health check every {plan.interval:g} s")
    try:
        with _sigterm_interrupts():
            while time.monotonic() < deadline:
                time.sleep(max(0.0, min(plan.interval, deadline - time.monotonic())))
                env = load_environment(config.root, plan.environment)
                live = env.live(plan.pattern)
                if not _watched(live, plan):
                    return WatchOutcome("superseded", checks, _superseded(live, plan))
                assert live is not None
                weight = live.rollout.weight if live.rollout is not None else 100
                stable = live.rollout.stable if live.rollout is not None else None
                health = scored_check(config, plan.command, plan.timeout, health_variables(
                    plan.pattern, plan.version, plan.environment, plan.ticket, weight, stable,
                    "watch"), plan.environment, canary_step=weight < 100)
                checks += 1
                last = health.record(utc_text(clock()), weight, "watch")
                if not health.ok:
                    return _roll_back(config, plan, actor, clock(), health, checks)
                say(f"watch: check {checks} passed"
                    + (f" ({health.score.shown()})" if health.score is not None else ""))
    except (KeyboardInterrupt, _Stopped):
        commit = _record(config, plan, actor, clock(), "interrupted", checks, last)
        return WatchOutcome("interrupted", checks,
                            f"watch interrupted after {checks} check(s): {plan.pattern} "
                            f"{plan.version} stays in {plan.environment}, not watched to the "
                            "end", commit=commit)
    commit = _record(config, plan, actor, clock(), "passed", checks, last)
    return WatchOutcome("passed", checks, f"watch passed: {checks} health check(s) of "
                        f"{plan.pattern} {plan.version} in {plan.environment}", commit=commit)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) ends the watch as Ctrl+C does: recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise _Stopped

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _watched(live: LiveEntry | None, plan: WatchTarget) -> bool:
    """Whether the release the watch was started for still runs, marker and all."""
    if live is None or not isinstance(live.document.get("watch"), dict):
        return False
    if live.rollout is not None:
        return live.rollout.canary == plan.version and live.rollout.ticket == plan.ticket
    return live.version == plan.version and live.ticket == plan.ticket


def _superseded(live: LiveEntry | None, plan: WatchTarget) -> str:
    now = ("nothing" if live is None else
           f"{live.rollout.canary} as a canary" if live.rollout is not None else live.version)
    return (f"watch ended: {plan.environment} runs {now} of {plan.pattern} now, not the "
            f"watched {plan.version}")


def _roll_back(config: Config, plan: WatchTarget, actor: str, now: datetime,
               health: HealthResult, checks: int) -> WatchOutcome:
    from pubflow.release.rollback import previous_release, rollback

    reason = f"watch after release: health check {checks} failed ({health.summary()})"
    live = load_environment(config.root, plan.environment).live(plan.pattern)
    depublish = (live is not None and live.rollout is None
                 and previous_release(live) is None)
    try:
        done = rollback(config, plan.pattern, plan.environment, None, reason, depublish,
                        actor, now, expect=plan.version)
    except GateRefused as exc:
        return WatchOutcome("superseded", checks, f"health check failed, but not rolled "
                            f"back: {exc.message}", failed=health)
    back = (f"rolled back to {done.to_version}" if done.to_version is not None
            else f"taken out of {plan.environment} (no earlier release)")
    return WatchOutcome("failed", checks, f"{reason}; {plan.pattern} {back}", failed=health,
                        commit=done.commit)


def _record(config: Config, plan: WatchTarget, actor: str, now: datetime, result: str,
            checks: int, last: dict[str, Any] | None) -> str | None:
    """Commit how the watch ended, in place of its marker (nothing, if the release watched
    no longer runs)."""
    with TicketStore(config.root).locked():
        recover(config.root)
        env = load_environment(config.root, plan.environment)
        live = env.live(plan.pattern)
        if not _watched(live, plan):
            return None
        assert live is not None
        change = _watched_change(config, env, live, plan, actor, now, result, checks, last)
        return apply(config.root, change, sign=config.signed_commits)


def _watched_change(config: Config, env: Environment, live: LiveEntry, plan: WatchTarget,
                    actor: str, now: datetime, result: str, checks: int,
                    last: dict[str, Any] | None) -> Change:
    marker = live.document["watch"]
    record = {"result": result, "checks": checks, "at": utc_text(now),
              "started": marker.get("started"), "until": marker.get("until")}
    document = {k: v for k, v in live.document.items() if k != "watch"}
    document["watched"] = record
    if last is not None and live.rollout is None:
        document["health"] = last
    env = env.with_live(plan.pattern, LiveEntry(document))
    audit = [{"at": utc_text(now), "actor": actor, "kind": "watch", "ticket": plan.ticket,
              "pattern": plan.pattern, "version": plan.version, "environment": plan.environment,
              "result": result, "checks": checks, **({"health": last} if last else {})}]
    return Change("watch", {env.path.relative_to(config.root).as_posix(): env.serialize()},
                  f"watch of {plan.pattern} {plan.version} in {plan.environment} {result} "
                  f"({checks} check(s))", audit)
