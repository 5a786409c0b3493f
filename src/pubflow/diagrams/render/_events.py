"""The parsed model as one stream of events in the order Mermaid draws them.

The model keeps messages, notes, activations, autonumber statements and blocks in separate
lists with their line numbers. Drawing needs them interleaved. Messages are in document order,
and each block knows how many messages it holds (``message_count``, plus its children's), so
a block's first and last message are exact even when ``end`` shares a line with a message
(``end A->>B: x``); the other statements are placed among the messages by their line.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import NamedTuple

from pubflow.diagrams.mermaid.model import (
    ActivationChange,
    Autonumber,
    Block,
    Message,
    Note,
    SequenceDiagram,
)


class MessageEvent(NamedTuple):
    position: int
    message: Message


class NoteEvent(NamedTuple):
    position: int
    note: Note


class ActivationEvent(NamedTuple):
    change: ActivationChange


class AutonumberEvent(NamedTuple):
    autonumber: Autonumber


class BlockStart(NamedTuple):
    block_id: int
    block: Block
    depth: int


class SectionStart(NamedTuple):
    block_id: int
    label: str
    keyword: str


class BlockEnd(NamedTuple):
    block_id: int


Event = (
    MessageEvent | NoteEvent | ActivationEvent | AutonumberEvent | BlockStart | SectionStart
    | BlockEnd
)


class _Open(NamedTuple):
    """A block being walked: where its messages start and end, which part comes next."""

    block: Block
    block_id: int
    depth: int
    end_slot: int
    part: int
    child: int
    cursor: int


def _totals(blocks: tuple[Block, ...]) -> dict[int, int]:
    """Messages inside each block, nested ones included, keyed by ``id(block)``."""
    totals: dict[int, int] = {}
    pending: list[tuple[Block, bool]] = [(block, False) for block in blocks]
    while pending:
        block, children_done = pending.pop()
        if children_done:
            totals[id(block)] = block.message_count + sum(
                totals[id(child)] for child in block.children
            )
        else:
            pending.append((block, True))
            pending.extend((child, False) for child in block.children)
    return totals


def events(diagram: SequenceDiagram) -> list[Event]:
    """Every statement that draws something, in drawing order."""
    messages = diagram.messages
    count = len(messages)
    lines = [message.line for message in messages]
    totals = _totals(diagram.blocks)
    # (slot, group, line, sequence, event): a slot is the number of messages before the
    # event; group 1 puts a message after everything else in its slot.
    keyed: list[tuple[int, int, int, int, Event]] = [
        (index, 1, message.line, 0, MessageEvent(index, message))
        for index, message in enumerate(messages)
    ]
    sequence = 0

    def add(slot: int, line: int, event: Event) -> None:
        nonlocal sequence
        sequence += 1
        keyed.append((slot, 0, line, sequence, event))

    # Blocks, walked iteratively (diagrams nest thousands deep) in document order.
    block_ids = 0
    stack: list[_Open] = []
    top = _Open(
        Block("rect", "", 0, 0, children=diagram.blocks), -1, 0, count, 0, 0, 0
    )
    stack.append(top)
    while stack:
        current = stack[-1]
        block = current.block
        children = block.children
        if current.child < len(children):
            child = children[current.child]
            if current.block_id >= 0 and child.parent_section > current.part:
                # The next child sits after a section divider: draw the divider first.
                section = block.sections[current.part]
                slot = min(max(bisect_left(lines, section.line), current.cursor),
                           current.end_slot)
                add(slot, section.line, SectionStart(current.block_id, section.label,
                                                     section.keyword))
                stack[-1] = current._replace(part=current.part + 1, cursor=slot)
                continue
            total = totals[id(child)]
            start = min(max(bisect_left(lines, child.line), current.cursor),
                        current.end_slot - total)
            start = max(start, current.cursor)
            block_ids += 1
            add(start, child.line, BlockStart(block_ids, child, current.depth + 1))
            stack[-1] = current._replace(child=current.child + 1, cursor=start + total)
            stack.append(_Open(child, block_ids, current.depth + 1, start + total, 0, 0, start))
            continue
        if current.block_id >= 0:
            cursor = current.cursor
            for section in block.sections[current.part :]:
                slot = min(max(bisect_left(lines, section.line), cursor), current.end_slot)
                add(slot, section.line, SectionStart(current.block_id, section.label,
                                                     section.keyword))
                cursor = slot
            add(current.end_slot, block.end_line, BlockEnd(current.block_id))
        stack.pop()

    for index, note in enumerate(diagram.notes):
        add(bisect_right(lines, note.line), note.line, NoteEvent(index, note))
    for change in diagram.activations:
        add(bisect_right(lines, change.line), change.line, ActivationEvent(change))
    for autonumber in diagram.autonumbers:
        add(bisect_left(lines, autonumber.line), autonumber.line, AutonumberEvent(autonumber))
    keyed.sort(key=lambda item: item[:4])
    return [item[4] for item in keyed]
