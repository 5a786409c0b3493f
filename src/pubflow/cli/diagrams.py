"""`pubflow diagrams`: counts and budget verdicts for every sequence diagram."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pubflow.cli.common import Paths, Quiet, Verbose, handle_errors, make_console
from pubflow.cli.validate import PatternsDirOnly, in_patterns_dir
from pubflow.errors import EXIT_FINDINGS, EXIT_OK, UsageError

if TYPE_CHECKING:
    from pubflow.config import DiagramBudgets
    from pubflow.diagrams.lint import DiagramResult


class DiagramFormat(enum.StrEnum):
    text = "text"
    json = "json"
    svg = "svg"


@handle_errors
def diagrams(
    paths: Paths = None,
    output_format: Annotated[DiagramFormat, typer.Option(
        "--format", "-f", help="Output format.")] = DiagramFormat.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="The folder for --format svg (one .svg per diagram).",
        show_default=False, file_okay=False)] = None,
    patterns_dir_only: PatternsDirOnly = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Parse every Mermaid sequence diagram and measure it against the budgets.

    Takes pattern files (both diagram fields) and plain .mmd files; a folder means every
    .json and .mmd file in it. Exit 1 when a diagram does not parse or exceeds a budget.

    Examples:

      pubflow diagrams

      pubflow diagrams docs/flow.mmd patterns/incident-escalation.json -f json

      pubflow diagrams --format svg --output build/diagrams
    """
    from pubflow.config import find_root, load_config
    from pubflow.diagrams.lint import DIAGRAM_SUFFIXES, lint_targets
    from pubflow.storage.discovery import collect_targets

    if output_format is DiagramFormat.svg and output is None:
        raise UsageError("--format svg needs --output DIR (one .svg file per diagram)")
    config = load_config(find_root(Path.cwd()))
    if patterns_dir_only:
        paths = in_patterns_dir(paths, config, DIAGRAM_SUFFIXES, quiet=quiet)
    targets = collect_targets(paths or (config.patterns_path,), config.root,
                              suffixes=DIAGRAM_SUFFIXES,
                              what="pattern files (*.json) or diagrams (*.mmd)")
    results = lint_targets(targets, config)
    if output_format is DiagramFormat.svg and output is not None:
        _write_svgs(results, output, quiet=quiet)
    elif output_format is DiagramFormat.json:
        payload = {"schemaVersion": 1, "diagrams": [r.to_dict() for r in results]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        _print(results, config.diagrams, quiet=quiet, verbose=verbose)
    raise typer.Exit(EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS)


def _write_svgs(results: list[DiagramResult], folder: Path, *, quiet: bool) -> None:
    """Each diagram drawn by pubflow (`diagrams.render`): the same SVG the review page shows;
    one that does not parse is drawn as its error."""
    from pubflow.cli.terminal import write_output
    from pubflow.diagrams.lint import svg_name
    from pubflow.diagrams.render import render_svg

    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for result in results:
        if result.source is None:
            continue
        name = svg_name(result)
        stem, number = name[: -len(".svg")], 1
        while name in taken:  # two files of the same name in different folders
            number += 1
            name = f"{stem}-{number}.svg"
        taken.add(name)
        write_output(render_svg(result.source, on_error="draw"), folder / name)
        if not quiet:
            sys.stdout.write(f"{folder / name}\n")


def _print(results: list[DiagramResult], budgets: DiagramBudgets, *, quiet: bool,
           verbose: bool) -> None:
    from rich.markup import escape

    from pubflow.cli.tables import Col, print_table

    console = make_console()
    columns = [Col("measure"), Col("count", keep=True, justify="right"),
               Col("budget", keep=True, justify="right"), Col("verdict")]
    for r in results:
        if quiet and r.ok:
            continue
        where = f"{r.file} {r.field}" if r.field else r.file
        if not r.parsed:
            for e in r.errors:
                console.print(f"[bold]{r.file}:{e.file_line}:{e.file_column}:[/bold] "
                              f"[red]error[{e.rule}][/red] {r.title}: line {e.line}: ",
                              end="")
                console.print(e.message, markup=False)
            continue
        rows = [
            ("actors", r.actors or 0, budgets.max_actors),
            ("steps", r.steps or 0, budgets.max_steps),
            ("alt blocks", r.alt_blocks or 0, budgets.max_alt_blocks),
        ]
        cells = [[name, str(count), str(limit),
                  "[green]ok[/green]" if count <= limit else "[red]over budget[/red]"]
                 for name, count, limit in rows]
        nested_ok = not r.nested_alt or budgets.allow_nested_alt
        cells.append(["nested alt", "yes" if r.nested_alt else "no",
                      "allowed" if budgets.allow_nested_alt else "none",
                      "[green]ok[/green]" if nested_ok else "[red]not allowed[/red]"])
        print_table(console, escape(where), columns, cells)
        for v in r.violations:
            console.print(f"  {v.message}", style="red", markup=False)
        if verbose and r.actor_ids:
            console.print(f"  actors: {', '.join(r.actor_ids)}", markup=False)
    if not quiet:
        bad = sum(1 for r in results if not r.ok)
        console.print(f"{len(results)} diagram(s): {len(results) - bad} ok, {bad} with problems")
