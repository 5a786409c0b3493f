"""The registry of pattern checks, in the order their findings are reported."""

from __future__ import annotations

from pubflow.checks.base import CheckContext, Issue, PatternCheck
from pubflow.checks.diagrams import DiagramCheck
from pubflow.checks.repository import IdMatchesFileCheck
from pubflow.checks.schema import SchemaCheck
from pubflow.checks.scorecard import ScorecardCheck

PATTERN_CHECKS: tuple[PatternCheck, ...] = (
    SchemaCheck(),
    IdMatchesFileCheck(),
    ScorecardCheck(),
    DiagramCheck(),
)

__all__ = ["PATTERN_CHECKS", "CheckContext", "Issue", "PatternCheck"]
