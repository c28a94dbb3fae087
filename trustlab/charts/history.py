"""Chapter 1 (history) charts, and the removals chart every lab starts with.

Every chart here works without a mouse: its controls are form elements (menus, radio buttons,
sliders) that a keyboard reaches, a live sentence under the chart states the result of the
current view, and a data table under it holds everything the tooltips show.

Every builder takes ``lang`` ("en" or "es"; the current language by default): the chart's
text comes from the catalogue ``locales/es/LC_MESSAGES/trustlab/charts-history.po``. Most
controls keep English values (the filters compare them with the data's English columns) and
show translated labels; ``administration_totals``'s "Show" menu takes the translated kinds of
its data as values."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data
from ..i18n import N_, translator
from .base import (
    MUTED_TEXT,
    PALETTE,
    WIDTH,
    binding_labels,
    finish,
    message_pieces,
    vega_concat,
    vega_literal,
    vega_lookup,
    vega_message,
    vega_str,
    when,
    wrap_subtitle,
)

# Data values the charts show (legend, axis and menu labels, tooltip and table cells): the
# catalogue holds every value of these columns (``python -m trustlab.translations update``).
TRANSLATED_DATA = {
    "timeline": ["event", "category", "detail", "confidence"],
    "historic_estimates": ["episode", "measure", "period", "kind", "producer",
                           "producer_type", "method", "confidence"],
}

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


def _vega(message: str, **exprs: str) -> str:
    """A live-summary message as a Vega string expression: its text as literals, each
    ``{name}`` replaced by the expression ``exprs[name]``."""
    return vega_message(message, exprs)


def _vega_choice(cond: str, if_true: str, if_false: str, **exprs: str) -> str:
    """Two whole messages (e.g. singular and plural) as one Vega expression that picks one by
    ``cond``; the parts both share are written once, outside the condition."""
    a, b = message_pieces(if_true, exprs), message_pieces(if_false, exprs)
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    mid = f"({cond} ? {vega_concat(a[i:len(a) - j])} : {vega_concat(b[i:len(b) - j])})"
    return vega_concat([*a[:i], (True, mid), *a[len(a) - j:]])


# ------------------------------------------------------------------------------------------
# Removals and returns (DHS Yearbook Table 39)


def removals_returns(df: pd.DataFrame | None = None, *, start: int = 1927,
                     end: int | None = None, administrations: bool | pd.DataFrame = False,
                     key: str = "", width: int = WIDTH - 80,
                     lang: str | None = None) -> alt.Chart:
    """Removals and returns per fiscal year, with a control to switch counts / shares and two
    sliders that narrow the chart to a period of fiscal years.

    ``administrations=True`` (or a DataFrame of the ``administrations`` dataset) shades each
    presidential administration's fiscal years behind the lines and lists the administrations
    in the data table (chapter 1). ``key`` prefixes the parameter names so that two of
    these charts can share a page. The default ``width`` leaves room for the axis labels
    within the book's text column.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    df = data.load("removals_returns") if df is None else df
    end = int(df["fiscal_year"].max()) if end is None else end
    d = df[(df["fiscal_year"] >= start) & (df["fiscal_year"] <= end)]
    long = d.melt(id_vars="fiscal_year", value_vars=["removals", "returns"],
                  var_name="kind", value_name="people").dropna()
    removals_label, returns_label = t("Removals (formal order)"), t("Returns (no order)")
    both_label = t("Removals + returns")
    long["kind"] = long["kind"].map({"removals": removals_label, "returns": returns_label})
    long["people"] = long["people"].astype(float)
    first, last = int(long["fiscal_year"].min()), int(long["fiscal_year"].max())
    measures = [N_("Number of people"), N_("Share of the year's total")]  # values: English
    measure = alt.param(
        name=f"{key}measure", value="Number of people",
        bind=alt.binding_radio(options=measures, name=t("Show"),
                               **binding_labels(measures, [t(m) for m in measures])))
    lo_p = alt.param(name=f"{key}from_year", value=first,
                     bind=alt.binding_range(min=first, max=last, step=1,
                                            name=t("From fiscal year")))
    hi_p = alt.param(name=f"{key}to_year", value=last,
                     bind=alt.binding_range(min=first, max=last, step=1,
                                            name=t("To fiscal year")))
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
            x=alt.X("fiscal_year:Q", title=t("Fiscal year"), scale=x_scale,
                    axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("value:Q", title=t("People (or share of the year's total)"),
                    axis=alt.Axis(labelExpr=_value_label(key, ","))),
            color=alt.Color("kind:N", title=None),
            tooltip=[alt.Tooltip("fiscal_year:Q", title=t("Fiscal year"), format="d"),
                     alt.Tooltip("kind:N", title=t("Kind")),
                     alt.Tooltip("people:Q", title=t("People"), format=","),
                     alt.Tooltip("total:Q", title=both_label, format=",")],
        )
        .add_params(measure, lo_p, hi_p)
        .properties(width=width, height=320)
    )
    peak_ret = d.loc[d["returns"].idxmax()]
    peak_rem = d.loc[d["removals"].idxmax()]
    datasets = ["removals_returns"]
    subtitle = t("Use the controls to switch between counts and shares and to pick the fiscal "
                 "years shown; the data table under the chart lists every year.")
    shading = ""
    years = d["fiscal_year"].astype(int)
    table = pd.DataFrame({
        t("Fiscal year"): [str(y) for y in years],
        removals_label: [f"{int(v):,}" for v in d["removals"]],
        returns_label: ["–" if pd.isna(v) else f"{int(v):,}" for v in d["returns"]],
    })
    both = d["removals"].astype(float) + d["returns"].astype(float)
    table[both_label] = ["–" if pd.isna(v) else f"{int(v):,}" for v in both]
    table[t("Returns' share")] = ["–" if pd.isna(tot) else f"{r / tot:.1%}"
                                 for r, tot in zip(d["returns"].astype(float), both,
                                                   strict=True)]
    if administrations is not False:
        admins = data.load("administrations") if administrations is True else administrations
        chart = alt.layer(_administration_bands(d, admins, first, last, x_scale, a, b, lang),
                          chart).resolve_scale(color="independent")
        datasets.append("administrations")
        subtitle = t("Shaded bands: presidential administrations (fiscal years in which the "
                     "president held office for more than half the days). Use the controls "
                     "to switch between counts and shares and to pick the fiscal years shown; "
                     "the data table under the chart lists every year.")
        spans = _spans_with_totals(d, admins, first, last, lang)
        n = len(spans)
        shading = " " + t("Alternating shaded bands behind the lines mark the fiscal years of "
                          "{n} presidential administrations, labelled at the top.").format(n=n)
        starts = {int(max(s.first_fy, first)): s for s in spans.itertuples(index=False)}
        with_totals = t("{president}, {years}: {removals:,} removals, {returns:,} returns")
        without = t("{president}, {years}")
        table[t("Administration starting this year (its totals in the data)")] = [
            (with_totals.format(president=s.president, years=s.years, removals=s.removals,
                                returns=s.returns)
             if (s := starts.get(int(y))) is not None and s.removals is not None else
             without.format(president=s.president, years=s.years) if s is not None else "")
            for y in years]
    rem_c = _cumulative(d["removals"], first, last, years)
    ret_c = _cumulative(d["returns"], first, last, years)
    lookup = alt.param(name=f"{key}sums", value={"removals": rem_c, "returns": ret_c})
    chart = chart.add_params(lookup)
    s = f"{key}sums"
    i0, i1 = f"({a} - {first})", f"({b} - {first} + 1)"
    rem = f"({s}.removals[{i1}] - {s}.removals[{i0}])"
    ret = f"({s}.returns[{i1}] - {s}.returns[{i0}])"
    # The live sentence: "<period> (<n> years), <result>", the result in counts or shares.
    total = f"format({ret} + {rem}, ',')"
    counts = _vega(t("counts: {returns} returns and {removals} removals, {total} in all."),
                   returns=f"format({ret}, ',')", removals=f"format({rem}, ',')", total=total)
    shares = _vega(t("shares: returns were {returns_share} and removals {removals_share} of "
                     "all {total} removals and returns."),
                   returns_share=f"format({ret} / ({ret} + {rem}), '.1%')",
                   removals_share=f"format({rem} / ({ret} + {rem}), '.1%')", total=total)
    live = _vega_choice(
        f"{a} == {b}", t("Fiscal {span} ({n} year), {result}"),
        t("Fiscal {span} ({n} years), {result}"), span=_span_expr(a, b),
        n=f"({b} - {a} + 1)",
        result=f"({key}measure == 'Number of people' ? {counts} : {shares})")
    # Small screens: shorter numbers on the vertical axis ("1.5M") leave room for the plot.
    lines = {"encoding": {"x": {"axis": {"tickCount": 4}},
                          "y": {"axis": {"labelExpr": _value_label(key, "~s")}}}}
    narrow = {"height": 240, **lines} if administrations is False else {
        "height": 240, "layer": [{}, lines]}
    caption = (t("Removals and returns by fiscal year, {first}–{last}, with the "
                 "administrations") if shading else
               t("Removals and returns by fiscal year, {first}–{last}"))
    done = finish(
        chart,
        title=t("Removals and returns by fiscal year, {first}–{last}").format(
            first=first, last=last),
        subtitle=subtitle,
        description=t(
            "Line chart of two series per U.S. fiscal year from {first} to {last}: formal "
            "removals and returns (departures without a removal order). Returns peak in fiscal "
            "{returns_year} at {returns_peak:,}; removals peak in fiscal {removals_year} at "
            "{removals_peak:,}. A control switches the vertical axis between counts and each "
            "kind's share of the year's total; two sliders pick the first and last fiscal "
            "year shown.").format(
            first=first, last=last, returns_year=int(peak_ret["fiscal_year"]),
            returns_peak=int(peak_ret["returns"]), removals_year=int(peak_rem["fiscal_year"]),
            removals_peak=int(peak_rem["removals"])) + shading,
        datasets=datasets,
        table=table,
        table_caption=caption.format(first=first, last=last),
        live=live,
        live_name=f"{key}rr_live",
        narrow=narrow,
        lang=lang,
    )
    return done if administrations is False else wrap_subtitle(done, width)


def _value_label(key: str, number_format: str) -> str:
    """Axis labels of the removals chart: counts as numbers, shares as percentages."""
    return (f"{key}measure == 'Number of people' ? format(datum.value, '{number_format}') "
            ": format(datum.value, '.0%')")


def _spans_with_totals(d: pd.DataFrame, admins: pd.DataFrame, first: int,
                       last: int, lang: str | None = None) -> pd.DataFrame:
    """Each administration's fiscal-year span in the chart, with its totals in the data."""
    from .. import history

    t = translator(lang)
    spans = history.administration_spans(admins, first, last)
    totals = history.totals_by_administration(d, admins).set_index("administration")
    spans["band"] = [i % 2 for i in range(len(spans))]
    for col in ("removals", "returns"):
        spans[col] = [int(totals.loc[a, col]) if a in totals.index else None
                      for a in spans["administration"]]
    closed, open_ended = t("FY{first}–FY{last}"), t("FY{first}–")
    spans["years"] = [closed.format(first=a, last=b) if b < 2100 else
                      open_ended.format(first=a)
                      for a, b in zip(spans["first_fy"], spans["last_fy"], strict=True)]
    spans["mid"] = (spans["x0"] + spans["x1"]) / 2
    return spans


def _administration_bands(d: pd.DataFrame, admins: pd.DataFrame, first: int,
                          last: int, x_scale: alt.Scale, a: str, b: str,
                          lang: str | None = None) -> alt.LayerChart:
    """Shaded fiscal-year spans of each administration, labelled, with totals in a tooltip
    (the same totals are in the chart's data table)."""
    t = translator(lang)
    spans = _spans_with_totals(d, admins, first, last, lang)
    base = alt.Chart(spans)
    x = alt.X("x0:Q", title=t("Fiscal year"), axis=alt.Axis(format="d"), scale=x_scale)
    bands = base.mark_rect(opacity=0.55, clip=True).encode(
        x=x, x2="x1:Q",
        color=alt.Color("band:N", scale=alt.Scale(range=["#f0f0f0", "#dcdcdc"]), legend=None),
        tooltip=[alt.Tooltip("president:N", title=t("President")),
                 alt.Tooltip("years:N", title=t("Fiscal years")),
                 alt.Tooltip("removals:Q", title=t("Removals (in data)"), format=","),
                 alt.Tooltip("returns:Q", title=t("Returns (in data)"), format=",")],
    )
    rules = base.mark_rule(color=BOUNDARY, strokeWidth=0.75, clip=True).encode(x=x)
    # A label only where its band is at least 11 px wide at the current width and period.
    visible = f"(datum.x1 - datum.x0) * width / ({b} - {a} + 1) >= 11"
    labels = base.transform_filter(visible).mark_text(
        angle=270, align="right", baseline="middle", dy=0, fontSize=10, color=MUTED_TEXT,
        clip=True).encode(
        x=alt.X("mid:Q", title=t("Fiscal year"), scale=x_scale), y=alt.value(4),
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


def _two_lines(label: str) -> list[str]:
    """An axis label on at most two lines, split at the space that makes the longer line
    shortest."""
    words = label.split(" ")
    if len(words) < 2:
        return [label]
    cut = min(range(1, len(words)), key=lambda i: max(len(" ".join(words[:i])),
                                                      len(" ".join(words[i:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def timeline(df: pd.DataFrame | None = None, *, key: str = "ch1_tl_",
             lang: str | None = None) -> alt.Chart:
    """Events by date and category. A menu picks a category (the others fade) and two
    sliders pick the first and last year shown; the live line names how many events the view
    holds and the first and last of them. The data table lists every event with its detail
    and source (what the tooltips show).

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default. The ``category`` values in the chart's data stay in English (the menu filters on
    them); the axis, menu, table and live line show them translated."""
    t = translator(lang)
    df = data.load("timeline") if df is None else df
    df = df.sort_values("date", kind="stable")
    d = df.copy()
    d["when"] = [when(x, p, lang) for x, p in zip(df["date"], df["date_precision"],
                                                  strict=True)]
    # Decimal year (1979.9 = late 1979): a numeric axis gets whole-year ticks at any zoom.
    d["year"] = df["date"].dt.year
    d["t"] = (d["year"] + (df["date"].dt.day_of_year - 1) / 366).round(3)
    d = d[["t", "year", "when", "event", "category", "detail", "source", "confidence"]]
    for col in ("event", "detail", "confidence"):
        d[col] = [t(v) if isinstance(v, str) else v for v in d[col]]
    cats = [c for c in TIMELINE_CATEGORIES if c in set(d["category"])]
    cats += sorted(set(d["category"]) - set(cats))
    cat_names = {c: t(c) for c in cats}
    translated = any(c != n for c, n in cat_names.items())
    first, last = int(d["year"].min()), int(d["year"].max())
    options = [N_("All"), *cats]  # values: English
    category = alt.param(name=f"{key}category", value="All",
                         bind=alt.binding_select(options=options, name=t("Category"),
                                                 **binding_labels(options, [t(o) for o in
                                                                       options])))
    lo_p = alt.param(name=f"{key}from_year", value=first,
                     bind=alt.binding_range(min=first, max=last, step=1,
                                            name=t("From year")))
    hi_p = alt.param(name=f"{key}to_year", value=last,
                     bind=alt.binding_range(min=first, max=last, step=1, name=t("To year")))
    a, b = f"min({key}from_year, {key}to_year)", f"max({key}from_year, {key}to_year)"
    # Running counts and event names per category, for the live sentence.
    counts, events = {}, {}
    for c in ["All", *cats]:
        part = d if c == "All" else d[d["category"] == c]
        counts[c] = _cumulative([1] * len(part), first, last, part["year"])
        events[c] = [f"{e} ({w})" for e, w in zip(part["event"], part["when"], strict=True)]
    lookup = alt.param(name=f"{key}events", value={"count": counts, "names": events})
    shown = f"({key}category == 'All' || datum.category == {key}category)"
    # Axis labels: one word a line in English; translated names on at most two lines.
    label_expr = (f"{vega_literal({c: _two_lines(n) for c, n in cat_names.items()})}[datum.label]"
                  if translated else "split(datum.label, ' ')")
    chart = (
        alt.Chart(d)
        .mark_circle(size=110, stroke="#333333", strokeWidth=0.5, clip=True)
        .encode(
            x=alt.X("t:Q", title=t("Year"),
                    scale=alt.Scale(domain={"expr": f"[{a}, {b} + 1]"}, zero=False,
                                    nice=False, padding=8),
                    axis=alt.Axis(format="d", tickMinStep=1, labelOverlap=True)),
            y=alt.Y("category:N", title=None, sort=cats,
                    axis=alt.Axis(labelExpr=label_expr, labelLimit=0)),
            color=alt.Color("category:N", title=t("Category"),
                            scale=alt.Scale(domain=cats, range=PALETTE[:len(cats)]),
                            legend=None),
            opacity=alt.condition(shown, alt.value(0.95), alt.value(0.08)),
            tooltip=[alt.Tooltip("when:N", title=t("Date")),
                     alt.Tooltip("event:N", title=t("Event")),
                     alt.Tooltip("detail:N", title=t("Detail")),
                     alt.Tooltip("source:N", title=t("Source (bibliography key)")),
                     alt.Tooltip("confidence:N", title=t("Confidence"))],
        )
        .add_params(category, lo_p, hi_p, lookup)
        .properties(width=CH1_WIDTH - 130, height=260)
    )
    c, n = f"{key}category", f"{key}events"
    i0, i1 = f"({a} - {first})", f"({b} - {first} + 1)"
    k0, k1 = f"{n}.count[{c}][{i0}]", f"{n}.count[{c}][{i1}]"
    k = f"{k1} - {k0}"
    name_of = f"{vega_literal(cat_names)}[{c}]" if translated else c
    first_event, last_event = f"{n}.names[{c}][{k0}]", f"{n}.names[{c}][{k1} - 1]"
    none = _vega(t("no events; widen the period to see some."))
    one = _vega(t("1 event, {first}."), first=first_event)
    many = _vega(t("{n} events, from {first} to {last}."), n=f"({k})", first=first_event,
                 last=last_event)
    everything = vega_str(t("All categories"))
    live = _vega(t("{category}, {years}: {result}"),
                 category=f"({c} == 'All' ? {everything} : {name_of})",
                 years=_span_expr(a, b),
                 result=f"({k} == 0 ? {none} : {k} == 1 ? {one} : {many})")
    table = pd.DataFrame({t("Date"): d["when"], t("Category"): d["category"].map(cat_names),
                          t("Event"): d["event"], t("Detail"): d["detail"],
                          t("Source (bibliography key)"): d["source"],
                          t("Confidence"): d["confidence"]})
    tally = d["category"].value_counts()
    item = t("{count} {category}")
    parts = ", ".join(item.format(count=tally[c], category=cat_names[c].lower()) for c in cats)
    return _fit(finish(
        chart,
        title=t("From repatriation drives to 287(g): {n} events, {first}–{last}").format(
            n=len(d), first=first, last=last),
        subtitle=t("Pick a category to highlight and the years to show with the controls; "
                   "the data table under the chart lists every event with its source."),
        description=t(
            "Timeline of {n} events from {first} to {last}, one row per category "
            "({parts}). Events cluster in three periods: the Depression-era repatriations of "
            "the early 1930s, the local non-inquiry policies of 1979 to 1989 with the 1996 "
            "law creating 287(g), and the federal programmes and 287(g) changes after 2002. "
            "A menu highlights one category (the others fade) and two sliders narrow the "
            "chart to a period.").format(n=len(d), first=first, last=last, parts=parts),
        datasets=["timeline"],
        table=table,
        table_caption=t("The {n} events of the timeline, in date order").format(n=len(d)),
        live=live,
        live_name=f"{key}live",
        narrow={"height": 300, "encoding": {"x": {"axis": {"tickCount": 4}}}},
        lang=lang,
    ))


def _short_producer(producer: str, lang: str | None = None) -> str:
    """'Brian Gratton and Emily Merchant' -> 'Gratton & Merchant'; keeps bodies' names."""
    t = translator(lang)
    if "(" in producer:
        head, _, rest = producer.partition(" (")
        if "Legislature" in head or "Service" in head:
            return t("CA Legislature") if "California" in head else "INS/DHS"
        producer = head
    names = [n.strip() for n in producer.replace(" and ", ", ").split(",") if n.strip()]
    surnames = [n.split()[-1] for n in names]
    return surnames[0] if len(surnames) == 1 else ", ".join(surnames[:-1]) + " & " + surnames[-1]


def _short(text: str, chars: int) -> str:
    """``text`` cut at a word boundary to at most ``chars`` characters, with "…" if cut."""
    if len(text) <= chars:
        return text
    return textwrap.shorten(text, chars, placeholder="…")


def _estimate_row(producer: str, year: int, measure: str, lang: str | None = None) -> str:
    """One y-axis label with two layouts, "wide^narrow", lines separated by "|": the axis
    shows the wide one (two lines) and the small-screen version the narrow one (short
    lines). The full text of every row is in the chart's data table. ``producer`` is the
    English name (it is shortened, then translated), ``measure`` already translated."""
    who, what = f"{_short_producer(producer, lang)} {year}", _short(measure, 34)
    narrow = textwrap.wrap(f"{who}: {what}", 16)
    return f"{who}|{what}^" + "|".join(narrow)


def historic_estimates(df: pd.DataFrame | None = None, *,
                       key: str = "ch1_est_", lang: str | None = None) -> alt.Chart:
    """Each published estimate as a dot (single figure or bound) or a bar (range), coloured by
    who produced it. A control switches between the two episodes.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default. The ``episode`` values in the chart's data stay in English (the control filters
    on them); its labels, the table and the live line show them translated."""
    t = translator(lang)
    df = data.load("historic_estimates") if df is None else df
    d = df.copy()
    d["estimate_low"] = d["estimate_low"].astype(float)
    d["estimate_high"] = d["estimate_high"].astype(float)
    producers = [t(p) for p in d["producer"]]
    measures = [t(m) for m in d["measure"]]
    d["label"] = [f"{p} ({y})" for p, y in zip(producers, d["year"], strict=True)]
    d["row"] = [_estimate_row(p, y, m, lang)
                for p, y, m in zip(d["producer"], d["year"], measures, strict=True)]
    d["figure"] = [f"{int(lo):,}" if lo == hi else f"{int(lo):,}–{int(hi):,}"
                   for lo, hi in zip(d["estimate_low"], d["estimate_high"], strict=True)]
    at_least, at_most = t("at least {figure}"), t("at most {figure}")
    d["figure"] = [at_least.format(figure=f) if k == "lower bound" else
                   at_most.format(figure=f) if k == "upper bound" else f
                   for k, f in zip(d["kind"], d["figure"], strict=True)]
    short = {p: _short_producer(p, lang) for p in d["producer"]}
    d["measure"] = measures
    for col in ("period", "kind", "producer_type", "method", "confidence"):
        d[col] = [t(v) if isinstance(v, str) else v for v in d[col]]
    d = d.drop(columns=["notes", "id"])
    episodes = list(dict.fromkeys(d["episode"]))
    episode = alt.param(name=f"{key}episode", value=episodes[0],
                        bind=alt.binding_radio(options=episodes, name=t("Episode"),
                                               **binding_labels(episodes,
                                                           [t(e) for e in episodes])))
    types = list(dict.fromkeys(d["producer_type"]))
    color = alt.Color("producer_type:N", title=t("Produced by"),
                      scale=alt.Scale(domain=types, range=PALETTE[:len(types)]),
                      legend=alt.Legend(columns=1))
    tooltip = [alt.Tooltip("measure:N", title=t("What is counted")),
               alt.Tooltip("figure:N", title=t("Estimate")),
               alt.Tooltip("period:N", title=t("Period")),
               alt.Tooltip("label:N", title=t("Produced by")),
               alt.Tooltip("method:N", title=t("Method")),
               alt.Tooltip("confidence:N", title=t("Confidence")),
               alt.Tooltip("source:N", title=t("Source (bibliography key)"))]
    base = alt.Chart(d).transform_filter(f"datum.episode == {key}episode").encode(
        y=alt.Y("row:N", title=None, sort=alt.EncodingSortField("estimate_high",
                                                                 order="descending"),
                axis=alt.Axis(labelExpr="split(split(datum.label, '^')[0], '|')",
                              labelLimit=0, labelFontSize=11)),
        color=color, tooltip=tooltip)
    bars = base.mark_bar(height=8).encode(
        x=alt.X("estimate_low:Q", title=t("People (estimate)"),
                axis=alt.Axis(format="~s", tickCount=5, labelOverlap=True)),
        x2="estimate_high:Q")
    dots = base.mark_point(size=90, filled=True).encode(
        x="estimate_high:Q",
        shape=alt.Shape("kind:N", title=t("Kind of figure"), legend=alt.Legend(columns=1),
                        scale=alt.Scale(domain=[t(k) for k in ("point", "range", "lower bound",
                                                               "upper bound")],
                                        range=["circle", "square", "triangle-right",
                                               "triangle-left"])))
    chart = alt.layer(bars, dots).add_params(episode).properties(width=CH1_WIDTH - 290,
                                                                 height=alt.Step(34))
    # Small screens: short label lines, and no colour legend (it would run off the right
    # edge under the narrow plot; each row's label names its producer, the table its kind).
    narrow_y = {"encoding": {"y": {"axis": {
        "labelExpr": "split(split(datum.label, '^')[1], '|')"}}, "color": {"legend": None}}}
    # Live sentence per episode: how many figures, and the smallest and largest.
    sentence = t("{episode}: {n} published figures, from {low} ({low_by} {low_year}: "
                 "{low_measure}) to {high} ({high_by} {high_year}: {high_measure}); the rows "
                 "count different things over different periods.")
    sentences = {}
    for ep in episodes:
        part = d[d["episode"] == ep].sort_values("estimate_high")
        low, high = part.iloc[0], part.iloc[-1]
        sentences[ep] = sentence.format(
            episode=t(ep), n=len(part), low=low["figure"], low_by=short[low["producer"]],
            low_year=low["year"], low_measure=low["measure"][:1].lower() + low["measure"][1:],
            high=high["figure"], high_by=short[high["producer"]], high_year=high["year"],
            high_measure=high["measure"][:1].lower() + high["measure"][1:])
    order = d.sort_values(["episode", "estimate_high"], ascending=[True, False],
                          key=lambda s: s.map(episodes.index) if s.name == "episode" else s)
    table = pd.DataFrame({
        t("Episode"): order["episode"].map(t), t("Produced by"): order["label"],
        t("Who they are"): order["producer_type"], t("What is counted"): order["measure"],
        t("Estimate"): order["figure"], t("Kind of figure"): order["kind"],
        t("Period"): order["period"], t("Method"): order["method"],
        t("Confidence"): order["confidence"],
        t("Source (bibliography key)"): order["source"]})
    rep = d[d["episode"] == "Mexican Repatriation"]
    lo, hi = rep["estimate_low"].min(), rep["estimate_high"].max()
    return _fit(finish(
        chart,
        title=t("Who counted what: estimates of the Repatriation and of Operation Wetback"),
        subtitle=t("Switch episode with the control; the data table under the chart says what "
                   "each figure counts, over which years and by what method."),
        description=t(
            "Horizontal chart of {n} published estimates, one row each, coloured by who "
            "produced it. For the Mexican Repatriation the figures run from {low:,} "
            "(an outer bound of pressure-driven return from census data) to {high:,} "
            "(the national figure in California's 2005 apology law); the rows count "
            "different things over different periods. For Operation Wetback the chart sets "
            "the fiscal-1954 count of returns against formal removals and a scholar's estimate "
            "of deportations during the summer operation itself. A control switches "
            "episodes.").format(n=len(d), low=int(lo), high=int(hi)),
        datasets=["historic_estimates"],
        table=table,
        table_caption=t("Published estimates of the Mexican Repatriation and of Operation "
                        "Wetback"),
        live=vega_lookup(sentences, f"{key}episode"),
        live_name=f"{key}live",
        narrow={"height": {"step": 70},
                "layer": [narrow_y, narrow_y]},
        lang=lang,
    ))


def administration_totals(removals: pd.DataFrame | None = None,
                          admins: pd.DataFrame | None = None, *, since: int = 1977,
                          key: str = "ch1_adm_", lang: str | None = None) -> alt.Chart:
    """Removals and returns by administration as stacked bars, with a control to pick the rule
    that assigns fiscal years to presidents. Only administrations with all their fiscal years
    in the data are shown.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default. The rule control's values stay in English (the chart's data compares them); the
    "Show" menu's values are the (translated) kinds of the chart's data, and "Both"."""
    from .. import history

    t = translator(lang)
    removals = data.load("removals_returns") if removals is None else removals
    admins = data.load("administrations") if admins is None else admins
    frames = []
    rules = (("majority", N_("Majority of the fiscal year in office")),
             ("starts_in_term", N_("Fiscal years that began in the term")))
    span = t("FY{first}–FY{last}")
    for rule, text in rules:
        tot = history.totals_by_administration(removals, admins, rule)
        tot = tot[tot["complete"] & (tot["first_fy"] >= since)]
        tot = tot.assign(rule_text=text,
                         span=[span.format(first=a, last=b)
                               for a, b in zip(tot["first_fy"], tot["last_fy"], strict=True)])
        frames.append(tot)
    tot = pd.concat(frames, ignore_index=True)
    long = tot.melt(id_vars=["administration", "president", "rule_text", "span", "total"],
                    value_vars=["removals", "returns"], var_name="kind", value_name="people")
    kinds = {"removals": t("Removals (formal order)"), "returns": t("Returns (no order)")}
    long["kind"] = long["kind"].map(kinds)
    order = list(dict.fromkeys(tot.sort_values("first_fy")["administration"]))
    rule_texts = [r[1] for r in rules]
    rule = alt.param(name=f"{key}rule", value=rules[0][1],
                     bind=alt.binding_radio(options=rule_texts,
                                            name=t("Assign fiscal years by"),
                                            **binding_labels(rule_texts,
                                                        [t(r) for r in rule_texts])))
    shows = [N_("Both"), *kinds.values()]
    show = alt.param(name=f"{key}show", value="Both",
                     bind=alt.binding_select(options=shows, name=t("Show"),
                                             **binding_labels(shows, [t(shows[0]), *shows[1:]])))
    chart = (
        alt.Chart(long)
        .transform_filter(f"datum.rule_text == {key}rule")
        .transform_filter(f"{key}show == 'Both' || datum.kind == {key}show")
        .mark_bar()
        .encode(
            x=alt.X("administration:N", sort=order, title=None,
                    axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')")),
            y=alt.Y("people:Q", title=t("People (sum over the administration's fiscal years)"),
                    axis=alt.Axis(format="~s")),
            color=alt.Color("kind:N", title=None,
                            scale=alt.Scale(domain=list(kinds.values()), range=PALETTE[:2])),
            tooltip=[alt.Tooltip("president:N", title=t("President")),
                     alt.Tooltip("span:N", title=t("Fiscal years")),
                     alt.Tooltip("kind:N", title=t("Kind")),
                     alt.Tooltip("people:Q", title=t("People"), format=","),
                     alt.Tooltip("total:Q", title=t("Removals + returns"), format=",")],
        )
        .add_params(rule, show)
        .properties(width=CH1_WIDTH - 70, height=300)
    )
    # The live sentence for each rule and measure: the largest and smallest bar.
    column = {"Both": "total", kinds["removals"]: "removals", kinds["returns"]: "returns"}
    what = {"Both": t("removals and returns together"), kinds["removals"]: t("removals"),
            kinds["returns"]: t("returns")}
    short_rule = {rules[0][1]: t("Majority-of-days rule"),
                  rules[1][1]: t("Began-in-the-term rule")}
    sentence = t("{rule}, {what}: most under {top} ({top_count:,} in {top_years}), fewest "
                 "under {low} ({low_count:,} in {low_years}).")
    sentences = {}
    for _, text in rules:
        part = tot[tot["rule_text"] == text]
        for s in shows:
            top = part.loc[part[column[s]].idxmax()]
            low = part.loc[part[column[s]].idxmin()]
            sentences[f"{text}|{s}"] = sentence.format(
                rule=short_rule[text], what=what[s], top=top["administration"],
                top_count=int(top[column[s]]), top_years=top["span"],
                low=low["administration"], low_count=int(low[column[s]]),
                low_years=low["span"])
    table = tot.sort_values(["rule_text", "first_fy"], ascending=[False, True])
    table = pd.DataFrame({
        t("Rule for fiscal years"): table["rule_text"].map(t),
        t("Administration"): table["administration"],
        t("President"): table["president"], t("Fiscal years"): table["span"],
        kinds["removals"]: [f"{int(v):,}" for v in table["removals"]],
        kinds["returns"]: [f"{int(v):,}" for v in table["returns"]],
        t("Removals + returns"): [f"{int(v):,}" for v in table["total"]]})
    maj = tot[tot["rule_text"].str.startswith("Majority")].set_index("administration")
    top_rem = maj["removals"].idxmax()
    top_ret = maj["returns"].idxmax()
    return _fit(finish(
        chart,
        title=t("Removals and returns by administration (complete administrations only)"),
        subtitle=t("Pick how fiscal years are assigned to presidents and which measure to "
                   "show; the data table under the chart lists both rules."),
        description=t(
            "Stacked bar chart, one bar per administration since fiscal {since} whose fiscal "
            "years are all in the data ({administrations}). Under the majority rule "
            "{removals_president} has the most removals ({removals:,}) and "
            "{returns_president} the most returns ({returns:,}). Controls switch the rule "
            "that assigns fiscal years to presidents and show removals, returns or "
            "both.").format(
            since=since, administrations=", ".join(order),
            removals_president=maj.loc[top_rem, "president"],
            removals=int(maj.loc[top_rem, "removals"]),
            returns_president=maj.loc[top_ret, "president"],
            returns=int(maj.loc[top_ret, "returns"])),
        datasets=["removals_returns", "administrations"],
        table=table,
        table_caption=t("Removals and returns by administration, under both rules"),
        live=vega_lookup(sentences, f"{key}rule + '|' + {key}show"),
        live_name=f"{key}live",
        narrow={"height": 240,
                "encoding": {"x": {"axis": {"labelAngle": -45, "labelAlign": "right",
                                            "labelExpr": "datum.label"}},
                             "y": {"title": t("People (sum of its fiscal years)")}}},
        lang=lang,
    ))
