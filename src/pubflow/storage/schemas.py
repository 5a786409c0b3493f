"""The schemas shipped inside the package, and the two validators each one has.

A schema is read the same way in a checkout and a wheel. Checking a document against it asks
the generated pass/fail validator first (`pubflow._generated`, microseconds) and jsonschema
only to explain a failure (milliseconds), so documents that pass never pay for jsonschema.
A pattern's failures are explained by a generated function as well (`checks/schema.py`):
pattern files are checked by the thousand, and a pre-commit hook on a failing one should not
import jsonschema to word its message.
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


@cache
def generated_validator(name: str) -> Any:
    """The generated pass/fail validator of a schema (tools/gen_fastpath.py), imported on
    first use: each is hundreds of lines that most commands never need."""
    if name == "pattern.schema.json":
        from pubflow._generated import pattern_fastpath

        return pattern_fastpath.validate
    if name == "environment.schema.json":
        from pubflow._generated import environment_fastpath

        return environment_fastpath.validate
    if name == "ticket.schema.json":
        from pubflow._generated import ticket_fastpath

        return ticket_fastpath.validate
    raise KeyError(f"{name} has no generated validator")


def passes(name: str, doc: Any) -> bool:
    """The generated validator's verdict, which equals jsonschema's (tests hold it to that)."""
    try:
        generated_validator(name)(doc)
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
                                key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p))
                                               for p in e.absolute_path])]


@cache
def schema_validator(name: str) -> Any:
    """jsonschema's Draft-07 validator for one of the shipped schemas, built once."""
    import jsonschema

    return jsonschema.Draft7Validator(load_schema(name))
