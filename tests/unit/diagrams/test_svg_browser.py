"""The SVG in a real browser: headless Chromium (Debian's `chromium`), network cut off, draws
both diagrams of an example pattern inline in one page. Skipped where Chromium is absent.

`docs/diagram.png` was made with :func:`screenshot` from the incident-escalation example.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from pubflow.diagrams.render import render_svg
from tests.conftest import EXAMPLES

CHROMIUM = next((found for name in ("chromium", "chromium-browser")
                 if (found := shutil.which(name))), None)
PATTERN = EXAMPLES / "repo" / "patterns" / "incident-escalation.json"


def page(svgs: list[str]) -> str:
    cells = "".join(f'<div style="flex:none">{svg}</div>' for svg in svgs)
    return ("<!doctype html><html><head><meta charset=\"utf-8\"></head>"
            f'<body style="margin:8px;background:#fff"><div style="display:flex;gap:16px">'
            f"{cells}</div></body></html>")


def size_of(svgs: list[str]) -> tuple[int, int]:
    sizes = [(float(ET.fromstring(s).get("width", "0")), float(ET.fromstring(s).get("height",
                                                                                    "0")))
             for s in svgs]
    return (int(sum(w for w, _ in sizes) + 16 * (len(sizes) - 1) + 16) + 1,
            int(max(h for _, h in sizes) + 16) + 1)


def screenshot(svgs: list[str], html_path: Path, png_path: Path) -> None:
    """Open the SVGs side by side in headless Chromium without network; save a PNG."""
    assert CHROMIUM is not None
    html_path.write_text(page(svgs), encoding="utf-8")
    width, height = size_of(svgs)
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", "--proxy-server=127.0.0.1:9",
         "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},{height}",
         f"--screenshot={png_path}", html_path.as_uri()],
        check=True, capture_output=True, timeout=120,
    )


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the filtered scanlines of a PNG (enough to tell blank from drawn)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at = [], 8
    while at < len(data):
        length = struct.unpack(">I", data[at : at + 4])[0]
        if data[at + 4 : at + 8] == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_chromium_draws_both_diagrams_of_an_example_side_by_side(tmp_path: Path) -> None:
    pattern = json.loads(PATTERN.read_text(encoding="utf-8"))
    svgs = [render_svg(pattern[f]) for f in ("asIsDiagramMermaid", "orchestratedDiagramMermaid")]
    png = tmp_path / "diagrams.png"
    screenshot(svgs, tmp_path / "page.html", png)
    width, height, raw = png_pixels(png)
    assert (width, height) == size_of(svgs)
    # A blank page filters to (almost) nothing but zero bytes (a few per row); drawn, ~2 %.
    assert sum(byte != 0 for byte in raw) > len(raw) // 200
