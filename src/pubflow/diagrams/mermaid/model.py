"""A small typed model of a parsed sequence diagram.

Everything here is what Mermaid's own ``SequenceDB`` ends up holding, so counts read
from this model equal the counts Mermaid would draw. Line numbers are 1-based and
refer to the text given to :func:`pubflow.diagrams.mermaid.parse_sequence_diagram`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from typing import Any, Literal, NamedTuple

BlockKind = Literal["loop", "alt", "opt", "par", "par_over", "critical", "break", "rect"]
SectionKeyword = Literal["else", "and", "option"]
NotePlacement = Literal["left of", "right of", "over"]
Activation = Literal["activate", "deactivate"]
CentralConnection = Literal["source", "target", "both"]


class Actor(NamedTuple):
    """A participant Mermaid draws; ``id`` is what messages refer to."""

    id: str
    label: str
    """The alias (``participant A as Alice`` gives ``Alice``), else the id."""
    type: str
    """``participant``, ``actor``, or a ``@{ "type": ... }`` type such as ``database``."""
    line: int
    """Line of first appearance (declaration, message, note or link)."""


class Message(NamedTuple):
    """One ``A <arrow> B : text`` statement: one step of the diagram."""

    source: str
    target: str
    arrow: str
    """The arrow as written, with ``x`` lower-cased (``->>``, ``--x``, ``-|\\`` ...)."""
    line_type: str
    """Mermaid's ``LINETYPE`` name for the arrow (``SOLID``, ``DOTTED_CROSS`` ...)."""
    text: str
    line: int
    activation: Activation | None = None
    """``activate`` for ``A->>+B`` (activates B), ``deactivate`` for ``A->>-B`` (deactivates A)."""
    central_connection: CentralConnection | None = None
    """Where the ``()`` marker sits: ``A->>()B`` target, ``A()->>B`` source, both."""


class Note(NamedTuple):
    """A note; it creates the actors it names but is not a step."""

    actors: tuple[str, ...]
    placement: NotePlacement
    text: str
    line: int


class Section(NamedTuple):
    """An ``else`` / ``and`` / ``option`` divider inside an alt, par or critical block."""

    keyword: SectionKeyword
    label: str
    line: int


class Block(NamedTuple):
    """A loop/alt/opt/par/par_over/critical/break/rect block and the blocks nested in it."""

    kind: BlockKind
    label: str
    line: int
    end_line: int
    sections: tuple[Section, ...] = ()
    children: tuple[Block, ...] = ()
    parent_section: int = 0
    """Which part of the enclosing block this block sits in: 0 before the first
    section divider, 1 after the first ``else``/``and``/``option``, and so on."""
    message_count: int = 0
    """Messages directly inside this block (not counting nested blocks)."""


class Box(NamedTuple):
    """A ``box`` grouping participants; boxes are drawn but are not blocks."""

    label: str
    color: str
    actor_ids: tuple[str, ...]
    line: int
    end_line: int


class ActivationChange(NamedTuple):
    """An ``activate``/``deactivate`` statement or a ``+``/``-`` message shorthand."""

    actor: str
    activate: bool
    line: int


class Autonumber(NamedTuple):
    """An ``autonumber`` statement (``autonumber 10 5``, ``autonumber off`` ...)."""

    line: int
    visible: bool
    start: float | None = None
    step: float | None = None


class SequenceDiagram(NamedTuple):
    """A sequence diagram Mermaid accepts, reduced to what it draws and counts."""

    actors: tuple[Actor, ...]
    """In order of first appearance, as Mermaid draws them left to right."""
    messages: tuple[Message, ...]
    notes: tuple[Note, ...] = ()
    blocks: tuple[Block, ...] = ()
    """Top-level blocks; nested blocks are in each block's ``children``."""
    boxes: tuple[Box, ...] = ()
    activations: tuple[ActivationChange, ...] = ()
    autonumbers: tuple[Autonumber, ...] = ()
    created: tuple[str, ...] = ()
    """Ids introduced with ``create``."""
    destroyed: tuple[str, ...] = ()
    """Ids ended with ``destroy``."""
    title: str | None = None
    """From a ``title`` statement (Mermaid's ``getDiagramTitle``)."""
    front_matter_title: str | None = None
    """``title:`` in the YAML front matter; Mermaid shows it when no ``title`` statement exists."""
    acc_title: str | None = None
    acc_descr: str | None = None

    @property
    def actor_count(self) -> int:
        """Distinct participants Mermaid would draw."""
        return len(self.actors)

    @property
    def step_count(self) -> int:
        """Messages (arrows); notes, activations and block keywords are not steps."""
        return len(self.messages)

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(actor.id for actor in self.actors)

    def iter_blocks(self) -> Iterator[tuple[Block, int]]:
        """Every block in document order with its nesting depth (1 = top level).

        Iterative on purpose: diagrams nest thousands deep without hitting the
        recursion limit.
        """
        pending: list[tuple[Block, int]] = [(block, 1) for block in reversed(self.blocks)]
        while pending:
            block, depth = pending.pop()
            yield block, depth
            pending.extend((child, depth + 1) for child in reversed(block.children))

    @property
    def alt_blocks(self) -> int:
        """How many ``alt`` blocks the diagram opens (nested ones included)."""
        return sum(1 for block, _ in self.iter_blocks() if block.kind == "alt")

    @property
    def max_alt_depth(self) -> int:
        """Deepest nesting of ``alt`` inside ``alt``; other blocks in between do not count.

        0 without any alt, 1 for alts that are not nested, 2 for alt > (loop >) alt.
        """
        deepest = 0
        pending: list[tuple[Block, int]] = [(block, 0) for block in self.blocks]
        while pending:
            block, alts_above = pending.pop()
            alts = alts_above + (block.kind == "alt")
            deepest = max(deepest, alts)
            pending.extend((child, alts) for child in block.children)
        return deepest

    @property
    def nested_alt(self) -> bool:
        """True when an ``alt`` sits (at any depth) inside another ``alt``."""
        return self.max_alt_depth >= 2

    @property
    def max_block_depth(self) -> int:
        """Deepest nesting over all block kinds (boxes excluded)."""
        return max((depth for _, depth in self.iter_blocks()), default=0)


# The records are named tuples because they are built by the thousand: a tuple is
# several times cheaper to create (and to define at import) than a frozen dataclass.
# They keep the dataclass behaviour the API promised: equal only to a record of the
# same class, hashable by value, not ordered, and immutable with FrozenInstanceError.


def _eq(self: tuple[Any, ...], other: object) -> object:
    if other.__class__ is self.__class__:
        return tuple.__eq__(self, other)
    # Another tuple would otherwise be compared item by item by tuple's own __eq__.
    return False if isinstance(other, tuple) else NotImplemented


def _ne(self: tuple[Any, ...], other: object) -> object:
    if other.__class__ is self.__class__:
        return tuple.__ne__(self, other)
    return True if isinstance(other, tuple) else NotImplemented


def _unordered(self: tuple[Any, ...], other: object) -> object:
    return NotImplemented


def _frozen_setattr(self: tuple[Any, ...], name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: tuple[Any, ...], name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_DATACLASS_LIKE: dict[str, Any] = {
    "__eq__": _eq,
    "__ne__": _ne,
    "__hash__": tuple.__hash__,
    "__lt__": _unordered,
    "__le__": _unordered,
    "__gt__": _unordered,
    "__ge__": _unordered,
    "__setattr__": _frozen_setattr,
    "__delattr__": _frozen_delattr,
}
for _record in (
    Actor, Message, Note, Section, Block, Box, ActivationChange, Autonumber, SequenceDiagram
):  # fmt: skip
    for _name, _method in _DATACLASS_LIKE.items():
        setattr(_record, _name, _method)
del _record, _name, _method
