"""Chapter 1 (history) charts, and the removals chart every lab starts with."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data
from .base import PALETTE, WIDTH, finish, when, wrap_subtitle

# ------------------------------------------------------------------------------------------
# Removals and returns (DHS Yearbook Table 39)


def removals_returns(df: pd.DataFrame | None = None, *, start: int = 1927,
                     end: int | None = None, administrations: bool | pd.DataFrame = False,
                     key: str = "", width: int = WIDTH - 80) -> alt.Chart:
    """Removals and returns per fiscal year, with a control to switch counts / shares and a
    zoomable time axis (drag to pan, scroll to zoom, double-click to reset).

    ``administrations=True`` (or a DataFrame of the ``administrations`` dataset) shades each
    presidential administration's fiscal years behind the lines, with its removals and
    returns in a tooltip (chapter 1). ``key`` prefixes the parameter names so that two of
    these charts can share a page. The default ``width`` leaves room for the axis labels
    within the book's text column."""
    df = data.load("removals_returns") if df is None else df
    end = int(df["fiscal_year"].max()) if end is None else end
    d = df[(df["fiscal_year"] >= start) & (df["fiscal_year"] <= end)]
    long = d.melt(id_vars="fiscal_year", value_vars=["removals", "returns"],
                  var_name="kind", value_name="people").dropna()
    long["kind"] = long["kind"].map({"removals": "Removals (formal order)",
                                     "returns": "Returns (no order)"})
    long["people"] = long["people"].astype(float)
    measure = alt.param(
        name=f"{key}measure", value="Number of people",
        bind=alt.binding_radio(options=["Number of people", "Share of the year's total"],
                               name="Show: "))
    zoom = alt.selection_interval(name=f"{key}zoom", bind="scales", encodings=["x"])
    chart = (
        alt.Chart(long)
        .transform_joinaggregate(total="sum(people)", groupby=["fiscal_year"])
        .transform_calculate(
            value=f"{key}measure == 'Number of people' ? datum.people : datum.people / datum.total")
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
        .properties(width=width, height=320)
    )
    first, last = int(long["fiscal_year"].min()), int(long["fiscal_year"].max())
    peak_ret = d.loc[d["returns"].idxmax()]
    peak_rem = d.loc[d["removals"].idxmax()]
    datasets = ["removals_returns"]
    subtitle = "Use the control to switch between counts and shares; drag or scroll to zoom."
    shading = ""
    if administrations is not False:
        from .. import history

        admins = data.load("administrations") if administrations is True else administrations
        chart = alt.layer(_administration_bands(d, admins, first, last), chart
                          ).resolve_scale(color="independent")
        datasets.append("administrations")
        subtitle = ("Shaded bands: presidential administrations (fiscal years in which the "
                    "president held office for more than half the days; hover for totals). "
                    + subtitle)
        n = len(history.administration_spans(admins, first, last))
        shading = (f" Alternating shaded bands behind the lines mark the fiscal years of "
                   f"{n} presidential administrations, labelled at the top.")
    done = finish(
        chart,
        title=f"Removals and returns by fiscal year, {first}–{last}",
        subtitle=subtitle,
        description=(
            f"Line chart of two series per U.S. fiscal year from {first} to {last}: formal "
            f"removals and returns (departures without a removal order). Returns peak in fiscal "
            f"{int(peak_ret['fiscal_year'])} at {int(peak_ret['returns']):,}; removals peak in "
            f"fiscal {int(peak_rem['fiscal_year'])} at {int(peak_rem['removals']):,}. A control "
            "switches the vertical axis between counts and each kind's share of the year's total."
            + shading
        ),
        datasets=datasets,
    )
    return done if administrations is False else wrap_subtitle(done, width)


def _administration_bands(d: pd.DataFrame, admins: pd.DataFrame, first: int,
                          last: int) -> alt.LayerChart:
    """Shaded fiscal-year spans of each administration, labelled, with totals in a tooltip."""
    from .. import history

    spans = history.administration_spans(admins, first, last)
    totals = history.totals_by_administration(d, admins).set_index("administration")
    spans["band"] = [i % 2 for i in range(len(spans))]
    for col in ("removals", "returns"):
        spans[col] = [int(totals.loc[a, col]) if a in totals.index else None
                      for a in spans["administration"]]
    spans["years"] = [f"FY{a}–FY{b}" if b < 2100 else f"FY{a}–"
                      for a, b in zip(spans["first_fy"], spans["last_fy"], strict=True)]
    spans["mid"] = (spans["x0"] + spans["x1"]) / 2
    base = alt.Chart(spans)
    bands = base.mark_rect(opacity=0.55).encode(
        x=alt.X("x0:Q", title="Fiscal year", axis=alt.Axis(format="d"),
                scale=alt.Scale(zero=False)), x2="x1:Q",
        color=alt.Color("band:N", scale=alt.Scale(range=["#f0f0f0", "#dcdcdc"]), legend=None),
        tooltip=[alt.Tooltip("president:N", title="President"),
                 alt.Tooltip("years:N", title="Fiscal years"),
                 alt.Tooltip("removals:Q", title="Removals (in data)", format=","),
                 alt.Tooltip("returns:Q", title="Returns (in data)", format=",")],
    )
    labels = base.mark_text(angle=270, align="right", baseline="middle", dy=0, fontSize=10,
                            color="#555555").encode(
        x=alt.X("mid:Q", title="Fiscal year", scale=alt.Scale(zero=False)), y=alt.value(4),
        text="label:N")
    return alt.layer(bands, labels)


# ------------------------------------------------------------------------------------------
# History (chapter 1): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

CH1_WIDTH = 600  # chapter 1 charts fit the book's text column (axis labels included)


def _fit(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return wrap_subtitle(chart, CH1_WIDTH)


TIMELINE_CATEGORIES = ["Enforcement operation", "Law", "Local policy", "Federal program",
                       "287(g) program", "Court decision", "Agency"]


def timeline(df: pd.DataFrame | None = None, *, key: str = "ch1_tl_") -> alt.VConcatChart:
    """Events by date and category. Click a category in the legend to show only it
    (shift-click for several); drag across the overview strip to zoom the main chart to a
    period (double-click the strip to reset); hover a dot for the event, its detail and source.
    """
    df = data.load("timeline") if df is None else df
    d = df.copy()
    d["date"] = d["date"].dt.strftime("%Y-%m-%d")
    d["when"] = [when(x, p) for x, p in zip(df["date"], df["date_precision"], strict=True)]
    d = d[["date", "when", "event", "category", "detail", "source", "confidence"]]
    cats = [c for c in TIMELINE_CATEGORIES if c in set(d["category"])]
    pick = alt.selection_point(name=f"{key}category", fields=["category"], bind="legend")
    brush = alt.selection_interval(name=f"{key}period", encodings=["x"])
    color = alt.Color("category:N", title="Category (click to filter)",
                      scale=alt.Scale(domain=cats, range=PALETTE[:len(cats)]),
                      legend=alt.Legend(orient="bottom", columns=4))
    main = (
        alt.Chart(d)
        .mark_circle(size=110, stroke="#333333", strokeWidth=0.5)
        .encode(
            x=alt.X("date:T", title=None, scale=alt.Scale(domain=brush, padding=10),
                    axis=alt.Axis(format="%Y", labelOverlap=True)),
            y=alt.Y("category:N", title=None, sort=cats),
            color=color,
            opacity=alt.condition(pick, alt.value(0.95), alt.value(0.08)),
            tooltip=[alt.Tooltip("when:N", title="Date"),
                     alt.Tooltip("event:N", title="Event"),
                     alt.Tooltip("detail:N", title="Detail"),
                     alt.Tooltip("source:N", title="Source (bibliography key)"),
                     alt.Tooltip("confidence:N", title="Confidence")],
        )
        .add_params(pick)
        .properties(width=CH1_WIDTH - 150, height=230)
    )
    overview = (
        alt.Chart(d)
        .mark_tick(thickness=2, size=14)
        .encode(x=alt.X("date:T", title="Drag here to zoom the chart above to a period",
                        axis=alt.Axis(format="%Y"), scale=alt.Scale(padding=10)),
                color=alt.Color("category:N", scale=alt.Scale(domain=cats,
                                                              range=PALETTE[:len(cats)]),
                                legend=None),
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)))
        .add_params(brush)
        .properties(width=CH1_WIDTH - 150, height=36)
    )
    first, last = df["date"].min().year, df["date"].max().year
    counts = d["category"].value_counts()
    parts = ", ".join(f"{counts[c]} {c.lower()}" for c in cats)
    return _fit(finish(
        alt.vconcat(main, overview, spacing=8),
        title=f"From repatriation drives to 287(g): {len(d)} events, {first}–{last}",
        subtitle="Click a category in the legend to filter (shift-click for several); drag "
                 "across the strip below to zoom; hover a dot for details.",
        description=(
            f"Timeline of {len(d)} events from {first} to {last}, one row per category "
            f"({parts}). Events cluster in three periods: the Depression-era repatriations of "
            "the early 1930s, the local non-inquiry policies of 1979 to 1989 with the 1996 "
            "law creating 287(g), and the federal programmes and 287(g) changes after 2002. "
            "Clicking a legend entry fades the other categories; dragging across the "
            "overview strip zooms the main panel to that period."
        ),
        datasets=["timeline"],
    ))


def _short_producer(producer: str) -> str:
    """'Brian Gratton and Emily Merchant' -> 'Gratton & Merchant'; keeps bodies' names."""
    if "(" in producer:
        head, _, rest = producer.partition(" (")
        if "Legislature" in head or "Service" in head:
            return "CA Legislature" if "California" in head else "INS/DHS"
        producer = head
    names = [n.strip() for n in producer.replace(" and ", ", ").split(",") if n.strip()]
    surnames = [n.split()[-1] for n in names]
    return surnames[0] if len(surnames) == 1 else ", ".join(surnames[:-1]) + " & " + surnames[-1]


def historic_estimates(df: pd.DataFrame | None = None, *,
                       key: str = "ch1_est_") -> alt.Chart:
    """Each published estimate as a dot (single figure or bound) or a bar (range), coloured by
    who produced it. A control switches between the two episodes."""
    df = data.load("historic_estimates") if df is None else df
    d = df.copy()
    d["estimate_low"] = d["estimate_low"].astype(float)
    d["estimate_high"] = d["estimate_high"].astype(float)
    d["label"] = [f"{p} ({y})" for p, y in zip(d["producer"], d["year"], strict=True)]
    d["row"] = [f"{_short_producer(p)} {y}: {m[:34]}{'…' if len(m) > 34 else ''}"
                for p, y, m in zip(d["producer"], d["year"], d["measure"], strict=True)]
    d["figure"] = [f"{int(lo):,}" if lo == hi else f"{int(lo):,}–{int(hi):,}"
                   for lo, hi in zip(d["estimate_low"], d["estimate_high"], strict=True)]
    d["figure"] = [("at least " if k == "lower bound" else "at most " if k == "upper bound"
                    else "") + f for k, f in zip(d["kind"], d["figure"], strict=True)]
    d = d.drop(columns=["notes", "id"])
    episodes = list(dict.fromkeys(d["episode"]))
    episode = alt.param(name=f"{key}episode", value=episodes[0],
                        bind=alt.binding_radio(options=episodes, name="Episode: "))
    types = list(dict.fromkeys(d["producer_type"]))
    color = alt.Color("producer_type:N", title="Produced by",
                      scale=alt.Scale(domain=types, range=PALETTE[:len(types)]),
                      legend=alt.Legend(columns=1))
    tooltip = [alt.Tooltip("measure:N", title="What is counted"),
               alt.Tooltip("figure:N", title="Estimate"),
               alt.Tooltip("period:N", title="Period"),
               alt.Tooltip("label:N", title="Produced by"),
               alt.Tooltip("method:N", title="Method"),
               alt.Tooltip("confidence:N", title="Confidence"),
               alt.Tooltip("source:N", title="Source (bibliography key)")]
    base = alt.Chart(d).transform_filter(f"datum.episode == {key}episode").encode(
        y=alt.Y("row:N", title=None, sort=alt.EncodingSortField("estimate_high",
                                                                 order="descending"),
                axis=alt.Axis(labelLimit=270, labelFontSize=11)),
        color=color, tooltip=tooltip)
    bars = base.mark_bar(height=8).encode(
        x=alt.X("estimate_low:Q", title="People (estimate; hover for what is counted)",
                axis=alt.Axis(format="~s")),
        x2="estimate_high:Q")
    dots = base.mark_point(size=90, filled=True).encode(
        x="estimate_high:Q",
        shape=alt.Shape("kind:N", title="Kind of figure", legend=alt.Legend(columns=1),
                        scale=alt.Scale(domain=["point", "range", "lower bound", "upper bound"],
                                        range=["circle", "square", "triangle-right",
                                               "triangle-left"])))
    chart = alt.layer(bars, dots).add_params(episode).properties(width=CH1_WIDTH - 290,
                                                                 height=alt.Step(26))
    rep = d[d["episode"] == "Mexican Repatriation"]
    lo, hi = rep["estimate_low"].min(), rep["estimate_high"].max()
    return _fit(finish(
        chart,
        title="Who counted what: estimates of the Repatriation and of Operation Wetback",
        subtitle="Switch episode with the control; hover a mark for what exactly it counts.",
        description=(
            f"Horizontal chart of {len(d)} published estimates, one row each, coloured by who "
            f"produced it. For the Mexican Repatriation the figures run from {int(lo):,} "
            f"(an outer bound of pressure-driven return from census data) to {int(hi):,} "
            "(the national figure in California's 2005 apology law); the rows count "
            "different things over different periods. For Operation Wetback the chart sets "
            "the fiscal-1954 count of returns against formal removals and a scholar's estimate "
            "of deportations during the summer operation itself. A control switches episodes."
        ),
        datasets=["historic_estimates"],
    ))


def administration_totals(removals: pd.DataFrame | None = None,
                          admins: pd.DataFrame | None = None, *, since: int = 1977,
                          key: str = "ch1_adm_") -> alt.Chart:
    """Removals and returns by administration as stacked bars, with a control to pick the rule
    that assigns fiscal years to presidents. Only administrations with all their fiscal years
    in the data are shown."""
    from .. import history

    removals = data.load("removals_returns") if removals is None else removals
    admins = data.load("administrations") if admins is None else admins
    frames = []
    for rule, text in (("majority", "Majority of the fiscal year in office"),
                       ("starts_in_term", "Fiscal years that began in the term")):
        t = history.totals_by_administration(removals, admins, rule)
        t = t[t["complete"] & (t["first_fy"] >= since)]
        t = t.assign(rule_text=text,
                     span=[f"FY{a}–FY{b}" for a, b in zip(t["first_fy"], t["last_fy"],
                                                          strict=True)])
        frames.append(t)
    t = pd.concat(frames, ignore_index=True)
    long = t.melt(id_vars=["administration", "president", "rule_text", "span", "total"],
                  value_vars=["removals", "returns"], var_name="kind", value_name="people")
    long["kind"] = long["kind"].map({"removals": "Removals (formal order)",
                                     "returns": "Returns (no order)"})
    order = list(dict.fromkeys(t.sort_values("first_fy")["administration"]))
    rule = alt.param(name=f"{key}rule", value="Majority of the fiscal year in office",
                     bind=alt.binding_radio(options=["Majority of the fiscal year in office",
                                                     "Fiscal years that began in the term"],
                                            name="Assign fiscal years by: "))
    show = alt.param(name=f"{key}show", value="Both",
                     bind=alt.binding_select(options=["Both", "Removals (formal order)",
                                                      "Returns (no order)"],
                                             name="Show: "))
    chart = (
        alt.Chart(long)
        .transform_filter(f"datum.rule_text == {key}rule")
        .transform_filter(f"{key}show == 'Both' || datum.kind == {key}show")
        .mark_bar()
        .encode(
            x=alt.X("administration:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("people:Q", title="People (sum over the administration's fiscal years)",
                    axis=alt.Axis(format="~s")),
            color=alt.Color("kind:N", title=None,
                            scale=alt.Scale(range=PALETTE[:2])),
            tooltip=[alt.Tooltip("president:N", title="President"),
                     alt.Tooltip("span:N", title="Fiscal years"),
                     alt.Tooltip("kind:N", title="Kind"),
                     alt.Tooltip("people:Q", title="People", format=","),
                     alt.Tooltip("total:Q", title="Removals + returns", format=",")],
        )
        .add_params(rule, show)
        .properties(width=CH1_WIDTH - 70, height=300)
    )
    maj = t[t["rule_text"].str.startswith("Majority")].set_index("administration")
    top_rem = maj["removals"].idxmax()
    top_ret = maj["returns"].idxmax()
    return _fit(finish(
        chart,
        title="Removals and returns by administration (complete administrations only)",
        subtitle="Pick how fiscal years are assigned to presidents and which measure to show.",
        description=(
            f"Stacked bar chart, one bar per administration since fiscal {since} whose fiscal "
            f"years are all in the data ({', '.join(order)}). Under the majority rule "
            f"{maj.loc[top_rem, 'president']} has the most removals "
            f"({int(maj.loc[top_rem, 'removals']):,}) and "
            f"{maj.loc[top_ret, 'president']} the most returns "
            f"({int(maj.loc[top_ret, 'returns']):,}). Controls switch the rule that "
            "assigns fiscal years to presidents and show removals, returns or both."
        ),
        datasets=["removals_returns", "administrations"],
    ))


