"""`pubflow promote` and `pubflow rollback`: parse options, call `pubflow.release`, print."""

from __future__ import annotations

import enum
import json
import re
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pubflow.cli.common import (
    TextOrJson,
    acting_actor,
    handle_errors,
    repo_context,
    report_deliveries,
)
from pubflow.cli.terminal import write_output
from pubflow.errors import EXIT_FINDINGS, UsageError
from pubflow.reporters import printable

if TYPE_CHECKING:
    from pubflow.config import Config
    from pubflow.release.promote import PromotePlan, PromoteResult


class Release(enum.StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"
    hotfix = "hotfix"


def _weights(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"--canary {text}: give percentages separated by commas, "
                         "e.g. 10,25,50,100") from None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str | None, option: str) -> float | None:
    """`90`, `90s`, `10m`, `2h`, `1h30m`: seconds."""
    if text is None:
        return None
    compact = text.strip().replace(" ", "")
    parts = list(_DURATION.finditer(compact))
    if not compact or "".join(m.group(0) for m in parts) != compact:
        raise UsageError(f"{option} {text!r}: give a duration such as 90s, 10m, 2h or 1h30m")
    return sum(float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()] for m in parts)


@handle_errors
def promote(
    ticket_id: Annotated[str, typer.Argument(help="The approved ticket, e.g. PUB-2026-001.",
                                             metavar="TICKET", show_default=False)],
    to: Annotated[str | None, typer.Option(
        "--to", help="Target environment (staging, production...); --resume and --weight "
        "find the canary's own.", show_default=False)] = None,
    release: Annotated[Release | None, typer.Option(
        "--release", help="The kind of version bump; hotfix may skip staging (needs --notes).",
        show_default=False)] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Release notes for the package.",
                                              show_default=False)] = None,
    name: Annotated[str | None, typer.Option(
        "--name", help="Name the release (e.g. Production-Release-Jan2024); rollback --to "
        "takes it.", show_default=False)] = None,
    canary: Annotated[str | None, typer.Option(
        "--canary", help="Gradual rollout weights, e.g. 10,25,50,100.", show_default=False)] = None,
    health_cmd: Annotated[str | None, typer.Option(
        "--health-cmd", help="Shell command run between canary steps (without --canary: once, "
        "after the switch); non-zero exit or timeout rolls back. Gets PUBFLOW_PATTERN, "
        "PUBFLOW_VERSION, PUBFLOW_ENVIRONMENT, PUBFLOW_WEIGHT.",
        show_default=False)] = None,
    health_timeout: Annotated[float, typer.Option(
        "--health-timeout", help="Seconds before a health check counts as failed.")] = 300.0,
    hold: Annotated[bool, typer.Option(
        "--hold", help="Stop at the last --canary weight with both versions live (A/B); "
        "then --resume, --weight N or rollback.")] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Go on from a held canary (to 100 %, or through --canary).")] = False,
    weight: Annotated[int | None, typer.Option(
        "--weight", help="Set a held canary's share of traffic (1-99) and keep holding.",
        show_default=False)] = None,
    watch: Annotated[str | None, typer.Option(
        "--watch", help="Keep running --health-cmd for this long after the last step (e.g. "
        "10m); the first failure rolls back.", show_default=False)] = None,
    watch_interval: Annotated[float, typer.Option(
        "--watch-interval", help="Seconds between the checks of --watch.")] = 30.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the gates, print the plan, "
                                                            "write nothing.")] = False,
    output_format: Annotated[TextOrJson, typer.Option("--format", "-f",
                                                      help="Output format.")] = TextOrJson.text,
) -> None:
    """Promote an approved ticket's pattern to an environment.

    Gates, a deterministic package, smoke checks, one commit and an annotated tag.

    Production takes only a ticket staged in the environment before it (`environments` in
    pubflow.yaml), unless it is a hotfix with notes. Every refusal names its gate (exit 1).

    --health-cmd without --canary runs the check once after the switch, as a one-step canary
    at 100 %: on a non-zero exit or a timeout the stable version comes back, the ticket is
    rolled_back and the exit status is 1.

    Examples:

      pubflow promote PUB-2026-001 --to staging --release minor --notes "SLA step"

      pubflow promote PUB-2026-001 --to production --canary 10,25,50,100 \\
          --health-cmd ./check.sh

      pubflow promote PUB-2026-001 --to production --health-cmd ./check.sh \\
          --watch 10m

      pubflow promote PUB-2026-001 --to production --canary 10,50 --hold

      pubflow promote PUB-2026-001 --resume
    """
    from pubflow.release.promote import PromoteRequest
    from pubflow.release.promote import promote as run_promote

    config, now = repo_context()
    request = PromoteRequest(ticket_id, to or "", release.value if release else None, notes,
                             _weights(canary), health_cmd, health_timeout, dry_run, name,
                             hold=hold, resume=resume, weight=weight,
                             watch=_duration(watch, "--watch"), watch_interval=watch_interval)
    actor = _dry_run_actor(config) if dry_run else acting_actor(config)
    result = run_promote(config, request, actor, now,
                         _progress if output_format == "text" else None)
    report_deliveries(result.deliveries)
    if output_format == "json":
        write_output(json.dumps(_result_json(result), indent=2) + "\n", None)
    else:
        # Health-check output, notes and reasons are anyone's text: no escape sequences.
        write_output(printable(_result_text(result, dry_run), keep_newlines=True), None)
    if result.failed_health is not None or (
            result.watch is not None and result.watch.result != "passed"):
        raise typer.Exit(EXIT_FINDINGS)


def _progress(text: str) -> None:
    sys.stderr.write(f"pubflow: {printable(text)}\n")


def _result_text(result: PromoteResult, dry_run: bool) -> str:
    lines = []
    if result.recovered:
        lines.append(f"pubflow: {result.recovered}")
    if result.noop:
        lines.append(result.noop)
        if result.watch is not None:
            lines.append(result.watch.detail)
            failed = result.watch.failed
            if failed is not None:
                lines += [f"  {line}" for line in failed.output.rstrip().splitlines()[-40:]]
        return "\n".join(lines) + "\n"
    plan = result.plan
    assert plan is not None
    if dry_run:
        lines.append(f"plan: {plan.message}")
        lines += [f"  gate {name}: ok ({detail})" for name, detail in plan.gates]
        lines.append(f"  ticket {plan.ticket} -> {plan.ticket_to}; tag {plan.tag}")
        lines += [f"  write {name}" for name in plan.files]
        lines.append("dry run: nothing was written")
        return "\n".join(lines) + "\n"
    health = result.failed_health
    if health is not None:
        during = "during the canary of" if plan.canary != (100,) else "after switching to"
        lines.append(f"health check failed ({health.summary()}) {during} "
                     f"{plan.pattern} {plan.version} in {plan.environment}:")
        lines += [f"  {line}" for line in health.output.rstrip().splitlines()[-40:]]
        back = (f"rolled back to {plan.previous}" if plan.previous else
                f"{plan.pattern} taken out of {plan.environment} again (no earlier version)")
        lines.append(f"{back}; {plan.ticket} is rolled_back "
                     f"(commit {(result.rollback_commit or '')[:10]})")
        return "\n".join(lines) + "\n"
    named = f" as {plan.name}" if plan.name else ""
    if plan.hold:
        weight = plan.canary[-1] if plan.canary else "?"
        rest = (f"{plan.previous} takes the rest" if plan.previous
                else "the rest sees nothing of it")
        lines.append(f"canary {plan.pattern} {plan.version} held at {weight}% in "
                     f"{plan.environment} ({rest}); commit {result.commits[-1][:10]}")
        lines.append(f"  go on: pubflow promote {plan.ticket} --resume; change: --weight N; "
                     f"end: pubflow rollback {plan.pattern} --env {plan.environment}")
    else:
        lines.append(f"{plan.pattern} {plan.version} is live in {plan.environment}{named} "
                     f"({plan.release}, {plan.ticket} {plan.ticket_to}); tag {plan.tag}; "
                     f"commit {result.commits[-1][:10]}")
    if result.checks and "score" in result.checks[-1]:
        lines.append(f"  health score {result.checks[-1]['score']} at "
                     f"{result.checks[-1]['weight']}%")
    if result.watch is not None:
        lines.append(result.watch.detail)
        failed = result.watch.failed
        if failed is not None:
            lines += [f"  {line}" for line in failed.output.rstrip().splitlines()[-40:]]
    return "\n".join(lines) + "\n"


def _plan_json(plan: PromotePlan) -> dict[str, Any]:
    return {"ticket": plan.ticket, "pattern": plan.pattern, "version": plan.version,
            "environment": plan.environment, "release": plan.release,
            "previous": plan.previous, "package": plan.package, "ticketTo": plan.ticket_to,
            "tag": plan.tag, "canary": list(plan.canary), "files": plan.files,
            "name": plan.name, "hold": plan.hold,
            "gates": [{"gate": n, "detail": d} for n, d in plan.gates]}


def _result_json(result: PromoteResult) -> dict[str, Any]:
    health = result.failed_health
    return {
        "plan": None if result.plan is None else _plan_json(result.plan),
        "noop": result.noop, "recovered": result.recovered, "commits": result.commits,
        "healthCheck": None if health is None else {
            "exitCode": health.exit_code, "timedOut": health.timed_out, "output": health.output,
            "problem": health.problem,
            "score": None if health.score is None else health.score.to_json()},
        "rollbackCommit": result.rollback_commit,
        "checks": result.checks,
        "watch": None if result.watch is None else result.watch.to_json(),
    }


@handle_errors
def rollback(
    pattern: Annotated[str, typer.Argument(help="Pattern id.", metavar="PATTERN",
                                           show_default=False)],
    env: Annotated[str, typer.Option("--env", help="The environment to roll back in.",
                                     show_default=False)],
    to: Annotated[str | None, typer.Option(
        "--to", help="The version (or the release name) to go to (default: the previous "
        "release).",
        show_default=False)] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why; recorded everywhere.",
                                               show_default=False)] = None,
    depublish: Annotated[bool, typer.Option(
        "--depublish", help="Take the pattern out of the environment and its catalog.")] = False,
) -> None:
    """Go back to the previous (or a named) release after verifying its package, or depublish.

    A canary under way goes back to its stable version.

    Examples:

      pubflow rollback incident-escalation --env production --reason "step 3"

      pubflow rollback incident-escalation --env production --to 1.0.0 \\
          --reason "audit"

      pubflow rollback incident-escalation --env staging --depublish \\
          --reason "withdrawn"
    """
    from pubflow.release.rollback import rollback as run_rollback

    if depublish and to:
        raise UsageError("--depublish takes the pattern out; it cannot be combined with --to")
    config, now = repo_context()
    result = run_rollback(config, pattern, env, to, reason, depublish, acting_actor(config), now)
    report_deliveries(result.deliveries)
    lines = [f"pubflow: {result.recovered}"] if result.recovered else []
    if result.to_version is None:
        lines.append(f"{pattern} {result.from_version} was taken out of {env} "
                     f"(commit {result.commit[:10]})")
    else:
        lines.append(f"{pattern} in {env}: {result.from_version} -> {result.to_version} "
                     f"(commit {result.commit[:10]})")
    lines += [f"warning: {warning}" for warning in result.warnings]
    write_output(printable("\n".join(lines), keep_newlines=True) + "\n", None)


def _dry_run_actor(config: Config) -> str:
    """Who a dry run checks the promoter gate for: the actor when one is known."""
    try:
        return acting_actor(config, commits=False)
    except UsageError as exc:
        if "control characters" in exc.message:
            raise
        return "dry-run"
