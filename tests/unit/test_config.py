"""pubflow.yaml: defaults when absent, every mistake named with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubflow.config import Config, find_root, load_config
from pubflow.errors import ConfigError


def write(root: Path, text: str) -> None:
    (root / "pubflow.yaml").write_text(text, encoding="utf-8")


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path)
    assert config.scorecard.total_min == 30
    assert config.scorecard.marginal_max == 32
    assert config.diagrams.max_actors == 7
    assert config.environments == ("staging", "production")


def test_full_example_from_the_spec(tmp_path: Path) -> None:
    write(tmp_path, """\
patterns_dir: catalog   # where the patterns live
reviewers:
  - id: rlee
    email: r.lee@example.org
    industries: [saas, telecom]
    max_queue: 5
review_sla_days: 3
environments: [staging, production]
scorecard: {dimension_min: 2, total_min: 28}
diagrams: {max_actors: 9, max_steps: 25, max_alt_blocks: 3, allow_nested_alt: true}
notifications:
  team: [editors@example.org]
  outbox: .pubflow/outbox
  webhook:
    url: https://hooks.example.org/pubflow
    secret_env: PUBFLOW_WEBHOOK_SECRET
""")
    config = load_config(tmp_path)
    assert config.patterns_path == tmp_path / "catalog"
    assert config.reviewers[0].industries == ("saas", "telecom")
    assert config.scorecard.dimension_min == 2
    assert config.scorecard.marginal_max == 30
    assert config.diagrams.max_steps == 25
    assert config.notifications["webhook"]["secret_env"] == "PUBFLOW_WEBHOOK_SECRET"


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, "patterns_dir: patterns\nscorecard:\n  totl_min: 30\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "pubflow.yaml:3:3: unknown key 'scorecard.totl_min'" in info.value.message


def test_bad_value_names_key_and_line(tmp_path: Path) -> None:
    write(tmp_path, "review_sla_days: 3\nreviewers:\n  - id: rlee\n    max_queue: lots\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.message.startswith("pubflow.yaml:4:16: key 'reviewers[0].max_queue'")


def test_secrets_cannot_live_in_the_file(tmp_path: Path) -> None:
    write(tmp_path, "notifications:\n  smtp:\n    host: smtp.example.org\n    password: hunter2\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "unknown key 'notifications.smtp.password'" in info.value.message


def test_invalid_yaml_reports_position(tmp_path: Path) -> None:
    write(tmp_path, "patterns_dir: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.message.startswith("pubflow.yaml:2:1: invalid YAML")


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    write(tmp_path, 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "aliases" in info.value.message
    assert info.value.message.startswith("pubflow.yaml:2:")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(tmp_path)


def test_marginal_band_cannot_sit_below_the_pass_mark(tmp_path: Path) -> None:
    write(tmp_path, "scorecard:\n  total_min: 32\n  marginal_max: 31\n")
    with pytest.raises(ConfigError, match="marginal_max"):
        load_config(tmp_path)


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    write(tmp_path, "# nothing configured yet\n")
    assert load_config(tmp_path).patterns_dir == "patterns"


def test_root_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "patterns" / "deep"
    sub.mkdir(parents=True)
    assert find_root(sub) == tmp_path


def test_remembered_config_follows_every_edit(tmp_path: Path) -> None:
    write(tmp_path, "scorecard:\n  total_min: 31\n")
    assert load_config(tmp_path).scorecard.total_min == 31
    assert load_config(tmp_path).scorecard.total_min == 31  # from the remembered verdict
    write(tmp_path, "scorecard:\n  total_min: 33\n")
    assert load_config(tmp_path).scorecard.total_min == 33
    write(tmp_path, "scorecard:\n  total_min: 3x\n")
    for _ in range(2):  # a bad file is never remembered as good
        with pytest.raises(ConfigError):
            load_config(tmp_path)


def test_people_and_environment_permissions(tmp_path: Path) -> None:
    write(tmp_path, """\
reviewers:
  - {id: rlee, email: "R.Lee@example.org "}
editors: [editor, {id: ed, email: ed@example.org}]
promoters: [relops]
admins: [{id: boss, email: boss@example.org}]
environments:
  - staging
  - {name: production, promoters: [rlee], approvals: 2, require_canary: true}
""")
    config = load_config(tmp_path)
    assert config.environments == ("staging", "production")
    rule = config.rule("production")
    assert (rule.promoters, rule.approvals, rule.require_canary) == (("rlee",), 2, True)
    assert config.rule("staging").approvals == 1 and config.rule("staging").promoters is None
    assert config.person(" r.lee@EXAMPLE.org".strip()) == config.reviewers[0]
    assert config.person("RLEE") is None  # ids exactly
    assert config.may_promote("relops", "staging") and config.may_promote("boss", "staging")
    assert not config.may_promote("relops", "production")
    assert config.may_promote("r.lee@example.org", "production")  # the listed id's email
    assert not config.is_configured("mallory")
    assert config.person("ed@example.org", config.editors) == config.editors[1]


def test_an_environment_listed_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "environments: [staging, {name: staging, approvals: 2}]\n")
    with pytest.raises(ConfigError, match="environment 'staging' is listed twice"):
        load_config(tmp_path)
