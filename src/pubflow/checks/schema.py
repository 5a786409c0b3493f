"""Beat 4: the pattern against `schemas/pattern.schema.json`, with messages an author can act on.

Two generated functions with jsonschema's answers (`tools/gen_fastpath.py`): a pass/fail one
answers for the common case (the file is fine) in microseconds; only a file that fails goes
through the other, which lists every error as jsonschema's Draft-07 validator would (place,
keyword, value, schema object, message, in its order), so that each can be located and
explained. Neither imports jsonschema: that stays the reference the tests hold both to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from pubflow.checks.base import CheckContext
from pubflow.findings import Issue
from pubflow.storage.jsonsource import pointer_of

SCHEMA_NAME = "pattern.schema.json"
SCHEMA_HINT = "See schemas/pattern.schema.json for the field's rules."

_JSON_TYPE = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}

_PATTERN_MEANING = {
    "id": ("is not a kebab-case id", "Use lowercase letters and digits separated by single "
           "hyphens, e.g. 'incident-escalation'; it must equal the file name."),
    "version": ("is not a semantic version MAJOR.MINOR.PATCH",
                "Write the version as e.g. '1.2.0' or '2.0.0-rc.1'."),
    "email": ("is not a valid email address", "Write the address as name@example.org."),
    "relatedPatterns": ("is not a pattern id", "List ids of other patterns, e.g. 'incident-escalation'."),
}


def is_valid_fast(data: Any) -> bool:
    """Pass/fail in microseconds; equal to jsonschema's verdict (a test holds it to that)."""
    try:
        _fast_validator()(data)
    except ValueError:
        return False
    return True


@cache
def _fast_validator() -> Any:
    """The generated pass/fail function of the pattern schema (`storage.schemas`), looked up
    once: it runs on every file."""
    from pubflow.storage.schemas import generated_validator

    return generated_validator(SCHEMA_NAME)


class SchemaError:
    """One error as jsonschema reports it, with the attributes of its `ValidationError` that
    pubflow reads: the place (`absolute_path`), the keyword (`validator`) and its value, the
    failing value (`instance`), the schema object holding the keyword (`schema`, after `$ref`s)
    and the message."""

    __slots__ = ("_node", "absolute_path", "instance", "message", "validator", "validator_value")

    def __init__(self, path: tuple[Any, ...], keyword: str, instance: Any, node: str,
                 value: Any, message: str) -> None:
        self.absolute_path = path
        self.validator = keyword
        self.instance = instance
        self._node = node
        self.validator_value = value
        self.message = message

    @property
    def schema(self) -> Any:
        return _schema_node(self._node)

    def __repr__(self) -> str:
        return f"<SchemaError at {list(self.absolute_path)}: {self.message}>"


@cache
def _schema_node(pointer: str) -> Any:
    """The object at `pointer` (a JSON pointer) in the pattern schema."""
    from pubflow.storage.schemas import load_schema

    node: Any = load_schema(SCHEMA_NAME)
    for token in pointer.split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


@cache
def _validator_class() -> Any:
    """jsonschema's Draft-07 validator, with ECMA-262 `$` (end of string, not before a newline):
    the reference the generated functions are tested against, never used to check a file."""
    import jsonschema
    from jsonschema import validators

    def strict_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
        if isinstance(instance, str) and not _compile_ecma(pattern).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")

    return validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft7Validator, {"pattern": strict_pattern})


@cache
def _compile_ecma(pattern: str) -> re.Pattern[str]:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def detailed_errors(data: Any) -> list[SchemaError]:
    """Every schema error of `data`, as jsonschema reports them and in its order (from the
    generated `pattern_errors`, without jsonschema)."""
    from pubflow._generated.pattern_errors import iter_errors

    return [SchemaError(*error) for error in iter_errors(data)]  # type: ignore[no-untyped-call]


def full_schema_errors(data: Any) -> list[Any]:
    """The same errors from jsonschema itself: what `detailed_errors` is tested against."""
    from pubflow.storage.schemas import load_schema

    return list(_validator_class()(load_schema(SCHEMA_NAME)).iter_errors(data))


class SchemaCheck:
    name = "schema"

    def __call__(self, data: Any, context: CheckContext) -> Iterable[Issue]:
        if is_valid_fast(data):
            return []
        issues: list[Issue] = []
        for error in detailed_errors(data):
            issues.extend(_explain(error))
        issues.sort(key=lambda i: (i.pointer, i.rule))
        return issues


def field_label(path: Iterable[Any]) -> str:
    """`acceptanceCriteria[0].given`: how an author names a place in their document."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "the document"


def _json_type(value: Any) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _explain(error: Any) -> Iterator[Issue]:
    path = list(error.absolute_path)
    pointer = pointer_of(path)
    label = field_label(path)
    keyword = error.validator
    value = error.instance
    schema = error.schema
    rule = f"schema.{keyword}"
    if keyword == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        for name in missing or [error.message]:
            described = _describe_property(schema, name)
            yield Issue(pointer, "schema.required",
                        f"{label}: missing required field '{name}'"
                        if path else f"missing required field '{name}'",
                        f"Add \"{name}\"{described}.")
        return
    if keyword == "additionalProperties":
        import difflib  # (only here: unknown fields are rare)

        allowed = sorted(schema.get("properties", {}))
        for extra in sorted(map(str, set(value) - set(allowed))):  # (str: data from Python)
            close = difflib.get_close_matches(extra, allowed, n=1)
            suggestion = f" (did you mean '{close[0]}'?)" if close else ""
            where = f"{label}: " if path else ""
            yield Issue(pointer_of([*path, extra]), "schema.unknown-field",
                        f"{where}unknown field '{extra}'{suggestion}",
                        f"Remove it or rename it; allowed fields: {', '.join(allowed)}.",
                        at_key=True)
        return
    if keyword == "type":
        expected = schema.get("type")
        names = [expected] if isinstance(expected, str) else list(expected or [])
        wanted = " or ".join(_article(n) for n in names)
        yield Issue(pointer, rule, f"{label} must be {wanted}, not {_json_type(value)}",
                    SCHEMA_HINT)
        return
    if keyword == "minLength":
        if value == "":
            yield Issue(pointer, "schema.empty", f"{label} must not be empty",
                        _describe_hint(schema))
        else:
            yield Issue(pointer, rule, f"{label} is {len(value)} characters long; the minimum "
                        f"is {error.validator_value}", _describe_hint(schema))
        return
    if keyword == "maxLength":
        yield Issue(pointer, rule, f"{label} is {len(value)} characters long; the maximum is "
                    f"{error.validator_value}", "Shorten it.")
        return
    if keyword == "pattern":
        if value == "" and error.validator_value == r"\S":
            return  # minLength already says "must not be empty"
        yield _pattern_issue(path, pointer, label, value, error.validator_value, schema)
        return
    if keyword == "minItems":
        yield Issue(pointer, rule, f"{label} must list at least {error.validator_value} "
                    f"item{'s' if error.validator_value != 1 else ''}", _describe_hint(schema))
        return
    if keyword == "uniqueItems":
        seen: list[Any] = []
        dupes = [v for v in value if v in seen or seen.append(v)]  # type: ignore[func-returns-value]
        shown = ", ".join(repr(d) for d in dupes[:3])
        yield Issue(pointer, rule, f"{label} lists {shown} more than once",
                    "Remove the repeated entries.")
        return
    if keyword in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        bound = f"between {low} and {high}" if low is not None and high is not None else (
            f"at least {low}" if keyword == "minimum" else f"at most {high}")
        yield Issue(pointer, "schema.range", f"{label} is {value}; it must be {bound}",
                    "Scores run from 1 (absent) to 5 (exemplary)." if "scorecard" in path
                    else SCHEMA_HINT)
        return
    yield Issue(pointer, rule, f"{label}: {error.message}", SCHEMA_HINT)


def _pattern_issue(path: list[Any], pointer: str, label: str, value: str, pattern: str,
                   schema: dict[str, Any]) -> Issue:
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    if pattern == r"\S":
        return Issue(pointer, "schema.empty", f"{label} must not be blank", _describe_hint(schema))
    meaning, hint = _PATTERN_MEANING.get(key, (f"does not match {pattern!r}", SCHEMA_HINT))
    return Issue(pointer, "schema.format", f"{label} {value!r} {meaning}", hint)


def _article(type_name: str) -> str:
    return {"object": "an object", "array": "an array", "integer": "an integer"}.get(
        type_name, f"a {type_name}")


def _describe_property(schema: dict[str, Any], name: str) -> str:
    prop = schema.get("properties", {}).get(name, {})
    description = prop.get("description")
    return f" ({description.rstrip('.')})" if description else ""


def _describe_hint(schema: dict[str, Any]) -> str:
    description = schema.get("description")
    return f"Expected: {description}" if description else SCHEMA_HINT
