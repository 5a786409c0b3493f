"""The schema check: jsonschema's verdict, worded for authors, one issue per problem."""

from __future__ import annotations

from typing import Any

import pytest

from pubflow.checks.base import CheckContext
from pubflow.checks.schema import SchemaCheck, detailed_errors, is_valid_fast
from pubflow.config import Config
from tests.conftest import valid_pattern


def issues(data: Any) -> list[tuple[str, str, str]]:
    context = CheckContext(config=Config(), file_stem="incident-escalation")
    return [(i.pointer, i.rule, i.message) for i in SchemaCheck()(data, context)]


def test_valid_pattern_passes_both_validators() -> None:
    data = valid_pattern()
    assert is_valid_fast(data)
    assert detailed_errors(data) == []
    assert issues(data) == []


def test_all_problems_of_a_file_are_reported() -> None:
    data = valid_pattern(version="1.0", name="ab", industries="saas", problemMarkdown=None)
    assert issues(data) == [
        ("", "schema.required", "missing required field 'problemMarkdown'"),
        ("/industries", "schema.type", "industries must be an array, not a string"),
        ("/name", "schema.minLength", "name is 2 characters long; the minimum is 3"),
        ("/version", "schema.format", "version '1.0' is not a semantic version MAJOR.MINOR.PATCH"),
    ]


def test_unknown_field_suggests_the_right_name() -> None:
    data = valid_pattern(scorcard={"ownership": 5})
    assert issues(data) == [
        ("/scorcard", "schema.unknown-field", "unknown field 'scorcard' (did you mean 'scorecard'?)"),
    ]


def test_dollar_schema_field_is_allowed() -> None:
    assert issues(valid_pattern(**{"$schema": "../schemas/pattern.schema.json"})) == []


@pytest.mark.parametrize("email", ["jane.example.org", "jane@", "@example.org", "jane@example",
                                   "jane doe@example.org", "jane@exa mple.org"])
def test_email_is_really_checked(email: str) -> None:
    data = valid_pattern(author={"id": "jdoe", "email": email})
    assert issues(data) == [
        ("/author/email", "schema.format",
         f"author.email {email!r} is not a valid email address"),
    ]


@pytest.mark.parametrize("email", ["jane@example.org", "j.o'hara+pubflow@mail.example.co.uk"])
def test_real_addresses_pass(email: str) -> None:
    assert issues(valid_pattern(author={"id": "jdoe", "email": email})) == []


@pytest.mark.parametrize("version", ["1.0.0", "0.1.0", "2.0.0-rc.1", "1.0.0-alpha+build.5",
                                     "10.20.30"])
def test_semantic_versions_pass(version: str) -> None:
    assert issues(valid_pattern(version=version)) == []


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0\n", "١.٢.٣",
                                     "1.0.0-01"])
def test_non_semantic_versions_fail(version: str) -> None:
    found = issues(valid_pattern(version=version))
    assert [rule for _, rule, _ in found] == ["schema.format"]
    assert not is_valid_fast(valid_pattern(version=version))


def test_trailing_newline_does_not_sneak_past_an_anchor() -> None:
    """Python's `$` matches before a final newline; JSON Schema's (ECMA-262) does not."""
    data = valid_pattern(id="incident-escalation\n")
    assert [rule for _, rule, _ in issues(data)] == ["schema.format"]


def test_blank_sections_are_rejected() -> None:
    data = valid_pattern(hookMarkdown="", problemMarkdown="   \n")
    assert issues(data) == [
        ("/hookMarkdown", "schema.empty", "hookMarkdown must not be empty"),
        ("/problemMarkdown", "schema.empty", "problemMarkdown must not be blank"),
    ]


def test_nested_places_are_named_like_an_author_would() -> None:
    data = valid_pattern(acceptanceCriteria=[{"given": "g", "when": "w"}],
                         scorecard={**valid_pattern()["scorecard"], "handoffs": 6})
    assert issues(data) == [
        ("/acceptanceCriteria/0", "schema.required",
         "acceptanceCriteria[0]: missing required field 'then'"),
        ("/scorecard/handoffs", "schema.range", "scorecard.handoffs is 6; it must be between 1 and 5"),
    ]


def test_duplicates_and_booleans() -> None:
    data = valid_pattern(industries=["saas", "saas"],
                         scorecard={**valid_pattern()["scorecard"], "ownership": True})
    assert issues(data) == [
        ("/industries", "schema.uniqueItems", "industries lists 'saas' more than once"),
        ("/scorecard/ownership", "schema.type",
         "scorecard.ownership must be an integer, not a boolean"),
    ]
