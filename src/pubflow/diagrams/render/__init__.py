"""Mermaid sequence diagrams drawn by pubflow itself, as self-contained SVG.

No browser, no Node, no script in the output and nothing fetched: the SVG is built from the
model of :mod:`pubflow.diagrams.mermaid`, so what the review page shows is what the parser and
the budgets counted. The same input gives the same bytes. The SVG uses presentation
attributes only (no ``<style>``, no ``id``), so several of them can sit in one HTML page;
classes start with ``pf-`` for a page's own CSS and for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram
from pubflow.diagrams.render._text import wrap, xml_text

if TYPE_CHECKING:
    from pubflow.diagrams.mermaid.model import SequenceDiagram

__all__ = ["MermaidError", "error_svg", "render_sequence_svg", "render_svg"]


def render_sequence_svg(diagram: SequenceDiagram) -> str:
    """The SVG document (one ``<svg>`` element and a final newline) of a parsed diagram."""
    from pubflow.diagrams.render._sequence import SequenceRenderer

    return SequenceRenderer(diagram).render()


def render_svg(source: str, *, on_error: Literal["raise", "draw"] = "raise") -> str:
    """Parse Mermaid ``source`` and draw it.

    A diagram Mermaid would reject raises :class:`MermaidError` (with ``line``, ``column``
    and ``message``); with ``on_error="draw"`` it becomes an SVG that shows the error instead.
    """
    try:
        diagram = parse_sequence_diagram(source)
    except MermaidError as error:
        if on_error == "draw":
            return error_svg(error)
        raise
    return render_sequence_svg(diagram)


def error_svg(error: MermaidError | str) -> str:
    """A small SVG saying why a diagram cannot be drawn (for pages that show every diagram)."""
    text = str(error)
    lines = ["This diagram cannot be drawn:", *wrap(text, 520, max_lines=6)]
    height = 24 + 18 * len(lines)
    bold = ' font-weight="bold"'
    spans = "".join(
        f'<tspan x="16" y="{28 + 18 * i}"{bold if i == 0 else ""}>{xml_text(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pf-sequence pf-error" '
        f'viewBox="0 0 560 {height}" width="560" height="{height}" role="img" '
        f'font-family="Arial, Helvetica, sans-serif" font-size="13">'
        f"<title>{xml_text('Diagram error: ' + text)}</title>"
        f'<rect x="1" y="1" width="558" height="{height - 2}" rx="4" fill="#fff0f0" '
        f'stroke="#cc3333"/><text class="pf-error-text" fill="#991111">{spans}</text></svg>\n'
    )
