"""The text helpers of `pubflow.diagrams.render`: escaping, measuring, wrapping, numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pubflow.diagrams.mermaid import parse_sequence_diagram
from pubflow.diagrams.render._events import BlockEnd, BlockStart, MessageEvent, NoteEvent, events
from pubflow.diagrams.render._sequence import arrow_style, safe_color
from pubflow.diagrams.render._text import js_number, num, text_width, wrap, xml_attr, xml_text


def test_xml_text_and_attributes_escape_markup_and_drop_forbidden_characters() -> None:
    assert xml_text("<a & b>") == "&lt;a &amp; b&gt;"
    assert xml_attr('say "hi"\n') == "say &quot;hi&quot;&#10;"
    hostile = "x\x00y\x1f\ud800z\ufffe"
    element = ET.fromstring(f'<t a="{xml_attr(hostile)}">{xml_text(hostile)}</t>')
    assert element.text == "x\ufffdy\ufffd\ufffdz\ufffd"


def test_widths_grow_with_the_text_and_wide_glyphs_count_more() -> None:
    assert text_width("") == 0
    assert text_width("iiii") < text_width("mmmm")
    assert text_width("abc") < text_width("abcd")
    assert text_width("\u6f22\u5b57") > text_width("ab")
    assert text_width("e\u0301") == text_width("e")  # a combining accent takes no room


def test_wrap_keeps_short_text_on_one_line() -> None:
    assert wrap("hello world", 200) == ["hello world"]
    assert wrap("", 200) == [""]
    assert wrap("   ", 200) == [""]


def test_wrap_breaks_at_words_and_keeps_every_word() -> None:
    text = "the quick brown fox jumps over the lazy dog " * 3
    lines = wrap(text, 100, max_lines=20)
    assert len(lines) > 1
    assert all(text_width(line) <= 100 for line in lines)
    assert " ".join(lines) == text.strip()


def test_wrap_cuts_a_word_longer_than_a_line() -> None:
    lines = wrap("x" * 200, 80, max_lines=20)
    assert all(text_width(line) <= 80 for line in lines)
    assert "".join(lines) == "x" * 200


def test_wrap_honours_mermaid_line_breaks() -> None:
    assert wrap("a<br>b<BR/>c<br />d", 300) == ["a", "b", "c", "d"]
    assert wrap("trailing<br>", 300) == ["trailing"]


def test_wrap_ends_with_an_ellipsis_beyond_the_line_limit() -> None:
    lines = wrap(" ".join(["word"] * 200), 100, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith("\u2026") and text_width(lines[-1]) <= 100
    assert wrap("<br>".join("abcdef"), 300, max_lines=2) == ["a", "b\u2026"]


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (1.0, "1"), (-0.001, "0"), (12.5, "12.5"), (1 / 3, "0.33"), (-2.25, "-2.25"),
])
def test_coordinates_are_short_and_stable(value: float, text: str) -> None:
    assert num(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (10.0, "10"), (2.5, "2.5"), (0.1 + 0.2, "0.30000000000000004"), (float("inf"), "Infinity"),
    (float("nan"), "NaN"),
])
def test_autonumber_labels_print_like_javascript(value: float, text: str) -> None:
    assert js_number(value) == text


def test_arrow_styles() -> None:
    assert arrow_style("SOLID") == (False, "filled", None)
    assert arrow_style("DOTTED_CROSS") == (True, "cross", None)
    assert arrow_style("BIDIRECTIONAL_DOTTED") == (True, "filled", "filled")
    assert arrow_style("STICK_ARROW_BOTTOM_REVERSE_DOTTED") == (True, None, "stick-bottom")
    assert arrow_style("SOMETHING_NEW") == (False, "filled", None)


@pytest.mark.parametrize("color", [
    "Aqua", "#abc", "#aabbccdd", "rgb(1, 2, 3)", "rgba(1,2,3,0.5)", "hsl(120 50% 50%)",
])
def test_colours_pass(color: str) -> None:
    assert safe_color(color, "none") == color


@pytest.mark.parametrize("color", [
    'red" onload="x', "url(#x)", "rgb(1,2,3); fill: red", "expression(alert(1))", "",
    "rgb(1,2,3)\"", "a" * 40,
])
def test_anything_else_falls_back(color: str) -> None:
    assert safe_color(color, "none") == "none"


def test_events_come_in_document_order() -> None:
    diagram = parse_sequence_diagram(
        "sequenceDiagram\nA->>B: one\nNote over A: n\nloop l\nA->>+B: two\nend B->>A: three"
    )
    kinds = [type(event).__name__ for event in events(diagram)]
    assert kinds == ["MessageEvent", "NoteEvent", "BlockStart", "MessageEvent",
                     "ActivationEvent", "BlockEnd", "MessageEvent"]
    found = events(diagram)
    assert isinstance(found[0], MessageEvent) and isinstance(found[1], NoteEvent)
    assert isinstance(found[2], BlockStart) and isinstance(found[5], BlockEnd)


def test_events_of_a_very_deep_nesting_need_no_recursion() -> None:
    depth = 3000
    source = "sequenceDiagram\n" + "loop x\n" * depth + "A->>B: hi\n" + "end\n" * depth
    found = events(parse_sequence_diagram(source))
    assert len(found) == 2 * depth + 1
    assert isinstance(found[depth], MessageEvent)
