"""Beat 12: the links and images in a pattern's Markdown resolve (the offline part).

A relative link or image must name a file or folder inside the repository (relative to the
pattern file, or to the repository root with a leading `/`), and a `#anchor` must name a
heading of the Markdown file it points to, as GitHub writes heading anchors, or for `#anchor`
alone, a heading of the pattern's own page as `release.render` lays it out (the title, the
nine numbered sections, the headings inside the Markdown, "Related patterns").

Folder-wide rather than per file, for two reasons: a check of one document knows its file
stem but not its path, and the verdict depends on other files (a `docs/` page added or
deleted), so a per-file result cached under the pattern's own size and mtime would go stale.
The check reads the run's files again, and stays cheap: a file whose bytes hold neither `](`
nor `]:` (every Markdown link or reference definition has one) is not even decoded, a field
whose link destinations all start with a scheme is not parsed, and only then is markdown-it
loaded. http(s) links are not checked here: `external_links` lists them, with their places,
for the `--online` check to fetch.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from pubflow.checks.base import FolderContext
from pubflow.findings import Issue

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

SECTION_HEADINGS: tuple[tuple[str, str | None], ...] = (
    ("1. Hook", "hookMarkdown"),
    ("2. Problem", "problemMarkdown"),
    ("3. Broken signals", "brokenSignals"),
    ("4. As-is sequence", None),
    ("5. Orchestrated approach", "orchestratedMarkdown"),
    ("6. Orchestrated sequence", None),
    ("7. Scorecard", None),
    ("8. Acceptance criteria", "acceptanceCriteria"),
    ("9. Implementation checklist", "implementationChecklist"),
)
"""The page's `##` headings in order, each with the field rendered as Markdown below it
(`release.render.render_page`; a test holds the two together)."""
RELATED_HEADING = "Related patterns"
CRITERION_PARTS = ("given", "when", "then")

_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*:"
_DESTINATION = (
    r"\]\([ \t]*(?:\n[ \t]*)?(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))+)"  # [text](dest
    r"|^ {0,3}\[[^\]\n]+\]:[ \t]*(?:\n[ \t]*)?(<[^<>\n]*>|\S+)"  # [label]: dest
    r"|<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>"  # <scheme:autolink>
)
"""Where a link destination is written: after `](`, in a reference definition, or an autolink."""
_HTML_ANCHOR = r"""<a\s[^>]*?\b(?:name|id)\s*=\s*["']([^"']+)["']"""
"""Patterns compiled on first use (`_compiled`): most runs never need them."""


@cache
def _compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
MAX_SUGGESTIONS = 1


class Link:
    """One link or image of a Markdown text, where its destination is written. (A plain
    class: this module loads at every start, where a NamedTuple class costs time.)"""

    __slots__ = ("column", "href", "image", "line")

    def __init__(self, href: str, image: bool, line: int, column: int) -> None:
        self.href = href
        """As markdown-it normalises it (percent-encoded, entities and escapes resolved)."""
        self.image = image
        self.line = line
        """1-based line of the destination in the text."""
        self.column = column
        """1-based column (code points) of the destination on that line."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Link) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, bool, int, int]:
        return (self.href, self.image, self.line, self.column)

    def __repr__(self) -> str:
        return f"Link{self._key()!r}"


class LinkCheck:
    """Relative links and images resolve inside the repository; anchors name headings."""

    name = "links"

    def __call__(self, folder: FolderContext) -> Iterator[tuple[str, Issue]]:
        config = folder.config
        # Strings, not Paths, over the run's files (as storage.discovery): ten thousand Paths
        # cost more than the reads. Lexical on purpose: a `..` must not be resolved away.
        root = os.path.abspath(config.root)  # noqa: PTH100
        resolver = _Resolver(root)
        for entry in folder.entries:
            if not entry.may_link:  # its checked bytes hold no link: nothing to read again
                continue
            path = (entry.file if os.path.isabs(entry.file)  # noqa: PTH117
                    else os.path.join(root, entry.file))  # noqa: PTH118
            data = _read_if_linking(path, config.max_file_bytes)
            if data is None or not resolver.inside(path):
                continue
            folder_of_file = os.path.dirname(path)  # noqa: PTH120
            for issue in pattern_link_issues(data, folder_of_file, resolver):
                yield entry.file, issue


def read_pattern(path: str, limit: int) -> dict[str, Any] | None:
    """The document of a pattern file that may hold a Markdown link (else None)."""
    return _read_if_linking(path, limit)


def _read_if_linking(path: str, limit: int) -> dict[str, Any] | None:
    """The document, only when its bytes may hold a Markdown link at all."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size > limit:
                return None
            raw = os.read(fd, size + 1)  # (a buffer of `limit` bytes costs more than the read)
        finally:
            os.close(fd)
    except OSError:
        return None
    if not may_hold_link(raw):
        return None
    try:
        # too deep or not JSON: the per-file checks report it (with its limit), not this one
        from pubflow.storage.jsonsource import MAX_DEPTH, depth_exceeded_at

        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth_exceeded_at(
                raw.decode("utf-8", "replace"), MAX_DEPTH) is not None:
            return None
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def may_hold_link(raw: bytes) -> bool:
    """Whether a file's bytes may hold a Markdown link: `](` or `]:` (or the `(` or `:`
    escaped as `\\u0028`, `\\u003a`; or the `]` itself as `\\u005d`). JSON outside strings
    never has a `]` before either. A `]` is rare, so this looks at each one (memchr), which
    is three times faster than searching for the pairs."""
    find = raw.find
    at = find(b"]")
    while at != -1:
        if raw[at + 1:at + 2] in b"(:\\":  # (the end of the file too: then decode)
            return True
        at = find(b"]", at + 1)
    return b"\\u005" in raw


def markdown_fields(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer, text) of every string the page renders as Markdown, in page order."""
    for _, field in SECTION_HEADINGS:
        if field is None:
            continue
        value = data.get(field)
        if isinstance(value, str):
            yield f"/{field}", value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield f"/{field}/{index}", item
                elif isinstance(item, dict):
                    for part in CRITERION_PARTS:
                        if isinstance(item.get(part), str):
                            yield f"/{field}/{index}/{part}", item[part]


def may_link(text: str) -> bool:
    """Whether a Markdown text may hold a link or image at all (every one has `](` or, for a
    reference, a definition with `]:`): the test that spares the parser most fields."""
    return "](" in text or "]:" in text


def _may_link_locally(text: str) -> bool:
    """Some destination of `text` has no scheme (is relative, or only an anchor)."""
    return any(not _compiled(_SCHEME).match(raw.lstrip("<")) for _, raw in _written(text))


def _written(text: str) -> list[tuple[int, str]]:
    """(offset, destination as written) of every place a link destination may be written."""
    found: list[tuple[int, str]] = []
    for match in _compiled(_DESTINATION, re.M).finditer(text):
        group = 1 if match.group(1) is not None else 2 if match.group(2) is not None else 3
        found.append((match.start(group), match.group(group)))
    return found


def is_external(href: str) -> bool:
    """An http(s) link: what `--online` checks (this check never does)."""
    return href[:7].lower() == "http://" or href[:8].lower() == "https://"


def external_links(data: dict[str, Any]) -> Iterator[tuple[str, Link]]:
    """(pointer, link) of every http(s) link and image of a pattern: the hook for the online
    check, which fetches them and reports with the same places."""
    for pointer, text in markdown_fields(data):
        if may_link(text) or "<" in text:  # autolinks too
            for link in links_of(text):
                if is_external(link.href):
                    yield pointer, link


def pattern_link_issues(data: dict[str, Any], folder: str,
                        resolver: _Resolver) -> Iterator[Issue]:
    """The findings of one pattern whose file is in `folder`."""
    from pubflow.storage.jsonsource import LineInString

    page_anchors: set[str] | None = None
    for pointer, text in markdown_fields(data):
        if not may_link(text) or not _may_link_locally(text):
            continue
        for link in links_of(text):
            if _compiled(_SCHEME).match(link.href) or link.href.startswith("//"):
                continue  # another scheme (mailto:, http: ...): not a file of the repository
            where = LineInString(link.line, link.column)
            what = f"{_field_name(pointer)}: {'image' if link.image else 'link'} '{link.href}'"
            target, _, anchor = link.href.partition("#")
            target = _unquote(target.partition("?")[0])
            anchor = _unquote(anchor)
            if not target:
                if anchor:
                    if page_anchors is None:
                        page_anchors = page_slugs(data)
                    if not _anchor_matches(anchor, page_anchors):
                        yield Issue(pointer, "links.anchor",
                                    f"{what} names no heading of this pattern's page"
                                    f"{_suggestion(anchor, page_anchors)}",
                                    _ANCHOR_HINT, line_in_string=where)
                continue
            problem = resolver.problem(folder, target)
            if problem is not None:
                yield Issue(pointer, "links.missing", f"{what} {problem}",
                            _OUTSIDE_HINT if "outside" in problem else _MISSING_HINT,
                            line_in_string=where)
                continue
            if anchor and target.lower().endswith(MARKDOWN_SUFFIXES):
                path = resolver.resolve(folder, target)
                anchors = resolver.anchors_of(path)
                if anchors is not None and not _anchor_matches(anchor, anchors):
                    yield Issue(pointer, "links.anchor",
                                f"{what} names no heading of {resolver.shown(path)}"
                                f"{_suggestion(anchor, anchors)}",
                                _ANCHOR_HINT, line_in_string=where)


_MISSING_HINT = ("Fix the path (relative to the pattern file, or from the repository root with "
                 "a leading /), or add the file to the repository.")
_OUTSIDE_HINT = ("Link only to files in the repository: readers of the published pattern "
                 "cannot follow a link out of it.")
_ANCHOR_HINT = ("Write the anchor as GitHub makes it from the heading: lower case, spaces as "
                "'-', punctuation dropped ('## Paging policy' is #paging-policy).")


def _field_name(pointer: str) -> str:
    """`/acceptanceCriteria/0/then` -> `acceptanceCriteria[0].then`, as the schema words it."""
    parts = pointer.strip("/").split("/")
    name = parts[0]
    for part in parts[1:]:
        name += f"[{part}]" if part.isdigit() else f".{part}"
    return name


def _unquote(text: str) -> str:
    if "%" not in text:
        return text
    from urllib.parse import unquote

    return unquote(text)


def _anchor_matches(anchor: str, anchors: set[str]) -> bool:
    return anchor in anchors or anchor.lower() in anchors


def _suggestion(anchor: str, anchors: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(anchor.lower(), sorted(anchors), MAX_SUGGESTIONS, 0.6)
    return f" (did you mean '#{close[0]}'?)" if close else ""


class _Resolver:
    """Paths in the repository, with what one run already learnt about them."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        self._anchors: dict[str, set[str] | None] = {}

    def inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self._real_root or real.startswith(self._real_root + os.sep)

    def resolve(self, folder: str, target: str) -> str:
        base = self.root if target.startswith("/") else folder
        return os.path.normpath(os.path.join(base, target.lstrip("/")))  # noqa: PTH118

    def shown(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def problem(self, folder: str, target: str) -> str | None:
        """Why `target` (from a file in `folder`) does not resolve, or None."""
        path = self.resolve(folder, target)
        if path != self.root and not path.startswith(self.root.rstrip(os.sep) + os.sep):
            return "resolves outside the repository"
        if not os.path.exists(path):  # noqa: PTH110
            return f"does not resolve: {self.shown(path)} does not exist"
        if not self.inside(path):
            return f"resolves outside the repository (through a symlink: {self.shown(path)})"
        return None

    def anchors_of(self, path: str) -> set[str] | None:
        """The anchors of a Markdown file (None when it cannot be read, or is a folder)."""
        if path not in self._anchors:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:  # noqa: PTH123
                    text = handle.read()
            except OSError:
                self._anchors[path] = None
            else:
                found = set(heading_slugs(text))
                found.update(_compiled(_HTML_ANCHOR, re.I).findall(text))
                self._anchors[path] = found
        return self._anchors[path]


# -- Markdown ---------------------------------------------------------------------------------

_PARSER: list[MarkdownIt] = []


def _markdown() -> MarkdownIt:
    """CommonMark, as GitHub reads links (created once per process, on first need)."""
    if not _PARSER:
        from markdown_it import MarkdownIt

        _PARSER.append(MarkdownIt("commonmark"))
    return _PARSER[0]


def links_of(text: str) -> list[Link]:
    """Every link and image of a Markdown text, in order, each where its destination is
    written (after `](`, or in the reference definition a reference link uses)."""
    md = _markdown()
    tokens = md.parse(text)
    starts = _line_starts(text)
    written = _written(text)
    normalised: dict[str, str] = {}

    def normal(raw: str) -> str:
        if raw not in normalised:
            from markdown_it.common.utils import unescapeAll

            inner = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
            normalised[raw] = md.normalizeLink(unescapeAll(inner))
        return normalised[raw]

    used: set[int] = set()
    links: list[Link] = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        first, last = block.map or (0, len(starts))
        low = starts[first]
        high = starts[last] if last < len(starts) else len(text) + 1
        for token in _link_tokens(block.children):
            image = token.type == "image"
            href = str(token.attrGet("src" if image else "href") or "")
            offset = _place(written, used, normal, href, low, high)
            if offset is None:  # a reference: its definition, wherever it is
                offset = _place(written, used, normal, href, 0, len(text) + 1, reuse=True)
            if offset is None:  # not found as written: the block's first character
                first_line = text[low:].split("\n", 1)[0]
                offset = low + len(first_line) - len(first_line.lstrip())
            line = _line_of(starts, offset)
            links.append(Link(href, image, line, offset - starts[line - 1] + 1))
    return links


def _link_tokens(children: list[Token]) -> Iterator[Token]:
    """Links (inline, reference, autolink) and images; an image's alt text holds no link."""
    for token in children:
        if token.type in ("link_open", "image"):
            yield token


def _place(written: list[tuple[int, str]], used: set[int], normal: Any, href: str, low: int,
           high: int, *, reuse: bool = False) -> int | None:
    for offset, raw in written:
        if low <= offset < high and (reuse or offset not in used) and normal(raw) == href:
            used.add(offset)
            return offset
    return None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset)


def heading_slugs(text: str, slugger: GitHubSlugger | None = None) -> list[str]:
    """The anchors GitHub gives the headings of a Markdown text, in order."""
    slugger = slugger or GitHubSlugger()
    tokens = _markdown().parse(text)
    return [slugger.slug(_plain_text(tokens[index + 1].children or []))
            for index, token in enumerate(tokens) if token.type == "heading_open"]


def _plain_text(children: list[Token]) -> str:
    """A heading's text as GitHub reads it for the anchor (markup and tags left out)."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image" and token.children:
            parts.append(_plain_text(token.children))
    return "".join(parts)


class GitHubSlugger:
    """Heading anchors as GitHub makes them (github-slugger): lower case; everything but
    letters, marks, numbers, `_`, `-` and spaces dropped; spaces become `-`; a repeated anchor
    gets `-1`, `-2` ...."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = github_slug(text)
        result = base
        while result in self._seen:
            self._seen[base] += 1
            result = f"{base}-{self._seen[base]}"
        self._seen[result] = 0
        return result


def github_slug(text: str) -> str:
    import unicodedata

    out: list[str] = []
    for char in text.lower():
        if char == " ":
            out.append("-")
        elif char in "-_" or unicodedata.category(char)[0] in "LMN":
            out.append(char)
    return "".join(out)


def page_slugs(data: dict[str, Any]) -> set[str]:
    """The anchors of the pattern's own page (`release.render.render_page`), in its order:
    the title, each section heading followed by the headings inside its Markdown, and
    "Related patterns" when there are any."""
    slugger = GitHubSlugger()
    found: list[str] = []
    title = data.get("name") or data.get("id")
    if isinstance(title, str) and title.strip():
        found.append(slugger.slug(" ".join(title.split())))
    fields = _texts_by_field(data)
    for heading, field in SECTION_HEADINGS:
        found.append(slugger.slug(heading))
        for text in fields.get(field or "", ()):
            if "#" in text or "\n=" in text or "\n-" in text:
                found.extend(heading_slugs(text, slugger))
    if data.get("relatedPatterns"):
        found.append(slugger.slug(RELATED_HEADING))
    return set(found)


def _texts_by_field(data: dict[str, Any]) -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for pointer, text in markdown_fields(data):
        by_field.setdefault(pointer.split("/")[1], []).append(text)
    return by_field
