"""The one way pubflow reads and writes YAML: ruamel, aliases refused, errors placed.

Tickets, environment files and `pubflow.yaml` are all edited by hand and all read here. An
alias can expand exponentially ("billion laughs"), and none of these files ever needs one,
so a text with an alias is refused with its line and column before anything is built. The
round-trip loader keeps comments and positions (for messages that point at a key); where
neither is needed, ruamel's C loader (ruamel.yaml.clib) reads seven times faster.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from typing import Any

from pubflow.errors import InputError, PubflowError


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

    # A text without `*` holds no alias, so the C loader cannot be fed an alias bomb.
    fast = None if round_trip or "*" in text else _fast()
    yaml = fast or _round_trip()
    try:
        if fast is None:
            _refuse_aliases(yaml, text, shown, error, kind)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        raise error(f"{where}: invalid YAML: {exc.problem}") from exc
    except YAMLError as exc:
        raise error(f"{shown}: invalid YAML: {exc}") from exc


def _refuse_aliases(yaml: Any, text: str, shown: str, error: type[PubflowError],
                    kind: str) -> None:
    if "*" not in text:
        return
    from ruamel.yaml.events import AliasEvent

    for event in yaml.parse(text):
        if isinstance(event, AliasEvent):
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
