"""HTML building blocks of the self-contained report (no external assets, no scripts)."""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.45;padding:0 1em}
h1{border-bottom:2px solid #2e86c1;padding-bottom:.2em}h2{margin-top:1.8em;color:#1b4f72}
h3{margin-bottom:.3em}table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1em}
th,td{border:1px solid #d5d8dc;padding:3px 7px;text-align:right}th{background:#eaf2f8}
td:first-child,th:first-child{text-align:left}figure{display:inline-block;margin:.5em 1em .5em 0;
vertical-align:top}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.8em;
color:#555}.note{background:#fef9e7;border-left:4px solid #f4d03f;padding:.4em .8em;margin:.5em 0}
.muted{color:#777;font-size:.85em}nav a{margin-right:1em}
"""


def esc(text: Any) -> str:
    """HTML-escape any value."""
    return html.escape(str(text), quote=True)


def img_png(data: bytes, *, alt: str, caption: str | None = None) -> str:
    """A ``<figure>`` with a base64-embedded PNG."""
    b64 = base64.b64encode(data).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{b64}">{cap}</figure>'


def table(df: pd.DataFrame, *, max_rows: int = 25, index: bool = False) -> str:
    """A DataFrame as an HTML table (first ``max_rows`` rows, numbers rounded)."""
    shown = df.head(max_rows)
    body = shown.to_html(
        index=index,
        border=0,
        escape=True,
        na_rep="",
        float_format=lambda v: f"{v:.4g}",
    )
    more = (
        f'<p class="muted">{len(df) - max_rows} more rows not shown.</p>'
        if len(df) > max_rows
        else ""
    )
    return body + more


def note(text: str) -> str:
    """A highlighted note (used for missing parts of a run)."""
    return f'<p class="note">{esc(text)}</p>'


def section(title: str, anchor: str, parts: list[str]) -> str:
    """An ``<h2>`` section."""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'


def page(title: str, sections: list[tuple[str, str, str]], *, subtitle: str = "") -> str:
    """The whole document; ``sections`` are ``(title, anchor, html)``."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for t, a, _ in sections)
    body = "".join(h for _, _, h in sections)
    sub = f'<p class="muted">{esc(subtitle)}</p>' if subtitle else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>{sub}<nav>{nav}</nav>{body}</body></html>\n"
    )
