"""Layout and drawing of one sequence diagram.

Columns first: one per participant, as wide as its label, and far enough apart for the
messages and notes between them. Then rows, top to bottom, one per event (message, note,
block label, section divider, block end). Frames, activation bars and lifelines are drawn once
their extent is known, each in its own layer so the painting order is fixed: boxes, rect
backgrounds, lifelines, activation bars, frames, messages, notes, participants.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pubflow.diagrams.mermaid.model import Actor, Message, Note, SequenceDiagram
from pubflow.diagrams.render._events import (
    ActivationEvent,
    AutonumberEvent,
    BlockEnd,
    BlockStart,
    MessageEvent,
    NoteEvent,
    SectionStart,
    events,
)
from pubflow.diagrams.render._text import (
    FONT_SIZE,
    LINE_HEIGHT,
    js_number,
    lines_width,
    num,
    wrap,
    xml_attr,
    xml_text,
)

FONT_FAMILY = "Arial, Helvetica, sans-serif"
STROKE = "#333333"
ACTOR_FILL = "#eaeaff"
ACTOR_STROKE = "#7a7ab8"
NOTE_FILL = "#fff5ad"
NOTE_STROKE = "#aaaa33"
FRAME_STROKE = "#7a7a7a"
ACTIVATION_FILL = "#f4f4f4"

MARGIN = 20
LABEL_MAX_WIDTH = 160
MESSAGE_MAX_WIDTH = 320
NOTE_MAX_WIDTH = 240
FRAME_LABEL_MAX_WIDTH = 320
MIN_ACTOR_WIDTH = 90
ACTOR_GAP = 40
BOX_GAP = 20
SELF_LOOP_WIDTH = 30
SELF_LOOP_HEIGHT = 20
ACTIVATION_HALF = 5
FRAME_PAD = 12
MAX_LINES = 6

FRAME_KINDS = {
    "loop": "loop",
    "alt": "alt",
    "opt": "opt",
    "par": "par",
    "par_over": "par",
    "critical": "critical",
    "break": "break",
}

# (dashed, head at the target end, head at the source end), by Mermaid's LINETYPE name.
_HEADS: dict[str, tuple[str | None, str | None]] = {
    "SOLID": ("filled", None),
    "DOTTED": ("filled", None),
    "SOLID_OPEN": (None, None),
    "DOTTED_OPEN": (None, None),
    "SOLID_CROSS": ("cross", None),
    "DOTTED_CROSS": ("cross", None),
    "SOLID_POINT": ("open", None),
    "DOTTED_POINT": ("open", None),
    "BIDIRECTIONAL_SOLID": ("filled", "filled"),
    "BIDIRECTIONAL_DOTTED": ("filled", "filled"),
    "SOLID_TOP": ("half-top", None),
    "SOLID_BOTTOM": ("half-bottom", None),
    "STICK_TOP": ("stick-top", None),
    "STICK_BOTTOM": ("stick-bottom", None),
    "SOLID_ARROW_TOP_REVERSE": (None, "half-top"),
    "SOLID_ARROW_BOTTOM_REVERSE": (None, "half-bottom"),
    "STICK_ARROW_TOP_REVERSE": (None, "stick-top"),
    "STICK_ARROW_BOTTOM_REVERSE": (None, "stick-bottom"),
}

_SAFE_COLOR = re.compile(
    r"#[0-9a-fA-F]{3,8}|(?:rgba?|hsla?)\(\s*[0-9.,%\s/a-z+-]{1,60}\)|[a-zA-Z]{1,30}\Z"
)


def arrow_style(line_type: str) -> tuple[bool, str | None, str | None]:
    """Whether the line is dashed, and the heads at its target and source ends."""
    base = line_type if line_type in _HEADS else line_type.removesuffix("_DOTTED")
    dashed = line_type.startswith("DOTTED") or line_type.endswith("_DOTTED")
    end, start = _HEADS.get(base, ("filled", None))
    return dashed, end, start


def safe_color(text: str, default: str) -> str:
    """A CSS colour from the diagram when it is one (``rgb(…)``, ``#abc``, a name), else
    ``default``: nothing else reaches an attribute."""
    text = text.strip()
    if text and _SAFE_COLOR.fullmatch(text):
        return text
    return default


class _Column(NamedTuple):
    actor: Actor
    lines: list[str]
    width: float
    head_height: float


class _Bounds:
    """What the drawing covers, for the viewBox."""

    def __init__(self) -> None:
        self.left = 0.0
        self.right = 0.0
        self.bottom = 0.0

    def x(self, *values: float) -> None:
        self.left = min(self.left, *values)
        self.right = max(self.right, *values)


class _Frame:
    """A block whose end has not been drawn yet."""

    def __init__(self, kind: str, label: str, depth: int, top: float) -> None:
        self.kind = kind
        self.label = label
        self.depth = depth
        self.top = top
        self.left: float | None = None
        self.right: float | None = None
        self.sections: list[tuple[float, str, str]] = []
        self.slot = 0
        """Where the frame goes in its layer: outer frames are painted first."""

    def cover(self, left: float, right: float) -> None:
        self.left = left if self.left is None else min(self.left, left)
        self.right = right if self.right is None else max(self.right, right)


def _text(x: float, y: float, lines: list[str], css: str, *, anchor: str = "middle",
          size: float = FONT_SIZE, extra: str = "") -> str:
    """A text element, one ``tspan`` per line; ``y`` is the first baseline."""
    spans = "".join(
        f'<tspan x="{num(x)}" y="{num(y + i * LINE_HEIGHT)}">{xml_text(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    size_attr = "" if size == FONT_SIZE else f' font-size="{num(size)}"'
    return (f'<text class="{css}" text-anchor="{anchor}"{size_attr}{extra}>{spans}</text>')


class SequenceRenderer:
    """Draws one diagram; :meth:`render` returns the SVG text."""

    def __init__(self, diagram: SequenceDiagram) -> None:
        self.diagram = diagram
        self.index = {actor.id: i for i, actor in enumerate(diagram.actors)}
        self.bounds = _Bounds()
        self.layers: dict[str, list[str]] = {
            name: []
            for name in ("boxes", "rects", "lifelines", "activations", "frames", "messages",
                         "notes", "actors")
        }
        self.columns = [self._column(actor) for actor in diagram.actors]
        self.message_lines = [self._message_lines(m) for m in diagram.messages]
        self.note_lines = [wrap(note.text, NOTE_MAX_WIDTH, max_lines=MAX_LINES)
                           for note in diagram.notes]
        self.x = self._place_columns()

    # ------------------------------------------------------------------ columns
    def _column(self, actor: Actor) -> _Column:
        lines = wrap(actor.label, LABEL_MAX_WIDTH, max_lines=3)
        width = max(MIN_ACTOR_WIDTH, lines_width(lines) + 24)
        text_height = len(lines) * LINE_HEIGHT
        head: float
        if actor.type == "actor":
            head = 44 + text_height
        else:
            head = max(40.0, text_height + 20) + (8 if actor.type == "database" else 0)
        return _Column(actor, lines, width, head)

    def _message_lines(self, message: Message) -> list[str]:
        return wrap(message.text, MESSAGE_MAX_WIDTH, max_lines=MAX_LINES) if message.text else []

    def _box_of(self) -> list[int]:
        owner = [-1] * len(self.columns)
        for number, box in enumerate(self.diagram.boxes):
            for actor_id in box.actor_ids:
                if actor_id in self.index:
                    owner[self.index[actor_id]] = number
        return owner

    def _place_columns(self) -> list[float]:
        """Centres of the columns: the smallest distances that fit every text between them."""
        count = len(self.columns)
        needs: list[list[tuple[int, float]]] = [[] for _ in range(count)]

        def need(left: int, right: int, distance: float) -> None:
            if 0 <= left < right < count:
                needs[right].append((left, distance))

        for message, lines in zip(self.diagram.messages, self.message_lines, strict=True):
            source, target = self.index[message.source], self.index[message.target]
            width = lines_width(lines)
            if source == target:
                need(source, source + 1, width + SELF_LOOP_WIDTH + 24)
            else:
                need(min(source, target), max(source, target), width + 36)
        for note, lines in zip(self.diagram.notes, self.note_lines, strict=True):
            width = lines_width(lines) + 20
            at = sorted(self.index[actor_id] for actor_id in note.actors)
            if note.placement == "right of":
                need(at[0], at[0] + 1, width + 24)
            elif note.placement == "left of":
                need(at[0] - 1, at[0], width + 24)
        owner = self._box_of()
        centres: list[float] = []
        for i, column in enumerate(self.columns):
            if i == 0:
                centres.append(MARGIN + column.width / 2 + (BOX_GAP if owner[0] >= 0 else 0))
                continue
            previous = self.columns[i - 1]
            gap = ACTOR_GAP + (BOX_GAP if owner[i] != owner[i - 1] else 0)
            centre = centres[i - 1] + (previous.width + column.width) / 2 + gap
            for left, distance in needs[i]:
                centre = max(centre, centres[left] + distance)
            centres.append(centre)
        return centres

    # ------------------------------------------------------------------ rendering
    def render(self) -> str:
        diagram = self.diagram
        top = float(MARGIN)
        title = diagram.title or diagram.front_matter_title
        title_lines: list[str] = []
        if title:
            title_lines = wrap(title, 600, max_lines=2, size=16)
            top += len(title_lines) * 20 + 8
        box_top = top
        if diagram.boxes:
            top += LINE_HEIGHT + 12
        created_at = self._created_at()
        destroyed_at = self._destroyed_at()
        head_height = max(
            (c.head_height for c in self.columns if c.actor.id not in created_at), default=40.0
        )
        lifeline_top: list[float] = []
        for i, column in enumerate(self.columns):
            if column.actor.id in created_at:
                lifeline_top.append(0.0)  # set when the creating message is drawn
                continue
            self._draw_actor(i, top + head_height - column.head_height, "top")
            lifeline_top.append(top + head_height)
        y = top + head_height + 16
        lifeline_end: dict[int, float] = {}
        frames: dict[int, _Frame] = {}
        open_frames: list[_Frame] = []
        active: list[list[float]] = [[] for _ in self.columns]
        numbering = False
        number = 1.0
        step = 1.0
        last_arrow: float | None = None

        for event in events(diagram):
            if isinstance(event, MessageEvent):
                message = event.message
                source, target = self.index[message.source], self.index[message.target]
                lines = self.message_lines[event.position]
                label = js_number(number) if numbering else None
                create = created_at.get(message.target) == event.position
                arrow_y = y + len(lines) * LINE_HEIGHT + 6
                if create:
                    arrow_y = max(arrow_y, y + self.columns[target].head_height / 2)
                left, right = self._draw_message(message, source, target, lines, arrow_y,
                                                 label, active, create)
                if open_frames:
                    open_frames[-1].cover(left, right)
                if create:
                    column = self.columns[target]
                    self._draw_actor(target, arrow_y - column.head_height / 2, "top",
                                     created=True)
                    lifeline_top[target] = arrow_y + column.head_height / 2
                y = arrow_y + (SELF_LOOP_HEIGHT + 14 if source == target else 14)
                if create:
                    y = max(y, lifeline_top[target] + 10)
                for actor_id in (message.source, message.target):
                    if destroyed_at.get(actor_id) == event.position:
                        end = arrow_y + (SELF_LOOP_HEIGHT if source == target else 0) + 12
                        lifeline_end[self.index[actor_id]] = end
                        self._draw_destroy(self.x[self.index[actor_id]], end)
                        y = max(y, end + 14)
                number += step
                last_arrow = arrow_y + (SELF_LOOP_HEIGHT if source == target else 0)
                continue
            if isinstance(event, ActivationEvent):
                at = self.index.get(event.change.actor)
                if at is None:
                    continue
                mark = last_arrow if last_arrow is not None else y
                if event.change.activate:
                    active[at].append(mark)
                elif active[at]:
                    start = active[at].pop()
                    self._draw_activation(at, len(active[at]), start, max(mark, start + 10))
                continue
            if isinstance(event, AutonumberEvent):
                autonumber = event.autonumber
                # Mermaid: `start || index`, so a start of 0 keeps counting.
                number = autonumber.start or number
                step = autonumber.step or step
                numbering = autonumber.visible
                continue
            last_arrow = None
            if isinstance(event, NoteEvent):
                height = self._draw_note(event.note, self.note_lines[event.position], y,
                                         open_frames)
                y += height + 10
            elif isinstance(event, BlockStart):
                block = event.block
                frame = _Frame(block.kind, block.label, event.depth, y)
                layer = self.layers["rects" if block.kind == "rect" else "frames"]
                frame.slot = len(layer)
                layer.append("")
                frames[event.block_id] = frame
                open_frames.append(frame)
                if block.kind == "rect":
                    y += 10
                else:
                    lines = wrap(f"[{block.label}]", FRAME_LABEL_MAX_WIDTH, max_lines=3)
                    frame.label = "\n".join(lines) if block.label else ""
                    y += max(1, len(lines)) * LINE_HEIGHT + 14
            elif isinstance(event, SectionStart):
                frame = frames[event.block_id]
                lines = wrap(f"[{event.label}]", FRAME_LABEL_MAX_WIDTH, max_lines=3)
                frame.sections.append((y + 4, "\n".join(lines) if event.label else "",
                                       event.keyword))
                y += 4 + max(1, len(lines)) * LINE_HEIGHT + 10
            elif isinstance(event, BlockEnd):
                frame = frames.pop(event.block_id)
                if open_frames and open_frames[-1] is frame:
                    open_frames.pop()
                else:
                    open_frames.remove(frame)
                y += 6
                left, right = self._draw_frame(frame, y)
                if open_frames:
                    open_frames[-1].cover(left, right)
                y += 10

        bottom_y = y + 10
        for at, stack in enumerate(active):
            for depth, start in enumerate(stack):
                self._draw_activation(at, depth, start, bottom_y - 6)
        for i, column in enumerate(self.columns):
            x = self.x[i]
            top_of_line = lifeline_top[i] or top + head_height
            end = lifeline_end.get(i, bottom_y)
            self.layers["lifelines"].append(
                f'<line class="pf-lifeline" data-actor="{xml_attr(column.actor.id)}" '
                f'x1="{num(x)}" y1="{num(top_of_line)}" x2="{num(x)}" y2="{num(end)}" '
                f'stroke="#999999" stroke-width="1"/>',
            )
            if i not in lifeline_end:
                self._draw_actor(i, bottom_y, "bottom")
        bottom = bottom_y + head_height
        for number_, box in enumerate(diagram.boxes):
            self._draw_box(number_, box.label, box.color, box.actor_ids, box_top, bottom + 10)
        if diagram.boxes:
            bottom += 10
        return self._document(title_lines, bottom + MARGIN)

    def _created_at(self) -> dict[str, int]:
        """Created participants: the index of the message that creates each one."""
        result: dict[str, int] = {}
        for actor_id in self.diagram.created:
            at = self.index.get(actor_id)
            if at is None:
                continue
            line = self.diagram.actors[at].line
            for number, message in enumerate(self.diagram.messages):
                if message.target == actor_id and message.line >= line:
                    result[actor_id] = number
                    break
        return result

    def _destroyed_at(self) -> dict[str, int]:
        """Destroyed participants: the index of the last message that involves each one."""
        result: dict[str, int] = {}
        wanted = set(self.diagram.destroyed)
        for number, message in enumerate(self.diagram.messages):
            for actor_id in (message.source, message.target):
                if actor_id in wanted:
                    result[actor_id] = number
        return result

    # ------------------------------------------------------------------ participants
    def _draw_actor(self, at: int, top: float, where: str, *, created: bool = False) -> None:
        column = self.columns[at]
        actor = column.actor
        x = self.x[at]
        half = column.width / 2
        self.bounds.x(x - half, x + half)
        self.bounds.bottom = max(self.bounds.bottom, top + column.head_height)
        parts: list[str] = []
        text_height = len(column.lines) * LINE_HEIGHT
        if actor.type == "actor":
            head_y = top + 8
            parts.append(
                f'<circle cx="{num(x)}" cy="{num(head_y)}" r="7" fill="{ACTOR_FILL}" '
                f'stroke="{STROKE}" stroke-width="1.5"/>'
                f'<path d="M{num(x)} {num(head_y + 7)}V{num(head_y + 22)}'
                f'M{num(x - 11)} {num(head_y + 12)}H{num(x + 11)}'
                f'M{num(x)} {num(head_y + 22)}L{num(x - 9)} {num(head_y + 33)}'
                f'M{num(x)} {num(head_y + 22)}L{num(x + 9)} {num(head_y + 33)}" fill="none" '
                f'stroke="{STROKE}" stroke-width="1.5"/>'
            )
            text_y = top + 44 + FONT_SIZE - 2
        else:
            height = column.head_height
            if actor.type == "database":
                parts.append(
                    f'<path d="M{num(x - half)} {num(top + 6)}'
                    f'A{num(half)} 6 0 0 1 {num(x + half)} {num(top + 6)}'
                    f'V{num(top + height - 6)}A{num(half)} 6 0 0 1 {num(x - half)} '
                    f'{num(top + height - 6)}Z'
                    f'M{num(x - half)} {num(top + 6)}A{num(half)} 6 0 0 0 {num(x + half)} '
                    f'{num(top + 6)}" fill="{ACTOR_FILL}" stroke="{ACTOR_STROKE}"/>'
                )
            else:
                if actor.type == "collections":
                    parts.append(
                        f'<rect x="{num(x - half + 4)}" y="{num(top - 4)}" '
                        f'width="{num(column.width)}" height="{num(height)}" rx="3" '
                        f'fill="{ACTOR_FILL}" stroke="{ACTOR_STROKE}"/>'
                    )
                radius = 12 if actor.type in ("control", "boundary", "entity") else 3
                parts.append(
                    f'<rect x="{num(x - half)}" y="{num(top)}" width="{num(column.width)}" '
                    f'height="{num(height)}" rx="{radius}" fill="{ACTOR_FILL}" '
                    f'stroke="{ACTOR_STROKE}"/>'
                )
            text_y = top + (height - text_height) / 2 + FONT_SIZE - 1
        parts.append(_text(x, text_y, column.lines, "pf-actor-label"))
        classes = f"pf-actor pf-actor-{where}" + (" pf-created" if created else "")
        self.layers["actors"].append(
            f'<g class="{classes}" data-id="{xml_attr(actor.id)}" '
            f'data-type="{xml_attr(actor.type)}">{"".join(parts)}</g>'
        )

    def _draw_destroy(self, x: float, y: float) -> None:
        self.layers["messages"].append(
            f'<path class="pf-destroy" d="M{num(x - 8)} {num(y - 8)}L{num(x + 8)} {num(y + 8)}'
            f'M{num(x + 8)} {num(y - 8)}L{num(x - 8)} {num(y + 8)}" stroke="{STROKE}" '
            f'stroke-width="2"/>'
        )

    def _draw_box(self, number: int, label: str, color: str, actor_ids: tuple[str, ...],
                  top: float, bottom: float) -> None:
        members = [self.index[a] for a in actor_ids if a in self.index]
        if members:
            left = min(self.x[i] - self.columns[i].width / 2 for i in members) - 10
            right = max(self.x[i] + self.columns[i].width / 2 for i in members) + 10
        else:
            left, right = MARGIN, MARGIN + MIN_ACTOR_WIDTH
        self.bounds.x(left, right)
        fill = safe_color(color, "none") if color and color != "transparent" else "none"
        lines = wrap(label, max(right - left - 10, 40), max_lines=1) if label else []
        text = _text((left + right) / 2, top + FONT_SIZE, lines, "pf-box-label") if lines else ""
        self.layers["boxes"].append(
            f'<g class="pf-box" data-index="{number}"><rect x="{num(left)}" y="{num(top - 4)}" '
            f'width="{num(right - left)}" height="{num(bottom - top + 4)}" '
            f'fill="{xml_attr(fill)}" fill-opacity="0.5" stroke="#aaaaaa"/>{text}</g>'
        )

    # ------------------------------------------------------------------ messages
    def _edge(self, at: int, towards_right: bool, active: list[list[float]]) -> float:
        """Where an arrow meets a lifeline: at the side of its top activation bar."""
        depth = len(active[at])
        x = self.x[at]
        if depth == 0:
            return x
        offset = ACTIVATION_HALF * depth
        return x + offset if towards_right else x - ACTIVATION_HALF * 2 + offset

    def _draw_message(self, message: Message, source: int, target: int, lines: list[str],
                      arrow_y: float, label: str | None, active: list[list[float]],
                      create: bool) -> tuple[float, float]:
        dashed, end_head, start_head = arrow_style(message.line_type)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        parts: list[str] = []
        if source == target:
            x = self._edge(source, True, active)
            loop_right = x + SELF_LOOP_WIDTH
            end_y = arrow_y + SELF_LOOP_HEIGHT
            parts.append(
                f'<path class="pf-message-line" d="M{num(x)} {num(arrow_y)}H{num(loop_right)}'
                f'V{num(end_y)}H{num(x)}" fill="none" stroke="{STROKE}" '
                f'stroke-width="1.5"{dash}/>'
            )
            parts.append(self._head(end_head, x, end_y, -1))
            parts.append(self._head(start_head, x, arrow_y, -1))
            text_left = x + 6
            if lines:
                parts.append(_text(text_left, arrow_y - 6 - (len(lines) - 1) * LINE_HEIGHT,
                                   lines, "pf-message-text", anchor="start"))
            start_x, end_x = x, x
            left, right = x, max(loop_right, text_left + lines_width(lines))
        else:
            rightwards = target > source
            start_x = self._edge(source, rightwards, active)
            end_x = self._edge(target, not rightwards, active)
            if create:
                half = self.columns[target].width / 2
                end_x = self.x[target] - half if rightwards else self.x[target] + half
            direction = 1 if rightwards else -1
            parts.append(
                f'<line class="pf-message-line" x1="{num(start_x)}" y1="{num(arrow_y)}" '
                f'x2="{num(end_x)}" y2="{num(arrow_y)}" stroke="{STROKE}" '
                f'stroke-width="1.5"{dash}/>'
            )
            parts.append(self._head(end_head, end_x, arrow_y, direction))
            parts.append(self._head(start_head, start_x, arrow_y, -direction))
            if lines:
                parts.append(_text((start_x + end_x) / 2,
                                   arrow_y - 6 - (len(lines) - 1) * LINE_HEIGHT, lines,
                                   "pf-message-text"))
            left, right = min(start_x, end_x), max(start_x, end_x)
        central = message.central_connection
        if central in ("source", "both"):
            parts.append(self._central(start_x, arrow_y))
        if central in ("target", "both"):
            parts.append(self._central(end_x, arrow_y + (SELF_LOOP_HEIGHT if source == target
                                                         else 0)))
        if label is not None:
            radius = max(8.0, lines_width([label], 10) / 2 + 3)
            parts.append(
                f'<g class="pf-number"><circle cx="{num(start_x)}" cy="{num(arrow_y)}" '
                f'r="{num(radius)}" fill="{STROKE}"/>'
                + _text(start_x, arrow_y + 3.5, [label], "pf-number-text", size=10,
                        extra=' fill="#ffffff"')
                + "</g>"
            )
            left, right = min(left, start_x - radius), max(right, start_x + radius)
        self.bounds.x(left, right)
        self.layers["messages"].append(
            f'<g class="pf-message" data-kind="{xml_attr(message.line_type)}" '
            f'data-from="{xml_attr(message.source)}" data-to="{xml_attr(message.target)}">'
            f'{"".join(parts)}</g>'
        )
        return left, right

    @staticmethod
    def _central(x: float, y: float) -> str:
        return (f'<circle class="pf-central" cx="{num(x)}" cy="{num(y)}" r="4" fill="#ffffff" '
                f'stroke="{STROKE}" stroke-width="1.5"/>')

    @staticmethod
    def _head(kind: str | None, x: float, y: float, direction: int) -> str:
        """An arrowhead whose tip is at (x, y), pointing right (1) or left (-1)."""
        if kind is None:
            return ""
        back = x - direction * 10
        if kind == "filled":
            return (f'<path class="pf-arrowhead" d="M{num(x)} {num(y)}L{num(back)} {num(y - 5)}'
                    f'L{num(back)} {num(y + 5)}Z" fill="{STROKE}"/>')
        if kind == "open":
            return (f'<path class="pf-arrowhead pf-open" d="M{num(back)} {num(y - 5)}'
                    f'L{num(x)} {num(y)}L{num(back)} {num(y + 5)}" fill="none" '
                    f'stroke="{STROKE}" stroke-width="1.5"/>')
        if kind == "cross":
            centre = x - direction * 5
            return (f'<path class="pf-arrowhead pf-cross" d="M{num(centre - 5)} {num(y - 5)}'
                    f'L{num(centre + 5)} {num(y + 5)}M{num(centre + 5)} {num(y - 5)}'
                    f'L{num(centre - 5)} {num(y + 5)}" stroke="{STROKE}" stroke-width="1.5"/>')
        side = -6 if kind.endswith("top") else 6
        if kind.startswith("half"):
            return (f'<path class="pf-arrowhead pf-half" d="M{num(x)} {num(y)}'
                    f'L{num(back)} {num(y + side)}L{num(back)} {num(y)}Z" fill="{STROKE}"/>')
        return (f'<path class="pf-arrowhead pf-stick" d="M{num(x)} {num(y)}'
                f'L{num(back)} {num(y + side)}" fill="none" stroke="{STROKE}" '
                f'stroke-width="1.5"/>')

    def _draw_activation(self, at: int, depth: int, start: float, end: float) -> None:
        x = self.x[at] - ACTIVATION_HALF + depth * ACTIVATION_HALF
        self.bounds.x(x, x + 2 * ACTIVATION_HALF)
        self.layers["activations"].append(
            f'<rect class="pf-activation" data-actor="{xml_attr(self.columns[at].actor.id)}" '
            f'data-depth="{depth}" x="{num(x)}" y="{num(start)}" width="{2 * ACTIVATION_HALF}" '
            f'height="{num(end - start)}" fill="{ACTIVATION_FILL}" stroke="#666666"/>'
        )

    # ------------------------------------------------------------------ notes and frames
    def _draw_note(self, note: Note, lines: list[str], y: float,
                   open_frames: list[_Frame]) -> float:
        at = sorted(self.index[actor_id] for actor_id in note.actors if actor_id in self.index)
        width = max(lines_width(lines) + 20, 60)
        height = len(lines) * LINE_HEIGHT + 12
        if not at:
            return 0.0
        first, last = self.x[at[0]], self.x[at[-1]]
        if note.placement == "left of":
            left = first - 12 - width
        elif note.placement == "right of":
            left = first + 12
        else:
            span = last - first + 50
            width = max(width, span)
            left = (first + last) / 2 - width / 2
        self.bounds.x(left, left + width)
        if open_frames:
            open_frames[-1].cover(left, left + width)
        self.layers["notes"].append(
            f'<g class="pf-note" data-placement="{xml_attr(note.placement)}">'
            f'<rect x="{num(left)}" y="{num(y)}" width="{num(width)}" height="{num(height)}" '
            f'fill="{NOTE_FILL}" stroke="{NOTE_STROKE}"/>'
            + _text(left + width / 2, y + 6 + FONT_SIZE - 1, lines, "pf-note-text")
            + "</g>"
        )
        return height

    def _draw_frame(self, frame: _Frame, bottom: float) -> tuple[float, float]:
        if frame.left is None or frame.right is None:
            first = self.columns[0].width / 2 if self.columns else MIN_ACTOR_WIDTH / 2
            left = (self.x[0] if self.x else MARGIN + first) - first
            right = left + 2 * first
        else:
            left, right = frame.left - FRAME_PAD, frame.right + FRAME_PAD
        kind = FRAME_KINDS.get(frame.kind)
        if kind is None:  # rect: a background, the label is its colour
            color = safe_color(frame.label, "rgba(200, 200, 200, 0.3)")
            self.bounds.x(left, right)
            self.layers["rects"][frame.slot] = (
                f'<rect class="pf-rect" x="{num(left)}" y="{num(frame.top)}" '
                f'width="{num(right - left)}" height="{num(bottom - frame.top)}" '
                f'fill="{xml_attr(color)}"/>'
            )
            return left, right
        tag_width = lines_width([kind], 12) + 16
        label_lines = frame.label.split("\n") if frame.label else []
        label_width = lines_width(label_lines)
        section_width = max((lines_width(text.split("\n")) for _, text, _ in frame.sections
                             if text), default=0.0)
        minimum = max(tag_width * 2 + label_width, section_width) + 16
        if right - left < minimum:
            grow = (minimum - (right - left)) / 2
            left, right = left - grow, right + grow
        self.bounds.x(left, right)
        parts = [
            f'<rect x="{num(left)}" y="{num(frame.top)}" width="{num(right - left)}" '
            f'height="{num(bottom - frame.top)}" fill="none" stroke="{FRAME_STROKE}" '
            f'stroke-width="1.5"/>',
            f'<path d="M{num(left)} {num(frame.top)}H{num(left + tag_width)}'
            f'V{num(frame.top + 12)}L{num(left + tag_width - 6)} {num(frame.top + 20)}'
            f'H{num(left)}Z" fill="#eeeeee" stroke="{FRAME_STROKE}"/>',
            _text(left + tag_width / 2 - 3, frame.top + 14, [kind], "pf-frame-kind", size=12,
                  extra=' font-weight="bold"'),
        ]
        if label_lines:
            parts.append(_text((left + right) / 2, frame.top + 15, label_lines,
                               "pf-frame-label", extra=' font-weight="bold"'))
        for y, text, keyword in frame.sections:
            parts.append(
                f'<line class="pf-section-line" data-keyword="{xml_attr(keyword)}" '
                f'x1="{num(left)}" y1="{num(y)}" x2="{num(right)}" y2="{num(y)}" '
                f'stroke="{FRAME_STROKE}" stroke-dasharray="4 3"/>'
            )
            if text:
                parts.append(_text((left + right) / 2, y + 15, text.split("\n"),
                                   "pf-section-label", extra=' font-weight="bold"'))
        self.layers["frames"][frame.slot] = (
            f'<g class="pf-frame" data-kind="{xml_attr(frame.kind)}" '
            f'data-depth="{frame.depth}">{"".join(parts)}</g>'
        )
        return left, right

    # ------------------------------------------------------------------ document
    def _document(self, title_lines: list[str], bottom: float) -> str:
        diagram = self.diagram
        left = self.bounds.left - MARGIN if self.bounds.left < 0 else 0.0
        right = self.bounds.right + MARGIN
        if title_lines:
            centre = (left + right) / 2
            right = max(right, centre + lines_width(title_lines, 16) / 2 + MARGIN)
            title_svg = _text((left + right) / 2, MARGIN + 16, title_lines, "pf-title",
                              size=16, extra=' font-weight="bold"')
        else:
            title_svg = ""
        width = right - left
        height = max(bottom, self.bounds.bottom + MARGIN)
        name = diagram.acc_title or diagram.title or diagram.front_matter_title
        head = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="pf-sequence" '
            f'viewBox="{num(left)} 0 {num(width)} {num(height)}" width="{num(width)}" '
            f'height="{num(height)}" role="img" font-family="{FONT_FAMILY}" '
            f'font-size="{FONT_SIZE}">',
            f"<title>{xml_text(name or 'Sequence diagram')}</title>",
        ]
        if diagram.acc_descr:
            head.append(f"<desc>{xml_text(diagram.acc_descr)}</desc>")
        head.append(
            f'<rect class="pf-background" x="{num(left)}" y="0" width="{num(width)}" '
            f'height="{num(height)}" fill="#ffffff"/>'
        )
        body = [title_svg]
        for name_, layer in self.layers.items():
            if layer:
                body.append(f'<g class="pf-{name_}">{"".join(layer)}</g>')
        return "".join(head) + "".join(body) + "</svg>\n"
