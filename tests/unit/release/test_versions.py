"""Semantic versions as the version gate reads them: parsing, precedence (semver.org section
11), the kind of bump between two versions, and what a bad version says."""

from __future__ import annotations

import itertools

import pytest

from pubflow.errors import InputError
from pubflow.release.versions import RELEASE_TYPES, Version, bump_kind, parse


@pytest.mark.parametrize(("text", "expected"), [
    ("0.0.0", Version(0, 0, 0, ())),
    ("1.2.3", Version(1, 2, 3, ())),
    ("10.20.30", Version(10, 20, 30, ())),
    ("1.0.0-alpha", Version(1, 0, 0, ("alpha",))),
    ("1.0.0-alpha.1", Version(1, 0, 0, ("alpha", "1"))),
    ("1.0.0-0.3.7", Version(1, 0, 0, ("0", "3", "7"))),
    ("1.0.0-x-y.7.z.92", Version(1, 0, 0, ("x-y", "7", "z", "92"))),
    ("1.0.0-0a", Version(1, 0, 0, ("0a",))),
    ("1.0.0+20130313144700", Version(1, 0, 0, ())),
    ("1.0.0-beta+exp.sha.5114f85", Version(1, 0, 0, ("beta",))),
])
def test_parse_reads_numbers_and_prerelease_and_drops_build_metadata(text: str,
                                                                     expected: Version) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", [
    "", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3+",
    "1.2.3-01", "1.2.3-alpha..1", "1.2.3-alpha_1", "1.2.3+build..1", " 1.2.3", "1.2.3 ",
    "-1.2.3", "1.2.x", "latest",
])
def test_parse_refuses_what_is_not_a_semantic_version(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text)
    assert caught.value.message == f"'{text}' is not a semantic version (MAJOR.MINOR.PATCH)"
    assert caught.value.exit_code == 2


def test_parse_refuses_a_trailing_newline() -> None:
    with pytest.raises(InputError, match="is not a semantic version"):
        parse("1.2.3\n")


def test_precedence_follows_the_semver_specification_example() -> None:
    # semver.org, section 11: each is lower than the next
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0",
               "1.9.0", "1.10.0", "2.0.0-0", "2.0.0"]
    keys = [parse(text).key() for text in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for lower, higher in itertools.pairwise(ordered):
        assert bump_kind(lower, higher) is not None, (lower, higher)
        assert bump_kind(higher, lower) is None, (higher, lower)


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("1.0.0", "2.0.0", "major"),
    ("1.9.9", "2.0.0", "major"),
    ("0.9.0", "1.0.0", "major"),
    ("1.0.0", "2.0.0-rc.1", "major"),
    ("1.0.0", "1.1.0", "minor"),
    ("1.9.0", "1.10.0", "minor"),  # numeric, not text order
    ("1.0.5", "1.1.0", "minor"),
    ("1.0.0", "1.0.1", "patch"),
    ("1.0.9", "1.0.10", "patch"),
    ("1.0.0-rc.1", "1.0.0-rc.2", "patch"),
    ("1.0.0-beta.2", "1.0.0-beta.11", "patch"),
    ("1.0.0-rc.1", "1.0.0", "patch"),  # a release follows its own pre-release
])
def test_bump_kind_names_the_highest_part_that_changed(old: str, new: str, kind: str) -> None:
    assert bump_kind(old, new) == kind


@pytest.mark.parametrize(("old", "new"), [
    ("1.0.0", "1.0.0"),
    ("1.1.0", "1.0.9"),
    ("2.0.0", "1.99.99"),
    ("1.0.0", "1.0.0-rc.1"),  # a pre-release is lower than its release
    ("1.0.0+build.1", "1.0.0+build.2"),  # build metadata has no precedence
    ("1.0.0-alpha.beta", "1.0.0-alpha.1"),  # alphanumeric identifiers sort above numeric ones
])
def test_bump_kind_is_none_when_the_new_version_is_not_higher(old: str, new: str) -> None:
    assert bump_kind(old, new) is None


def test_bump_kind_names_the_bad_version_in_either_place() -> None:
    with pytest.raises(InputError, match=r"^'1\.0' is not a semantic version"):
        bump_kind("1.0", "1.0.1")
    with pytest.raises(InputError, match=r"^'next' is not a semantic version"):
        bump_kind("1.0.0", "next")


def test_release_types_are_the_promote_choices() -> None:
    assert RELEASE_TYPES == ("major", "minor", "patch", "hotfix")
