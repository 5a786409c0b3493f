"""Files shipped inside the package (schemas), found the same way in a checkout and a wheel."""

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
def schema_validator(name: str) -> Any:
    """jsonschema's Draft-07 validator for one of the shipped schemas, built once."""
    import jsonschema

    return jsonschema.Draft7Validator(load_schema(name))
