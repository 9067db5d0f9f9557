"""One self-contained HTML page: sections, tables, plotly charts and images inlined.

Everything the page needs is inside the file: plotly.js is inlined once
(``plotly.offline.get_plotlyjs``), figures are plotly JSON, images are
base64 PNG. Nothing is fetched, so the report opens offline and can be
mailed as one attachment.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

from plotly.offline import get_plotlyjs

from idrt.sim.costs import MONEY_KPIS

__all__ = ["Page", "format_value"]

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', 'Noto Sans KR', sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 0 16px 48px; color: #222; }
h1 { font-size: 1.6em; margin: 18px 0 4px; }
h2 { font-size: 1.25em; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta, p.note { color: #555; font-size: 0.9em; }
table.kpi { border-collapse: collapse; font-size: 0.92em; margin: 8px 0; }
table.kpi th, table.kpi td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; }
table.kpi th { background: #f4f4f4; text-align: left; }
table.kpi td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { width: 100%; margin: 8px 0 16px; }
img.figure { max-width: 100%; border: 1px solid #eee; margin: 6px 0; }
"""


def format_value(kpi: str, value: float, currency: str = "KRW") -> str:
    """A KPI value as the page shows it: shares in %, seconds in minutes, money whole.

    Examples
    --------
    >>> format_value("served_share", 0.9512), format_value("wait_mean_s", 346.2)
    ('95.1%', '5.8 min')
    >>> format_value("cost_per_rider", 3467.68), format_value("vehicle_km", 1966.4)
    ('3,468 KRW', '1,966.4')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    if kpi in MONEY_KPIS:
        return f"{value:,.0f} {currency}"
    if kpi.endswith("_share"):
        return f"{value:.1%}"
    if kpi.endswith("_s"):
        return f"{value / 60:,.1f} min"
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"


class Page:
    """An HTML report built section by section, written as one file.

    Parameters
    ----------
    title
        Page title (also the first heading).
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []
        self._charts = 0

    def heading(self, text: str, level: int = 2) -> None:
        """A section heading."""
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str, cls: str = "note") -> None:
        """A paragraph of plain text."""
        self.parts.append(f'<p class="{cls}">{html.escape(text)}</p>')

    def table(
        self,
        header: list[str],
        rows: list[list[Any]],
        *,
        table_id: str = "",
    ) -> None:
        """A table; a cell is text, or ``(text, {attribute: value})`` for data attributes.

        Cells whose text starts with a digit, a sign or ``-`` are right-aligned.
        """
        ident = f' id="{html.escape(table_id)}"' if table_id else ""
        out = [f'<table class="kpi"{ident}><thead><tr>']
        out += [f"<th>{html.escape(str(h))}</th>" for h in header]
        out.append("</tr></thead><tbody>")
        for row in rows:
            out.append("<tr>")
            for cell in row:
                attrs = {}
                if isinstance(cell, tuple):
                    cell, attrs = cell
                text = str(cell)
                numeric = text[:1].isdigit() or text[:1] in "+-−±"
                extra = "".join(f' {k}="{html.escape(str(v))}"' for k, v in attrs.items())
                cls = ' class="num"' if numeric else ""
                out.append(f"<td{cls}{extra}>{html.escape(text)}</td>")
            out.append("</tr>")
        out.append("</tbody></table>")
        self.parts.append("".join(out))

    def chart(self, figure, *, height: int = 480) -> None:
        """A plotly figure (rendered by the inlined plotly.js)."""
        self._charts += 1
        figure.update_layout(height=height)
        self.parts.append(
            '<div class="chart">'
            + figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                auto_play=False,
                div_id=f"chart{self._charts}",
                config={"displaylogo": False, "responsive": True},
            )
            + "</div>"
        )

    def image(self, path: str | Path, alt: str) -> None:
        """A PNG inlined as base64 (figures saved by ``idrt run``)."""
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        self.parts.append(
            f'<img class="figure" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        )

    def write(self, path: str | Path) -> Path:
        """Write the page with plotly.js inlined; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            f"<h1>{html.escape(self.title)}</h1>" + "\n".join(self.parts) + "</body></html>\n"
        )
        path.write_text(doc, encoding="utf-8")
        return path
