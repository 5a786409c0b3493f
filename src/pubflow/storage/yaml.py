"""The one way pubflow reads and writes YAML: ruamel, aliases refused, errors placed.

Tickets, environment files and `pubflow.yaml` are all edited by hand and all read here. An
alias can expand exponentially ("billion laughs"), and none of these files ever needs one,
so a text with an alias is refused with its line and column before anything is built. The
round-trip loader keeps comments and positions (for messages that point at a key); where
neither is needed, ruamel's C loader (ruamel.yaml.clib) reads seven times faster.

Both loaders build the document recursively (the C one in C: 100 000 levels crash the
process), so the nesting and the size are limited before either sees the text. Nesting is
measured on ruamel's event stream, which is produced without recursion and stopped at the
first level too many; a cheap look at the text first (brackets, leading indentation) spares
that pass for every file that cannot be deep.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from typing import Any

from pubflow.errors import InputError, PubflowError

MAX_DEPTH = 64
"""Nesting limit for every YAML file pubflow reads (as for pattern JSON); tickets use six."""
MAX_BYTES = 2 * 1024 * 1024
"""Size limit for every YAML file pubflow reads (as for ticket files)."""

_DEEP_PREFIX = re.compile(rf"^[ \t?:-]{{{MAX_DEPTH // 4},}}", re.M)
"""A line starting with this many blanks or block indicators may open a deep block node."""


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@functools.cache
def _fast() -> Any:
    """ruamel's safe loader on libyaml (ruamel.yaml.clib), or None where it is missing."""
    from ruamel.yaml import YAML

    loader = YAML(typ="safe")
    return loader if "CParser" in loader.Parser.__name__ else None


def load_yaml(text: str, shown: str, *, round_trip: bool = True,
              error: type[PubflowError] = InputError, kind: str = "ticket files") -> Any:
    """Parse hand-edited YAML: aliases refused, problems raised as `error` with
    `shown:line:col`. `round_trip=False` may use the C loader (plain dicts, no positions);
    `kind` names the files in the alias message ("are not allowed in <kind>")."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    _refuse_large(text, shown, error)
    # A text without `*` holds no alias, so the C loader cannot be fed an alias bomb.
    fast = None if round_trip or "*" in text else _fast()
    yaml = fast or _round_trip()
    aliases = fast is None and "*" in text
    try:
        if aliases or _may_be_deep(text):
            _pre_check(text, shown, error, kind, aliases=aliases)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        raise error(f"{where}: invalid YAML: {exc.problem}") from exc
    except YAMLError as exc:
        raise error(f"{shown}: invalid YAML: {exc}") from exc


def _refuse_large(text: str, shown: str, error: type[PubflowError]) -> None:
    if len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise error(f"{shown}: file is larger than the {MAX_BYTES // 1_048_576} MiB limit "
                    "for a YAML file",
                    hint="Check that this is the right file; pubflow's YAML files are a few "
                         "kilobytes.")


def _may_be_deep(text: str) -> bool:
    """False when the text cannot nest more than MAX_DEPTH levels: at most MAX_DEPTH / 2
    flow brackets, and every block collection starting before column MAX_DEPTH / 4 (a
    block collection nests in a deeper column, or once in the same column: a sequence as a
    mapping's value), so at most MAX_DEPTH / 2 block levels."""
    return (text.count("[") + text.count("{") > MAX_DEPTH // 2
            or _DEEP_PREFIX.search(text) is not None)


def _pre_check(text: str, shown: str, error: type[PubflowError], kind: str, *,
               aliases: bool) -> None:
    """Refuse aliases (when `aliases`) and nesting deeper than MAX_DEPTH, from ruamel's event
    stream: its scanner and parser keep explicit stacks, so no depth can exhaust them, and
    the stream is left at the first level too many."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    depth = 0
    for event in _round_trip().parse(text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise error(f"{shown}:{mark.line + 1}:{mark.column + 1}: YAML is nested more "
                            f"than {MAX_DEPTH} levels deep, the limit for {kind}",
                            hint="Remove the nesting; pubflow's files are a few levels deep.")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif aliases and isinstance(event, AliasEvent):
            mark = event.start_mark
            raise error(f"{shown}:{mark.line + 1}:{mark.column + 1}: YAML aliases "
                        f"(*{event.anchor}) are not allowed in {kind}",
                        hint="Write the value out in full.")


def dump_yaml(doc: Any) -> bytes:
    """A document as pubflow writes it: block style, two-space indents, no line folding."""
    out = io.StringIO()
    _round_trip().dump(doc, out)
    return out.getvalue().encode("utf-8")


def to_plain(value: Any) -> Any:
    """ruamel's round-trip types (CommentedMap, ScalarFloat...) as plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
