"""`pubflow init`: the files of a new pattern repository (templates in this folder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FILES: dict[str, str] = {
    "pubflow.yaml": "pubflow.yaml",
    "patterns/incident-escalation.json": "incident-escalation.json",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/pubflow.yml": "workflow.yml",
    ".gitattributes": "gitattributes",
    "README.md": "README.md",
}
"""Target path in the new repository -> template name in this package."""


@dataclass(slots=True)
class InitResult:
    created: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    git_initialized: bool = False
    merge_driver: bool = False


def template(name: str) -> str:
    from pubflow import __version__

    text = resources.files("pubflow.scaffold").joinpath(name).read_text(encoding="utf-8")
    return text.replace("@VERSION@", __version__)


def init_repository(target: Path, *, force: bool) -> InitResult:
    """Write the scaffold into `target` (a git repository is created if there is none).
    An existing file is kept unless `force`; running it twice changes nothing."""
    from pubflow.records.merge import driver_command, register_driver
    from pubflow.storage import git as gitrepo
    from pubflow.storage.files import atomic_write_text

    result = InitResult()
    target.mkdir(parents=True, exist_ok=True)
    if not gitrepo.is_repository(target):
        gitrepo.init_repository(target)
        result.git_initialized = True
    for rel, name in FILES.items():
        path = target / rel
        text = template(name)
        if path.exists():
            if not force or path.read_text(encoding="utf-8", errors="replace") == text:
                result.kept.append(rel)
                continue
            result.overwritten.append(rel)
        else:
            result.created.append(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    result.merge_driver = register_driver(target, driver_command())
    return result
