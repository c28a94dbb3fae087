"""Chapter 1 (history) charts, and the removals chart every lab starts with.

Every chart here works without a mouse: its controls are form elements (menus, radio buttons,
sliders) that a keyboard reaches, a live sentence under the chart states the result of the
current view, and a data table under it holds everything the tooltips show."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data
from .base import MUTED_TEXT, PALETTE, WIDTH, finish, when, wrap_subtitle

# Administration boundaries are drawn as thin rules in this grey (3.4:1 on white): the light
# alternating band fills behind them are decoration, the rules and labels carry the spans.
BOUNDARY = "#8a8a8a"


def _cumulative(values, first: int, last: int, years) -> list[int]:
    """Running totals with a leading 0: ``out[b - first + 1] - out[a - first]`` is the sum
    over the years a..b (both included). Lets a Vega expression sum any period without a
    lambda."""
    by_year = dict.fromkeys(range(first, last + 1), 0)
    for y, v in zip(years, values, strict=True):
        if first <= y <= last and not pd.isna(v):
            by_year[int(y)] += int(v)
    out, run = [0], 0
    for y in range(first, last + 1):
        run += by_year[y]
        out.append(run)
    return out


def _span_expr(a: str, b: str) -> str:
    """Vega expression for a span of years: "1950–1960", or "1954" when both ends agree."""
    return f"({a} == {b} ? '' + {a} : {a} + '–' + {b})"


# ------------------------------------------------------------------------------------------
# Removals and returns (DHS Yearbook Table 39)


def removals_returns(df: pd.DataFrame | None = None, *, start: int = 1927,
                     end: int | None = None, administrations: bool | pd.DataFrame = False,
                     key: str = "", width: int = WIDTH - 80) -> alt.Chart:
    """Removals and returns per fiscal year, with a control to switch counts / shares and two
    sliders that narrow the chart to a period of fiscal years.

    ``administrations=True`` (or a DataFrame of the ``administrations`` dataset) shades each
    presidential administration's fiscal years behind the lines and lists the administrations
    in the data table (chapter 1). ``key`` prefixes the parameter names so that two of
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
    first, last = int(long["fiscal_year"].min()), int(long["fiscal_year"].max())
    measure = alt.param(
        name=f"{key}measure", value="Number of people",
        bind=alt.binding_radio(options=["Number of people", "Share of the year's total"],
                               name="Show"))
    lo_p = alt.param(name=f"{key}from_year", value=first,
                     bind=alt.binding_range(min=first, max=last, step=1,
                                            name="From fiscal year"))
    hi_p = alt.param(name=f"{key}to_year", value=last,
                     bind=alt.binding_range(min=first, max=last, step=1,
                                            name="To fiscal year"))
    a, b = f"min({key}from_year, {key}to_year)", f"max({key}from_year, {key}to_year)"
    x_scale = alt.Scale(domain={"expr": f"[{a} - 0.5, {b} + 0.5]"}, zero=False, nice=False)
    chart = (
        alt.Chart(long)
        .transform_filter(f"datum.fiscal_year >= {a} && datum.fiscal_year <= {b}")
        .transform_joinaggregate(total="sum(people)", groupby=["fiscal_year"])
        .transform_calculate(
            value=f"{key}measure == 'Number of people' ? datum.people : datum.people / datum.total")
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("fiscal_year:Q", title="Fiscal year", scale=x_scale,
                    axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("value:Q", title="People (or share of the year's total)",
                    axis=alt.Axis(labelExpr=_value_label(key, ","))),
            color=alt.Color("kind:N", title=None),
            tooltip=[alt.Tooltip("fiscal_year:Q", title="Fiscal year", format="d"),
                     alt.Tooltip("kind:N", title="Kind"),
                     alt.Tooltip("people:Q", title="People", format=","),
                     alt.Tooltip("total:Q", title="Removals + returns", format=",")],
        )
        .add_params(measure, lo_p, hi_p)
        .properties(width=width, height=320)
    )
    peak_ret = d.loc[d["returns"].idxmax()]
    peak_rem = d.loc[d["removals"].idxmax()]
    datasets = ["removals_returns"]
    subtitle = ("Use the controls to switch between counts and shares and to pick the fiscal "
                "years shown; the data table under the chart lists every year.")
    shading = ""
    years = d["fiscal_year"].astype(int)
    table = pd.DataFrame({
        "Fiscal year": [str(y) for y in years],
        "Removals (formal order)": [f"{int(v):,}" for v in d["removals"]],
        "Returns (no order)": ["–" if pd.isna(v) else f"{int(v):,}" for v in d["returns"]],
    })
    both = d["removals"].astype(float) + d["returns"].astype(float)
    table["Removals + returns"] = ["–" if pd.isna(v) else f"{int(v):,}" for v in both]
    table["Returns' share"] = ["–" if pd.isna(t) else f"{r / t:.1%}"
                               for r, t in zip(d["returns"].astype(float), both, strict=True)]
    if administrations is not False:
        admins = data.load("administrations") if administrations is True else administrations
        chart = alt.layer(_administration_bands(d, admins, first, last, x_scale, a, b), chart
                          ).resolve_scale(color="independent")
        datasets.append("administrations")
        subtitle = ("Shaded bands: presidential administrations (fiscal years in which the "
                    "president held office for more than half the days). " + subtitle)
        spans = _spans_with_totals(d, admins, first, last)
        n = len(spans)
        shading = (f" Alternating shaded bands behind the lines mark the fiscal years of "
                   f"{n} presidential administrations, labelled at the top.")
        starts = {int(max(s.first_fy, first)): s for s in spans.itertuples(index=False)}
        table["Administration starting this year (its totals in the data)"] = [
            (f"{s.president}, {s.years}: {s.removals:,} removals, {s.returns:,} returns"
             if (s := starts.get(int(y))) is not None and s.removals is not None else
             f"{s.president}, {s.years}" if s is not None else "") for y in years]
    rem_c = _cumulative(d["removals"], first, last, years)
    ret_c = _cumulative(d["returns"], first, last, years)
    lookup = alt.param(name=f"{key}sums", value={"removals": rem_c, "returns": ret_c})
    chart = chart.add_params(lookup)
    s = f"{key}sums"
    i0, i1 = f"({a} - {first})", f"({b} - {first} + 1)"
    rem = f"({s}.removals[{i1}] - {s}.removals[{i0}])"
    ret = f"({s}.returns[{i1}] - {s}.returns[{i0}])"
    live = (
        f"'Fiscal ' + {_span_expr(a, b)} + ' (' + ({b} - {a} + 1) + "
        f"({a} == {b} ? ' year), ' : ' years), ') + "
        f"({key}measure == 'Number of people' ? "
        f"'counts: ' + format({ret}, ',') + ' returns and ' + format({rem}, ',') + "
        f"' removals, ' + format({ret} + {rem}, ',') + ' in all.' : "
        f"'shares: returns were ' + format({ret} / ({ret} + {rem}), '.1%') + "
        f"' and removals ' + format({rem} / ({ret} + {rem}), '.1%') + "
        f"' of all ' + format({ret} + {rem}, ',') + ' removals and returns.')"
    )
    # Small screens: shorter numbers on the vertical axis ("1.5M") leave room for the plot.
    lines = {"encoding": {"x": {"axis": {"tickCount": 4}},
                          "y": {"axis": {"labelExpr": _value_label(key, "~s")}}}}
    narrow = {"height": 240, **lines} if administrations is False else {
        "height": 240, "layer": [{}, lines]}
    done = finish(
        chart,
        title=f"Removals and returns by fiscal year, {first}–{last}",
        subtitle=subtitle,
        description=(
            f"Line chart of two series per U.S. fiscal year from {first} to {last}: formal "
            f"removals and returns (departures without a removal order). Returns peak in fiscal "
            f"{int(peak_ret['fiscal_year'])} at {int(peak_ret['returns']):,}; removals peak in "
            f"fiscal {int(peak_rem['fiscal_year'])} at {int(peak_rem['removals']):,}. A control "
            "switches the vertical axis between counts and each kind's share of the year's "
            "total; two sliders pick the first and last fiscal year shown." + shading
        ),
        datasets=datasets,
        table=table,
        table_caption=(f"Removals and returns by fiscal year, {first}–{last}"
                       + (", with the administrations" if shading else "")),
        live=live,
        live_name=f"{key}rr_live",
        narrow=narrow,
    )
    return done if administrations is False else wrap_subtitle(done, width)


def _value_label(key: str, number_format: str) -> str:
    """Axis labels of the removals chart: counts as numbers, shares as percentages."""
    return (f"{key}measure == 'Number of people' ? format(datum.value, '{number_format}') "
            ": format(datum.value, '.0%')")


def _spans_with_totals(d: pd.DataFrame, admins: pd.DataFrame, first: int,
                       last: int) -> pd.DataFrame:
    """Each administration's fiscal-year span in the chart, with its totals in the data."""
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
    return spans


def _administration_bands(d: pd.DataFrame, admins: pd.DataFrame, first: int,
                          last: int, x_scale: alt.Scale, a: str, b: str) -> alt.LayerChart:
    """Shaded fiscal-year spans of each administration, labelled, with totals in a tooltip
    (the same totals are in the chart's data table)."""
    spans = _spans_with_totals(d, admins, first, last)
    base = alt.Chart(spans)
    x = alt.X("x0:Q", title="Fiscal year", axis=alt.Axis(format="d"), scale=x_scale)
    bands = base.mark_rect(opacity=0.55, clip=True).encode(
        x=x, x2="x1:Q",
        color=alt.Color("band:N", scale=alt.Scale(range=["#f0f0f0", "#dcdcdc"]), legend=None),
        tooltip=[alt.Tooltip("president:N", title="President"),
                 alt.Tooltip("years:N", title="Fiscal years"),
                 alt.Tooltip("removals:Q", title="Removals (in data)", format=","),
                 alt.Tooltip("returns:Q", title="Returns (in data)", format=",")],
    )
    rules = base.mark_rule(color=BOUNDARY, strokeWidth=0.75, clip=True).encode(x=x)
    # A label only where its band is at least 11 px wide at the current width and period.
    visible = f"(datum.x1 - datum.x0) * width / ({b} - {a} + 1) >= 11"
    labels = base.transform_filter(visible).mark_text(
        angle=270, align="right", baseline="middle", dy=0, fontSize=10, color=MUTED_TEXT,
        clip=True).encode(
        x=alt.X("mid:Q", title="Fiscal year", scale=x_scale), y=alt.value(4),
        text="label:N")
    return alt.layer(bands, rules, labels)


# ------------------------------------------------------------------------------------------
# History (chapter 1): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

CH1_WIDTH = 600  # chapter 1 charts fit the book's text column (axis labels included)


def _fit(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return wrap_subtitle(chart, CH1_WIDTH)


TIMELINE_CATEGORIES = ["Enforcement operation", "Law", "Local policy", "Federal program",
                       "287(g) program", "Court decision", "Agency"]


def timeline(df: pd.DataFrame | None = None, *, key: str = "ch1_tl_") -> alt.Chart:
    """Events by date and category. A menu picks a category (the others fade) and two
    sliders pick the first and last year shown; the live line names how many events the view
    holds and the first and last of them. The data table lists every event with its detail
    and source (what the tooltips show)."""
    df = data.load("timeline") if df is None else df
    df = df.sort_values("date", kind="stable")
    d = df.copy()
    d["when"] = [when(x, p) for x, p in zip(df["date"], df["date_precision"], strict=True)]
    # Decimal year (1979.9 = late 1979): a numeric axis gets whole-year ticks at any zoom.
    d["year"] = df["date"].dt.year
    d["t"] = (d["year"] + (df["date"].dt.day_of_year - 1) / 366).round(3)
    d = d[["t", "year", "when", "event", "category", "detail", "source", "confidence"]]
    cats = [c for c in TIMELINE_CATEGORIES if c in set(d["category"])]
    cats += sorted(set(d["category"]) - set(cats))
    first, last = int(d["year"].min()), int(d["year"].max())
    category = alt.param(name=f"{key}category", value="All",
                         bind=alt.binding_select(options=["All", *cats], name="Category"))
    lo_p = alt.param(name=f"{key}from_year", value=first,
                     bind=alt.binding_range(min=first, max=last, step=1, name="From year"))
    hi_p = alt.param(name=f"{key}to_year", value=last,
                     bind=alt.binding_range(min=first, max=last, step=1, name="To year"))
    a, b = f"min({key}from_year, {key}to_year)", f"max({key}from_year, {key}to_year)"
    # Running counts and event names per category, for the live sentence.
    counts, events = {}, {}
    for c in ["All", *cats]:
        part = d if c == "All" else d[d["category"] == c]
        counts[c] = _cumulative([1] * len(part), first, last, part["year"])
        events[c] = [f"{e} ({w})" for e, w in zip(part["event"], part["when"], strict=True)]
    lookup = alt.param(name=f"{key}events", value={"count": counts, "names": events})
    shown = f"({key}category == 'All' || datum.category == {key}category)"
    chart = (
        alt.Chart(d)
        .mark_circle(size=110, stroke="#333333", strokeWidth=0.5, clip=True)
        .encode(
            x=alt.X("t:Q", title="Year",
                    scale=alt.Scale(domain={"expr": f"[{a}, {b} + 1]"}, zero=False,
                                    nice=False, padding=8),
                    axis=alt.Axis(format="d", tickMinStep=1, labelOverlap=True)),
            y=alt.Y("category:N", title=None, sort=cats,
                    axis=alt.Axis(labelExpr="split(datum.label, ' ')", labelLimit=0)),
            color=alt.Color("category:N", title="Category",
                            scale=alt.Scale(domain=cats, range=PALETTE[:len(cats)]),
                            legend=None),
            opacity=alt.condition(shown, alt.value(0.95), alt.value(0.08)),
            tooltip=[alt.Tooltip("when:N", title="Date"),
                     alt.Tooltip("event:N", title="Event"),
                     alt.Tooltip("detail:N", title="Detail"),
                     alt.Tooltip("source:N", title="Source (bibliography key)"),
                     alt.Tooltip("confidence:N", title="Confidence")],
        )
        .add_params(category, lo_p, hi_p, lookup)
        .properties(width=CH1_WIDTH - 130, height=260)
    )
    c, n = f"{key}category", f"{key}events"
    i0, i1 = f"({a} - {first})", f"({b} - {first} + 1)"
    k0, k1 = f"{n}.count[{c}][{i0}]", f"{n}.count[{c}][{i1}]"
    live = (
        f"({c} == 'All' ? 'All categories' : {c}) + ', ' + {_span_expr(a, b)} + ': ' + "
        f"({k1} - {k0} == 0 ? 'no events; widen the period to see some.' : "
        f"{k1} - {k0} == 1 ? '1 event, ' + {n}.names[{c}][{k0}] + '.' : "
        f"({k1} - {k0}) + ' events, from ' + {n}.names[{c}][{k0}] + ' to ' + "
        f"{n}.names[{c}][{k1} - 1] + '.')"
    )
    table = pd.DataFrame({"Date": d["when"], "Category": d["category"], "Event": d["event"],
                          "Detail": d["detail"], "Source (bibliography key)": d["source"],
                          "Confidence": d["confidence"]})
    tally = d["category"].value_counts()
    parts = ", ".join(f"{tally[c]} {c.lower()}" for c in cats)
    return _fit(finish(
        chart,
        title=f"From repatriation drives to 287(g): {len(d)} events, {first}–{last}",
        subtitle="Pick a category to highlight and the years to show with the controls; "
                 "the data table under the chart lists every event with its source.",
        description=(
            f"Timeline of {len(d)} events from {first} to {last}, one row per category "
            f"({parts}). Events cluster in three periods: the Depression-era repatriations of "
            "the early 1930s, the local non-inquiry policies of 1979 to 1989 with the 1996 "
            "law creating 287(g), and the federal programmes and 287(g) changes after 2002. "
            "A menu highlights one category (the others fade) and two sliders narrow the "
            "chart to a period."
        ),
        datasets=["timeline"],
        table=table,
        table_caption=f"The {len(d)} events of the timeline, in date order",
        live=live,
        live_name=f"{key}live",
        narrow={"height": 300, "encoding": {"x": {"axis": {"tickCount": 4}}}},
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


def _short(text: str, chars: int) -> str:
    """``text`` cut at a word boundary to at most ``chars`` characters, with "…" if cut."""
    if len(text) <= chars:
        return text
    return textwrap.shorten(text, chars, placeholder="…")


def _estimate_row(producer: str, year: int, measure: str) -> str:
    """One y-axis label with two layouts, "wide^narrow", lines separated by "|": the axis
    shows the wide one (two lines) and the small-screen version the narrow one (short
    lines). The full text of every row is in the chart's data table."""
    who, what = f"{_short_producer(producer)} {year}", _short(measure, 34)
    narrow = textwrap.wrap(f"{who}: {what}", 16)
    return f"{who}|{what}^" + "|".join(narrow)


def historic_estimates(df: pd.DataFrame | None = None, *,
                       key: str = "ch1_est_") -> alt.Chart:
    """Each published estimate as a dot (single figure or bound) or a bar (range), coloured by
    who produced it. A control switches between the two episodes."""
    df = data.load("historic_estimates") if df is None else df
    d = df.copy()
    d["estimate_low"] = d["estimate_low"].astype(float)
    d["estimate_high"] = d["estimate_high"].astype(float)
    d["label"] = [f"{p} ({y})" for p, y in zip(d["producer"], d["year"], strict=True)]
    d["row"] = [_estimate_row(p, y, m)
                for p, y, m in zip(d["producer"], d["year"], d["measure"], strict=True)]
    d["figure"] = [f"{int(lo):,}" if lo == hi else f"{int(lo):,}–{int(hi):,}"
                   for lo, hi in zip(d["estimate_low"], d["estimate_high"], strict=True)]
    d["figure"] = [("at least " if k == "lower bound" else "at most " if k == "upper bound"
                    else "") + f for k, f in zip(d["kind"], d["figure"], strict=True)]
    d = d.drop(columns=["notes", "id"])
    episodes = list(dict.fromkeys(d["episode"]))
    episode = alt.param(name=f"{key}episode", value=episodes[0],
                        bind=alt.binding_radio(options=episodes, name="Episode"))
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
                axis=alt.Axis(labelExpr="split(split(datum.label, '^')[0], '|')",
                              labelLimit=0, labelFontSize=11)),
        color=color, tooltip=tooltip)
    bars = base.mark_bar(height=8).encode(
        x=alt.X("estimate_low:Q", title="People (estimate)",
                axis=alt.Axis(format="~s", tickCount=5, labelOverlap=True)),
        x2="estimate_high:Q")
    dots = base.mark_point(size=90, filled=True).encode(
        x="estimate_high:Q",
        shape=alt.Shape("kind:N", title="Kind of figure", legend=alt.Legend(columns=1),
                        scale=alt.Scale(domain=["point", "range", "lower bound", "upper bound"],
                                        range=["circle", "square", "triangle-right",
                                               "triangle-left"])))
    chart = alt.layer(bars, dots).add_params(episode).properties(width=CH1_WIDTH - 290,
                                                                 height=alt.Step(34))
    # Small screens: short label lines, and no colour legend (it would run off the right
    # edge under the narrow plot; each row's label names its producer, the table its kind).
    narrow_y = {"encoding": {"y": {"axis": {
        "labelExpr": "split(split(datum.label, '^')[1], '|')"}}, "color": {"legend": None}}}
    # Live sentence per episode: how many figures, and the smallest and largest.
    sentences = {}
    for ep in episodes:
        part = d[d["episode"] == ep].sort_values("estimate_high")
        low, high = part.iloc[0], part.iloc[-1]
        sentences[ep] = (
            f"{ep}: {len(part)} published figures, from {low['figure']} "
            f"({_short_producer(low['producer'])} {low['year']}: {low['measure'][:1].lower()}"
            f"{low['measure'][1:]}) to {high['figure']} ({_short_producer(high['producer'])} "
            f"{high['year']}: {high['measure'][:1].lower()}{high['measure'][1:]}); "
            "the rows count different things over different periods.")
    order = d.sort_values(["episode", "estimate_high"], ascending=[True, False],
                          key=lambda s: s.map(episodes.index) if s.name == "episode" else s)
    table = pd.DataFrame({
        "Episode": order["episode"], "Produced by": order["label"],
        "Who they are": order["producer_type"], "What is counted": order["measure"],
        "Estimate": order["figure"], "Kind of figure": order["kind"],
        "Period": order["period"], "Method": order["method"],
        "Confidence": order["confidence"], "Source (bibliography key)": order["source"]})
    rep = d[d["episode"] == "Mexican Repatriation"]
    lo, hi = rep["estimate_low"].min(), rep["estimate_high"].max()
    return _fit(finish(
        chart,
        title="Who counted what: estimates of the Repatriation and of Operation Wetback",
        subtitle="Switch episode with the control; the data table under the chart says what "
                 "each figure counts, over which years and by what method.",
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
        table=table,
        table_caption="Published estimates of the Mexican Repatriation and of Operation Wetback",
        live=_lookup_expr(sentences, f"{key}episode"),
        live_name=f"{key}live",
        narrow={"height": {"step": 70},
                "layer": [narrow_y, narrow_y]},
    ))


def _lookup_expr(table: dict[str, str], key_expr: str) -> str:
    """A Vega expression that picks a precomputed sentence by a control's value."""
    import json

    return f"{json.dumps(table, ensure_ascii=False)}[{key_expr}]"


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
    rules = (("majority", "Majority of the fiscal year in office"),
             ("starts_in_term", "Fiscal years that began in the term"))
    for rule, text in rules:
        t = history.totals_by_administration(removals, admins, rule)
        t = t[t["complete"] & (t["first_fy"] >= since)]
        t = t.assign(rule_text=text,
                     span=[f"FY{a}–FY{b}" for a, b in zip(t["first_fy"], t["last_fy"],
                                                          strict=True)])
        frames.append(t)
    t = pd.concat(frames, ignore_index=True)
    long = t.melt(id_vars=["administration", "president", "rule_text", "span", "total"],
                  value_vars=["removals", "returns"], var_name="kind", value_name="people")
    kinds = {"removals": "Removals (formal order)", "returns": "Returns (no order)"}
    long["kind"] = long["kind"].map(kinds)
    order = list(dict.fromkeys(t.sort_values("first_fy")["administration"]))
    rule = alt.param(name=f"{key}rule", value=rules[0][1],
                     bind=alt.binding_radio(options=[r[1] for r in rules],
                                            name="Assign fiscal years by"))
    shows = ["Both", *kinds.values()]
    show = alt.param(name=f"{key}show", value="Both",
                     bind=alt.binding_select(options=shows, name="Show"))
    chart = (
        alt.Chart(long)
        .transform_filter(f"datum.rule_text == {key}rule")
        .transform_filter(f"{key}show == 'Both' || datum.kind == {key}show")
        .mark_bar()
        .encode(
            x=alt.X("administration:N", sort=order, title=None,
                    axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')")),
            y=alt.Y("people:Q", title="People (sum over the administration's fiscal years)",
                    axis=alt.Axis(format="~s")),
            color=alt.Color("kind:N", title=None,
                            scale=alt.Scale(domain=list(kinds.values()), range=PALETTE[:2])),
            tooltip=[alt.Tooltip("president:N", title="President"),
                     alt.Tooltip("span:N", title="Fiscal years"),
                     alt.Tooltip("kind:N", title="Kind"),
                     alt.Tooltip("people:Q", title="People", format=","),
                     alt.Tooltip("total:Q", title="Removals + returns", format=",")],
        )
        .add_params(rule, show)
        .properties(width=CH1_WIDTH - 70, height=300)
    )
    # The live sentence for each rule and measure: the largest and smallest bar.
    column = {"Both": "total", kinds["removals"]: "removals", kinds["returns"]: "returns"}
    what = {"Both": "removals and returns together", kinds["removals"]: "removals",
            kinds["returns"]: "returns"}
    short_rule = {rules[0][1]: "Majority-of-days rule", rules[1][1]: "Began-in-the-term rule"}
    sentences = {}
    for _, text in rules:
        part = t[t["rule_text"] == text]
        for s in shows:
            top = part.loc[part[column[s]].idxmax()]
            low = part.loc[part[column[s]].idxmin()]
            sentences[f"{text}|{s}"] = (
                f"{short_rule[text]}, "
                f"{what[s]}: most under {top['administration']} "
                f"({int(top[column[s]]):,} in {top['span']}), fewest under "
                f"{low['administration']} ({int(low[column[s]]):,} in {low['span']}).")
    table = t.sort_values(["rule_text", "first_fy"], ascending=[False, True])
    table = pd.DataFrame({
        "Rule for fiscal years": table["rule_text"], "Administration": table["administration"],
        "President": table["president"], "Fiscal years": table["span"],
        "Removals (formal order)": [f"{int(v):,}" for v in table["removals"]],
        "Returns (no order)": [f"{int(v):,}" for v in table["returns"]],
        "Removals + returns": [f"{int(v):,}" for v in table["total"]]})
    maj = t[t["rule_text"].str.startswith("Majority")].set_index("administration")
    top_rem = maj["removals"].idxmax()
    top_ret = maj["returns"].idxmax()
    return _fit(finish(
        chart,
        title="Removals and returns by administration (complete administrations only)",
        subtitle="Pick how fiscal years are assigned to presidents and which measure to show; "
                 "the data table under the chart lists both rules.",
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
        table=table,
        table_caption="Removals and returns by administration, under both rules",
        live=_lookup_expr(sentences, f"{key}rule + '|' + {key}show"),
        live_name=f"{key}live",
        narrow={"height": 240,
                "encoding": {"x": {"axis": {"labelAngle": -45, "labelAlign": "right",
                                            "labelExpr": "datum.label"}},
                             "y": {"title": "People (sum of its fiscal years)"}}},
    ))
