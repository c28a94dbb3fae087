"""Chart builders for the course: one function per kind of chart, reused by chapters,
data labs and exercises.

Importing this module switches Altair to the ``mimetype`` renderer (charts are stored in
notebooks as Vega-Lite JSON: JupyterLab draws them offline, the book draws them with its own
JavaScript, and outputs carry no random ids) and enables the course theme.

Every builder returns a chart with a title, a source line and a text description (alt text):
:func:`finish` enforces that. Builders aggregate before charting; Altair's row limit stays on.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from .. import data

PALETTE = ["#1f6fb2", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
WIDTH = 640


@alt.theme.register("trustlab", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": WIDTH, "continuousHeight": 320, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 11,
                      "subtitleColor": "#555555"},
        }
    }


alt.renderers.enable("mimetype")


def _json_safe_values(data, max_rows: int = 5000):
    """Altair's default data transformer (row limit kept at Altair's 5,000), plus one fix:
    Altair 5.5 turns a missing value in a pandas 3 text column into NaN, which is not JSON
    (the kernel warns, and browsers reject the spec). Missing values become null."""
    out = alt.utils.data.to_values(alt.utils.data.limit_rows(data, max_rows=max_rows))
    if isinstance(out, dict) and isinstance(out.get("values"), list):
        out["values"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            if isinstance(r, dict) else r for r in out["values"]]
    return out


alt.data_transformers.register("trustlab", _json_safe_values)
alt.data_transformers.enable("trustlab")


def source_text(*names: str) -> str:
    """"Source: ..." from the data-package entries of the datasets a chart uses."""
    titles: list[str] = []
    for name in names:
        for src in data.resource(name).get("sources", []):
            t = src.get("title")
            if t and t not in titles:
                titles.append(t)
    return "Source: " + "; ".join(titles) + "." if titles else ""


def finish(chart: alt.TopLevelMixin, *, title: str, description: str, datasets: list[str],
           subtitle: str | None = None) -> alt.TopLevelMixin:
    """Give a chart its title, source line and text description (required: it is alt text)."""
    if not description.strip():
        raise ValueError("every chart needs a text description saying what it shows")
    lines = [s for s in (subtitle, source_text(*datasets)) if s]
    return chart.properties(title=alt.Title(title, subtitle=lines), description=description)


def wrap_subtitle(chart: alt.TopLevelMixin, width: int = WIDTH) -> alt.TopLevelMixin:
    """Re-wrap a finished chart's subtitle lines (including the source line) so that none is
    much wider than the chart (about 5.8 pixels per character at the theme's 11 px)."""
    import textwrap

    title = chart.title
    lines = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
    chars = max(40, int(width / 5.8))
    wrapped = [w for line in lines for w in textwrap.wrap(str(line), chars)]
    return chart.properties(title=alt.Title(title.text, subtitle=wrapped))


def when(ts: pd.Timestamp, precision: str) -> str:
    """A date as precisely as its source gave it: "2012", "May 2012" or "4 May 2012"."""
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return ts.strftime("%B %Y")
    return f"{ts.day} {ts.strftime('%B %Y')}"


def param_names(spec: dict) -> list[str]:
    """Names of every parameter (control or selection) in a chart spec, top level and nested
    layers alike, in order of appearance. Two charts on one page must not share one."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for p in node.get("params", []) or []:
                if isinstance(p, dict) and "name" in p:
                    found.append(p["name"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


