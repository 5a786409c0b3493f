"""Semantic versions: precedence (semver.org section 11) and which kind of bump a release is."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pubflow.errors import InputError

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
RELEASE_TYPES = ("major", "minor", "patch", "hotfix")


@dataclass(frozen=True, slots=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        """Sort key: a pre-release sorts before its release; numeric identifiers numerically."""
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre


def parse(text: str) -> Version:
    match = SEMVER.fullmatch(text)  # `$` alone would also match before a final newline
    if match is None:
        raise InputError(f"'{text}' is not a semantic version (MAJOR.MINOR.PATCH)")
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return Version(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre)


def bump_kind(old: str, new: str) -> str | None:
    """'major', 'minor' or 'patch' for a step up from `old` to `new`; None when not higher."""
    a, b = parse(old), parse(new)
    if b.key() <= a.key():
        return None
    if b.major != a.major:
        return "major"
    if b.minor != a.minor:
        return "minor"
    return "patch"
