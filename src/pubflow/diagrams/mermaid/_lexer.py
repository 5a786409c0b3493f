"""Port of the lexer in Mermaid 11.17.2's ``sequenceDiagram.jison``.

jison tries the rules of the active start condition in order and takes the first
that matches (not the longest), so rule order is behaviour: ``alt x->>B`` is the
keyword ``alt``, ``Endpoint`` is a name, ``svc-xyz`` hits the ``-x`` arrow. The
rules are mirrored one by one; instead of trying ~90 regexes per token, the
INITIAL condition dispatches on the first character to the few rules that can
match there, in their original order. Rules whose regex backtracks quadratically
on long lines (the participant-name rule) are decided by a linear scan that gives
the same match.

Tokens are ``(kind, value, position, line)`` tuples; ``position`` indexes the
preprocessed text and ``line`` is its 1-based line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import NamedTuple

from pubflow.diagrams.mermaid._jsregex import (
    JS_WHITESPACE_CHARS,
    WS,
    WS_EXCEPT_NEWLINE,
    js_trim,
    lazy_pattern,
)

# Token kinds (the grammar's terminals).
NEWLINE = 1
SD = 2
INVALID = 3
CREATE = 4
BOX = 5
REST_OF_LINE = 6
END = 7
AUTONUMBER = 8
NUM = 9
OFF = 10
ACTIVATE = 11
DEACTIVATE = 12
TITLE = 13
LEGACY_TITLE = 14
ACC_TITLE = 15
ACC_TITLE_VALUE = 16
ACC_DESCR = 17
ACC_DESCR_VALUE = 18
ACC_DESCR_MULTILINE_VALUE = 19
LOOP = 20
RECT = 21
OPT = 22
ALT = 23
ELSE = 24
PAR = 25
PAR_OVER = 26
AND = 27
CRITICAL = 28
OPTION = 29
BREAK = 30
PARTICIPANT = 31
AS = 32
PARTICIPANT_ACTOR = 33
DESTROY = 34
NOTE = 35
OVER = 36
LINKS = 37
LINK = 38
PROPERTIES = 39
DETAILS = 40
COMMA = 41
LEFT_OF = 42
RIGHT_OF = 43
PLUS = 44
MINUS = 45
CENTRAL = 46
ACTOR = 47
CONFIG_START = 48
CONFIG_CONTENT = 49
CONFIG_END = 50
ARROW = 51
TXT = 52
EOF = 53
MESSAGE_LINE = 54
"""A whole ``A->>B: text`` line (see :func:`tokenize`); its parts come separately."""

TOKEN_NAMES: dict[int, str] = {
    NEWLINE: "end of line",
    SD: "'sequenceDiagram'",
    INVALID: "a stray character",
    CREATE: "'create'",
    BOX: "'box'",
    REST_OF_LINE: "a label",
    END: "'end'",
    AUTONUMBER: "'autonumber'",
    NUM: "a number",
    OFF: "'off'",
    ACTIVATE: "'activate'",
    DEACTIVATE: "'deactivate'",
    TITLE: "'title'",
    LEGACY_TITLE: "'title:'",
    ACC_TITLE: "'accTitle:'",
    ACC_TITLE_VALUE: "an accessible title",
    ACC_DESCR: "'accDescr:'",
    ACC_DESCR_VALUE: "an accessible description",
    ACC_DESCR_MULTILINE_VALUE: "'accDescr { ... }'",
    LOOP: "'loop'",
    RECT: "'rect'",
    OPT: "'opt'",
    ALT: "'alt'",
    ELSE: "'else'",
    PAR: "'par'",
    PAR_OVER: "'par_over'",
    AND: "'and'",
    CRITICAL: "'critical'",
    OPTION: "'option'",
    BREAK: "'break'",
    PARTICIPANT: "'participant'",
    AS: "'as'",
    PARTICIPANT_ACTOR: "'actor'",
    DESTROY: "'destroy'",
    NOTE: "'note'",
    OVER: "'over'",
    LINKS: "'links'",
    LINK: "'link'",
    PROPERTIES: "'properties'",
    DETAILS: "'details'",
    COMMA: "','",
    LEFT_OF: "'left of'",
    RIGHT_OF: "'right of'",
    PLUS: "'+'",
    MINUS: "'-'",
    CENTRAL: "'()'",
    ACTOR: "a name",
    CONFIG_START: "'@{'",
    CONFIG_CONTENT: "participant configuration",
    CONFIG_END: "'}'",
    ARROW: "an arrow",
    TXT: "':' and a text",
    EOF: "end of input",
    MESSAGE_LINE: "a message",
}

# Mermaid's LINETYPE name for each arrow token.
ARROW_LINE_TYPES: dict[str, str] = {
    "->>": "SOLID",
    "<<->>": "BIDIRECTIONAL_SOLID",
    "-->>": "DOTTED",
    "<<-->>": "BIDIRECTIONAL_DOTTED",
    "->": "SOLID_OPEN",
    "-->": "DOTTED_OPEN",
    "-x": "SOLID_CROSS",
    "--x": "DOTTED_CROSS",
    "-)": "SOLID_POINT",
    "--)": "DOTTED_POINT",
    "--|\\": "SOLID_TOP_DOTTED",
    "--|/": "SOLID_BOTTOM_DOTTED",
    "--\\\\": "STICK_TOP_DOTTED",
    "--//": "STICK_BOTTOM_DOTTED",
    "/|--": "SOLID_ARROW_TOP_REVERSE_DOTTED",
    "\\|--": "SOLID_ARROW_BOTTOM_REVERSE_DOTTED",
    "//--": "STICK_ARROW_TOP_REVERSE_DOTTED",
    "\\\\--": "STICK_ARROW_BOTTOM_REVERSE_DOTTED",
    "-|\\": "SOLID_TOP",
    "-|/": "SOLID_BOTTOM",
    "-\\\\": "STICK_TOP",
    "-//": "STICK_BOTTOM",
    "/|-": "SOLID_ARROW_TOP_REVERSE",
    "\\|-": "SOLID_ARROW_BOTTOM_REVERSE",
    "//-": "STICK_ARROW_TOP_REVERSE",
    "\\\\-": "STICK_ARROW_BOTTOM_REVERSE",
}

# Start conditions.
_INITIAL = 0
_ID = 1
_ALIAS = 2
_LINE = 3
_CONFIG = 4
_ACC_TITLE = 5
_ACC_DESCR = 6
_ACC_DESCR_MULTILINE = 7

# keyword -> (token, start condition to push or None); all are "keyword\b", case-insensitive.
KEYWORDS: dict[str, tuple[int, int | None]] = {
    "box": (BOX, _LINE),
    "participant": (PARTICIPANT, _ID),
    "actor": (PARTICIPANT_ACTOR, _ID),
    "create": (CREATE, None),
    "destroy": (DESTROY, _ID),
    "loop": (LOOP, _LINE),
    "rect": (RECT, _LINE),
    "opt": (OPT, _LINE),
    "alt": (ALT, _LINE),
    "else": (ELSE, _LINE),
    "par": (PAR, _LINE),
    "par_over": (PAR_OVER, _LINE),
    "and": (AND, _LINE),
    "critical": (CRITICAL, _LINE),
    "option": (OPTION, _LINE),
    "break": (BREAK, _LINE),
    "end": (END, None),
    "links": (LINKS, None),
    "link": (LINK, None),
    "properties": (PROPERTIES, None),
    "details": (DETAILS, None),
    "over": (OVER, None),
    "note": (NOTE, None),
    "activate": (ACTIVATE, _ID),
    "deactivate": (DEACTIVATE, _ID),
    "sequencediagram": (SD, None),
    "autonumber": (AUTONUMBER, None),
    "off": (OFF, None),
}
# Words whose rules are more than "keyword\b" (checked with their own regex).
SPECIAL_WORDS = frozenset({"left", "right", "title", "acctitle", "accdescr"})
_LONGEST_KEYWORD = max(len(word) for word in (*KEYWORDS, *SPECIAL_WORDS))

_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NUMBER_START = frozenset("0123456789.")
# Characters a name (rule 60) cannot start with.
_NOT_NAME_START = frozenset("/\\+()<->:\n,;")
_SAME_LINE_WS = frozenset(JS_WHITESPACE_CHARS) - {"\n"}
_WHITESPACE = frozenset(JS_WHITESPACE_CHARS)

_WORD = re.compile(r"[A-Za-z0-9_]*")
_WS_RUN = lazy_pattern(f"{WS}+")
_SAME_LINE_WS_RUN = lazy_pattern(f"{WS_EXCEPT_NEWLINE}+")
_NEWLINE_RUN = re.compile(r"\n+")
_NUM = lazy_pattern(r"(?:[0-9]+(?:\.[0-9]{1,2})?|\.[0-9]{1,2})(?=[ \n]+)")
_TITLE = lazy_pattern(f"title{WS}[^#\\n;]+", re.IGNORECASE)
_LEGACY_TITLE = lazy_pattern(f"title:{WS}[^#\\n;]+", re.IGNORECASE)
_ACC_TITLE_RULE = lazy_pattern(f"accTitle{WS}*:{WS}*", re.IGNORECASE)
_ACC_DESCR_RULE = lazy_pattern(f"accDescr{WS}*:{WS}*", re.IGNORECASE)
_ACC_DESCR_MULTILINE_RULE = lazy_pattern(f"accDescr{WS}*\\{{{WS}*", re.IGNORECASE)
_NAME_PATTERN = (
    r"[^/\\+()<\->:\n,;]+"
    r"(?:(?!-x|--x|-\)|--\)|-\|\\|-\\|-/|-//|-\|/|/\|-|\\\|-|//-|\\\\-|/\|-|--\|\\|--|\(\))"
    r"-*[^+<\->:\n,;]+)*"
)
_NAME = lazy_pattern(_NAME_PATTERN, re.IGNORECASE)
_ARROW_PATTERN = (
    r"->>|<<->>|-->>|<<-->>|->|-->|-x|--x|-\)|--\)"
    r"|--\|\\|--\|/|--\\\\|--//|/\|--|\\\|--|//--|\\\\--"
    r"|-\|\\|-\|/|-\\\\|-//|/\|-|\\\|-|//-|\\\\-"
)
_ARROW = lazy_pattern(_ARROW_PATTERN, re.IGNORECASE)
_TEXT = re.compile(r":[^#\n;]*")
_REST_OF_LINE = re.compile(r"[^#\n;]*")
_TO_LINE_END = re.compile(r"[^\n]*")
# ID condition (after participant/actor/destroy/activate/deactivate).
_NAME_BEFORE_CONFIG = lazy_pattern(f"[^<=>\\-:\\n,;@{WS[1:-1]}]+(?=@\\{{)")
_NAME_BEFORE_ALIAS = lazy_pattern(f"[^<>:\\n,;@{WS[1:-1]}]+(?={WS}+as{WS})", re.IGNORECASE)
_DECLARED_NAME_RUN = re.compile(r"[^<>:\n,;@]*")
_AS_AHEAD = lazy_pattern(f"{WS}+as{WS}", re.IGNORECASE)


ALL_KEYWORDS = frozenset(KEYWORDS) | SPECIAL_WORDS
LineHook = Callable[[int, int], tuple[int, int]]
"""Called at each line start with (position, line); returns where lexing resumes."""


# After participant/actor/destroy/activate/deactivate and the blanks after it: the ID
# condition's rules. No '@' anywhere (no config), the name is not a comment, and either
# its first run of non-blanks is followed by ' as ' (an alias: AS then the rest of the
# line) or, exactly when the alias rule's lookahead fails, the name runs to the line end.
_DECLARED_LINE = (
    f"(?!#)(?P<declared>(?>[^<>:\\n,;@{WS[1:-1]}]+))"
    f"(?:(?>{WS_EXCEPT_NEWLINE}+)(?P<alias_keyword>[aA][sS])(?={WS})(?>{WS_EXCEPT_NEWLINE}*)"
    f"(?P<alias>[^#\\n;]*+)(?:#[^\\n]*+)?\\n"
    f"|(?!{WS}+(?i:as){WS})(?P<declared_rest>[^<>:\\n,;@]*+)\\n)"
)


def _captured_name(group: str) -> str:
    """The name rule (rule 60) as group ``group``, its leading ASCII word as ``group_word``.

    A name may not start with a comment (``#``, ``%``) or a number; the caller must
    reject a leading word that is a keyword (a keyword rule wins over the name rule).
    The first chunk of a name is its longest run of allowed characters, whichever
    group takes which part of it.
    """
    chunk = r"[^/\\+()<\->:\n,;]"
    rest = FAST_NAME.removeprefix(chunk + "+")
    return (
        rf"(?![#%0-9.])(?={chunk})(?P<{group}>(?P<{group}_word>[A-Za-z0-9_]*+)"
        rf"(?>{chunk}*+{rest}))"
    )


def _any_case(word: str) -> str:
    """``word`` matching ASCII case-insensitively, like ``word.lower()`` comparisons do."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _word_trie(words: list[str]) -> str:
    """A regex matching exactly ``words`` (ASCII case-insensitively), factored by prefix.

    A plain alternation tries every word in turn; the trie fails on the first
    character that starts no word. Longer words come first at each branch.
    """
    heads: dict[str, list[str]] = {}
    complete = False
    for word in words:
        if word:
            heads.setdefault(word[0], []).append(word[1:])
        else:
            complete = True
    branches = [_any_case(head) + _word_trie(tails) for head, tails in heads.items()]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if complete else body


# The name (rule 60) and arrow rules, factored for the whole-line regex. ``test_lexer``
# checks them against _NAME and _ARROW on every short string of the relevant characters:
# the name's lookahead forbids the same prefixes (``--`` covers ``--x``, ``--)`` and
# ``--|\``; ``-/`` covers ``-//``), after which ``-*`` can take at most one hyphen; the
# arrows are listed longest first, so jison's first match is the longest match.
FAST_NAME = (
    r"[^/\\+()<\->:\n,;]+"
    r"(?:(?!-(?:[xX)\\/\-]|\|[\\/])|/[|/]-|\\[|\\]-|\(\))-?[^+<\->:\n,;]+)*"
)
FAST_ARROW = (
    r"-(?:>>?|-(?:>>?|[xX)]|\|[\\/]|\\\\|//)|[xX)]|\|[\\/]|\\\\|//)"
    r"|<<--?>>|/[|/]--?|\\[|\\]--?"
)


@cache
def line_pattern() -> re.Pattern[str]:
    """Whole statement lines the jison rules are known to cut into fixed token sequences.

    Compiled on first use (it is the costliest regex of the package). Each
    alternative is a named group ending at the line break, so ``lastgroup`` tells
    which statement matched:

    - ``msg``: ``A->>B: text`` (``ACTOR ARROW [PLUS|MINUS] ACTOR TXT NEWLINE``),
    - ``block``: ``loop``/``alt``/``else``/... with a label (``KEYWORD REST_OF_LINE``),
    - ``end``: ``end`` (``END``),
    - ``decl``: ``[create] participant|actor|destroy|activate|deactivate name
      [as alias]`` (the ID condition's rules),
    - ``note``: ``note over A[,B]: text``, ``note left of A: text``, ``note right of A: text``,
    - ``auto``: a bare ``autonumber``.

    Every piece is atomic, like the lexer's choice of one rule per token, and a name
    may not start where an earlier rule than rule 60 wins (a keyword, a comment
    ``#``/``%``, a number). A ``#`` comment may end each line. The caller must reject
    lines containing ``%%`` when the text has any (a token followed by ``%%`` is a
    comment). Whatever is not matched goes through :func:`tokenize` rule by rule.
    """
    ws = WS_EXCEPT_NEWLINE
    word_end = "(?![A-Za-z0-9_])"
    comment = r"(?:#[^\n]*)?\n"
    arrow = FAST_ARROW
    blocks = _word_trie(
        ["loop", "rect", "opt", "alt", "else", "par_over", "par", "and", "critical", "option",
         "break"]
    )  # fmt: skip
    declarations = _word_trie(["participant", "actor", "destroy", "activate", "deactivate"])
    return re.compile(
        f"(?>{ws}*)(?:"
        f"(?P<msg>{_captured_name('source')}(?P<arrow>(?>{arrow}))(?>{ws}*)"
        f"(?P<mark>\\+|(?!{arrow})-)?(?>{ws}*){_captured_name('target')}"
        f"(?P<text>:[^#\\n;]*){comment})"
        f"|(?P<block>(?P<block_keyword>{blocks}){word_end}(?>{ws}*)(?P<label>[^#\\n;]*){comment})"
        f"|(?P<end>{_any_case('end')}{word_end}(?>{ws}*){comment})"
        f"|(?P<decl>(?:(?P<create>{_any_case('create')})(?>{ws}+))?"
        f"(?P<declaration>{declarations}){word_end}(?>{ws}*){_DECLARED_LINE})"
        f"|(?P<note>{_any_case('note')}{word_end}(?>{ws}*)"
        f"(?:(?P<over>{_any_case('over')})|(?P<left>{_any_case('left of')})|{_any_case('right of')})"
        f"{word_end}(?>{ws}*){_captured_name('first')}"
        f"(?:,(?>{ws}*){_captured_name('second')})?(?P<note_text>:[^#\\n;]*){comment})"
        f"|(?P<auto>{_any_case('autonumber')}{comment})"
        ")"
    )


class FastLinePatterns(NamedTuple):
    """The regexes of the parser's whole-line fast path (see :func:`fast_line_patterns`)."""

    head: re.Pattern[str]
    block_rest: re.Pattern[str]
    end_rest: re.Pattern[str]
    autonumber_rest: re.Pattern[str]
    declaration_rest: re.Pattern[str]
    note_rest: re.Pattern[str]


@cache
def fast_line_patterns() -> FastLinePatterns:
    """Cheaper, narrower pieces of :func:`line_pattern` for the commonest lines.

    ``head`` reads the indentation (spaces and tabs) and the first word: group 1 is
    a word of ASCII word characters not starting with a digit. When the line is a
    plain message between two such names (space/tab padding, an optional ``+``/``-``,
    no ``%`` in the text), groups 2-5 hold arrow, mark, target and ':' text and the
    match runs to the line break. Such names end where the name rule ends them (at
    the padding or at any arrow), a ``-`` before a name is an arrow only as ``-x``,
    and without ``%`` no ``%%`` comment can start. The caller must reject keyword
    names itself (``end->>B: x``): a keyword wins over the name rule.

    The ``*_rest`` patterns continue after a keyword ``head`` found, exactly like
    the alternative of the same statement in :func:`line_pattern`; ``note_rest``
    also captures the leading word of each name (``first_word``, ``second_word``),
    which the caller must check for keywords instead of the regex. Lines these do
    not cover are for :func:`line_pattern` (compiled only when such a line comes:
    it takes several milliseconds).
    """
    ws = WS_EXCEPT_NEWLINE
    comment = r"(?:#[^\n]*+)?\n"
    word_end = "(?![A-Za-z0-9_])"
    return FastLinePatterns(
        head=re.compile(
            r"[ \t]*+([A-Za-z_][A-Za-z0-9_]*+)"
            rf"(?:[ \t]*+((?>{FAST_ARROW}))[ \t]*+(\+|-(?![xX]))?+[ \t]*+"
            r"([A-Za-z_][A-Za-z0-9_]*+)[ \t]*+(:[^#\n;%]*+)(?:#[^\n]*+)?\n)?"
        ),
        block_rest=re.compile(f"(?>{ws}*)([^#\\n;]*+){comment}"),
        end_rest=re.compile(f"(?>{ws}*){comment}"),
        autonumber_rest=re.compile(comment),
        declaration_rest=re.compile(f"(?>{ws}*){_DECLARED_LINE}"),
        note_rest=re.compile(
            f"(?>{ws}*)(?:(?P<over>{_any_case('over')})|(?P<left>{_any_case('left of')})"
            f"|{_any_case('right of')}){word_end}(?>{ws}*){_captured_name('first')}"
            f"(?:,(?>{ws}*){_captured_name('second')})?(?P<note_text>:[^#\\n;]*+){comment}"
        ),
    )


class LexicalError(Exception):
    """No lexer rule matches at ``position`` (jison's "Unrecognized text")."""

    def __init__(self, position: int, line: int, after: str) -> None:
        super().__init__(position)
        self.position = position
        self.line = line
        self.after = after


def _keyword_rule(code: str, position: int, word: str) -> tuple[int, int, str, int | None] | None:
    """The special keyword rules: returns (token, end, value, condition to push)."""
    if word == "left" or word == "right":
        end = position + len(word) + 3
        if code[position:end].lower() == word + " of" and (
            end >= len(code) or code[end] not in _WORD_CHARS
        ):
            return (LEFT_OF if word == "left" else RIGHT_OF), end, "", None
        return None
    if word == "title":
        match = _TITLE.match(code, position) or _LEGACY_TITLE.match(code, position)
        if match is None:
            return None
        kind = TITLE if match.group()[5] != ":" else LEGACY_TITLE
        value = match.group()[6:] if kind == TITLE else match.group()[7:]
        return kind, match.end(), value, None
    if word == "acctitle":
        match = _ACC_TITLE_RULE.match(code, position)
        return (ACC_TITLE, match.end(), "", _ACC_TITLE) if match else None
    match = _ACC_DESCR_RULE.match(code, position)
    if match:
        return ACC_DESCR, match.end(), "", _ACC_DESCR
    match = _ACC_DESCR_MULTILINE_RULE.match(code, position)
    if match:
        return 0, match.end(), "", _ACC_DESCR_MULTILINE
    return None


def _declared_name_end(code: str, position: int) -> int:
    """End of jison rule ``[^<>:\\n,;@]+(?=\\s*[\\n;#]|$)`` at ``position``, or -1.

    The regex is greedy and backtracks, which is quadratic on a long line of spaces;
    its result is decided here in one scan: the whole run if a line end or ';' (or the
    end of text) follows it, else up to the run's last '#'.
    """
    run_end = _match_end(_DECLARED_NAME_RUN, code, position)
    if run_end == position:
        return -1
    if run_end >= len(code) or code[run_end] in "\n;":
        return run_end
    last_hash = code.rfind("#", position + 1, run_end)
    return last_hash if last_hash > position else -1


def tokenize(
    code: str, line_hook: LineHook | None = None, position: int = 0, line: int = 1
) -> Iterator[tuple[int, str, int, int]]:
    """Yield the tokens jison's lexer would, ending with ``EOF``.

    ``line_hook`` is called whenever the lexer has yielded a line break and stands
    at the start of the next line in the INITIAL condition; it may consume whole
    lines itself (see :func:`line_pattern`) and returns the position and line where
    lexing resumes. It runs when the token after that line break is asked for.

    Lexing may start at a token boundary ``position`` (on ``line``) in the INITIAL
    condition, e.g. where ``line_hook`` stopped.

    Raises :class:`LexicalError` when no rule matches (only possible after a keyword
    that expects a name, when the line ends instead).
    """
    length = len(code)
    conditions = [_INITIAL]
    state = _INITIAL
    keywords = KEYWORDS
    whitespace = _WHITESPACE
    letters = _LETTERS
    name_match = _NAME.match
    word_match = _WORD.match
    text_match = _TEXT.match
    count = code.count
    find = code.find
    # Rule 5 ("x%%..." is a comment) needs "%%" somewhere; most diagrams have none.
    inline_comments = "%%" in code
    while True:
        if state == _INITIAL:
            if position >= length:
                yield NEWLINE, "", position, line
                yield EOF, "", position, line
                return
            char = code[position]
            if char == "\n":
                end = position + 1
                while end < length and code[end] == "\n":
                    end += 1
                yield NEWLINE, "", position, line
                line += end - position
                position = end
                if line_hook is not None:
                    position, line = line_hook(position, line)
                continue
            if char in whitespace:
                end = position + 1
                if end < length and code[end] in whitespace:
                    end = _match_end(_WS_RUN, code, position)
                    line += count("\n", position, end)
                position = end
                continue
            if (
                char == "#"
                or (char == "%" and not code.startswith("{", position + 1))
                or (inline_comments and char != "}" and code.startswith("%%", position + 1))
            ):
                end = find("\n", position)
                position = length if end < 0 else end
                continue
            if char in letters:
                match = word_match(code, position)
                word_end = match.end() if match else position
                if word_end - position <= _LONGEST_KEYWORD:
                    word = code[position:word_end].lower()
                    keyword = keywords.get(word)
                    if keyword is not None:
                        yield keyword[0], "", position, line
                        position = word_end
                        if keyword[1] is not None:
                            state = keyword[1]
                            conditions.append(state)
                        continue
                    if word in SPECIAL_WORDS:
                        special = _keyword_rule(code, position, word)
                        if special is not None:
                            kind, end, value, push = special
                            if kind:
                                yield kind, value, position, line
                            line += count("\n", position, end)
                            position = end
                            if push is not None:
                                state = push
                                conditions.append(state)
                            continue
                match = name_match(code, position)
                if match:
                    yield ACTOR, match.group().strip(JS_WHITESPACE_CHARS), position, line
                    position = match.end()
                    continue
            if char == ":":
                match = text_match(code, position)
                end = match.end() if match else position + 1
                yield TXT, code[position:end], position, line
                position = end
                continue
            if char in "-</\\":
                match = _ARROW.match(code, position)
                if match:
                    yield ARROW, match.group().lower(), position, line
                    position = match.end()
                    continue
            if char in _NUMBER_START:
                match = _NUM.match(code, position)
                if match:
                    yield NUM, match.group(), position, line
                    position = match.end()
                    continue
            if char == ",":
                yield COMMA, "", position, line
                position += 1
                continue
            if char == ";":
                yield NEWLINE, "", position, line
                position += 1
                continue
            if char not in _NOT_NAME_START:
                match = name_match(code, position)
                if match:
                    yield ACTOR, match.group().strip(JS_WHITESPACE_CHARS), position, line
                    position = match.end()
                    continue
            if char == "+":
                yield PLUS, "", position, line
                position += 1
                continue
            if char == "-":
                yield MINUS, "", position, line
                position += 1
                continue
            if char == "(" and code.startswith("()", position):
                yield CENTRAL, "", position, line
                position += 2
                continue
            yield INVALID, char, position, line
            position += 1
            continue

        if state == _LINE:
            if position < length:
                char = code[position]
                if char in _SAME_LINE_WS:
                    position = _match_end(_SAME_LINE_WS_RUN, code, position)
                    continue
                if char == "#":
                    end = find("\n", position)
                    position = length if end < 0 else end
                    continue
            at_end = position >= length
            end = _match_end(_REST_OF_LINE, code, position)
            yield REST_OF_LINE, code[position:end], position, line
            position = end
            state = _pop(conditions)
            if at_end:  # jison: a token matched on empty input is followed by EOF
                yield EOF, "", position, line
                return
            continue

        if state == _ID:
            if position >= length:
                yield EOF, "", position, line
                return
            char = code[position]
            if char in _SAME_LINE_WS:
                position = _match_end(_SAME_LINE_WS_RUN, code, position)
                continue
            if char == "#":
                end = find("\n", position)
                position = length if end < 0 else end
                continue
            if code.startswith("@{", position):
                yield CONFIG_START, "", position, line
                position += 2
                state = _CONFIG
                conditions.append(state)
                continue
            match = _NAME_BEFORE_CONFIG.match(code, position)
            if match:
                yield ACTOR, js_trim(match.group()), position, line
                position = match.end()
                continue
            match = _NAME_BEFORE_ALIAS.match(code, position)
            if match:
                yield ACTOR, js_trim(match.group()), position, line
                position = match.end()
                state = _ALIAS
                conditions.append(state)
                continue
            end = _declared_name_end(code, position)
            if end >= 0:
                yield ACTOR, js_trim(code[position:end]), position, line
                position = end
                state = _pop(conditions)
                continue
            if char != "\n":
                run_end = _match_end(_DECLARED_NAME_RUN, code, position)
                end = find("\n", position)
                end = length if end < 0 else end
                value = code[position:end]
                if run_end >= length or code[run_end] != "<":
                    value = js_trim(value)
                yield INVALID, value, position, line
                position = end
                state = _pop(conditions)
                continue
            raise LexicalError(position, line, "a name")

        if state == _ALIAS:
            if position < length:
                char = code[position]
                if char in _SAME_LINE_WS:
                    position = _match_end(_SAME_LINE_WS_RUN, code, position)
                    continue
                if char == "#":
                    end = find("\n", position)
                    position = length if end < 0 else end
                    continue
            at_end = position >= length
            _pop(conditions)
            state = _pop(conditions)
            if code[position : position + 2].lower() == "as" and (
                position + 2 >= length or code[position + 2] not in _WORD_CHARS
            ):
                yield AS, "", position, line
                position += 2
                state = _LINE
                conditions.append(state)
                continue
            yield NEWLINE, "", position, line
            if at_end:
                yield EOF, "", position, line
                return
            continue

        if state == _CONFIG:
            if position >= length:
                yield EOF, "", position, line
                return
            if code[position] != "}":
                end = find("}", position)
                end = length if end < 0 else end
                yield CONFIG_CONTENT, code[position:end], position, line
                line += count("\n", position, end)
                position = end
                continue
            yield CONFIG_END, "", position, line
            state = _pop(conditions)
            if _AS_AHEAD.match(code, position + 1):
                state = _ALIAS
                conditions.append(state)
            else:
                state = _pop(conditions)
            position += 1
            continue

        if state == _ACC_DESCR_MULTILINE:
            if position < length and code[position] == "}":
                position += 1
                state = _pop(conditions)
                continue
            at_end = position >= length
            end = find("}", position)
            end = length if end < 0 else end
            yield ACC_DESCR_MULTILINE_VALUE, code[position:end], position, line
            line += count("\n", position, end)
            position = end
            if at_end:
                yield EOF, "", position, line
                return
            continue

        # acc_title / acc_descr: the rest of the line is the value.
        at_end = position >= length
        end = _match_end(_TO_LINE_END, code, position)
        yield (
            (ACC_TITLE_VALUE if state == _ACC_TITLE else ACC_DESCR_VALUE),
            code[position:end],
            position,
            line,
        )
        position = end
        state = _pop(conditions)
        if at_end:
            yield EOF, "", position, line
            return


def _match_end(pattern: re.Pattern[str], code: str, position: int) -> int:
    """End of a match of a pattern that cannot fail at ``position`` (it may be empty)."""
    match = pattern.match(code, position)
    return position if match is None else match.end()


def _pop(conditions: list[int]) -> int:
    """jison's ``popState``: never pops the last condition; returns the new top."""
    if len(conditions) > 1:
        conditions.pop()
    return conditions[-1]
