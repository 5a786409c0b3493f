"""pubflow: the publication toolkit for git repositories of orchestration patterns."""

__version__ = "0.1.0"
