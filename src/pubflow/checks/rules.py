"""Every rule id pubflow reports, with the one-line description code-scanning tools show.

Rule ids are part of pubflow's interface (SARIF, JSON, JUnit, suppressions in CI), so they
are listed here in one place; a test checks that every rule a check can emit is described.
"""

from __future__ import annotations

RULE_DESCRIPTIONS: dict[str, str] = {
    "file.unreadable": "The file cannot be read.",
    "file.outside-repo": "The file resolves (through a symlink) outside the repository.",
    "file.too-large": "The diagram file is larger than the configured limit.",
    "file.encoding": "The diagram file is not UTF-8.",
    "json.syntax": "The file is not well-formed JSON.",
    "json.empty": "The file is empty.",
    "json.encoding": "The file is not UTF-8.",
    "json.too-large": "The file is larger than the configured limit for a pattern.",
    "json.too-deep": "The document is nested deeper than any pattern can be.",
    "schema.required": "A required pattern field is missing.",
    "schema.unknown-field": "A field that the pattern schema does not define (often a typo).",
    "schema.type": "A field has the wrong JSON type.",
    "schema.empty": "A section or item is empty or blank.",
    "schema.format": "A value does not have the required form (id, semver, email).",
    "schema.range": "A number is outside its allowed range.",
    "schema.minLength": "A text is shorter than allowed.",
    "schema.maxLength": "A text is longer than allowed.",
    "schema.minItems": "A list has too few items.",
    "schema.uniqueItems": "A list repeats an item.",
    "scorecard.dimension-min": "An HQO scorecard dimension is below the minimum.",
    "scorecard.total-min": "The HQO scorecard total is below the publication threshold.",
    "scorecard.marginal": "The HQO scorecard total is marginal: priority review.",
    "diagram.actor-budget": "A sequence diagram has more actors than the budget allows.",
    "diagram.step-budget": "A sequence diagram has more steps (messages) than the budget.",
    "diagram.alt-budget": "A sequence diagram has more alt blocks than the budget.",
    "diagram.nested-alt": "A sequence diagram nests an alt block inside another.",
    "diagram.parse-error": "A diagram is not valid Mermaid sequence-diagram syntax.",
    "diagram.lexical-error": "A diagram contains characters Mermaid cannot read.",
    "diagram.db-error": "A diagram breaks a Mermaid rule (create/destroy, activation, box).",
    "diagram.no-diagram-type": "A diagram has no Mermaid diagram header.",
    "diagram.wrong-diagram-type": "A diagram is a Mermaid diagram, but not a sequence diagram.",
    "repo.id-filename": "The pattern id differs from its file name.",
    "repo.duplicate-id": "Two pattern files share an id.",
    "repo.related-missing": "relatedPatterns names a pattern that does not exist.",
    "repo.related-self": "relatedPatterns names the pattern itself.",
    "links.missing": "A relative link or image in the Markdown names no file in the repository "
                     "(or leads out of it).",
    "links.broken": "An http(s) link or image answers 404 or 410 (`validate --online`).",
    "links.unreachable": "An http(s) link or image times out, cannot be reached or answers "
                         "another error (`validate --online`; a warning).",
    "links.anchor": "A link's #anchor names no heading of the Markdown file (or of the "
                    "pattern's own page) it points to.",
    "ticket.locked": "The pattern differs from the content pinned by its open ticket.",
}


def describe(rule: str) -> str | None:
    return RULE_DESCRIPTIONS.get(rule)
