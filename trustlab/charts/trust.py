"""Chapter 4 (trust and crime reporting) charts: surveys, NCVS reporting, the
under-reporting simulator."""

from __future__ import annotations

import json
import textwrap

import altair as alt
import pandas as pd

from .. import data
from .base import PALETTE, WIDTH, finish

# Long category labels are stored with "|" where a line may break. Wide screens show them on
# one line; the narrow-screen override (finish(narrow=...)) shows one line per piece, so no
# label is ever cut off on a phone.
_ONE_LINE = "join(split(datum.label, '|'), ' ')"
_WRAPPED = "split(datum.label, '|')"


def _breakable(text: str, width: int) -> str:
    """``text`` with "|" between lines of at most ``width`` characters."""
    return "|".join(textwrap.wrap(text, width)) or text


def _y_wrapped(layers: int, skip: tuple[int, ...] = (), first: dict | None = None) -> list[dict]:
    """Narrow-screen override for the layers of a bar chart whose y labels are breakable:
    one item per layer (layers in ``skip`` have no y axis and stay unchanged); ``first``
    holds more encoding changes for the first layer (shorter axis titles, legends)."""
    out = [{} if i in skip else {"encoding": {"y": {"axis": {"labelExpr": _WRAPPED,
                                                          "labelFontSize": 11}}}}
           for i in range(layers)]
    out[0].setdefault("encoding", {}).update(first or {})
    return out


# A narrow screen's legend: one entry per line, a long entry broken before its parenthesis
# (or, with _NARROW_LEGEND_LAST, before its last word), so that a legend starting under the
# plot (right of the bar labels) still ends inside a phone's screen.
_NARROW_LEGEND = {"legend": {"direction": "vertical", "columns": 1,
                             "labelExpr": "split(replace(datum.label, ' (', '|('), '|')"}}
_NARROW_LEGEND_LAST = {"legend": {
    "direction": "vertical", "columns": 1,
    "labelExpr": "split(replace(datum.label, regexp(' ([^ ]+)$'), '|$1'), '|')"}}


def _lookup(table: dict[str, str], key: str) -> str:
    """A Vega expression picking a precomputed sentence by a key built from control values."""
    return json.dumps(table, ensure_ascii=False) + f"[{key}]"


def _pct(v: float, sign: bool = False) -> str:
    text = f"{abs(v):g}%"
    if not sign:
        return text
    return ("\u2212" if v < 0 else "+" if v > 0 else "") + text


def _pct1(v: float) -> str:
    """A percentage with one decimal, as BJS publishes the NCVS rates."""
    return f"{v:.1f}%"

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
                     default_question: str | None = None) -> alt.LayerChart:
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
    d["bar"] = d["bar"].map(lambda b: _breakable(b, 18))
    d = d[["item", "bar", "survey", "subgroup", "place", "percent", "measure", "n_label",
           "label", "confidence"]]
    items = list(dict.fromkeys(d["item"]))
    default = default_question if default_question in items else items[0]
    pick = alt.param(name="ch4_question", value=default,
                     bind=alt.binding_select(options=items, name="Question"))
    base = (alt.Chart(d).transform_filter("datum.item == ch4_question")
            .encode(y=alt.Y("bar:N", title=None, sort=None,
                            axis=alt.Axis(labelLimit=300, labelExpr=_ONE_LINE))))
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
    text = base.mark_text(align="left", baseline="middle", dx=4, fontSize=12).encode(
        x=alt.X("percent:Q"), text="label:N")
    chart = (bars + text).add_params(pick).properties(width=WIDTH - 300, height=alt.Step(34))

    # What the tooltips show, as a table, and one sentence per question for the live line.
    plain = d.assign(bar=d["bar"].str.replace("|", " ", regex=False))
    table = pd.DataFrame({
        "Question": plain["item"], "Group or outcome": plain["bar"],
        "Percent": plain["percent"].map(_pct), "Measure": plain["measure"],
        "Respondents": plain["n_label"], "Survey": plain["survey"], "Place": plain["place"],
        "Confidence": plain["confidence"]})
    sentences = {}
    for item, rows in plain.groupby("item", sort=False):
        measure = rows["measure"].iloc[0]
        parts = ", ".join(f"{b} {_pct(p)}"
                          for b, p in zip(rows["bar"], rows["percent"], strict=True))
        sentences[item] = f"{item}: {parts} ({measure})."

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
        table=table,
        table_caption="Every published percentage in the chart, question by question",
        live=_lookup(sentences, "ch4_question"),
        live_name="ch4_question_live",
        # Phones: labels on several lines, the percentage above the respondents.
        narrow={"layer": [{"encoding": {"y": {"axis": {"labelExpr": _WRAPPED}},
                                        "color": _NARROW_LEGEND}},
                          {"encoding": {"y": {"axis": {"labelExpr": _WRAPPED}}},
                           "mark": {"lineBreak": "  ·  ", "fontSize": 11}}],
                "height": {"step": 40}},
    )


def ncvs_reporting_rates(df: pd.DataFrame | None = None) -> alt.LayerChart:
    """Share of victimizations reported to police by type of crime (NCVS), with a control to
    switch the year (a tick marks the other year) and a menu that highlights one category."""
    df = data.load("ncvs_reporting") if df is None else df
    d = df[["year", "crime_type", "category", "level", "display_order", "percent_reported",
            "rate_reported_per_1000", "significant_change_from_2016"]].copy()
    d["label"] = d.apply(lambda r: _breakable("\u203a " * int(r["level"]) + r["crime_type"],
                                              24), axis=1)
    d["significant_change_from_2016"] = d["significant_change_from_2016"].fillna("")
    years = sorted(int(y) for y in d["year"].unique())
    categories = list(d.sort_values("display_order")["category"].drop_duplicates())
    year = alt.param(name="ch4_year", value=years[-1],
                     bind=alt.binding_radio(options=years, name="Year"))
    cat = alt.param(name="ch4_category", value="All",
                    bind=alt.binding_select(options=["All", *categories],
                                            name="Highlight category"))
    order = list(d.sort_values("display_order")["label"].drop_duplicates())
    y = alt.Y("label:N", title=None, sort=order,
              axis=alt.Axis(labelLimit=260, labelExpr=_ONE_LINE))
    bars = (alt.Chart(d).transform_filter("datum.year == ch4_year").mark_bar(height=14)
            .encode(y=y,
                    x=alt.X("percent_reported:Q", title="Percent of victimizations reported "
                            "to police", scale=alt.Scale(domain=[0, 100])),
                    color=alt.Color("category:N", title="Category", sort=categories),
                    opacity=alt.condition("ch4_category == 'All' || "
                                          "datum.category == ch4_category",
                                          alt.value(1.0), alt.value(0.25)),
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

    # The data table: one row per type of crime, both years side by side.
    wide = d.pivot_table(index=["display_order", "crime_type", "category"], columns="year",
                         values=["percent_reported", "rate_reported_per_1000"]).reset_index()
    sig = d[d["year"] == last].set_index("crime_type")["significant_change_from_2016"]
    table = pd.DataFrame({"Type of crime": wide["crime_type"], "Category": wide["category"]})
    for yr in years:
        table[f"Reported to police, {yr}"] = wide[("percent_reported", yr)].map(_pct1)
    for yr in years:
        table[f"Reported per 1,000, {yr}"] = wide[("rate_reported_per_1000", yr)].map(
            lambda x: f"{x:.1f}")
    if "rate_base" in df.columns:
        bases = df.drop_duplicates("crime_type").set_index("crime_type")["rate_base"]
        table["Rate per 1,000 of"] = wide["crime_type"].map(bases)
    table[f"BJS marks {last} as different from {years[0]} at"] = wide["crime_type"].map(
        lambda c: f"{float(sig[c]):g}% level" if str(sig.get(c, "")).strip() else "not marked")

    # The live line: the chosen year's result for the highlighted category (or overall).
    sentences = {}
    for yr in years:
        other = years[0] if yr == last else last
        top = d[d["level"] == 0]
        for c in ["All", *categories]:
            sub = d[(d["year"] == yr) & ((d["category"] == c) if c != "All" else True)]
            lo, hi = sub.loc[sub["percent_reported"].idxmin()], \
                sub.loc[sub["percent_reported"].idxmax()]
            spread = (f"from {_pct1(lo['percent_reported'])} ({lo['crime_type'].lower()}) to "
                      f"{_pct1(hi['percent_reported'])} ({hi['crime_type'].lower()})")
            if c == "All":
                head = top[top["category"] == "Violent crime"]["crime_type"].iloc[0]
                lead = (f"{yr}, all types of crime: reported to police {spread}; violent crime "
                        f"{_pct1(v[(yr, head)])} ({_pct1(v[(other, head)])} in {other}).")
            else:
                head = top[top["category"] == c]["crime_type"].iloc[0]
                lead = (f"{yr}, {c.lower()} highlighted: {_pct1(v[(yr, head)])} reported to "
                        f"police ({_pct1(v[(other, head)])} in {other}); its types range "
                        f"{spread}.")
            sentences[f"{yr}|{c}"] = lead
    return finish(
        chart,
        title=f"Most victimizations never reach the police (NCVS {years[0]} and {last})",
        subtitle="Bars: the chosen year; black ticks: the other year. Use the menu to "
                 "highlight a category.",
        description=(
            f"Horizontal bar chart of the percent of victimizations reported to police in "
            f"{years[0]} and {last}, for {d['crime_type'].nunique()} overlapping types of crime "
            f"from the National Crime Victimization Survey. In {last}: violent crime "
            f"{v[(last, 'Violent crime')]:g}%, rape or sexual assault "
            f"{v[(last, 'Rape/sexual assault')]:g}%, aggravated assault "
            f"{v[(last, 'Aggravated assault')]:g}%, simple assault "
            f"{v[(last, 'Simple assault')]:g}%, property crime {v[(last, 'Property crime')]:g}%,"
            f" motor vehicle theft {v[(last, 'Motor vehicle theft')]:g}%. A radio control "
            "switches the year; ticks show the other year for comparison. A menu highlights "
            "one category."),
        datasets=["ncvs_reporting"],
        table=table,
        table_caption=(f"Share and rate of victimizations reported to police, {years[0]} and "
                       f"{last}, by type of crime (types overlap: each sub-type is part of the "
                       "type above it)"),
        live=_lookup(sentences, "ch4_year + '|' + ch4_category"),
        live_name="ch4_ncvs_live",
        # Phones: long labels on two lines, so each row needs more height.
        narrow={"layer": _y_wrapped(2, first={
                    "x": {"title": "% reported to police"}, "color": _NARROW_LEGEND_LAST}),
                "height": {"step": 32}},
    )


def underreporting_simulator(report_rate: float | None = None) -> alt.VConcatChart:
    """The chapter 4 under-reporting model (trustlab.underreporting) as an Altair chart whose
    sliders recompute it in the reader's browser: bars for 1,000 true victimisations, the
    reports police record and the crimes they clear; below, recorded and cleared crimes as
    the share of silent victims goes from 0 to 100%, with the current setting marked."""
    from .. import underreporting as ur

    defaults = dict(ur.DEFAULTS)
    if report_rate is not None:
        defaults["report_rate"] = round(float(report_rate), 3)

    def slider(name, key, label, lo=0.0, hi=1.0):
        return alt.param(name=name, value=defaults[key],
                         bind=alt.binding_range(min=lo, max=hi, step=0.01, name=label))

    silence = slider("ch4_silence", "silence", "Share of affected victims who stay silent")
    affected = slider("ch4_affected", "affected_share", "Affected group's share of victims")
    report = slider("ch4_report", "report_rate", "Baseline reporting rate")
    clear = slider("ch4_clearance", "clearance_rate", "Clearance rate of reported crimes")
    witness = slider("ch4_witness", "witness_dependence",
                     "Share of clearances needing a witness from the group")
    names = {"affected_share": "ch4_affected", "report_rate": "ch4_report",
             "silence": "ch4_silence", "clearance_rate": "ch4_clearance",
             "witness_dependence": "ch4_witness"}
    ex = ur.vega_expressions(names)
    n = defaults["victimisations"]
    steps = pd.DataFrame({"step": ["True victimisations", "Reported|(recorded crime)",
                                   "Cleared by police"], "order": [0, 1, 2],
                          "victimisations": [n, n, n]})
    bars = (alt.Chart(steps)
            .transform_calculate(value=(f"datum.order == 0 ? datum.victimisations : "
                                        f"datum.order == 1 ? {ex['recorded']} : "
                                        f"{ex['cleared']}"))
            .transform_calculate(text="format(datum.value, ',.0f')")
            .encode(y=alt.Y("step:N", title=None, sort=list(steps["step"]),
                            axis=alt.Axis(labelExpr=_ONE_LINE)),
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
                                       "format(datum.sc, '.0%')"), left="0", right="1")
             .mark_text(align="left", baseline="top", fontSize=12, fontWeight="bold")
             # x: the plot's left edge (0) on wide screens; narrow screens anchor the text at
             # the right edge (1) so that it may use the room under the bar labels.
             .encode(text="msg:N", y=alt.value(0),
                     x=alt.X("left:Q", scale=alt.Scale(domain=[0, 1]), axis=None))
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
    # Colours are set per view (the bars' and the lines' labels differ: bar labels may break).
    chart = alt.vconcat(rates, top, bottom, spacing=12).add_params(
        silence, affected, report, clear, witness).resolve_scale(color="independent")
    base = ur.simulate(**{**defaults, "silence": 0.0})
    now = ur.simulate(**defaults)

    # The data table: the model at the default settings, every 5 points of silence (what the
    # line tooltips show; the bars' numbers are the row of the default silence).
    rows = []
    for s in grid["s"]:
        out = ur.simulate(**{**defaults, "silence": float(s)})
        mark = " (default)" if abs(s - defaults["silence"]) < 1e-9 else ""
        rows.append({"Share of affected victims who stay silent": f"{s:.0%}{mark}",
                     "Reported (recorded crime)": f"{out.recorded:,.0f}",
                     "Cleared by police": f"{out.cleared:,.0f}",
                     "Published clearance rate": f"{out.recorded_clearance_rate:.1%}",
                     "Share of all victimisations cleared":
                         f"{out.share_of_victimisations_cleared:.1%}"})
    table = pd.DataFrame(rows)

    # The live line: the same arithmetic as the chart, for the sliders' current values, next
    # to the same settings with nobody silent.
    def num(expr: str, fmt: str) -> str:
        return f"format({expr.replace('datum.victimisations', str(n))}, '{fmt}')"

    calm = ur.vega_expressions({**names, "silence": "0"})
    live = (
        f"'With ' + format(ch4_silence, '.0%') + ' of affected victims silent, police record ' "
        f"+ {num(ex['recorded'], ',.0f')} + ' of {n:,} true victimisations (' + "
        f"{num(calm['recorded'], ',.0f')} + ' with nobody silent) and clear ' + "
        f"{num(ex['cleared'], ',.0f')} + ' (' + {num(calm['cleared'], ',.0f')} + '). "
        f"Published clearance rate ' + {num(ex['recorded_clearance_rate'], '.1%')} + ' (' + "
        f"{num(calm['recorded_clearance_rate'], '.1%')} + '); share of all victimisations "
        f"cleared ' + {num(ex['share_of_victimisations_cleared'], '.1%')} + ' (' + "
        f"{num(calm['share_of_victimisations_cleared'], '.1%')} + '). Settings: affected group "
        f"' + format(ch4_affected, '.0%') + ' of victims, baseline reporting ' + "
        f"format(ch4_report, '.0%') + ', clearance ' + format(ch4_clearance, '.0%') + ', "
        f"witness needed for ' + format(ch4_witness, '.0%') + ' of the group\\'s clearances.'")
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
        table=table,
        table_caption=(
            f"The model per {n:,} true victimisations at the default settings (affected group "
            f"{defaults['affected_share']:.0%} of victims, baseline reporting "
            f"{defaults['report_rate']:.1%}, clearance {defaults['clearance_rate']:.0%}, witness "
            f"needed for {defaults['witness_dependence']:.0%} of the group's clearances), for "
            "every 5 points of silence; the live summary gives the result for the sliders' "
            "current values"),
        live=live,
        live_name="ch4_sim_live",
        # Phones: the two rates on two lines, bar labels wrapped, a shorter line chart
        narrow={"vconcat": [
            {"height": 34, "mark": {"lineBreak": "  \u00b7  ", "fontSize": 11, "align": "right"},
             "encoding": {"x": {"field": "right"}}},
            {"layer": _y_wrapped(2)},
            {"height": 160, "layer": [{"encoding": {"x": {"title": "Share who stay silent"},
                                                    "color": _NARROW_LEGEND}}, {}]}]},
    )


def police_changes_2017(df: pd.DataFrame | None = None) -> alt.LayerChart:
    """Announced percent changes in reports, Houston and Los Angeles 2017, one bar per
    announcement; a drop-down filters the city, and the data table gives the window measured
    and who announced each figure."""
    df = data.load("police_reported_changes_2017") if df is None else df
    d = df.copy()
    span = (d["window_start"].dt.strftime("%b") + "\u2013"
            + d["window_end"].dt.strftime("%b %Y"))
    measure = (d["measure"].str.replace(r" reported| reports", "", regex=True)
               .str.replace("violent crimes (other than rape)", "other violent crimes",
                            regex=False))
    victims = (d["victim_group"].str.replace("all victims (citywide)", "citywide", regex=False)
               .str.replace(" victims", "", regex=False))
    city = d["city"].replace({"Los Angeles": "LA"})
    # Three short lines on phones (where and when; what; for whom), one on wide screens.
    d["bar"] = city + ", " + span + ":|" + measure + ",|" + victims
    d["announced_str"] = d["announced"].map(lambda t: f"{t.day} {t:%B %Y}")
    d["hispanic"] = d["victim_group"].str.contains("Hispanic|Latino", regex=True) & \
        ~d["victim_group"].str.startswith("non-")
    d["group"] = d["hispanic"].map({True: "Hispanic or Latino victims",
                                    False: "Other or all victims"})
    d["change_str"] = d["pct_change"].map(lambda v: _pct(v, sign=True))
    d["window_str"] = d["window"] + " (" + span + ")"
    d = d[["city", "bar", "pct_change", "change_str", "group", "measure", "victim_group",
           "window_str", "announced_str", "announced_by", "confidence"]]
    cities = ["Both cities", *sorted(d["city"].unique())]
    pick = alt.param(name="ch4_city", value="Both cities",
                     bind=alt.binding_select(options=cities, name="City"))
    base = (alt.Chart(d)
            .transform_filter("ch4_city == 'Both cities' || datum.city == ch4_city")
            .encode(y=alt.Y("bar:N", title=None, sort=None,
                            axis=alt.Axis(labelLimit=400, labelExpr=_ONE_LINE)),
                    x=alt.X("pct_change:Q", title="Announced change in reports (%)")))
    bars = base.mark_bar(height=16).encode(
        color=alt.Color("group:N", title=None,
                        scale=alt.Scale(range=[PALETTE[1], PALETTE[7]])),
        tooltip=[alt.Tooltip("city:N", title="City"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("victim_group:N", title="Victims"),
                 alt.Tooltip("change_str:N", title="Change"),
                 alt.Tooltip("window_str:N", title="Window"),
                 alt.Tooltip("announced_str:N", title="Announced"),
                 alt.Tooltip("announced_by:N", title="By"),
                 alt.Tooltip("confidence:N", title="Confidence")])
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333333").encode(x="x:Q")
    chart = (bars + zero).add_params(pick).properties(width=WIDTH - 340, height=alt.Step(22))

    table = pd.DataFrame({
        "City": d["city"], "Measure": d["measure"], "Victims": d["victim_group"],
        "Change": d["change_str"], "Window": d["window_str"], "Announced": d["announced_str"],
        "Announced by": d["announced_by"], "Confidence": d["confidence"]})

    def sentence(rows: pd.DataFrame, where: str) -> str:
        parts = []
        for group, g in rows.groupby("group", sort=True):
            falls, rises = (g["pct_change"] < 0).sum(), (g["pct_change"] > 0).sum()
            lo, hi = g["pct_change"].min(), g["pct_change"].max()
            rng = _pct(lo, True) if lo == hi else f"{_pct(lo, True)} to {_pct(hi, True)}"
            parts.append(f"{group}: {falls} fell and {rises} rose ({rng})")
        return f"{where}, {len(rows)} announced changes. " + "; ".join(parts) + "."

    sentences = {"Both cities": sentence(d, "Houston and Los Angeles")}
    for c in cities[1:]:
        sentences[c] = sentence(d[d["city"] == c], c)
    h = df.set_index("id")["pct_change"]
    chart = finish(
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
        table=table,
        table_caption="Each announced change in reports to police, with its window and source",
        live=_lookup(sentences, "ch4_city"),
        live_name="ch4_city_live",
        # Phones: each label on three short lines. The legend would
        # start under the plot and run off a phone: the subtitle and every label name the
        # victim group instead.
        narrow={"layer": _y_wrapped(2, skip=(1,), first={
                    "x": {"title": "Change in reports (%)"}, "color": {"legend": None}}),
                "height": {"step": 48}},
    )
    # The colour key gets a subtitle line of its own (before the source line).
    first, *rest = chart.title.subtitle
    key = "Orange bars: Hispanic or Latino victims; grey bars: other or all victims."
    return chart.properties(title=alt.Title(chart.title.text, subtitle=[first, key, *rest]))
