"""`pubflow env ...`: environments side by side."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pubflow.cli.common import TextOrJson, handle_errors, make_console, repo_context
from pubflow.cli.terminal import shown, write_output
from pubflow.errors import EXIT_FINDINGS

env_app = typer.Typer(name="env", no_args_is_help=True,
                      help="Environments side by side: what runs where.")


@env_app.command("diff")
@handle_errors
def diff(
    a: Annotated[str, typer.Argument(help="The environment compared from (e.g. staging).",
                                     metavar="ENV_A", show_default=False)],
    b: Annotated[str, typer.Argument(help="The environment compared to (e.g. production).",
                                     metavar="ENV_B", show_default=False)],
    output_format: Annotated[TextOrJson, typer.Option("--format", "-f",
                                                      help="Output format.")] = TextOrJson.text,
) -> None:
    """Per pattern, what is live in each environment (version, digest, ticket, canary and
    weight, release name), what is only in one, and whether B is behind A. Exit 1 when
    they differ (for scripts), 0 when they run the same.

    Examples:

      pubflow env diff staging production

      pubflow env diff staging production --format json
    """
    from pubflow.records.environments import check_environment_name
    from pubflow.release.envdiff import env_diff

    config, _now = repo_context()
    for name in (a, b):
        check_environment_name(name, config.environments)
    found = env_diff(config.root, a, b)
    differing = [d for d in found if not d.same]
    if output_format is TextOrJson.json:
        write_output(json.dumps({"a": a, "b": b, "same": not differing,
                                 "patterns": [d.to_json() for d in found]}, indent=2) + "\n",
                     None)
    else:
        from pubflow.cli.tables import Col, print_table

        console = make_console()
        rows = [[shown(d.pattern), shown(d.a.shown() if d.a else "-"),
                 shown(d.b.shown() if d.b else "-"), shown(d.status)] for d in found]
        title = (f"{a} and {b} run the same {len(found)} pattern(s)" if not differing else
                 f"{a} and {b}: {len(differing)} of {len(found)} pattern(s) differ")
        print_table(console, title, [Col("pattern", keep=True), Col(a, keep=True),
                                     Col(b, keep=True), Col("status")], rows)
    if differing:
        raise typer.Exit(EXIT_FINDINGS)
