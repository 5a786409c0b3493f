"""`score`'s core: the scorecard of each pattern file, measured against the thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pubflow.checks.scorecard import evaluate, read_scores, scorecard_issues
from pubflow.config import Config
from pubflow.storage.discovery import Target
from pubflow.storage.jsonsource import LoadFailure, load_json_file


@dataclass(frozen=True, slots=True)
class PatternScore:
    file: str
    id: str | None
    scores: dict[str, int] | None
    total: int | None
    passed: bool
    marginal: bool
    weak: tuple[str, ...]
    messages: tuple[str, ...]
    problem: str | None
    """Why there is no score (unreadable file, malformed scorecard)."""

    @property
    def label(self) -> str:
        return self.id or self.file

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "id": self.id,
            "scores": self.scores,
            "total": self.total,
            "passed": self.passed,
            "marginal": self.marginal,
            "weak": list(self.weak),
            "messages": list(self.messages),
            "problem": self.problem,
        }


def score_targets(targets: list[Target], config: Config) -> list[PatternScore]:
    return [score_target(t, config) for t in targets]


def score_target(target: Target, config: Config) -> PatternScore:
    def failed(problem: str, pattern_id: str | None = None) -> PatternScore:
        return PatternScore(target.display, pattern_id, None, None, False, False, (), (), problem)

    if target.outside_repo:
        return failed("file is outside the repository")
    loaded = load_json_file(target.path, target.display, max_bytes=config.max_file_bytes)
    if isinstance(loaded, LoadFailure):
        first = loaded.findings[0]
        return failed(f"{first.line}:{first.column}: {first.message}")
    data = loaded.data
    pattern_id = data.get("id") if isinstance(data, dict) else None
    pattern_id = pattern_id if isinstance(pattern_id, str) else None
    scores = read_scores(data.get("scorecard") if isinstance(data, dict) else None)
    if scores is None:
        return failed("no valid scorecard (run pubflow validate for details)", pattern_id)
    result = evaluate(scores, config.scorecard)
    messages = tuple(issue.message for issue in scorecard_issues(result))
    return PatternScore(target.display, pattern_id, scores, result.total, result.passed,
                        result.marginal, result.weak, messages, None)
