"""The schemas shipped inside the package, and the two validators each one has.

A schema is read the same way in a checkout and a wheel. Checking a document against it asks
the generated pass/fail validator first (`pubflow._generated`, microseconds) and jsonschema
only to explain a failure (milliseconds), so documents that pass never pay for jsonschema.
"""

from __future__ import annotations

import json
import os
from functools import cache

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from typing import Any

_SCHEMAS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas")


def schema_text(name: str) -> str:
    """A shipped schema's text; read beside this module (importlib.resources, needed only
    for a zipped install, costs a dozen milliseconds of imports at every start, and pathlib
    another dozen on the memo's start-up path)."""
    try:
        with open(os.path.join(_SCHEMAS, name), encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        from importlib import resources

        return resources.files("pubflow").joinpath("schemas", name).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(name))
    return data


_GENERATED = {
    "pattern.schema.json": "pattern_fastpath",
    "environment.schema.json": "environment_fastpath",
    "ticket.schema.json": "ticket_fastpath",
}
"""The generated pass/fail validator of each schema that has one (tools/gen_fastpath.py)."""


@cache
def _generated(name: str) -> Any:
    from importlib import import_module

    return import_module(f"pubflow._generated.{_GENERATED[name]}").validate


def passes(name: str, doc: Any) -> bool:
    """The generated validator's verdict, which equals jsonschema's (tests hold it to that)."""
    try:
        _generated(name)(doc)
    except ValueError:
        return False
    return True


def schema_problems(name: str, doc: Any) -> list[str]:
    """"where: message" for each way `doc` breaks schema `name`, in document order; empty
    when it passes (then jsonschema is never imported)."""
    if passes(name, doc):
        return []
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
            for error in sorted(schema_validator(name).iter_errors(doc),
                                key=lambda e: list(map(str, e.absolute_path)))]


@cache
def schema_validator(name: str) -> Any:
    """jsonschema's Draft-07 validator for one of the shipped schemas, built once."""
    import jsonschema

    return jsonschema.Draft7Validator(load_schema(name))
