"""Smoke checks after a promotion is written and before it is committed.

They look at what the live platform will read: the package's checksums, the packaged JSON
against the pattern schema, the page rendering to the packaged bytes, the catalog listing
the pattern, and every pattern its `relatedPatterns` names being live there too (a page must
not link to a pattern readers cannot open). Any failure undoes the promotion (see `operation.apply`).

`PUBFLOW_TEST_FAIL_SMOKE=<check>` makes the named check fail, so tests can prove the undo.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pubflow.errors import GateRefused
from pubflow.records.environments import load_catalog, load_environment
from pubflow.release import package as pkg


def smoke_checks(root: Path, environment: str, pattern_id: str, version: str) -> None:
    forced = os.environ.get("PUBFLOW_TEST_FAIL_SMOKE")

    def fail(check: str, why: str) -> GateRefused:
        return GateRefused(f"smoke check '{check}' failed for {pattern_id} {version} in "
                           f"{environment}: {why}; the promotion was undone")

    try:
        pkg.verify_package(root, pattern_id, version)
    except GateRefused as exc:
        raise fail("checksums", exc.message) from exc
    if forced == "checksums":
        raise fail("checksums", "forced by PUBFLOW_TEST_FAIL_SMOKE")
    folder = pkg.package_dir(root, pattern_id, version)
    data = json.loads((folder / pkg.PATTERN_FILE).read_bytes())
    from pubflow.checks.schema import detailed_errors

    errors = detailed_errors(data)
    if errors or forced == "schema":
        raise fail("schema", errors[0].message if errors else "forced by PUBFLOW_TEST_FAIL_SMOKE")
    from pubflow.release.render import render_page

    if render_page(data).encode("utf-8") != (folder / pkg.PAGE_FILE).read_bytes() \
            or forced == "renders":
        raise fail("renders", f"{pkg.PAGE_FILE} is not what the pattern renders to")
    live = load_environment(root, environment).live(pattern_id)
    live_version = live.version if live is not None else None
    shown = {row.get("id"): row for row in load_catalog(root, environment)["patterns"]}
    row = shown.get(pattern_id)
    if row is None or row.get("version") != live_version or forced == "catalog":
        raise fail("catalog", f"the {environment} catalog does not list {pattern_id} "
                              f"{live_version}")
    env = load_environment(root, environment)
    missing = [str(other) for other in data.get("relatedPatterns") or []
               if isinstance(other, str) and env.live(other) is None]
    if missing or forced == "related":
        raise fail("related", f"relatedPatterns names {', '.join(missing) or 'forced'}, not "
                              f"live in {environment}; promote {'it' if len(missing) == 1 else 'them'}"
                              " first, or drop the link")
