"""Chart builders for the course: one function per kind of chart, reused by chapters,
data labs and exercises.

Importing this module switches Altair to the ``mimetype`` renderer (charts are stored in
notebooks as Vega-Lite JSON: JupyterLab draws them offline, the book draws them with its own
JavaScript, and outputs carry no random ids) and enables the course theme.

Every builder returns a chart with a title, a source line and a text description (alt text):
:func:`finish` enforces that. Builders aggregate before charting; Altair's row limit stays on.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import data

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


# ------------------------------------------------------------------------------------------
# Removals and returns (DHS Yearbook Table 39)


def removals_returns(df: pd.DataFrame | None = None, *, start: int = 1927,
                     end: int | None = None) -> alt.Chart:
    """Removals and returns per fiscal year, with a control to switch counts / shares and a
    zoomable time axis (drag to pan, scroll to zoom, double-click to reset)."""
    df = data.load("removals_returns") if df is None else df
    end = int(df["fiscal_year"].max()) if end is None else end
    d = df[(df["fiscal_year"] >= start) & (df["fiscal_year"] <= end)]
    long = d.melt(id_vars="fiscal_year", value_vars=["removals", "returns"],
                  var_name="kind", value_name="people").dropna()
    long["kind"] = long["kind"].map({"removals": "Removals (formal order)",
                                     "returns": "Returns (no order)"})
    long["people"] = long["people"].astype(float)
    measure = alt.param(
        name="measure", value="Number of people",
        bind=alt.binding_radio(options=["Number of people", "Share of the year's total"],
                               name="Show: "))
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    chart = (
        alt.Chart(long)
        .transform_joinaggregate(total="sum(people)", groupby=["fiscal_year"])
        .transform_calculate(
            value="measure == 'Number of people' ? datum.people : datum.people / datum.total")
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("fiscal_year:Q", title="Fiscal year", axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", title="People (or share of the year's total)"),
            color=alt.Color("kind:N", title=None),
            tooltip=[alt.Tooltip("fiscal_year:Q", title="Fiscal year", format="d"),
                     alt.Tooltip("kind:N", title="Kind"),
                     alt.Tooltip("people:Q", title="People", format=","),
                     alt.Tooltip("total:Q", title="Removals + returns", format=",")],
        )
        .add_params(measure, zoom)
        .properties(width=WIDTH, height=320)
    )
    first, last = int(long["fiscal_year"].min()), int(long["fiscal_year"].max())
    peak_ret = d.loc[d["returns"].idxmax()]
    peak_rem = d.loc[d["removals"].idxmax()]
    return finish(
        chart,
        title=f"Removals and returns by fiscal year, {first}–{last}",
        subtitle="Use the control to switch between counts and shares; drag or scroll to zoom.",
        description=(
            f"Line chart of two series per U.S. fiscal year from {first} to {last}: formal "
            f"removals and returns (departures without a removal order). Returns peak in fiscal "
            f"{int(peak_ret['fiscal_year'])} at {int(peak_ret['returns']):,}; removals peak in "
            f"fiscal {int(peak_rem['fiscal_year'])} at {int(peak_rem['removals']):,}. A control "
            "switches the vertical axis between counts and each kind's share of the year's total."
        ),
        datasets=["removals_returns"],
    )


# ------------------------------------------------------------------------------------------
# History (chapter 1): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Trust and crime reporting (chapter 4): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------
