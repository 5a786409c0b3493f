"""Files shipped inside the package (schemas), found the same way in a checkout and a wheel."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


def schema_text(name: str) -> str:
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
