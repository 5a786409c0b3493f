"""`pubflow init`: the files of a new pattern repository (templates in this folder)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

FILES: dict[str, str] = {
    "pubflow.yaml": "pubflow.yaml",
    "patterns/incident-escalation.json": "incident-escalation.json",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/pubflow.yml": "workflow.yml",
    ".github/workflows/pubflow-promote.yml": "promote-workflow.yml",
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


DEFAULT_ENVIRONMENTS = ("staging", "production")
"""The environments of the `pubflow.yaml` template (and pubflow's default)."""

_ENVIRONMENT_LINE = re.compile(r"^(?P<indent> *)- @ENVIRONMENT@$", re.M)
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def template(name: str, environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS) -> str:
    """The template `name` for this version of pubflow; the promotion workflow's choice of
    environments lists `environments`, in promotion order."""
    from pubflow import __version__

    text = resources.files("pubflow.scaffold").joinpath(name).read_text(encoding="utf-8")
    text = text.replace("@VERSION@", __version__)
    if "@ENVIRONMENT@" in text:
        words = [_yaml_word(env) for env in environments]
        text = _ENVIRONMENT_LINE.sub(
            lambda found: "\n".join(f"{found['indent']}- {word}" for word in words), text)
        text = text.replace("@FIRST_ENVIRONMENT@", words[0])
    return text


def _yaml_word(name: str) -> str:
    """`name` as a YAML string: plain when it starts with a letter and is no YAML 1.1
    keyword (an environment name is lower-case letters, digits and hyphens), else quoted."""
    if re.fullmatch(r"[a-z][a-z0-9-]*", name) and name not in _YAML_WORDS:
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _environments(target: Path, *, force: bool) -> tuple[str, ...]:
    """The environments of the `pubflow.yaml` this run leaves in `target`: the one there
    (kept unless `force`), else the template's. A file that cannot be read stops `init`
    before it writes anything (ConfigError)."""
    from pubflow.config import load_config
    from pubflow.errors import ConfigError
    from pubflow.storage.diskstate import CONFIG_FILE

    if force or not (target / CONFIG_FILE).exists():
        return DEFAULT_ENVIRONMENTS
    try:
        return load_config(target).environments
    except ConfigError as error:
        hint = " ".join(filter(None, (error.hint, "The promotion workflow lists its "
                                      f"environments: fix {CONFIG_FILE}, or `pubflow init "
                                      "--force` replaces it with the template.")))
        raise ConfigError(error.message, hint=hint) from error


def init_repository(target: Path, *, force: bool) -> InitResult:
    """Write the scaffold into `target` (a git repository is created if there is none).
    An existing file is kept unless `force`; running it twice changes nothing."""
    from pubflow.records.merge import driver_command, register_driver
    from pubflow.storage import git as gitrepo
    from pubflow.storage.files import atomic_write_text

    result = InitResult()
    environments = _environments(target, force=force)
    target.mkdir(parents=True, exist_ok=True)
    if not gitrepo.is_repository(target):
        gitrepo.init_repository(target)
        result.git_initialized = True
    for rel, name in FILES.items():
        path = target / rel
        text = template(name, environments)
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
