"""Tables that fit the terminal without cutting what a user copies.

Ids, versions, ticket numbers, times and counts (`Col(keep=True)`) are never cut or folded:
the table gives them their full width and lets the other columns (notes, reasons, verdicts)
wrap at spaces. When even that does not fit, the table becomes a stacked list: one block
per row, its first cell on a line of its own and the other cells as `name: value` below it,
wrapped at spaces. Titles are printed on their own line, never folded.

Cells are rich markup, escaped by the caller (`terminal.shown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

PADDING = 2
"""Per column: one space either side of the cell."""
MIN_WRAP = 8
"""The narrowest a wrapping column becomes (a longer word in it is folded)."""


@dataclass(frozen=True, slots=True)
class Col:
    name: str
    keep: bool = False
    """Never cut: an id, a version, a ticket number, a time or a count."""
    justify: str = "left"


def _plain_width(cell: str) -> tuple[int, int]:
    """(the widest line, the longest word) of a markup cell, in terminal cells."""
    from rich.text import Text

    text = Text.from_markup(cell)
    from rich.cells import cell_len

    lines = text.plain.splitlines() or [""]
    widest = max(cell_len(line) for line in lines)
    words = [w for line in lines for w in line.split()] or [""]
    return widest, max(cell_len(w) for w in words)


def layout(columns: Sequence[Col], rows: Sequence[Sequence[str]],
           width: int) -> list[int] | None:
    """Each column's width for a table of `width` cells with borders, or None when the kept
    columns and the least the others need do not fit."""
    fixed = 3 * len(columns) + 1  # padding and borders: | cell | cell |
    full: list[int] = []
    least: list[int] = []
    for index, column in enumerate(columns):
        head_wide, head_word = _plain_width(column.name)
        cells = [_plain_width(row[index]) for row in rows]
        wide = max([head_wide, *(c[0] for c in cells)])
        if column.keep:
            full.append(wide)
            least.append(wide)
        else:
            word = max([head_word, *(c[1] for c in cells)])
            full.append(wide)
            least.append(min(wide, max(head_word, min(word, MIN_WRAP))))
    room = width - fixed
    if sum(least) > room:
        return None
    widths = list(least)
    spare = room - sum(widths)
    # Give the spare room to the wrapping columns, the most wanting first, a cell at a time.
    while spare > 0:
        wanting = [i for i, w in enumerate(widths) if w < full[i]]
        if not wanting:
            break
        share = max(1, spare // len(wanting))
        for i in wanting:
            add = min(share, full[i] - widths[i], spare)
            widths[i] += add
            spare -= add
            if spare == 0:
                break
    return widths


def print_table(console: Any, title: str | None, columns: Sequence[Col],
                rows: Sequence[Sequence[str]]) -> None:
    """`rows` as a table that fits `console.width`, or as a stacked list."""
    from rich.table import Table

    if title:
        console.print(title, soft_wrap=False)
    if not rows:
        return  # the title says "0 pattern(s)"; an empty frame says nothing more
    widths = layout(columns, rows, console.width)
    if widths is None:
        _print_stacked(console, columns, rows)
        return
    table = Table()
    for column, width in zip(columns, widths, strict=True):
        table.add_column(column.name, width=width, justify=column.justify,  # type: ignore[arg-type]
                         no_wrap=column.keep, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table, crop=False)


def _print_stacked(console: Any, columns: Sequence[Col], rows: Sequence[Sequence[str]]) -> None:
    """One block per row: the first cell, then `name: value` pairs packed into lines."""
    from rich.text import Text

    width = console.width
    for row in rows:
        console.print(Text.from_markup(row[0], style="bold"), soft_wrap=False)
        line = Text("  ")
        for column, cell in zip(columns[1:], row[1:], strict=True):
            value = Text.from_markup(cell)
            if not value.plain.strip():
                continue
            pair = Text.assemble((f"{column.name}: ", "dim"), value)
            if line.plain.strip() and line.cell_len + 2 + pair.cell_len > width:
                console.print(line, soft_wrap=False)
                line = Text("  ")
            if line.plain.strip():
                line.append("  ")
            if pair.cell_len + 2 > width and not column.keep:
                # a long text (a reason, a note): on its own lines, wrapped at spaces
                if line.plain.strip():
                    console.print(line, soft_wrap=False)
                for part in pair.wrap(console, width - 2, overflow="fold"):
                    part.rstrip()
                    console.print(Text("  ").append_text(part), soft_wrap=True)
                line = Text("  ")
                continue
            line.append_text(pair)
        if line.plain.strip():
            console.print(line, soft_wrap=False)
