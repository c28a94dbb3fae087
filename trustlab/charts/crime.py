"""Chapter 3 (evidence on crime) charts: study results, the difference-in-differences
explorer, placebo tests.

Every chart here works without a mouse: its controls are menus, radio buttons and sliders;
its tooltips are repeated in a data table; a live sentence states the result of the current
view (see :func:`trustlab.charts.base.finish`).

Every builder takes ``lang`` ("en" or "es"; the current language by default, see
:mod:`trustlab.i18n`): the chart's words come from the catalogue
``locales/es/LC_MESSAGES/trustlab/charts-crime.po``. The controls' values stay in English
(the filters compare them with the data); only what a reader sees is translated."""

from __future__ import annotations

import json
import textwrap

import altair as alt
import pandas as pd

from .. import data
from ..i18n import N_, translator
from .base import (
    MUTED_TEXT,
    PALETTE,
    binding_labels,
    finish,
    shown_value,
    text_color,
    vega_literal,
    vega_message,
)

# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

DIRECTIONS = [N_("less crime"), N_("no detectable effect"), N_("more crime"),
              N_("not a crime outcome")]
# Marks: every colour at least 3:1 on white; the column a dot sits in says the same thing.
DIRECTION_COLORS = ["#1b9e77", "#666666", "#d95f02", "#7570b3"]
TEXT = "#222222"

# Dataset columns whose values the charts show (legend, menus, axis labels, tooltips, tables):
# the catalogue holds every value; the builders translate them with t(value).
TRANSLATED_DATA = {
    "crime_studies": ["policy", "design", "comparison", "outcome", "outcome_short",
                      "direction", "unit", "finding", "confidence"],
}


def _lit(text: str) -> str:
    """A string as a Vega expression literal: in single quotes, or in JSON's double quotes
    when it holds an apostrophe."""
    if "'" in text:
        return json.dumps(text, ensure_ascii=False)
    return "'" + text.replace("\\", "\\\\").replace("\n", "\\n") + "'"


def _lines(lines: list[str]) -> str:
    """Label lines as a Vega array literal (an axis draws an array as lines)."""
    return "[" + ", ".join(_lit(s) for s in lines) + "]"


def _expr(message: str, **pieces: str) -> str:
    """A (translated) message as a Vega string expression: its words as literals, each
    ``{name}`` replaced by the Vega expression ``pieces[name]``, joined with ``+``."""
    return vega_message(message, pieces, quote=_lit)


def _own_name(field: str, title: str) -> dict:
    """A tooltip's ``title=`` for a field shown under its own name in English: none there,
    the translated title otherwise."""
    return {} if title.lower() == field else {"title": title}


def _datum(field: str) -> str:
    """A Vega expression reading ``field`` of the current datum."""
    return f"datum.{field}" if field.isidentifier() and field.isascii() else \
        f"datum[{_lit(field)}]"


def _wrap(text: str, width: int) -> str:
    """Axis label lines joined by '|' (the axis splits them): labels wrap, never get cut."""
    return "|".join(textwrap.wrap(text, width))


def _estimate_label(row: pd.Series, t) -> str:
    """A short label for the published size ('2.5x', '≥ +146%' for a lower bound, '-35.5 per
    10,000'); the full unit and its qualifier are in the tooltip and the data table. ``row``
    holds the English unit (the label's form depends on it)."""
    if pd.isna(row["estimate"]):
        return t("direction only")
    unit, est = str(row["unit"]), float(row["estimate"])
    qual = "≥ " if "lower bound" in unit else ""  # "at least": short enough for a phone
    if unit.startswith("ratio"):
        return f"{qual}{est:g}x"
    if unit.startswith("percent"):
        return f"{qual}{est:+g}%"
    if "per 10000" in unit:
        return t("{est:+g} per 10,000").format(est=est)
    return f"{est:+g} {t(unit)}"


def _study_sentences(d: pd.DataFrame, policies: list[str], designs: list[str], t) -> dict:
    """The live sentence for each (policy, design) menu choice, keyed 'policy|design' (the
    menus' English values). ``d`` holds the English values. A menu left at 'All' has its own
    message (Spanish says "all policies", not "policy All")."""
    out = {}
    for p in policies:
        for g in designs:
            s = d[((d["policy"] == p) | (p == "All")) & ((d["design"] == g) | (g == "All"))]
            if s.empty:  # the live expression says so itself
                continue
            n = [int((s["direction"] == x).sum()) for x in DIRECTIONS]
            if p == "All" and g == "All":
                message = t("Policy All, design All: {n} of {total} estimates shown; {less} "
                            "less crime, {none} no detectable effect, {more} more crime, "
                            "{other} not a crime outcome.")
            elif p == "All":
                message = t("Policy All, design {design}: {n} of {total} estimates shown; "
                            "{less} less crime, {none} no detectable effect, {more} more "
                            "crime, {other} not a crime outcome.")
            elif g == "All":
                message = t("Policy {policy}, design All: {n} of {total} estimates shown; "
                            "{less} less crime, {none} no detectable effect, {more} more "
                            "crime, {other} not a crime outcome.")
            else:
                message = t("Policy {policy}, design {design}: {n} of {total} estimates "
                            "shown; {less} less crime, {none} no detectable effect, {more} "
                            "more crime, {other} not a crime outcome.")
            out[f"{p}|{g}"] = message.format(policy=t(p), design=t(g), n=len(s), total=len(d),
                                             less=n[0], none=n[1], more=n[2], other=n[3])
    return out


def _translate(values: pd.Series, t) -> pd.Series:
    """A column of the data in the chart's language (missing and empty values kept)."""
    return values.map(lambda v: t(v) if isinstance(v, str) and v else v)


def crime_study_results(df: pd.DataFrame | None = None, *,
                        lang: str | None = None) -> alt.HConcatChart:
    """One row per study estimate: where its result falls (less crime / no detectable effect /
    more crime) and the published size where checked, with menus for policy and design.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    df = data.load("crime_studies") if df is None else df
    d = df.copy()
    d["study_short"] = d["study"].str.replace(r" \(CGO working paper\)", "", regex=True)
    d["study"] = d["study"].str.replace(" (CGO working paper)",
                                        " (" + t("CGO working paper") + ")", regex=False)
    d["outcome_short"] = _translate(d["outcome_short"], t)
    full = d["study_short"] + ": " + d["outcome_short"]
    d["label"] = full.map(lambda s: _wrap(s, 40))          # wide screens: up to 2 lines
    d["label_narrow"] = full.map(lambda s: _wrap(s, 18))   # phones: shorter lines
    d["size"] = d.apply(_estimate_label, axis=1, t=t)
    d["unit"] = d["unit"].fillna("")
    d = d.sort_values(["policy", "study"], kind="stable").reset_index(drop=True)
    d["row"] = range(len(d))
    policies = ["All"] + sorted(d["policy"].unique())
    designs = ["All"] + sorted(d["design"].unique())
    # The menus' values stay English (the filter and the live sentences use them); the
    # reader sees their labels, and the data's own columns in the chart's language.
    policy_labels = [t("All")] + [t(p) for p in policies[1:]]
    design_labels = [t("All")] + [t(g) for g in designs[1:]]
    sentences = _study_sentences(d, policies, designs, t)
    for col in ["policy", "design", "comparison", "outcome", "direction", "unit", "finding",
                "confidence"]:
        d[col] = _translate(d[col], t)
    directions = [t(x) for x in DIRECTIONS]
    pol = alt.param(name="cs_policy", value="All",
                    bind=alt.binding_select(options=policies,
                                            **binding_labels(policies, policy_labels),
                                            name=t("Policy") + " "))
    des = alt.param(name="cs_design", value="All",
                    bind=alt.binding_select(options=designs,
                                            **binding_labels(designs, design_labels),
                                            name=t("Research design") + " "))
    policy_shown = shown_value("cs_policy", dict(zip(policies, policy_labels, strict=True)))
    design_shown = shown_value("cs_design", dict(zip(designs, design_labels, strict=True)))
    # The data's policy and design are in the chart's language: compare them with the
    # menus' labels.
    keep = f"(cs_policy == 'All' || datum.policy == {policy_shown}) && " \
           f"(cs_design == 'All' || datum.design == {design_shown})"
    split = "split(datum.label, '|')"
    y = alt.Y("label:N", sort=alt.EncodingSortField("row", order="ascending"), title=None,
              axis=alt.Axis(labelExpr=split, labelLimit=0, labelFontSize=11,
                            labelColor=TEXT),
              scale=alt.Scale(paddingOuter=0.4))
    tips = [alt.Tooltip("study:N", title=t("Study")),
            alt.Tooltip("policy:N", title=t("Policy")),
            alt.Tooltip("design:N", title=t("Design")),
            alt.Tooltip("comparison:N", title=t("Comparison")),
            alt.Tooltip("outcome:N", title=t("Outcome")),
            alt.Tooltip("direction:N", title=t("Direction")),
            alt.Tooltip("size:N", title=t("Published size")),
            alt.Tooltip("unit:N", title=t("Unit as published")),
            alt.Tooltip("finding:N", title=t("Finding")),
            alt.Tooltip("confidence:N", title=t("Confidence"))]
    base = alt.Chart(d).transform_filter(keep)
    step = 2 * 14 + 6  # two label lines
    # Column headings on two lines (each message holds both, split at '|').
    none_lines = t("none|detected").split("|")
    other_lines = t("other|outcome").split("|")
    dots = base.mark_point(filled=True, size=140, opacity=0.9).encode(
        x=alt.X("direction:N", sort=directions, scale=alt.Scale(domain=directions),
                title=t("Result (crime in the first group of the comparison)"),
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=0,
                              labelExpr=f"datum.label == {_lit(directions[1])} ? "
                                        f"{_lines(none_lines)} : "
                                        f"datum.label == {_lit(directions[3])} ? "
                                        f"{_lines(other_lines)} : split(datum.label, ' ')",
                              labelFontSize=10, labelPadding=14, domain=False, ticks=False)),
        y=y,
        color=alt.Color("direction:N", scale=alt.Scale(domain=directions,
                                                       range=DIRECTION_COLORS), legend=None),
        shape=alt.Shape("policy:N", title=t("Policy"), legend=alt.Legend(columns=3)),
        tooltip=tips,
    ).properties(width=200, height=alt.Step(step))
    sizes = base.mark_text(align="left", fontSize=11, dx=4).encode(
        x=alt.value(0), text="size:N",
        y=alt.Y("label:N", sort=alt.EncodingSortField("row", order="ascending"), axis=None,
                scale=alt.Scale(paddingOuter=0.4)),
        color=alt.condition("datum.size == " + _lit(t("direction only")),
                            alt.value(MUTED_TEXT), alt.value(TEXT)),
        tooltip=tips,
    ).properties(width=130, height=alt.Step(step),
                 title=alt.Title(t("Published size"), fontSize=12))
    chart = alt.hconcat(dots, sizes, spacing=8).add_params(pol, des)
    n = len(df)
    counts = df["direction"].value_counts()
    # {all}: the menus' label for "All", whatever its translation.
    none_match = _expr(t("Policy {policy}, design {design}: no estimates match; choose {all} "
                         "in one of the menus.").replace("{all}", policy_labels[0]),
                       policy=policy_shown, design=design_shown)
    live = f"{vega_literal(sentences)}[cs_policy + '|' + cs_design] || {none_match}"
    table = pd.DataFrame({
        t("Study"): d["study"], t("Outcome"): d["outcome"], t("Policy"): d["policy"],
        t("Design"): d["design"], t("Comparison"): d["comparison"],
        t("Direction"): d["direction"], t("Published size"): d["size"],
        t("Unit as published"): d["unit"].replace("", "–"),
        t("Finding"): d["finding"], t("Confidence"): d["confidence"]})
    # Phones: shorter label lines, and the 'Published size' column gets its own row labels
    # because the book stacks the two parts there.
    narrow_y = {"field": "label_narrow", "title": None}
    narrow_step = {"step": 14 * int(d["label_narrow"].str.count("[|]").max() + 1) + 8}
    # One-word column headings there, explained by the axis title.
    short = t("less|none|more|other").split("|")
    narrow = {"hconcat": [
        {"width": 140, "height": narrow_step,
         "encoding": {"y": narrow_y, "x": {
             "title": t("Crime in the first group:|less, none detected, more,|or other (not "
                        "a crime outcome)").split("|"),
             "axis": {"titleAnchor": "end", "titleAlign": "right", "labelPadding": 6,
                      "labelExpr": "{" + ", ".join(
                          f"{_lit(k)}: {_lit(v)}" for k, v in zip(directions, short,
                                                                  strict=True))
                                   + "}[datum.label]"}}}},
        {"width": 110, "height": narrow_step,
         "encoding": {"y": {**narrow_y, "axis": {
             "labelExpr": split, "labelLimit": 0, "labelFontSize": 11, "labelColor": TEXT}}}},
    ]}
    return finish(
        chart,
        title=t("What studies of enforcement, sanctuary policies and crime found"),
        subtitle=t("Filter by policy or design with the menus; every estimate's finding is "
                   "in the data table. Sizes are in different units."),
        description=t(
            "Dot chart with one row for each of {n} study estimates. Each dot sits in one of "
            "four columns: less crime, no detectable effect, more crime, or not a crime "
            "outcome. {none} estimates show no detectable effect, {less} less crime and "
            "{more} more crime. A second column prints the published size where it was "
            "checked, otherwise 'direction only'. Menus filter the rows by policy and by "
            "research design.").format(
            n=n, none=int(counts.get("no detectable effect", 0)),
            less=int(counts.get("less crime", 0)), more=int(counts.get("more crime", 0))),
        datasets=["crime_studies"],
        table=table,
        table_caption=t("Every study estimate in the chart, with its comparison, finding and "
                        "published size (ordered by policy, then study)."),
        live=live, live_name="cs_live", narrow=narrow, lang=lang,
    )


DID_WIDTH = 520
DID_ROWS = [N_("Treated state"), N_("Comparison group"), N_("Difference-in-differences")]
DID_COLUMNS = [N_("Before"), N_("After"), N_("Change")]
# The compiled Vega dataset holding the explorer's estimate row (est, tc, cc, n), read by the
# live sentence. Vega-Lite names derived datasets by position; tests/test_crime.py compiles
# the chart and fails if this name stops pointing at that row.
DID_EST_DATA = "data_5"


def _did_frame(panel: pd.DataFrame) -> pd.DataFrame:
    from ..crime import NEIGHBOURS

    d = panel[["state_abbr", "year", "population", "violent_crime", "property_crime"]].copy()
    for c in ["population", "violent_crime", "property_crime", "year"]:
        d[c] = d[c].astype(int)
    d["nbrs"] = d["state_abbr"].map(lambda s: "|" + "|".join(NEIGHBOURS[s]) + "|")
    return d


def _did_table(panel: pd.DataFrame, ex, first: int, last: int,
               lang: str | None = None) -> pd.DataFrame:
    """The default view as a table: both groups' yearly rates, their means and the DiD."""
    from ..crime import yearly_rates

    t = translator(lang)
    tr = yearly_rates(panel, (ex.treated,), ex.outcome)
    co = yearly_rates(panel, ex.comparison, ex.outcome)
    (b0, b1), (a0, a1) = ex.before_years, ex.after_years

    def period(y: int) -> str:
        return t("before") if b0 <= y <= b1 else t("after") if a0 <= y <= a1 else \
            t("outside the window")

    rows = [[str(y), period(y), f"{tr[y]:,.1f}", f"{co[y]:,.1f}"] for y in range(first, last + 1)]
    rows += [[t("Mean {start}–{end}").format(start=b0, end=b1), t("before"),
              f"{ex.treated_before:,.1f}", f"{ex.comparison_before:,.1f}"],
             [t("Mean {start}–{end}").format(start=a0, end=a1), t("after"),
              f"{ex.treated_after:,.1f}", f"{ex.comparison_after:,.1f}"],
             [t("Change"), t("after − before"), f"{ex.treated_change:+,.1f}",
              f"{ex.comparison_change:+,.1f}"],
             [t("Difference-in-differences"), t("treated change − comparison change"),
              f"{ex.estimate:+,.1f}", ""]]
    return pd.DataFrame(rows, columns=[t("Year"), t("Period"),
                                       t("{state} (per 100,000)").format(state=ex.treated),
                                       t("All other states (per 100,000)")])


def crime_did_explorer(panel: pd.DataFrame | None = None, *, treated: str = "TX",
                       policy_year: int = 2017, window: int = 4,
                       other: str = "NM", lang: str | None = None) -> alt.VConcatChart:
    """Pick a treated state, a policy year, a window and a comparison group: the chart
    recomputes the before/after means and the difference-in-differences in the browser.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    from ..crime import did

    t = translator(lang)
    panel = data.load("crime_panel") if panel is None else panel
    d = _did_frame(panel)
    names = panel.drop_duplicates("state_abbr").sort_values("state_name")
    abbrs, labels = list(names["state_abbr"]), list(names["state_name"])
    state_names = dict(zip(abbrs, labels, strict=True))
    first, last = int(d["year"].min()), int(d["year"].max())
    # Groups, periods and grid columns are computed in the browser in the chart's language
    # (they are what the legend, the tooltips and the grid show).
    treated_row, comparison_row, did_row = (t(r) for r in DID_ROWS)
    before_col, after_col, change_col = (t(c) for c in DID_COLUMNS)
    comparisons = ["All other states", "Neighbouring states", "One state"]
    outcomes = ["Violent crime", "Property crime"]
    outcome_labels = [t("Violent crime"), t("Property crime")]
    p_state = alt.param(name="did_state", value=treated,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name=t("Treated state") + " "))
    p_year = alt.param(name="did_year", value=policy_year,
                       bind=alt.binding_range(min=first + 1, max=last, step=1,
                                              name=t("Policy year (first 'after' year)") + " "))
    p_win = alt.param(name="did_window", value=window,
                      bind=alt.binding_range(min=1, max=8, step=1,
                                             name=t("Years on each side") + " "))
    p_comp = alt.param(name="did_comp", value="All other states",
                       bind=alt.binding_radio(options=comparisons, **binding_labels(comparisons, [
                           t("All other states"), t("Neighbouring states"), t("One state")]),
                                              name=t("Comparison") + " "))
    p_other = alt.param(name="did_other", value=other,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name=t("Comparison state (for One state)") + " "))
    p_out = alt.param(name="did_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=outcomes,
                                             **binding_labels(outcomes, outcome_labels),
                                             name=t("Outcome") + " "))
    group_expr = (
        f"datum.state_abbr == did_state ? {_lit(treated_row)} : "
        "((did_comp == 'All other states') || "
        "(did_comp == 'Neighbouring states' && indexof(datum.nbrs, '|' + did_state + '|') >= 0)"
        " || (did_comp == 'One state' && datum.state_abbr == did_other))"
        f" ? {_lit(comparison_row)} : 'none'")
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
                             period=f"datum.year >= did_year ? {_lit(after_col)} : "
                                    f"{_lit(before_col)}")
    )
    colors = alt.Color("group:N", title=None,
                       scale=alt.Scale(domain=[treated_row, comparison_row],
                                       range=[PALETTE[1], PALETTE[0]]),
                       legend=alt.Legend(orient="top", direction="horizontal"))
    lines = rates.mark_line(point=True).encode(
        x=alt.X("year:Q", title=t("Year"), axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("rate:Q", title=t("Crimes per 100,000 residents"),
                scale=alt.Scale(zero=False)),
        color=colors,
        tooltip=[alt.Tooltip("group:N", title=t("Group")),
                 alt.Tooltip("year:Q", format="d", **_own_name("year", t("Year"))),
                 alt.Tooltip("rate:Q", title=t("Rate per 100,000"), format=",.1f")])
    means = rates.transform_aggregate(
        mean_rate="mean(rate)", y0="min(year)", y1="max(year)", groupby=["group", "period"]
    ).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        x="y0:Q", x2="y1:Q", y="mean_rate:Q", color=colors,
        tooltip=[alt.Tooltip("group:N", title=t("Group")),
                 alt.Tooltip("period:N", **_own_name("period", t("Period"))),
                 alt.Tooltip("mean_rate:Q", title=t("Mean rate"), format=",.1f")])
    rule = alt.Chart(pd.DataFrame({"one": [1]})).transform_calculate(
        x="did_year - 0.5").mark_rule(color="#333333").encode(x="x:Q")
    top = alt.layer(lines, means, rule).properties(width=DID_WIDTH, height=280)

    # Below the lines: a small grid of numbers (rows: treated, comparison, DiD; columns:
    # before, after, change). A grid shrinks with the chart on a phone; sentences would not.
    change = _datum(change_col)
    means2 = (
        rates.transform_aggregate(mean_rate="mean(rate)", groupby=["group", "period"])
        .transform_pivot("period", value="mean_rate", groupby=["group"])
        .transform_calculate(**{change_col: f"{_datum(after_col)} - {_datum(before_col)}"})
    )
    est = means2.transform_calculate(
        signed=f"datum.group == {_lit(treated_row)} ? {change} : -{change}",
        tc=f"datum.group == {_lit(treated_row)} ? {change} : 0",
        cc=f"datum.group == {_lit(comparison_row)} ? {change} : 0",
    ).transform_aggregate(est="sum(signed)", tc="sum(tc)", cc="sum(cc)", n="count()")
    # The before and after years as text ("2013–2016", or "2016" for one year).
    b0, a1 = f"max({first}, did_year - did_window)", f"min({last}, did_year + did_window - 1)"
    before = f"({b0} == did_year - 1 ? '' + {b0} : {b0} + '–' + (did_year - 1))"
    after = f"({a1} == did_year ? '' + did_year : did_year + '–' + {a1})"
    after_minus_before = t("after − before")
    x_cols = alt.X("col:N", title=None, scale=alt.Scale(domain=[before_col, after_col,
                                                                change_col]),
                   axis=alt.Axis(orient="top", labelAngle=0, domain=False, ticks=False,
                                 labelFontSize=12, labelColor=TEXT, labelLimit=0,
                                 labelExpr=(
                                     f"datum.label == {_lit(before_col)} ? "
                                     f"[{_lit(before_col)}, {before}] : "
                                     f"datum.label == {_lit(after_col)} ? "
                                     f"[{_lit(after_col)}, {after}] : "
                                     f"[{_lit(change_col)}, {_lit(after_minus_before)}]")))
    row_colors = {treated_row: text_color(PALETTE[1]),
                  comparison_row: text_color(PALETTE[0])}
    # Row headings on two lines (each message holds both, split at '|').
    comparison_lines = t("Comparison|group").split("|")
    did_lines = t("Difference-in-|differences").split("|")
    y_rows = alt.Y("row:N", title=None,
                   scale=alt.Scale(domain=[treated_row, comparison_row, did_row], padding=1),
                   axis=alt.Axis(domain=False, ticks=False, labelFontSize=12, labelLimit=0,
                                 labelExpr=f"datum.label == {_lit(comparison_row)} ? "
                                           f"{_lines(comparison_lines)} : "
                                           f"datum.label == {_lit(did_row)} ? "
                                           f"{_lines(did_lines)}"
                                           " : datum.label",
                                 labelColor=alt.ExprRef(
                                     f"{vega_literal(row_colors)}[datum.label] || '{TEXT}'")))
    cells = means2.transform_fold([before_col, after_col, change_col], as_=["col", "value"]) \
        .transform_calculate(row="datum.group",
                             txt=f"datum.col == {_lit(change_col)} ? "
                                 "format(datum.value, '+,.1f') : format(datum.value, ',.1f')") \
        .mark_text(fontSize=12).encode(x=x_cols, y=y_rows, text="txt:N",
                                      color=alt.value(TEXT))
    est_cell = est.transform_filter("datum.n == 2").transform_calculate(
        row=_lit(did_row), col=_lit(change_col),
        txt="format(datum.est, '+,.1f')").mark_text(fontSize=12, fontWeight="bold").encode(
        x=x_cols, y=y_rows, text="txt:N", color=alt.value(TEXT))
    grid = alt.layer(cells, est_cell).properties(width=DID_WIDTH, height=alt.Step(30))
    one_state = t("No comparison state: pick one that is|not the treated state.").split("|")
    no_land = t("No comparison states: Alaska and Hawaii|have no land neighbours.").split("|")
    message = est.transform_filter("datum.n != 2").transform_calculate(
        txt=f"did_comp == 'One state' ? {_lines(one_state)} : {_lines(no_land)}"
    ).mark_text(align="left", baseline="top", fontSize=12, fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(0), text="txt:N", color=alt.value(TEXT)
    ).properties(width=DID_WIDTH, height=32)
    chart = alt.vconcat(top, grid, message, spacing=12).add_params(
        p_state, p_year, p_win, p_comp, p_other, p_out)
    ex = did(panel, treated, policy_year, window=window)

    e = f"data('{DID_EST_DATA}')"
    names_js = vega_literal(state_names)
    state_js = f"{names_js}[did_state]"
    neighbours = _expr(t("{state}'s neighbours"), state=state_js)
    all_others = t("all other states")
    cmp = (f"(did_comp == 'All other states' ? {_lit(all_others)} : did_comp == "
           f"'Neighbouring states' ? {neighbours} : {names_js}[did_other])")
    span = _expr(t("before ({before}) and after ({after})"), before=before, after=after)
    outcome_label = dict(zip(outcomes, outcome_labels, strict=True))
    outcome_js = f"lower({shown_value('did_outcome', outcome_label)})"
    found = _expr(
        t("{state}, {outcome}, {span}, compared with {comparison}: the "
          "difference-in-differences is {did} per 100,000 (the state changed by "
          "{treated_change}, the comparison group by {comparison_change})."),
        state=state_js, outcome=outcome_js, span=span, comparison=cmp,
        did=f"format({e}[0].est, '+,.1f')", treated_change=f"format({e}[0].tc, '+,.1f')",
        comparison_change=f"format({e}[0].cc, '+,.1f')")
    pick_other = t("pick a comparison state other than the treated state")
    no_neighbours = t("Alaska and Hawaii have no land neighbours")
    reason = f"(did_comp == 'One state' ? {_lit(pick_other)} : {_lit(no_neighbours)})"
    none = _expr(t("{state}: no comparison states for this choice ({reason})."),
                 state=state_js, reason=reason)
    live = f"(length({e}) > 0 && {e}[0].n == 2) ? {found} : {none}"
    # Phones: explicit widths that fit a 270 px box, years as "2013–16" in the grid.
    short = "(did_year - 1 - {b0} > 0 ? {b0} + '–' + substring('' + (did_year - 1), 2) : " \
            "'' + {b0})"
    narrow = {"vconcat": [
        {"height": 200, "width": 165,
         "layer": [{"encoding": {"x": {"axis": {"tickCount": 5}},
                                 "y": {"title": t("Per 100,000 residents")}}}]},
        {"width": 165, "layer": [{"encoding": {"x": {"axis": {"labelFontSize": 11, "labelExpr": (
            f"datum.label == {_lit(before_col)} ? [{_lit(before_col)}, "
            f"{short.format(b0=b0)}] : "
            f"datum.label == {_lit(after_col)} ? [{_lit(after_col)}, ({a1} > did_year ? "
            f"did_year + '–' + substring('' + {a1}, 2) : '' + did_year)] : "
            f"{_lit(change_col)}")}}}}]},
        {"width": 165},
    ]}
    return finish(
        chart,
        # Two lines: on one, the title was wider than the chart's box on a desktop, so every
        # visit had to re-fit the chart (and load Vega-Lite to do it). The message holds both
        # lines, split at '|'.
        title=t("Difference-in-differences explorer: state crime rates,|FBI estimates, "
                "{first}–{last}").format(first=first, last=last).split("|"),
        subtitle=t("A two-group gap describes; it does not prove. Other changes in the "
                   "treated state also show up here."),
        description=t(
            "Line chart of yearly crime rates per 100,000 for a treated state and a comparison "
            "group, with dashed lines for each group's mean before and after a policy year and "
            "a vertical line at the policy year. Below it, a small table of the before and "
            "after means, their changes, and the difference-in-differences. Controls choose "
            "the state, the year, the years on each side, the comparison group and the "
            "outcome, and the numbers recompute in the browser. Default view: "
            "{state}, policy year {year}, {window} years each side, all other states, violent "
            "crime: treated change {treated_change:+.1f}, comparison change "
            "{comparison_change:+.1f}, difference-in-differences {did:+.1f} per 100,000."
        ).format(state=ex.treated, year=policy_year, window=window,
                 treated_change=ex.treated_change, comparison_change=ex.comparison_change,
                 did=ex.estimate),
        datasets=["crime_panel"],
        table=_did_table(panel, ex, first, last, lang),
        table_caption=t(
            "Violent crimes per 100,000 residents in {state} and in all other states pooled, "
            "{first}–{last}, with the means and the difference-in-differences of the chart's "
            "starting view (policy year {year}, {window} years on each side). For other "
            "choices, the sentence under the chart gives the result.").format(
            state=state_names[treated], first=first, last=last, year=policy_year,
            window=window),
        live=live, live_name="did_live", narrow=narrow, lang=lang,
    )


def _placebo_lookup(pt: pd.DataFrame, states: list[str], names: pd.Series,
                    t=None) -> tuple[dict, dict]:
    """Two lookups for the live sentence, keyed 'year|outcome': each state's estimate and its
    rank by size ('+5.3/12', space-separated, in ``states`` order; rank 1 = largest in either
    direction), and the range of all estimates in words (``t``: the chart's translator)."""
    t = translator("en") if t is None else t
    each, spread = {}, {}
    for (year, outcome), g in pt.groupby(["year", "outcome"]):
        g = g.set_index("state_abbr").loc[states]
        rank = g["did"].abs().rank(ascending=False, method="min").astype(int)
        key = f"{int(year)}|{outcome}"
        each[key] = " ".join(f"{v:+.1f}/{r}" for v, r in zip(g["did"], rank, strict=True))
        lo, hi = g["did"].idxmin(), g["did"].idxmax()
        spread[key] = t("the {n} estimates run from {low:+.1f} ({low_state}) to {high:+.1f} "
                        "({high_state}).").format(n=len(states), low=g["did"][lo],
                                                  low_state=names[lo], high=g["did"][hi],
                                                  high_state=names[hi])
    return each, spread


def crime_placebo(table: pd.DataFrame | None = None, *, year: int = 2012,
                  state: str = "TX", lang: str | None = None) -> alt.LayerChart:
    """Difference-in-differences of every state against all others at a chosen (placebo)
    year: how large 'effects' look when no one chose that year for a policy.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    from ..crime import placebo_table

    t = translator(lang)
    panel = data.load("crime_panel")
    pt = placebo_table(panel) if table is None else table
    names = panel.drop_duplicates("state_abbr").set_index("state_abbr")["state_name"]
    years = sorted(pt["year"].unique())
    outcomes = ["Violent crime", "Property crime"]
    outcome_labels = [t("Violent crime"), t("Property crime")]
    p_year = alt.param(name="pl_year", value=year,
                       bind=alt.binding_range(min=int(years[0]), max=int(years[-1]), step=1,
                                              name=t("Pretend policy year") + " "))
    p_out = alt.param(name="pl_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=outcomes,
                                             **binding_labels(outcomes, outcome_labels),
                                             name=t("Outcome") + " "))
    states = sorted(pt["state_abbr"].unique())
    menu = sorted(states, key=lambda s: str(names[s]))  # the menu shows names: sort by name
    p_state = alt.param(name="pl_state", value=state,
                        bind=alt.binding_select(options=menu,
                                                labels=[str(names[s]) for s in menu],
                                                name=t("Highlight state") + " "))
    # Both layers read the same rows (so the x axis keeps its sort by size).
    base = alt.Chart(pt).transform_filter(
        "datum.year == pl_year && datum.outcome == pl_outcome").transform_calculate(
        top="max(datum.did, 0)")
    by_size = alt.EncodingSortField("did", op="sum", order="descending")
    x = alt.X("state_abbr:N", sort=by_size, title=t("State (sorted by estimate)"),
              axis=alt.Axis(labelAngle=-90, labelFontSize=9))
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("did:Q", title=t("'Effect' per 100,000 (difference-in-differences)")),
        color=alt.condition("datum.state_abbr == pl_state", alt.value(PALETTE[1]),
                            alt.value(PALETTE[0])),
        tooltip=[alt.Tooltip("state_abbr:N", title=t("State")),
                 alt.Tooltip("year:Q", title=t("Pretend policy year"), format="d"),
                 alt.Tooltip("did:Q", title=t("DiD per 100,000"), format="+,.1f"),
                 alt.Tooltip("treated_before:Q", title=t("State's rate before"),
                             format=",.1f")])
    # The highlighted state is named above its bar, not marked by colour alone.
    label = base.mark_text(
        baseline="bottom", dy=-4, fontSize=12, fontWeight="bold",
        color=text_color(PALETTE[1])).encode(
        x=alt.X("state_abbr:N", sort=by_size), y="top:Q",
        text=alt.condition("datum.state_abbr == pl_state", "state_abbr:N", alt.value("")))
    chart = alt.layer(bars, label).add_params(p_year, p_out, p_state).properties(
        width=560, height=300)
    sub = pt[(pt["year"] == year) & (pt["outcome"] == "Violent crime")]["did"]
    each, spread = _placebo_lookup(pt, states, names, t)
    key = "pl_year + '|' + pl_outcome"
    nm = vega_literal({s: str(names[s]) for s in states})
    # Each state's estimate and rank are one lookup, '+5.3/12': the words between {effect}
    # and {rank} replace its '/'.
    sentence = t("Pretend policy year {year}, {outcome}: {state}'s 'effect' is {effect} per "
                 "100,000, rank {rank} of {n} by size; {range}").replace("{n}",
                                                                         str(len(states)))
    pick = f"split({vega_literal(each)}[{key}], ' ')[indexof({vega_literal(states)}, pl_state)]"
    i, j = sentence.find("{effect}"), sentence.find("{rank}")
    pieces = {"effect": f"split({pick}, '/')[0]", "rank": f"split({pick}, '/')[1]"}
    between = sentence[i + len("{effect}"):j] if 0 <= i < j else "{"
    if "{" not in between:  # one replace() gives both, as the English always did
        sentence = sentence[:i] + "{effect_rank}" + sentence[j + len("{rank}"):]
        pieces["effect_rank"] = f"replace({pick}, '/', {_lit(between)})"
    outcome_shown = shown_value("pl_outcome", dict(zip(outcomes, outcome_labels, strict=True)))
    live = _expr(sentence, year="pl_year", outcome=f"lower({outcome_shown})",
                 state=f"{nm}[pl_state]", range=f"{vega_literal(spread)}[{key}]", **pieces)
    tab = pt[pt["year"] == year].pivot(index="state_abbr", columns="outcome",
                                      values=["did", "treated_before"])
    tab = tab.sort_values(("did", "Violent crime"), ascending=False)
    table = pd.DataFrame({
        t("State"): [f"{names[s]} ({s})" for s in tab.index],
        t("Violent crime: 'effect' per 100,000"): [f"{v:+,.1f}" for v in
                                                    tab[("did", "Violent crime")]],
        t("Violent crime: rate before"): [f"{v:,.1f}" for v in
                                          tab[("treated_before", "Violent crime")]],
        t("Property crime: 'effect' per 100,000"): [f"{v:+,.1f}" for v in
                                                     tab[("did", "Property crime")]],
        t("Property crime: rate before"): [f"{v:,.1f}" for v in
                                           tab[("treated_before", "Property crime")]]})
    narrow = {"height": 220, "width": 190, "layer": [{"encoding": {
        "x": {"axis": {"labels": False,
                       "title": t("States, by estimate|(names in the data table)").split("|")}},
        "y": {"title": t("'Effect' per 100,000")}}}]}
    return finish(
        chart,
        title=t("Every state has an 'effect': placebo policy years"),
        subtitle=t("One state against all others, around a year with no common policy."),
        description=t(
            "Bar chart with one bar per state (50 states and DC), sorted by size: the "
            "difference-in-differences of that state's crime rate against all other states, "
            "around a pretend policy year, 4 years on each side. For violent crime around "
            "{year}, the estimates run from {low:+.1f} to {high:+.1f} per 100,000. Controls "
            "change the year, the outcome and the highlighted state.").format(
            year=year, low=sub.min(), high=sub.max()),
        datasets=["crime_panel"],
        table=table,
        table_caption=t(
            "Each state's placebo difference-in-differences against all other states around "
            "{year} (4 years on each side), and its rate per 100,000 before, for both "
            "outcomes; ordered by the violent-crime estimate. For other years, the sentence "
            "under the chart gives the highlighted state's result and the range.").format(
            year=year),
        live=live, live_name="pl_live", narrow=narrow, lang=lang,
    )
