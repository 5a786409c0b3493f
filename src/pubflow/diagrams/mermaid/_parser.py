"""The sequenceDiagram grammar and SequenceDB rules of Mermaid 11.17.2.

The grammar is small: a header, then statements, where loop/alt/opt/par/par_over/
critical/break/rect open blocks closed by ``end`` and ``box`` groups participant
declarations. It is parsed in one pass with an explicit stack of open blocks (no
recursion, so nesting depth is unlimited), accepting exactly the token sequences
the jison grammar accepts.

Mermaid applies the statements to its ``SequenceDB`` only after the whole text
parsed, so a grammar error anywhere wins over a db rule broken earlier. Here the db
rules run while parsing, in the same order Mermaid applies them, and the first
broken rule is kept and raised only once the parse has succeeded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pubflow.diagrams.mermaid._colors import split_box_heading
from pubflow.diagrams.mermaid._jsregex import JS_WHITESPACE_CHARS, WS, js_trim, lazy_pattern
from pubflow.diagrams.mermaid._lexer import (
    ACC_DESCR,
    ACC_DESCR_MULTILINE_VALUE,
    ACC_TITLE,
    ACTIVATE,
    ACTOR,
    ALL_KEYWORDS,
    ALT,
    AND,
    ARROW,
    ARROW_LINE_TYPES,
    AS,
    AUTONUMBER,
    BOX,
    BREAK,
    CENTRAL,
    COMMA,
    CONFIG_CONTENT,
    CONFIG_END,
    CONFIG_START,
    CREATE,
    CRITICAL,
    DEACTIVATE,
    DESTROY,
    DETAILS,
    ELSE,
    END,
    EOF,
    INVALID,
    LEFT_OF,
    LEGACY_TITLE,
    LINK,
    LINKS,
    LOOP,
    MINUS,
    NEWLINE,
    NOTE,
    NUM,
    OFF,
    OPT,
    OPTION,
    OVER,
    PAR,
    PAR_OVER,
    PARTICIPANT,
    PARTICIPANT_ACTOR,
    PLUS,
    PROPERTIES,
    RECT,
    RIGHT_OF,
    SD,
    TITLE,
    TOKEN_NAMES,
    TXT,
    LexicalError,
    fast_line_patterns,
    line_pattern,
    tokenize,
)
from pubflow.diagrams.mermaid._preprocess import (
    ENTITY_CLOSE,
    ENTITY_OPEN,
    PreparedText,
    decode_entities,
)
from pubflow.diagrams.mermaid.errors import ErrorKind, MermaidError
from pubflow.diagrams.mermaid.model import (
    Activation,
    ActivationChange,
    Actor,
    Autonumber,
    Block,
    BlockKind,
    Box,
    CentralConnection,
    Message,
    Note,
    NotePlacement,
    Section,
    SectionKeyword,
    SequenceDiagram,
)

Token = tuple[int, str, int, int]

_BLOCK_KINDS: dict[int, BlockKind] = {
    LOOP: "loop",
    RECT: "rect",
    OPT: "opt",
    ALT: "alt",
    PAR: "par",
    PAR_OVER: "par_over",
    CRITICAL: "critical",
    BREAK: "break",
}
_SECTIONS: dict[int, tuple[SectionKeyword, tuple[BlockKind, ...]]] = {
    ELSE: ("else", ("alt",)),
    AND: ("and", ("par", "par_over")),
    OPTION: ("option", ("critical",)),
}
_DECLARATION_KINDS = (PARTICIPANT, PARTICIPANT_ACTOR, DESTROY)
_DECLARATION_WORDS = {
    "participant": PARTICIPANT,
    "actor": PARTICIPANT_ACTOR,
    "destroy": DESTROY,
    "activate": ACTIVATE,
    "deactivate": DEACTIVATE,
}
# Section keyword -> the block kinds it may divide.
_SECTION_OWNERS: dict[str, tuple[BlockKind, ...]] = dict(_SECTIONS.values())
_WHITESPACE = frozenset(JS_WHITESPACE_CHARS)
_WS_RUN = lazy_pattern(f"{WS}+")
# Arrow as matched (any case) -> (arrow as Mermaid stores it, line type).
_ARROWS = {
    **{arrow: (arrow, line_type) for arrow, line_type in ARROW_LINE_TYPES.items()},
    **{arrow.upper(): (arrow, line_type) for arrow, line_type in ARROW_LINE_TYPES.items()},
}
_new_tuple = tuple.__new__
_BLOCK_WORDS = (
    "loop", "rect", "opt", "alt", "else", "par", "par_over", "and", "critical", "option", "break"
)  # fmt: skip
# Kinds of lines on the fast path.
_MESSAGE, _BLOCK, _END, _DECLARATION, _NOTE, _AUTONUMBER, _OTHER_KEYWORD, _GENERAL = range(8)
_LINE_KINDS: dict[str, int] = {
    **dict.fromkeys(ALL_KEYWORDS, _OTHER_KEYWORD),
    **dict.fromkeys(_BLOCK_WORDS, _BLOCK),
    "end": _END,
    **dict.fromkeys(_DECLARATION_WORDS, _DECLARATION),
    "create": _GENERAL,
    "note": _NOTE,
    "autonumber": _AUTONUMBER,
}
# _LINE_KINDS by the word as written, filled as words are met (names repeat a lot).
_WORD_KINDS: dict[str, int] = {}


def _word_kind(word: str) -> int:
    """The line kind a first word starts (_MESSAGE for a name), remembered in _WORD_KINDS."""
    if len(_WORD_KINDS) > 4096:  # names of many diagrams: keep the memo small
        _WORD_KINDS.clear()
    kind = _WORD_KINDS[word] = _LINE_KINDS.get(word.lower(), _MESSAGE)
    return kind


# Group names of line_pattern's alternatives.
_GENERAL_KINDS = {
    "msg": _MESSAGE,
    "block": _BLOCK,
    "end": _END,
    "decl": _DECLARATION,
    "note": _NOTE,
    "auto": _AUTONUMBER,
}
_LINK_KEYWORDS = {LINKS: "links", LINK: "link", PROPERTIES: "properties", DETAILS: "details"}
_STATEMENT_EXPECTED = "a message, note, participant or block keyword"
_WRAP_PREFIXES = (":wrap:", "wrap:", ":nowrap:", "nowrap:")
_BREAK_AND_INDENT = lazy_pattern(f"\n{WS}+")


def parse_message_text(text: str) -> str:
    """``SequenceDB.parseMessage``: trimmed, without a ``wrap:``/``nowrap:`` prefix."""
    text = text.strip(JS_WHITESPACE_CHARS)
    if text[:1] in "wn:" and text.startswith(_WRAP_PREFIXES):
        text = text[text.index("wrap:") + 5 :].strip(JS_WHITESPACE_CHARS)
    return decode_entities(text)


class _ActorRecord:
    """An actor while parsing: later declarations may still change label, type and box."""

    __slots__ = ("box", "label", "line", "type")

    def __init__(self, label: str, actor_type: str, line: int, box: _OpenBox | None) -> None:
        self.label = label
        self.type = actor_type
        self.line = line
        self.box = box


class _OpenBox:
    """The box being declared; Mermaid forbids one participant in two boxes."""

    __slots__ = ("actor_ids", "color", "label", "line")

    def __init__(self, label: str, color: str, line: int) -> None:
        self.label = label
        self.color = color
        self.line = line
        self.actor_ids: dict[str, None] = {}


class _OpenBlock:
    """A block whose ``end`` has not come yet; the stack of these replaces recursion."""

    __slots__ = (
        "children",
        "kind",
        "label",
        "line",
        "message_count",
        "opened_after_end",
        "parent_section",
        "sections",
    )

    def __init__(
        self,
        kind: BlockKind,
        label: str,
        line: int,
        parent_section: int,
        opened_after_end: bool,
    ) -> None:
        self.kind = kind
        self.label = label
        self.line = line
        self.parent_section = parent_section
        self.opened_after_end = opened_after_end
        self.sections: list[Section] = []
        self.children: list[Block] = []
        self.message_count = 0


class SequenceParser:
    """Parses one preprocessed diagram; use :meth:`parse` once."""

    # Defaults most diagrams keep (class attributes spare the assignments per diagram).
    fast_ok = False
    """True while the parser stands between top-level statements (not in a box)."""
    last_created: tuple[str, int] | None = None
    last_destroyed: tuple[str, int] | None = None
    current_box: _OpenBox | None = None
    title: str | None = None
    acc_title: str | None = None
    acc_descr: str | None = None
    db_error: MermaidError | None = None
    previous_end_line = -1

    def __init__(self, prepared: PreparedText, *, fast_lines: bool = True) -> None:
        """``fast_lines=False`` turns off the whole-line fast path (:meth:`fast_lines`)."""
        self.code = prepared.code
        self.line_map = prepared.line_map
        self.line_origin = prepared.line_map.origin
        self.line_offset = prepared.line_map.offset
        self.has_entities = ENTITY_OPEN in prepared.code or ENTITY_CLOSE in prepared.code
        self.front_matter_title = prepared.front_matter_title
        self.last_line = prepared.last_line
        self.inline_comments = "%%" in prepared.code
        self.use_fast_lines = fast_lines
        self.blocks: list[_OpenBlock] = []
        self.top_blocks: list[Block] = []
        # SequenceDB state
        self.actors: dict[str, _ActorRecord] = {}
        self.messages: list[Message] = []
        self.notes: list[Note] = []
        self.boxes: list[Box] = []
        self.activations: list[ActivationChange] = []
        self.autonumbers: list[Autonumber] = []
        self.active_count: dict[str, int] = {}
        # Like SequenceDB's maps: id -> index of the next message, in insertion order.
        self.created: dict[str, int] = {}
        self.destroyed: dict[str, int] = {}

    # ------------------------------------------------------------------ errors
    def original_line(self, line: int) -> int:
        if self.line_origin is None:
            return line + self.line_offset
        return self.line_map.original_line(line)

    def column(self, position: int) -> int:
        return position - self.code.rfind("\n", 0, position)

    def error(self, kind: ErrorKind, message: str, position: int, line: int) -> MermaidError:
        original = self.original_line(line)
        if original > self.last_line:  # at the end of the text: point at its last line
            return MermaidError(message, kind=kind, line=self.last_line, column=1)
        return MermaidError(message, kind=kind, line=original, column=self.column(position))

    def describe(self, token: Token) -> str:
        kind, value, position, _ = token
        if kind == ACTOR:
            return f"name '{decode_entities(value)}'"
        if kind == INVALID:
            return f"'{decode_entities(value)}'"
        if kind == TXT:
            return f"text '{_shorten(decode_entities(value))}'"
        if kind == ARROW:
            return f"arrow '{value}'"
        if kind == NUM:
            return f"number {value}"
        if kind == NEWLINE:
            return "';'" if self.code.startswith(";", position) else "end of line"
        if kind == EOF:
            return "end of input"
        # Keywords are shown as written ('END', 'Note'); TOKEN_NAMES quotes them.
        written = self.code[position : position + len(TOKEN_NAMES[kind]) - 2]
        if TOKEN_NAMES[kind].lower() == f"'{written.lower()}'":
            return f"'{written}'"
        return TOKEN_NAMES[kind]

    def unexpected(self, token: Token, expected: str, context: str = "") -> MermaidError:
        found = self.describe(token)
        return self.error(
            "parse_error", f"unexpected {found}{context} (expected {expected})", token[2], token[3]
        )

    def trailing_whitespace(self, token: Token, following: Token, context: str,
                            expected: str) -> MermaidError:
        """An error placed at the trailing blanks of `token`'s line, which are what to fix."""
        newline = self.code.find("\n", token[2])
        end = newline if newline >= 0 else len(self.code)
        position = len(self.code[:end].rstrip(" \t"))
        message = f"unexpected {self.describe(following)}{context} (expected {expected})"
        return self.error("parse_error", message, position, token[3])

    def db_rule_broken(self, message: str, position: int, line: int) -> None:
        if self.db_error is None:
            self.db_error = self.error("db_error", message, position, line)

    # ------------------------------------------------------------------ driver
    def parse(self) -> SequenceDiagram:
        try:
            self.parse_statements()
        except LexicalError as error:
            line_start = self.code.rfind("\n", 0, error.position) + 1
            before = js_trim(self.code[line_start : error.position]) or "the keyword"
            raise self.error(
                "lexical_error",
                f"unexpected end of line after '{_shorten(decode_entities(before))}' "
                f"(expected {error.after} on the same line)",
                error.position,
                error.line,
            ) from None
        if self.db_error is not None:
            raise self.db_error
        return self.build()

    def parse_statements(self) -> None:
        code = self.code
        hook = self.fast_lines if self.use_fast_lines else None
        if hook is not None and code.startswith("sequenceDiagram\n"):
            # The header token, then the line break: the lexer would call the hook now.
            self.fast_ok = True
            position, line = hook(16, 2)
            if position >= len(code):  # every line was applied: only the end is left
                if self.blocks:
                    raise self.unclosed_block((EOF, "", position, line))
                return
            next_token = self.start_tokens(hook, position, line)
            self.parse_tokens(next_token())
            return
        next_token = self.start_tokens(hook, 0, 1)
        token = next_token()
        while token[0] == NEWLINE:
            token = next_token()
        if token[0] != SD:
            raise self.unexpected(token, "'sequenceDiagram' as the first statement")
        self.fast_ok = True
        self.parse_tokens(next_token())

    def start_tokens(
        self, hook: Callable[[int, int], tuple[int, int]] | None, position: int, line: int
    ) -> Callable[[], Token]:
        self.next_token = tokenize(self.code, hook, position, line).__next__
        return self.next_token

    def parse_tokens(self, token: Token) -> None:
        """The statements from ``token`` on, to the end of the text."""
        next_token = self.next_token
        handlers = _HANDLERS
        while True:
            kind = token[0]
            if kind in (NEWLINE, INVALID):
                # A stray character Mermaid cannot lex (')', '>', '/' ...) is an
                # ignorable line of its own in the jison grammar.
                token = next_token()
                continue
            handler = handlers.get(kind)
            if handler is not None:
                token = handler(self, token)
                continue
            if kind == EOF:
                if self.blocks:
                    raise self.unclosed_block(token)
                return
            raise self.statement_expected(token)

    def statement_expected(self, token: Token) -> MermaidError:
        expected = _STATEMENT_EXPECTED
        if self.blocks:
            expected += f", or 'end' to close '{self.blocks[-1].kind}'"
        if token[0] == ARROW:
            return self.unexpected(token, "a participant name before the arrow")
        if token[0] == SD:
            return self.unexpected(token, expected, ": the header may appear only once")
        return self.unexpected(token, expected)

    def unclosed_block(self, token: Token) -> MermaidError:
        block = self.blocks[-1]
        hint = ""
        if block.opened_after_end:
            hint = (
                f"; 'end {block.kind}' on line {block.line} closed a block and opened a new "
                f"'{block.kind}': 'end' must stand alone"
            )
        return MermaidError(
            f"unexpected end of input: '{block.kind}' opened on line {block.line} is never "
            f"closed{hint} (expected 'end')",
            kind="parse_error",
            line=block.line,
            column=1,
        )

    def expect(self, token: Token, kind: int, expected: str, context: str = "") -> Token:
        if token[0] != kind:
            raise self.unexpected(token, expected, context)
        return token

    # ------------------------------------------------------------------ whole lines
    def fast_lines(self, position: int, line: int) -> tuple[int, int]:
        """The lexer's line hook: apply simple statement lines without tokens.

        Called at the start of a line between top-level statements. Each line the
        patterns of :func:`fast_line_patterns` match stands for a token sequence the
        handlers accept as one statement; it is applied here with the handlers' own
        methods, in the same order. The first line that does not match, or whose
        statement a handler would reject (``else`` outside ``alt``, ``end`` without
        a block ...), is left to the lexer: returns its position and line number.
        """
        if not self.fast_ok:
            return position, line
        code = self.code
        length = len(code)
        patterns = fast_line_patterns()
        head_match = patterns.head.match
        keywords = ALL_KEYWORDS
        word_kinds = _WORD_KINDS
        actors = self.actors
        add_actor = self.add_implicit_actor
        new_message = self.messages.append
        arrows = _ARROWS
        while position < length:
            head = head_match(code, position)
            if head is None:
                kind = _GENERAL
            else:
                word, arrow, mark, target, text = head.groups()
                known = word_kinds.get(word)
                kind = _word_kind(word) if known is None else known
                if kind == _MESSAGE and arrow is not None:
                    known = word_kinds.get(target)
                    if (_word_kind(target) if known is None else known) != _MESSAGE:
                        break  # a keyword
                    if self.db_error is None:
                        if word not in actors:
                            add_actor(word, line)
                        if target not in actors:
                            add_actor(target, line)
                        if self.last_created is not None or self.last_destroyed is not None:
                            self.check_create_destroy(word, target, head.start(1), line)
                        text = text[1:].strip(JS_WHITESPACE_CHARS)
                        if text[:1] in "wn:" or self.has_entities:
                            text = parse_message_text(text)
                        arrow, line_type = arrows[arrow]
                        activation: Activation | None = None
                        if mark is not None:
                            activation = "activate" if mark == "+" else "deactivate"
                        new_message(
                            _new_tuple(
                                Message,
                                (word, target, arrow, line_type, text,
                                 line + self.line_offset if self.line_origin is None
                                 else self.line_map.original_line(line),
                                 activation, None),
                            )
                        )  # fmt: skip
                        if self.blocks:
                            self.blocks[-1].message_count += 1
                        if activation is not None:
                            if activation == "activate":
                                self.activate(target, line)
                            else:
                                self.deactivate(word, head.start(1), line)
                    position = head.end()
                    line += 1
                    while position < length and code[position] == "\n":
                        position += 1
                        line += 1
                    continue
            if kind in (_MESSAGE, _GENERAL):
                head = None
                found = line_pattern().match(code, position)
                if found is None:
                    if code[position] not in _WHITESPACE:
                        break
                    # The lexer's whitespace rule crosses line breaks: a blank line and
                    # the indentation after it are one token-less run.
                    run_end = _WS_RUN.match(code, position).end()  # type: ignore[union-attr]
                    breaks = code.count("\n", position, run_end)
                    if not breaks:
                        break
                    position = run_end
                    line += breaks
                    continue
                if self.inline_comments and code.find("%%", position, found.end()) >= 0:
                    break
                kind = _GENERAL_KINDS[found.lastgroup]  # type: ignore[index]
                if kind == _MESSAGE:
                    words = found.group("source_word", "target_word")
                elif kind == _NOTE:
                    words = found.group("first_word", "second_word")
                else:
                    words = ()
                if any(word is not None and word.lower() in keywords for word in words):
                    break  # a keyword rule wins over the name rule
            elif kind == _BLOCK:
                found = patterns.block_rest.match(code, head.end(1))  # type: ignore[union-attr]
                if found is None:
                    break
            elif kind == _END:
                found = patterns.end_rest.match(code, head.end(1))  # type: ignore[union-attr]
                if found is None:
                    break
            elif kind == _DECLARATION:
                found = patterns.declaration_rest.match(code, head.end(1))  # type: ignore[union-attr]
                if found is None:
                    break
            elif kind == _NOTE:
                found = patterns.note_rest.match(code, head.end(1))  # type: ignore[union-attr]
                if found is None:
                    break
                if found.group("first_word").lower() in keywords:
                    break
                second_word = found.group("second_word")
                if second_word is not None and second_word.lower() in keywords:
                    break
            elif kind == _AUTONUMBER:
                found = patterns.autonumber_rest.match(code, head.end(1))  # type: ignore[union-attr]
                if found is None:
                    break
            else:  # another keyword: left to the lexer
                break
            if not self.fast_statement(kind, found, head, line):
                break
            # The line and the line breaks after it (the lexer's newline rule).
            position = found.end()
            line += 1
            while position < length and code[position] == "\n":
                position += 1
                line += 1
        return position, line

    def fast_statement(
        self, kind: int, found: re.Match[str], head: re.Match[str] | None, line: int
    ) -> bool:
        """Apply one statement line matched by the fast path; False to leave it to the lexer.

        ``found`` is the match of the line's rest (``head`` matched its first word)
        or, without ``head``, of :func:`line_pattern`, whose group names are the same.
        """
        if kind == _MESSAGE:
            if self.db_error is None:
                source, arrow, mark, target, text = found.group(
                    "source", "arrow", "mark", "target", "text"
                )
                source = source.strip(JS_WHITESPACE_CHARS)
                target = target.strip(JS_WHITESPACE_CHARS)
                if self.has_entities:
                    source = decode_entities(source)
                    target = decode_entities(target)
                self.add_message(
                    source,
                    arrow.lower(),
                    target,
                    text,
                    None if mark is None else ("activate" if mark == "+" else "deactivate"),
                    None,
                    found.start("source"),
                    line,
                )
            return True
        if kind == _BLOCK:
            keyword = (head.group(1) if head else found.group("block_keyword")).lower()
            label = found.group(1) if head else found.group("label")
            section = _SECTION_OWNERS.get(keyword)
            if section is None:
                self.push_block(keyword, label, line)  # type: ignore[arg-type]
                return True
            blocks = self.blocks
            if not blocks or blocks[-1].kind not in section:
                return False  # the handler raises the error
            blocks[-1].sections.append(
                _new_tuple(
                    Section, (keyword, parse_message_text(label), self.original_line(line))
                )
            )
            return True
        if kind == _END:
            if not self.blocks:
                return False
            self.pop_block(line)
            return True
        if kind == _DECLARATION:
            return self.fast_declaration(found, head, line)
        if kind == _NOTE:
            first, second, text = found.group("first", "second", "note_text")
            if found.group("over") is not None:
                placement: NotePlacement = "over"
            elif second is not None:
                return False  # a note left/right of two participants is an error
            else:
                placement = "left of" if found.group("left") is not None else "right of"
            if self.db_error is None:
                named: tuple[str, ...] = (decode_entities(first.strip(JS_WHITESPACE_CHARS)),)
                if second is not None:
                    named += (decode_entities(second.strip(JS_WHITESPACE_CHARS)),)
                self.add_note(named, placement, text, line)
            return True
        # bare autonumber
        self.autonumbers.append(Autonumber(self.original_line(line), True, None, None))
        return True

    def fast_declaration(self, found: re.Match[str], head: re.Match[str] | None, line: int) -> bool:
        """A declaration line of the fast path; False when the handlers would reject it."""
        if head is None:
            create, keyword = found.group("create", "declaration")
            position = found.start("declaration")
        else:
            create, keyword = None, head.group(1)
            position = head.start(1)
        declared, alias_keyword, alias, rest = found.group(
            "declared", "alias_keyword", "alias", "declared_rest"
        )
        kind = _DECLARATION_WORDS[keyword.lower()]
        if alias_keyword is not None and kind not in (PARTICIPANT, PARTICIPANT_ACTOR):
            return False  # only participant/actor take 'as'
        if create is not None and kind not in _DECLARATION_KINDS:
            return False  # 'create activate X'
        if self.db_error is not None:
            return True
        name = decode_entities(declared if rest is None else js_trim(declared + rest))
        if create is None and kind in (PARTICIPANT, PARTICIPANT_ACTOR):
            # add_actor without config or box (the fast path never runs inside a box).
            draw = "actor" if kind == PARTICIPANT_ACTOR else "participant"
            description = None if alias is None else parse_message_text(alias)
            old = self.actors.get(name)
            if old is None:
                self.actors[name] = _ActorRecord(
                    name if description is None else description,
                    draw,
                    self.original_line(line),
                    None,
                )
            elif description is not None:
                old.label = description
                old.type = draw
            return True
        if kind == ACTIVATE:
            self.activate(name, line)
        elif kind == DEACTIVATE:
            self.deactivate(name, position, line)
        else:
            self.apply_declaration(
                kind,
                name,
                None if alias is None else parse_message_text(alias),
                None,
                create is not None,
                position,
                found.start("declared"),
                line,
            )
        return True

    # ------------------------------------------------------------------ blocks
    def open_block(self, token: Token) -> Token:
        label_token = self.next_token()  # the lexer always yields the rest of the line
        self.push_block(_BLOCK_KINDS[token[0]], label_token[1], token[3])
        return self.next_token()

    def push_block(self, kind: BlockKind, label: str, line: int) -> None:
        blocks = self.blocks
        parent_section = len(blocks[-1].sections) if blocks else 0
        blocks.append(
            _OpenBlock(
                kind,
                parse_message_text(label),
                self.original_line(line),
                parent_section,
                opened_after_end=self.previous_end_line == line,
            )
        )

    def close_block(self, token: Token) -> Token:
        if not self.blocks:
            raise self.unexpected(token, _STATEMENT_EXPECTED, ": no open block to close")
        self.pop_block(token[3])
        return self.next_token()

    def pop_block(self, line: int) -> None:
        blocks = self.blocks
        block = blocks.pop()
        closed = _new_tuple(
            Block,
            (
                block.kind,
                block.label,
                block.line,
                self.original_line(line),
                tuple(block.sections),
                tuple(block.children),
                block.parent_section,
                block.message_count,
            ),
        )
        (blocks[-1].children if blocks else self.top_blocks).append(closed)
        self.previous_end_line = line

    def section(self, token: Token) -> Token:
        keyword, owners = _SECTIONS[token[0]]
        blocks = self.blocks
        if not blocks or blocks[-1].kind not in owners:
            owner = " or ".join(f"'{owner}'" for owner in owners)
            if blocks:
                where = f" directly inside '{blocks[-1].kind}' (line {blocks[-1].line})"
            else:
                where = " outside any block"
            raise self.unexpected(
                token,
                f"{_STATEMENT_EXPECTED}; '{keyword}' only divides {owner} blocks",
                where,
            )
        label_token = self.next_token()
        blocks[-1].sections.append(
            Section(keyword, parse_message_text(label_token[1]), self.original_line(token[3]))
        )
        return self.next_token()

    # ------------------------------------------------------------------ statements
    def signal(self, token: Token) -> Token:
        """``A->>B: text`` with optional ``+``/``-`` activation or ``()`` connections."""
        next_token = self.next_token
        source = decode_entities(token[1]) if self.has_entities else token[1]
        following = next_token()
        central_source = following[0] == CENTRAL
        if central_source:
            following = next_token()
        if following[0] != ARROW:
            raise self.unexpected(
                following,
                "an arrow such as '->>', '-->>', '->', '-x' or '-)' and a target",
                f" after name '{source}'",
            )
        arrow = following[1]
        following = next_token()
        activation: Activation | None = None
        central_target = False
        kind = following[0]
        if kind != ACTOR:
            if kind == PLUS and not central_source:
                activation = "activate"
                following = next_token()
            elif kind == MINUS and not central_source:
                activation = "deactivate"
                following = next_token()
            elif kind == CENTRAL:
                central_target = True
                following = next_token()
            if following[0] != ACTOR:
                raise self.unexpected(
                    following, "the name of the message target", f" after '{source}{arrow}'"
                )
        target = decode_entities(following[1]) if self.has_entities else following[1]
        following = next_token()
        if following[0] != TXT:
            raise self.unexpected(
                following,
                f"':' and a message text, e.g. '{source}{arrow}{target}: hello'",
                f" after '{source}{arrow}{target}'" + self.glued_arrow_hint(token, source),
            )
        text = following[1]
        following = next_token()
        if following[0] != NEWLINE:
            raise self.unexpected(following, "the end of the statement")
        if self.db_error is None:
            central: CentralConnection | None = None
            if central_source or central_target:
                if central_source and central_target:
                    central = "both"
                else:
                    central = "source" if central_source else "target"
            self.add_message(source, arrow, target, text, activation, central, token[2], token[3])
        return next_token()

    def add_message(
        self,
        source: str,
        arrow: str,
        target: str,
        text: str,
        activation: Activation | None,
        central: CentralConnection | None,
        position: int,
        line: int,
    ) -> None:
        """Apply a message like SequenceDB: both actors, create/destroy, activation."""
        actors = self.actors
        if source not in actors or target not in actors:
            self.add_implicit_actor(source, line)
            self.add_implicit_actor(target, line)
        if self.last_created is not None or self.last_destroyed is not None:
            self.check_create_destroy(source, target, position, line)
        original_line = (
            line + self.line_offset if self.line_origin is None else self.original_line(line)
        )
        self.messages.append(
            _new_tuple(
                Message,
                (
                    source,
                    target,
                    arrow,
                    ARROW_LINE_TYPES[arrow],
                    parse_message_text(text[1:]),
                    original_line,
                    activation,
                    central,
                ),
            )
        )
        if self.blocks:
            self.blocks[-1].message_count += 1
        if activation == "activate":
            self.activate(target, line)
        elif activation == "deactivate":
            self.deactivate(source, position, line)

    def glued_arrow_hint(self, token: Token, source: str) -> str:
        """Explain ``svc-xyz->>B``: Mermaid cut the name at a ``-x``/``-)`` arrow."""
        line_end = self.code.find("\n", token[2])
        rest = self.code[token[2] : len(self.code) if line_end < 0 else line_end]
        for arrow in ("--x", "-x", "--)", "-)"):
            at = rest.lower().find(arrow, len(source) - 1)
            if at == len(source) and rest[at + len(arrow) : at + len(arrow) + 1].strip():
                return f"; Mermaid reads '{arrow}' inside a name as an arrow"
        return ""

    def check_create_destroy(self, source: str, target: str, position: int, line: int) -> None:
        """SequenceDB.apply 'addMessage': the message after create/destroy must involve it."""
        if self.last_created is not None:
            created, created_line = self.last_created
            if target != created:
                self.db_rule_broken(
                    f"'{created}' is created on line {self.original_line(created_line)}, so the "
                    f"next message must go to it, but this one goes from '{source}' to "
                    f"'{target}' (expected a message to '{created}')",
                    position,
                    line,
                )
            else:
                self.last_created = None
        elif self.last_destroyed is not None:
            destroyed, destroyed_line = self.last_destroyed
            if destroyed not in (source, target):
                self.db_rule_broken(
                    f"'{destroyed}' is destroyed on line {self.original_line(destroyed_line)}, "
                    f"so the next message must come from or go to it, but this one goes from "
                    f"'{source}' to '{target}' (expected a message from or to '{destroyed}')",
                    position,
                    line,
                )
            else:
                self.last_destroyed = None

    def deactivate(self, actor: str, position: int, line: int) -> None:
        count = self.active_count.get(actor, 0)
        if count < 1:
            self.db_rule_broken(
                f"cannot deactivate '{actor}': it is not active here (expected an earlier "
                f"'activate {actor}' or a message with '+' to '{actor}')",
                position,
                line,
            )
            return
        self.active_count[actor] = count - 1
        self.activations.append(_new_tuple(ActivationChange, (actor, False, self.original_line(line))))

    def declaration(self, token: Token) -> Token:
        return self.read_declaration(token, created=False)

    def create(self, token: Token) -> Token:
        following = self.next_token()
        if following[0] not in _DECLARATION_KINDS:
            raise self.unexpected(
                following, "'participant' or 'actor' and a name", " after 'create'"
            )
        return self.read_declaration(following, created=True)

    def read_declaration(self, token: Token, *, created: bool) -> Token:
        """``participant``/``actor``/``destroy`` with a name, ``@{...}`` config, ``as`` alias."""
        next_token = self.next_token
        keyword = token[0]
        keyword_name = TOKEN_NAMES[keyword]
        name_token = next_token()
        if name_token[0] != ACTOR:
            hint = ""
            if name_token[0] == INVALID and "@" in name_token[1]:
                hint = "; '@' is not allowed in a declared name"
            raise self.unexpected(name_token, "a participant name", f" after {keyword_name}{hint}")
        name = decode_entities(name_token[1])
        following = next_token()
        config: str | None = None
        config_end = -1
        description: str | None = None
        if keyword != DESTROY and following[0] == CONFIG_START:
            following = next_token()
            if following[0] != CONFIG_CONTENT:
                raise self.unexpected(
                    following,
                    'participant configuration such as \'"type": "database"\'',
                    " after '@{'",
                )
            config = js_trim(following[1])  # the grammar trims CONFIG_CONTENT
            following = next_token()
            config_end = self.expect(following, CONFIG_END, "'}' to close '@{'")[2]
            following = next_token()
        if keyword != DESTROY and following[0] == AS:
            description = parse_message_text(next_token()[1])
            following = next_token()
        if following[0] != NEWLINE:
            context = f" after {keyword_name} '{name}'"
            if config_end >= 0 and "\n" in self.code[config_end : following[2]]:
                context += "; trailing whitespace after '}' swallows the line break, remove it"
                raise self.trailing_whitespace(token, following, context, "the end of the line")
            raise self.unexpected(following, "the end of the line", context)
        if self.db_error is None:
            self.apply_declaration(
                keyword, name, description, config, created, token[2], name_token[2], token[3]
            )
        return next_token()

    def apply_declaration(
        self,
        keyword: int,
        name: str,
        description: str | None,
        config: str | None,
        created: bool,
        position: int,
        name_position: int,
        line: int,
    ) -> None:
        """SequenceDB's ``addActor``/``destroy`` for a declaration that parsed."""
        if keyword == DESTROY and not created:
            self.last_destroyed = (name, line)
            self.destroyed.setdefault(name, len(self.messages))
            return
        draw = (
            None
            if keyword == DESTROY
            else ("actor" if keyword == PARTICIPANT_ACTOR else "participant")
        )
        if created:
            if name in self.actors:
                self.db_rule_broken(
                    f"cannot create '{name}': a participant with this id already exists "
                    f"(first seen on line {self.actors[name].line}); expected a new id, e.g. "
                    f"'create participant {name}2 as {name}'",
                    position,
                    line,
                )
                return
            self.last_created = (name, line)
        self.add_actor(name, description, draw, config, name_position, line)
        if created and self.db_error is None:
            self.created.setdefault(name, len(self.messages))

    def add_implicit_actor(self, actor_id: str, line: int) -> None:
        """An actor named by a message, note or link (``addActor`` without type or label)."""
        if actor_id not in self.actors:
            self.actors[actor_id] = _ActorRecord(
                actor_id, "participant", self.original_line(line), self.current_box
            )
            if self.current_box is not None:
                self.current_box.actor_ids[actor_id] = None

    def add_actor(
        self,
        actor_id: str,
        description: str | None,
        draw: str | None,
        config: str | None,
        position: int,
        line: int,
    ) -> None:
        """``SequenceDB.addActor`` for a declaration."""
        actor_type: str | None = draw
        if config is not None:
            document = self.load_participant_config(actor_id, config, position, line)
            if self.db_error is not None:
                return
            if isinstance(document, dict):
                configured_type = document.get("type")
                if configured_type is not None:
                    actor_type = decode_entities(_js_string(configured_type))
                alias = document.get("alias")
                if _js_truthy(alias) and (description is None or description == actor_id):
                    description = decode_entities(_js_string(alias))
        box = self.current_box
        old = self.actors.get(actor_id)
        if old is not None:
            if box is not None and old.box is not None and box is not old.box:
                self.db_rule_broken(
                    f"'{actor_id}' is already in box '{old.box.label}' (line {old.box.line}) and "
                    f"is declared again in box '{box.label}' (expected each participant in one "
                    "box only)",
                    position,
                    line,
                )
                return
            if old.box is None:
                old.box = box
            if description is None:
                return
        if description is None or actor_type is None:
            description = actor_id
        if old is None:
            self.actors[actor_id] = _ActorRecord(
                description, actor_type or "participant", self.original_line(line), box
            )
        else:
            old.label = description
            old.type = actor_type or "participant"
        if box is not None:
            box.actor_ids[actor_id] = None

    def load_participant_config(
        self, actor_id: str, config: str, position: int, line: int
    ) -> object:
        """Mermaid reads ``@{...}`` as YAML: a one-liner as a flow mapping, else a block."""
        from pubflow.diagrams.mermaid import _yaml  # rare: keep it off the start-up path

        try:
            if "\n" not in config:
                return _yaml.load_flow("{\n" + config + "\n}")
            return _yaml.load(config + "\n")
        except _yaml.YamlError as error:
            self.db_rule_broken(
                f"invalid participant configuration for '{actor_id}': {error.message} "
                f'(expected YAML such as \'"type": "database"\')',
                position,
                line,
            )
            return None

    def box(self, token: Token) -> Token:
        next_token = self.next_token
        heading = decode_entities(next_token()[1])
        color, label = split_box_heading(heading)
        label = parse_message_text(label) if label else ""
        box = _OpenBox(label, color, self.original_line(token[3]))
        self.current_box = box
        self.fast_ok = False  # declarations in a box go through the tokens
        following = next_token()
        while True:
            kind = following[0]
            if kind == NEWLINE:
                following = next_token()
            elif kind in _DECLARATION_KINDS:
                following = self.read_declaration(following, created=False)
            elif kind == END:
                break
            elif kind == EOF:
                raise MermaidError(
                    f"unexpected end of input: 'box' opened on line {box.line} is never closed "
                    "(expected 'end')",
                    kind="parse_error",
                    line=box.line,
                )
            else:
                expected = "'participant', 'actor', 'destroy' or 'end'"
                context = f" inside 'box' (line {box.line})"
                if kind == ACTOR:
                    context += "; messages go after the box's 'end'"
                raise self.unexpected(following, expected, context)
        self.current_box = None
        self.boxes.append(
            Box(label, color, tuple(box.actor_ids), box.line, self.original_line(following[3]))
        )
        self.fast_ok = True
        return next_token()

    def autonumber(self, token: Token) -> Token:
        next_token = self.next_token
        following = next_token()
        start: float | None = None
        step: float | None = None
        visible = True
        if following[0] == NUM:
            start = float(following[1])
            following = next_token()
            if following[0] == NUM:
                step = float(following[1])
                following = next_token()
            else:
                step = 1.0
        elif following[0] == OFF:
            visible = False
            following = next_token()
        if following[0] != NEWLINE:
            context = " after 'autonumber'"
            between = self.code[token[2] : following[2]]
            if "\n" in between:
                context += (
                    "; trailing whitespace after 'autonumber' swallows the line break in "
                    "Mermaid's lexer, remove it"
                )
                # Point at the whitespace to delete, not at the next line Mermaid tripped on.
                raise self.trailing_whitespace(token, following, context,
                                               "a start number, 'off' or the end of the line")
            raise self.unexpected(
                following, "a start number, 'off' or the end of the line", context
            )
        self.autonumbers.append(Autonumber(self.original_line(token[3]), visible, start, step))
        return next_token()

    def activation(self, token: Token) -> Token:
        next_token = self.next_token
        keyword = "activate" if token[0] == ACTIVATE else "deactivate"
        name_token = next_token()
        if name_token[0] != ACTOR:
            raise self.unexpected(name_token, "a participant name", f" after '{keyword}'")
        following = next_token()
        if following[0] != NEWLINE:
            raise self.unexpected(following, "the end of the line", f" after '{keyword}'")
        if self.db_error is None:
            actor = decode_entities(name_token[1])
            if token[0] == ACTIVATE:
                self.activate(actor, token[3])
            else:
                self.deactivate(actor, token[2], token[3])
        return next_token()

    def activate(self, actor: str, line: int) -> None:
        self.active_count[actor] = self.active_count.get(actor, 0) + 1
        self.activations.append(_new_tuple(ActivationChange, (actor, True, self.original_line(line))))

    def note(self, token: Token) -> Token:
        next_token = self.next_token
        following = next_token()
        placement: NotePlacement
        if following[0] == LEFT_OF or following[0] == RIGHT_OF:
            placement = "left of" if following[0] == LEFT_OF else "right of"
            name_token = self.expect(
                next_token(), ACTOR, "a participant name", f" after 'note {placement}'"
            )
            actors: tuple[str, ...] = (decode_entities(name_token[1]),)
            following = next_token()
        elif following[0] == OVER:
            placement = "over"
            name_token = self.expect(
                next_token(), ACTOR, "a participant name", " after 'note over'"
            )
            actors = (decode_entities(name_token[1]),)
            following = next_token()
            if following[0] == COMMA:
                name_token = self.expect(
                    next_token(), ACTOR, "a second participant name", " after ','"
                )
                actors = (actors[0], decode_entities(name_token[1]))
                following = next_token()
        else:
            context = " after 'note'"
            if following[0] == ACTOR and following[1].lower().startswith(("left", "right")):
                context += "; write 'left of'/'right of' with exactly one space"
            raise self.unexpected(following, "'left of', 'right of' or 'over'", context)
        if following[0] != TXT:
            context = f" in note {placement} '{', '.join(actors)}'"
            if following[0] == COMMA:
                context += "; a note spans at most two participants"
            raise self.unexpected(following, "':' and the note text", context)
        text = following[1]
        following = next_token()
        if following[0] != NEWLINE:
            raise self.unexpected(following, "the end of the note", "")
        if self.db_error is None:
            self.add_note(actors, placement, text, token[3])
        return next_token()

    def add_note(
        self, actors: tuple[str, ...], placement: NotePlacement, text: str, line: int
    ) -> None:
        for actor in actors:
            self.add_implicit_actor(actor, line)
        self.notes.append(
            _new_tuple(
                Note,
                (actors, placement, parse_message_text(js_trim(text)[1:]), self.original_line(line)),
            )
        )

    def actor_link(self, token: Token) -> Token:
        next_token = self.next_token
        keyword = _LINK_KEYWORDS[token[0]]
        name_token = self.expect(next_token(), ACTOR, "a participant name", f" after '{keyword}'")
        self.expect(next_token(), TXT, "':' and the link data", f" after '{keyword}'")
        following = next_token()
        if following[0] != NEWLINE:
            raise self.unexpected(following, "the end of the line", f" after '{keyword}'")
        if self.db_error is None:
            self.add_implicit_actor(decode_entities(name_token[1]), token[3])
        return next_token()

    def diagram_title(self, token: Token) -> Token:
        self.title = decode_entities(token[1])
        return self.next_token()

    def accessibility(self, token: Token) -> Token:
        kind = token[0]
        # accTitle:/accDescr: are always followed by their value token.
        value = token[1] if kind == ACC_DESCR_MULTILINE_VALUE else self.next_token()[1]
        value = decode_entities(js_trim(value))
        if kind == ACC_TITLE:
            self.acc_title = value.lstrip(JS_WHITESPACE_CHARS)
        else:
            self.acc_descr = _collapse_indentation(value)
        return self.next_token()

    # ------------------------------------------------------------------ result
    def build(self) -> SequenceDiagram:
        # Fields in SequenceDiagram's order; tuple.__new__ skips the keyword handling.
        return _new_tuple(
            SequenceDiagram,
            (
                tuple(
                    [
                        _new_tuple(Actor, (actor_id, record.label, record.type, record.line))
                        for actor_id, record in self.actors.items()
                    ]
                ),
                tuple(self.messages),
                tuple(self.notes),
                tuple(self.top_blocks),
                tuple(self.boxes),
                tuple(self.activations),
                tuple(self.autonumbers),
                tuple(self.created),
                tuple(self.destroyed),
                self.title or None,
                self.front_matter_title,
                self.acc_title or None,
                self.acc_descr or None,
            ),
        )


_HANDLERS: dict[int, Callable[[SequenceParser, Token], Token]] = {
    ACTOR: SequenceParser.signal,
    PARTICIPANT: SequenceParser.declaration,
    PARTICIPANT_ACTOR: SequenceParser.declaration,
    DESTROY: SequenceParser.declaration,
    CREATE: SequenceParser.create,
    BOX: SequenceParser.box,
    AUTONUMBER: SequenceParser.autonumber,
    ACTIVATE: SequenceParser.activation,
    DEACTIVATE: SequenceParser.activation,
    NOTE: SequenceParser.note,
    LINKS: SequenceParser.actor_link,
    LINK: SequenceParser.actor_link,
    PROPERTIES: SequenceParser.actor_link,
    DETAILS: SequenceParser.actor_link,
    TITLE: SequenceParser.diagram_title,
    LEGACY_TITLE: SequenceParser.diagram_title,
    ACC_TITLE: SequenceParser.accessibility,
    ACC_DESCR: SequenceParser.accessibility,
    ACC_DESCR_MULTILINE_VALUE: SequenceParser.accessibility,
    END: SequenceParser.close_block,
    ELSE: SequenceParser.section,
    AND: SequenceParser.section,
    OPTION: SequenceParser.section,
    **dict.fromkeys(_BLOCK_KINDS, SequenceParser.open_block),
}
"""Which method parses a statement, by the kind of its first token."""


def _collapse_indentation(text: str) -> str:
    """``setAccDescription``: a line break swallows the whitespace after it."""
    return _BREAK_AND_INDENT.sub("\n", text) if "\n" in text else text


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _js_truthy(value: object) -> bool:
    if isinstance(value, (dict, list)):
        return True
    return bool(value)


def _js_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)
