"""`pubflow.diagrams.render` on real diagrams: the example patterns, the parser's Mermaid
corpus (every diagram Mermaid accepts), and the same bytes in another process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram
from pubflow.diagrams.mermaid.model import SequenceDiagram
from pubflow.diagrams.render import render_sequence_svg, render_svg
from tests.conftest import EXAMPLES, PROJECT
from tests.unit.diagrams.test_svg import (
    assert_self_contained,
    classed,
    texts,
    view_box,
    x_coordinates,
)

DIAGRAM_FIELDS = ("asIsDiagramMermaid", "orchestratedDiagramMermaid")
CORPUS = PROJECT / "tests" / "data" / "mermaid"
PATTERNS = sorted((EXAMPLES / "repo" / "patterns").glob("*.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _with_diagrams(path: Path) -> bool:
    try:
        pattern = load(path)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(pattern, dict) and any(
        isinstance(pattern.get(field), str) for field in DIAGRAM_FIELDS)


INVALID = [p for p in sorted((EXAMPLES / "invalid").glob("*.json")) if _with_diagrams(p)]


def check_drawing(diagram: SequenceDiagram, svg: str) -> ET.Element:
    """What every drawing must satisfy, whatever the diagram."""
    assert_self_contained(svg)
    root = ET.fromstring(svg)
    assert len(classed(root, "pf-message")) == len(diagram.messages)
    assert sorted(str(el.get("data-id")) for el in classed(root, "pf-actor-top")) == sorted(
        diagram.actor_ids)
    assert len(classed(root, "pf-note")) == len(diagram.notes)
    blocks = [block for block, _ in diagram.iter_blocks()]
    assert len(classed(root, "pf-frame")) == sum(block.kind != "rect" for block in blocks)
    assert len(classed(root, "pf-rect")) == sum(block.kind == "rect" for block in blocks)
    assert len(classed(root, "pf-box")) == len(diagram.boxes)
    left, _, right, _ = view_box(root)
    assert all(left - 0.01 <= x <= right + 0.01 for x in x_coordinates(root))
    return root


@pytest.mark.parametrize("path", PATTERNS, ids=lambda p: p.stem)
def test_both_diagrams_of_each_example_pattern_render(path: Path) -> None:
    pattern = load(path)
    for field in DIAGRAM_FIELDS:
        source = pattern[field]
        diagram = parse_sequence_diagram(source)
        root = check_drawing(diagram, render_svg(source))
        labels = texts(root, "pf-actor-label")
        for actor in diagram.actors:
            assert actor.label.split()[0] in "\n".join(labels)
        assert texts(root, "pf-message-text")[0].replace("\n", " ") == diagram.messages[0].text


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_the_diagrams_of_invalid_examples_render_or_say_why(path: Path) -> None:
    pattern = load(path)
    for field in DIAGRAM_FIELDS:
        source = pattern.get(field)
        if not isinstance(source, str):
            continue
        try:
            diagram = parse_sequence_diagram(source)
        except MermaidError as error:
            with pytest.raises(MermaidError):
                render_svg(source)
            drawn = render_svg(source, on_error="draw")
            assert_self_contained(drawn)
            assert error.message.split("'")[0] in " ".join(
                texts(ET.fromstring(drawn), "pf-error-text")[0].split("\n"))
        else:
            check_drawing(diagram, render_sequence_svg(diagram))


def accepted(name: str, every: int = 1) -> list[tuple[int, SequenceDiagram]]:
    found = []
    for number, source in enumerate(load(CORPUS / name)):
        if number % every:
            continue
        try:
            found.append((number, parse_sequence_diagram(source)))
        except (MermaidError, RecursionError):
            continue
    return found


@pytest.mark.parametrize(("name", "every"), [
    ("handmade.json", 1), ("surprises.json", 1), ("fuzz.json", 1), ("corpus.json", 3),
    ("corpus_seed777.json", 5), ("plain.json", 5),
])
def test_every_diagram_mermaid_accepts_in_the_corpus_renders(name: str, every: int) -> None:
    diagrams = accepted(name, every)
    assert diagrams
    for number, diagram in diagrams:
        try:
            check_drawing(diagram, render_sequence_svg(diagram))
        except Exception as error:  # say which diagram
            raise AssertionError(f"{name}[{number}]: {error!r}") from error


def test_the_largest_corpus_diagram_renders_quickly() -> None:
    sources = [s for f in ("corpus.json", "corpus_seed777.json") for s in load(CORPUS / f)]
    largest = max(sources, key=len)
    render_svg(largest)
    started = time.perf_counter()
    svg = render_svg(largest)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.3f} s"
    check_drawing(parse_sequence_diagram(largest), svg)


_DIGEST = """
import hashlib, json, sys
from pubflow.diagrams.render import render_svg
digest = hashlib.sha256()
for source in json.loads(sys.stdin.read()):
    digest.update(render_svg(source, on_error="draw").encode())
print(digest.hexdigest())
"""


def test_the_same_sources_give_the_same_bytes_in_other_processes() -> None:
    sources = [load(path)[field] for path in PATTERNS for field in DIAGRAM_FIELDS]
    sources += load(CORPUS / "handmade.json")
    digests = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", _DIGEST], input=json.dumps(sources), capture_output=True,
            text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        digests.add(result.stdout.strip())
    here = hashlib.sha256()
    for source in sources:
        here.update(render_svg(source, on_error="draw").encode())
    digests.add(here.hexdigest())
    assert len(digests) == 1
