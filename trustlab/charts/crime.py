"""Chapter 3 (evidence on crime) charts: study results, the difference-in-differences
explorer, placebo tests.

Every chart here works without a mouse: its controls are menus, radio buttons and sliders;
its tooltips are repeated in a data table; a live sentence states the result of the current
view (see :func:`trustlab.charts.base.finish`)."""

from __future__ import annotations

import json
import textwrap

import altair as alt
import pandas as pd

from .. import data
from .base import MUTED_TEXT, PALETTE, finish, text_color

# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

DIRECTIONS = ["less crime", "no detectable effect", "more crime", "not a crime outcome"]
# Marks: every colour at least 3:1 on white; the column a dot sits in says the same thing.
DIRECTION_COLORS = ["#1b9e77", "#666666", "#d95f02", "#7570b3"]
TEXT = "#222222"


def _js(value) -> str:
    """A Python value as a Vega expression literal (JSON is valid Vega expression syntax)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _wrap(text: str, width: int) -> str:
    """Axis label lines joined by '|' (the axis splits them): labels wrap, never get cut."""
    return "|".join(textwrap.wrap(text, width))


def _estimate_label(row: pd.Series) -> str:
    """A short label for the published size ('2.5x', '≥ +146%' for a lower bound, '-35.5 per
    10,000'); the full unit and its qualifier are in the tooltip and the data table."""
    if pd.isna(row["estimate"]):
        return "direction only"
    unit, est = str(row["unit"]), float(row["estimate"])
    qual = "≥ " if "lower bound" in unit else ""  # "at least": short enough for a phone
    if unit.startswith("ratio"):
        return f"{qual}{est:g}x"
    if unit.startswith("percent"):
        return f"{qual}{est:+g}%"
    if "per 10000" in unit:
        return f"{est:+g} per 10,000"
    return f"{est:+g} {unit}"


def _study_sentences(d: pd.DataFrame, policies: list[str], designs: list[str]) -> dict:
    """The live sentence for each (policy, design) menu choice, keyed 'policy|design'."""
    out = {}
    for p in policies:
        for g in designs:
            s = d[((d["policy"] == p) | (p == "All")) & ((d["design"] == g) | (g == "All"))]
            which = f"Policy {p}, design {g}"
            if s.empty:  # the live expression says so itself
                continue
            n = [int((s["direction"] == x).sum()) for x in DIRECTIONS]
            out[f"{p}|{g}"] = (
                f"{which}: {len(s)} of {len(d)} estimates shown; {n[0]} less crime, {n[1]} no "
                f"detectable effect, {n[2]} more crime, {n[3]} not a crime outcome.")
    return out


def crime_study_results(df: pd.DataFrame | None = None) -> alt.HConcatChart:
    """One row per study estimate: where its result falls (less crime / no detectable effect /
    more crime) and the published size where checked, with menus for policy and design."""
    df = data.load("crime_studies") if df is None else df
    d = df.copy()
    d["study_short"] = d["study"].str.replace(r" \(CGO working paper\)", "", regex=True)
    full = d["study_short"] + ": " + d["outcome_short"]
    d["label"] = full.map(lambda s: _wrap(s, 40))          # wide screens: up to 2 lines
    d["label_narrow"] = full.map(lambda s: _wrap(s, 18))   # phones: shorter lines
    d["size"] = d.apply(_estimate_label, axis=1)
    d["unit"] = d["unit"].fillna("")
    d = d.sort_values(["policy", "study"], kind="stable").reset_index(drop=True)
    d["row"] = range(len(d))
    policies = ["All"] + sorted(d["policy"].unique())
    designs = ["All"] + sorted(d["design"].unique())
    pol = alt.param(name="cs_policy", value="All",
                    bind=alt.binding_select(options=policies, name="Policy "))
    des = alt.param(name="cs_design", value="All",
                    bind=alt.binding_select(options=designs, name="Research design "))
    keep = "(cs_policy == 'All' || datum.policy == cs_policy) && " \
           "(cs_design == 'All' || datum.design == cs_design)"
    split = "split(datum.label, '|')"
    y = alt.Y("label:N", sort=alt.EncodingSortField("row", order="ascending"), title=None,
              axis=alt.Axis(labelExpr=split, labelLimit=0, labelFontSize=11,
                            labelColor=TEXT),
              scale=alt.Scale(paddingOuter=0.4))
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
    step = 2 * 14 + 6  # two label lines
    dots = base.mark_point(filled=True, size=140, opacity=0.9).encode(
        x=alt.X("direction:N", sort=DIRECTIONS, scale=alt.Scale(domain=DIRECTIONS),
                title="Result (crime in the first group of the comparison)",
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=0,
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
    ).properties(width=200, height=alt.Step(step))
    sizes = base.mark_text(align="left", fontSize=11, dx=4).encode(
        x=alt.value(0), text="size:N",
        y=alt.Y("label:N", sort=alt.EncodingSortField("row", order="ascending"), axis=None,
                scale=alt.Scale(paddingOuter=0.4)),
        color=alt.condition("datum.size == 'direction only'",
                            alt.value(MUTED_TEXT), alt.value(TEXT)),
        tooltip=tips,
    ).properties(width=130, height=alt.Step(step),
                 title=alt.Title("Published size", fontSize=12))
    chart = alt.hconcat(dots, sizes, spacing=8).add_params(pol, des)
    n = len(df)
    counts = df["direction"].value_counts()
    live = (f"{_js(_study_sentences(d, policies, designs))}[cs_policy + '|' + cs_design] || "
            "'Policy ' + cs_policy + ', design ' + cs_design + ': no estimates match; choose "
            "All in one of the menus.'")
    table = pd.DataFrame({
        "Study": d["study"], "Outcome": d["outcome"], "Policy": d["policy"],
        "Design": d["design"], "Comparison": d["comparison"], "Direction": d["direction"],
        "Published size": d["size"], "Unit as published": d["unit"].replace("", "–"),
        "Finding": d["finding"], "Confidence": d["confidence"]})
    # Phones: shorter label lines, and the 'Published size' column gets its own row labels
    # because the book stacks the two parts there.
    narrow_y = {"field": "label_narrow", "title": None}
    narrow_step = {"step": 14 * int(d["label_narrow"].str.count("[|]").max() + 1) + 8}
    # One-word column headings there, explained by the axis title.
    narrow = {"hconcat": [
        {"width": 140, "height": narrow_step,
         "encoding": {"y": narrow_y, "x": {
             "title": ["Crime in the first group:", "less, none detected, more,",
                       "or other (not a crime outcome)"],
             "axis": {"titleAnchor": "end", "titleAlign": "right", "labelPadding": 6,
                      "labelExpr": "{'less crime': 'less', 'no detectable effect': 'none', "
                                   "'more crime': 'more', 'not a crime outcome': 'other'}"
                                   "[datum.label]"}}}},
        {"width": 110, "height": narrow_step,
         "encoding": {"y": {**narrow_y, "axis": {
             "labelExpr": split, "labelLimit": 0, "labelFontSize": 11, "labelColor": TEXT}}}},
    ]}
    return finish(
        chart,
        title="What studies of enforcement, sanctuary policies and crime found",
        subtitle="Filter by policy or design with the menus; every estimate's finding is in "
                 "the data table. Sizes are in different units.",
        description=(
            f"Dot chart with one row for each of {n} study estimates. Each dot sits in one of "
            "four columns: less crime, no detectable effect, more crime, or not a crime "
            f"outcome. {int(counts.get('no detectable effect', 0))} estimates show no "
            f"detectable effect, {int(counts.get('less crime', 0))} less crime and "
            f"{int(counts.get('more crime', 0))} more crime. A second column prints the "
            "published size where it was checked, otherwise 'direction only'. Menus "
            "filter the rows by policy and by research design."),
        datasets=["crime_studies"],
        table=table,
        table_caption="Every study estimate in the chart, with its comparison, finding and "
                      "published size (ordered by policy, then study).",
        live=live, live_name="cs_live", narrow=narrow,
    )


DID_WIDTH = 520
DID_ROWS = ["Treated state", "Comparison group", "Difference-in-differences"]
DID_COLUMNS = ["Before", "After", "Change"]
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


def _did_table(panel: pd.DataFrame, ex, first: int, last: int) -> pd.DataFrame:
    """The default view as a table: both groups' yearly rates, their means and the DiD."""
    from ..crime import yearly_rates

    tr = yearly_rates(panel, (ex.treated,), ex.outcome)
    co = yearly_rates(panel, ex.comparison, ex.outcome)
    (b0, b1), (a0, a1) = ex.before_years, ex.after_years

    def period(y: int) -> str:
        return "before" if b0 <= y <= b1 else "after" if a0 <= y <= a1 else "outside the window"

    rows = [[str(y), period(y), f"{tr[y]:,.1f}", f"{co[y]:,.1f}"] for y in range(first, last + 1)]
    rows += [[f"Mean {b0}–{b1}", "before", f"{ex.treated_before:,.1f}",
              f"{ex.comparison_before:,.1f}"],
             [f"Mean {a0}–{a1}", "after", f"{ex.treated_after:,.1f}",
              f"{ex.comparison_after:,.1f}"],
             ["Change", "after − before", f"{ex.treated_change:+,.1f}",
              f"{ex.comparison_change:+,.1f}"],
             ["Difference-in-differences", "treated change − comparison change",
              f"{ex.estimate:+,.1f}", ""]]
    return pd.DataFrame(rows, columns=["Year", "Period", f"{ex.treated} (per 100,000)",
                                       "All other states (per 100,000)"])


def crime_did_explorer(panel: pd.DataFrame | None = None, *, treated: str = "TX",
                       policy_year: int = 2017, window: int = 4,
                       other: str = "NM") -> alt.VConcatChart:
    """Pick a treated state, a policy year, a window and a comparison group: the chart
    recomputes the before/after means and the difference-in-differences in the browser."""
    from ..crime import did

    panel = data.load("crime_panel") if panel is None else panel
    d = _did_frame(panel)
    names = panel.drop_duplicates("state_abbr").sort_values("state_name")
    abbrs, labels = list(names["state_abbr"]), list(names["state_name"])
    state_names = dict(zip(abbrs, labels, strict=True))
    first, last = int(d["year"].min()), int(d["year"].max())
    p_state = alt.param(name="did_state", value=treated,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name="Treated state "))
    p_year = alt.param(name="did_year", value=policy_year,
                       bind=alt.binding_range(min=first + 1, max=last, step=1,
                                              name="Policy year (first 'after' year) "))
    p_win = alt.param(name="did_window", value=window,
                      bind=alt.binding_range(min=1, max=8, step=1,
                                             name="Years on each side "))
    p_comp = alt.param(name="did_comp", value="All other states",
                       bind=alt.binding_radio(options=["All other states",
                                                       "Neighbouring states", "One state"],
                                              name="Comparison "))
    p_other = alt.param(name="did_other", value=other,
                        bind=alt.binding_select(options=abbrs, labels=labels,
                                                name="Comparison state (for One state) "))
    p_out = alt.param(name="did_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=["Violent crime", "Property crime"],
                                             name="Outcome "))
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
                       scale=alt.Scale(domain=DID_ROWS[:2], range=[PALETTE[1], PALETTE[0]]),
                       legend=alt.Legend(orient="top", direction="horizontal"))
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

    # Below the lines: a small grid of numbers (rows: treated, comparison, DiD; columns:
    # before, after, change). A grid shrinks with the chart on a phone; sentences would not.
    means2 = (
        rates.transform_aggregate(mean_rate="mean(rate)", groupby=["group", "period"])
        .transform_pivot("period", value="mean_rate", groupby=["group"])
        .transform_calculate(Change="datum.After - datum.Before")
    )
    est = means2.transform_calculate(
        signed="datum.group == 'Treated state' ? datum.Change : -datum.Change",
        tc="datum.group == 'Treated state' ? datum.Change : 0",
        cc="datum.group == 'Comparison group' ? datum.Change : 0",
    ).transform_aggregate(est="sum(signed)", tc="sum(tc)", cc="sum(cc)", n="count()")
    # The before and after years as text ("2013–2016", or "2016" for one year).
    b0, a1 = f"max({first}, did_year - did_window)", f"min({last}, did_year + did_window - 1)"
    before = f"({b0} == did_year - 1 ? '' + {b0} : {b0} + '–' + (did_year - 1))"
    after = f"({a1} == did_year ? '' + did_year : did_year + '–' + {a1})"
    x_cols = alt.X("col:N", title=None, scale=alt.Scale(domain=DID_COLUMNS),
                   axis=alt.Axis(orient="top", labelAngle=0, domain=False, ticks=False,
                                 labelFontSize=12, labelColor=TEXT, labelLimit=0,
                                 labelExpr=(
                                     f"datum.label == 'Before' ? ['Before', {before}] : "
                                     f"datum.label == 'After' ? ['After', {after}] : "
                                     "['Change', 'after − before']")))
    row_colors = {"Treated state": text_color(PALETTE[1]),
                  "Comparison group": text_color(PALETTE[0])}
    y_rows = alt.Y("row:N", title=None, scale=alt.Scale(domain=DID_ROWS, padding=1),
                   axis=alt.Axis(domain=False, ticks=False, labelFontSize=12, labelLimit=0,
                                 labelExpr="datum.label == 'Comparison group' ? "
                                           "['Comparison', 'group'] : datum.label == "
                                           "'Difference-in-differences' ? "
                                           "['Difference-in-', 'differences'] : datum.label",
                                 labelColor=alt.ExprRef(
                                     f"{_js(row_colors)}[datum.label] || '{TEXT}'")))
    cells = means2.transform_fold(["Before", "After", "Change"], as_=["col", "value"]) \
        .transform_calculate(row="datum.group",
                             txt="datum.col == 'Change' ? format(datum.value, '+,.1f') : "
                                 "format(datum.value, ',.1f')") \
        .mark_text(fontSize=12).encode(x=x_cols, y=y_rows, text="txt:N",
                                      color=alt.value(TEXT))
    est_cell = est.transform_filter("datum.n == 2").transform_calculate(
        row="'Difference-in-differences'", col="'Change'",
        txt="format(datum.est, '+,.1f')").mark_text(fontSize=12, fontWeight="bold").encode(
        x=x_cols, y=y_rows, text="txt:N", color=alt.value(TEXT))
    grid = alt.layer(cells, est_cell).properties(width=DID_WIDTH, height=alt.Step(30))
    message = est.transform_filter("datum.n != 2").transform_calculate(
        txt="did_comp == 'One state' ? ['No comparison state: pick one that is', "
            "'not the treated state.'] : ['No comparison states: Alaska and Hawaii', "
            "'have no land neighbours.']"
    ).mark_text(align="left", baseline="top", fontSize=12, fontWeight="bold").encode(
        x=alt.value(0), y=alt.value(0), text="txt:N", color=alt.value(TEXT)
    ).properties(width=DID_WIDTH, height=32)
    chart = alt.vconcat(top, grid, message, spacing=12).add_params(
        p_state, p_year, p_win, p_comp, p_other, p_out)
    ex = did(panel, treated, policy_year, window=window)

    e = f"data('{DID_EST_DATA}')"
    names_js = _js(state_names)
    cmp = (f"(did_comp == 'All other states' ? 'all other states' : did_comp == "
           f"'Neighbouring states' ? {names_js}[did_state] + \"'s neighbours\" : "
           f"{names_js}[did_other])")
    span = f"'before (' + {before} + ') and after (' + {after} + ')'"
    live = (
        f"(length({e}) > 0 && {e}[0].n == 2) ? "
        f"{names_js}[did_state] + ', ' + lower(did_outcome) + ', ' + {span} + ', compared "
        f"with ' + {cmp} + ': the difference-in-differences is ' + format({e}[0].est, '+,.1f')"
        f" + ' per 100,000 (the state changed by ' + format({e}[0].tc, '+,.1f') + ', the "
        f"comparison group by ' + format({e}[0].cc, '+,.1f') + ').' : "
        f"{names_js}[did_state] + ': no comparison states for this choice (' + "
        f"(did_comp == 'One state' ? 'pick a comparison state other than the treated state'"
        f" : 'Alaska and Hawaii have no land neighbours') + ').'")
    # Phones: explicit widths that fit a 270 px box, years as "2013–16" in the grid.
    short = "(did_year - 1 - {b0} > 0 ? {b0} + '–' + substring('' + (did_year - 1), 2) : " \
            "'' + {b0})"
    narrow = {"vconcat": [
        {"height": 200, "width": 165,
         "layer": [{"encoding": {"x": {"axis": {"tickCount": 5}},
                                 "y": {"title": "Per 100,000 residents"}}}]},
        {"width": 165, "layer": [{"encoding": {"x": {"axis": {"labelFontSize": 11, "labelExpr": (
            f"datum.label == 'Before' ? ['Before', {short.format(b0=b0)}] : "
            f"datum.label == 'After' ? ['After', ({a1} > did_year ? did_year + '–' + "
            f"substring('' + {a1}, 2) : '' + did_year)] : 'Change'")}}}}]},
        {"width": 165},
    ]}
    return finish(
        chart,
        # Two lines: on one, the title was wider than the chart's box on a desktop, so every
        # visit had to re-fit the chart (and load Vega-Lite to do it).
        title=["Difference-in-differences explorer: state crime rates,",
               f"FBI estimates, {first}–{last}"],
        subtitle="A two-group gap describes; it does not prove. Other changes in the "
                 "treated state also show up here.",
        description=(
            "Line chart of yearly crime rates per 100,000 for a treated state and a comparison "
            "group, with dashed lines for each group's mean before and after a policy year and "
            "a vertical line at the policy year. Below it, a small table of the before and "
            "after means, their changes, and the difference-in-differences. Controls choose "
            "the state, the year, the years on each side, the comparison group and the "
            "outcome, and the numbers recompute in the browser. Default view: "
            f"{ex.treated}, policy year {policy_year}, {window} years each side, all other "
            f"states, violent crime: treated change {ex.treated_change:+.1f}, comparison "
            f"change {ex.comparison_change:+.1f}, difference-in-differences "
            f"{ex.estimate:+.1f} per 100,000."),
        datasets=["crime_panel"],
        table=_did_table(panel, ex, first, last),
        table_caption=(
            f"Violent crimes per 100,000 residents in {state_names[treated]} and in all other "
            f"states pooled, {first}–{last}, with the means and the difference-in-differences "
            f"of the chart's starting view (policy year {policy_year}, {window} years on each "
            "side). For other choices, the sentence under the chart gives the result."),
        live=live, live_name="did_live", narrow=narrow,
    )


def _placebo_lookup(t: pd.DataFrame, states: list[str], names: pd.Series) -> tuple[dict, dict]:
    """Two lookups for the live sentence, keyed 'year|outcome': each state's estimate and its
    rank by size ('+5.3/12', space-separated, in ``states`` order; rank 1 = largest in either
    direction), and the range of all estimates in words."""
    each, spread = {}, {}
    for (year, outcome), g in t.groupby(["year", "outcome"]):
        g = g.set_index("state_abbr").loc[states]
        rank = g["did"].abs().rank(ascending=False, method="min").astype(int)
        key = f"{int(year)}|{outcome}"
        each[key] = " ".join(f"{v:+.1f}/{r}" for v, r in zip(g["did"], rank, strict=True))
        lo, hi = g["did"].idxmin(), g["did"].idxmax()
        spread[key] = (f"the {len(states)} estimates run from {g['did'][lo]:+.1f} "
                       f"({names[lo]}) to {g['did'][hi]:+.1f} ({names[hi]}).")
    return each, spread


def crime_placebo(table: pd.DataFrame | None = None, *, year: int = 2012,
                  state: str = "TX") -> alt.LayerChart:
    """Difference-in-differences of every state against all others at a chosen (placebo)
    year: how large 'effects' look when no one chose that year for a policy."""
    from ..crime import placebo_table

    panel = data.load("crime_panel")
    t = placebo_table(panel) if table is None else table
    names = panel.drop_duplicates("state_abbr").set_index("state_abbr")["state_name"]
    years = sorted(t["year"].unique())
    p_year = alt.param(name="pl_year", value=year,
                       bind=alt.binding_range(min=int(years[0]), max=int(years[-1]), step=1,
                                              name="Pretend policy year "))
    p_out = alt.param(name="pl_outcome", value="Violent crime",
                      bind=alt.binding_radio(options=["Violent crime", "Property crime"],
                                             name="Outcome "))
    states = sorted(t["state_abbr"].unique())
    menu = sorted(states, key=lambda s: str(names[s]))  # the menu shows names: sort by name
    p_state = alt.param(name="pl_state", value=state,
                        bind=alt.binding_select(options=menu,
                                                labels=[str(names[s]) for s in menu],
                                                name="Highlight state "))
    # Both layers read the same rows (so the x axis keeps its sort by size).
    base = alt.Chart(t).transform_filter(
        "datum.year == pl_year && datum.outcome == pl_outcome").transform_calculate(
        top="max(datum.did, 0)")
    by_size = alt.EncodingSortField("did", op="sum", order="descending")
    x = alt.X("state_abbr:N", sort=by_size, title="State (sorted by estimate)",
              axis=alt.Axis(labelAngle=-90, labelFontSize=9))
    bars = base.mark_bar().encode(
        x=x,
        y=alt.Y("did:Q", title="'Effect' per 100,000 (difference-in-differences)"),
        color=alt.condition("datum.state_abbr == pl_state", alt.value(PALETTE[1]),
                            alt.value(PALETTE[0])),
        tooltip=[alt.Tooltip("state_abbr:N", title="State"),
                 alt.Tooltip("year:Q", title="Pretend policy year", format="d"),
                 alt.Tooltip("did:Q", title="DiD per 100,000", format="+,.1f"),
                 alt.Tooltip("treated_before:Q", title="State's rate before",
                             format=",.1f")])
    # The highlighted state is named above its bar, not marked by colour alone.
    label = base.mark_text(
        baseline="bottom", dy=-4, fontSize=12, fontWeight="bold",
        color=text_color(PALETTE[1])).encode(
        x=alt.X("state_abbr:N", sort=by_size), y="top:Q",
        text=alt.condition("datum.state_abbr == pl_state", "state_abbr:N", alt.value("")))
    chart = alt.layer(bars, label).add_params(p_year, p_out, p_state).properties(
        width=560, height=300)
    sub = t[(t["year"] == year) & (t["outcome"] == "Violent crime")]["did"]
    each, spread = _placebo_lookup(t, states, names)
    key = "pl_year + '|' + pl_outcome"
    nm = _js({s: str(names[s]) for s in states})
    live = (
        f"'Pretend policy year ' + pl_year + ', ' + lower(pl_outcome) + ': ' + {nm}[pl_state]"
        f" + \"'s 'effect' is \" + replace(split({_js(each)}[{key}], ' ')[indexof("
        f"{_js(states)}, pl_state)], '/', ' per 100,000, rank ') + ' of {len(states)} by size; ' + "
        f"{_js(spread)}[{key}]")
    tab = t[t["year"] == year].pivot(index="state_abbr", columns="outcome",
                                      values=["did", "treated_before"])
    tab = tab.sort_values(("did", "Violent crime"), ascending=False)
    table = pd.DataFrame({
        "State": [f"{names[s]} ({s})" for s in tab.index],
        "Violent crime: 'effect' per 100,000": [f"{v:+,.1f}" for v in
                                                 tab[("did", "Violent crime")]],
        "Violent crime: rate before": [f"{v:,.1f}" for v in
                                       tab[("treated_before", "Violent crime")]],
        "Property crime: 'effect' per 100,000": [f"{v:+,.1f}" for v in
                                                  tab[("did", "Property crime")]],
        "Property crime: rate before": [f"{v:,.1f}" for v in
                                        tab[("treated_before", "Property crime")]]})
    narrow = {"height": 220, "width": 190, "layer": [{"encoding": {
        "x": {"axis": {"labels": False, "title": ["States, by estimate", "(names in the "
                                                                    "data table)"]}},
        "y": {"title": "'Effect' per 100,000"}}}]}
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
        table=table,
        table_caption=(
            f"Each state's placebo difference-in-differences against all other states around "
            f"{year} (4 years on each side), and its rate per 100,000 before, for both "
            "outcomes; ordered by the violent-crime estimate. For other years, the sentence "
            "under the chart gives the highlighted state's result and the range."),
        live=live, live_name="pl_live", narrow=narrow,
    )
