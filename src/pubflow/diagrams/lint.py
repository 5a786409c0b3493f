"""`diagrams`' core: every sequence diagram in pattern files and `.mmd` files, parsed and
measured against the budgets. Returns data; the CLI prints it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubflow.config import Config
from pubflow.diagrams.budgets import DIAGRAM_FIELDS, budget_issues
from pubflow.storage.discovery import Target
from pubflow.storage.jsonsource import JsonDocument, LoadFailure, load_json_file

DIAGRAM_SUFFIXES = (".json", ".mmd")


@dataclass(frozen=True, slots=True)
class DiagramProblem:
    """A parse error or a budget violation, placed both in the diagram and in the file."""

    line: int
    """1-based line inside the diagram (the file line for `.mmd` files)."""
    message: str
    rule: str
    file_line: int
    file_column: int

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "rule": self.rule,
                "fileLine": self.file_line, "fileColumn": self.file_column}


@dataclass(frozen=True, slots=True)
class DiagramResult:
    file: str
    field: str | None
    title: str
    parsed: bool
    actors: int | None = None
    steps: int | None = None
    alt_blocks: int | None = None
    nested_alt: bool | None = None
    max_alt_depth: int | None = None
    actor_ids: tuple[str, ...] = ()
    errors: tuple[DiagramProblem, ...] = ()
    violations: tuple[DiagramProblem, ...] = ()
    source: str | None = dataclasses.field(default=None, repr=False, compare=False)
    """The diagram's text (None when it could not be read), for `--format svg`."""

    @property
    def ok(self) -> bool:
        return self.parsed and not self.errors and not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "field": self.field,
            "parsed": self.parsed,
            "actors": self.actors,
            "steps": self.steps,
            "altBlocks": self.alt_blocks,
            "nestedAlt": self.nested_alt,
            "maxAltDepth": self.max_alt_depth,
            "actorIds": list(self.actor_ids),
            "withinBudget": self.parsed and not self.violations,
            "errors": [e.to_dict() for e in self.errors],
            "violations": [v.to_dict() for v in self.violations],
        }


def svg_name(result: DiagramResult) -> str:
    """The file `pubflow diagrams --format svg` writes a diagram to: `<name>.svg` for a
    .mmd file, `<pattern>.<field>.svg` for a pattern's diagram field."""
    stem = Path(result.file).name.rsplit(".", 1)[0]
    return f"{stem}.{result.field}.svg" if result.field else f"{stem}.svg"


def lint_targets(targets: list[Target], config: Config) -> list[DiagramResult]:
    results: list[DiagramResult] = []
    for target in targets:
        if target.outside_repo:
            results.append(_unreadable(target.display, None, "file resolves outside the "
                                       "repository; it was not read", "file.outside-repo"))
        elif target.path.suffix == ".mmd":
            results.append(_lint_mmd(target, config))
        else:
            results.extend(_lint_pattern(target, config))
    return results


def _unreadable(file: str, field: str | None, message: str, rule: str, line: int = 1,
                column: int = 1) -> DiagramResult:
    problem = DiagramProblem(line, message, rule, line, column)
    return DiagramResult(file, field, field or file, False, errors=(problem,))


def _lint_mmd(target: Target, config: Config) -> DiagramResult:
    try:
        raw = target.path.read_bytes()
    except OSError as exc:
        return _unreadable(target.display, None, f"cannot read file: {exc.strerror}",
                           "file.unreadable")
    if len(raw) > config.max_file_bytes:
        return _unreadable(target.display, None, f"file is larger than the "
                           f"{config.max_file_bytes} byte limit", "file.too-large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _unreadable(target.display, None, "file is not valid UTF-8", "file.encoding", line)
    return _lint_text(text, target.display, None, Path(target.display).name, config,
                      lambda line: (line, 1))


def _lint_pattern(target: Target, config: Config) -> list[DiagramResult]:
    loaded = load_json_file(target.path, target.display, max_bytes=config.max_file_bytes)
    if isinstance(loaded, LoadFailure):
        first = loaded.findings[0]
        return [_unreadable(target.display, None, first.message, first.rule, first.line,
                            first.column)]
    doc: JsonDocument = loaded
    if not isinstance(doc.data, dict):
        return [_unreadable(target.display, None, "a pattern must be a JSON object",
                            "schema.type")]
    results = []
    for field, title in DIAGRAM_FIELDS.items():
        text = doc.data.get(field)
        pointer = f"/{field}"
        if not isinstance(text, str) or not text.strip():
            pos = doc.value_position(pointer)
            what = "missing" if text is None else ("empty" if isinstance(text, str)
                                                   else "not a string")
            results.append(_unreadable(target.display, field, f"{field} is {what}",
                                       "schema.required", pos.line, pos.column))
            continue

        def place(line: int, pointer: str = pointer) -> tuple[int, int]:
            pos = doc.string_line_position(pointer, line)
            return pos.line, pos.column

        results.append(_lint_text(text, target.display, field, title, config, place))
    return results


def _lint_text(text: str, file: str, field: str | None, title: str, config: Config,
               place: Any) -> DiagramResult:
    from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram

    try:
        diagram = parse_sequence_diagram(text)
    except MermaidError as exc:
        file_line, file_column = place(exc.line)
        problem = DiagramProblem(exc.line, exc.message, f"diagram.{exc.kind.replace('_', '-')}",
                                 file_line, file_column)
        return DiagramResult(file, field, title, False, errors=(problem,), source=text)
    first_line, first_column = place(1)
    violations = tuple(
        DiagramProblem(1, issue.message, issue.rule, first_line, first_column)
        for issue in budget_issues(diagram, title, "", config.diagrams)
    )
    return DiagramResult(file, field, title, True, diagram.actor_count, diagram.step_count,
                         diagram.alt_blocks, diagram.nested_alt, diagram.max_alt_depth,
                         diagram.actor_ids, (), violations, source=text)
