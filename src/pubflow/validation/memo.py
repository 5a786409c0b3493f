"""A whole-run memo: an unchanged repository validated again is answered from the last report.

The per-file cache (`result_cache.py`) still stats, looks up and rebuilds ten thousand results
and redoes the cross-file checks; when nothing at all changed, even that is too much. This memo
keeps the last full report of the patterns folder under a fingerprint of everything the run
depends on: pubflow's version, the schema and the configuration (the per-file cache's key),
and a raw listing (name, size, mtime, ctime, mode, link target) of every entry below the
folder (`diskstate.listing_digest`). Any change (ctime catches an mtime set back by hand), or
any entry modified within the clock's granularity of now ("racy"), means no memo and a normal
run. The text output memo also records its *basis*, so the `pubflow` script can recompute the
key without building the configuration (`shortcut_answer`, used by `cli/remembered.py`).

**Whatever names the same files is the same run.** `validate`, `validate patterns`,
`validate patterns/`, `validate ./patterns`, `validate .` from inside the folder, an absolute
path to it and `-C REPO validate` from elsewhere read the same files and print the same report
(reports name files relative to the repository root), so they share one key: named paths are
resolved as the run resolves them (against the working folder, lexically, as discovery does)
and, when every one of them is the patterns folder, the run is the plain one
(`names_patterns_folder`).

**Never memoised**, because the listing would not cover what the run depends on, or the walk
would cost more than the run:
- named files, or a folder other than the patterns folder (the pre-commit hook names files):
  the cross-file checks of such a run read files outside what it names (a related id
  resolves against the whole folder), which a listing of the named paths would not see, and
  a listing of the whole folder would cost the hook more than checking its few files;
- a `--changed` selection: what it reads depends on git's index and the base commit, which no
  listing of the folder covers;
- a repository with tickets: the ticket-lock check reads `.pubflow/tickets/`, outside the
  patterns folder;
- a `--shard` slice: it reports only its part of the folder;
- the cache turned off (`--no-cache`) or an `--online` run (the network's answer changes).
"""

from __future__ import annotations

import os

from pubflow.storage.diskstate import CONFIG_FILE, digest, listing_digest
from pubflow.storage.statefile import RUN_MEMO, RUN_OUTPUT, read_json, state_path, write_json

TYPE_CHECKING = False  # not from typing: this module is on the start-up path
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pubflow.config import Config
    from pubflow.findings import ValidationReport
    from pubflow.validation.run import ValidateRequest


class RunMemo:
    """The memo as one `validate` run sees it: its key, the remembered report and the
    remembered text reports (one per output variant: colour, verbosity)."""

    def __init__(self, config: Config, key: str) -> None:
        self.config = config
        self.key = key

    @classmethod
    def for_run(cls, request: ValidateRequest, handed_on: str | None = None) -> RunMemo | None:
        """The memo for this run, or None when the run must not be memoised (`run_key`);
        `handed_on` is the key the start-up shortcut already computed for this very run (used
        only for a run that may be memoised)."""
        config = request.config
        if getattr(request, "shard", None) is not None:  # `--shard I/N`: one slice of the run
            return None
        if not memoisable(config, use_cache=request.use_cache, paths=request.paths,
                          subset=request.subset):
            return None
        key = handed_on or _listing_key(config)
        return None if key is None else cls(config, key)

    def recall_text(self, variant: str) -> tuple[str, bool, str] | None:
        """(text, passed, summary) remembered for this output variant; a hit also records
        the current basis, so the next run can take the start-up shortcut."""
        shown = recall_output(self.config.root, self.key, variant)
        if shown is not None:
            refresh_basis(self.config, self.key)
        return shown

    def remember_text(self, variant: str, text: str, passed: bool, summary: str) -> None:
        remember_output(self.config, self.key, variant, text, passed, summary)

    def recall_report(self) -> ValidationReport | None:
        return recall(self.config.root, self.key)

    def remember_report(self, report: ValidationReport) -> None:
        remember(self.config.root, self.key, report)


def run_key(config: Config, *, use_cache: bool = True, paths: Sequence[Path | str] = (),
            subset: bool = False) -> str | None:
    """The memo's key for a `validate` run, or None when the run must not be memoised (see
    `memoisable`) or a file is racy. Every run that names the patterns folder, however
    spelt, has the plain run's key."""
    if not memoisable(config, use_cache=use_cache, paths=paths, subset=subset):
        return None
    return _listing_key(config)


def memoisable(config: Config, *, use_cache: bool = True, paths: Sequence[Path | str] = (),
               subset: bool = False) -> bool:
    """False for the runs the memo never answers: cache off, a `--changed` selection, named
    paths other than the patterns folder itself (named files: the pre-commit hook must not
    pay for a walk of the whole folder), ticket locks."""
    from pubflow.records.paths import has_tickets

    if not use_cache or subset or has_tickets(config.root):
        return False
    return not paths or names_patterns_folder(paths, str(config.patterns_path), os.getcwd())


def names_patterns_folder(paths: Sequence[os.PathLike[str] | str], patterns: str,
                          cwd: str) -> bool:
    """True when every one of `paths`, resolved against `cwd` as a run resolves what it is
    given (lexically: discovery reads `a/link/..` as `a`, and names the files so), is the
    folder `patterns`. Then the run reads, and reports, exactly what a run without paths
    does."""
    folder = os.path.normpath(os.path.join(cwd, patterns))
    return bool(paths) and all(os.path.normpath(os.path.join(cwd, os.fspath(p))) == folder
                               for p in paths)


def _listing_key(config: Config) -> str | None:
    from pubflow.validation.result_cache import verdict_key

    return listing_digest(verdict_key(config), (str(config.patterns_path),), str(config.root))


def shortcut_basis(root: str) -> str | None:
    """What a run's verdict key and patterns folder follow from, read without building the
    configuration: pubflow's version and the bytes of the schema and of `pubflow.yaml`. None
    when `pubflow.yaml` cannot be read (the full CLI then says why)."""
    from pubflow import __version__
    from pubflow.storage.schemas import schema_text

    try:
        with open(os.path.join(root, CONFIG_FILE), "rb") as handle:
            config = b"+" + handle.read()
    except FileNotFoundError:
        config = b"-"  # no pubflow.yaml: every default
    except OSError:
        return None
    schema = schema_text("pattern.schema.json").encode()
    return digest(b"\0".join((__version__.encode(), schema, config)))


def shortcut_answer(root: str, variant: str, paths: Sequence[str] = (), cwd: str = ""
                    ) -> tuple[str, tuple[str, bool, str] | None] | None:
    """For a plain `validate` at `root` (or one naming only the patterns folder: `paths`,
    resolved against `cwd`): the run key, computed without the configuration when the last
    remembered run had the same basis (`shortcut_basis`), and the remembered text for
    `variant` if the key is unchanged. None means "ask the full CLI" (no memo, another basis,
    other paths, tickets, racy files)."""
    from pubflow.records.paths import has_tickets

    cwd = cwd or os.getcwd()
    if not all(os.path.isdir(os.path.join(cwd, p)) for p in paths):
        return None  # a named file (the pre-commit hook): never memoised, not worth a read
    memo = read_json(state_path(root, RUN_OUTPUT))
    if not isinstance(memo, dict) or has_tickets(root):
        return None
    verdict, patterns = memo.get("verdict"), memo.get("patterns")
    if (not isinstance(verdict, str) or not isinstance(patterns, str)
            or memo.get("basis") != shortcut_basis(root)):
        return None
    if paths and not names_patterns_folder(paths, patterns, cwd):
        return None
    key = listing_digest(verdict, (patterns,), root)
    return None if key is None else (key, _shown(memo, key, variant))


def recall(root: Path, key: str) -> ValidationReport | None:
    from pubflow.findings import ValidationReport
    from pubflow.validation.result_cache import result_from_dict

    memo = read_json(state_path(root, RUN_MEMO))
    if not isinstance(memo, dict) or memo.get("key") != key:
        return None
    try:
        files = tuple(result_from_dict(name, data) for name, data in memo["files"])
    except (KeyError, TypeError, ValueError):
        return None
    return ValidationReport(files, root=str(memo.get("root", root)))


def remember(root: Path, key: str, report: ValidationReport) -> None:
    from pubflow.validation.result_cache import result_to_dict

    write_json(state_path(root, RUN_MEMO), {
        "key": key, "root": report.root,
        "files": [[r.file, result_to_dict(r)] for r in report.files]})


def recall_output(root: Path | str, key: str, variant: str) -> tuple[str, bool, str] | None:
    """(text, passed, summary) remembered for this run and output variant, if any."""
    return _shown(read_json(state_path(root, RUN_OUTPUT)), key, variant)


def _shown(memo: object, key: str, variant: str) -> tuple[str, bool, str] | None:
    if not isinstance(memo, dict) or memo.get("key") != key:
        return None
    shown = _variants(memo).get(variant)
    if not isinstance(shown, list) or len(shown) != 3:
        return None
    text, passed, summary = shown
    return str(text), bool(passed), str(summary)


def remember_output(config: Config, key: str, variant: str, text: str, passed: bool,
                    summary: str) -> None:
    """Keep a text report for this run and option set."""
    memo = read_json(state_path(config.root, RUN_OUTPUT))
    variants = (_variants(memo) if isinstance(memo, dict) and memo.get("key") == key
                else {})
    variants[variant] = [text, passed, summary]
    _write_output_memo(config, key, variants)


def refresh_basis(config: Config, key: str) -> None:
    """After an answer from the memo that the shortcut could not give (a memo written before
    the basis existed, or `pubflow.yaml` edited without changing any setting), record the
    current basis so the next run takes the shortcut."""
    memo = read_json(state_path(config.root, RUN_OUTPUT))
    if (isinstance(memo, dict) and memo.get("key") == key
            and memo.get("basis") != shortcut_basis(str(config.root))):
        _write_output_memo(config, key, _variants(memo))


def _variants(memo: dict[str, object]) -> dict[str, object]:
    """The remembered text reports by variant; none when a hand-edited memo has no mapping."""
    variants = memo.get("variants")
    return variants if isinstance(variants, dict) else {}


def _write_output_memo(config: Config, key: str, variants: object) -> None:
    """The text reports, with what `shortcut_answer` needs to recompute the key next time
    without the configuration."""
    from pubflow.validation.result_cache import verdict_key

    write_json(state_path(config.root, RUN_OUTPUT), {
        "key": key, "basis": shortcut_basis(str(config.root)), "verdict": verdict_key(config),
        "patterns": os.path.abspath(config.patterns_path), "variants": variants})
