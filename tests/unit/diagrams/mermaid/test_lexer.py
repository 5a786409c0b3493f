"""The whole-line fast path cuts lines exactly like the rule-by-rule lexer."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pubflow.diagrams.mermaid._lexer import _ARROW, _NAME, FAST_ARROW, FAST_NAME, line_pattern

# Every character the name and arrow rules treat specially, and two that are plain.
ALPHABET = "-xX)(|\\/<>+:,;\na "


def _ends(pattern: re.Pattern[str], text: str) -> int:
    match = pattern.match(text)
    return -1 if match is None else match.end()


def test_factored_name_and_arrow_rules_match_the_lexer_rules_on_all_short_strings() -> None:
    fast_name = re.compile(FAST_NAME)
    fast_arrow = re.compile(FAST_ARROW)
    for length in range(1, 6 if len(ALPHABET) ** 5 < 2_000_000 else 5):
        for chars in itertools.product(ALPHABET, repeat=length):
            text = "".join(chars)
            assert _ends(fast_name, text) == _ends(_NAME, text), text
            assert _ends(fast_arrow, text) == _ends(_ARROW, text), text


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=ALPHABET + "é#%1.", max_size=30))
def test_factored_name_rule_on_longer_strings(text: str) -> None:
    assert _ends(re.compile(FAST_NAME), text) == _ends(_NAME, text)
    assert _ends(re.compile(FAST_ARROW), text) == _ends(_ARROW, text)


def test_line_pattern_compiles_once() -> None:
    assert line_pattern() is line_pattern()
