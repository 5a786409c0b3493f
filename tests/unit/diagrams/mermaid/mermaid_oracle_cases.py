"""Load the oracle-labelled diagrams and compare the parser with Mermaid's answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pubflow.diagrams.mermaid import MermaidError, SequenceDiagram, parse_sequence_diagram

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "mermaid"

CORPORA = {
    # name: (diagrams file, expected file)
    "shared_corpus": ("corpus.json", "expected.json"),
    "corpus_seed777": ("corpus_seed777.json", "corpus_seed777_expected.json"),
    "surprises": ("surprises.json", "surprises_expected.json"),
    "handmade": ("handmade.json", "handmade_expected.json"),
    "fuzz": ("fuzz.json", "fuzz_expected.json"),
    "plain": ("plain.json", "plain_expected.json"),
}

_DEFAULTS: dict[str, Any] = {
    "notes": 0,
    "alt_blocks": 0,
    "max_alt_depth": 0,
    "alt_nested": False,
    "max_block_depth": 0,
    "blocks": {},
    "sections": {},
    "activations": 0,
    "deactivations": 0,
    "autonumber": 0,
    "boxes": 0,
    "created": [],
    "destroyed": [],
    "title": None,
    "acc_title": None,
    "acc_descr": None,
}
_ENTITY = re.compile(r"#\w+;", re.ASCII)


def load_corpus(name: str) -> tuple[list[str], list[dict[str, Any]]]:
    diagrams_file, expected_file = CORPORA[name]
    diagrams = json.loads((DATA_DIR / diagrams_file).read_text(encoding="utf-8"))
    expected = json.loads((DATA_DIR / expected_file).read_text(encoding="utf-8"))
    assert len(diagrams) == len(expected)
    return diagrams, expected


def with_defaults(record: dict[str, Any]) -> dict[str, Any]:
    """Fill in the fields the data files leave out when they have their default value."""
    if not record["ok"]:
        return record
    full = {**_DEFAULTS, **record}
    full.setdefault("actor_labels", list(full["actor_ids"]))
    full.setdefault("actor_types", ["participant"] * full["actors"])
    # Mermaid keeps a non-string "type" from @{...} as is; the model stores text.
    full["actor_types"] = [t if isinstance(t, str) else json.dumps(t) for t in full["actor_types"]]
    return full


def mermaid_encoded(text: str) -> str:
    """Mermaid's ``encodeEntities``: how entity codes appear in its ids and labels."""

    def encode(match: re.Match[str]) -> str:
        inner = match.group()[1:-1]
        prefix = "\ufb02\xb0\xb0" if re.fullmatch(r"\+?\d+", inner) else "\ufb02\xb0"
        return prefix + inner + "\xb6\xdf"

    return _ENTITY.sub(encode, text)


def summarize(diagram: SequenceDiagram) -> dict[str, Any]:
    """The model's counts in the oracle's terms."""
    blocks: dict[str, int] = {}
    sections: dict[str, int] = {}
    for block, _ in diagram.iter_blocks():
        blocks[block.kind] = blocks.get(block.kind, 0) + 1
        for section in block.sections:
            sections[section.keyword] = sections.get(section.keyword, 0) + 1
    arrows: dict[str, int] = {}
    for message in diagram.messages:
        arrows[message.line_type] = arrows.get(message.line_type, 0) + 1
    return {
        "ok": True,
        "actors": diagram.actor_count,
        "actor_ids": [mermaid_encoded(actor_id) for actor_id in diagram.actor_ids],
        "messages": diagram.step_count,
        "notes": len(diagram.notes),
        "alt_blocks": diagram.alt_blocks,
        "max_alt_depth": diagram.max_alt_depth,
        "alt_nested": diagram.nested_alt,
        "max_block_depth": diagram.max_block_depth,
        "blocks": blocks,
        "sections": sections,
        "activations": sum(1 for change in diagram.activations if change.activate),
        "deactivations": sum(1 for change in diagram.activations if not change.activate),
        "autonumber": len(diagram.autonumbers),
        "boxes": len(diagram.boxes),
        "created": [mermaid_encoded(actor_id) for actor_id in diagram.created],
        "destroyed": [mermaid_encoded(actor_id) for actor_id in diagram.destroyed],
        "actor_types": [actor.type for actor in diagram.actors],
        "actor_labels": [mermaid_encoded(actor.label) for actor in diagram.actors],
        "arrows": arrows,
    }


def expected_kind(record: dict[str, Any], error: MermaidError) -> str:
    """The error kind the parser should give for a diagram the oracle rejected.

    The oracle calls everything that is not a jison or detection error ``db_error``;
    two of those are not SequenceDB rules and get clearer kinds here: an unclosed
    ``---`` front matter (``no_diagram_type``) and invalid front-matter YAML
    (``parse_error``). For another diagram type the oracle reports what that
    diagram's own parser said, which is ``wrong_diagram_type`` here.
    """
    message = record.get("error") or ""
    if message.startswith("Diagrams beginning with ---"):
        return "no_diagram_type"
    if error.kind == "wrong_diagram_type":
        return "wrong_diagram_type"
    if record["error_type"] == "db_error" and "front matter" in error.message:
        return "parse_error"
    return str(record["error_type"])


_TEXT_FIELDS = ("title", "acc_title", "acc_descr")


def disagreements(text: str, record: dict[str, Any]) -> list[str]:
    """What the parser says differently from Mermaid about ``text`` (empty: agreement)."""
    expected = with_defaults(record)
    try:
        diagram = parse_sequence_diagram(text)
    except MermaidError as error:
        if expected["ok"]:
            return [f"rejected ({error.kind}: {error}) but Mermaid accepts it"]
        kind = expected_kind(expected, error)
        if error.kind != kind:
            return [f"error kind {error.kind!r}, expected {kind!r} ({expected.get('error')})"]
        return []
    if not expected["ok"]:
        return [f"accepted but Mermaid rejects it: {expected['error_type']}: {expected['error']}"]
    actual = summarize(diagram)
    problems = [
        f"{field}: {actual[field]!r} != Mermaid's {expected[field]!r}"
        for field in actual
        if actual[field] != expected[field]
    ]
    for field in _TEXT_FIELDS:
        mine = getattr(diagram, field)
        theirs = expected[field]
        # Mermaid sanitizes HTML in these texts; compare only plain ones.
        plain = theirs is None or not re.search(r"[<>&]", theirs)
        if plain and (mine or "").strip() != (theirs or "").strip():
            problems.append(f"{field}: {mine!r} != Mermaid's {theirs!r}")
    return problems
