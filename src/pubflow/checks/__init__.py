"""The registries of checks, in the order their findings are reported.

`PATTERN_CHECKS` run on each file on its own (in worker processes for big runs);
`FOLDER_CHECKS` run once per validation run, over what it kept of every file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pubflow.checks.diagrams import DiagramCheck
from pubflow.checks.links import LinkCheck
from pubflow.checks.locked import TicketLockCheck
from pubflow.checks.online import OnlineLinkCheck
from pubflow.checks.repository import CrossFileCheck, IdMatchesFileCheck
from pubflow.checks.schema import SchemaCheck
from pubflow.checks.scorecard import ScorecardCheck

if TYPE_CHECKING:
    from pubflow.checks.base import FolderCheck, PatternCheck

PATTERN_CHECKS: tuple[PatternCheck, ...] = (
    SchemaCheck(),
    IdMatchesFileCheck(),
    ScorecardCheck(),
    DiagramCheck(),
)
FOLDER_CHECKS: tuple[FolderCheck, ...] = (
    CrossFileCheck(),
    LinkCheck(),
    OnlineLinkCheck(),
    TicketLockCheck(),
)

__all__ = ["FOLDER_CHECKS", "PATTERN_CHECKS"]
