"""Generate `tests/data/mermaid/plain.json`: realistic diagrams and near-miss variants of them.

The diagram budgets count participants, messages and ``alt`` blocks through a shortcut
(`pubflow.diagrams.mermaid._counts.plain_counts`) that only answers for *plain* diagrams and hands
everything else to the full parser. This corpus stresses exactly that boundary:

* about 300 **base** diagrams: the two diagram fields of the pattern files that
  `bench/gen_patterns.py` writes (defective files included, so a few bases are unclosed,
  over budget or not sequence diagrams at all);
* about 1200 **variants**, each a base with one targeted mutation: keywords used as names,
  ``end``/section/title/declaration/note/message/whitespace/``autonumber`` forms just inside
  and just outside what the shortcut accepts, (de)activation rule breaks, and the characters
  (``#``, ``;``, ``%``, ``&``) that always send a diagram to the full parser.

The expected answers come from Mermaid itself (`../shared/oracle/mermaid/oracle.mjs`); this
script also trims the oracle's full output the way the other `*_expected.json` files are
trimmed (see `tests/data/mermaid/README.md`, "Format").

    python3 tools/gen_plain_corpus.py [--seed 4242] [--out tests/data/mermaid]
    node oracle.mjs tests/data/mermaid/plain.json > /tmp/plain_full.json   # in the oracle copy
    python3 tools/gen_plain_corpus.py --trim /tmp/plain_full.json [--out tests/data/mermaid]

Python 3.11, stdlib only; the output depends only on the seed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gen_patterns  # type: ignore[import-not-found]  # noqa: E402  (bench/ is no package)

DIAGRAM_FIELDS = ("asIsDiagramMermaid", "orchestratedDiagramMermaid")
BASE_PATTERNS = 150  # two diagrams each
DEFAULT_SEED = 4242

# --------------------------------------------------------------------------- output layout


def dump_lines(items: list[Any], compact: bool = False) -> str:
    """One JSON element per line inside ``[`` ``]``, as the other corpora are written."""
    separators = (",", ":") if compact else None
    body = ",\n".join(json.dumps(item, ensure_ascii=False, separators=separators) for item in items)
    return "[\n" + body + "\n]\n"


# --------------------------------------------------------------------------- base diagrams


def base_diagrams(seed: int) -> list[str]:
    """The diagram fields of a generated pattern repository, in file-name order."""
    diagrams: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        gen_patterns.generate(tmp, BASE_PATTERNS, 0.1, seed)
        for path in sorted(Path(tmp, "patterns").glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            for field in DIAGRAM_FIELDS:
                if isinstance(doc.get(field), str):
                    diagrams.append(doc[field])
    return diagrams


# --------------------------------------------------------------------------- diagram anatomy

_ARROWS_IN_BASES = r"-->>|->>|--x|-x|-->|->|--\)|-\)"
MESSAGE = re.compile(
    rf"^([ \t]*)([A-Za-z_][A-Za-z0-9_]*)({_ARROWS_IN_BASES})([A-Za-z_][A-Za-z0-9_]*): (.*)$"
)
DECLARATION = re.compile(r"^([ \t]*)(participant|actor) ([A-Za-z_][A-Za-z0-9_]*)(?: as (.*))?$")
NOTE = re.compile(r"^([ \t]*)Note (over|right of|left of) ([^:]*): (.*)$")
OPENER = re.compile(r"^[ \t]*(loop|alt|opt|par|par_over|critical|break|rect)\b")
SECTION = re.compile(r"^[ \t]*(else|and|option)\b")
END = re.compile(r"^[ \t]*end$")
ACTIVATION = re.compile(r"^([ \t]*)(activate|deactivate) ([A-Za-z_][A-Za-z0-9_]*)$")
TITLE = re.compile(r"^[ \t]*title ")
AUTONUMBER = re.compile(r"^[ \t]*autonumber$")


def _m(pattern: re.Pattern[str], line: str) -> re.Match[str]:
    """`pattern` matched at the start of a line already known to be of its kind."""
    found = pattern.match(line)
    if found is None:
        raise ValueError(f"{line!r} does not match {pattern.pattern!r}")
    return found


class Diagram:
    """A base diagram split into lines, with where its statements and blocks are."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.messages = [i for i, line in enumerate(self.lines) if MESSAGE.match(line)]
        self.declarations = [i for i, line in enumerate(self.lines) if DECLARATION.match(line)]
        self.notes = [i for i, line in enumerate(self.lines) if NOTE.match(line)]
        self.ends = [i for i, line in enumerate(self.lines) if END.match(line)]
        self.activations = [i for i, line in enumerate(self.lines) if ACTIVATION.match(line)]
        self.depth: list[int] = []  # block depth of each line (an opener/end counts outside)
        self.blocks: list[tuple[str, int, int]] = []  # (kind, opener line, end line)
        self.balanced = True
        stack: list[tuple[str, int]] = []
        for i, line in enumerate(self.lines):
            opener = OPENER.match(line)
            if END.match(line):
                if not stack:
                    self.balanced = False
                else:
                    kind, start = stack.pop()
                    self.blocks.append((kind, start, i))
                self.depth.append(len(stack))
            elif opener:
                self.depth.append(len(stack))
                stack.append((opener.group(1), i))
            else:
                self.depth.append(len(stack))
        if stack:
            self.balanced = False
        self.blocks.sort(key=lambda block: block[1])

    @property
    def sequence(self) -> bool:
        return self.lines[0] == "sequenceDiagram"

    @property
    def first_body(self) -> int:
        """The first line after the header, autonumber, title and declarations."""
        last = max([0, *self.declarations])
        return last + 1

    def actors(self) -> list[str]:
        """Ids in order of first appearance in declarations and messages."""
        seen: list[str] = []
        for line in self.lines:
            found = DECLARATION.match(line)
            names = [found.group(3)] if found else []
            message = MESSAGE.match(line)
            if message:
                names = [message.group(2), message.group(4)]
            for name in names:
                if name not in seen:
                    seen.append(name)
        return seen

    def hub(self) -> str | None:
        """The participant the orchestrated diagrams activate, if any."""
        for i in self.activations:
            found = ACTIVATION.match(self.lines[i])
            if found and found.group(2) == "activate":
                return found.group(3)
        return None

    def top_level(self) -> list[int]:
        """Body lines outside every block (insert before them to stay at top level)."""
        return [i for i in range(self.first_body, len(self.lines))
                if self.depth[i] == 0 and not OPENER.match(self.lines[i])]

    def inside(self, kinds: tuple[str, ...]) -> list[tuple[int, int]]:
        """(opener, end) of every block of one of `kinds`."""
        return [(start, end) for kind, start, end in self.blocks if kind in kinds]

    def indent(self, i: int) -> str:
        line = self.lines[min(i, len(self.lines) - 1)]
        return line[: len(line) - len(line.lstrip(" \t"))]


Mutation = Callable[[random.Random, Diagram], "list[str] | str | None"]


def _text(lines: list[str] | str | None) -> str | None:
    if lines is None or isinstance(lines, str):
        return lines
    return "\n".join(lines)


def _msg(d: Diagram, rng: random.Random, where: Callable[[re.Match[str]], bool] | None = None,
         ) -> tuple[int, re.Match[str]] | None:
    found = [(i, m) for i in d.messages if (m := MESSAGE.match(d.lines[i])) is not None
             and (where is None or where(m))]
    return rng.choice(found) if found else None


def _set_message(lines: list[str], i: int, m: re.Match[str], *, indent: str | None = None,
                 source: str | None = None, arrow: str | None = None, target: str | None = None,
                 text: str | None = None, layout: str = "{i}{s}{a}{t}: {x}") -> list[str]:
    lines = list(lines)
    lines[i] = layout.format(
        i=m.group(1) if indent is None else indent, s=m.group(2) if source is None else source,
        a=m.group(3) if arrow is None else arrow, t=m.group(4) if target is None else target,
        x=m.group(5) if text is None else text)
    return lines


def _insert(lines: list[str], i: int, *new: str) -> list[str]:
    return [*lines[:i], *new, *lines[i:]]


# --------------------------------------------------------------------------- keyword names

KEYWORD_NAMES = (
    "end", "alt", "loop", "else", "and", "opt", "par", "par_over", "critical", "break", "rect",
    "option", "Note", "participant", "actor", "activate", "deactivate", "destroy", "create",
    "box", "title", "left", "right", "autonumber", "links", "link", "properties", "details",
    "accTitle", "accDescr", "over", "as", "off", "sequenceDiagram",
)
# Names that start or end with a keyword but are none: the shortcut must keep them.
NEAR_KEYWORD_NAMES = (
    "Endpoint", "endx", "end_", "End2", "Alternative", "alt1", "Alt_Team", "loops", "Looper",
    "elsewhere", "Andy", "android", "options", "Opt2", "Party", "par_ov", "par_overx",
    "Critical2", "breaker", "Rectangle", "Notes", "Notary", "participants", "Actors", "activated",
    "Deactivation", "destroyer", "creator", "boxed", "titled", "Title2", "leftover", "rightmost",
    "autonumbers", "linked", "linker", "detailsX", "overall", "Over9", "ask", "asB", "offset",
    "Xend", "dividend", "Salt", "Backend", "_end", "ALTERNATE", "NOTEBOOK",
)


def case_forms(word: str) -> list[str]:
    forms: list[str] = []
    for form in (word.lower(), word[:1].upper() + word[1:].lower(), word.upper(), word):
        if form not in forms:
            forms.append(form)
    return forms


def rename_end(name: str, side: str) -> Mutation:
    """One message's source or target becomes `name`."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = _msg(d, rng)
        if found is None:
            return None
        i, m = found
        return _set_message(d.lines, i, m, **{side: name})

    return mutate


def rename_actor(name: str) -> Mutation:
    """An actor becomes `name` everywhere (declaration, messages, notes, activations)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        actors = d.actors()
        if not actors:
            return None
        old = rng.choice(actors)
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])")
        lines = list(d.lines)
        for i, line in enumerate(lines):
            if MESSAGE.match(line) or ACTIVATION.match(line):
                lines[i] = word.sub(name, line)
            elif (decl := DECLARATION.match(line)) and decl.group(3) == old:
                lines[i] = line.replace(f" {old}", f" {name}", 1)
            elif (note := NOTE.match(line)):
                lines[i] = f"{note.group(1)}Note {note.group(2)} {word.sub(name, note.group(3))}: " \
                    f"{note.group(4)}"
        return lines

    return mutate


def declare_as(keyword: str, name: str, replace: bool) -> Mutation:
    """`participant end` / `actor loop`: replace a declaration's id, or add one."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        if not d.declarations:
            return None
        i = rng.choice(d.declarations)
        indent = d.indent(i)
        if replace:
            lines = list(d.lines)
            lines[i] = f"{indent}{keyword} {name}"
            return lines
        return _insert(d.lines, i + 1, f"{indent}{keyword} {name}")

    return mutate


# --------------------------------------------------------------------------- end lines


def replace_end(new: Callable[[str], str]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        if not d.ends:
            return None
        i = rng.choice(d.ends)
        lines = list(d.lines)
        lines[i] = new(d.indent(i))
        return lines

    return mutate


def end_with_name(rng: random.Random, d: Diagram) -> list[str] | None:
    actors = d.actors()
    if not d.ends or not actors:
        return None
    i = rng.choice(d.ends)
    lines = list(d.lines)
    lines[i] = f"{d.indent(i)}end {rng.choice(actors)}"
    return lines


def extra_end_duplicate(rng: random.Random, d: Diagram) -> list[str] | None:
    if not d.ends:
        return None
    i = rng.choice(d.ends)
    return _insert(d.lines, i + 1, d.lines[i])


def extra_end_top(rng: random.Random, d: Diagram) -> list[str] | None:
    spots = d.top_level()
    if not spots:
        return None
    return _insert(d.lines, rng.choice(spots), "  end")


def extra_end_last(rng: random.Random, d: Diagram) -> list[str]:
    return [*d.lines, rng.choice(("  end", "end"))]


def remove_end(rng: random.Random, d: Diagram) -> list[str] | None:
    if not d.ends:
        return None
    i = rng.choice(d.ends)
    return d.lines[:i] + d.lines[i + 1:]


def cut_after_end(rng: random.Random, d: Diagram) -> list[str] | None:
    """The text ends right after an `end` (no line break after it)."""
    outer = [end for _, _, end in d.blocks if d.depth[end] == 0]
    if not outer:
        return None
    i = rng.choice(outer)
    return d.lines[: i + 1]


def cut_after(pattern: re.Pattern[str]) -> Mutation:
    """The text ends right after a line of some kind (no line break after it)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in range(1, len(d.lines)) if pattern.match(d.lines[i]) and d.depth[i] == 0]
        if not spots:
            return None
        return d.lines[: rng.choice(spots) + 1]

    return mutate


# --------------------------------------------------------------------------- sections and blocks


def insert_section(word: str, kinds: tuple[str, ...] | None) -> Mutation:
    """`word label` inside a block of `kinds`, or at top level when `kinds` is None."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        label = rng.choice(("Otherwise", "Meanwhile", "Exception path", "x"))
        if kinds is None:
            spots = d.top_level()
            if not spots:
                return None
            i = rng.choice(spots)
            return _insert(d.lines, i, f"{d.indent(i)}{word} {label}")
        found = d.inside(kinds)
        if not found:
            return None
        start, end = rng.choice(found)
        i = rng.randint(start + 1, end)
        return _insert(d.lines, i, f"{d.indent(start)}{word} {label}")

    return mutate


def wrap_block(opener: str, section: str | None, opener_label: str = " Meanwhile",
               section_label: str = " Also") -> Mutation:
    """Wrap one or two top-level messages in a new block, with an optional second section."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in d.top_level() if i in d.messages]
        if not spots:
            return None
        i = rng.choice(spots)
        indent = d.indent(i)
        lines = list(d.lines)
        first = "  " + lines[i]
        second = []
        if i + 1 in spots:
            second = ["  " + lines[i + 1]]
        body = [f"{indent}{opener}{opener_label}", first]
        if section is not None:
            body.append(f"{indent}{section}{section_label}")
        body += [*second, f"{indent}end"]
        return lines[:i] + body + lines[i + 1 + len(second):]

    return mutate


def nest_alt(kinds: tuple[str, ...] | None) -> Mutation:
    """An alt around one message inside an existing block of `kinds` (any block when None)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = [(start, end) for kind, start, end in d.blocks if kinds is None or kind in kinds]
        if not found:
            return None
        return _nest_alt(rng, d, *rng.choice(found))

    return mutate


def _nest_alt(rng: random.Random, d: Diagram, start: int, end: int) -> list[str] | None:
    inner = [i for i in range(start + 1, end) if i in d.messages]
    if not inner:
        return None
    i = rng.choice(inner)
    indent = d.indent(i)
    return [*d.lines[:i], f"{indent}alt Deep check", "  " + d.lines[i], f"{indent}else Skip",
            f"{indent}end", *d.lines[i + 1:]]


def replace_opener(new: Callable[[str, str, str], str], kinds: tuple[str, ...] | None = None
                   ) -> Mutation:
    """Rewrite a block opener line: new(indent, keyword, label)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = [(kind, start) for kind, start, _ in d.blocks if kinds is None or kind in kinds]
        if not found:
            return None
        kind, start = rng.choice(found)
        line = d.lines[start]
        indent = d.indent(start)
        label = line.strip()[len(kind):].strip()
        lines = list(d.lines)
        lines[start] = new(indent, kind, label)
        return lines

    return mutate


def replace_section(new: Callable[[str, str], str]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i, line in enumerate(d.lines) if SECTION.match(line)]
        if not spots:
            return None
        i = rng.choice(spots)
        lines = list(d.lines)
        lines[i] = new(d.indent(i), lines[i].strip()[4:].strip())
        return lines

    return mutate


def opener_then_next_line(rng: random.Random, d: Diagram) -> list[str] | None:
    """`opt` alone on its line, its label moved to a line of its own after it."""
    found = [(kind, start) for kind, start, _ in d.blocks]
    if not found:
        return None
    kind, start = rng.choice(found)
    indent = d.indent(start)
    label = d.lines[start].strip()[len(kind):].strip()
    lines = list(d.lines)
    lines[start] = f"{indent}{kind}"
    return _insert(lines, start + 1, f"{indent}  {label}")


# --------------------------------------------------------------------------- activations


def deactivate_inactive(rng: random.Random, d: Diagram) -> list[str] | None:
    hub = d.hub()
    others = [a for a in d.actors() if a != hub]
    spots = d.top_level()
    if not others or not spots:
        return None
    i = rng.choice(spots)
    return _insert(d.lines, i, f"{d.indent(i)}deactivate {rng.choice(others)}")


def minus_mark(from_hub: bool) -> Mutation:
    """`A->>-B`: deactivates the source (inactive unless it is the activated hub)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        hub = d.hub()
        if from_hub and hub is None:
            return None
        found = _msg(d, rng, (lambda m: m.group(2) == hub) if from_hub
                     else (lambda m: m.group(2) != hub))
        if found is None:
            return None
        i, m = found
        return _set_message(d.lines, i, m, target="-" + m.group(4))

    return mutate


def minus_replaces_deactivate(rng: random.Random, d: Diagram) -> list[str] | None:
    """The hub's `deactivate` line folded into its last message before it as a `-` mark."""
    hub = d.hub()
    if hub is None:
        return None
    stops = [i for i in d.activations if d.lines[i].strip() == f"deactivate {hub}"]
    if not stops:
        return None
    stop = stops[-1]
    before = [i for i in d.messages if i < stop and _m(MESSAGE, d.lines[i]).group(2) == hub]
    if not before:
        return None
    i = before[-1]
    m = _m(MESSAGE, d.lines[i])
    lines = _set_message(d.lines, i, m, target="-" + m.group(4))
    return lines[:stop] + lines[stop + 1:]


def plus_mark(with_reply: bool) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = _msg(d, rng, lambda m: m.group(2) != m.group(4))
        if found is None:
            return None
        i, m = found
        lines = _set_message(d.lines, i, m, target="+" + m.group(4))
        if with_reply:
            lines = _insert(lines, i + 1, f"{m.group(1)}{m.group(4)}-->>-{m.group(2)}: Done")
        return lines

    return mutate


def insert_activation(line: Callable[[random.Random, Diagram], str | None]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = d.top_level()
        new = line(rng, d)
        if not spots or new is None:
            return None
        i = rng.choice(spots)
        return _insert(d.lines, i, d.indent(i) + new)

    return mutate


def rewrite_activation(new: Callable[[str, str], str], which: str | None = None) -> Mutation:
    """Rewrite an activate/deactivate line: new(keyword, name)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in d.activations
                 if which is None or _m(ACTIVATION, d.lines[i]).group(2) == which]
        if not spots:
            return None
        i = rng.choice(spots)
        m = _m(ACTIVATION, d.lines[i])
        lines = list(d.lines)
        lines[i] = m.group(1) + new(m.group(2), m.group(3))
        return lines

    return mutate


def drop_activation(which: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in d.activations if _m(ACTIVATION, d.lines[i]).group(2) == which]
        if not spots:
            return None
        i = rng.choice(spots)
        return d.lines[:i] + d.lines[i + 1:]

    return mutate


def double_activation(which: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in d.activations if _m(ACTIVATION, d.lines[i]).group(2) == which]
        if not spots:
            return None
        i = rng.choice(spots)
        return _insert(d.lines, i + 1, d.lines[i])

    return mutate


# --------------------------------------------------------------------------- titles


def set_title(line: str, inside_block: bool = False, at_end: bool = False) -> Mutation:
    """Replace the title line (or add one after the header) with `line`."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        lines = [x for x in d.lines if not TITLE.match(x)]
        new = line.replace("{P}", rng.choice(("Claims Intake", "Order Handoff", "Refund (as-is)")))
        if at_end:
            return [*lines, "  " + new]
        if inside_block:
            again = Diagram("\n".join(lines))
            found = again.inside(("alt", "loop", "opt", "rect"))
            if not found:
                return None
            start, end = rng.choice(found)
            return _insert(lines, rng.randint(start + 1, end), again.indent(start) + "  " + new)
        return _insert(lines, 1 + (1 if AUTONUMBER.match(lines[1]) else 0), "  " + new)

    return mutate


# --------------------------------------------------------------------------- declarations


def rewrite_declaration(new: Callable[[str, str, str, str | None], str | None],
                        aliased: bool | None = None) -> Mutation:
    """Rewrite a declaration line: new(indent, keyword, id, alias or None)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i in d.declarations
                 if aliased is None or (_m(DECLARATION, d.lines[i]).group(4) is not None) == aliased]
        if not spots:
            return None
        i = rng.choice(spots)
        m = _m(DECLARATION, d.lines[i])
        line = new(m.group(1), m.group(2), m.group(3), m.group(4))
        if line is None:
            return None
        lines = list(d.lines)
        lines[i] = line
        return lines

    return mutate


def declare_late(rng: random.Random, d: Diagram) -> list[str] | None:
    """A declaration after the messages started (for a new id or one already used)."""
    spots = d.top_level()
    actors = d.actors()
    if not spots or not actors:
        return None
    i = rng.choice(spots)
    name = rng.choice([*actors, "Auditor", "Late_Team"])
    return _insert(d.lines, i, f"{d.indent(i)}participant {name} as Joined later")


def alias_used_as_name(rng: random.Random, d: Diagram) -> list[str] | None:
    """After `participant X as Y`, a message from `Y` (a second actor, not X)."""
    spots = [i for i in d.declarations if _m(DECLARATION, d.lines[i]).group(4)]
    targets = d.actors()
    if not spots or not targets:
        return None
    m = _m(DECLARATION, d.lines[rng.choice(spots)])
    alias = re.sub(r"[^A-Za-z0-9_]", "", m.group(4)) or "Alias"
    if alias[0].isdigit():
        alias = "A" + alias
    i = d.messages[-1] if d.messages else len(d.lines) - 1
    return _insert(d.lines, i, f"{d.indent(i)}{alias}->>{rng.choice(targets)}: Same person?")


# --------------------------------------------------------------------------- notes


def set_note(template: str) -> Mutation:
    """Replace a note with `template` ({A}, {B}, {C}: actors; {T}: the note's text)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        actors = d.actors()
        if len(actors) < 3:
            return None
        a, b, c = rng.sample(actors, 3)
        if d.notes:
            i = rng.choice(d.notes)
            text = _m(NOTE, d.lines[i]).group(4)
            lines = d.lines[:i] + d.lines[i + 1:]
        else:
            spots = d.top_level()
            if not spots:
                return None
            i, text, lines = rng.choice(spots), "Context is lost here", list(d.lines)
        return _insert(lines, i, d.indent(i) + template.format(A=a, B=b, C=c, T=text))

    return mutate


# --------------------------------------------------------------------------- messages


def message_layout(layout: str) -> Mutation:
    """Rewrite one message with a layout of {i} indent, {s} source, {a} arrow, {t} target, {x} text."""

    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = _msg(d, rng)
        if found is None:
            return None
        i, m = found
        return _set_message(d.lines, i, m, layout=layout)

    return mutate


def message_arrow(arrow: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = _msg(d, rng)
        if found is None:
            return None
        i, m = found
        return _set_message(d.lines, i, m, arrow=arrow)

    return mutate


def message_text(new: Callable[[str], str]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        found = _msg(d, rng)
        if found is None:
            return None
        i, m = found
        return _set_message(d.lines, i, m, text=new(m.group(5)))

    return mutate


def self_message(rng: random.Random, d: Diagram) -> list[str] | None:
    found = _msg(d, rng)
    if found is None:
        return None
    i, m = found
    return _set_message(d.lines, i, m, target=m.group(2))


# --------------------------------------------------------------------------- whitespace


def insert_blank(blank: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str]:
        return _insert(d.lines, rng.randint(1, len(d.lines)), blank)

    return mutate


def reindent(indent: Callable[[random.Random, int], str]) -> Mutation:
    """Every indented line gets a new indentation from its depth (in two-space steps)."""

    def mutate(rng: random.Random, d: Diagram) -> list[str]:
        lines = [d.lines[0]]
        for line in d.lines[1:]:
            stripped = line.lstrip(" ")
            level = (len(line) - len(stripped)) // 2
            lines.append(indent(rng, level) + stripped)
        return lines

    return mutate


def trailing_after(pattern: re.Pattern[str], blanks: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        spots = [i for i, line in enumerate(d.lines) if pattern.match(line)]
        if not spots:
            return None
        i = rng.choice(spots)
        lines = list(d.lines)
        lines[i] += blanks
        return lines

    return mutate


def whole_text(new: Callable[[str], str]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> str:
        return new(d.text)

    return mutate


def every_line_trailing(rng: random.Random, d: Diagram) -> list[str]:
    return [line + rng.choice(("", " ", "  ", "\t")) if i else line for i, line in enumerate(d.lines)]


# --------------------------------------------------------------------------- autonumber


def set_autonumber(line: str, at_end: bool = False, inside_block: bool = False) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        lines = [x for x in d.lines if not AUTONUMBER.match(x)]
        if at_end:
            return [*lines, "  " + line]
        if inside_block:
            again = Diagram("\n".join(lines))
            found = again.inside(("alt", "loop", "opt", "rect"))
            if not found:
                return None
            start, end = rng.choice(found)
            return _insert(lines, rng.randint(start + 1, end), again.indent(start) + "  " + line)
        return _insert(lines, 1, "  " + line)

    return mutate


# --------------------------------------------------------------------------- forbidden characters


def comment_line(comment: str) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str]:
        i = rng.randint(1, len(d.lines))
        return _insert(d.lines, i, d.indent(i) + comment)

    return mutate


def note_text(new: Callable[[str], str]) -> Mutation:
    def mutate(rng: random.Random, d: Diagram) -> list[str] | None:
        if not d.notes:
            return None
        i = rng.choice(d.notes)
        m = _m(NOTE, d.lines[i])
        lines = list(d.lines)
        lines[i] = f"{m.group(1)}Note {m.group(2)} {m.group(3)}: {new(m.group(4))}"
        return lines

    return mutate


def insert_char(chars: str) -> Callable[[str], str]:
    def new(text: str) -> str:
        cut = len(text) // 2
        return text[:cut] + chars + text[cut:]

    return new


# --------------------------------------------------------------------------- the recipes

ALL_ARROWS = (
    "->>", "-->>", "-x", "--x", "->", "-->", "-)", "--)", "<<->>", "<<-->>", "-X", "--X",
    "-|\\", "-|/", "-\\\\", "-//", "/|-", "\\|-", "//-", "\\\\-",
    "--|\\", "--|/", "--\\\\", "--//", "/|--", "\\|--", "//--", "\\\\--",
)
BAD_ARROWS = ("=>", "->>>", "<->", "--", "<<->", "-->>>", "~>")


def recipes() -> list[tuple[str, int, Mutation]]:
    """(label, variants wanted, mutation); labels name the family and the exact form."""
    r: list[tuple[str, int, Mutation]] = []
    add = r.append

    # Keywords where a name should be (messages, and one actor renamed everywhere).
    for keyword in KEYWORD_NAMES:
        for n, form in enumerate(case_forms(keyword)):
            side = ("source", "target")[(n + len(keyword)) % 2]
            add((f"kw-{side}:{form}", 1, rename_end(form, side)))
            if n == 0:
                add((f"kw-actor:{form}", 1, rename_actor(form)))
    for n, name in enumerate(NEAR_KEYWORD_NAMES):
        if n % 2:
            add((f"near-kw-actor:{name}", 1, rename_actor(name)))
        else:
            add((f"near-kw-target:{name}", 1, rename_end(name, "target")))
    # Keywords as declared names.
    for keyword in ("end", "loop", "alt", "else", "and", "opt", "par", "critical", "break", "rect",
                    "option", "Note", "title", "as", "over", "left", "box", "create", "destroy",
                    "activate", "autonumber", "links", "off", "participant", "actor", "END", "Loop"):
        add((f"declare-participant:{keyword}", 1, declare_as("participant", keyword, True)))
        add((f"declare-actor:{keyword}", 1, declare_as("actor", keyword, False)))
    for name in ("Endpoint", "Alternative", "loop_2", "Options", "asA", "overseer"):
        add((f"declare-near:{name}", 1, declare_as("participant", name, False)))

    # end lines.
    for label, new in (("end alt", lambda i: f"{i}end alt"), ("end-trailing", lambda i: f"{i}end   "),
                       ("END", lambda i: f"{i}END"), ("End", lambda i: f"{i}End"),
                       ("eNd", lambda i: f"{i}eNd"), ("end-tab", lambda i: f"{i}end\t"),
                       ("end-tab-blank", lambda i: f"{i}end \t "), ("end-noindent", lambda i: "end"),
                       ("end-deep-indent", lambda i: f"{i}\t\t  end"), ("endx", lambda i: f"{i}endx"),
                       ("end_", lambda i: f"{i}end_"), ("end:", lambda i: f"{i}end:"),
                       ("end-loop", lambda i: f"{i}end loop"), ("end-comment", lambda i: f"{i}end %% done"),
                       ("end;", lambda i: f"{i}end;"), ("end-hash", lambda i: f"{i}end # done"),
                       ("end-dot", lambda i: f"{i}end."), ("end-end", lambda i: f"{i}end end")):
        add((f"end:{label}", 4, replace_end(new)))
    add(("end:end-name", 6, end_with_name))
    add(("end:extra-duplicate", 8, extra_end_duplicate))
    add(("end:extra-top-level", 8, extra_end_top))
    add(("end:extra-at-eof", 5, extra_end_last))
    add(("end:removed", 10, remove_end))
    add(("end:text-ends-after-end", 8, cut_after_end))

    # Sections out of place and the section blocks.
    add(("section:else-top-level", 7, insert_section("else", None)))
    add(("section:else-in-loop", 7, insert_section("else", ("loop",))))
    add(("section:else-in-opt-rect", 5, insert_section("else", ("opt", "rect"))))
    add(("section:extra-else-in-alt", 5, insert_section("else", ("alt",))))
    add(("section:and-in-alt", 7, insert_section("and", ("alt",))))
    add(("section:and-top-level", 4, insert_section("and", None)))
    add(("section:option-top-level", 6, insert_section("option", None)))
    add(("section:option-in-alt-loop", 5, insert_section("option", ("alt", "loop"))))
    add(("section:ELSE-in-loop", 3, insert_section("ELSE", ("loop",))))
    add(("block:par-and", 6, wrap_block("par", "and")))
    add(("block:par_over-and", 8, wrap_block("par_over", "and")))
    add(("block:PAR_OVER-AND", 3, wrap_block("PAR_OVER", "AND")))
    add(("block:critical-option", 8, wrap_block("critical", "option")))
    add(("block:critical-else", 4, wrap_block("critical", "else")))
    add(("block:par-else", 3, wrap_block("par", "else")))
    add(("block:par_over-option", 3, wrap_block("par_over", "option")))
    add(("block:break", 5, wrap_block("break", None, " Fails fast")))
    add(("block:par-alone", 3, wrap_block("par", None)))
    add(("block:critical-no-label", 3, wrap_block("critical", "option", "", "")))
    add(("block:alt-else-no-labels", 3, wrap_block("alt", "else", "", "")))
    add(("block:alt-in-block", 8, nest_alt(None)))
    add(("block:alt-in-alt", 8, nest_alt(("alt",))))
    add(("block:alt-in-loop-opt-rect", 5, nest_alt(("loop", "opt", "rect"))))

    # Activations.
    add(("activation:deactivate-inactive", 8, deactivate_inactive))
    add(("activation:minus-from-inactive", 8, minus_mark(False)))
    add(("activation:minus-from-hub", 5, minus_mark(True)))
    add(("activation:minus-replaces-deactivate", 5, minus_replaces_deactivate))
    add(("activation:plus", 6, plus_mark(False)))
    add(("activation:plus-minus-pair", 6, plus_mark(True)))
    add(("activation:activate-undeclared", 5,
         insert_activation(lambda rng, d: f"activate {rng.choice(('Ghost', 'Auditor_2', 'x'))}")))
    add(("activation:activate-deactivate-undeclared", 3,
         insert_activation(lambda rng, d: "activate Ghost")))
    add(("activation:ACTIVATE", 4, rewrite_activation(lambda k, n: f"{k.upper()} {n}", "activate")))
    add(("activation:Deactivate", 4, rewrite_activation(lambda k, n: f"{k.capitalize()} {n}",
                                                        "deactivate")))
    add(("activation:two-blanks", 3, rewrite_activation(lambda k, n: f"{k}  {n}")))
    add(("activation:trailing-blank", 3, rewrite_activation(lambda k, n: f"{k} {n} ")))
    add(("activation:tab", 3, rewrite_activation(lambda k, n: f"{k}\t{n}")))
    add(("activation:no-name", 3, rewrite_activation(lambda k, n: k)))
    add(("activation:keyword-name", 3, rewrite_activation(lambda k, n: f"{k} end")))
    add(("activation:glued", 3, rewrite_activation(lambda k, n: f"{k}{n}")))
    add(("activation:two-names", 2, rewrite_activation(lambda k, n: f"{k} {n} {n}")))
    add(("activation:drop-activate", 5, drop_activation("activate")))
    add(("activation:double-deactivate", 4, double_activation("deactivate")))
    add(("activation:double-activate", 3, double_activation("activate")))
    add(("activation:activate-active-name", 3,
         insert_activation(lambda rng, d: f"activate {rng.choice(d.actors())}" if d.actors() else None)))

    # Titles.
    for label, line in (("bare", "title"), ("one-blank", "title "), ("two-blanks", "title  "),
                        ("blank-tab", "title \t"), ("two-blanks-text", "title  {P}"),
                        ("Title", "Title {P}"), ("TITLE", "TITLE {P}"), ("colon-blank", "title: {P}"),
                        ("colon", "title:{P}"), ("tab", "title\t{P}"), ("keyword-text", "title alt {P}"),
                        ("colon-in-text", "title Step: {P}"), ("titled", "titled {P}"),
                        ("title-only-colon", "title:")):
        add((f"title:{label}", 4, set_title(line)))
    add(("title:inside-block", 6, set_title("title {P}", inside_block=True)))
    add(("title:bare-inside-block", 3, set_title("title", inside_block=True)))
    add(("title:at-eof", 3, set_title("title {P}", at_end=True)))
    add(("title:bare-at-eof", 3, set_title("title", at_end=True)))

    # Declarations.
    for label, declared, aliased in (
        ("as-nothing", lambda i, k, n, a: f"{i}{k} {n} as", None),
        ("as-blanks", lambda i, k, n, a: f"{i}{k} {n} as  ", None),
        ("asB", lambda i, k, n, a: f"{i}{k} {n} as{(a or n).split()[0]}", None),
        ("two-words", lambda i, k, n, a: f"{i}{k} {n}  x", None),
        ("as-as", lambda i, k, n, a: f"{i}{k} {n} as {a or n} as Team", None),
        ("actor", lambda i, k, n, a: f"{i}actor {n}" + (f" as {a}" if a else ""), None),
        ("PARTICIPANT", lambda i, k, n, a: f"{i}PARTICIPANT {n}" + (f" as {a}" if a else ""), None),
        ("Participant", lambda i, k, n, a: f"{i}Participant {n}", None),
        ("ACTOR", lambda i, k, n, a: f"{i}ACTOR {n}", None),
        ("trailing-blanks", lambda i, k, n, a: f"{i}{k} {n}  ", False),
        ("trailing-tab", lambda i, k, n, a: f"{i}{k} {n}\t", False),
        ("alias-trailing", lambda i, k, n, a: f"{i}{k} {n} as {a}  ", True),
        ("two-blanks-before-id", lambda i, k, n, a: f"{i}{k}  {n}" + (f" as {a}" if a else ""), None),
        ("tab-before-id", lambda i, k, n, a: f"{i}{k}\t{n}" + (f" as {a}" if a else ""), None),
        ("tabs-around-as", lambda i, k, n, a: f"{i}{k} {n}\tas\t{a}", True),
        ("AS", lambda i, k, n, a: f"{i}{k} {n} AS {a}", True),
        ("As", lambda i, k, n, a: f"{i}{k} {n} As {a}", True),
        ("two-blanks-around-as", lambda i, k, n, a: f"{i}{k} {n}  as  {a}", True),
        ("alias-keyword", lambda i, k, n, a: f"{i}{k} {n} as end", None),
        ("alias-colon", lambda i, k, n, a: f"{i}{k} {n} as Team: {a}", True),
        ("dash-id", lambda i, k, n, a: f"{i}{k} {n}-Team", None),
        ("digit-id", lambda i, k, n, a: f"{i}{k} 2{n}", None),
        ("no-id", lambda i, k, n, a: f"{i}{k}", None),
        ("no-id-blank", lambda i, k, n, a: f"{i}{k} ", None),
        ("glued", lambda i, k, n, a: f"{i}{k}{n}", None),
        ("as-first", lambda i, k, n, a: f"{i}{k} as {n}", None),
        ("colon-after-id", lambda i, k, n, a: f"{i}{k} {n}:", None),
        ("id-with-space", lambda i, k, n, a: f"{i}{k} {n} Team as {a or n}", None),
    ):
        add((f"declaration:{label}", 3, rewrite_declaration(declared, aliased)))
    add(("declaration:duplicate", 3, lambda rng, d: _insert(d.lines, d.declarations[-1] + 1,
                                                            d.lines[rng.choice(d.declarations)])
         if d.declarations else None))
    add(("declaration:late", 5, declare_late))
    add(("declaration:alias-used-as-name", 4, alias_used_as_name))

    # Notes.
    for label, template in (
        ("left-of-two", "Note left of {A},{B}: {T}"), ("over-blanks-comma", "Note over {A} , {B} : {T}"),
        ("no-text", "note over {A}"), ("three", "Note over {A},{B},{C}: {T}"),
        ("NOTE-OVER", "NOTE OVER {A}: {T}"), ("leftof", "Note leftof {A}: {T}"),
        ("left-two-blanks-of", "Note left  of {A}: {T}"), ("right-of", "Note right of {A}: {T}"),
        ("left-of", "Note left of {A}: {T}"), ("lower-right", "note right of {A}:{T}"),
        ("empty-text", "Note over {A}:"), ("empty-text-two", "Note over {A},{B}:"),
        ("blank-before-comma", "Note over {A} ,{B}: {T}"), ("blanks-after-over", "Note over  {A}: {T}"),
        ("blanks-after-note", "Note  over {A}: {T}"), ("blanks-after-comma", "Note over {A},  {B}: {T}"),
        ("tab", "Note\tover\t{A}: {T}"), ("keyword-target", "Note over end: {T}"),
        ("keyword-second", "Note over {A},alt: {T}"), ("undeclared", "Note right of Observer: {T}"),
        ("same-twice", "Note over {A},{A}: {T}"), ("digit-name", "Note over 2{A}: {T}"),
        ("dash-name", "Note over {A}-{B}: {T}"), ("Right-Of", "Note Right Of {A}: {T}"),
        ("right-of-blanks", "Note right of  {A} : {T}"), ("over-nothing", "Note over: {T}"),
        ("blank-before-colon", "Note over {A} : {T}"), ("right-of-two", "Note right of {A},{B}: {T}"),
        ("keyword-prefix-target", "Note over Endpoint,{B}: {T}"), ("notes", "Notes over {A}: {T}"),
    ):
        add((f"note:{label}", 3, set_note(template)))

    # Messages.
    for label, layout in (
        ("no-text", "{i}{s}{a}{t}"), ("empty-text", "{i}{s}{a}{t}:"), ("blank-text", "{i}{s}{a}{t}: "),
        ("blanks-around", "{i}{s} {a} {t} : {x}"), ("blank-before-arrow", "{i}{s} {a}{t}: {x}"),
        ("blank-after-arrow", "{i}{s}{a} {t}: {x}"), ("blank-before-colon", "{i}{s}{a}{t} :{x}"),
        ("no-blank-after-colon", "{i}{s}{a}{t}:{x}"), ("tabs-around", "{i}{s}\t{a}\t{t}\t:\t{x}"),
        ("plus", "{i}{s}{a}+{t}: {x}"), ("plus-blank", "{i}{s}{a} +{t}: {x}"),
        ("plus-blank-after", "{i}{s}{a}+ {t}: {x}"), ("minus-x", "{i}{s}{a}-x{t}: {x}"),
        ("minus-X", "{i}{s}{a}-X{t}: {x}"), ("double-plus", "{i}{s}{a}++{t}: {x}"),
        ("colon-in-text", "{i}{s}{a}{t}: Step 1: {x}"), ("double-colon", "{i}{s}{a}{t}:: {x}"),
        ("digit-source", "{i}2{s}{a}{t}: {x}"), ("digit-target", "{i}{s}{a}2{t}: {x}"),
        ("digits-underscore", "{i}{s}_2{a}{t}_v2: {x}"), ("underscore-start", "{i}_{s}{a}{t}: {x}"),
        ("dash-name", "{i}{s}-Team{a}{t}: {x}"), ("dot-name", "{i}{s}.v2{a}{t}: {x}"),
        ("space-name", "{i}{s} Team{a}{t}: {x}"), ("no-source", "{i}{a}{t}: {x}"),
        ("no-target", "{i}{s}{a}: {x}"), ("plus-plus-minus", "{i}{s}{a}+-{t}: {x}"),
        ("keyword-text", "{i}{s}{a}{t}: end"), ("arrow-in-text", "{i}{s}{a}{t}: {x} ->> later"),
        ("paren-target", "{i}{s}{a}({t}): {x}"), ("central", "{i}{s}{a}(){t}: {x}"),
        ("glued-alias", "{i}{s}{a}{t}{t}: {x}"), ("quote-name", '{i}"{s}"{a}{t}: {x}'),
        ("unicode-name", "{i}{s}é{a}{t}: {x}"), ("trailing-text-blanks", "{i}{s}{a}{t}: {x}   "),
    ):
        add((f"message:{label}", 4 if label in ("plus", "minus-x", "no-text", "empty-text") else 3,
             message_layout(layout)))
    for arrow in ALL_ARROWS:
        add((f"arrow:{arrow}", 2, message_arrow(arrow)))
    for arrow in BAD_ARROWS:
        add((f"bad-arrow:{arrow}", 2, message_arrow(arrow)))
    add(("message:self", 3, self_message))
    add(("message:name-digits", 3, rename_actor("Team_2")))
    add(("message:name-underscore-start", 3, rename_actor("_Desk")))
    add(("message:name-digit-start", 4, rename_actor("2ndLine")))
    add(("message:name-all-digits", 2, rename_actor("42")))
    add(("message:name-dash", 2, rename_actor("Front-Desk")))
    add(("message:name-x-dash", 2, rename_actor("svc-xyz")))

    # Whitespace.
    for label, blank in (("empty", ""), ("spaces", "    "), ("tab", "\t"), ("mixed", " \t  \t"),
                         ("nbsp", "\u00a0"), ("vtab", "\v"), ("formfeed", "\f")):
        add((f"whitespace:blank-line-{label}", 4 if label in ("spaces", "tab", "mixed") else 2,
             insert_blank(blank)))
    add(("whitespace:tab-indent", 5, reindent(lambda rng, level: "\t" * level)))
    add(("whitespace:no-indent", 3, reindent(lambda rng, level: "")))
    add(("whitespace:mixed-indent", 4, reindent(lambda rng, level: rng.choice(("", " ", "\t", "  \t"))
                                                * level)))
    add(("whitespace:trailing-after-message", 6, trailing_after(MESSAGE, "  ")))
    add(("whitespace:trailing-tab-after-message", 4, trailing_after(MESSAGE, "\t")))
    add(("whitespace:trailing-after-note", 3, trailing_after(NOTE, " ")))
    add(("whitespace:trailing-after-opener", 3, trailing_after(OPENER, " \t")))
    add(("whitespace:trailing-everywhere", 4, every_line_trailing))
    add(("whitespace:crlf", 6, whole_text(lambda t: t.replace("\n", "\r\n"))))
    add(("whitespace:crlf-final", 3, whole_text(lambda t: t.replace("\n", "\r\n") + "\r\n")))
    add(("whitespace:cr", 3, whole_text(lambda t: t.replace("\n", "\r"))))
    add(("whitespace:final-newline", 4, whole_text(lambda t: t + "\n")))
    add(("whitespace:final-newlines", 3, whole_text(lambda t: t + "\n\n\n")))
    add(("whitespace:final-blanks", 3, whole_text(lambda t: t + "  ")))
    add(("whitespace:final-blank-line", 3, whole_text(lambda t: t + "\n  \t")))
    add(("whitespace:header-trailing-blank", 5, whole_text(lambda t: t.replace("sequenceDiagram\n",
                                                                              "sequenceDiagram \n", 1))))
    add(("whitespace:header-trailing-tab", 3, whole_text(lambda t: t.replace("sequenceDiagram\n",
                                                                            "sequenceDiagram\t\n", 1))))
    add(("whitespace:leading-blank-lines", 5, whole_text(lambda t: "\n\n" + t)))
    add(("whitespace:leading-blank-spaces", 3, whole_text(lambda t: "  \n\t\n" + t)))
    add(("whitespace:indented-header", 3, whole_text(lambda t: "  " + t)))
    add(("whitespace:header-statement", 2, whole_text(lambda t: t.replace("sequenceDiagram\n  ",
                                                                         "sequenceDiagram ", 1))))
    add(("whitespace:header-blank-line", 3, whole_text(lambda t: t.replace("sequenceDiagram\n",
                                                                          "sequenceDiagram\n\n", 1))))
    add(("whitespace:text-ends-after-note", 3, cut_after(NOTE)))
    add(("whitespace:text-ends-after-declaration", 2, cut_after(DECLARATION)))
    add(("whitespace:text-ends-after-activation", 3, cut_after(ACTIVATION)))

    # Block keywords without label, in other cases.
    for label, opened in (
        ("no-label", lambda i, k, lab: f"{i}{k}"), ("no-label-blank", lambda i, k, lab: f"{i}{k} "),
        ("no-label-tab", lambda i, k, lab: f"{i}{k}\t"), ("UPPER", lambda i, k, lab: f"{i}{k.upper()} {lab}"),
        ("Capital", lambda i, k, lab: f"{i}{k.capitalize()} {lab}"),
        ("glued-colon", lambda i, k, lab: f"{i}{k}:{lab}"), ("glued-dash", lambda i, k, lab: f"{i}{k}-{lab}"),
        ("glued-comma", lambda i, k, lab: f"{i}{k},{lab}"), ("tab-label", lambda i, k, lab: f"{i}{k}\t{lab}"),
        ("two-blanks", lambda i, k, lab: f"{i}{k}  {lab}"), ("glued-word", lambda i, k, lab: f"{i}{k}x {lab}"),
        ("glued-paren", lambda i, k, lab: f"{i}{k}({lab})"),
    ):
        add((f"opener:{label}", 4, replace_opener(opened)))
    add(("opener:alt-alone", 4, replace_opener(lambda i, k, lab: f"{i}alt", ("alt",))))
    add(("opener:ALT", 3, replace_opener(lambda i, k, lab: f"{i}ALT {lab}", ("alt",))))
    add(("opener:Loop", 3, replace_opener(lambda i, k, lab: f"{i}Loop {lab}", ("loop",))))
    add(("opener:opt-then-next-line", 5, opener_then_next_line))
    add(("section:else-alone", 4, replace_section(lambda i, lab: f"{i}else")))
    add(("section:ELSE", 3, replace_section(lambda i, lab: f"{i}ELSE {lab}")))
    add(("section:Else", 3, replace_section(lambda i, lab: f"{i}Else {lab}")))
    add(("section:else-glued", 3, replace_section(lambda i, lab: f"{i}else:{lab}")))

    # autonumber.
    for label, line in (("trailing-blank", "autonumber "), ("trailing-tab", "autonumber\t"),
                        ("start", "autonumber 10"), ("start-step", "autonumber 10 5"),
                        ("off", "autonumber off"), ("OFF", "autonumber OFF"), ("AUTONUMBER", "AUTONUMBER"),
                        ("Autonumber", "Autonumber"), ("decimal", "autonumber 1.5"),
                        ("too-many-decimals", "autonumber 1.555"), ("word", "autonumber x"),
                        ("start-trailing", "autonumber 10 "), ("glued", "autonumber10")):
        add((f"autonumber:{label}", 4 if label in ("trailing-blank", "start", "off") else 3,
             set_autonumber(line)))
    add(("autonumber:at-eof", 3, set_autonumber("autonumber", at_end=True)))
    add(("autonumber:trailing-blank-at-eof", 3, set_autonumber("autonumber ", at_end=True)))
    add(("autonumber:inside-block", 3, set_autonumber("autonumber", inside_block=True)))
    add(("autonumber:twice", 2, lambda rng, d: _insert(d.lines, 1, "  autonumber", "  autonumber")))

    # The characters that always go to the full parser.
    for char in ("#", ";", "%", "&", "%%", "#35;", "&amp;", "; B->>A: y"):
        add((f"forbidden:message:{char}", 4 if len(char) == 1 else 2, message_text(insert_char(char))))
    for char in ("#", ";", "%", "&"):
        add((f"forbidden:note:{char}", 2, note_text(insert_char(char))))
    add(("forbidden:alias-&", 2, rewrite_declaration(lambda i, k, n, a: f"{i}{k} {n} as {a} & Co", True)))
    add(("forbidden:title-#", 2, set_title("title {P} #1")))
    for comment in ("%% comment", "%% alt", "%% end", "  %% A->>B: x", "%%{init: {}}%%", "% single"):
        add((f"forbidden:comment-line:{comment.strip()}", 3, comment_line(comment)))
    add(("forbidden:hash-line", 2, comment_line("# note to self")))
    add(("forbidden:semicolon-line", 2, comment_line(";")))
    return r


def variants(bases: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """(label, diagram) for every recipe, each built on a randomly chosen suitable base."""
    parsed = [Diagram(text) for text in bases]
    usable = [d for d in parsed if d.sequence and d.balanced]
    seen = set(bases)
    out: list[tuple[str, str]] = []
    for label, wanted, mutate in recipes():
        made = 0
        for _ in range(60 * wanted):
            if made == wanted:
                break
            base = rng.choice(usable)
            text = _text(mutate(rng, base))
            if text is None or text in seen:
                continue
            seen.add(text)
            out.append((label, text))
            made += 1
        if made < wanted:
            print(f"warning: {label}: {made} of {wanted} variants", file=sys.stderr)
    return out


# --------------------------------------------------------------------------- trimming

_TRIMMED_ORDER = ("notes", "alt_blocks", "max_alt_depth", "alt_nested", "max_block_depth", "blocks",
                  "sections", "activations", "deactivations", "autonumber", "boxes", "created",
                  "destroyed")
_ERROR_CHARS = 160


def trim(record: dict[str, Any]) -> dict[str, Any]:
    """The oracle's full record as the `*_expected.json` files keep it (README "Format")."""
    if not record["ok"]:
        return {"ok": False, "error_type": record["error_type"],
                "error": (record["error"] or "").split("\n")[0][:_ERROR_CHARS]}
    out: dict[str, Any] = {"ok": True, "actors": record["actors"], "actor_ids": record["actor_ids"],
           "messages": record["messages"]}
    for field in _TRIMMED_ORDER:
        value = record[field]
        if isinstance(value, dict):
            value = {key: count for key, count in value.items() if count}
        if value:
            out[field] = value
    if record["actor_types"] != ["participant"] * record["actors"]:
        out["actor_types"] = record["actor_types"]
    if record["actor_labels"] != record["actor_ids"]:
        out["actor_labels"] = record["actor_labels"]
    out["arrows"] = record["arrows"]
    for field in ("title", "acc_title", "acc_descr"):
        if record[field] is not None:
            out[field] = record[field]
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "mermaid",
                        help="folder for plain.json / plain_expected.json (default tests/data/mermaid)")
    parser.add_argument("--trim", type=Path, metavar="FULL_JSON",
                        help="write plain_expected.json from the oracle's full output instead")
    args = parser.parse_args(argv)
    if args.trim is not None:
        full = json.loads(args.trim.read_text(encoding="utf-8"))
        diagrams = json.loads((args.out / "plain.json").read_text(encoding="utf-8"))
        if len(full) != len(diagrams):
            parser.error(f"{args.trim} has {len(full)} records, plain.json {len(diagrams)} diagrams")
        (args.out / "plain_expected.json").write_text(dump_lines([trim(r) for r in full], compact=True),
                                                     encoding="utf-8")
        accepted = sum(1 for r in full if r["ok"])
        print(f"wrote {len(full)} records to {args.out / 'plain_expected.json'} "
              f"({accepted} accepted, {len(full) - accepted} rejected)")
        return 0
    rng = random.Random(args.seed)
    bases = base_diagrams(args.seed)
    made = variants(bases, rng)
    diagrams = bases + [text for _, text in made]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "plain.json").write_text(dump_lines(diagrams), encoding="utf-8")
    families: dict[str, int] = {}
    for label, _ in made:
        family = label.split(":")[0]
        families[family] = families.get(family, 0) + 1
    print(f"wrote {len(diagrams)} diagrams to {args.out / 'plain.json'}: {len(bases)} bases, "
          f"{len(made)} variants (" + ", ".join(f"{k} {v}" for k, v in families.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
