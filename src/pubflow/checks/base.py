"""The one small interface every pattern check implements.

A check looks at a parsed document and returns `Issue`s: what is wrong and at which JSON
pointer. Turning a pointer into a line and column is the runner's job, and it only does it
when there is something to report, so files that pass never pay for position tracking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pubflow.config import Config
from pubflow.findings import Severity


@dataclass(frozen=True, slots=True)
class Issue:
    """A finding that does not yet know its line and column."""

    pointer: str
    rule: str
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR
    at_key: bool = False
    """Point at the member name rather than its value (unknown fields)."""
    line_in_string: int | None = None
    """A 1-based line inside the string value at `pointer` (diagram errors)."""


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know besides the document itself."""

    config: Config
    file_stem: str
    derived: dict[str, Any] = field(default_factory=dict)
    """What a check worked out that the runner also reports (the scorecard's total), so it
    is not worked out twice."""


if TYPE_CHECKING:  # a Protocol class costs a millisecond to create at every start
    from typing import Protocol

    class PatternCheck(Protocol):
        """A check of one pattern document; `name` shows up in `--verbose` output."""

        name: str

        def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]: ...
