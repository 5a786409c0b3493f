"""The one exception type the Mermaid parser raises."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "no_diagram_type", "wrong_diagram_type", "parse_error", "lexical_error", "db_error"
]


class MermaidError(Exception):
    """A diagram Mermaid itself would reject, with where and why.

    ``kind`` mirrors the stage of Mermaid's pipeline that rejects the text:
    ``no_diagram_type`` (no known header), ``wrong_diagram_type`` (another diagram
    type, e.g. ``flowchart``), ``lexical_error`` / ``parse_error`` (the jison
    grammar) and ``db_error`` (SequenceDB rules: create/destroy, deactivation, boxes).
    ``line`` and ``column`` are 1-based and refer to the text the caller passed in.
    """

    line: int
    column: int
    kind: ErrorKind
    message: str

    def __init__(self, message: str, *, kind: ErrorKind, line: int, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"MermaidError({self.message!r}, kind={self.kind!r}, "
            f"line={self.line}, column={self.column})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only __init__ arguments need help to survive pickling (multiprocessing).
        return (_rebuild_error, (self.message, self.kind, self.line, self.column))


def _rebuild_error(message: str, kind: ErrorKind, line: int, column: int) -> MermaidError:
    return MermaidError(message, kind=kind, line=line, column=column)
