"""Chapter 5 (practices) charts: programs, the policy builder, the U-visa backlog."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data
from .base import finish

# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


def _wrapped(chart: alt.TopLevelMixin, width: int = 92) -> alt.TopLevelMixin:
    """Wrap a finished chart's subtitle and source lines so the chart fits the book's text
    column (Vega does not wrap titles itself)."""

    title = chart.title
    lines = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
    title.subtitle = [part for line in lines for part in textwrap.wrap(str(line), width)]
    return chart


def programs_explorer(df: pd.DataFrame | None = None) -> alt.Chart:
    """Programs (rows) by the practices they illustrate (columns). Menus filter by practice
    and region, a slider by start year; clicking the evidence legend highlights one kind."""
    from .. import practices as pr

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
    from .. import practices as pr

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
