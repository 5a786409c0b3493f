"""The typed model: what pubflow's budget checks and reports read."""

from __future__ import annotations

import dataclasses

import pytest

from pubflow.diagrams.mermaid import (
    Actor,
    Block,
    Message,
    Note,
    Section,
    SequenceDiagram,
    parse_sequence_diagram,
)

CHECKOUT = """\
---
title: Checkout
---
sequenceDiagram
    autonumber
    title Checkout flow
    accTitle: Checkout
    accDescr {
        A customer pays
        for an order
    }
    box Aqua Storefront
        actor C as Customer
        participant W as Web shop
    end
    participant P@{ "type": "queue", "alias": "Payments" }
    C->>+W: place order
    loop until paid
        W-)P: charge
        alt card accepted
            P-->>W: ok
        else declined
            P--xW: declined
            opt retry
                W->>P: charge again
            end
        end
    end
    par notify
        W-->>C: receipt
    and audit
        Note over W,P: audit trail
    end
    W-->>-C: done
    create participant M as Mailer
    W->>M: send mail
    destroy M
    M-->>W: sent
"""


@pytest.fixture(scope="module")
def checkout() -> SequenceDiagram:
    return parse_sequence_diagram(CHECKOUT)


def test_budget_properties(checkout: SequenceDiagram) -> None:
    assert checkout.actor_count == 4
    assert checkout.step_count == 9
    assert checkout.alt_blocks == 1
    assert checkout.max_alt_depth == 1
    assert checkout.nested_alt is False
    assert checkout.max_block_depth == 3


def test_actors_keep_declaration_details(checkout: SequenceDiagram) -> None:
    assert checkout.actors[:3] == (
        Actor("C", "Customer", "actor", 13),
        Actor("W", "Web shop", "participant", 14),
        Actor("P", "Payments", "queue", 16),
    )
    assert checkout.actors[3].id == "M"
    assert checkout.created == ("M",)
    assert checkout.destroyed == ("M",)


def test_messages_keep_arrow_activation_and_line(checkout: SequenceDiagram) -> None:
    first = checkout.messages[0]
    assert first == Message("C", "W", "->>", "SOLID", "place order", 17, "activate", None)
    assert [m.arrow for m in checkout.messages[1:4]] == ["-)", "-->>", "--x"]
    assert checkout.messages[6].activation == "deactivate"
    assert [(c.actor, c.activate) for c in checkout.activations] == [("W", True), ("W", False)]


def test_blocks_form_a_tree_with_sections(checkout: SequenceDiagram) -> None:
    loop, par = checkout.blocks
    assert (loop.kind, loop.label, loop.line, loop.end_line) == ("loop", "until paid", 18, 28)
    (alt,) = loop.children
    assert [(s.keyword, s.label, s.line) for s in alt.sections] == [("else", "declined", 22)]
    (opt,) = alt.children
    assert (opt.kind, opt.label, opt.parent_section) == ("opt", "retry", 1)
    assert (loop.message_count, alt.message_count, opt.message_count) == (1, 2, 1)
    assert (par.kind, [s.keyword for s in par.sections]) == ("par", ["and"])
    depths = [(block.kind, depth) for block, depth in checkout.iter_blocks()]
    assert depths == [("loop", 1), ("alt", 2), ("opt", 3), ("par", 1)]


def test_titles_notes_boxes_autonumber(checkout: SequenceDiagram) -> None:
    assert checkout.title == "Checkout flow"
    assert checkout.front_matter_title == "Checkout"
    assert checkout.acc_title == "Checkout"
    assert checkout.acc_descr == "A customer pays\nfor an order"
    (note,) = checkout.notes
    assert (note.actors, note.placement, note.text, note.line) == (
        ("W", "P"),
        "over",
        "audit trail",
        32,
    )
    (box,) = checkout.boxes
    assert (box.label, box.color, box.actor_ids, box.line, box.end_line) == (
        "Storefront",
        "Aqua",
        ("C", "W"),
        12,
        15,
    )
    (autonumber,) = checkout.autonumbers
    assert (autonumber.visible, autonumber.start, autonumber.step) == (True, None, None)


def test_nested_alt_through_other_blocks() -> None:
    diagram = parse_sequence_diagram(
        "sequenceDiagram\nalt a\nloop l\nalt b\nA->>B: x\nend\nend\nend\nalt c\nend\n"
    )
    assert (diagram.alt_blocks, diagram.max_alt_depth, diagram.nested_alt) == (3, 2, True)


def test_model_is_frozen_and_slotted(checkout: SequenceDiagram) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        checkout.title = "changed"  # type: ignore[misc]
    assert not hasattr(checkout.messages[0], "__dict__")
    assert isinstance(checkout.blocks[0], Block)


def test_every_arrow_kind_and_central_connections() -> None:
    arrows = {
        "->": "SOLID_OPEN",
        "-->": "DOTTED_OPEN",
        "->>": "SOLID",
        "-->>": "DOTTED",
        "-x": "SOLID_CROSS",
        "--x": "DOTTED_CROSS",
        "-)": "SOLID_POINT",
        "--)": "DOTTED_POINT",
        "<<->>": "BIDIRECTIONAL_SOLID",
        "<<-->>": "BIDIRECTIONAL_DOTTED",
        "-|\\": "SOLID_TOP",
        "-|/": "SOLID_BOTTOM",
        "-\\\\": "STICK_TOP",
        "-//": "STICK_BOTTOM",
        "--|\\": "SOLID_TOP_DOTTED",
        "--|/": "SOLID_BOTTOM_DOTTED",
        "--\\\\": "STICK_TOP_DOTTED",
        "--//": "STICK_BOTTOM_DOTTED",
        "/|-": "SOLID_ARROW_TOP_REVERSE",
        "\\|-": "SOLID_ARROW_BOTTOM_REVERSE",
        "//-": "STICK_ARROW_TOP_REVERSE",
        "\\\\-": "STICK_ARROW_BOTTOM_REVERSE",
        "/|--": "SOLID_ARROW_TOP_REVERSE_DOTTED",
        "\\|--": "SOLID_ARROW_BOTTOM_REVERSE_DOTTED",
        "//--": "STICK_ARROW_TOP_REVERSE_DOTTED",
        "\\\\--": "STICK_ARROW_BOTTOM_REVERSE_DOTTED",
    }
    text = "sequenceDiagram\n" + "".join(f"Alice{arrow}Bob: m\n" for arrow in arrows)
    diagram = parse_sequence_diagram(text)
    assert [(m.arrow, m.line_type) for m in diagram.messages] == list(arrows.items())
    central = parse_sequence_diagram(
        "sequenceDiagram\nA->>()B: t\nA()->>B: s\nA()->>()B: both\nA-x B: none\n"
    )
    assert [m.central_connection for m in central.messages] == ["target", "source", "both", None]


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 5000
    text = "sequenceDiagram\n" + "alt a\n" * depth + "A->>B: deep\n" + "end\n" * depth
    diagram = parse_sequence_diagram(text)
    assert diagram.alt_blocks == depth
    assert diagram.max_alt_depth == depth
    assert diagram.max_block_depth == depth
    assert sum(1 for _ in diagram.iter_blocks()) == depth


def test_entity_codes_read_as_written() -> None:
    diagram = parse_sequence_diagram(
        "sequenceDiagram\nparticipant A#35;1\nA#35;1->>B: I #9829; you\n"
    )
    assert diagram.actor_ids == ("A#35;1", "B")
    assert diagram.messages[0].text == "I #9829; you"


def test_records_behave_like_frozen_dataclasses(checkout: SequenceDiagram) -> None:
    import pickle

    message = checkout.messages[0]
    same = Message("C", "W", "->>", "SOLID", "place order", 17, "activate", None)
    assert message == same and (message != same) is False and hash(message) == hash(same)
    # Equal only to a record of the same class, never to a plain tuple or another record.
    assert message != tuple(same)
    assert Actor("A", "A", "participant", 1) != ("A", "A", "participant", 1)
    assert tuple(same) != message and not tuple(same) == message  # noqa: SIM201
    assert checkout.activations[0] != checkout.activations[0][:2]  # type: ignore[comparison-overlap]
    assert Section("else", "x", 1) != Note(("else",), "over", "x", 1)  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError):
        _ = message < same
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.text = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del message.text
    assert repr(Actor("A", "Alice", "actor", 3)) == (
        "Actor(id='A', label='Alice', type='actor', line=3)"
    )
    assert Message("A", "B", "->", "SOLID_OPEN", "t", 2) == Message(
        source="A", target="B", arrow="->", line_type="SOLID_OPEN", text="t", line=2,
        activation=None, central_connection=None,
    )  # fmt: skip
    assert pickle.loads(pickle.dumps(checkout)) == checkout
    assert {checkout: 1}[parse_sequence_diagram(CHECKOUT)] == 1
