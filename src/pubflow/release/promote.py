"""`pubflow promote`: gates, package, environment, smoke checks, commit and tag, canary.

Every gate is checked before anything is written, and each refusal names its gate. The
change itself goes through `operation.apply`, so a crash, a failed smoke check or a failed
health check never leaves the repository between two states.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pubflow.config import Config
from pubflow.errors import GateRefused, InputError, UsageError
from pubflow.records.environments import (
    Environment,
    LiveEntry,
    PastRelease,
    Rollout,
    catalog_entry,
    check_environment_name,
    load_environment,
    state_files,
)
from pubflow.records.states import State
from pubflow.records.store import TicketStore
from pubflow.records.tickets import Approval, Author, Ticket, is_person, utc_text
from pubflow.records.transaction import Change, apply, recover
from pubflow.release import package as pkg
from pubflow.release.health import HealthResult
from pubflow.release.health_score import health_variables, scored_check
from pubflow.release.versions import RELEASE_TYPES, bump_kind
from pubflow.storage.yaml import dump_yaml


@dataclass(frozen=True, slots=True)
class PromoteRequest:
    ticket_id: str
    environment: str
    release: str | None = None
    notes: str | None = None
    canary: tuple[int, ...] = ()
    health_cmd: str | None = None
    health_timeout: float = 300.0
    dry_run: bool = False
    name: str | None = None
    """`--name`: what this release is called (in the environment file, the manifest of a
    package built now, the tag's annotation, `status`); `rollback --to` takes it."""
    hold: bool = False
    """`--hold`: stop at the last canary weight with both versions live (an A/B period)."""
    resume: bool = False
    """`--resume`: go on from a canary under way (held) to its full rollout."""
    weight: int | None = None
    """`--weight N`: set a held canary's weight, and keep holding."""
    watch: float | None = None
    """`--watch`: seconds to keep running the health command after the last step."""
    watch_interval: float = 30.0


@dataclass(slots=True)
class PromotePlan:
    """What a promotion will do, shown by --dry-run and returned after the real thing."""

    ticket: str
    pattern: str
    version: str
    environment: str
    release: str
    previous: str | None
    package: str
    build_package: bool
    ticket_to: str
    tag: str
    message: str
    gates: list[tuple[str, str]] = field(default_factory=list)
    canary: tuple[int, ...] = ()
    files: list[str] = field(default_factory=list)
    notes: str = ""
    name: str | None = None
    hold: bool = False
    """The canary stops at its last weight, both versions live; the ticket keeps its state."""


@dataclass(slots=True)
class PromoteResult:
    plan: PromotePlan | None
    noop: str | None = None
    recovered: str | None = None
    commits: list[str] = field(default_factory=list)
    failed_health: HealthResult | None = None
    rollback_commit: str | None = None
    deliveries: list[Any] = field(default_factory=list)
    """Notifications sent (`notify.outbox.Delivery`); a failed one is queued in the outbox."""
    checks: list[dict[str, Any]] = field(default_factory=list)
    """Every health check run, as the environment file records it (with its score)."""
    watch: Any = None
    """`release.watch.WatchOutcome` after `--watch`."""


StepCallback = Callable[[str], None]


def promote(config: Config, request: PromoteRequest, actor: str, now: datetime,
            on_step: StepCallback | None = None,
            clock: Callable[[], datetime] | None = None) -> PromoteResult:
    """`clock` tells the time of the health checks after `now` (default: the system's)."""
    _check_request(request)
    if request.environment:
        check_environment_name(request.environment, config.environments)
    root = config.root
    store = TicketStore(root)
    with store.locked():
        # a dry run too: it must plan from the old or the new state, never from files a
        # crash left half-written (finishing or undoing them is not the dry run's change)
        recovered = recover(root)
        ticket = store.load(request.ticket_id)
        if not request.environment:
            request = replace(request, environment=_held_in(config, ticket))
        env = load_environment(root, request.environment)
        noop = None if request.resume or request.weight else _already_done(ticket, env)
        if noop is None:
            plan, pattern = _plan(config, request, ticket, env, now, actor)
            if request.dry_run:
                return PromoteResult(plan)
            result = PromoteResult(plan, recovered=recovered)
            _run(config, request, plan, pattern, ticket, env, actor, now, on_step, result,
                 clock or _system_clock)
        elif request.watch and not request.dry_run:
            # watched again (a watch that was interrupted, or a second look): the marker is
            # committed first, as with a promotion; the watch runs after the lock is released
            apply(root, _rewatch_change(config, request, ticket, env, actor, now),
                  sign=config.signed_commits)
            noop = (f"{ticket.pattern.id} {ticket.pattern.version} ({ticket.id}) is already "
                    f"live in {env.name}: watching it again")
    if noop is not None:
        done = PromoteResult(None, noop=noop, recovered=recovered)
        if request.watch and not request.dry_run:
            done.watch = _watch(config, request, ticket.pattern.id,
                                str(ticket.pattern.version), env.name, ticket.id, actor,
                                on_step, clock)
        return done
    # Told after the lock is released: a slow webhook never holds up other commands.
    from pubflow.notify import events

    if result.failed_health is not None:
        result.deliveries += events.rolled_back(
            config, plan.pattern, plan.environment, plan.version, plan.previous,
            f"canary failed its health check ({result.failed_health.summary()})", ticket, now)
    elif plan.ticket_to == State.LIVE.value and not plan.hold:
        live = load_environment(root, plan.environment).live(plan.pattern)
        result.deliveries += events.published(config, ticket, plan.version, plan.environment,
                                              catalog_entry(pattern, live or {}), now)
    if request.watch and result.failed_health is None:
        result.watch = _watch(config, request, plan.pattern, plan.version, plan.environment,
                              plan.ticket, actor, on_step, clock)
    return result


def _watch(config: Config, request: PromoteRequest, pattern: str, version: str,
           environment: str, ticket: str, actor: str, on_step: StepCallback | None,
           clock: Callable[[], datetime] | None) -> Any:
    """The watch after the release; never under the ticket lock (it takes it to record)."""
    from pubflow.release.watch import WatchTarget, watch_release

    target = WatchTarget(pattern, version, environment, ticket, request.health_cmd or "",
                         request.health_timeout, request.watch or 0.0, request.watch_interval)
    return watch_release(config, target, actor, on_step, clock or _system_clock)


def _system_clock() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


def _held_in(config: Config, ticket: Ticket) -> str:
    """The environment where `ticket`'s canary is under way (`--resume`/`--weight` without
    `--to`): there must be exactly one."""
    found = [name for name in config.environments
             if (live := load_environment(config.root, name).live(ticket.pattern.id)) is not None
             and live.rollout is not None and live.rollout.ticket == ticket.id]
    if len(found) != 1:
        where = ("no environment" if not found else
                 f"{', '.join(found)}; say which with --to")
        raise GateRefused(f"{ticket.id}: a canary of {ticket.pattern.id} {ticket.pattern.version} "
                          f"is under way in {where}",
                          hint="`pubflow status` shows the canaries under way; start one with "
                               "--canary 10,50 --hold.")
    return found[0]


def _run(config: Config, request: PromoteRequest, plan: PromotePlan, pattern: dict[str, Any],
         ticket: Ticket, env: Environment, actor: str, now: datetime,
         on_step: StepCallback | None, result: PromoteResult,
         clock: Callable[[], datetime]) -> None:
    """The canary steps (with health checks between them), then the full promotion, or a
    stop at the last weight (`--hold`, `--weight`).

    `--health-cmd` without `--canary` is a one-step canary at 100 %: the switch is committed
    as a rollout at weight 100, the check runs once, and a failure rolls back to the stable
    version exactly as a failed canary step does; the promotion (and its tag) follows a pass.
    Each check's record (its score, if it printed one) goes into the next commit: the next
    step, the promotion, or the rollback.
    """
    root = config.root
    say = on_step or (lambda _text: None)
    weights = _canary_weights(request, env.live(plan.pattern))
    last_check: dict[str, Any] | None = None
    for step, weight in enumerate(weights):
        held = plan.hold and step == len(weights) - 1
        change = _canary_change(config, plan, pattern, ticket, env, weight, actor, now,
                                build_package=plan.build_package and step == 0,
                                health=last_check, held=held,
                                watch=_watch_marker(request, now) if held else None)
        result.commits.append(apply(root, change, _smoke(root, plan),
                                    sign=config.signed_commits))
        env = load_environment(root, request.environment)
        if not request.health_cmd:
            continue
        say(f"canary {plan.pattern} {plan.version}: {weight}% of traffic in "
            f"{plan.environment}; running the health check")
        health = check_health(config, request, plan, env, weight,
                              canary_step=weight < 100, phase="canary")
        last_check = health.record(utc_text(clock()), weight, "canary")
        result.checks.append(last_check)
        if not health.ok:
            result.failed_health = health
            result.rollback_commit = _abort_canary(config, plan, ticket, env, weight,
                                                   health, actor, now, last_check)
            return
        say(f"health check passed at {weight}%"
            + (f" ({health.score.shown()})" if health.score is not None else ""))
    if plan.hold:
        if last_check is not None and "score" in last_check:
            result.commits.append(apply(root, _held_check(root, env, plan, last_check, actor, now),
                                        sign=config.signed_commits))
        return
    change = _full_change(config, plan, pattern, ticket, env, actor, now,
                          build_package=plan.build_package and not weights, health=last_check,
                          watch=_watch_marker(request, now))
    result.commits.append(apply(root, change, _smoke(root, plan), sign=config.signed_commits))


def check_health(config: Config, request: PromoteRequest, plan: PromotePlan, env: Environment,
                 weight: int, *, canary_step: bool, phase: str) -> HealthResult:
    """Run the health command; a check that exits 0 still fails on a score the environment's
    gates do not let through (`health_score`)."""
    live = env.live(plan.pattern)
    stable = live.rollout.stable if live is not None and live.rollout is not None else None
    return scored_check(config, request.health_cmd or "", request.health_timeout,
                        health_variables(plan.pattern, plan.version, plan.environment,
                                         plan.ticket, weight, stable, phase),
                        plan.environment, canary_step=canary_step)


def _watch_marker(request: PromoteRequest, now: datetime) -> dict[str, Any] | None:
    """What the environment file says of a watch under way (`--watch`), committed with the
    last step so that `status` anywhere shows it, and an interrupted one is never taken for
    a watch that passed."""
    if not request.watch:
        return None
    import os
    import socket
    from datetime import timedelta

    return {"started": utc_text(now), "until": utc_text(now + timedelta(seconds=request.watch)),
            "interval": request.watch_interval, "host": socket.gethostname()[:100],
            "pid": os.getpid()}


def _canary_weights(request: PromoteRequest, live: LiveEntry | None) -> list[int]:
    """The weights committed as canary steps, each followed by the health check. `--canary
    100` alone is the one-step canary `--health-cmd` alone gives: checked once after the
    switch, not skipped. `--resume` goes on from the weight a canary is held at."""
    if request.weight is not None:
        return [request.weight]
    held = (live.rollout.weight if request.resume and live is not None
            and live.rollout is not None else 0)
    if not request.canary or request.canary == (100,):
        return [100] if request.health_cmd else []
    return [w for w in request.canary if held < w < 100 or (request.hold and w > held)]


def _check_request(request: PromoteRequest) -> None:
    if request.release is not None and request.release not in RELEASE_TYPES:
        raise UsageError(f"unknown release type '{request.release}'; choose one of "
                         f"{', '.join(RELEASE_TYPES)}")
    if request.weight is not None:
        if request.canary or request.hold or request.resume:
            raise UsageError("--weight N sets a held canary's weight by itself: leave out "
                             "--canary, --hold and --resume")
        if not 1 <= request.weight <= 99:
            raise UsageError(f"--weight {request.weight}: a held canary takes 1 to 99 % of the "
                             "traffic (--resume goes to 100)")
    if request.hold and not request.canary:
        raise UsageError("--hold needs --canary with the weights to go through, e.g. "
                         "--canary 10,50 --hold")
    if request.canary:
        weights = list(request.canary)
        if any(not 1 <= w <= 100 for w in weights) or weights != sorted(set(weights)):
            raise UsageError(f"--canary {','.join(map(str, weights))}: weights must rise "
                             "strictly between 1 and 100, e.g. 10,25,50,100")
        if request.hold and weights[-1] == 100:
            raise UsageError("--hold stops before 100: give the weights up to the one to hold "
                             "at, e.g. --canary 10,50 --hold")
        if not request.hold and weights[-1] != 100:
            raise UsageError("--canary must end at 100 (the full rollout), or stop at its last "
                             "weight with --hold")
        if not request.health_cmd and not request.hold:
            raise UsageError("--canary needs --health-cmd: the check run between steps")
    if request.health_timeout <= 0:
        raise UsageError("--health-timeout must be a positive number of seconds")
    if request.watch is not None:
        if request.watch <= 0:
            raise UsageError("--watch must be a positive duration, e.g. 10m")
        if not request.health_cmd:
            raise UsageError("--watch needs --health-cmd: the check it keeps running")
    if request.watch_interval <= 0:
        raise UsageError("--watch-interval must be a positive number of seconds")
    if not request.environment and not (request.resume or request.weight is not None):
        raise UsageError("--to is needed (only --resume and --weight find the environment of "
                         "a canary under way by themselves)")
    if request.name is not None:
        check_release_name(request.name)


def check_release_name(name: str) -> None:
    """A release name is one printable line of at most 100 characters, not a version (so
    `rollback --to` can tell them apart)."""
    from pubflow.release.versions import parse

    if (not name.strip() or name != name.strip() or len(name) > 100 or not name.isprintable()
            or "/" in name or "\\" in name or name.startswith(".")):
        raise UsageError(f"--name {name!r}: a release name is one line of 1 to 100 printable "
                         "characters without leading or trailing spaces, slashes or a leading "
                         "dot, e.g. Production-Release-Jan2024")
    try:
        parse(name)
    except InputError:  # not a version: a name
        return
    raise UsageError(f"--name {name}: looks like a version; name the release with words, "
                     "e.g. Production-Release-Jan2024")


def _already_done(ticket: Ticket, env: Environment) -> str | None:
    live = env.live(ticket.pattern.id)
    if (live is not None and live.ticket == ticket.id
            and live.version == ticket.pattern.version and live.rollout is None):
        return (f"{ticket.pattern.id} {ticket.pattern.version} ({ticket.id}) is already live in "
                f"{env.name}: nothing to do")
    return None


def _plan(config: Config, request: PromoteRequest, ticket: Ticket, env: Environment,
          now: datetime, actor: str) -> tuple[PromotePlan, dict[str, Any]]:
    """Check every gate in order; the first that fails is raised, naming itself."""
    root = config.root
    order = config.environments
    index = order.index(env.name)
    last = index == len(order) - 1
    hotfix = request.release == "hotfix"
    gates: list[tuple[str, str]] = []
    pinned = ticket.pattern

    def refuse(gate: str, why: str, hint: str | None = None) -> GateRefused:
        return GateRefused(f"{ticket.id}: gate '{gate}' refused promotion to {env.name}: {why}",
                           hint=hint)

    from pubflow.release.rollback import refuse_actor

    rule = config.rule(env.name)
    why = refuse_actor(config, actor, env.name, "promote to")
    if why is not None:
        raise refuse("promoter", why, "Ask a promoter of this environment, or have an admin "
                     "add you to its `promoters` in pubflow.yaml.")
    gates.append(("promoter", actor))
    live_now = env.live(pinned.id)
    under_way = (live_now.rollout if live_now is not None and live_now.rollout is not None
                 and live_now.rollout.ticket == ticket.id else None)
    if (request.resume or request.weight is not None) and under_way is None:
        raise refuse("canary under way", f"no canary of {pinned.id} {pinned.version} from "
                     f"{ticket.id} is under way in {env.name}: nothing to "
                     f"{'resume' if request.resume else 'reweight'}",
                     "Start one: pubflow promote TICKET --to ENV --canary 10,50 --hold")
    if under_way is not None and request.resume:
        gates.append(("canary under way", f"{under_way.weight}% of traffic on "
                                          f"{under_way.canary}"))
    if rule.require_canary and not (request.canary or under_way is not None):
        raise refuse("canary", f"{env.name} requires a canary rollout",
                     "Pass --canary 10,50,100 --health-cmd CMD.")
    from pubflow.records.verify import history_problems

    broken = [p for p in history_problems(ticket) if p.kind == "broken"]
    if broken:
        raise refuse("history", f"the ticket's history does not verify ({len(broken)} "
                     f"problem(s)), first: {broken[0].message}",
                     f"Run `pubflow ticket verify {ticket.id}`; restore the ticket file from "
                     "git, or resubmit the pattern for review.")
    found = ticket.replay()
    gates.append(("history", "the ticket verifies; its state follows from its history"))
    if config.signed_commits:
        from pubflow.records.trust import unproven_decisions

        unproven = unproven_decisions(config.root, ticket.id)
        if unproven:
            raise refuse("signatures", f"{len(unproven)} decision(s) not proven by their "
                         f"actors' signatures, first: {unproven[0]}",
                         "Run `pubflow verify`; a decision must be made again, signed by the "
                         "person it names (trust.signed in pubflow.yaml).")
        gates.append(("signatures", "every decision on the ticket is signed by its actor"))
    state = State(found.state or ticket.state)
    if index == 0 or hotfix:
        allowed = {State.APPROVED, State.ROLLED_BACK} | ({State.STAGED} if index else set())
        if state not in allowed:
            raise refuse("ticket state", f"the ticket is {state}; promotion to {env.name} "
                         "needs an approved ticket", "Finish the review first "
                         f"(`pubflow ticket show {ticket.id}`).")
        gates.append(("ticket state", f"{state}"))
    else:
        previous_env = order[index - 1]
        # rolled_back: its canary failed (or it was rolled back) here; once the cause is
        # fixed it is promoted again, from the release still staged before this environment
        if state not in (State.STAGED, State.ROLLED_BACK):
            raise refuse("ticket state", f"the ticket is {state}; {env.name} takes only a "
                         f"ticket staged in {previous_env} (or --release hotfix with --notes)")
        before = load_environment(root, previous_env).live(pinned.id)
        if (before is None or before.ticket != ticket.id
                or before.version != pinned.version or before.rollout is not None):
            shown = (f"{before.version} ({before.ticket})" if before is not None
                     else "nothing")
            raise refuse(f"staged in {previous_env}", f"{previous_env} runs {shown} of "
                         f"{pinned.id}, not {pinned.version} from {ticket.id}",
                         f"Promote it to {previous_env} first: pubflow promote {ticket.id} "
                         f"--to {previous_env}")
        gates.append((f"staged in {previous_env}", f"{pinned.version} is live there"))
    if hotfix and not (request.notes and request.notes.strip()):
        raise refuse("release notes", "a hotfix needs --notes saying what it fixes")

    path = root / pinned.path
    try:
        raw = path.read_bytes()
    except OSError:
        raise refuse("pinned content", f"{pinned.path} is missing") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != pinned.digest:
        raise refuse("pinned content", f"{pinned.path} differs from the reviewed content "
                     f"(sha256 {digest[:12]}, pinned {pinned.digest[:12]})",
                     "Restore the reviewed file, or resubmit the changes for review.")
    gates.append(("pinned content", f"sha256 {digest[:12]} as reviewed"))
    approvers = _approvers(config, ticket, found.approvals, found.author, raw)
    if len(approvers) < rule.approvals:
        got = ", ".join(approvers) or "none"
        raise refuse("approvals", f"{env.name} needs {rule.approvals} approval(s) of the pinned "
                     f"content by distinct configured reviewers other than the author; the "
                     f"history holds {len(approvers)} ({got})",
                     f"Another reviewer approves with `pubflow ticket review {ticket.id} "
                     "--decision approve`.")
    gates.append(("approvals", f"{len(approvers)} of {rule.approvals}: {', '.join(approvers)}"))

    from pubflow.validation.run import ValidateRequest, validate

    result = validate(ValidateRequest(config=config, paths=(path,), use_cache=False)).files[0]
    if result.errors:
        first = next(f for f in result.findings if f.severity.value == "error")
        raise refuse("checks", f"{result.errors} error(s), first: {first.file}:{first.line}:"
                     f"{first.column}: {first.message}", "Run `pubflow validate` for all.")
    gates.append(("checks", "every validate check passes"))
    pattern: dict[str, Any] = json.loads(raw)
    version = str(pattern.get("version"))

    live = env.live(pinned.id)
    # a canary under way: what is released is its stable version (nothing, for a new pattern)
    current = (live.rollout.stable if live is not None and live.rollout is not None
               else str(live.version) if live is not None else None)
    if current is None:
        kind = request.release or "initial"
    else:
        step = bump_kind(current, version)
        if step is None:
            raise refuse("version", f"{version} is not higher than {current}, live in "
                         f"{env.name}", "Raise the pattern's version and resubmit.")
        wanted = "patch" if hotfix else request.release
        if wanted is not None and step != wanted:
            raise refuse("version", f"{current} -> {version} is a {step} bump, not "
                         f"{request.release}", f"Use --release {step}, or set the version.")
        kind = request.release or step
    gates.append(("version", f"{current or 'nothing'} -> {version} ({kind})"))

    folder = pkg.package_dir(root, pinned.id, version)
    build = not folder.exists()
    if not build:
        manifest = pkg.verify_package(root, pinned.id, version)
        if manifest.get("ticket") != ticket.id or manifest.get("sourceDigest") != pinned.digest:
            raise refuse("package", f"{pkg.package_rel(pinned.id, version)} was built from "
                         f"{manifest.get('ticket')}, another submission of {version}",
                         "Raise the pattern's version: a released version never changes.")
        if request.notes and request.notes.strip() not in (folder / pkg.NOTES_FILE).read_text(
                encoding="utf-8"):
            raise refuse("release notes", "the package's notes were fixed when it was built "
                         "for an earlier environment; leave out --notes")
        gates.append(("package", "exists and its checksums verify"))
    else:
        gates.append(("package", "will be built"))
    hold = request.hold or request.weight is not None
    ticket_to = state if hold else State.LIVE if last else State.STAGED
    tag = _tag_name(root, env.name, pinned.id, version)
    how = (f"canary {','.join(map(str, request.canary))}" if request.canary
           else f"canary at {request.weight}%" if request.weight is not None
           else "resume canary" if request.resume and under_way is not None else "promote")
    if hold:
        how += " held"
    plan = PromotePlan(
        ticket=ticket.id, pattern=pinned.id, version=version, environment=env.name,
        release=kind, previous=current, package=pkg.package_rel(pinned.id, version),
        build_package=build, ticket_to=ticket_to.value, tag=tag,
        message=f"{how} {pinned.id} {version} to {env.name} ({ticket.id}, {kind})",
        gates=gates, canary=request.canary or tuple(_canary_weights(request, live)),
        hold=hold)
    plan.files = ([f"{plan.package}/{n}" for n in (pkg.MANIFEST_FILE, pkg.NOTES_FILE,
                                                    pkg.PAGE_FILE, pkg.PATTERN_FILE)]
                  if build else []) + [
        f".pubflow/environments/{env.name}.yaml", f".pubflow/catalog/{env.name}.json",
        store_rel(ticket), ".pubflow/audit.jsonl"]
    plan.notes = request.notes or ""
    plan.name = request.name
    if request.name:
        plan.message += f" [{request.name}]"
    return plan, pattern


def store_rel(ticket: Ticket) -> str:
    return f".pubflow/tickets/{ticket.path.name}"


def _tag_name(root: Path, env: str, pattern_id: str, version: str) -> str:
    from pubflow.storage import git as gitrepo

    base = f"pubflow/{env}/{pattern_id}/{version}"
    name, n = base, 1
    while gitrepo.tag_exists(root, name):
        n += 1
        name = f"{base}-{n}"
    return name


def _approvers(config: Config, ticket: Ticket, approvals: tuple[Approval, ...],
               author: Author | None, raw: bytes) -> list[str]:
    """The distinct configured reviewers (ids) whose approval of the pinned content the
    history holds, leaving out the author (per the history and per the pinned file)."""
    authors = [author or ticket.author]
    try:
        data = json.loads(raw)
        own = data.get("author") if isinstance(data, dict) else None
        if isinstance(own, dict):
            authors.append(Author(_text(own.get("id")), _text(own.get("email"))))
    except ValueError:
        pass
    found: list[str] = []
    for approval in approvals:
        if approval.digest != ticket.pattern.digest:
            continue
        reviewer = config.person(approval.actor.strip(), config.reviewers)
        if reviewer is None or (approval.reviewer and approval.reviewer != reviewer.id):
            continue
        if any(is_person(approval.actor, a.id, a.email) or reviewer.same_as(a.id, a.email)
               for a in authors):
            continue
        if reviewer.id not in found:
            found.append(reviewer.id)
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _approval(ticket: Ticket) -> tuple[str | None, str | None]:
    """Who approved the pinned content first, and when, as the history says."""
    for approval in ticket.replay().approvals:
        if approval.digest == ticket.pattern.digest:
            return approval.actor, approval.at
    return None, None


def _package_files(plan: PromotePlan, pattern: dict[str, Any],
                   ticket: Ticket) -> dict[str, bytes]:
    by, at = _approval(ticket)
    info = pkg.ReleaseInfo(plan.pattern, plan.version, plan.ticket, plan.release,
                           ticket.pattern.digest, by, at, plan.notes, plan.name)
    return {f"{plan.package}/{name}": data
            for name, data in pkg.build_files(pattern, info).items()}


def _release_entry(plan: PromotePlan, ticket: Ticket, actor: str, now: datetime,
                   history: list[PastRelease]) -> LiveEntry:
    return LiveEntry.released(version=plan.version, digest=ticket.pattern.digest,
                              ticket=plan.ticket, release=plan.release, by=actor,
                              at=utc_text(now), package=plan.package, history=history,
                              name=plan.name)


def _env_files(config: Config, env: Environment, pattern: dict[str, Any],
               plan: PromotePlan) -> dict[str, bytes]:
    """The environment file and its catalog, with `plan.pattern`'s entry as `env` has it now."""
    live = env.live(plan.pattern)
    row = None
    if live is not None:
        shown = (pattern if live.version == plan.version
                 else _live_pattern(config.root, plan.pattern, live))
        row = catalog_entry(shown, live)
    return state_files(config.root, env, plan.pattern, row)


def _live_pattern(root: Path, pattern_id: str, live: LiveEntry) -> dict[str, Any]:
    """The packaged document of the version `live` names (for its catalog entry)."""
    folder = pkg.package_dir(root, pattern_id, str(live.version))
    data: dict[str, Any] = json.loads((folder / pkg.PATTERN_FILE).read_bytes())
    return data


def _full_change(config: Config, plan: PromotePlan, pattern: dict[str, Any], ticket: Ticket,
                 env: Environment, actor: str, now: datetime, *, build_package: bool,
                 health: dict[str, Any] | None = None,
                 watch: dict[str, Any] | None = None) -> Change:
    files = _package_files(plan, pattern, ticket) if build_package else {}
    live = env.live(plan.pattern)
    history = list(live.history) if live is not None else []
    if live is not None and live.version != plan.version:
        history.append(live.ended(utc_text(now), "superseded"))
    entry = _release_entry(plan, ticket, actor, now, history)
    extra = {**({"health": health} if health else {}), **({"watch": watch} if watch else {})}
    if extra:
        entry = LiveEntry({**entry.document, **extra})
    env = env.with_live(plan.pattern, entry)
    files.update(_env_files(config, env, pattern, plan))
    target = State(plan.ticket_to)
    ticket.transition(target, actor=actor, event="promoted", now=now,
                      reason=f"{plan.version} promoted to {plan.environment} ({plan.release})",
                      environment=plan.environment, version=plan.version, release=plan.release)
    files[store_rel(ticket)] = _ticket_bytes(ticket)
    audit: list[dict[str, Any]] = [{
        "at": utc_text(now), "actor": actor, "kind": "promote", "ticket": plan.ticket,
        "pattern": plan.pattern, "version": plan.version, "environment": plan.environment,
        "release": plan.release, "previous": plan.previous}]
    if health:
        audit[0]["health"] = health
    if watch:
        audit[0]["watch"] = {"until": watch["until"], "interval": watch["interval"]}
    return Change("promotion", files, plan.message, audit,
                  [(plan.tag, f"{plan.pattern} {plan.version} released to {plan.environment} "
                              f"({plan.release}, {plan.ticket})"
                              + (f": {plan.name}" if plan.name else ""))])


def _canary_change(config: Config, plan: PromotePlan, pattern: dict[str, Any], ticket: Ticket,
                   env: Environment, weight: int, actor: str, now: datetime, *,
                   build_package: bool, health: dict[str, Any] | None = None,
                   held: bool = False, watch: dict[str, Any] | None = None) -> Change:
    """One canary step; `held`: the canary stays at this weight (`--hold`, `--weight`), both
    versions live, until `--resume`, another `--weight` or `rollback`."""
    files = _package_files(plan, pattern, ticket) if build_package else {}
    live = env.live(plan.pattern)
    stable = (None if live is None else live.rollout.stable if live.rollout is not None
              else live.version)
    rollout = Rollout.new(stable, plan.version, weight, plan.ticket, ticket.pattern.digest,
                          held=held, health=health)
    entry = _release_entry(plan, ticket, actor, now, []) if live is None else live
    entry = LiveEntry({k: v for k, v in entry.document.items() if k != "watch"}
                      | ({"watch": watch} if watch else {}))
    env = env.with_live(plan.pattern, entry.with_rollout(rollout))
    files.update(_env_files(config, env, pattern, plan))
    audit: list[dict[str, Any]] = [{
        "at": utc_text(now), "actor": actor, "kind": "canary", "ticket": plan.ticket,
        "pattern": plan.pattern, "version": plan.version, "environment": plan.environment,
        "weight": weight, "stable": rollout.stable}]
    if held:
        audit[0]["held"] = True
    if health:
        audit[0]["health"] = health
    shown = "held " if held else ""
    return Change("canary step", files,
                  f"canary {plan.pattern} {plan.version} {shown}at {weight}% in "
                  f"{plan.environment} ({plan.ticket})", audit)


def _rewatch_change(config: Config, request: PromoteRequest, ticket: Ticket, env: Environment,
                    actor: str, now: datetime) -> Change:
    """A watch of a release already live: its marker, in place of how the last one ended."""
    live = env.patterns[ticket.pattern.id]
    document = {k: v for k, v in live.document.items() if k not in ("watch", "watched")}
    document["watch"] = _watch_marker(request, now)
    env = env.with_live(ticket.pattern.id, LiveEntry(document))
    audit = [{"at": utc_text(now), "actor": actor, "kind": "watch", "ticket": ticket.id,
              "pattern": ticket.pattern.id, "version": ticket.pattern.version,
              "environment": env.name, "result": "started", "checks": 0}]
    return Change("watch", {env.path.relative_to(config.root).as_posix(): env.serialize()},
                  f"watch of {ticket.pattern.id} {ticket.pattern.version} in {env.name} "
                  "started", audit)


def _held_check(root: Path, env: Environment, plan: PromotePlan, check: dict[str, Any], actor: str,
                now: datetime) -> Change:
    """The score of the check after the last step of a held canary, recorded (the step was
    committed before the check ran)."""
    live = env.patterns[plan.pattern]
    assert live.rollout is not None
    rollout = Rollout({**live.rollout.document, "health": check})
    env = env.with_live(plan.pattern, live.with_rollout(rollout))
    audit = [{"at": utc_text(now), "actor": actor, "kind": "health", "ticket": plan.ticket,
              "pattern": plan.pattern, "version": plan.version, "environment": plan.environment,
              "weight": rollout.weight, "health": check}]
    return Change("health check", {env.path.relative_to(root).as_posix(): env.serialize()},
                  f"health of canary {plan.pattern} {plan.version} at {rollout.weight}% in "
                  f"{plan.environment}: {check.get('score')}", audit)


def _abort_canary(config: Config, plan: PromotePlan, ticket: Ticket, env: Environment,
                  weight: int, health: HealthResult, actor: str, now: datetime,
                  check: dict[str, Any]) -> str:
    """Back to the stable version; the ticket is marked rolled_back."""
    from pubflow.release.rollback import restore_stable

    reason = (f"canary {plan.version} failed its health check at {weight}%: "
              f"{health.summary()}")
    change = restore_stable(config, env, plan.pattern, ticket, actor, now, reason)
    change.audit[0]["health"] = check
    return apply(config.root, change, sign=config.signed_commits)


def _ticket_bytes(ticket: Ticket) -> bytes:
    from pubflow.records.store import check_schema

    check_schema(ticket.doc, store_rel(ticket))
    return dump_yaml(ticket.doc)


def _smoke(root: Path, plan: PromotePlan) -> Callable[[], None]:
    def check() -> None:
        from pubflow.release.smoke import smoke_checks

        smoke_checks(root, plan.environment, plan.pattern, plan.version)

    return check
