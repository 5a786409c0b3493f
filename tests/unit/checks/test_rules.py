"""Every rule id that the source can emit is described for SARIF viewers."""

from __future__ import annotations

import re

from pubflow.checks.rules import RULE_DESCRIPTIONS
from tests.conftest import PROJECT


def test_every_emitted_rule_is_described() -> None:
    source = "\n".join(p.read_text() for p in (PROJECT / "src" / "pubflow").rglob("*.py"))
    literal = set(re.findall(r'"((?:json|file|schema|scorecard|diagram|repo|links)\.[a-z-]+)"', source))
    keywords = {f"schema.{k}" for k in ("minLength", "maxLength", "minItems", "uniqueItems")}
    mermaid_kinds = {"diagram.parse-error", "diagram.lexical-error", "diagram.db-error",
                     "diagram.no-diagram-type", "diagram.wrong-diagram-type"}
    emitted = literal | keywords | mermaid_kinds
    assert emitted - set(RULE_DESCRIPTIONS) == set()
