"""Chapter 4 (trust and crime reporting) charts: surveys, NCVS reporting, the
under-reporting simulator.

Every builder takes ``lang`` ("en" or "es"; the current language by default,
:func:`trustlab.i18n.use`): its text, and the data categories it shows, come in that language.
Control values (menu options, radio buttons) stay in English, so that the filters, the live
summaries' keys and a caller's ``default_question`` are the same in every language; only their
labels are translated."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data, i18n
from ..i18n import N_, translator
from .base import (
    PALETTE,
    WIDTH,
    binding_labels,
    finish,
    shown_value,
    vega_lookup,
    vega_message,
    when,
)

# Data columns whose values the charts show (legend, axis and menu labels, tooltips, tables):
# `python -m trustlab.translations update` puts every value in the catalogue.
TRANSLATED_DATA = {
    "survey_results": ["survey", "subgroup", "place", "question", "measure", "confidence"],
    "ncvs_reporting": ["crime_type", "category", "rate_base"],
    "police_reported_changes_2017": ["city", "measure", "victim_group", "window",
                                     "announced_by", "confidence"],
}

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


def _phone_title(title: str, chars: int) -> str | list[str]:
    """An x-axis title for a phone: ``title`` itself when it has at most ``chars`` characters,
    else the same words on two lines. The title is centred under the plot, which a phone may
    shrink to 60 px right of the bar labels: a long one-line title would stick out past the
    box (as some translations' titles do)."""
    if len(title) <= chars:
        return title
    width = (len(title) + 1) // 2
    while len(lines := textwrap.wrap(title, width)) > 2:
        width += 1
    return lines


# A narrow screen's legend: one entry per line, a long entry broken before its parenthesis
# (or, with _NARROW_LEGEND_LAST, before its last word), so that a legend starting under the
# plot (right of the bar labels) still ends inside a phone's screen.
_NARROW_LEGEND = {"legend": {"direction": "vertical", "columns": 1,
                             "labelExpr": "split(replace(datum.label, ' (', '|('), '|')"}}
_NARROW_LEGEND_LAST = {"legend": {
    "direction": "vertical", "columns": 1,
    "labelExpr": "split(replace(datum.label, regexp(' ([^ ]+)$'), '|$1'), '|')"}}


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
    "theodore-victim": N_("Theodore 2013: less likely to contact police if a victim"),
    "theodore-witness": N_("Theodore 2013: less likely to volunteer information on crimes"),
    "theodore-stops": N_("Theodore 2013: police stop Latinos without good reason"),
    "wong": N_("Wong et al. 2019 (experiment): told police work with ICE, 'percent less "
               "likely'"),
    "pew-equal": N_("Pew 2014: confidence police treat Hispanics and whites equally"),
    "pew-force": N_("Pew 2014: confidence police will not use excessive force"),
    "pew-trust": N_("Pew 2014: confidence police will gain residents' trust"),
}

_SHORT_OUTCOMES = {
    "Would report a crime I witness to the police": N_("Report a crime they witness"),
    "Would report a crime I am the victim of to the police": N_("Report a crime against them"),
    "Would use public services that require personal contact information":
        N_("Use services asking for contact details"),
    "Would do business that requires personal contact information":
        N_("Do business asking for contact details"),
    "Would attend public events where police may be present":
        N_("Attend events where police may be"),
}


def _same(text: str) -> str:
    return text


def _survey_item(row, t=_same) -> str:
    """A short drop-down label for a survey question, in ``t``'s language (falls back to the
    survey's name and the question, cut to 70 characters). Called with no ``t``: the
    English label, which is the menu's option value."""
    for prefix, label in _SURVEY_ITEMS.items():
        if row["id"].startswith(prefix + "-"):
            return t(label)
    text = f"{t(row['survey'])}: {t(row['question'])}"
    return text if len(text) <= 70 else text[:69] + "\u2026"


def _n_label(row, t=_same) -> str:
    n = row["n_subgroup"]
    return t("n not published") if pd.isna(n) else f"n = {int(n):,}"


def survey_by_status(df: pd.DataFrame | None = None, *,
                     default_question: str | None = None,
                     lang: str | None = None) -> alt.LayerChart:
    """Published survey percentages by subgroup, one question at a time (drop-down), with the
    number of respondents behind each bar printed beside it ("n not published" when the
    survey did not publish it). Experimental effects are coloured apart from shares.

    ``default_question``: the English label of the question shown first. ``lang``: the
    language of the chart's text, "en" or "es"; the current language by default."""
    t = translator(lang)
    df = data.load("survey_results") if df is None else df
    d = df.reset_index() if "id" not in df.columns else df.copy()
    d["n_label"] = d.apply(lambda r: _n_label(r, t), axis=1)
    d["label"] = d.apply(lambda r: f"{r['percent']:g}%  ·  {r['n_label']}", axis=1)
    d["item"] = d.apply(_survey_item, axis=1)  # English: the menu's value
    item_labels = dict(zip(d["item"], d.apply(lambda r: _survey_item(r, t), axis=1),
                           strict=True))
    # One bar per subgroup; for the experiment (one subgroup) one bar per outcome instead.
    outcome = d["question"].str.split(" (", regex=False).str[0]
    d["bar"] = d["subgroup"].map(t).where(
        ~d["measure"].str.startswith("experimental"),
        outcome.map(lambda q: t(_SHORT_OUTCOMES[q]) if q in _SHORT_OUTCOMES else t(q)[:40]))
    d["bar"] = d["bar"].map(lambda b: _breakable(b, 18))
    for col in ("survey", "subgroup", "place", "measure", "confidence"):
        d[col] = d[col].map(t)
    d = d[["item", "bar", "survey", "subgroup", "place", "percent", "measure", "n_label",
           "label", "confidence"]]
    items = list(dict.fromkeys(d["item"]))
    default = default_question if default_question in items else items[0]
    menu = [item_labels[i] for i in items]
    pick = alt.param(name="ch4_question", value=default,
                     bind=alt.binding_select(options=items, **binding_labels(items, menu),
                                             name=t("Question")))
    base = (alt.Chart(d).transform_filter("datum.item == ch4_question")
            .encode(y=alt.Y("bar:N", title=None, sort=None,
                            axis=alt.Axis(labelLimit=300, labelExpr=_ONE_LINE))))
    bars = base.mark_bar(height=22).encode(
        x=alt.X("percent:Q", title=t("Percent"), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("measure:N", title=t("Measure"),
                        legend=alt.Legend(labelLimit=400, direction="vertical"),
                        scale=alt.Scale(domain=[t("share of respondents"),
                                                t("share with confidence"),
                                                t("experimental effect (percent less likely)")],
                                        range=[PALETTE[0], PALETTE[2], PALETTE[1]])),
        tooltip=[alt.Tooltip("survey:N", title=t("Survey")),
                 alt.Tooltip("place:N", title=t("Place")),
                 alt.Tooltip("subgroup:N", title=t("Subgroup")),
                 alt.Tooltip("bar:N", title=t("Bar")),
                 alt.Tooltip("percent:Q", title=t("Percent")),
                 alt.Tooltip("n_label:N", title=t("Respondents")),
                 alt.Tooltip("confidence:N", title=t("Confidence"))])
    text = base.mark_text(align="left", baseline="middle", dx=4, fontSize=12).encode(
        x=alt.X("percent:Q"), text="label:N")
    chart = (bars + text).add_params(pick).properties(width=WIDTH - 300, height=alt.Step(34))

    # What the tooltips show, as a table, and one sentence per question for the live line.
    plain = d.assign(bar=d["bar"].str.replace("|", " ", regex=False))
    table = pd.DataFrame({
        t("Question"): plain["item"].map(item_labels), t("Group or outcome"): plain["bar"],
        t("Percent"): plain["percent"].map(_pct), t("Measure"): plain["measure"],
        t("Respondents"): plain["n_label"], t("Survey"): plain["survey"],
        t("Place"): plain["place"], t("Confidence"): plain["confidence"]})
    sentences = {}
    for item, rows in plain.groupby("item", sort=False):
        measure = rows["measure"].iloc[0]
        parts = ", ".join(f"{b} {_pct(p)}"
                          for b, p in zip(rows["bar"], rows["percent"], strict=True))
        sentences[item] = f"{item_labels[item]}: {parts} ({measure})."

    th = df[df["survey"].str.startswith("Theodore")]
    th_all = th[(th["id"] == "theodore-victim-all")].iloc[0]
    th_und = th[(th["id"] == "theodore-victim-undocumented")].iloc[0]
    th_us = th[(th["id"] == "theodore-victim-usborn")].iloc[0]
    return finish(
        chart,
        title=t("What surveys say about contacting and trusting police, by group"),
        subtitle=t("Pick a question. Beside each bar: the percentage and the respondents "
                   "behind it."),
        description=t(
            "Horizontal bar chart of published survey percentages for one question at a "
            "time, chosen from a drop-down list. For the default question (Theodore 2013, "
            "Latinos in four counties, less likely to contact police if a victim for fear of "
            "immigration questions): all Latinos {all:g}% (n = {n:,}), undocumented "
            "{undocumented:g}% and U.S.-born {us_born:g}% (subgroup sizes not published). "
            "Other questions include Theodore's items on volunteering information and police "
            "stops, Wong et al.'s survey experiment with 594 undocumented immigrants in San "
            "Diego County (effects stated as 'percent less likely', coloured differently "
            "because they are not shares of respondents) and Pew's 2014 national items on "
            "confidence in police by race and ethnicity.").format(
            all=th_all["percent"], n=int(th_all["n_subgroup"]), undocumented=th_und["percent"],
            us_born=th_us["percent"]),
        datasets=["survey_results"],
        table=table,
        table_caption=t("Every published percentage in the chart, question by question"),
        live=vega_lookup(sentences, "ch4_question"),
        live_name="ch4_question_live",
        # Phones: labels on several lines, the percentage above the respondents.
        narrow={"layer": [{"encoding": {"y": {"axis": {"labelExpr": _WRAPPED}},
                                        "color": _NARROW_LEGEND}},
                          {"encoding": {"y": {"axis": {"labelExpr": _WRAPPED}}},
                           "mark": {"lineBreak": "  ·  ", "fontSize": 11}}],
                "height": {"step": 40}},
        lang=lang,
    )


def ncvs_reporting_rates(df: pd.DataFrame | None = None, *,
                         lang: str | None = None) -> alt.LayerChart:
    """Share of victimizations reported to police by type of crime (NCVS), with a control to
    switch the year (a tick marks the other year) and a menu that highlights one category.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    df = data.load("ncvs_reporting") if df is None else df
    d = df[["year", "crime_type", "category", "level", "display_order", "percent_reported",
            "rate_reported_per_1000", "significant_change_from_2016"]].copy()
    d["label"] = [_breakable("\u203a " * int(level) + t(kind), 24)
                  for level, kind in zip(d["level"], d["crime_type"], strict=True)]
    d["significant_change_from_2016"] = d["significant_change_from_2016"].fillna("")
    years = sorted(int(y) for y in d["year"].unique())
    categories = list(d.sort_values("display_order")["category"].drop_duplicates())
    year = alt.param(name="ch4_year", value=years[-1],
                     bind=alt.binding_radio(options=years, name=t("Year")))
    cat = alt.param(name="ch4_category", value="All",
                    bind=alt.binding_select(options=["All", *categories],
                                            **binding_labels(["All", *categories],
                                                           [t("All"), *map(t, categories)]),
                                            name=t("Highlight category")))
    order = list(d.sort_values("display_order")["label"].drop_duplicates())
    y = alt.Y("label:N", title=None, sort=order,
              axis=alt.Axis(labelLimit=260, labelExpr=_ONE_LINE))
    # The chart shows the data's categories translated; d keeps them in English (keys).
    shown = d.assign(crime_type=d["crime_type"].map(t), category=d["category"].map(t))
    bars = (alt.Chart(shown).transform_filter("datum.year == ch4_year").mark_bar(height=14)
            .encode(y=y,
                    x=alt.X("percent_reported:Q",
                            title=t("Percent of victimizations reported to police"),
                            scale=alt.Scale(domain=[0, 100])),
                    color=alt.Color("category:N", title=t("Category"),
                                    sort=[t(c) for c in categories]),
                    opacity=alt.condition("ch4_category == 'All' || datum.category == "
                                          + shown_value("ch4_category",
                                                        {v: t(v) for v in categories}),
                                          alt.value(1.0), alt.value(0.25)),
                    tooltip=[alt.Tooltip("crime_type:N", title=t("Type of crime")),
                             alt.Tooltip("year:Q", title=t("Year"), format="d"),
                             alt.Tooltip("percent_reported:Q", title=t("Percent reported")),
                             alt.Tooltip("rate_reported_per_1000:Q",
                                         title=t("Reported per 1,000")),
                             alt.Tooltip("significant_change_from_2016:N",
                                         title=t("Change from 2016 significant at (%)"))]))
    ticks = (alt.Chart(shown).transform_filter("datum.year != ch4_year")
             .mark_tick(color="#222222", thickness=2, size=16)
             .encode(y=y, x="percent_reported:Q",
                     tooltip=[alt.Tooltip("crime_type:N", title=t("Type of crime")),
                              alt.Tooltip("year:Q", title=t("Other year"), format="d"),
                              alt.Tooltip("percent_reported:Q", title=t("Percent reported"))]))
    chart = (bars + ticks).add_params(year, cat).properties(width=WIDTH - 260,
                                                           height=alt.Step(18))
    v = d.set_index(["year", "crime_type"])["percent_reported"]
    last = years[-1]

    # The data table: one row per type of crime, both years side by side.
    wide = d.pivot_table(index=["display_order", "crime_type", "category"], columns="year",
                         values=["percent_reported", "rate_reported_per_1000"]).reset_index()
    sig = d[d["year"] == last].set_index("crime_type")["significant_change_from_2016"]
    table = pd.DataFrame({t("Type of crime"): wide["crime_type"].map(t),
                          t("Category"): wide["category"].map(t)})
    for yr in years:
        table[t("Reported to police, {year}").format(year=yr)] = \
            wide[("percent_reported", yr)].map(_pct1)
    for yr in years:
        table[t("Reported per 1,000, {year}").format(year=yr)] = \
            wide[("rate_reported_per_1000", yr)].map(lambda x: f"{x:.1f}")
    if "rate_base" in df.columns:
        bases = df.drop_duplicates("crime_type").set_index("crime_type")["rate_base"]
        table[t("Rate per 1,000 of")] = wide["crime_type"].map(bases).map(t)
    table[t("BJS marks {last} as different from {first} at").format(last=last,
                                                                    first=years[0])] = \
        wide["crime_type"].map(
            lambda c: t("{level:g}% level").format(level=float(sig[c]))
            if str(sig.get(c, "")).strip() else t("not marked"))

    # The live line: the chosen year's result for the highlighted category (or overall).
    sentences = {}
    kinds = {k: t(k).lower() for k in d["crime_type"].unique()}
    for yr in years:
        other = years[0] if yr == last else last
        top = d[d["level"] == 0]
        for c in ["All", *categories]:
            sub = d[(d["year"] == yr) & ((d["category"] == c) if c != "All" else True)]
            lo, hi = sub.loc[sub["percent_reported"].idxmin()], \
                sub.loc[sub["percent_reported"].idxmax()]
            spread = t("from {low} ({low_type}) to {high} ({high_type})").format(
                low=_pct1(lo["percent_reported"]), low_type=kinds[lo["crime_type"]],
                high=_pct1(hi["percent_reported"]), high_type=kinds[hi["crime_type"]])
            if c == "All":
                head = top[top["category"] == "Violent crime"]["crime_type"].iloc[0]
                lead = t("{year}, all types of crime: reported to police {spread}; violent "
                         "crime {percent} ({other_percent} in {other}).").format(
                    year=yr, spread=spread, percent=_pct1(v[(yr, head)]),
                    other_percent=_pct1(v[(other, head)]), other=other)
            else:
                head = top[top["category"] == c]["crime_type"].iloc[0]
                lead = t("{year}, {category} highlighted: {percent} reported to police "
                         "({other_percent} in {other}); its types range {spread}.").format(
                    year=yr, category=t(c).lower(), percent=_pct1(v[(yr, head)]),
                    other_percent=_pct1(v[(other, head)]), other=other, spread=spread)
            sentences[f"{yr}|{c}"] = lead
    return finish(
        chart,
        title=t("Most victimizations never reach the police (NCVS {first} and {last})").format(
            first=years[0], last=last),
        subtitle=t("Bars: the chosen year; black ticks: the other year. Use the menu to "
                   "highlight a category."),
        description=t(
            "Horizontal bar chart of the percent of victimizations reported to police in "
            "{first} and {last}, for {types} overlapping types of crime from the National "
            "Crime Victimization Survey. In {last}: violent crime {violent:g}%, rape or sexual "
            "assault {rape:g}%, aggravated assault {aggravated:g}%, simple assault "
            "{simple:g}%, property crime {property:g}%, motor vehicle theft {vehicle:g}%. A "
            "radio control switches the year; ticks show the other year for comparison. A "
            "menu highlights one category.").format(
            first=years[0], last=last, types=d["crime_type"].nunique(),
            violent=v[(last, "Violent crime")], rape=v[(last, "Rape/sexual assault")],
            aggravated=v[(last, "Aggravated assault")], simple=v[(last, "Simple assault")],
            property=v[(last, "Property crime")], vehicle=v[(last, "Motor vehicle theft")]),
        datasets=["ncvs_reporting"],
        table=table,
        table_caption=t("Share and rate of victimizations reported to police, {first} and "
                        "{last}, by type of crime (types overlap: each sub-type is part of "
                        "the type above it)").format(first=years[0], last=last),
        live=vega_lookup(sentences, "ch4_year + '|' + ch4_category"),
        live_name="ch4_ncvs_live",
        # Phones: long labels on two lines, so each row needs more height.
        narrow={"layer": _y_wrapped(2, first={
                    "x": {"title": t("% reported to police")},
                    "color": _NARROW_LEGEND_LAST}),
                "height": {"step": 32}},
        lang=lang,
    )


def underreporting_simulator(report_rate: float | None = None, *,
                             lang: str | None = None) -> alt.VConcatChart:
    """The chapter 4 under-reporting model (trustlab.underreporting) as an Altair chart whose
    sliders recompute it in the reader's browser: bars for 1,000 true victimisations, the
    reports police record and the crimes they clear; below, recorded and cleared crimes as
    the share of silent victims goes from 0 to 100%, with the current setting marked.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    from .. import underreporting as ur

    t = translator(lang)
    defaults = dict(ur.DEFAULTS)
    if report_rate is not None:
        defaults["report_rate"] = round(float(report_rate), 3)

    def slider(name, key, label, lo=0.0, hi=1.0):
        return alt.param(name=name, value=defaults[key],
                         bind=alt.binding_range(min=lo, max=hi, step=0.01, name=label))

    silence = slider("ch4_silence", "silence", t("Share of affected victims who stay silent"))
    affected = slider("ch4_affected", "affected_share", t("Affected group's share of victims"))
    report = slider("ch4_report", "report_rate", t("Baseline reporting rate"))
    clear = slider("ch4_clearance", "clearance_rate", t("Clearance rate of reported crimes"))
    witness = slider("ch4_witness", "witness_dependence",
                     t("Share of clearances needing a witness from the group"))
    names = {"affected_share": "ch4_affected", "report_rate": "ch4_report",
             "silence": "ch4_silence", "clearance_rate": "ch4_clearance",
             "witness_dependence": "ch4_witness"}
    ex = ur.vega_expressions(names)
    n = defaults["victimisations"]
    # The two series (their names are also field names: no "." or brackets in a translation)
    reported, cleared = t("Reported (recorded crime)"), t("Cleared by police")
    per_n = t("Per {n:,} true victimisations").format(n=n)
    steps = pd.DataFrame({"step": [t("True victimisations"), reported.replace(" (", "|(", 1),
                                   cleared], "order": [0, 1, 2],
                          "victimisations": [n, n, n]})
    bars = (alt.Chart(steps)
            .transform_calculate(value=(f"datum.order == 0 ? datum.victimisations : "
                                        f"datum.order == 1 ? {ex['recorded']} : "
                                        f"{ex['cleared']}"))
            .transform_calculate(text="format(datum.value, ',.0f')")
            .encode(y=alt.Y("step:N", title=None, sort=list(steps["step"]),
                            axis=alt.Axis(labelExpr=_ONE_LINE)),
                    x=alt.X("value:Q", title=per_n, scale=alt.Scale(domain=[0, n]))))
    bar_layer = (bars.mark_bar(height=26).encode(
        color=alt.Color("step:N", legend=None,
                        scale=alt.Scale(domain=list(steps["step"]),
                                        range=[PALETTE[7], PALETTE[0], PALETTE[2]])),
        tooltip=[alt.Tooltip("step:N", title=t("Step")),
                 alt.Tooltip("value:Q", title=t("Number"), format=",.0f")])
        + bars.mark_text(align="left", dx=4, fontSize=12).encode(text="text:N"))
    rates_msg = vega_message(t("Published clearance rate: {rate}  \u00b7  all victimisations "
                        "cleared: {share}"),
                      {"rate": "format(datum.rc, '.0%')", "share": "format(datum.sc, '.0%')"})
    rates = (alt.Chart(steps.head(1))
             .transform_calculate(rc=ex["recorded_clearance_rate"],
                                  sc=ex["share_of_victimisations_cleared"])
             .transform_calculate(msg=rates_msg, left="0", right="1")
             .mark_text(align="left", baseline="top", fontSize=12, fontWeight="bold")
             # x: the plot's left edge (0) on wide screens; narrow screens anchor the text at
             # the right edge (1) so that it may use the room under the bar labels.
             .encode(text="msg:N", y=alt.value(0),
                     x=alt.X("left:Q", scale=alt.Scale(domain=[0, 1]), axis=None))
             .properties(width=WIDTH - 220, height=16))
    grid = pd.DataFrame({"s": [i / 20 for i in range(21)], "victimisations": n})
    line_ex = ur.vega_expressions({**names, "silence": "datum.s"})
    silent_title = t("Share of affected victims who stay silent")
    curve = (alt.Chart(grid)
             .transform_calculate(**{reported: line_ex["recorded"],
                                     cleared: line_ex["cleared"]})
             .transform_fold([reported, cleared], as_=["series", "value"])
             .mark_line(strokeWidth=2)
             .encode(x=alt.X("s:Q", title=silent_title, axis=alt.Axis(format="%")),
                     y=alt.Y("value:Q", title=per_n,
                             scale=alt.Scale(domain=[0, n * 0.6], clamp=True)),
                     color=alt.Color("series:N", title=None,
                                     scale=alt.Scale(domain=[reported, cleared],
                                                     range=[PALETTE[0], PALETTE[2]])),
                     tooltip=[alt.Tooltip("s:Q", title=t("Silent share"), format=".0%"),
                              alt.Tooltip("series:N", title=t("Series")),
                              alt.Tooltip("value:Q", title=t("Number"), format=",.0f")]))
    rule = (alt.Chart(steps.head(1)).transform_calculate(s="ch4_silence")
            .mark_rule(color="#d95f02", strokeDash=[4, 3], strokeWidth=2)
            .encode(x="s:Q"))
    top = bar_layer.properties(width=WIDTH - 220, height=alt.Step(34))
    bottom = (curve + rule).properties(width=WIDTH - 220, height=200)
    # Phones: bar labels wrapped; a long x title (a translation's) on two lines, in both layers
    # (layers with different titles would show both).
    bars_narrow = _y_wrapped(2)
    if (phone_per_n := _phone_title(per_n, 32)) != per_n:
        for layer in bars_narrow:
            layer["encoding"]["x"] = {"title": phone_per_n}
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
        share = (t("{share:.0%} (default)").format(share=s)
                 if abs(s - defaults["silence"]) < 1e-9 else f"{s:.0%}")
        rows.append({silent_title: share,
                     reported: f"{out.recorded:,.0f}",
                     cleared: f"{out.cleared:,.0f}",
                     t("Published clearance rate"): f"{out.recorded_clearance_rate:.1%}",
                     t("Share of all victimisations cleared"):
                         f"{out.share_of_victimisations_cleared:.1%}"})
    table = pd.DataFrame(rows)

    # The live line: the same arithmetic as the chart, for the sliders' current values, next
    # to the same settings with nobody silent.
    def num(expr: str, fmt: str) -> str:
        return f"format({expr.replace('datum.victimisations', str(n))}, '{fmt}')"

    calm = ur.vega_expressions({**names, "silence": "0"})
    live = vega_message(
        t("With {silence} of affected victims silent, police record {recorded} of {n:,} true "
          "victimisations ({recorded_calm} with nobody silent) and clear {cleared} "
          "({cleared_calm}). Published clearance rate {rate} ({rate_calm}); share of all "
          "victimisations cleared {share} ({share_calm}). Settings: affected group "
          "{affected} of victims, baseline reporting {report}, clearance {clearance}, "
          "witness needed for {witness} of the group's clearances."),
        {"silence": "format(ch4_silence, '.0%')",
         "recorded": num(ex["recorded"], ",.0f"),
         "recorded_calm": num(calm["recorded"], ",.0f"),
         "cleared": num(ex["cleared"], ",.0f"),
         "cleared_calm": num(calm["cleared"], ",.0f"),
         "rate": num(ex["recorded_clearance_rate"], ".1%"),
         "rate_calm": num(calm["recorded_clearance_rate"], ".1%"),
         "share": num(ex["share_of_victimisations_cleared"], ".1%"),
         "share_calm": num(calm["share_of_victimisations_cleared"], ".1%"),
         "affected": "format(ch4_affected, '.0%')",
         "report": "format(ch4_report, '.0%')",
         "clearance": "format(ch4_clearance, '.0%')",
         "witness": "format(ch4_witness, '.0%')"},
        n=n)
    return finish(
        chart,
        title=t("Under-reporting simulator: what police records show when victims stay "
                "silent"),
        subtitle=t("A teaching model, not an estimate. Move the sliders below the chart; true "
                   "crime never changes."),
        description=t(
            "Interactive model of {n:,} true victimisations. At the default settings "
            "({affected:.0%} of victims in the affected group, baseline reporting "
            "{report:.0%}, clearance {clearance:.0%} of reported crimes, {witness:.0%} of the "
            "group's clearances needing a witness from it), no silence gives {recorded0:,.0f} "
            "recorded and {cleared0:,.0f} cleared crimes; with {silence:.0%} of affected "
            "victims silent, {recorded1:,.0f} recorded and {cleared1:,.0f} cleared, while the "
            "published clearance rate moves only from {rate0:.0%} to {rate1:.0%}. Top: bars "
            "for victimisations, reports and clearances. Bottom: recorded and cleared crimes "
            "as the silent share goes from 0 to 100%, with a dashed line at the current "
            "setting. Five sliders set the model's inputs.").format(
            n=n, affected=defaults["affected_share"], report=defaults["report_rate"],
            clearance=defaults["clearance_rate"], witness=defaults["witness_dependence"],
            recorded0=base.recorded, cleared0=base.cleared, silence=defaults["silence"],
            recorded1=now.recorded, cleared1=now.cleared, rate0=base.recorded_clearance_rate,
            rate1=now.recorded_clearance_rate),
        datasets=["ncvs_reporting"],
        table=table,
        table_caption=t(
            "The model per {n:,} true victimisations at the default settings (affected group "
            "{affected:.0%} of victims, baseline reporting {report:.1%}, clearance "
            "{clearance:.0%}, witness needed for {witness:.0%} of the group's clearances), "
            "for every 5 points of silence; the live summary gives the result for the "
            "sliders' current values").format(
            n=n, affected=defaults["affected_share"], report=defaults["report_rate"],
            clearance=defaults["clearance_rate"], witness=defaults["witness_dependence"]),
        live=live,
        live_name="ch4_sim_live",
        # Phones: the two rates on two lines, bar labels wrapped, a shorter line chart
        narrow={"vconcat": [
            {"height": 34, "mark": {"lineBreak": "  \u00b7  ", "fontSize": 11, "align": "right"},
             "encoding": {"x": {"field": "right"}}},
            {"layer": bars_narrow},
            {"height": 160, "layer": [{"encoding": {"x": {"title": t("Share who stay silent")},
                                                    "color": _NARROW_LEGEND}}, {}]}]},
        lang=lang,
    )


# The short measure names the bar labels show ("rapes reported" -> "rapes"), for the catalogue.
_SHORT_MEASURES = (N_("rapes"), N_("violent crimes"), N_("other violent crimes"),
                   N_("sexual assaults"), N_("domestic violence"))


def _month(ts: pd.Timestamp, lang: str | None) -> str:
    """A month's short name in ``lang`` ("Jan", "ene")."""
    return i18n.MONTHS[i18n.resolve(lang)][ts.month - 1][:3]


def police_changes_2017(df: pd.DataFrame | None = None, *,
                        lang: str | None = None) -> alt.LayerChart:
    """Announced percent changes in reports, Houston and Los Angeles 2017, one bar per
    announcement; a drop-down filters the city, and the data table gives the window measured
    and who announced each figure.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    df = data.load("police_reported_changes_2017") if df is None else df
    d = df.copy()
    span = pd.Series([t("{start}\u2013{end} {year}").format(
        start=_month(a, lang), end=_month(b, lang), year=b.year)
        for a, b in zip(d["window_start"], d["window_end"], strict=True)], index=d.index)
    measure = (d["measure"].str.replace(r" reported| reports", "", regex=True)
               .str.replace("violent crimes (other than rape)", "other violent crimes",
                            regex=False)).map(t)
    # Bar labels name the victim group briefly: English drops the word "victims" (the last
    # replacement, which leaves a translation alone: its group names stay whole).
    victims = (d["victim_group"].map(t)
               .str.replace(t("all victims (citywide)"), t("citywide"), regex=False)
               .str.replace(" victims", "", regex=False))
    city = d["city"].replace({"Los Angeles": "LA"})
    # Three short lines on phones (where and when; what; for whom), one on wide screens.
    d["bar"] = city + ", " + span + ":|" + measure + ",|" + victims
    d["announced_str"] = d["announced"].map(lambda ts: when(ts, "day", lang))
    d["hispanic"] = d["victim_group"].str.contains("Hispanic|Latino", regex=True) & \
        ~d["victim_group"].str.startswith("non-")
    groups = {True: t("Hispanic or Latino victims"), False: t("Other or all victims")}
    d["group"] = d["hispanic"].map(groups)
    d["change_str"] = d["pct_change"].map(lambda v: _pct(v, sign=True))
    d["window_str"] = d["window"].map(t) + " (" + span + ")"
    cities = ["Both cities", *sorted(d["city"].unique())]  # English: the menu's values
    for col in ("city", "measure", "victim_group", "announced_by", "confidence"):
        d[col] = d[col].map(t)
    d = d[["city", "bar", "pct_change", "change_str", "group", "measure", "victim_group",
           "window_str", "announced_str", "announced_by", "confidence"]]
    pick = alt.param(name="ch4_city", value="Both cities",
                     bind=alt.binding_select(options=cities,
                                             **binding_labels(cities, [t("Both cities"),
                                                                     *map(t, cities[1:])]),
                                             name=t("City")))
    base = (alt.Chart(d)
            .transform_filter("ch4_city == 'Both cities' || datum.city == "
                              + shown_value("ch4_city", {v: t(v) for v in cities[1:]}))
            .encode(y=alt.Y("bar:N", title=None, sort=None,
                            axis=alt.Axis(labelLimit=400, labelExpr=_ONE_LINE)),
                    x=alt.X("pct_change:Q", title=t("Announced change in reports (%)"))))
    # Orange for the Hispanic or Latino victims' bars: the colours follow the groups' sorted
    # names (as in English) unless a translation sorts them the other way.
    order = [groups[True], groups[False]]
    bars = base.mark_bar(height=16).encode(
        color=alt.Color("group:N", title=None,
                        scale=alt.Scale(range=[PALETTE[1], PALETTE[7]])
                        if order == sorted(order) else
                        alt.Scale(domain=order, range=[PALETTE[1], PALETTE[7]])),
        tooltip=[alt.Tooltip("city:N", title=t("City")),
                 alt.Tooltip("measure:N", title=t("Measure")),
                 alt.Tooltip("victim_group:N", title=t("Victims")),
                 alt.Tooltip("change_str:N", title=t("Change")),
                 alt.Tooltip("window_str:N", title=t("Window")),
                 alt.Tooltip("announced_str:N", title=t("Announced")),
                 alt.Tooltip("announced_by:N", title=t("By")),
                 alt.Tooltip("confidence:N", title=t("Confidence"))])
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333333").encode(x="x:Q")
    chart = (bars + zero).add_params(pick).properties(width=WIDTH - 340, height=alt.Step(22))

    table = pd.DataFrame({
        t("City"): d["city"], t("Measure"): d["measure"], t("Victims"): d["victim_group"],
        t("Change"): d["change_str"], t("Window"): d["window_str"],
        t("Announced"): d["announced_str"], t("Announced by"): d["announced_by"],
        t("Confidence"): d["confidence"]})

    def sentence(rows: pd.DataFrame, where: str) -> str:
        parts = []
        for group, g in rows.groupby("group", sort=True):
            falls, rises = (g["pct_change"] < 0).sum(), (g["pct_change"] > 0).sum()
            lo, hi = g["pct_change"].min(), g["pct_change"].max()
            rng = _pct(lo, True) if lo == hi else t("{low} to {high}").format(
                low=_pct(lo, True), high=_pct(hi, True))
            parts.append(t("{group}: {falls} fell and {rises} rose ({range})").format(
                group=group, falls=falls, rises=rises, range=rng))
        return t("{place}, {count} announced changes. {groups}.").format(
            place=where, count=len(rows), groups="; ".join(parts))

    sentences = {"Both cities": sentence(d, t("Houston and Los Angeles"))}
    for c in cities[1:]:
        sentences[c] = sentence(d[d["city"] == t(c)], t(c))
    h = df.set_index("id")["pct_change"]
    chart = finish(
        chart,
        title=t("Reports by Hispanic victims in Houston and Los Angeles, 2017, as announced"),
        subtitle=t("Short windows and unpublished counts: suggestive, not proof of a cause. "
                   "Pick a city."),
        description=t(
            "Horizontal bar chart of percent changes in reports to police announced by the "
            "Houston and Los Angeles police departments for 2017. Houston, first quarter: "
            "rapes reported by Hispanic victims {houston_hispanic:g}%, by non-Hispanic victims "
            "about +{houston_other:g}%; Houston full year: all rapes +{houston_year:g}%. Los "
            "Angeles, January-February: sexual assaults reported by Latino victims "
            "{la_latino:g}%; to 30 April: Hispanic victims {la_hispanic_apr:g}%, citywide "
            "{la_all_apr:g}%. A drop-down filters the city.").format(
            houston_hispanic=h["houston-rape-hispanic"],
            houston_other=h["houston-rape-nonhispanic"], houston_year=h["houston-rape-year"],
            la_latino=h["la-sexual-hispanic"], la_hispanic_apr=h["la-sexual-hispanic-apr"],
            la_all_apr=h["la-sexual-all-apr"]),
        datasets=["police_reported_changes_2017"],
        table=table,
        table_caption=t("Each announced change in reports to police, with its window and "
                        "source"),
        live=vega_lookup(sentences, "ch4_city"),
        live_name="ch4_city_live",
        # Phones: each label on three short lines. The legend would
        # start under the plot and run off a phone: the subtitle and every label name the
        # victim group instead.
        narrow={"layer": _y_wrapped(2, skip=(1,), first={
                    "x": {"title": _phone_title(t("Change in reports (%)"), 24)},
                    "color": {"legend": None}}),
                "height": {"step": 48}},
        lang=lang,
    )
    # The colour key gets a subtitle line of its own (before the source line).
    first, *rest = chart.title.subtitle
    key = t("Orange bars: Hispanic or Latino victims; grey bars: other or all victims.")
    return chart.properties(title=alt.Title(chart.title.text, subtitle=[first, key, *rest]))
