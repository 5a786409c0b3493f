"""One error hierarchy: every problem a user can cause maps to a message and an exit code.

Checks never raise these for problems *inside* a pattern (those are findings); these are for
things that stop a command from running at all: bad usage, unreadable configuration, a path
that does not exist.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class PubflowError(Exception):
    """Base class; `exit_code` says how the CLI ends when it is raised."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(PubflowError):
    """Options or arguments that do not make sense together."""


class InputError(PubflowError):
    """A path the user named cannot be read or is not allowed (missing, outside the repo)."""


class ConfigError(PubflowError):
    """`pubflow.yaml` cannot be read or does not follow its schema."""


class GitError(PubflowError):
    """A git operation failed; the message carries the command and git's own words."""


class GateRefused(PubflowError):
    """A rule refused the action (illegal transition, failed gate): exit 1, not a usage error."""

    exit_code = EXIT_FINDINGS
