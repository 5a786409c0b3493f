"""`pubflow.diagrams.render`: every construct of a sequence diagram is drawn, as SVG that is
well-formed, self-contained, escaped and the same bytes each time.

The assertions read the SVG back with ``xml.etree``: elements carry ``pf-*`` classes and
``data-*`` attributes for exactly this (and for a page's own CSS).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pubflow.diagrams.mermaid import MermaidError, parse_sequence_diagram
from pubflow.diagrams.mermaid._lexer import ARROW_LINE_TYPES
from pubflow.diagrams.render import error_svg, render_sequence_svg, render_svg

SVG = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def tree(source: str) -> ET.Element:
    """The SVG of ``source``, parsed (which also proves it is well-formed XML)."""
    return ET.fromstring(render_svg(source))


def classed(root: ET.Element, css: str) -> list[ET.Element]:
    """Elements whose class list holds ``css``, in document order."""
    return [el for el in root.iter() if css in el.get("class", "").split()]


def text(element: ET.Element) -> str:
    """The lines of a text element (one ``tspan`` each), joined by newlines."""
    spans = element.findall(f"{SVG}tspan")
    if not spans:
        return "".join(element.itertext())
    return "\n".join("".join(span.itertext()) for span in spans)


def texts(root: ET.Element, css: str) -> list[str]:
    return [text(el) for el in classed(root, css)]


def first_y(element: ET.Element) -> float:
    """The baseline of the first line of a text element, or the y of a shape."""
    span = element.find(f"{SVG}tspan")
    if span is not None:
        return float(span.get("y", "0"))
    for name in ("y", "y1", "cy"):
        if element.get(name) is not None:
            return float(element.get(name, "0"))
    raise AssertionError(f"no y on {element.tag}")


def rect_box(element: ET.Element) -> tuple[float, float, float, float]:
    """left, top, right, bottom of a ``rect``."""
    x, y = float(element.get("x", "0")), float(element.get("y", "0"))
    return x, y, x + float(element.get("width", "0")), y + float(element.get("height", "0"))


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    left, top, width, height = (float(v) for v in root.get("viewBox", "").split())
    return left, top, left + width, top + height


def x_coordinates(root: ET.Element) -> list[float]:
    """Every x a shape reaches (rect edges, line ends, circle extents, path points, text x)."""
    found: list[float] = []
    for el in root.iter():
        tag = el.tag.removeprefix(SVG)
        if tag == "rect":
            left, _, right, _ = rect_box(el)
            found += [left, right]
        elif tag == "line":
            found += [float(el.get("x1", "0")), float(el.get("x2", "0"))]
        elif tag == "circle":
            cx, r = float(el.get("cx", "0")), float(el.get("r", "0"))
            found += [cx - r, cx + r]
        elif tag == "path":
            # Paths mix M/L/H/V/A commands; their starting x is the one checked.
            found += [float(n) for n in _NUMBER.findall(el.get("d", ""))[:1]]
    return found


def y_coordinates(root: ET.Element) -> list[float]:
    found: list[float] = []
    for el in root.iter():
        tag = el.tag.removeprefix(SVG)
        if tag == "rect":
            _, top, _, bottom = rect_box(el)
            found += [top, bottom]
        elif tag == "line":
            found += [float(el.get("y1", "0")), float(el.get("y2", "0"))]
        elif tag == "tspan":
            found.append(float(el.get("y", "0")))
    return found


def diagram(*lines: str) -> str:
    return "sequenceDiagram\n" + "\n".join(lines)


def messages(root: ET.Element) -> list[ET.Element]:
    return classed(root, "pf-message")


# ---------------------------------------------------------------------- participants


def test_participants_and_actors_show_their_aliases_top_and_bottom() -> None:
    root = tree(diagram("actor U as The user", "participant W as Web app", "participant API",
                        "U->>W: hi", "W->>API: call"))
    top = classed(root, "pf-actor-top")
    assert [el.get("data-id") for el in top] == ["U", "W", "API"]
    assert texts(root, "pf-actor-label")[:3] == ["The user", "Web app", "API"]
    assert len(classed(root, "pf-actor-bottom")) == 3
    assert len(classed(root, "pf-lifeline")) == 3
    user = top[0]
    assert user.get("data-type") == "actor"
    # A stick figure: a head and a body, not a box.
    assert user.find(f"{SVG}circle") is not None
    assert user.find(f"{SVG}path") is not None
    assert user.find(f"{SVG}rect") is None
    assert top[1].find(f"{SVG}rect") is not None


def test_columns_follow_the_order_of_first_appearance_and_fit_their_labels() -> None:
    root = tree(diagram("participant B as A rather long participant label here",
                        "participant A", "A->>B: x"))
    top = classed(root, "pf-actor-top")
    assert [el.get("data-id") for el in top] == ["B", "A"]
    first, second = (rect_box(el.find(f"{SVG}rect")) for el in top)  # type: ignore[arg-type]
    assert first[2] < second[0], "boxes overlap"
    assert first[2] - first[0] > second[2] - second[0], "the long label has the wider box"


def test_participant_types_are_kept_and_a_database_is_a_cylinder() -> None:
    root = tree(diagram('participant D@{ "type": "database" }',
                        'participant Q@{ "type": "queue" }', "D->>Q: x"))
    kinds = {el.get("data-id"): el.get("data-type") for el in classed(root, "pf-actor-top")}
    assert kinds == {"D": "database", "Q": "queue"}
    database = classed(root, "pf-actor-top")[0]
    assert database.find(f"{SVG}path") is not None


def test_a_long_label_wraps_and_a_very_long_one_is_cut() -> None:
    label = " ".join(f"word{i}" for i in range(6))
    very_long = " ".join(f"word{i}" for i in range(40))
    root = tree(diagram(f"participant A as {label}", f"participant B as {very_long}",
                        "A->>B: x"))
    lines, cut = (text.split("\n") for text in texts(root, "pf-actor-label")[:2])
    assert len(lines) > 1
    assert " ".join(lines) == label
    assert len(cut) == 3 and cut[-1].endswith("\u2026")


# ---------------------------------------------------------------------- messages

# (dashed, heads by class) for every arrow the parser knows.
EXPECTED_HEADS: dict[str, tuple[bool, list[str]]] = {
    "SOLID": (False, ["filled"]),
    "DOTTED": (True, ["filled"]),
    "SOLID_OPEN": (False, []),
    "DOTTED_OPEN": (True, []),
    "SOLID_CROSS": (False, ["pf-cross"]),
    "DOTTED_CROSS": (True, ["pf-cross"]),
    "SOLID_POINT": (False, ["pf-open"]),
    "DOTTED_POINT": (True, ["pf-open"]),
    "BIDIRECTIONAL_SOLID": (False, ["filled", "filled"]),
    "BIDIRECTIONAL_DOTTED": (True, ["filled", "filled"]),
    "SOLID_TOP": (False, ["pf-half"]),
    "SOLID_BOTTOM": (False, ["pf-half"]),
    "STICK_TOP": (False, ["pf-stick"]),
    "STICK_BOTTOM": (False, ["pf-stick"]),
    "SOLID_TOP_DOTTED": (True, ["pf-half"]),
    "SOLID_BOTTOM_DOTTED": (True, ["pf-half"]),
    "STICK_TOP_DOTTED": (True, ["pf-stick"]),
    "STICK_BOTTOM_DOTTED": (True, ["pf-stick"]),
    "SOLID_ARROW_TOP_REVERSE": (False, ["pf-half"]),
    "SOLID_ARROW_BOTTOM_REVERSE": (False, ["pf-half"]),
    "STICK_ARROW_TOP_REVERSE": (False, ["pf-stick"]),
    "STICK_ARROW_BOTTOM_REVERSE": (False, ["pf-stick"]),
    "SOLID_ARROW_TOP_REVERSE_DOTTED": (True, ["pf-half"]),
    "SOLID_ARROW_BOTTOM_REVERSE_DOTTED": (True, ["pf-half"]),
    "STICK_ARROW_TOP_REVERSE_DOTTED": (True, ["pf-stick"]),
    "STICK_ARROW_BOTTOM_REVERSE_DOTTED": (True, ["pf-stick"]),
}


def test_every_arrow_of_the_parser_has_an_expected_drawing() -> None:
    assert set(EXPECTED_HEADS) == set(ARROW_LINE_TYPES.values())


def head_classes(message: ET.Element) -> list[str]:
    found = []
    for el in classed(message, "pf-arrowhead"):
        extra = [c for c in el.get("class", "").split() if c != "pf-arrowhead"]
        found.append(extra[0] if extra else "filled")
    return found


@pytest.mark.parametrize(("arrow", "line_type"), sorted(ARROW_LINE_TYPES.items()))
def test_each_arrow_kind_is_drawn_with_its_line_and_heads(arrow: str, line_type: str) -> None:
    root = tree(diagram(f"A{arrow}B: a message"))
    (message,) = messages(root)
    assert message.get("data-kind") == line_type
    line = classed(message, "pf-message-line")[0]
    dashed, heads = EXPECTED_HEADS[line_type]
    assert (line.get("stroke-dasharray") is not None) == dashed
    assert head_classes(message) == heads
    assert texts(message, "pf-message-text") == ["a message"]


def test_reverse_half_arrows_point_back_at_the_source() -> None:
    root = tree(diagram("participant A", "participant B", "A/|-B: back", "A-|\\B: forward"))
    back, forward = messages(root)
    x_a, x_b = (float(el.get("x1", "0")) for el in classed(root, "pf-lifeline"))

    def tip(message: ET.Element) -> float:
        head = classed(message, "pf-arrowhead")[0]
        return float(re.findall(r"-?\d+(?:\.\d+)?", head.get("d", ""))[0])

    assert tip(back) == pytest.approx(x_a)
    assert tip(forward) == pytest.approx(x_b)


def test_bidirectional_arrows_have_a_head_at_each_end() -> None:
    root = tree(diagram("A<<->>B: both"))
    heads = classed(messages(root)[0], "pf-arrowhead")
    tips = sorted(float(re.findall(r"-?\d+(?:\.\d+)?", h.get("d", ""))[0]) for h in heads)
    lifelines = sorted(float(el.get("x1", "0")) for el in classed(root, "pf-lifeline"))
    assert tips == pytest.approx(lifelines)


def test_one_arrow_per_message_and_messages_run_down_the_page() -> None:
    root = tree(diagram("A->>B: one", "B-->>A: two", "A->>C: three", "C->>C: four"))
    drawn = messages(root)
    assert [m.get("data-from") + ">" + m.get("data-to") for m in drawn] == [  # type: ignore[operator]
        "A>B", "B>A", "A>C", "C>C"]
    ys = [first_y(classed(m, "pf-message-line")[0]) if m.find(f"{SVG}line") is not None
          else float(re.findall(r"-?\d+(?:\.\d+)?", classed(m, "pf-message-line")[0]
                                .get("d", ""))[1]) for m in drawn]
    assert ys == sorted(ys) and len(set(ys)) == 4


def test_a_self_message_is_a_loop_on_its_own_lifeline() -> None:
    root = tree(diagram("A->>B: x", "B->>B: think"))
    self_message = messages(root)[1]
    line = classed(self_message, "pf-message-line")[0]
    assert line.tag == f"{SVG}path"
    b_x = float(classed(root, "pf-lifeline")[1].get("x1", "0"))
    start = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", line.get("d", ""))[:2]]
    assert start[0] == pytest.approx(b_x)
    assert texts(self_message, "pf-message-text") == ["think"]


def test_central_connections_are_marked() -> None:
    root = tree(diagram("A->>()B: to the centre", "A()->>B: from", "A()->>()B: both"))
    counts = [len(classed(m, "pf-central")) for m in messages(root)]
    assert counts == [1, 1, 2]


def test_a_long_message_wraps_and_a_very_long_one_is_cut_with_an_ellipsis() -> None:
    medium = " ".join(["orchestrate"] * 12)
    huge = " ".join(["token"] * 400)
    root = tree(diagram(f"A->>B: {medium}", f"A->>B: {huge}", "A->>B: one<br>two<br/>three"))
    wrapped, cut, broken = texts(root, "pf-message-text")
    assert len(wrapped.split("\n")) > 1 and wrapped.replace("\n", " ") == medium
    assert cut.endswith("\u2026") and len(cut.split("\n")) <= 6
    assert broken.split("\n") == ["one", "two", "three"]


# ---------------------------------------------------------------------- notes


def test_notes_left_right_and_over_one_or_two_participants() -> None:
    root = tree(diagram("participant A", "participant B", "participant C", "A->>B: x",
                        "Note left of A: left", "Note right of B: right",
                        "Note over C: over one", "Note over A,B: over two"))
    notes = classed(root, "pf-note")
    assert [n.get("data-placement") for n in notes] == ["left of", "right of", "over", "over"]
    assert texts(root, "pf-note-text") == ["left", "right", "over one", "over two"]
    x = [float(el.get("x1", "0")) for el in classed(root, "pf-lifeline")]
    boxes = [rect_box(n.find(f"{SVG}rect")) for n in notes]  # type: ignore[arg-type]
    assert boxes[0][2] < x[0]
    assert boxes[1][0] > x[1]
    assert boxes[2][0] < x[2] < boxes[2][2]
    assert boxes[3][0] < x[0] and boxes[3][2] > x[1]
    # Each note has its own row.
    tops = [b[1] for b in boxes]
    assert tops == sorted(tops) and len(set(tops)) == 4


def test_a_note_left_of_the_first_participant_stays_inside_the_view_box() -> None:
    root = tree(diagram("A->>B: x", "Note left of A: a note that is fairly long indeed"))
    left, _, right, _ = view_box(root)
    assert left < 0
    assert all(left <= x <= right for x in x_coordinates(root))


# ---------------------------------------------------------------------- activations


def test_activations_stack_and_close_where_the_diagram_says() -> None:
    root = tree(diagram("A->>+B: request", "B->>+B: nested", "B-->>-B: nested done",
                        "B-->>-A: response", "A->>C: later"))
    bars = classed(root, "pf-activation")
    assert sorted((b.get("data-actor"), b.get("data-depth")) for b in bars) == [
        ("B", "0"), ("B", "1")]
    outer = rect_box(next(b for b in bars if b.get("data-depth") == "0"))
    inner = rect_box(next(b for b in bars if b.get("data-depth") == "1"))
    assert outer[1] <= inner[1] and inner[3] <= outer[3]
    assert inner[0] > outer[0], "a stacked bar is drawn a little to the right"
    later = first_y(classed(messages(root)[4], "pf-message-line")[0])
    assert outer[3] < later


def test_activate_statements_and_an_unclosed_activation() -> None:
    root = tree(diagram("A->>B: x", "activate B", "B->>A: y", "deactivate B", "activate A",
                        "A->>B: z"))
    bars = classed(root, "pf-activation")
    assert [b.get("data-actor") for b in bars] == ["B", "A"]
    bottom_of_a = rect_box(bars[1])[3]
    assert bottom_of_a > first_y(classed(messages(root)[2], "pf-message-line")[0])


# ---------------------------------------------------------------------- frames

FRAMES = diagram(
    "participant A", "participant B", "participant C",
    "loop every minute", "A->>B: poll", "end",
    "alt found", "B->>A: yes", "else missing", "B->>A: no", "else broken", "B->>A: error", "end",
    "opt maybe", "A->>C: tell", "end",
    "par first", "A->>B: one", "and second", "A->>C: two", "end",
    "critical commit", "B->>C: write", "option timeout", "B->>A: retry", "end",
    "break stop", "C->>A: abort", "end",
    "rect rgb(200, 220, 255)", "A->>B: highlighted", "end",
    "par_over over", "A->>B: p", "and", "B->>C: q", "end",
)


def test_every_block_kind_is_a_frame_with_its_labels() -> None:
    root = tree(FRAMES)
    frames = classed(root, "pf-frame")
    assert [f.get("data-kind") for f in frames] == [
        "loop", "alt", "opt", "par", "critical", "break", "par_over"]
    assert texts(root, "pf-frame-kind") == [
        "loop", "alt", "opt", "par", "critical", "break", "par"]
    assert texts(root, "pf-frame-label") == [
        "[every minute]", "[found]", "[maybe]", "[first]", "[commit]", "[stop]", "[over]"]
    assert texts(root, "pf-section-label") == [
        "[missing]", "[broken]", "[second]", "[timeout]"]
    keywords = [el.get("data-keyword") for el in classed(root, "pf-section-line")]
    assert keywords == ["else", "else", "and", "option", "and"]
    (rect,) = classed(root, "pf-rect")
    assert rect.get("fill") == "rgb(200, 220, 255)"
    assert len(messages(root)) == 13


def test_frames_enclose_their_messages_and_nothing_after_them() -> None:
    root = tree(diagram("A->>B: before", "loop again", "A->>B: inside", "end",
                        "B->>A: after"))
    frame = rect_box(classed(root, "pf-frame")[0].find(f"{SVG}rect"))  # type: ignore[arg-type]
    before, inside, after = (first_y(classed(m, "pf-message-line")[0]) for m in messages(root))
    assert before < frame[1] < inside < frame[3] < after


def test_nested_frames_sit_inside_each_other() -> None:
    root = tree(diagram("rect rgb(255, 240, 200)", "loop outer", "alt inner", "A->>B: deep",
                        "else other", "B->>C: deeper", "end", "end", "end"))
    outer, inner = (rect_box(f.find(f"{SVG}rect")) for f in classed(root, "pf-frame"))  # type: ignore[arg-type]
    background = rect_box(classed(root, "pf-rect")[0])
    for container, content in ((background, outer), (outer, inner)):
        assert container[0] < content[0] and content[2] < container[2]
        assert container[1] <= content[1] and content[3] < container[3]
    assert [f.get("data-depth") for f in classed(root, "pf-frame")] == ["2", "3"]


def test_an_end_sharing_a_line_with_a_message_closes_before_it() -> None:
    # Mermaid accepts `end A->>B: x`; the message is after the block.
    root = tree(diagram("loop x", "A->>B: inside", "end B->>A: outside"))
    frame = rect_box(classed(root, "pf-frame")[0].find(f"{SVG}rect"))  # type: ignore[arg-type]
    inside, outside = (first_y(classed(m, "pf-message-line")[0]) for m in messages(root))
    assert inside < frame[3] < outside


def test_statements_joined_by_semicolons_keep_their_order() -> None:
    root = tree(diagram("loop x; A->>B: inside; end", "B->>A: outside"))
    frame = rect_box(classed(root, "pf-frame")[0].find(f"{SVG}rect"))  # type: ignore[arg-type]
    inside, outside = (first_y(classed(m, "pf-message-line")[0]) for m in messages(root))
    assert frame[1] < inside < frame[3] < outside


def test_empty_blocks_and_sections_are_still_drawn() -> None:
    root = tree(diagram("A->>B: x", "loop", "end", "alt", "else", "end"))
    assert [f.get("data-kind") for f in classed(root, "pf-frame")] == ["loop", "alt"]
    assert texts(root, "pf-frame-label") == []
    assert len(classed(root, "pf-section-line")) == 1


def test_a_rect_whose_label_is_no_colour_gets_a_neutral_fill() -> None:
    root = tree(diagram('rect "/><script>x</script>', "A->>B: x", "end"))
    fill = classed(root, "pf-rect")[0].get("fill", "")
    assert "script" not in fill and fill.startswith("rgba(")


# ---------------------------------------------------------------------- autonumber


def numbers(root: ET.Element) -> list[str]:
    return texts(root, "pf-number-text")


def test_autonumber_numbers_the_messages() -> None:
    root = tree(diagram("autonumber", "A->>B: a", "B->>A: b", "A->>A: c"))
    assert numbers(root) == ["1", "2", "3"]
    assert all(len(classed(m, "pf-number")) == 1 for m in messages(root))


def test_autonumber_start_step_off_and_on_again() -> None:
    root = tree(diagram("A->>B: unnumbered", "autonumber 10 5", "A->>B: a", "A->>B: b",
                        "autonumber off", "A->>B: hidden", "autonumber", "A->>B: c",
                        "autonumber 2.5 0.5", "A->>B: d", "A->>B: e"))
    # Like Mermaid, the counter runs on while numbers are hidden.
    assert numbers(root) == ["10", "15", "25", "2.5", "3"]
    assert [len(classed(m, "pf-number")) for m in messages(root)] == [0, 1, 1, 0, 1, 1, 1]


def test_autonumber_zero_keeps_counting_like_mermaid() -> None:
    root = tree(diagram("autonumber 0", "A->>B: a", "A->>B: b"))
    assert numbers(root) == ["1", "2"]


# ---------------------------------------------------------------------- create, destroy, boxes


def test_a_created_participant_appears_at_its_message_and_a_destroyed_one_ends() -> None:
    root = tree(diagram("participant A", "A->>B: first", "create participant C as Carl",
                        "A->>C: make", "C->>A: work", "destroy C", "A-xC: stop", "A->>B: last"))
    top = {el.get("data-id"): el for el in classed(root, "pf-actor-top")}
    created = top["C"]
    assert "pf-created" in created.get("class", "").split()
    carl = rect_box(created.find(f"{SVG}rect"))  # type: ignore[arg-type]
    first_top = rect_box(top["A"].find(f"{SVG}rect"))  # type: ignore[arg-type]
    make = first_y(classed(messages(root)[1], "pf-message-line")[0])
    assert carl[1] > first_top[3]
    assert carl[1] < make < carl[3], "the creating arrow points at the new header"
    assert texts(created, "pf-actor-label") == ["Carl"]
    (cross,) = classed(root, "pf-destroy")
    lifeline = {el.get("data-actor"): el for el in classed(root, "pf-lifeline")}
    stop = first_y(classed(messages(root)[3], "pf-message-line")[0])
    end_of_c = float(lifeline["C"].get("y2", "0"))
    cross_x, cross_y = (float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", cross.get("d", ""))[:2])
    assert cross_x + 8 == pytest.approx(float(lifeline["C"].get("x1", "0")))
    assert cross_y + 8 == pytest.approx(end_of_c)
    last = first_y(classed(messages(root)[4], "pf-message-line")[0])
    assert stop < end_of_c < last
    assert float(lifeline["C"].get("y1", "0")) >= carl[3]
    bottom = [el.get("data-id") for el in classed(root, "pf-actor-bottom")]
    assert bottom == ["A", "B"]


def test_boxes_group_their_participants_under_a_label() -> None:
    root = tree(diagram("box Aqua Front end", "participant A", "participant B", "end",
                        "box rgb(10, 20, 30)", "participant C", "end",
                        "participant D", "A->>B: x", "C->>D: y"))
    boxes = classed(root, "pf-box")
    assert len(boxes) == 2
    assert texts(root, "pf-box-label") == ["Front end"]
    fills = [b.find(f"{SVG}rect").get("fill") for b in boxes]  # type: ignore[union-attr]
    assert fills == ["Aqua", "rgb(10, 20, 30)"]
    headers = {el.get("data-id"): rect_box(el.find(f"{SVG}rect"))  # type: ignore[arg-type]
               for el in classed(root, "pf-actor-top")}
    front = rect_box(boxes[0].find(f"{SVG}rect"))  # type: ignore[arg-type]
    for member in ("A", "B"):
        assert front[0] < headers[member][0] and headers[member][2] < front[2]
        assert front[1] < headers[member][1]
    assert headers["C"][0] > front[2] and headers["D"][0] > headers["C"][2]


def test_a_box_colour_that_is_no_colour_never_reaches_an_attribute() -> None:
    root = tree(diagram('box rgb(1,2,3)" onload="alert(1) Trap', "participant A", "end",
                        "A->>A: x"))
    (box,) = classed(root, "pf-box")
    assert box.find(f"{SVG}rect").get("fill") == "none"  # type: ignore[union-attr]
    for el in root.iter():
        assert not any(name.startswith("on") for name in el.attrib)
        assert not any("alert" in value for value in el.attrib.values())


# ---------------------------------------------------------------------- titles, text safety


def test_title_and_accessibility_texts() -> None:
    root = tree(diagram("title Checkout <flow>", "accTitle: Accessible name",
                        "accDescr: What it shows", "A->>B: x"))
    assert texts(root, "pf-title") == ["Checkout <flow>"]
    assert root.find(f"{SVG}title").text == "Accessible name"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "What it shows"  # type: ignore[union-attr]


def test_front_matter_title_is_shown() -> None:
    root = tree("---\ntitle: From front matter\n---\nsequenceDiagram\nA->>B: x")
    assert texts(root, "pf-title") == ["From front matter"]


HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped_everywhere() -> None:
    source = diagram(
        f"title {HOSTILE}",
        f"participant A as {HOSTILE}",
        f"A->>B: {HOSTILE}",
        f"Note over A: {HOSTILE}",
        f"loop {HOSTILE}",
        "B->>A: x",
        "end",
        f"alt {HOSTILE}", "A->>B: y", f"else {HOSTILE}", "A->>B: z", "end",
    )
    svg = render_svg(source)
    assert "<script" not in svg and "<img" not in svg
    root = ET.fromstring(svg)
    assert {el.tag for el in root.iter()} <= {
        f"{SVG}{name}" for name in ("svg", "title", "desc", "g", "rect", "line", "path",
                                     "circle", "text", "tspan")}
    assert texts(root, "pf-message-text")[0].replace("\n", " ") == HOSTILE
    assert texts(root, "pf-note-text")[0].replace("\n", " ") == HOSTILE
    assert texts(root, "pf-actor-label")[0].replace("\n", " ").startswith("<script>")
    assert texts(root, "pf-frame-label")[0].replace("\n", " ").startswith("[<script>")
    assert texts(root, "pf-section-label")[0].replace("\n", " ").startswith("[<script>")


def test_characters_xml_forbids_become_replacement_characters() -> None:
    root = tree(diagram("A->>B: bell\x07 and \x1b escape", "participant C as nul\x0bvt"))
    assert texts(root, "pf-message-text") == ["bell\ufffd and \ufffd escape"]


def test_ids_with_quotes_and_ampersands_are_escaped_in_attributes() -> None:
    root = tree(diagram("participant A'&B", 'C"D->>A\'&B: x'))
    assert [el.get("data-id") for el in classed(root, "pf-actor-top")] == ["A'&B", 'C"D']
    assert messages(root)[0].get("data-from") == 'C"D'


# ---------------------------------------------------------------------- the document


SELF_CONTAINED_BANNED = ("<script", "<style", "<image", "<foreignObject", "href", "url(",
                         "@import", "<iframe", "http://", "https://")


def assert_self_contained(svg: str) -> None:
    body = svg.replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
    for banned in SELF_CONTAINED_BANNED:
        assert banned not in body, banned
    assert ' id="' not in body, "ids would clash when two diagrams share a page"


def test_the_svg_is_one_self_contained_element_sized_to_its_content() -> None:
    svg = render_svg(FRAMES)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>\n")
    assert_self_contained(svg)
    root = ET.fromstring(svg)
    left, top, right, bottom = view_box(root)
    assert float(root.get("width", "0")) == pytest.approx(right - left)
    assert float(root.get("height", "0")) == pytest.approx(bottom - top)
    xs, ys = x_coordinates(root), y_coordinates(root)
    assert all(left <= x <= right for x in xs)
    assert all(top <= y <= bottom for y in ys)
    # Sized to content: no large empty margin on the right or at the bottom.
    assert right - max(xs) <= 30
    assert bottom - max(ys) <= 60


def test_the_same_diagram_gives_the_same_bytes() -> None:
    assert render_svg(FRAMES) == render_svg(FRAMES)
    parsed = parse_sequence_diagram(FRAMES)
    assert render_sequence_svg(parsed) == render_svg(FRAMES)


def test_an_empty_diagram_still_renders() -> None:
    root = tree("sequenceDiagram")
    assert root.get("viewBox")
    assert classed(root, "pf-actor") == []


# ---------------------------------------------------------------------- errors


def test_a_diagram_that_does_not_parse_raises_the_parser_error() -> None:
    with pytest.raises(MermaidError) as caught:
        render_svg("sequenceDiagram\n  A->>B hello")
    assert caught.value.line == 2
    with pytest.raises(MermaidError):
        render_svg("flowchart LR\n  A --> B")


def test_on_error_draw_returns_an_svg_that_says_why() -> None:
    svg = render_svg("sequenceDiagram\n  loop <never closed>\n  A->>B: x", on_error="draw")
    assert_self_contained(svg)
    root = ET.fromstring(svg)
    assert "pf-error" in root.get("class", "").split()
    message = texts(root, "pf-error-text")[0]
    assert message.startswith("This diagram cannot be drawn:")
    assert "line 2" in message and "never closed" in message


def test_error_svg_takes_plain_text_too() -> None:
    root = ET.fromstring(error_svg("a <b> problem"))
    assert "a <b> problem" in texts(root, "pf-error-text")[0]
