"""`pubflow score`: the HQO scorecard of each pattern as a table (or JSON)."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pubflow.cli.common import Paths, Quiet, Verbose, handle_errors, make_console
from pubflow.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from pubflow.validation.scoring import PatternScore


class ScoreFormat(enum.StrEnum):
    text = "text"
    json = "json"


@handle_errors
def score(
    paths: Paths = None,
    output_format: Annotated[ScoreFormat, typer.Option("--format", "-f",
                                                       help="Output format.")] = ScoreFormat.text,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Show the 8-dimension HQO scorecard of each pattern against the thresholds.

    Exit 0 when every scorecard passes (each dimension >= 3, total >= 30), 1 otherwise.

    Examples:

      pubflow score

      pubflow score patterns/incident-escalation.json --format json
    """
    from pubflow.config import find_root, load_config
    from pubflow.storage.discovery import collect_targets
    from pubflow.validation.scoring import score_targets

    config = load_config(find_root(Path.cwd()))
    targets = collect_targets(paths or (config.patterns_path,), config.root)
    results = score_targets(targets, config)
    if output_format is ScoreFormat.json:
        sys.stdout.write(json.dumps(_as_json(results, config), indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(results, quiet=quiet, verbose=verbose)
    raise typer.Exit(EXIT_OK if all(r.passed for r in results) else EXIT_FINDINGS)


def _as_json(results: list[PatternScore], config: Any) -> dict[str, Any]:
    t = config.scorecard
    return {
        "schemaVersion": 1,
        "thresholds": {"dimensionMin": t.dimension_min, "totalMin": t.total_min,
                       "marginalMax": t.marginal_max},
        "patterns": [r.to_dict() for r in results],
    }


def _print_table(results: list[PatternScore], *, quiet: bool, verbose: bool) -> None:
    from pubflow.checks.scorecard import DIMENSIONS, MAX_TOTAL
    from pubflow.cli.tables import Col, print_table
    from pubflow.cli.terminal import shown as safe

    console = make_console()
    shown = [r for r in results if not quiet or not r.passed or r.marginal]
    if not shown:
        return
    columns = [Col("pattern", keep=True),
               *(Col(dimension, keep=True, justify="right") for dimension in DIMENSIONS),
               Col("total", keep=True, justify="right"), Col("verdict")]
    rows = []
    for r in shown:
        label = safe(r.label)
        if r.scores is None:
            rows.append([label, *["–"] * len(DIMENSIONS), "–",
                         f"[red]{safe(r.problem or '')}[/red]"])
            continue
        cells = [
            f"[red]{s}[/red]" if dim in r.weak else str(s)
            for dim, s in r.scores.items()
        ]
        verdict = ("[red]fail[/red]" if not r.passed
                   else "[yellow]marginal (priority review)[/yellow]" if r.marginal
                   else "[green]pass[/green]")
        rows.append([label, *cells, f"{r.total}/{MAX_TOTAL}", verdict])
    print_table(console, "HQO scorecard", columns, rows)
    if verbose or not quiet:
        failed = sum(1 for r in results if not r.passed)
        marginal = sum(1 for r in results if r.marginal)
        console.print(f"{len(results)} pattern(s): {len(results) - failed} pass, {failed} fail, "
                      f"{marginal} marginal")
    if verbose:
        for r in results:
            for message in r.messages:
                console.print(f"{r.file}: {message}", markup=False)
