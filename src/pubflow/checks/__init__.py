"""The registry of pattern checks, in the order their findings are reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pubflow.checks.base import CheckContext, Issue
from pubflow.checks.diagrams import DiagramCheck
from pubflow.checks.repository import IdMatchesFileCheck
from pubflow.checks.schema import SchemaCheck
from pubflow.checks.scorecard import ScorecardCheck

if TYPE_CHECKING:
    from pubflow.checks.base import PatternCheck

PATTERN_CHECKS: tuple[PatternCheck, ...] = (
    SchemaCheck(),
    IdMatchesFileCheck(),
    ScorecardCheck(),
    DiagramCheck(),
)

__all__ = ["PATTERN_CHECKS", "CheckContext", "Issue"]
