"""Chapter 4 (trust and crime reporting) charts: surveys, NCVS reporting, the
under-reporting simulator."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data
from .base import PALETTE, WIDTH, finish

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
    from .. import underreporting as ur

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


