"""Chapter 5 (practices) charts: programs, the policy builder, the U-visa backlog.

Every control is a form control under the chart (keyboard and screen-reader usable); every
chart carries a data table with its tooltip content and a live sentence stating the result of
the current view; ``narrow=`` changes keep each chart readable in a 290 px phone column.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data
from .base import finish

# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

# Evidence of a program's results. The light grey once used for "none found" had 1.9:1
# contrast on white; every mark colour here has at least 3:1 (tests/test_practices.py).
PROGRAM_EVIDENCE = ["evaluation", "descriptive", "none found"]
PROGRAM_EVIDENCE_COLORS = ["#1b9e77", "#1f6fb2", "#767676"]

# Colours for the kinds of evidence behind a recommendation (order of
# ``practices.EVIDENCE_ORDER``), each at least 3:1 on white. The swatch is never read alone:
# the kind of evidence is written next to it.
REC_EVIDENCE_COLORS = ["#1b5e20", "#2e7d32", "#1f6fb2", "#5b8db8", "#7570b3", "#767676",
                       "#d95f02"]
MEETS_COLOR, NOT_YET_COLOR = "#1b7a3d", "#b23b3b"  # text: 5.4:1 and 5.9:1 on white

# A few words per recommendation for the policy builder's live sentence (which lists what is
# still missing, so it must stay short). A recommendation not listed uses its short label.
REC_SHORT = {
    "r01_written_policy": "a written policy",
    "r02_translate_policy": "translation",
    "r03_update_policy": "updates",
    "r04_no_status_inquiry": "no status questions",
    "r05_judicial_warrant_holds": "judicial warrants for holds",
    "r06_serious_crime_cooperation": "serious-crime cooperation",
    "r07_no_civil_enforcement": "no 287(g)",
    "r08_language_access": "interpreters",
    "r09_cultural_training": "training",
    "r10_advisory_council": "an advisory council",
    "r11_leader_presence": "the chief in person",
    "r12_u_t_certification": "U/T certification",
    "r13_protect_funding": "protected funding",
}


def _wrapped(chart: alt.TopLevelMixin, width: int = 92) -> alt.TopLevelMixin:
    """Wrap a finished chart's subtitle and source lines so the chart fits the book's text
    column (Vega does not wrap titles itself)."""

    title = chart.title
    lines = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
    title.subtitle = [part for line in lines for part in textwrap.wrap(str(line), width)]
    return chart


def _lines(text: str, width: int, hyphens: bool = False) -> str:
    """``text`` broken into lines of at most ``width`` characters, joined by '|' (split again
    in the browser by ``labelExpr``/``lineBreak``, so long labels wrap instead of being cut)."""
    return "|".join(textwrap.wrap(str(text), width, break_on_hyphens=hyphens,
                                  break_long_words=False)) or str(text)


def _js(text: str) -> str:
    """A Python string as a single-quoted Vega expression string literal."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def programs_explorer(df: pd.DataFrame | None = None) -> alt.Chart:
    """Programs (rows) by the practices they illustrate (columns). Menus filter by practice
    and region, a slider by start year, and an Evidence menu highlights one kind of evidence.
    A live sentence names the programs shown; the data table holds every tooltip."""
    from .. import practices as pr

    long = pr.programs_long(df)
    cols = ["program_id", "name", "agency", "place", "state", "region", "year_started",
            "year_note", "practices", "practice", "practice_label", "what_it_does",
            "evidence_kind", "evidence_summary", "confidence", "verification_note"]
    long = long[cols].copy()
    long["year_started"] = long["year_started"].astype("float")
    long["year_shown"] = long["year_started"].map(lambda y: "unknown" if pd.isna(y)
                                                  else str(int(y)))
    # Row labels carry '|' where a narrow screen breaks them into lines.
    long["row"] = long["name"].map(lambda s: _lines(s, 18))
    progs = (long.drop_duplicates("program_id")
             .sort_values(["year_started", "name"], na_position="last"))
    order = progs["row"].tolist()
    years = long["year_started"].dropna()
    lo, hi = int(years.min()), int(years.max())
    regions = ["Northeast", "Midwest", "South", "West"]
    practice = alt.param(
        name="pe_practice", value="All",
        bind=alt.binding_select(options=["All", *pr.PRACTICES],
                                labels=["All practices", *pr.PRACTICES.values()],
                                name="Practice"))
    region = alt.param(
        name="pe_region", value="All",
        bind=alt.binding_select(options=["All", *regions],
                                labels=["All regions", *regions], name="Region"))
    year = alt.param(
        name="pe_year", value=hi,
        bind=alt.binding_range(min=lo, max=hi, step=1, name="Started in or before"))
    evidence = alt.param(
        name="pe_evidence", value="All",
        bind=alt.binding_select(options=["All", *PROGRAM_EVIDENCE],
                                labels=["All kinds", *PROGRAM_EVIDENCE],
                                name="Highlight evidence of results"))
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
            y=alt.Y("row:N", title=None, sort=order,
                    axis=alt.Axis(labelLimit=280,
                                  labelExpr="join(split(datum.label, '|'), ' ')")),
            color=alt.Color("evidence_kind:N", title="Evidence of results",
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=PROGRAM_EVIDENCE,
                                            range=PROGRAM_EVIDENCE_COLORS)),
            shape=alt.Shape("confidence:N", title="Verified?",
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=["verified", "reported", "could not verify"],
                                            range=["square", "circle", "cross"])),
            opacity=alt.condition("pe_evidence == 'All' || datum.evidence_kind == pe_evidence",
                                  alt.value(1.0), alt.value(0.15)),
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
    n = len(progs)
    counts = pr.evidence_counts(df)
    unverified = int((progs["confidence"] == "could not verify").sum())

    # The live sentence: which programs the current filters keep, computed per program with
    # the same rules as the chart's filter (no lambdas in Vega expressions).
    def keeps(p) -> str:
        year_ok = "true" if pd.isna(p["year_started"]) else f"{int(p['year_started'])} <= pe_year"
        return (f"((pe_practice == 'All' || indexof({_js(p['practices'])}, pe_practice) >= 0)"
                f" && (pe_region == 'All' || pe_region == {_js(p['region'])}) && {year_ok})")
    rows = [p for _, p in progs.iterrows()]
    shown = "(" + " + ".join(f"({keeps(p)} ? 1 : 0)" for p in rows) + ")"
    names = ("slice(" + " + ".join(f"({keeps(p)} ? {_js(p['name'] + '; ')} : '')"
                                   for p in rows) + ", 0, -2)")
    marked = "(" + " + ".join(
        f"({keeps(p)} && pe_evidence == {_js(p['evidence_kind'])} ? 1 : 0)" for p in rows) + ")"
    labels = "{" + ", ".join(f"{_js(k)}: {_js(v)}" for k, v in pr.PRACTICES.items()) + "}"
    live = (
        f"({shown} == 0 ? 'No program matches' : {shown} + ' of {n} programs match')"
        f" + ' (' + (pe_practice == 'All' ? 'any practice' : {labels}[pe_practice])"
        " + ', ' + (pe_region == 'All' ? 'all regions' : pe_region)"
        " + ', started in or before ' + pe_year + ' or in an unknown year)'"
        f" + ({shown} == 0 || {shown} > 5 ? '.' : ': ' + {names} + '.')"
        f" + (pe_evidence == 'All' ? '' : ' Highlighted: ' + {marked} + ' with evidence of"
        " results \"' + pe_evidence + '\".')")
    table = pd.DataFrame({
        "Program": progs["name"],
        "Run by": progs["agency"],
        "Started": progs["year_shown"],
        "Region": progs["region"],
        "Practices": progs["practices"].map(
            lambda s: ", ".join(pr.PRACTICES.get(p, p) for p in s.split(";"))),
        "What it does": progs["what_it_does"],
        "Evidence": progs["evidence_kind"],
        "What is known": progs["evidence_summary"],
        "Confidence": progs["confidence"],
        "What was checked": progs["verification_note"],
    })
    # Phones: narrower columns with upright labels, program names on up to three lines,
    # smaller marks.
    narrow = {
        # The book wraps titles at about 8.6 px a character, which DejaVu Sans Bold at the
        # theme's 15 px exceeds: a smaller title keeps this one inside a phone's column.
        "title": {"fontSize": 13},
        "width": {"step": 15}, "height": {"step": 42},
        "mark": {"size": 80},
        "encoding": {
            "x": {"axis": {"labelAngle": -90, "labelFontSize": 11}},
            "y": {"axis": {"labelExpr": "split(datum.label, '|')", "labelFontSize": 11,
                           "labelLimit": 130}},
            # Two legends side by side under the grid, from the left edge of the labels.
            "color": {"legend": {"orient": "none", "legendX": -100, "title": "Evidence",
                                 "legendY": {"expr": "height + 12"}}},
            "shape": {"legend": {"orient": "none", "legendX": 10,
                                 "legendY": {"expr": "height + 12"}}},
        },
    }
    return _wrapped(finish(
        chart,
        title="Programs named as ways to keep immigrant communities' trust",
        subtitle="Filter with the menus and slider under the chart; the Evidence menu "
                 "highlights one kind; the data table lists every program in full.",
        description=(
            f"Grid of {n} programs and state laws (rows, ordered by start year from {lo} to "
            f"{hi}) against {len(pr.PRACTICES)} trust-building practices (columns); a mark shows "
            f"that a program illustrates a practice. Colour gives the evidence of results: "
            f"{counts['evaluation']} with an evaluation, {counts['descriptive']} with "
            f"descriptive accounts only and {counts['none found']} with none found. Shape "
            f"gives verification: {unverified} programs as named could not be verified and "
            "are drawn as crosses."),
        datasets=["programs"],
        table=table,
        table_caption="Programs and state laws in the chart, by start year: what each does, "
                      "the evidence of its results and what could be verified.",
        live=live, live_name="pe_live", narrow=narrow,
    ))


def policy_builder(recs: pd.DataFrame | None = None,
                   defaults: dict[str, bool] | None = None) -> alt.VConcatChart:
    """Tick a jurisdiction's choices; the chart recomputes in the browser which
    recommendations are met and shows the evidence behind each. No kernel needed.

    One view (rows: recommendations; columns: status, then the evidence) so that each row
    stays together on a phone; a live sentence gives the count and what is still missing."""
    from .. import practices as pr

    full = pr.check_choices(defaults or {})
    card = pr.scorecard(full, recs)
    card["met_when"] = card["met_when"].astype(bool)
    d = card[["rec_id", "short_label", "practice_label", "evidence_strength",
              "recommended_by", "choice", "met_when"]].copy()
    d["row"] = d["short_label"].map(lambda s: _lines(s, 16, hyphens=True))
    d["evidence_lines"] = d["evidence_strength"].map(lambda s: _lines(s, 16))
    params = [alt.param(name=f"pb_{key}", value=full[key],
                        bind=alt.binding_checkbox(name=label))
              for key, label in pr.CHOICES.items()]
    lookup = "false"
    for key in reversed(list(pr.CHOICES)):
        lookup = f"(datum.choice == '{key}' ? pb_{key} : {lookup})"
    order = d["row"].tolist()
    base = alt.Chart(d).transform_calculate(
        met=f"{lookup} == datum.met_when",
        status="datum.met ? '✔ meets' : '✘ not yet'",
        status_short="datum.met ? '✔ yes' : '✘ no'",
        met_num="datum.met ? 1 : 0")
    # Column positions are fractions of the view's width, so they shrink with it.
    col = alt.Scale(domain=[0, 1], nice=False, zero=False)
    y = alt.Y("row:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=250, labelExpr="join(split(datum.label, '|'), ' ')",
                            domain=False, ticks=False))
    tooltip = [alt.Tooltip("short_label:N", title="Recommendation"),
               alt.Tooltip("practice_label:N", title="Practice"),
               alt.Tooltip("recommended_by:N", title="Recommended by"),
               alt.Tooltip("evidence_strength:N", title="Evidence")]
    headers = alt.Axis(orient="top", title=None, values=[0, 0.35], grid=False, ticks=False,
                       domain=False, labelAlign="left", labelOffset=8, labelFontWeight="bold",
                       labelFontSize=12, labelColor="#333333",
                       labelExpr="datum.value == 0 ? 'Your jurisdiction' : 'Evidence behind it'")
    status = base.mark_text(align="left", fontSize=13, fontWeight="bold", dx=8).encode(
        y=y, x=alt.X("zero:Q", scale=col, axis=headers), text="status:N",
        color=alt.Color("status:N", legend=None,
                        scale=alt.Scale(domain=["✔ meets", "✘ not yet"],
                                        range=[MEETS_COLOR, NOT_YET_COLOR])),
        tooltip=tooltip,
    ).transform_calculate(zero="0")
    swatch = base.mark_square(size=140, opacity=1, xOffset=6).encode(
        y=y, x=alt.X("at:Q", scale=col, axis=headers),
        color=alt.Color("evidence_strength:N", legend=None,
                        scale=alt.Scale(domain=pr.EVIDENCE_ORDER, range=REC_EVIDENCE_COLORS)),
        tooltip=tooltip).transform_calculate(at="0.35")
    ev_text = base.mark_text(align="left", fontSize=11, color="#333333", dx=16,
                             lineBreak="|").encode(
        y=y, x=alt.X("at:Q", scale=col, axis=headers), text="evidence_strength:N",
        tooltip=tooltip).transform_calculate(at="0.35")
    rows = (alt.layer(status, swatch, ev_text).resolve_scale(color="independent")
            .properties(width=330, height=alt.Step(24)))
    total = base.transform_aggregate(n_met="sum(met_num)", n="count()").transform_calculate(
        line="'Your choices meet ' + datum.n_met + ' of ' + datum.n + ' recommendations.'",
        line_narrow="'Your choices meet ' + datum.n_met + ' of ' + datum.n"
                    " + '|recommendations.'",
    ).mark_text(align="left", baseline="top", fontSize=14, fontWeight="bold",
                lineBreak="|").encode(
        text="line:N", x=alt.value(0), y=alt.value(0)).properties(width=330, height=20)
    chart = alt.vconcat(total, rows).add_params(*params).resolve_scale(color="independent")

    # The live sentence: the count, then the recommendations not yet met (a few words each).
    def met(r) -> str:
        wanted = "true" if r["met_when"] else "false"
        return f"(pb_{r['choice']} == {wanted})"
    recs_rows = [r for _, r in d.iterrows()]
    n_met = "(" + " + ".join(f"({met(r)} ? 1 : 0)" for r in recs_rows) + ")"
    missing = ("slice(" + " + ".join(
        f"({met(r)} ? '' : {_js(REC_SHORT.get(r['rec_id'], r['short_label']) + ', ')})"
        for r in recs_rows) + ", 0, -2)")
    n = len(d)
    strong = int(d["evidence_strength"].isin(pr.EVIDENCE_ORDER[:2]).sum())
    contested = int((d["evidence_strength"] == "contested").sum())
    live = (f"'Your choices meet ' + {n_met} + ' of {n} recommendations'"
            f" + ({n_met} == {n} ? '.' : '; not yet met: ' + {missing} + '.')")
    table = pd.DataFrame({
        "Recommendation": d["short_label"],
        "Met when": [f"{'ticked' if r['met_when'] else 'not ticked'}: "
                     f"{pr.CHOICES.get(r['choice'], r['choice'])}" for _, r in d.iterrows()],
        "Practice": d["practice_label"],
        "Evidence": d["evidence_strength"],
        "Recommended by": d["recommended_by"],
    })
    # Phones: recommendation names and kinds of evidence on two lines, taller rows, the
    # count on two lines, a shorter status ("✔ yes" / "✘ no") and column headers.
    narrow = {"vconcat": [
        {"mark": {"align": "right", "fontSize": 13}, "height": 40, "width": 160,
         "encoding": {"text": {"field": "line_narrow"}, "x": {"value": "width"}}},
        {"height": {"step": 54}, "width": 160,
         "layer": [
             {"mark": {"fontSize": 12, "dx": 2},
              "encoding": {
                  "text": {"field": "status_short"},
                  "y": {"axis": {"labelExpr": "split(datum.label, '|')", "labelLimit": 112,
                                 "labelFontSize": 11}},
                  "x": {"axis": {"values": [0, 0.27], "labelOffset": 2,
                                 "labelExpr": "datum.value == 0 ? 'Met' : 'Evidence'"}}}},
             {"transform": [{"calculate": "0.27", "as": "at"}],
              "mark": {"xOffset": 4, "size": 64}},
             {"transform": [{"calculate": "0.27", "as": "at"}],
              "mark": {"dx": 11, "fontSize": 10},
              "encoding": {"text": {"field": "evidence_lines"}}},
         ]},
    ]}
    return _wrapped(finish(
        chart,
        title="Policy builder: which recommendations would your jurisdiction meet?",
        subtitle="Tick the boxes under the chart; it recomputes in your browser. The data "
                 "table under the chart says who recommends each.",
        description=(
            f"A checklist chart of {n} recommendations for preserving immigrant "
            f"communities' trust. {len(pr.CHOICES)} checkboxes describe a jurisdiction's "
            "choices (for example, whether it publishes its policy or has a 287(g) "
            "agreement); each recommendation is marked as met or not yet met for those "
            "choices, with the kind of evidence behind it written beside it "
            f"({strong} rest on court rulings or legal duties, {contested} contested). A line "
            "at the top counts how many are met."),
        datasets=["recommendations"],
        table=table,
        table_caption="The recommendations in the policy builder: which choice meets each, "
                      "the evidence behind it and who recommends it.",
        live=live, live_name="pb_live", narrow=narrow,
    ))


def u_visa_backlog(df: pd.DataFrame | None = None) -> alt.LayerChart:
    """U-visa petitions pending at year end (or received during the year), with the annual
    cap on principal visas for scale. A control switches the measure; a live sentence states
    what the bars show."""
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
                               name="Show"))
    bars = (
        alt.Chart(d)
        .transform_filter("datum.measure == uv_measure")
        .mark_bar(color="#1f6fb2")
        .encode(
            x=alt.X("fiscal_year:O", title="Fiscal year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title="Petitions (victims and family members)"),
            tooltip=[alt.Tooltip("fiscal_year:O", title="Fiscal year"),
                     alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("value:Q", title="Petitions", format=",")],
        )
        .add_params(measure)
    )
    label = f"Annual cap: {cap:,} U visas for victims (family members not capped)"
    rule_df = pd.DataFrame({"cap": [cap], "label": [label]})
    rule = alt.Chart(rule_df).mark_rule(strokeDash=[6, 4], color="#333333").encode(
        y=alt.Y("cap:Q", title="Petitions (victims and family members)"),
        tooltip=alt.Tooltip("label:N", title="Dashed line"))
    chart = alt.layer(bars, rule).properties(width=560, height=320)
    wide = d.pivot(index="fiscal_year", columns="measure", values="value")
    pend, rec = wide["Pending at end of year"], wide["Received during year"]
    first, last = int(pend.index.min()), int(pend.index.max())
    low_year = int(pend.idxmin())
    peak_year = int(rec.idxmax())
    said = {
        "Pending at end of year": (
            f"Pending at end of year: {int(pend[first]):,} in {first}, {int(pend[low_year]):,}"
            f" in {low_year} (the lowest), then up to {int(pend[last]):,} in {last}, about "
            f"{pend[last] / cap:.0f} times the annual cap of {cap:,} visas for victims."),
        "Received during year": (
            f"Received during year: {int(rec[first]):,} in {first}, a peak of "
            f"{int(rec[peak_year]):,} in {peak_year}, then {int(rec[last]):,} in {last}; "
            f"the annual cap is {cap:,} visas for victims."),
    }
    live = ("{" + ", ".join(f"{_js(k)}: {_js(v)}" for k, v in said.items())
            + "}[uv_measure]")
    table = pd.DataFrame({
        "Fiscal year": [str(y) for y in wide.index],
        "Pending at end of year": [f"{int(v):,}" for v in pend],
        "Received during year": [f"{int(v):,}" for v in rec],
    })
    # Phones: upright year labels, a lower plot and a shorter axis title.
    narrow = {"height": 240, "layer": [
        {"encoding": {"x": {"axis": {"labelAngle": -90}},
                      "y": {"title": "Petitions incl. family"}}},
        {"encoding": {"y": {"title": "Petitions incl. family"}}},
    ]}
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
        table=table,
        table_caption=f"U-visa petitions by fiscal year (victims and family members). {label}.",
        live=live, live_name="uv_live", narrow=narrow,
    ))
