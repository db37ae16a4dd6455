"""HTML building blocks of a report: one self-contained page, no script, no network.

Every number shown in a table is also carried raw in the cell's `data-value`
attribute, so a reader (or a test) can check the page against the CSV tables.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from .charts import Chart, Table

CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#dadce0; --bg:#f6f7f9; --accent:#1f4e79; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 24px 64px; }
header.top { background:#fff; border-bottom:1px solid var(--line); }
header.top .inner { max-width:1040px; margin:0 auto; padding:20px 24px 16px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-top: 8px; border-top: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 0 0 2px; }
p { margin: 4px 0 8px; }
.sub { color: var(--muted); margin: 0; }
.status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:13px; font-weight:600; }
.status.good { background:#e6f4ea; color:#137333; }
.status.warn { background:#fef7e0; color:#8a5a00; }
.status.bad { background:#fce8e6; color:#a50e0e; }
nav.toc { margin-top:10px; font-size:14px; }
nav.toc a { color: var(--accent); text-decoration:none; margin-right:14px; white-space:nowrap; }
.cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(290px, 1fr)); gap:12px; margin:16px 0; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 24px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .note { color: var(--muted); font-size: 12.5px; }
figure.chart { background:#fff; border:1px solid var(--line); border-radius:8px; margin:14px 0;
               padding:14px 16px 10px; }
figure.chart .how { color: var(--muted); font-size: 13.5px; margin: 0 0 8px; }
figure.chart .how b { color: var(--ink); font-weight:600; }
figure.chart .plot { overflow-x:auto; }
figure.chart .note { color: var(--muted); font-size: 12.5px; margin: 6px 0 0; }
details { margin: 8px 0 2px; }
details summary { cursor: pointer; color: var(--accent); font-size: 13.5px; }
.tablewrap { overflow-x:auto; max-height: 480px; overflow-y:auto; border:1px solid var(--line);
             border-radius:6px; margin-top:6px; }
table { border-collapse: collapse; font-size: 13px; width: 100%; background:#fff; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef1; text-align: left; white-space: nowrap; }
th { background:#f1f3f4; position: sticky; top: 0; font-weight:600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.plain { width:auto; margin: 6px 0; border:1px solid var(--line); }
a.download { font-size: 13px; margin-left: 10px; }
ul.plain { margin: 4px 0; padding-left: 20px; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 40px; }
@media print { body { background:#fff; } details { display:none; } figure.chart { break-inside: avoid; } }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass
class Card:
    label: str
    value: str
    note: str = ""


def cards(items: Sequence[Card]) -> str:
    out = ['<div class="cards">']
    for c in items:
        out.append(f'<div class="card"><div class="label">{esc(c.label)}</div>'
                   f'<div class="value">{esc(c.value)}</div>'
                   + (f'<div class="note">{esc(c.note)}</div>' if c.note else "") + "</div>")
    out.append("</div>")
    return "\n".join(out)


def fmt(v: object, plain: bool = False) -> str:
    """A cell value as shown: thousands separators, no decimals from 100 up, 4 significant digits
    below; `plain` (years, point numbers): the number as it is."""
    if v is None or (isinstance(v, str) and v == ""):
        return ""
    n = _num(v)
    if n is not None:
        v = n
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and math.isnan(v):
        return ""
    if isinstance(v, (int, float)) and plain:
        return str(int(v)) if v == int(v) else f"{v:g}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if abs(v) >= 100 or v == 0:
            return f"{v:,.0f}"
        return f"{v:,.4g}" if abs(v) >= 0.001 else f"{v:.3g}"
    return str(v)


def _plain_column(name: str) -> bool:
    """Columns of years or point numbers, shown without thousands separators."""
    n = name.lower().replace(" ", "_")
    return n in ("year", "point", "since", "vintage", "design", "deployment") or n.endswith("_year")


def _num(v: object) -> int | float | None:
    """`v` as a plain Python number, or None when it is not one (bools and NaN are not)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    f = float(v)
    return None if math.isnan(f) else f


def table(t: Table, name: str = "", cls: str = "") -> str:
    """A table; numeric cells carry their raw value in data-value."""
    attrs = f' data-table="{esc(name)}"' if name else ""
    attrs += f' class="{esc(cls)}"' if cls else ""
    out = [f"<table{attrs}><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in t.header)
           + "</tr></thead><tbody>"]
    plain = [_plain_column(str(c)) for c in t.header]
    for row in t.rows:
        cells = []
        for i, v in enumerate(row):
            n = _num(v)
            p = plain[i] if i < len(plain) else False
            if n is not None:
                cells.append(f'<td class="num" data-value="{n!r}">{esc(fmt(n, p))}</td>')
            else:
                cells.append(f"<td>{esc(fmt(v))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The CSV text `writers.write_csv` writes for the same table (same csv dialect)."""
    from ..results.writers import spreadsheet_text

    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([spreadsheet_text(cell) for cell in row] for row in rows)
    return buf.getvalue()


def download_link(filename: str, text: str, label: str | None = None) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f'<a class="download" download="{esc(filename)}" data-csv="{esc(filename)}" '
            f'href="data:text/csv;charset=utf-8;base64,{data}">{esc(label or "download " + filename)}</a>')


def chart(c: Chart) -> str:
    """A chart as a <figure>: title, how to read, the SVG, the numbers behind it."""
    parts = [f'<figure class="chart" id="{esc(c.id)}" data-chart="{esc(c.id)}">',
             f"<h3>{esc(c.title)}</h3>",
             f'<p class="how"><b>How to read:</b> {esc(c.how_to_read)}</p>',
             f'<div class="plot">{c.svg}</div>']
    for n in c.notes:
        parts.append(f'<p class="note">{esc(n)}</p>')
    if c.table is not None and c.table.rows:
        parts.append("<details><summary>Numbers behind this chart</summary>"
                     f'<div class="tablewrap">{table(c.table, name=c.id)}</div>'
                     + download_link(f"{c.id}.csv", csv_text(c.table.header, c.table.rows))
                     + "</details>")
    parts.append("</figure>")
    return "\n".join(parts)


def page(title: str, header_html: str, body_html: str, footer_html: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="dcopt">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><div class="inner">{header_html}</div></header>\n'
        f"<main>\n{body_html}\n<footer>{footer_html}</footer>\n</main>\n</body>\n</html>\n"
    )


def toc(entries: Sequence[tuple[str, str]]) -> str:
    return '<nav class="toc">' + "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in entries) + "</nav>"


def section(anchor: str, title: str, intro: str = "") -> str:
    return f'<h2 id="{esc(anchor)}">{esc(title)}</h2>' + (f"<p>{esc(intro)}</p>" if intro else "")
