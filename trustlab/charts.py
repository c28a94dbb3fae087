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
        from . import history

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
    from . import history

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
    d["when"] = [_when(x, p) for x, p in zip(df["date"], df["date_precision"], strict=True)]
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


def _when(ts: pd.Timestamp, precision: str) -> str:
    if precision == "year":
        return f"{ts.year}"
    if precision == "month":
        return ts.strftime("%B %Y")
    return f"{ts.day} {ts.strftime('%B %Y')}"


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
    from . import history

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


# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


CH2_WIDTH = 520  # chapter 2 charts leave room for axis labels and legends in the book column


MODELS_287G = ["Jail Enforcement Model", "Task Force Model", "Warrant Service Officer"]
MODEL_COLORS = {"Jail Enforcement Model": PALETTE[0], "Task Force Model": PALETTE[1],
                "Warrant Service Officer": PALETTE[2]}


def us_states_topojson() -> dict:
    """The state geometry (TopoJSON) shipped in ``datasets/geo``, read once per call.

    Charts inline it (about 110 KB per map) because ``alt.topo_feature`` needs a URL, and the
    book and JupyterLab must draw maps offline."""
    import json

    return json.loads(data.path("us_states_geometry").read_text(encoding="utf-8"))


def _states_data() -> alt.Data:
    return alt.Data(values=us_states_topojson(),
                    format=alt.DataFormat(type="topojson", feature="states"))


def state_counts(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements and distinct agencies per state and model from the one-row-per-agreement
    ICE table (``agreements_287g``), in the layout of ``agreements_by_state``."""
    need = {"as_of", "state", "agency", "model"}
    missing = need - set(agreements.columns)
    if missing:
        raise ValueError(f"state_counts needs the columns {sorted(need)} of agreements_287g; "
                         f"missing {sorted(missing)}. Load the table with "
                         "trustlab.load('agreements_287g').")
    g = agreements.groupby(["as_of", "state", "model"], observed=True)
    out = g.agg(agreements=("agency", "size"), agencies=("agency", "nunique")).reset_index()
    out["agreements"] = out["agreements"].astype(int)
    out["agencies"] = out["agencies"].astype(int)
    return out.sort_values(["state", "model"]).reset_index(drop=True)


def agreements_timeline(df: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                        wapo: pd.DataFrame | None = None) -> alt.LayerChart:
    """Dated 287(g) counts, 2002 onward: reported figures and ICE snapshots, with a model
    selector, a checkbox for policy annotations and a zoomable time axis."""
    df = data.load("agreements_over_time") if df is None else df
    events = data.load("events_287g") if events is None else events
    wapo = data.load("wapo_287g_sheriffs") if wapo is None else wapo
    qual = df["qualifier"] if "qualifier" in df.columns else pd.Series("exact", index=df.index)
    df = df.assign(qualifier=qual.fillna("exact"))
    d = df.loc[df["unit"] != "states",
               ["date", "date_precision", "count", "qualifier", "unit", "model", "kind", "as_of",
                "source"]].copy()
    d["figure"] = [_stated(int(c), q) for c, q in zip(d["count"], d["qualifier"], strict=True)]
    d["when"] = [_when(ts, p) for ts, p in zip(d["date"], d["date_precision"], strict=True)]
    d = d.drop(columns=["date_precision"])
    d["series"] = d["kind"].map({"snapshot": "ICE list (counted)",
                                 "reported": "Reported figure"}) + " · " + d["unit"]
    w = pd.DataFrame({"date": pd.to_datetime(wapo["year"].astype(str) + "-07-01"),
                      "count": wapo["agencies_flagged"].astype(int), "unit": "agencies",
                      "model": "all", "kind": "curated", "as_of": pd.Timestamp("2021-11-01"),
                      "source": wapo["source"], "qualifier": "exact",
                      "figure": wapo["agencies_flagged"].astype(int).map("{:,}".format),
                      "when": wapo["year"].astype(str),
                      "series": "Washington Post list · sheriffs' offices"})
    d = pd.concat([d, w], ignore_index=True)
    d["count"] = d["count"].astype(int)
    d["date"] = d["date"].dt.strftime("%Y-%m-%d")
    d["as_of"] = pd.to_datetime(d["as_of"]).dt.strftime("%Y-%m-%d")
    ev = events[events["category"].isin(["287(g) program", "Federal program", "Law"])].copy()
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    # Label only events more than a few months apart; the crowded 2025 ones keep a tooltip.
    ev["label"] = ev["date"] < "2025-01-01"
    ev.loc[ev["event"].str.startswith("Executive Order 14159"), "label"] = True
    ev = ev[["date", "event", "category", "label"]]

    model = alt.param(name="ch2_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model: "))
    notes = alt.param(name="ch2_notes", value=True,
                      bind=alt.binding_checkbox(name="Show policy changes "))
    zoom = alt.selection_interval(name="ch2_zoom", bind="scales", encodings=["x", "y"])
    x = alt.X("date:T", title="Date", axis=alt.Axis(format="%Y"))
    base = alt.Chart(d).transform_filter("datum.model == ch2_model")
    series_order = ["Reported figure · agencies", "Reported figure · agreements",
                    "ICE list (counted) · agreements", "ICE list (counted) · agencies",
                    "Washington Post list · sheriffs' offices"]
    color = alt.Color("series:N", title=None, sort=series_order,
                      legend=alt.Legend(labelLimit=320, columns=2),
                      scale=alt.Scale(domain=series_order,
                                      range=[PALETTE[3], PALETTE[0], PALETTE[1], PALETTE[4],
                                             PALETTE[7]]))
    tooltip = [alt.Tooltip("when:N", title="Date"),
               alt.Tooltip("figure:N", title="Figure as stated"),
               alt.Tooltip("unit:N", title="Counts"), alt.Tooltip("model:N", title="Model"),
               alt.Tooltip("series:N", title="Kind"), alt.Tooltip("source:N", title="Source key")]
    lines = base.transform_filter("datum.kind != 'reported'").mark_line(
        strokeWidth=1.5, opacity=0.6).encode(
        x=x, y=alt.Y("count:Q", title="Agreements or agencies"), color=color, detail="series:N")
    points = base.mark_point(filled=True, size=55).encode(
        x=x, y="count:Q", color=color, shape=alt.Shape("series:N", sort=series_order,
                                                         legend=None), tooltip=tooltip)
    rules = alt.Chart(ev).transform_filter("ch2_notes").mark_rule(
        color="#999999", strokeDash=[3, 3]).encode(
        x="date:T", tooltip=[alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                             alt.Tooltip("event:N", title="Event")])
    labels = alt.Chart(ev[ev["label"]]).transform_filter("ch2_notes").mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=9,
        color="#555555").encode(x="date:T", y=alt.value(0), text="event:N")
    chart = alt.layer(rules, labels, lines, points).add_params(model, notes, zoom).properties(
        width=CH2_WIDTH, height=340)
    latest = df[(df["model"] == "all") & (df["unit"] == "agreements")].sort_values(
        "date").iloc[-1]
    first = df.sort_values("date").iloc[0]
    last = df.sort_values("date").iloc[-1]
    data_to = _when(last["date"], last["date_precision"])
    latest_fig = _stated(int(latest["count"]), latest["qualifier"])
    snap = df[(df["kind"] == "snapshot") & (df["model"] == "all")
              & (df["unit"] == "agreements")].sort_values("date")
    pre_max = int(df.loc[df["date"] < "2025-01-01", "count"].max())
    return wrap_subtitle(finish(
        chart,
        title=(f"287(g) participation, {first['date'].year}–{last['date'].year} "
               f"(data to {data_to})"),
        subtitle=(f"Reported figures and ICE lists. ICE-list counts stop at "
                  f"{snap.iloc[-1]['date']:%d %B %Y}; later points are reported figures. Pick a "
                  "model; tick the box to show policy changes; drag or scroll to zoom."),
        description=(
            f"Scatter-and-line chart of dated counts of 287(g) agreements or participating "
            f"agencies from {first['date']:%B %Y} ({int(first['count'])}) to "
            f"{_when(latest['date'], latest['date_precision'])} ({latest_fig} agreements); "
            f"the latest figure of any kind dates from {data_to}. Figures reported by "
            f"GAO, CRS, DHS and the press before 2025 stay at or below {pre_max}; counts "
            f"from ICE's own lists rise from {int(snap.iloc[0]['count']):,} agreements on "
            f"{snap.iloc[0]['date']:%d %B %Y} to {int(snap.iloc[-1]['count']):,} on "
            f"{snap.iloc[-1]['date']:%d %B %Y}; later points are figures reported by DHS, the "
            "press and trackers, some counting agencies rather than agreements and some stated "
            "as approximate or as lower bounds (the tooltip gives each figure as stated). "
            "A grey series shows The Washington Post's count "
            "of sheriffs' "
            "offices by year, 2005–2019. Dashed vertical lines mark policy changes such as the "
            "2009 standard agreement, the 2012 end of task-force agreements, the 2019 warrant "
            "service model, the January 2025 executive order and state laws of 2024–2026. A "
            "menu shows one model's counts (ICE-list counts, and a few reported figures of "
            "2026 that count agencies, are broken down by model)."),
        datasets=["agreements_over_time", "wapo_287g_sheriffs", "events_287g"]), CH2_WIDTH)


def _stated(count: int, qualifier: str) -> str:
    """A count as its source states it: '1,202', 'about 900', 'more than 1,500'."""
    prefix = {"approximate": "about ", "lower bound": "more than "}.get(qualifier, "")
    return f"{prefix}{count:,}"


def _wide_state_counts(by_state: pd.DataFrame) -> pd.DataFrame:
    from .states import BY_ABBR

    wide = by_state.pivot_table(index="state", columns="model", values="agreements",
                                aggfunc="sum", fill_value=0)
    for m in MODELS_287G:
        if m not in wide.columns:
            wide[m] = 0
    wide = wide[MODELS_287G].astype(int)
    wide["all"] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["fips"] = wide["state"].map(lambda s: BY_ABBR[s][2] if s in BY_ABBR else None)
    wide["name"] = wide["state"].map(lambda s: BY_ABBR[s][1] if s in BY_ABBR else s)
    wide = wide.rename(columns={"Jail Enforcement Model": "jem", "Task Force Model": "tfm",
                                "Warrant Service Officer": "wso"})
    return wide


def agreements_map(by_state: pd.DataFrame | None = None,
                   agreements: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Map of agreements by state at the latest ICE snapshot (model menu), linked to a bar
    chart of agreements by agency type and model: click a state to see its agencies."""
    by_state = data.load("agreements_by_state") if by_state is None else by_state
    agreements = data.load("agreements_287g") if agreements is None else agreements
    as_of = by_state["as_of"].max()
    by_state = by_state[by_state["as_of"] == as_of]
    agreements = agreements[agreements["as_of"] == agreements["as_of"].max()]
    wide = _wide_state_counts(by_state)
    bars = (agreements.assign(agency_type=agreements["agency_type"].fillna("Other"))
            .groupby(["state", "agency_type", "model"], observed=True)
            .agg(agreements=("agency", "size"), agencies=("agency", "nunique"))
            .reset_index())
    bars["agreements"] = bars["agreements"].astype(int)
    bars["agencies"] = bars["agencies"].astype(int)

    model = alt.param(name="ch2_map_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model on the map: "))
    pick = alt.selection_point(name="ch2_state", fields=["state"], on="click", clear="dblclick",
                               empty=True)
    geo = (alt.Chart(_states_data())
           .transform_lookup(lookup="id",
                             from_=alt.LookupData(wide, "fips",
                                                  ["state", "name", "all", "jem", "tfm", "wso"]))
           .transform_calculate(
               state="datum.state || ''",
               value=("ch2_map_model == 'all' ? datum.all : ch2_map_model == "
                      "'Jail Enforcement Model' ? datum.jem : ch2_map_model == "
                      "'Task Force Model' ? datum.tfm : datum.wso"),
               value0="isValid(datum.value) ? datum.value : 0")
           .mark_geoshape(stroke="white", strokeWidth=0.6)
           .encode(
               color=alt.condition("datum.value0 > 0",
                                   alt.Color("value0:Q", title="Agreements",
                                             scale=alt.Scale(type="sqrt", scheme="blues")),
                                   alt.value("#eeeeee")),
               opacity=alt.condition(pick, alt.value(1), alt.value(0.35)),
               tooltip=[alt.Tooltip("properties.name:N", title="State"),
                        alt.Tooltip("value0:Q", title="Agreements (model shown)"),
                        alt.Tooltip("all:Q", title="All models"),
                        alt.Tooltip("jem:Q", title="Jail enforcement"),
                        alt.Tooltip("tfm:Q", title="Task force"),
                        alt.Tooltip("wso:Q", title="Warrant service officer")])
           .add_params(model, pick)
           .project(type="albersUsa")
           .properties(width=CH2_WIDTH, height=350))
    bar = (alt.Chart(bars)
           .transform_filter(pick)
           .mark_bar()
           .encode(
               y=alt.Y("agency_type:N", title="Type of agency", sort="-x"),
               x=alt.X("sum(agreements):Q", title="Agreements (selected state, or all states)"),
               color=alt.Color("model:N", title="Model", sort=MODELS_287G,
                               scale=alt.Scale(domain=MODELS_287G,
                                               range=[MODEL_COLORS[m] for m in MODELS_287G])),
               tooltip=[alt.Tooltip("agency_type:N", title="Type"),
                        alt.Tooltip("model:N", title="Model"),
                        alt.Tooltip("sum(agreements):Q", title="Agreements"),
                        alt.Tooltip("sum(agencies):Q", title="Agencies")])
           .properties(width=CH2_WIDTH - 110, height=130))
    chart = alt.vconcat(geo, bar).resolve_scale(color="independent")
    tot = int(wide["all"].sum())
    top = wide.sort_values("all", ascending=False).head(2)
    nstates = int((wide["all"] > 0).sum())
    return wrap_subtitle(finish(
        chart,
        title=f"287(g) agreements by state, ICE list of {as_of:%d %B %Y}",
        subtitle=(f"Data: ICE's workbook of {as_of:%d %B %Y}, the latest the course could read "
                  "(later editions were not available offline). Pick a model; click a state to "
                  "show its agencies below (double-click to clear)."),
        description=(
            f"Map of the United States shaded by the number of 287(g) agreements in each "
            f"state on ICE's list of {as_of:%d %B %Y}: {tot:,} agreements in {nstates} states "
            f"or territories. {top.iloc[0]['name']} has the most ({int(top.iloc[0]['all']):,}), "
            f"then {top.iloc[1]['name']} ({int(top.iloc[1]['all']):,}). States without "
            "agreements are light grey. A menu shows one model at a time. Below the map, a "
            "bar chart counts agreements by type of agency (county, municipality, state "
            "agency) and model, for all states or for the state clicked on the map."),
        datasets=["agreements_by_state", "agreements_287g", "us_states_geometry"]), CH2_WIDTH)


def state_laws_map(laws: pd.DataFrame | None = None) -> alt.Chart:
    """Map of state rules on 287(g): required, banned, restricted or no statewide rule in the
    table; click a legend entry to highlight one status."""
    from .states import STATES

    laws = data.load("state_laws") if laws is None else laws
    allst = pd.DataFrame([{"state": a, "name": n, "fips": f} for a, n, f in STATES])
    m = allst.merge(laws[["state", "law", "status", "effective", "confidence"]],
                    on="state", how="left")
    m["status"] = m["status"].fillna("none")
    m["law"] = m["law"].fillna("No statewide rule in this table")
    m["effective"] = m["effective"].dt.strftime("%Y-%m-%d").fillna("")
    m["confidence"] = m["confidence"].fillna("")
    labels = {"require": "Requires 287(g)", "ban": "Bans 287(g)",
              "restrict": "Restricts cooperation", "none": "No statewide rule listed"}
    m["label"] = m["status"].map(labels)
    order = list(labels.values())
    pick = alt.selection_point(name="ch2_law", fields=["label"], bind="legend")
    chart = (alt.Chart(_states_data())
             .transform_lookup(lookup="id", from_=alt.LookupData(
                 m, "fips", ["name", "label", "law", "effective", "confidence"]))
             .transform_filter("isValid(datum.label)")
             .mark_geoshape(stroke="white", strokeWidth=0.6)
             .encode(color=alt.Color("label:N", title="Statewide rule", sort=order,
                                     scale=alt.Scale(domain=order, range=[
                                         PALETTE[1], PALETTE[3], "#b3a9d6", "#e6e6e6"])),
                     opacity=alt.condition(pick, alt.value(1), alt.value(0.25)),
                     tooltip=[alt.Tooltip("name:N", title="State"),
                              alt.Tooltip("label:N", title="Rule"),
                              alt.Tooltip("law:N", title="Law"),
                              alt.Tooltip("effective:N", title="Effective"),
                              alt.Tooltip("confidence:N", title="Confidence")])
             .add_params(pick)
             .project(type="albersUsa")
             .properties(width=CH2_WIDTH, height=350))
    n = laws["status"].value_counts()
    newest = laws.sort_values("effective").iloc[-1]
    latest_law = _when(newest["effective"], newest["date_precision"])
    req = ", ".join(m.loc[m["status"] == "require", "name"])
    ban = ", ".join(m.loc[m["status"] == "ban", "name"])
    res = ", ".join(m.loc[m["status"] == "restrict", "name"])
    return wrap_subtitle(finish(
        chart,
        title=f"State rules on 287(g) agreements (laws effective to {latest_law})",
        subtitle=("Click a legend entry to highlight one kind of rule; hover a state for its law. "
                  "Dates are effective dates or compliance deadlines."),
        description=(
            f"Map of the United States colouring each state by its statewide rule on 287(g) "
            f"in the course's table. {int(n.get('require', 0))} states require agreements "
            f"({req}); {int(n.get('ban', 0))} ban them ({ban}); {int(n.get('restrict', 0))} "
            f"restrict cooperation without a ban read in the text ({res}). All other states are "
            "grey: the table lists no statewide rule for them, which does not mean they have "
            "none."),
        datasets=["state_laws", "us_states_geometry"]), CH2_WIDTH)



# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

DIRECTIONS = ["less crime", "no detectable effect", "more crime", "not a crime outcome"]
DIRECTION_COLORS = ["#1b9e77", "#666666", "#d95f02", "#b3b3b3"]


def _estimate_label(row: pd.Series) -> str:
    """A short label for the published size ('2x', '+146%', '-35.5 per 10,000'); the full unit
    and its qualifier are in the tooltip."""
    if pd.isna(row["estimate"]):
        return "direction only"
    unit, est = str(row["unit"]), float(row["estimate"])
    qual = " (lower bound)" if "lower bound" in unit else ""
    if unit.startswith("ratio"):
        return f"{est:g}x{qual}"
    if unit.startswith("percent"):
        return f"{est:+g}%{qual}"
    if "per 10000" in unit:
        return f"{est:+g} per 10,000"
    return f"{est:+g} {unit}"


def crime_study_results(df: pd.DataFrame | None = None) -> alt.HConcatChart:
    """One row per study estimate: where its result falls (less crime / no detectable effect /
    more crime) and the published size where checked, with filters for policy and design."""
    df = data.load("crime_studies") if df is None else df
    d = df.copy()
    d["label"] = d["study"].str.replace(r" \(CGO working paper\)", "", regex=True) + ": " + \
        d["outcome_short"]
    d["size"] = d.apply(_estimate_label, axis=1)
    d["unit"] = d["unit"].fillna("")
    d = d[["label", "study", "policy", "design", "comparison", "outcome", "direction",
           "size", "unit", "finding", "confidence", "enforcement_change"]]
    policies = ["All"] + sorted(d["policy"].unique())
    designs = ["All"] + sorted(d["design"].unique())
    pol = alt.param(name="cs_policy", value="All",
                    bind=alt.binding_select(options=policies, name="Policy: "))
    des = alt.param(name="cs_design", value="All",
                    bind=alt.binding_select(options=designs, name="Design: "))
    keep = "(cs_policy == 'All' || datum.policy == cs_policy) && " \
           "(cs_design == 'All' || datum.design == cs_design)"
    order = list(d.sort_values(["policy", "study"])["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelFontSize=11),
              scale=alt.Scale(paddingOuter=0.8))
    tips = [alt.Tooltip("study:N", title="Study"), alt.Tooltip("policy:N", title="Policy"),
            alt.Tooltip("design:N", title="Design"),
            alt.Tooltip("comparison:N", title="Comparison"),
            alt.Tooltip("outcome:N", title="Outcome"),
            alt.Tooltip("direction:N", title="Direction"),
            alt.Tooltip("size:N", title="Published size"),
            alt.Tooltip("unit:N", title="Unit as published"),
            alt.Tooltip("finding:N", title="Finding"),
            alt.Tooltip("confidence:N", title="Confidence")]
    base = alt.Chart(d).transform_filter(keep)
    dots = base.mark_point(filled=True, size=140, opacity=0.9).encode(
        x=alt.X("direction:N", sort=DIRECTIONS, scale=alt.Scale(domain=DIRECTIONS),
                title="Result (crime in the first group of the comparison)",
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=120,
                              labelExpr="datum.label == 'no detectable effect' ? "
                                        "['none', 'detected'] : "
                                        "datum.label == 'not a crime outcome' ? "
                                        "['other', 'outcome'] : split(datum.label, ' ')",
                              labelFontSize=10, labelPadding=14, domain=False, ticks=False)),
        y=y,
        color=alt.Color("direction:N", scale=alt.Scale(domain=DIRECTIONS,
                                                       range=DIRECTION_COLORS), legend=None),
        shape=alt.Shape("policy:N", title="Policy", legend=alt.Legend(columns=3)),
        tooltip=tips,
    ).properties(width=200, height=alt.Step(22))
    sizes = base.mark_text(align="left", fontSize=11).encode(
        x=alt.value(0), text="size:N",
        y=alt.Y("label:N", sort=order, axis=None, scale=alt.Scale(paddingOuter=0.8)),
        color=alt.condition("datum.size == 'direction only'",
                            alt.value("#888888"), alt.value("#222222")),
        tooltip=tips,
    ).properties(width=100, height=alt.Step(22),
                 title=alt.Title("Published size", fontSize=12))
    chart = alt.hconcat(dots, sizes, spacing=8).add_params(pol, des)
    n = len(df)
    counts = df["direction"].value_counts()
    return finish(
        chart,
        title="What studies of enforcement, sanctuary policies and crime found",
        subtitle="Filter by policy or design; hover a point for the finding. Sizes are "
                 "in different units.",
        description=(
            f"Dot chart with one row for each of {n} study estimates. Each dot sits in one of "
            "four columns: less crime, no detectable effect, more crime, or not a crime "
            f"outcome. {int(counts.get('no detectable effect', 0))} estimates show no "
            f"detectable effect, {int(counts.get('less crime', 0))} less crime and "
            f"{int(counts.get('more crime', 0))} more crime. A second column prints the "
            "published size where it was checked, otherwise 'direction only'. Dropdowns "
            "filter the rows by policy and by research design."),
        datasets=["crime_studies"],
    )


DID_WIDTH = 520


def _did_frame(panel: pd.DataFrame) -> pd.DataFrame:
    from .crime import NEIGHBOURS

    d = panel[["state_abbr", "year", "population", "violent_crime", "property_crime"]].copy()
    for c in ["population", "violent_crime", "property_crime", "year"]:
        d[c] = d[c].astype(int)
    d["nbrs"] = d["state_abbr"].map(lambda s: "|" + "|".join(NEIGHBOURS[s]) + "|")
    return d


def crime_did_explorer(panel: pd.DataFrame | None = None, *, treated: str = "TX",
                       policy_year: int = 2017, window: int = 4,
                       other: str = "NM") -> alt.VConcatChart:
    """Pick a treated state, a policy year, a window and a comparison group: the chart
    recomputes the before/after means and the difference-in-differences in the browser."""
    from .crime import did

    panel = data.load("crime_panel") if panel is None else panel
    d = _did_frame(panel)
    names = panel.drop_duplicates("state_abbr").sort_values("state_name")
    abbrs, labels = list(names["state_abbr"]), list(names["state_name"])
    first, last = int(d["year"].min()), int(d["year"].max())
    p_state = alt.param(name="did_state", value=treated,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name="Treated state: "))
    p_year = alt.param(name="did_year", value=policy_year,
                       bind=alt.binding_range(min=first + 1, max=last, step=1,
                                              name="Policy year (first 'after' year): "))
    p_win = alt.param(name="did_window", value=window,
                      bind=alt.binding_range(min=1, max=8, step=1,
                                             name="Years on each side: "))
    p_comp = alt.param(name="did_comp", value="All other states",
                       bind=alt.binding_radio(options=["All other states",
                                                       "Neighbouring states", "One state"],
                                              name="Comparison: "))
    p_other = alt.param(name="did_other", value=other,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name="Comparison state (for 'One state'): "))
    p_out = alt.param(name="did_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=["Violent crime", "Property crime"],
                                             name="Outcome: "))
    group_expr = (
        "datum.state_abbr == did_state ? 'Treated state' : "
        "((did_comp == 'All other states') || "
        "(did_comp == 'Neighbouring states' && indexof(datum.nbrs, '|' + did_state + '|') >= 0)"
        " || (did_comp == 'One state' && datum.state_abbr == did_other))"
        " ? 'Comparison group' : 'none'")
    rates = (
        alt.Chart(d)
        .transform_calculate(crimes="did_outcome == 'Violent crime' ? datum.violent_crime "
                                    ": datum.property_crime", group=group_expr)
        .transform_filter("datum.group != 'none'")
        .transform_filter(f"datum.year >= max({first}, did_year - did_window) && "
                          f"datum.year <= min({last}, did_year + did_window - 1)")
        .transform_aggregate(crimes="sum(crimes)", pop="sum(population)",
                             groupby=["group", "year"])
        .transform_calculate(rate="datum.crimes / datum.pop * 100000",
                             period="datum.year >= did_year ? 'After' : 'Before'")
    )
    colors = alt.Color("group:N", title=None,
                       scale=alt.Scale(domain=["Treated state", "Comparison group"],
                                       range=[PALETTE[1], PALETTE[0]]))
    lines = rates.mark_line(point=True).encode(
        x=alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("rate:Q", title="Crimes per 100,000 residents",
                scale=alt.Scale(zero=False)),
        color=colors,
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("year:Q", format="d"),
                 alt.Tooltip("rate:Q", title="Rate per 100,000", format=",.1f")])
    means = rates.transform_aggregate(
        mean_rate="mean(rate)", y0="min(year)", y1="max(year)", groupby=["group", "period"]
    ).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        x="y0:Q", x2="y1:Q", y="mean_rate:Q", color=colors,
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("period:N"),
                 alt.Tooltip("mean_rate:Q", title="Mean rate", format=",.1f")])
    rule = alt.Chart(pd.DataFrame({"one": [1]})).transform_calculate(
        x="did_year - 0.5").mark_rule(color="#333333").encode(x="x:Q")
    top = alt.layer(lines, means, rule).properties(width=DID_WIDTH, height=280)

    table = (
        rates.transform_aggregate(mean_rate="mean(rate)", groupby=["group", "period"])
        .transform_pivot("period", value="mean_rate", groupby=["group"])
        .transform_calculate(change="datum.After - datum.Before")
    )
    rows = table.transform_calculate(
        line="datum.group + ': before ' + format(datum.Before, ',.1f') + ', after ' + "
             "format(datum.After, ',.1f') + ', change ' + format(datum.change, '+,.1f')"
    ).mark_text(align="left", fontSize=12).encode(
        x=alt.value(0), y=alt.Y("group:N", sort=["Treated state", "Comparison group"], axis=None),
        text="line:N", color=colors)
    est = table.transform_calculate(
        signed="datum.group == 'Treated state' ? datum.change : -datum.change"
    ).transform_aggregate(est="sum(signed)", n="count()").transform_calculate(
        line="datum.n == 2 ? 'DiD = treated change - comparison change = ' + "
             "format(datum.est, '+,.1f') + ' per 100,000' : "
             "'No comparison states for this choice (Alaska and Hawaii have no neighbours).'"
    ).mark_text(align="left", fontSize=12, fontWeight="bold").encode(
        x=alt.value(0), text="line:N")
    bottom = alt.vconcat(rows.properties(width=DID_WIDTH, height=44),
                         est.properties(width=DID_WIDTH, height=24), spacing=4)
    chart = alt.vconcat(top, bottom, spacing=12).add_params(
        p_state, p_year, p_win, p_comp, p_other, p_out)
    ex = did(panel, treated, policy_year, window=window)
    return finish(
        chart,
        title=f"Difference-in-differences explorer: state crime rates, FBI estimates, "
              f"{first}–{last}",
        subtitle="A two-group gap describes; it does not prove. Other changes in the "
                 "treated state also show up here.",
        description=(
            "Line chart of yearly crime rates per 100,000 for a treated state and a comparison "
            "group, with dashed lines for each group's mean before and after a policy year and "
            "a vertical line at the policy year. Below it, the before and after means, their "
            "changes, and the difference-in-differences. Controls choose the state, the year, "
            "the years on each side, the comparison group and the outcome, and the numbers "
            f"recompute in the browser. Default view: {ex.treated}, policy year "
            f"{policy_year}, {window} years each side, all other states, violent crime: "
            f"treated change {ex.treated_change:+.1f}, comparison change "
            f"{ex.comparison_change:+.1f}, difference-in-differences {ex.estimate:+.1f} per "
            "100,000."),
        datasets=["crime_panel"],
    )


def crime_placebo(table: pd.DataFrame | None = None, *, year: int = 2012,
                  state: str = "TX") -> alt.Chart:
    """Difference-in-differences of every state against all others at a chosen (placebo)
    year: how large 'effects' look when no one chose that year for a policy."""
    from .crime import placebo_table

    t = placebo_table(data.load("crime_panel")) if table is None else table
    years = sorted(t["year"].unique())
    p_year = alt.param(name="pl_year", value=year,
                       bind=alt.binding_range(min=int(years[0]), max=int(years[-1]), step=1,
                                              name="Pretend policy year: "))
    p_out = alt.param(name="pl_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=["Violent crime", "Property crime"],
                                             name="Outcome: "))
    states = sorted(t["state_abbr"].unique())
    p_state = alt.param(name="pl_state", value=state,
                        bind=alt.binding_select(options=states, name="Highlight state: "))
    chart = (
        alt.Chart(t)
        .transform_filter("datum.year == pl_year && datum.outcome == pl_outcome")
        .mark_bar()
        .encode(
            x=alt.X("state_abbr:N", sort="-y", title="State (sorted by estimate)",
                    axis=alt.Axis(labelAngle=-90, labelFontSize=9)),
            y=alt.Y("did:Q", title="'Effect' per 100,000 (difference-in-differences)"),
            color=alt.condition("datum.state_abbr == pl_state", alt.value(PALETTE[1]),
                                alt.value("#9db9d3")),
            tooltip=[alt.Tooltip("state_abbr:N", title="State"),
                     alt.Tooltip("year:Q", title="Pretend policy year", format="d"),
                     alt.Tooltip("did:Q", title="DiD per 100,000", format="+,.1f"),
                     alt.Tooltip("treated_before:Q", title="State's rate before",
                                 format=",.1f")])
        .add_params(p_year, p_out, p_state)
        .properties(width=560, height=300)
    )
    sub = t[(t["year"] == year) & (t["outcome"] == "Violent crime")]["did"]
    return finish(
        chart,
        title="Every state has an 'effect': placebo policy years",
        subtitle="One state against all others, around a year with no common policy.",
        description=(
            "Bar chart with one bar per state (50 states and DC), sorted by size: the "
            "difference-in-differences of that state's crime rate against all other states, "
            "around a pretend policy year, 4 years on each side. For violent crime around "
            f"{year}, the estimates run from {sub.min():+.1f} to {sub.max():+.1f} per 100,000. "
            "Controls change the year, the outcome and the highlighted state."),
        datasets=["crime_panel"],
    )


# ------------------------------------------------------------------------------------------
# Trust and crime reporting (chapter 4): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


_SURVEY_ITEMS = {
    "theodore-victim": "Theodore 2013: less likely to contact police if a victim",
    "theodore-witness": "Theodore 2013: less likely to volunteer information on crimes",
    "theodore-stops": "Theodore 2013: police stop Latinos without good reason",
    "wong": "Wong et al. 2019 (experiment): told police work with ICE, 'percent less likely'",
    "pew-equal": "Pew 2014: confidence police treat Hispanics and whites equally",
    "pew-force": "Pew 2014: confidence police will not use excessive force",
    "pew-trust": "Pew 2014: confidence police will gain residents' trust",
}

_SHORT_OUTCOMES = {
    "Would report a crime I witness to the police": "Report a crime they witness",
    "Would report a crime I am the victim of to the police": "Report a crime against them",
    "Would use public services that require personal contact information":
        "Use services asking for contact details",
    "Would do business that requires personal contact information":
        "Do business asking for contact details",
    "Would attend public events where police may be present":
        "Attend events where police may be",
}


def _survey_item(row) -> str:
    """A short drop-down label for a survey question (falls back to the survey's name and
    the question, cut to 70 characters)."""
    for prefix, label in _SURVEY_ITEMS.items():
        if row["id"].startswith(prefix + "-"):
            return label
    text = f"{row['survey']}: {row['question']}"
    return text if len(text) <= 70 else text[:69] + "\u2026"


def _n_label(row) -> str:
    n = row["n_subgroup"]
    return "n not published" if pd.isna(n) else f"n = {int(n):,}"


def survey_by_status(df: pd.DataFrame | None = None, *,
                     default_question: str | None = None) -> alt.Chart:
    """Published survey percentages by subgroup, one question at a time (drop-down), with the
    number of respondents behind each bar printed beside it ("n not published" when the
    survey did not publish it). Experimental effects are coloured apart from shares."""
    df = data.load("survey_results") if df is None else df
    d = df.reset_index() if "id" not in df.columns else df.copy()
    d["n_label"] = d.apply(_n_label, axis=1)
    d["label"] = d.apply(lambda r: f"{r['percent']:g}%  ·  {r['n_label']}", axis=1)
    d["item"] = d.apply(_survey_item, axis=1)
    # One bar per subgroup; for the experiment (one subgroup) one bar per outcome instead.
    outcome = d["question"].str.split(" (", regex=False).str[0]
    d["bar"] = d["subgroup"].where(~d["measure"].str.startswith("experimental"),
                                   outcome.map(lambda q: _SHORT_OUTCOMES.get(q, q[:40])))
    d = d[["item", "bar", "survey", "subgroup", "place", "percent", "measure", "n_label",
           "label", "confidence"]]
    items = list(dict.fromkeys(d["item"]))
    default = default_question if default_question in items else items[0]
    pick = alt.param(name="ch4_question", value=default,
                     bind=alt.binding_select(options=items, name="Question: "))
    base = (alt.Chart(d).transform_filter("datum.item == ch4_question")
            .encode(y=alt.Y("bar:N", title=None, sort=None,
                            axis=alt.Axis(labelLimit=300))))
    bars = base.mark_bar(height=22).encode(
        x=alt.X("percent:Q", title="Percent", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("measure:N", title="Measure",
                        legend=alt.Legend(labelLimit=400, direction="vertical"),
                        scale=alt.Scale(domain=["share of respondents", "share with confidence",
                                                "experimental effect (percent less likely)"],
                                        range=[PALETTE[0], PALETTE[2], PALETTE[1]])),
        tooltip=[alt.Tooltip("survey:N", title="Survey"), alt.Tooltip("place:N", title="Place"),
                 alt.Tooltip("subgroup:N", title="Subgroup"),
                 alt.Tooltip("bar:N", title="Bar"),
                 alt.Tooltip("percent:Q", title="Percent"),
                 alt.Tooltip("n_label:N", title="Respondents"),
                 alt.Tooltip("confidence:N", title="Confidence")])
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(
        x=alt.X("percent:Q"), text="label:N")
    chart = (bars + text).add_params(pick).properties(width=WIDTH - 300, height=alt.Step(34))
    th = df[df["survey"].str.startswith("Theodore")]
    th_all = th[(th["id"] == "theodore-victim-all")].iloc[0]
    th_und = th[(th["id"] == "theodore-victim-undocumented")].iloc[0]
    th_us = th[(th["id"] == "theodore-victim-usborn")].iloc[0]
    return finish(
        chart,
        title="What surveys say about contacting and trusting police, by group",
        subtitle="Pick a question. Beside each bar: the percentage and the respondents behind "
                 "it.",
        description=(
            "Horizontal bar chart of published survey percentages for one question at a "
            "time, chosen from a drop-down list. For the default question (Theodore 2013, "
            "Latinos in four counties, less likely to contact police if a victim for fear of "
            f"immigration questions): all Latinos {th_all['percent']:g}% (n = "
            f"{int(th_all['n_subgroup']):,}), undocumented {th_und['percent']:g}% and U.S.-born "
            f"{th_us['percent']:g}% (subgroup sizes not published). Other questions include "
            "Theodore's items on volunteering information and police stops, Wong et al.'s "
            "survey experiment with 594 undocumented immigrants in San Diego County (effects "
            "stated as 'percent less likely', coloured differently because they are not "
            "shares of respondents) and Pew's 2014 national items on confidence in police by "
            "race and ethnicity."),
        datasets=["survey_results"],
    )


def ncvs_reporting_rates(df: pd.DataFrame | None = None) -> alt.Chart:
    """Share of victimizations reported to police by type of crime (NCVS), with a control to
    switch the year; a tick marks the other year. Click a legend entry to highlight a group."""
    df = data.load("ncvs_reporting") if df is None else df
    d = df[["year", "crime_type", "category", "level", "display_order", "percent_reported",
            "rate_reported_per_1000", "significant_change_from_2016"]].copy()
    d["label"] = d.apply(lambda r: "\u203a " * int(r["level"]) + r["crime_type"], axis=1)
    d["significant_change_from_2016"] = d["significant_change_from_2016"].fillna("")
    years = sorted(int(y) for y in d["year"].unique())
    year = alt.param(name="ch4_year", value=years[-1],
                     bind=alt.binding_radio(options=years, name="Year: "))
    cat = alt.selection_point(name="ch4_category", fields=["category"], bind="legend")
    order = list(d.sort_values("display_order")["label"].drop_duplicates())
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    bars = (alt.Chart(d).transform_filter("datum.year == ch4_year").mark_bar(height=14)
            .encode(y=y,
                    x=alt.X("percent_reported:Q", title="Percent of victimizations reported "
                            "to police", scale=alt.Scale(domain=[0, 100])),
                    color=alt.Color("category:N", title="Category"),
                    opacity=alt.condition(cat, alt.value(1.0), alt.value(0.25)),
                    tooltip=[alt.Tooltip("crime_type:N", title="Type of crime"),
                             alt.Tooltip("year:Q", title="Year", format="d"),
                             alt.Tooltip("percent_reported:Q", title="Percent reported"),
                             alt.Tooltip("rate_reported_per_1000:Q",
                                         title="Reported per 1,000"),
                             alt.Tooltip("significant_change_from_2016:N",
                                         title="Change from 2016 significant at (%)")]))
    ticks = (alt.Chart(d).transform_filter("datum.year != ch4_year")
             .mark_tick(color="#222222", thickness=2, size=16)
             .encode(y=y, x="percent_reported:Q",
                     tooltip=[alt.Tooltip("crime_type:N", title="Type of crime"),
                              alt.Tooltip("year:Q", title="Other year", format="d"),
                              alt.Tooltip("percent_reported:Q", title="Percent reported")]))
    chart = (bars + ticks).add_params(year, cat).properties(width=WIDTH - 260,
                                                           height=alt.Step(18))
    v = d.set_index(["year", "crime_type"])["percent_reported"]
    last = years[-1]
    return finish(
        chart,
        title=f"Most victimizations never reach the police (NCVS {years[0]} and {last})",
        subtitle="Bars: the chosen year; black ticks: the other year. Click a legend entry to "
                 "highlight a group.",
        description=(
            f"Horizontal bar chart of the percent of victimizations reported to police in "
            f"{years[0]} and {last}, for {d['crime_type'].nunique()} overlapping types of crime "
            f"from the National Crime Victimization Survey. In {last}: violent crime "
            f"{v[(last, 'Violent crime')]:g}%, rape or sexual assault "
            f"{v[(last, 'Rape/sexual assault')]:g}%, aggravated assault "
            f"{v[(last, 'Aggravated assault')]:g}%, simple assault "
            f"{v[(last, 'Simple assault')]:g}%, property crime {v[(last, 'Property crime')]:g}%,"
            f" motor vehicle theft {v[(last, 'Motor vehicle theft')]:g}%. A radio control "
            "switches the year; ticks show the other year for comparison."),
        datasets=["ncvs_reporting"],
    )


def underreporting_simulator(report_rate: float | None = None) -> alt.VConcatChart:
    """The chapter 4 under-reporting model (trustlab.underreporting) as an Altair chart whose
    sliders recompute it in the reader's browser: bars for 1,000 true victimisations, the
    reports police record and the crimes they clear; below, recorded and cleared crimes as
    the share of silent victims goes from 0 to 100%, with the current setting marked."""
    from . import underreporting as ur

    defaults = dict(ur.DEFAULTS)
    if report_rate is not None:
        defaults["report_rate"] = round(float(report_rate), 3)

    def slider(name, key, label, lo=0.0, hi=1.0):
        return alt.param(name=name, value=defaults[key],
                         bind=alt.binding_range(min=lo, max=hi, step=0.01, name=label))

    silence = slider("ch4_silence", "silence", "Share of affected victims who stay silent ")
    affected = slider("ch4_affected", "affected_share", "Affected group's share of victims ")
    report = slider("ch4_report", "report_rate", "Baseline reporting rate ")
    clear = slider("ch4_clearance", "clearance_rate", "Clearance rate of reported crimes ")
    witness = slider("ch4_witness", "witness_dependence",
                     "Share of clearances needing a witness from the group ")
    names = {"affected_share": "ch4_affected", "report_rate": "ch4_report",
             "silence": "ch4_silence", "clearance_rate": "ch4_clearance",
             "witness_dependence": "ch4_witness"}
    ex = ur.vega_expressions(names)
    n = defaults["victimisations"]
    steps = pd.DataFrame({"step": ["True victimisations", "Reported (recorded crime)",
                                   "Cleared by police"], "order": [0, 1, 2],
                          "victimisations": [n, n, n]})
    bars = (alt.Chart(steps)
            .transform_calculate(value=(f"datum.order == 0 ? datum.victimisations : "
                                        f"datum.order == 1 ? {ex['recorded']} : "
                                        f"{ex['cleared']}"))
            .transform_calculate(text="format(datum.value, ',.0f')")
            .encode(y=alt.Y("step:N", title=None, sort=alt.SortField("order")),
                    x=alt.X("value:Q", title=f"Per {n:,} true victimisations",
                            scale=alt.Scale(domain=[0, n]))))
    bar_layer = (bars.mark_bar(height=26).encode(
        color=alt.Color("step:N", legend=None,
                        scale=alt.Scale(domain=list(steps["step"]),
                                        range=[PALETTE[7], PALETTE[0], PALETTE[2]])),
        tooltip=[alt.Tooltip("step:N", title="Step"),
                 alt.Tooltip("value:Q", title="Number", format=",.0f")])
        + bars.mark_text(align="left", dx=4, fontSize=12).encode(text="text:N"))
    rates = (alt.Chart(steps.head(1))
             .transform_calculate(rc=ex["recorded_clearance_rate"],
                                  sc=ex["share_of_victimisations_cleared"])
             .transform_calculate(msg=("'Published clearance rate: ' + format(datum.rc, '.0%')"
                                       " + '  \u00b7  all victimisations cleared: ' + "
                                       "format(datum.sc, '.0%')"))
             .mark_text(align="left", fontSize=12, fontWeight="bold")
             .encode(text="msg:N", x=alt.value(0), y=alt.value(8))
             .properties(width=WIDTH - 220, height=16))
    grid = pd.DataFrame({"s": [i / 20 for i in range(21)], "victimisations": n})
    line_ex = ur.vega_expressions({**names, "silence": "datum.s"})
    curve = (alt.Chart(grid)
             .transform_calculate(**{"Reported (recorded crime)": line_ex["recorded"],
                                     "Cleared by police": line_ex["cleared"]})
             .transform_fold(["Reported (recorded crime)", "Cleared by police"],
                             as_=["series", "value"])
             .mark_line(strokeWidth=2)
             .encode(x=alt.X("s:Q", title="Share of affected victims who stay silent",
                             axis=alt.Axis(format="%")),
                     y=alt.Y("value:Q", title=f"Per {n:,} true victimisations",
                             scale=alt.Scale(domain=[0, n * 0.6], clamp=True)),
                     color=alt.Color("series:N", title=None,
                                     scale=alt.Scale(domain=["Reported (recorded crime)",
                                                             "Cleared by police"],
                                                     range=[PALETTE[0], PALETTE[2]])),
                     tooltip=[alt.Tooltip("s:Q", title="Silent share", format=".0%"),
                              alt.Tooltip("series:N", title="Series"),
                              alt.Tooltip("value:Q", title="Number", format=",.0f")]))
    rule = (alt.Chart(steps.head(1)).transform_calculate(s="ch4_silence")
            .mark_rule(color="#d95f02", strokeDash=[4, 3], strokeWidth=2)
            .encode(x="s:Q"))
    top = bar_layer.properties(width=WIDTH - 220, height=alt.Step(34))
    bottom = (curve + rule).properties(width=WIDTH - 220, height=200)
    chart = alt.vconcat(rates, top, bottom, spacing=12).add_params(
        silence, affected, report, clear, witness)
    base = ur.simulate(**{**defaults, "silence": 0.0})
    now = ur.simulate(**defaults)
    return finish(
        chart,
        title="Under-reporting simulator: what police records show when victims stay silent",
        subtitle="A teaching model, not an estimate. Move the sliders below the chart; true "
                 "crime never changes.",
        description=(
            f"Interactive model of {n:,} true victimisations. At the default settings "
            f"({defaults['affected_share']:.0%} of victims in the affected group, baseline "
            f"reporting {defaults['report_rate']:.0%}, clearance {defaults['clearance_rate']:.0%}"
            f" of reported crimes, {defaults['witness_dependence']:.0%} of the group's "
            f"clearances needing a witness from it), no silence gives {base.recorded:,.0f} "
            f"recorded and {base.cleared:,.0f} cleared crimes; with "
            f"{defaults['silence']:.0%} of affected victims silent, {now.recorded:,.0f} "
            f"recorded and {now.cleared:,.0f} cleared, while the published clearance rate "
            f"moves only from {base.recorded_clearance_rate:.0%} to "
            f"{now.recorded_clearance_rate:.0%}. Top: bars for victimisations, reports and "
            "clearances. Bottom: recorded and cleared crimes as the silent share goes from 0 "
            "to 100%, with a dashed line at the current setting. Five sliders set the "
            "model's inputs."),
        datasets=["ncvs_reporting"],
    )


def police_changes_2017(df: pd.DataFrame | None = None) -> alt.Chart:
    """Announced percent changes in reports, Houston and Los Angeles 2017, one bar per
    announcement; a drop-down filters the city and the tooltip gives the window measured."""
    df = data.load("police_reported_changes_2017") if df is None else df
    d = df.copy()
    d["announced_str"] = d["announced"].dt.strftime("%Y-%m-%d")
    span = (d["window_start"].dt.strftime("%b") + "\u2013"
            + d["window_end"].dt.strftime("%b %Y"))
    measure = (d["measure"].str.replace(r" reported| reports", "", regex=True)
               .str.replace("violent crimes (other than rape)", "other violent crimes",
                            regex=False))
    victims = (d["victim_group"].str.replace("all victims (citywide)", "citywide", regex=False)
               .str.replace(" victims", "", regex=False))
    city = d["city"].replace({"Los Angeles": "LA"})
    d["bar"] = city + ": " + measure + ", " + victims + " (" + span + ")"
    d["hispanic"] = d["victim_group"].str.contains("Hispanic|Latino", regex=True) & \
        ~d["victim_group"].str.startswith("non-")
    d["group"] = d["hispanic"].map({True: "Hispanic or Latino victims",
                                    False: "Other or all victims"})
    d = d[["city", "bar", "pct_change", "group", "window", "announced_str", "announced_by",
           "confidence"]]
    cities = ["Both cities", *sorted(d["city"].unique())]
    pick = alt.param(name="ch4_city", value="Both cities",
                     bind=alt.binding_select(options=cities, name="City: "))
    base = (alt.Chart(d)
            .transform_filter("ch4_city == 'Both cities' || datum.city == ch4_city")
            .encode(y=alt.Y("bar:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
                    x=alt.X("pct_change:Q", title="Announced change in reports (%)")))
    bars = base.mark_bar(height=16).encode(
        color=alt.Color("group:N", title=None,
                        scale=alt.Scale(range=[PALETTE[1], PALETTE[7]])),
        tooltip=[alt.Tooltip("city:N", title="City"),
                 alt.Tooltip("bar:N", title="Measure"),
                 alt.Tooltip("pct_change:Q", title="Change (%)"),
                 alt.Tooltip("announced_str:N", title="Announced"),
                 alt.Tooltip("announced_by:N", title="By"),
                 alt.Tooltip("confidence:N", title="Confidence")])
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333333").encode(x="x:Q")
    chart = (bars + zero).add_params(pick).properties(width=WIDTH - 340, height=alt.Step(22))
    h = df.set_index("id")["pct_change"]
    return finish(
        chart,
        title="Reports by Hispanic victims in Houston and Los Angeles, 2017, as announced",
        subtitle="Short windows and unpublished counts: suggestive, not proof of a cause. "
                 "Pick a city.",
        description=(
            "Horizontal bar chart of percent changes in reports to police announced by the "
            "Houston and Los Angeles police departments for 2017. Houston, first quarter: "
            f"rapes reported by Hispanic victims {h['houston-rape-hispanic']:g}%, by "
            f"non-Hispanic victims about +{h['houston-rape-nonhispanic']:g}%; Houston full "
            f"year: all rapes +{h['houston-rape-year']:g}%. Los Angeles, January-February: "
            f"sexual assaults reported by Latino victims {h['la-sexual-hispanic']:g}%; to 30 "
            f"April: Hispanic victims {h['la-sexual-hispanic-apr']:g}%, citywide "
            f"{h['la-sexual-all-apr']:g}%. A drop-down filters the city."),
        datasets=["police_reported_changes_2017"],
    )


# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


def _wrapped(chart: alt.TopLevelMixin, width: int = 92) -> alt.TopLevelMixin:
    """Wrap a finished chart's subtitle and source lines so the chart fits the book's text
    column (Vega does not wrap titles itself)."""
    import textwrap

    title = chart.title
    lines = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
    title.subtitle = [part for line in lines for part in textwrap.wrap(str(line), width)]
    return chart


def programs_explorer(df: pd.DataFrame | None = None) -> alt.Chart:
    """Programs (rows) by the practices they illustrate (columns). Menus filter by practice
    and region, a slider by start year; clicking the evidence legend highlights one kind."""
    from . import practices as pr

    long = pr.programs_long(df)
    cols = ["program_id", "name", "agency", "place", "state", "region", "year_started",
            "year_note", "practices", "practice", "practice_label", "what_it_does",
            "evidence_kind", "evidence_summary", "confidence", "verification_note"]
    long = long[cols].copy()
    long["year_started"] = long["year_started"].astype("float")
    long["year_shown"] = long["year_started"].map(lambda y: "unknown" if pd.isna(y)
                                                  else str(int(y)))
    order = (long.drop_duplicates("program_id")
             .sort_values(["year_started", "name"], na_position="last")["name"].tolist())
    years = long["year_started"].dropna()
    lo, hi = int(years.min()), int(years.max())
    practice = alt.param(
        name="pe_practice", value="All",
        bind=alt.binding_select(options=["All", *pr.PRACTICES],
                                labels=["All practices", *pr.PRACTICES.values()],
                                name="Practice: "))
    region = alt.param(
        name="pe_region", value="All",
        bind=alt.binding_select(options=["All", "Northeast", "Midwest", "South", "West"],
                                labels=["All regions", "Northeast", "Midwest", "South", "West"],
                                name="Region: "))
    year = alt.param(
        name="pe_year", value=hi,
        bind=alt.binding_range(min=lo, max=hi, step=1, name="Started in or before: "))
    evidence = alt.selection_point(name="pe_evidence", fields=["evidence_kind"], bind="legend")
    chart = (
        alt.Chart(long)
        .transform_filter(
            "(pe_practice == 'All' || indexof(datum.practices, pe_practice) >= 0)"
            " && (pe_region == 'All' || datum.region == pe_region)"
            " && (!isValid(datum.year_started) || datum.year_started <= pe_year)")
        .mark_point(filled=True, size=220)
        .encode(
            x=alt.X("practice_label:N", title=None, sort=list(pr.PRACTICES.values()),
                    scale=alt.Scale(domain=list(pr.PRACTICES.values())),
                    axis=alt.Axis(orient="top", labelAngle=-45, labelLimit=140)),
            y=alt.Y("name:N", title=None, sort=order, axis=alt.Axis(labelLimit=280)),
            color=alt.Color("evidence_kind:N", title="Evidence of results (click)",
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=["evaluation", "descriptive", "none found"],
                                            range=["#1b9e77", "#1f6fb2", "#bdbdbd"])),
            shape=alt.Shape("confidence:N", title="Verified?",
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=["verified", "reported", "could not verify"],
                                            range=["square", "circle", "cross"])),
            opacity=alt.condition(evidence, alt.value(1.0), alt.value(0.15)),
            tooltip=[alt.Tooltip("name:N", title="Program"),
                     alt.Tooltip("agency:N", title="Run by"),
                     alt.Tooltip("year_shown:N", title="Started"),
                     alt.Tooltip("region:N", title="Region"),
                     alt.Tooltip("what_it_does:N", title="What it does"),
                     alt.Tooltip("evidence_kind:N", title="Evidence"),
                     alt.Tooltip("evidence_summary:N", title="What is known"),
                     alt.Tooltip("confidence:N", title="Confidence"),
                     alt.Tooltip("verification_note:N", title="What was checked")],
        )
        .add_params(practice, region, year, evidence)
        .properties(width=alt.Step(34), height=alt.Step(26))
    )
    n = long["program_id"].nunique()
    counts = pr.evidence_counts(df)
    unverified = int((long.drop_duplicates("program_id")["confidence"]
                      == "could not verify").sum())
    return _wrapped(finish(
        chart,
        title="Programs named as ways to keep immigrant communities' trust",
        subtitle="Filter with the menus and slider; click the colour legend; hover for details.",
        description=(
            f"Grid of {n} programs and state laws (rows, ordered by start year from {lo} to "
            f"{hi}) against {len(pr.PRACTICES)} trust-building practices (columns); a mark shows "
            f"that a program illustrates a practice. Colour gives the evidence of results: "
            f"{counts['evaluation']} with an evaluation, {counts['descriptive']} with "
            f"descriptive accounts only and {counts['none found']} with none found. Shape "
            f"gives verification: {unverified} programs as named could not be verified and "
            "are drawn as crosses."),
        datasets=["programs"],
    ))


def policy_builder(recs: pd.DataFrame | None = None,
                   defaults: dict[str, bool] | None = None) -> alt.VConcatChart:
    """Tick a jurisdiction's choices; the chart recomputes in the browser which
    recommendations are met and shows the evidence behind each. No kernel needed."""
    from . import practices as pr

    full = pr.check_choices(defaults or {})
    card = pr.scorecard(full, recs)
    card["met_when"] = card["met_when"].astype(bool)
    d = card[["rec_id", "short_label", "practice_label", "evidence_strength",
              "recommended_by", "choice", "met_when"]].copy()
    params = [alt.param(name=f"pb_{key}", value=full[key],
                        bind=alt.binding_checkbox(name=label))
              for key, label in pr.CHOICES.items()]
    lookup = "false"
    for key in reversed(list(pr.CHOICES)):
        lookup = f"(datum.choice == '{key}' ? pb_{key} : {lookup})"
    order = d["short_label"].tolist()
    base = alt.Chart(d).transform_calculate(
        met=f"{lookup} == datum.met_when",
        status="datum.met ? '✔ meets' : '✘ not yet'",
        met_num="datum.met ? 1 : 0")
    y = alt.Y("short_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=250))
    tooltip = [alt.Tooltip("short_label:N", title="Recommendation"),
               alt.Tooltip("practice_label:N", title="Practice"),
               alt.Tooltip("recommended_by:N", title="Recommended by"),
               alt.Tooltip("evidence_strength:N", title="Evidence")]
    status = base.mark_text(align="left", fontSize=13, fontWeight="bold").encode(
        y=y, x=alt.value(4), text="status:N",
        color=alt.Color("status:N", legend=None,
                        scale=alt.Scale(domain=["✔ meets", "✘ not yet"],
                                        range=["#1b7a3d", "#b23b3b"])),
        tooltip=tooltip,
    ).properties(width=78, height=alt.Step(24), title="Your jurisdiction")
    ev_y = alt.Y("short_label:N", sort=order, axis=None)
    swatch = base.mark_square(size=160, opacity=1).encode(
        y=ev_y, x=alt.value(8),
        color=alt.Color("evidence_strength:N", legend=None,
                        scale=alt.Scale(domain=pr.EVIDENCE_ORDER, range=pr.EVIDENCE_COLORS)),
        tooltip=tooltip)
    ev_text = base.mark_text(align="left", fontSize=11, color="#333333", limit=180).encode(
        y=ev_y, x=alt.value(20), text="evidence_strength:N", tooltip=tooltip)
    evidence = alt.layer(swatch, ev_text).properties(width=190, height=alt.Step(24),
                                                     title="Evidence behind it")
    total = base.transform_aggregate(n_met="sum(met_num)", n="count()").transform_calculate(
        line="'Your choices meet ' + datum.n_met + ' of ' + datum.n + ' recommendations.'"
    ).mark_text(align="left", fontSize=14, fontWeight="bold").encode(
        text="line:N", x=alt.value(0), y=alt.value(10)).properties(width=420, height=20)
    panels = alt.hconcat(status, evidence, spacing=4).resolve_scale(color="independent")
    chart = alt.vconcat(total, panels).add_params(*params)
    n = len(d)
    strong = int(d["evidence_strength"].isin(pr.EVIDENCE_ORDER[:2]).sum())
    contested = int((d["evidence_strength"] == "contested").sum())
    return _wrapped(finish(
        chart,
        title="Policy builder: which recommendations would your jurisdiction meet?",
        subtitle="Tick the boxes under the chart; it recomputes in your browser. Hover a row "
                 "for details.",
        description=(
            f"A checklist chart of {n} recommendations for preserving immigrant "
            f"communities' trust. {len(pr.CHOICES)} checkboxes describe a jurisdiction's "
            "choices (for example, whether it publishes its policy or has a 287(g) "
            "agreement); each recommendation is marked as met or not yet met for those "
            "choices, with a colour for the kind of evidence behind it "
            f"({strong} rest on court rulings or legal duties, {contested} contested); hovering "
            "a row shows who recommends it. A line at the top counts how many are met."),
        datasets=["recommendations"],
    ))


def u_visa_backlog(df: pd.DataFrame | None = None) -> alt.LayerChart:
    """U-visa petitions pending at year end (or received during the year), with the annual
    cap on principal visas for scale. A control switches the measure."""
    df = data.load("u_t_visas") if df is None else df
    d = df[(df["visa"] == "U") & (df["counted"] == "principal and family")
           & df["measure"].isin(["petitions_pending", "petitions_received"])
           & (df["as_of"].dt.month == 9)].copy()
    d["fiscal_year"] = d["fiscal_year"].astype(int)
    d["measure"] = d["measure"].map({"petitions_pending": "Pending at end of year",
                                     "petitions_received": "Received during year"})
    d = d[["fiscal_year", "measure", "value"]]
    cap = int(df.loc[(df["visa"] == "U") & (df["measure"] == "annual_cap"), "value"].iloc[0])
    measure = alt.param(
        name="uv_measure", value="Pending at end of year",
        bind=alt.binding_radio(options=["Pending at end of year", "Received during year"],
                               name="Show: "))
    hover = alt.selection_point(name="uv_hover", fields=["fiscal_year"], on="pointerover",
                                clear="pointerout", nearest=True)
    bars = (
        alt.Chart(d)
        .transform_filter("datum.measure == uv_measure")
        .mark_bar()
        .encode(
            x=alt.X("fiscal_year:O", title="Fiscal year"),
            y=alt.Y("value:Q", title="Petitions (victims and family members)"),
            color=alt.condition(hover, alt.value("#d95f02"), alt.value("#1f6fb2"), empty=False),
            tooltip=[alt.Tooltip("fiscal_year:O", title="Fiscal year"),
                     alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("value:Q", title="Petitions", format=",")],
        )
        .add_params(measure, hover)
    )
    label = f"Annual cap: {cap:,} U visas for victims (family members not capped)"
    rule_df = pd.DataFrame({"cap": [cap], "label": [label]})
    rule = alt.Chart(rule_df).mark_rule(strokeDash=[6, 4], color="#333333").encode(y="cap:Q")
    rule = rule.encode(tooltip=alt.Tooltip("label:N", title="Dashed line"))
    chart = alt.layer(bars, rule).properties(width=560, height=320)
    pend = d[d["measure"] == "Pending at end of year"].set_index("fiscal_year")["value"]
    first, last = int(pend.index.min()), int(pend.index.max())
    low_year = int(pend.idxmin())
    return _wrapped(finish(
        chart,
        title=f"U-visa petitions waiting for a decision, fiscal {first}–{last}",
        subtitle=f"Dashed line: annual cap of {cap:,} U visas for victims (the bars also "
                 "count family members).",
        description=(
            f"Bar chart by fiscal year from {first} to {last} of U-visa petitions pending at "
            f"the end of each year, with a dashed line at the annual cap of {cap:,} visas "
            f"for victims. Pending petitions fall to {int(pend[low_year]):,} in {low_year} and "
            f"then rise every year to {int(pend[last]):,} in {last}. A control switches the "
            "bars to petitions received during each year."),
        datasets=["u_t_visas"],
    ))
