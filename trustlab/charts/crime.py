"""Chapter 3 (evidence on crime) charts: study results, the difference-in-differences
explorer, placebo tests."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data
from .base import PALETTE, finish

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
    from ..crime import NEIGHBOURS

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
    from ..crime import did

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
    from ..crime import placebo_table

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


