"""The review page (`pubflow ticket show TICKET --format html`): everything a reviewer needs
about one submission on one self-contained page.

The nine sections rendered from Markdown (raw HTML in them is shown as text; images become
links, so nothing is fetched), both diagrams side by side as inline SVG that pubflow draws
from its own parsed model (`diagrams.render`), the scorecard, the findings, a
section-by-section diff against the version live in the last environment, the reviewers'
comments on each section, and the history. No script, no font, nothing from the network.
"""

from __future__ import annotations

import difflib
import json
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pubflow.records.tickets import SectionComment, Ticket

SECTIONS = (
    ("hookMarkdown", "Hook"), ("problemMarkdown", "Problem"),
    ("brokenSignals", "Broken signals"), ("asIsDiagramMermaid", "As-is diagram"),
    ("orchestratedMarkdown", "Orchestrated"),
    ("orchestratedDiagramMermaid", "Orchestrated diagram"), ("scorecard", "Scorecard"),
    ("acceptanceCriteria", "Acceptance criteria"),
    ("implementationChecklist", "Implementation checklist"),
)
"""The nine sections of a pattern, in reading order."""
DIAGRAMS = ("asIsDiagramMermaid", "orchestratedDiagramMermaid")

STYLE = """
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:84rem;
color:#1b1f24;background:#fff;padding:0 1rem}h1{font-size:1.5rem;margin:0}h2{font-size:1.15rem;
margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1rem}
.meta{color:#57606a}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.pair figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:.5rem;overflow:auto}
.pair figcaption{font-weight:600;margin-bottom:.25rem}.pair svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:.25rem 0}th,td{text-align:left;padding:.3rem .6rem;
border-bottom:1px solid #d0d7de;vertical-align:top}th{background:#f6f8fa}
.comment{border-left:3px solid #bf8700;background:#fff8c5;padding:.3rem .6rem;margin:.4rem 0}
.comment.resolved{border-color:#1a7f37;background:#dafbe1}.sev{font-weight:600}
pre{background:#f6f8fa;padding:.5rem;overflow:auto}.add{background:#dafbe1}.del{background:#ffebe9}
.error{color:#cf222e}.warning{color:#9a6700}
"""


def render_review_page(ticket: Ticket, pattern: dict[str, Any], live: dict[str, Any] | None,
                       live_label: str | None, generated_at: str,
                       ratings: list[tuple[str, int, float | None, list[str]]] | None = None
                       ) -> str:
    """The page. `pattern`: the pinned content; `live`: the version live in the last
    environment (None: nothing is live there), named by `live_label`; `ratings`: what
    readers said of each earlier version (version, count, average, comments), when the
    platform's events were given."""
    comments = ticket.comments()
    pinned = ticket.pattern
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(ticket.id)}: {_h(pinned.id)} {_h(pinned.version or '')}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_h(ticket.id)}: {_h(str(pattern.get('name') or pinned.id))}</h1>",
        f'<p class="meta">{_h(pinned.id)} {_h(pinned.version or "?")} · {_h(ticket.state)} · '
        f"priority {_h(ticket.priority)} · author {_h(ticket.author.id or ticket.author.email)}"
        f" · reviewer {_h(ticket.reviewer or '-')} · due {_h(ticket.due or '-')} · "
        f"sha256 {_h(pinned.digest[:12])} · generated {_h(generated_at)}</p>",
        _diagrams(pattern), _scorecard(pattern), _findings(ticket),
    ]
    for field, title in SECTIONS:
        if field in DIAGRAMS or field == "scorecard":
            continue
        parts.append(f'<h2 id="{field}">{_h(title)} <small class="meta">({field})</small></h2>')
        parts.append(_section(pattern.get(field)))
        parts.append(_comments_of(field, comments))
    parts.append(_diff(pattern, live, live_label))
    if ratings is not None:
        parts.append(_ratings(ratings))
    others = [c for c in comments if c.field not in {f for f, _t in SECTIONS}]
    if others:
        parts.append("<h2>Comments on other fields</h2>")
        parts += [_comment(c) for c in others]
    parts.append(_history(ticket))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"


def _h(text: object) -> str:
    from pubflow.reporters import printable

    return escape(printable(str(text)))


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.add_render_rule("image", _image_as_link)
    return str(md.render(text))


def _image_as_link(self: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
    """An image is a link to it: the page fetches nothing."""
    token = tokens[index]
    src = escape(str(token.attrGet("src") or ""), quote=True)
    alt = escape("".join(child.content for child in token.children or []))
    return f'<a href="{src}">[image: {alt or src}]</a>'


def _section(value: Any) -> str:
    if value is None:
        return '<p class="meta">(missing)</p>'
    if isinstance(value, str):
        return _markdown(value)
    if isinstance(value, list):
        items = "".join(f"<li>{_inline(item)}</li>" for item in value)
        return f"<ol>{items}</ol>"
    return f"<pre>{_h(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"


def _inline(item: Any) -> str:
    if isinstance(item, dict) and {"given", "when", "then"} <= set(item):
        return (f"<strong>Given</strong> {_h(item['given'])}, <strong>when</strong> "
                f"{_h(item['when'])}, <strong>then</strong> {_h(item['then'])}")
    if isinstance(item, str):
        from markdown_it import MarkdownIt

        return str(MarkdownIt("commonmark", {"html": False}).renderInline(item))
    return f"<code>{_h(json.dumps(item, ensure_ascii=False))}</code>"


def _diagrams(pattern: dict[str, Any]) -> str:
    from pubflow.diagrams.render import render_svg

    figures = []
    for field in DIAGRAMS:
        source = pattern.get(field)
        title = dict(SECTIONS)[field]
        svg = (render_svg(source, on_error="draw") if isinstance(source, str)
               else '<p class="meta">(missing)</p>')
        figures.append(f'<figure id="{field}"><figcaption>{_h(title)}</figcaption>{svg}'
                       f"</figure>")
    return '<h2 id="diagrams">Diagrams</h2>\n<div class="pair">' + "".join(figures) + "</div>"


def _scorecard(pattern: dict[str, Any]) -> str:
    card = pattern.get("scorecard")
    if not isinstance(card, dict):
        return '<h2 id="scorecard">Scorecard</h2>\n<p class="meta">(missing)</p>'
    rows = []
    total = 0.0
    for name, value in card.items():
        score = value.get("score") if isinstance(value, dict) else value
        note = value.get("rationale") or value.get("note") if isinstance(value, dict) else None
        if isinstance(score, int | float) and not isinstance(score, bool):
            total += score
        rows.append(f"<tr><td>{_h(name)}</td><td>{_h(score)}</td>"
                    f"<td>{_h(note or '')}</td></tr>")
    return ('<h2 id="scorecard">Scorecard</h2>\n<table><thead><tr><th>dimension</th>'
            "<th>score</th><th>why</th></tr></thead><tbody>" + "".join(rows)
            + f"</tbody></table><p>total {_h(round(total, 2))}</p>")


def _findings(ticket: Ticket) -> str:
    findings = ticket.findings
    if not findings:
        return '<h2 id="findings">Findings</h2>\n<p class="meta">None: every check passes.</p>'
    rows = "".join(
        f'<tr><td class="{_h(f.get("severity", "error"))}">{_h(f.get("severity", "error"))}'
        f"</td><td>{_h(f.get('rule'))}</td><td>{_h(f.get('file'))}:{_h(f.get('line'))}:"
        f"{_h(f.get('column'))}</td><td>{_h(f.get('message'))}</td></tr>" for f in findings)
    return ('<h2 id="findings">Findings</h2>\n<table><thead><tr><th>severity</th><th>rule</th>'
            f"<th>where</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>")


def _comments_of(field: str, comments: list[SectionComment]) -> str:
    return "".join(_comment(c) for c in comments if c.field == field)


def _comment(comment: SectionComment) -> str:
    status = "open" if comment.open else f"resolved by {comment.resolved_by}"
    return (f'<div class="comment{"" if comment.open else " resolved"}">'
            f'<span class="sev">{_h(comment.id)} [{_h(comment.severity)}]</span> '
            f"{_h(comment.text)} <span class=\"meta\">({_h(comment.by)}, {_h(comment.at)}; "
            f"{_h(status)})</span></div>")


def _diff(pattern: dict[str, Any], live: dict[str, Any] | None, label: str | None) -> str:
    head = '<h2 id="diff">Changes against the live version</h2>'
    if live is None:
        return head + '\n<p class="meta">Nothing is live yet: every section is new.</p>'
    out = [head, f'<p class="meta">Compared with {_h(label)}.</p>']
    changed = 0
    for field, title in SECTIONS:
        old, new = _lines(live.get(field)), _lines(pattern.get(field))
        if old == new:
            continue
        changed += 1
        rows = []
        for line in difflib.unified_diff(old, new, lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            css = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
            rows.append(f'<span class="{css}">{_h(line)}</span>' if css else _h(line))
        out.append(f"<h3>{_h(title)}</h3><pre>" + "\n".join(rows) + "</pre>")
    if not changed:
        out.append("<p>No section changed.</p>")
    return "\n".join(out)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def _ratings(ratings: list[tuple[str, int, float | None, list[str]]]) -> str:
    head = '<h2 id="ratings">What readers said</h2>'
    if not ratings:
        return head + '\n<p class="meta">No ratings in the events given.</p>'
    rows = "".join(
        f"<tr><td>{_h(version)}</td><td>{count}</td><td>"
        f"{'-' if average is None else f'{average:.2f}'}</td><td>"
        + "".join(f"<div>“{_h(comment)}”</div>" for comment in comments[:10]) + "</td></tr>"
        for version, count, average, comments in ratings)
    return (head + "\n<table><thead><tr><th>version</th><th>ratings</th><th>average</th>"
            f"<th>comments</th></tr></thead><tbody>{rows}</tbody></table>")


def _history(ticket: Ticket) -> str:
    rows = []
    for event in ticket.history:
        moved = (_h(event.to_state) if event.from_state == event.to_state
                 else f"{_h(event.from_state or '-')} → {_h(event.to_state)}")
        rows.append(f"<tr><td>{_h(event.at)}</td><td>{_h(event.actor)}</td>"
                    f"<td>{_h(event.event)}</td><td>{moved}</td><td>{_h(event.reason or '')}"
                    "</td></tr>")
    return ('<h2 id="history">History</h2>\n<table><thead><tr><th>at (UTC)</th><th>actor</th>'
            "<th>event</th><th>state</th><th>reason</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")
