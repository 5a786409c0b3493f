"""`validate --online`: the http(s) links and images of every pattern, fetched.

pubflow needs no network unless asked: this check runs only with `--online`. Every distinct
URL is requested once per run (HEAD, then GET where a server refuses HEAD), up to 8 at a time,
each within the timeout. A link that answers 404 or 410 is `links.broken` (an error: the page
would send readers nowhere); one that times out, cannot connect or answers another error is
`links.unreachable` (a warning: the server may be down for a moment). Successes are cached
for a day in pubflow's state folder (`.git/pubflow/`), so the hook stays fast offline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pubflow.checks.base import FolderContext
from pubflow.findings import Issue, Severity

CACHE_NAME = "links-online.json"
CACHE_SECONDS = 24 * 3600
WORKERS = 8
USER_AGENT = "pubflow-link-check"


class OnlineLinkCheck:
    """http(s) links answer (only with `validate --online`)."""

    name = "links-online"

    def __call__(self, folder: FolderContext) -> Iterator[tuple[str, Issue]]:
        timeout = getattr(folder, "online", 0.0)
        if not timeout:
            return
        import os

        from pubflow.checks.links import external_links, read_pattern

        config = folder.config
        root = os.path.abspath(config.root)  # noqa: PTH100
        places: list[tuple[str, str, Any]] = []
        for entry in folder.entries:
            path = (entry.file if os.path.isabs(entry.file)  # noqa: PTH117
                    else os.path.join(root, entry.file))  # noqa: PTH118
            data = read_pattern(path, config.max_file_bytes)
            if data is None:
                continue
            places += [(entry.file, pointer, link) for pointer, link in external_links(data)]
        if not places:
            return
        verdicts = check_urls(sorted({link.href for _f, _p, link in places}), timeout,
                              config.root)
        from pubflow.storage.jsonsource import LineInString

        for file, pointer, link in places:
            verdict = verdicts.get(link.href)
            if verdict is None:
                continue
            broken, why = verdict
            what = f"{'image' if link.image else 'link'} {link.href}"
            yield file, Issue(
                pointer, "links.broken" if broken else "links.unreachable",
                f"{what} {why}", "Fix or remove the link; `validate --online` checks it again."
                if broken else "Check it in a browser; the server may be down for a moment.",
                severity=Severity.ERROR if broken else Severity.WARNING,
                line_in_string=LineInString(link.line, link.column))


def check_urls(urls: list[str], timeout: float, root: Any) -> dict[str, tuple[bool, str]]:
    """(broken, why) of every URL that is not fine; fine ones are left out. Concurrent, each
    within `timeout` seconds; recent successes come from the cache."""
    cache = _load_cache(root)
    now = time.time()
    todo = [u for u in urls if not (u in cache and now - cache[u] < CACHE_SECONDS)]
    results: dict[str, tuple[bool, str]] = {}
    if todo:
        from concurrent.futures import ThreadPoolExecutor  # (4 ms, and only --online needs it)

        with ThreadPoolExecutor(max_workers=min(WORKERS, len(todo))) as pool:
            for url, verdict in zip(todo, pool.map(lambda u: _fetch(u, timeout), todo),
                                    strict=True):
                if verdict is None:
                    cache[url] = now
                else:
                    results[url] = verdict
        _save_cache(root, {u: t for u, t in cache.items() if now - t < CACHE_SECONDS})
    return results


def _fetch(url: str, timeout: float) -> tuple[bool, str] | None:
    """None when the URL answers; else (broken, why)."""
    import urllib.error
    import urllib.request

    last: tuple[bool, str] | None = None
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method,
                                         headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                answer.read(0)
            return None
        except urllib.error.HTTPError as exc:
            exc.close()  # the error is the answer: its connection is not needed
            if exc.code in (405, 501) and method == "HEAD":
                continue  # the server will not answer HEAD: ask for the page itself
            last = (exc.code in (404, 410), f"answers HTTP {exc.code} ({exc.reason})")
            if exc.code in (404, 410) or method == "GET":
                return last
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                return False, f"did not answer within {timeout:g} s"
            return False, f"cannot be reached ({reason})"
    return last


def _load_cache(root: Any) -> dict[str, float]:
    from pubflow.storage.statefile import read_json, state_path

    data = read_json(state_path(root, CACHE_NAME))
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def _save_cache(root: Any, cache: dict[str, float]) -> None:
    from pubflow.storage.statefile import state_path, write_json

    write_json(state_path(root, CACHE_NAME), cache)
