"""Character classes that make Python regexes behave like Mermaid's JavaScript ones.

JavaScript's ``\\s`` is a fixed set (it includes U+FEFF, excludes U+001C..U+001F and
U+0085 that Python's ``\\s`` matches), ``.`` stops at four line terminators, and
``\\w``/``\\b`` are ASCII-only. The patterns below spell those sets out so the port
matches Mermaid character for character.
"""

from __future__ import annotations

import re
from typing import Any, cast

JS_WHITESPACE_CHARS = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS_BODY = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
WS = f"[{_WS_BODY}]"
"""JavaScript ``\\s``."""
WS_EXCEPT_NEWLINE = r"[\t\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
"""JavaScript ``((?!\\n)\\s)``."""
WS_EXCEPT_LINE_BREAKS = r"[\t\x0b\x0c \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
"""JavaScript ``[^\\S\\n\\r]``."""
DOT = r"[^\n\r\u2028\u2029]"
"""JavaScript ``.`` without the ``s`` flag."""


def js_trim(text: str) -> str:
    """``String.prototype.trim``."""
    return text.strip(JS_WHITESPACE_CHARS)


class _LazyPattern:
    """Compiles on first use, then serves the compiled pattern's methods directly."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:  # only called until the methods are cached
        compiled = re.compile(self.pattern, self.flags)
        for method in ("match", "search", "fullmatch", "finditer", "sub"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


def lazy_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` deferred to first use: the package is imported on every commit
    (pre-commit hook) and most of its regexes serve rare constructs."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
