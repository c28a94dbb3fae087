"""Chapter 5 (practices) charts: programs, the policy builder, the U-visa backlog.

Every control is a form control under the chart (keyboard and screen-reader usable); every
chart carries a data table with its tooltip content and a live sentence stating the result of
the current view; ``narrow=`` changes keep each chart readable in a 290 px phone column.

Every builder takes ``lang`` ("en" or "es"; the current language by default): the chart's
text comes from the catalogue ``locales/es/LC_MESSAGES/trustlab/charts-practices.po``. The
values of controls stay in English (the filters compare them with the data); their labels,
the data the chart shows and the live sentences are translated.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from .. import data
from ..i18n import N_, translator
from .base import (
    binding_labels,
    finish,
    message_pieces,
    shown_value,
    vega_concat,
    vega_str,
)

# Data values the charts show (legend, axis and menu labels, tooltip and table cells): the
# catalogue holds every value of these columns (``python -m trustlab.translations update``).
# Program and agency names that are proper names keep their English form in the catalogue.
TRANSLATED_DATA = {
    "programs": ["short_name", "agency", "region", "what_it_does", "evidence_kind",
                 "evidence_summary", "confidence", "verification_note"],
    "recommendations": ["short_label", "evidence_strength", "recommended_by"],
}

# The labels of ``practices.PRACTICES`` and ``practices.CHOICES`` (defined in
# trustlab/practices.py), marked here for the catalogue; the charts translate them where
# they show them. Keep in step with trustlab/practices.py.
_PRACTICE_AND_CHOICE_LABELS = (
    N_("Public policy"), N_("Language access"), N_("Cultural training"),
    N_("Community leaders"), N_("Sustained engagement"), N_("Recruitment"), N_("Funding"),
    N_("U/T visas"), N_("Limits on holds"),
    N_("Publishes a written policy on cooperation with ICE"),
    N_("Translates that policy into the main local languages"),
    N_("Reviews and re-issues it when federal rules change"),
    N_("Officers don't ask victims and witnesses about status"),
    N_("Holds people past release only on a judge's warrant"),
    N_("Tells ICE before releasing people convicted of serious violent crimes"),
    N_("Has a 287(g) agreement"),
    N_("Has interpreters and bilingual staff (language-access plan)"),
    N_("Trains officers in cultural competency"),
    N_("Meets regularly with immigrant community leaders"),
    N_("Chief or sheriff takes part in outreach in person"),
    N_("Has a written U/T visa certification process"),
    N_("Funds outreach without cutting community policing"),
)

# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

# Evidence of a program's results. The light grey once used for "none found" had 1.9:1
# contrast on white; every mark colour here has at least 3:1 (tests/test_practices.py).
PROGRAM_EVIDENCE = [N_("evaluation"), N_("descriptive"), N_("none found")]  # data values
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
    "r01_written_policy": N_("a written policy"),
    "r02_translate_policy": N_("translation"),
    "r03_update_policy": N_("updates"),
    "r04_no_status_inquiry": N_("no status questions"),
    "r05_judicial_warrant_holds": N_("judicial warrants for holds"),
    "r06_serious_crime_cooperation": N_("serious-crime cooperation"),
    "r07_no_civil_enforcement": N_("no 287(g)"),
    "r08_language_access": N_("interpreters"),
    "r09_cultural_training": N_("training"),
    "r10_advisory_council": N_("an advisory council"),
    "r11_leader_presence": N_("the chief in person"),
    "r12_u_t_certification": N_("U/T certification"),
    "r13_protect_funding": N_("protected funding"),
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


class _E(str):
    """A Vega expression to splice into a message by :func:`_tokens` (not formatted as text)."""


def _tokens(message: str, **values) -> list[tuple[bool, str]]:
    """A (translated) message as pieces of a Vega string expression: each ``{name}`` whose
    value is an :class:`_E` is that expression, other values are formatted into the text
    (see :func:`trustlab.charts.base.message_pieces`)."""
    exprs = {k: str(v) for k, v in values.items() if isinstance(v, _E)}
    others = {k: v for k, v in values.items() if k not in exprs}
    return message_pieces(message, exprs, others)


def _vega(message: str, **values) -> str:
    """A (translated) message as one Vega string expression (see :func:`_tokens`)."""
    return vega_concat(_tokens(message, **values))


def _either(cond: str, a: list[tuple[bool, str]], b: list[tuple[bool, str]]) -> str:
    """Vega expression for ``cond ? a : b`` (two whole sentences), with the words they share
    at the start written once, before the choice."""
    head: list[tuple[bool, str]] = []
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        head.append(a[i])
        i += 1
    a, b = list(a[i:]), list(b[i:])
    if a and b and not a[0][0] and not b[0][0]:
        common = len(_common_prefix(a[0][1], b[0][1]))
        if common:
            head.append((False, a[0][1][:common]))
            a[0] = (False, a[0][1][common:])
            b[0] = (False, b[0][1][common:])
            a = [x for x in a if x != (False, "")]
            b = [x for x in b if x != (False, "")]
    tail = f"({cond} ? {vega_concat(a)} : {vega_concat(b)})"
    return " + ".join([vega_concat(head), tail]) if head else tail


def _common_prefix(x: str, y: str) -> str:
    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    return x[:n]


def programs_explorer(df: pd.DataFrame | None = None, *,
                      lang: str | None = None) -> alt.Chart:
    """Programs (rows) by the practices they illustrate (columns). Menus filter by practice
    and region, a slider by start year, and an Evidence menu highlights one kind of evidence.
    A live sentence names the programs shown; the data table holds every tooltip.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default. The menus' values stay in English (the filters compare them with the data)."""
    from .. import practices as pr

    t = translator(lang)

    def tr(value):
        return t(value) if isinstance(value, str) else value

    long = pr.programs_long(df)
    cols = ["program_id", "name", "agency", "place", "state", "region", "year_started",
            "year_note", "practices", "practice", "practice_label", "what_it_does",
            "evidence_kind", "evidence_summary", "confidence", "verification_note"]
    long = long[cols].copy()
    long["year_started"] = long["year_started"].astype("float")
    long["year_shown"] = long["year_started"].map(lambda y: t("unknown") if pd.isna(y)
                                                  else str(int(y)))
    # The English values the controls compare with (the live sentence's filter), by program.
    english = long.drop_duplicates("program_id").set_index("program_id")[
        ["region", "evidence_kind", "confidence"]]
    for c in ["name", "agency", "region", "practice_label", "what_it_does", "evidence_kind",
              "evidence_summary", "confidence", "verification_note"]:
        long[c] = long[c].map(tr)
    practice_names = {k: t(v) for k, v in pr.PRACTICES.items()}
    # Row labels carry '|' where a narrow screen breaks them into lines.
    long["row"] = long["name"].map(lambda s: _lines(s, 18))
    progs = (long.drop_duplicates("program_id")
             .sort_values(["year_started", "name"], na_position="last"))
    order = progs["row"].tolist()
    years = long["year_started"].dropna()
    lo, hi = int(years.min()), int(years.max())
    regions = [N_("Northeast"), N_("Midwest"), N_("South"), N_("West")]  # values: English
    # the data's (translated) region and evidence kind for the menus' (English) values
    region_shown = shown_value("pe_region", {v: t(v) for v in regions})
    evidence_shown = shown_value("pe_evidence", {v: t(v) for v in PROGRAM_EVIDENCE})
    practice = alt.param(
        name="pe_practice", value="All",
        bind=alt.binding_select(options=["All", *pr.PRACTICES],
                                labels=[t("All practices"), *practice_names.values()],
                                name=t("Practice")))
    region = alt.param(
        name="pe_region", value="All",
        bind=alt.binding_select(options=["All", *regions],
                                labels=[t("All regions"), *map(t, regions)],
                                name=t("Region")))
    year = alt.param(
        name="pe_year", value=hi,
        bind=alt.binding_range(min=lo, max=hi, step=1, name=t("Started in or before")))
    evidence = alt.param(
        name="pe_evidence", value="All",
        bind=alt.binding_select(options=["All", *PROGRAM_EVIDENCE],
                                labels=[t("All kinds"), *map(t, PROGRAM_EVIDENCE)],
                                name=t("Highlight evidence of results")))
    chart = (
        alt.Chart(long)
        .transform_filter(
            "(pe_practice == 'All' || indexof(datum.practices, pe_practice) >= 0)"
            f" && (pe_region == 'All' || datum.region == {region_shown})"
            " && (!isValid(datum.year_started) || datum.year_started <= pe_year)")
        .mark_point(filled=True, size=220)
        .encode(
            x=alt.X("practice_label:N", title=None, sort=list(practice_names.values()),
                    scale=alt.Scale(domain=list(practice_names.values())),
                    axis=alt.Axis(orient="top", labelAngle=-45, labelLimit=140)),
            y=alt.Y("row:N", title=None, sort=order,
                    axis=alt.Axis(labelLimit=280,
                                  labelExpr="join(split(datum.label, '|'), ' ')")),
            color=alt.Color("evidence_kind:N", title=t("Evidence of results"),
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=[t(k) for k in PROGRAM_EVIDENCE],
                                            range=PROGRAM_EVIDENCE_COLORS)),
            shape=alt.Shape("confidence:N", title=t("Verified?"),
                            legend=alt.Legend(titleLimit=320, direction="vertical"),
                            scale=alt.Scale(domain=[t("verified"), t("reported"),
                                                    t("could not verify")],
                                            range=["square", "circle", "cross"])),
            opacity=alt.condition(
                f"pe_evidence == 'All' || datum.evidence_kind == {evidence_shown}",
                alt.value(1.0), alt.value(0.15)),
            tooltip=[alt.Tooltip("name:N", title=t("Program")),
                     alt.Tooltip("agency:N", title=t("Run by")),
                     alt.Tooltip("year_shown:N", title=t("Started")),
                     alt.Tooltip("region:N", title=t("Region")),
                     alt.Tooltip("what_it_does:N", title=t("What it does")),
                     alt.Tooltip("evidence_kind:N", title=t("Evidence")),
                     alt.Tooltip("evidence_summary:N", title=t("What is known")),
                     alt.Tooltip("confidence:N", title=t("Confidence")),
                     alt.Tooltip("verification_note:N", title=t("What was checked"))],
        )
        .add_params(practice, region, year, evidence)
        .properties(width=alt.Step(34), height=alt.Step(26))
    )
    n = len(progs)
    counts = pr.evidence_counts(df)
    unverified = int((english["confidence"] == "could not verify").sum())

    # The live sentence: which programs the current filters keep, computed per program with
    # the same rules as the chart's filter (no lambdas in Vega expressions).
    def keeps(p) -> str:
        year_ok = "true" if pd.isna(p["year_started"]) else f"{int(p['year_started'])} <= pe_year"
        region_en = english.loc[p["program_id"], "region"]
        return (f"((pe_practice == 'All' || indexof({vega_str(p['practices'])}, pe_practice) >= 0)"
                f" && (pe_region == 'All' || pe_region == {vega_str(region_en)}) && {year_ok})")
    rows = [p for _, p in progs.iterrows()]
    shown = "(" + " + ".join(f"({keeps(p)} ? 1 : 0)" for p in rows) + ")"
    names = ("slice(" + " + ".join(f"({keeps(p)} ? {vega_str(p['name'] + '; ')} : '')"
                                   for p in rows) + ", 0, -2)")
    marked = "(" + " + ".join(
        f"({keeps(p)} && pe_evidence == {vega_str(english.loc[p['program_id'], 'evidence_kind'])}"
        " ? 1 : 0)" for p in rows) + ")"
    labels = "{" + ", ".join(f"{vega_str(k)}: {vega_str(v)}"
                             for k, v in practice_names.items()) + "}"
    none_match, any_practice, all_regions = (t("No program matches"), t("any practice"),
                                             t("all regions"))
    matches = _E(f"({shown} == 0 ? {vega_str(none_match)} : "
                 + _vega(t("{shown} of {total} programs match"), shown=_E(shown), total=n)
                 + ")")
    live = (
        _vega(t("{matches} ({practice}, {region}, started in or before {year} or in an "
                "unknown year)"),
              matches=matches,
              practice=_E(f"(pe_practice == 'All' ? {vega_str(any_practice)} : "
                          f"{labels}[pe_practice])"),
              region=_E(f"(pe_region == 'All' ? {vega_str(all_regions)} : {region_shown})"),
              year=_E("pe_year"))
        + f" + ({shown} == 0 || {shown} > 5 ? '.' : ': ' + {names} + '.')"
        + " + (pe_evidence == 'All' ? '' : "
        + _vega(" " + t('Highlighted: {marked} with evidence of results "{kind}".'),
                marked=_E(marked), kind=_E(evidence_shown))
        + ")")
    table = pd.DataFrame({
        t("Program"): progs["name"],
        t("Run by"): progs["agency"],
        t("Started"): progs["year_shown"],
        t("Region"): progs["region"],
        t("Practices"): progs["practices"].map(
            lambda s: ", ".join(practice_names.get(p, p) for p in s.split(";"))),
        t("What it does"): progs["what_it_does"],
        t("Evidence"): progs["evidence_kind"],
        t("What is known"): progs["evidence_summary"],
        t("Confidence"): progs["confidence"],
        t("What was checked"): progs["verification_note"],
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
            "color": {"legend": {"orient": "none", "legendX": -100, "title": t("Evidence"),
                                 "legendY": {"expr": "height + 12"}}},
            "shape": {"legend": {"orient": "none", "legendX": 10,
                                 "legendY": {"expr": "height + 12"}}},
        },
    }
    # Side by side, the legends fill a phone's box when the shape legend's longest label is
    # English's "could not verify": a longer one (Spanish "no se pudo verificar") would push
    # the chart past the box, and no plot shrink moves a legend. The shape legend then goes
    # under the colour legend (57 px tall), from the same left edge.
    if max(len(t(c)) for c in ("verified", "reported", "could not verify")) > 16:
        narrow["encoding"]["shape"]["legend"].update(
            {"legendX": -100, "legendY": {"expr": "height + 80"}})
    return _wrapped(finish(
        chart,
        title=t("Programs named as ways to keep immigrant communities' trust"),
        subtitle=t("Filter with the menus and slider under the chart; the Evidence menu "
                   "highlights one kind; the data table lists every program in full."),
        description=t(
            "Grid of {n} programs and state laws (rows, ordered by start year from {lo} to "
            "{hi}) against {practices} trust-building practices (columns); a mark shows "
            "that a program illustrates a practice. Colour gives the evidence of results: "
            "{evaluation} with an evaluation, {descriptive} with descriptive accounts only "
            "and {none} with none found. Shape gives verification: {unverified} programs as "
            "named could not be verified and are drawn as crosses.").format(
            n=n, lo=lo, hi=hi, practices=len(pr.PRACTICES), evaluation=counts["evaluation"],
            descriptive=counts["descriptive"], none=counts["none found"],
            unverified=unverified),
        datasets=["programs"],
        table=table,
        table_caption=t("Programs and state laws in the chart, by start year: what each "
                        "does, the evidence of its results and what could be verified."),
        live=live, live_name="pe_live", narrow=narrow, lang=lang,
    ))


def policy_builder(recs: pd.DataFrame | None = None,
                   defaults: dict[str, bool] | None = None, *,
                   lang: str | None = None) -> alt.VConcatChart:
    """Tick a jurisdiction's choices; the chart recomputes in the browser which
    recommendations are met and shows the evidence behind each. No kernel needed.

    One view (rows: recommendations; columns: status, then the evidence) so that each row
    stays together on a phone; a live sentence gives the count and what is still missing.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    from .. import practices as pr

    t = translator(lang)

    def tr(value):
        return t(value) if isinstance(value, str) else value

    full = pr.check_choices(defaults or {})
    card = pr.scorecard(full, recs)
    card["met_when"] = card["met_when"].astype(bool)
    d = card[["rec_id", "short_label", "practice_label", "evidence_strength",
              "recommended_by", "choice", "met_when"]].copy()
    n = len(d)
    strong = int(d["evidence_strength"].isin(pr.EVIDENCE_ORDER[:2]).sum())
    contested = int((d["evidence_strength"] == "contested").sum())
    for c in ["short_label", "practice_label", "evidence_strength", "recommended_by"]:
        d[c] = d[c].map(tr)
    d["row"] = d["short_label"].map(lambda s: _lines(s, 16, hyphens=True))
    d["evidence_lines"] = d["evidence_strength"].map(lambda s: _lines(s, 16))
    params = [alt.param(name=f"pb_{key}", value=full[key],
                        bind=alt.binding_checkbox(name=t(label)))
              for key, label in pr.CHOICES.items()]
    lookup = "false"
    for key in reversed(list(pr.CHOICES)):
        lookup = f"(datum.choice == '{key}' ? pb_{key} : {lookup})"
    order = d["row"].tolist()
    meets, not_yet = t("✔ meets"), t("✘ not yet")
    yes, no = t("✔ yes"), t("✘ no")  # the status on a phone
    yours, behind = t("Your jurisdiction"), t("Evidence behind it")  # column headers
    base = alt.Chart(d).transform_calculate(
        met=f"{lookup} == datum.met_when",
        status=f"datum.met ? {vega_str(meets)} : {vega_str(not_yet)}",
        status_short=f"datum.met ? {vega_str(yes)} : {vega_str(no)}",
        met_num="datum.met ? 1 : 0")
    # Column positions are fractions of the view's width, so they shrink with it.
    col = alt.Scale(domain=[0, 1], nice=False, zero=False)
    y = alt.Y("row:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=250, labelExpr="join(split(datum.label, '|'), ' ')",
                            domain=False, ticks=False))
    tooltip = [alt.Tooltip("short_label:N", title=t("Recommendation")),
               alt.Tooltip("practice_label:N", title=t("Practice")),
               alt.Tooltip("recommended_by:N", title=t("Recommended by")),
               alt.Tooltip("evidence_strength:N", title=t("Evidence"))]
    headers = alt.Axis(orient="top", title=None, values=[0, 0.35], grid=False, ticks=False,
                       domain=False, labelAlign="left", labelOffset=8, labelFontWeight="bold",
                       labelFontSize=12, labelColor="#333333",
                       labelExpr=f"datum.value == 0 ? {vega_str(yours)} : {vega_str(behind)}")
    status = base.mark_text(align="left", fontSize=13, fontWeight="bold", dx=8).encode(
        y=y, x=alt.X("zero:Q", scale=col, axis=headers), text="status:N",
        color=alt.Color("status:N", legend=None,
                        scale=alt.Scale(domain=[meets, not_yet],
                                        range=[MEETS_COLOR, NOT_YET_COLOR])),
        tooltip=tooltip,
    ).transform_calculate(zero="0")
    swatch = base.mark_square(size=140, opacity=1, xOffset=6).encode(
        y=y, x=alt.X("at:Q", scale=col, axis=headers),
        color=alt.Color("evidence_strength:N", legend=None,
                        scale=alt.Scale(domain=[t(e) for e in pr.EVIDENCE_ORDER],
                                        range=REC_EVIDENCE_COLORS)),
        tooltip=tooltip).transform_calculate(at="0.35")
    ev_text = base.mark_text(align="left", fontSize=11, color="#333333", dx=16,
                             lineBreak="|").encode(
        y=y, x=alt.X("at:Q", scale=col, axis=headers), text="evidence_strength:N",
        tooltip=tooltip).transform_calculate(at="0.35")
    rows = (alt.layer(status, swatch, ev_text).resolve_scale(color="independent")
            .properties(width=330, height=alt.Step(24)))
    total = base.transform_aggregate(n_met="sum(met_num)", n="count()").transform_calculate(
        line=_vega(t("Your choices meet {met} of {total} recommendations."),
                   met=_E("datum.n_met"), total=_E("datum.n")),
        # '|' breaks the line on a phone.
        line_narrow=_vega(t("Your choices meet {met} of {total}|recommendations."),
                          met=_E("datum.n_met"), total=_E("datum.n")),
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

    def short(r) -> str:
        words = REC_SHORT.get(r["rec_id"])
        return r["short_label"] if words is None else t(words)
    missing = ("slice(" + " + ".join(
        f"({met(r)} ? '' : {vega_str(short(r) + ', ')})" for r in recs_rows) + ", 0, -2)")
    live = _either(
        f"{n_met} == {n}",
        _tokens(t("Your choices meet {met} of {total} recommendations."),
                met=_E(n_met), total=n),
        _tokens(t("Your choices meet {met} of {total} recommendations; not yet met: "
                  "{missing}."), met=_E(n_met), total=n, missing=_E(missing)))

    def met_when(r) -> str:
        choice = pr.CHOICES.get(r["choice"])
        choice = t(choice) if choice is not None else r["choice"]
        sentence = t("ticked: {choice}") if r["met_when"] else t("not ticked: {choice}")
        return sentence.format(choice=choice)
    table = pd.DataFrame({
        t("Recommendation"): d["short_label"],
        t("Met when"): [met_when(r) for _, r in d.iterrows()],
        t("Practice"): d["practice_label"],
        t("Evidence"): d["evidence_strength"],
        t("Recommended by"): d["recommended_by"],
    })
    # Phones: recommendation names and kinds of evidence on two lines, taller rows, the
    # count on two lines, a shorter status ("✔ yes" / "✘ no") and column headers.
    met_header, evidence_header = t("Met"), t("Evidence")
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
                                 "labelExpr": f"datum.value == 0 ? {vega_str(met_header)} : "
                                              f"{vega_str(evidence_header)}"}}}},
             {"transform": [{"calculate": "0.27", "as": "at"}],
              "mark": {"xOffset": 4, "size": 64}},
             {"transform": [{"calculate": "0.27", "as": "at"}],
              "mark": {"dx": 11, "fontSize": 10},
              "encoding": {"text": {"field": "evidence_lines"}}},
         ]},
    ]}
    return _wrapped(finish(
        chart,
        title=t("Policy builder: which recommendations would your jurisdiction meet?"),
        subtitle=t("Tick the boxes under the chart; it recomputes in your browser. The data "
                   "table under the chart says who recommends each."),
        description=t(
            "A checklist chart of {n} recommendations for preserving immigrant "
            "communities' trust. {choices} checkboxes describe a jurisdiction's "
            "choices (for example, whether it publishes its policy or has a 287(g) "
            "agreement); each recommendation is marked as met or not yet met for those "
            "choices, with the kind of evidence behind it written beside it "
            "({strong} rest on court rulings or legal duties, {contested} contested). A line "
            "at the top counts how many are met.").format(
            n=n, choices=len(pr.CHOICES), strong=strong, contested=contested),
        datasets=["recommendations"],
        table=table,
        table_caption=t("The recommendations in the policy builder: which choice meets "
                        "each, the evidence behind it and who recommends it."),
        live=live, live_name="pb_live", narrow=narrow, lang=lang,
    ))


def u_visa_backlog(df: pd.DataFrame | None = None, *,
                   lang: str | None = None) -> alt.LayerChart:
    """U-visa petitions pending at year end (or received during the year), with the annual
    cap on principal visas for scale. A control switches the measure; a live sentence states
    what the bars show.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default. The control's values stay in English (the chart's filter compares them)."""
    t = translator(lang)
    df = data.load("u_t_visas") if df is None else df
    d = df[(df["visa"] == "U") & (df["counted"] == "principal and family")
           & df["measure"].isin(["petitions_pending", "petitions_received"])
           & (df["as_of"].dt.month == 9)].copy()
    d["fiscal_year"] = d["fiscal_year"].astype(int)
    measures = [N_("Pending at end of year"), N_("Received during year")]  # values: English
    d["measure"] = d["measure"].map({"petitions_pending": measures[0],
                                     "petitions_received": measures[1]})
    d = d[["fiscal_year", "measure", "value"]]
    shown = d.copy()
    shown["measure"] = shown["measure"].map(t)
    cap = int(df.loc[(df["visa"] == "U") & (df["measure"] == "annual_cap"), "value"].iloc[0])
    measure = alt.param(
        name="uv_measure", value=measures[0],
        bind=alt.binding_radio(options=measures, name=t("Show"),
                               **binding_labels(measures, [t(m) for m in measures])))
    petitions = t("Petitions (victims and family members)")
    bars = (
        alt.Chart(shown)
        .transform_filter("datum.measure == "
                          + shown_value("uv_measure", {v: t(v) for v in measures}))
        .mark_bar(color="#1f6fb2")
        .encode(
            x=alt.X("fiscal_year:O", title=t("Fiscal year"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=petitions),
            tooltip=[alt.Tooltip("fiscal_year:O", title=t("Fiscal year")),
                     alt.Tooltip("measure:N", title=t("Measure")),
                     alt.Tooltip("value:Q", title=t("Petitions"), format=",")],
        )
        .add_params(measure)
    )
    label = t("Annual cap: {cap:,} U visas for victims (family members not capped)").format(
        cap=cap)
    rule_df = pd.DataFrame({"cap": [cap], "label": [label]})
    rule = alt.Chart(rule_df).mark_rule(strokeDash=[6, 4], color="#333333").encode(
        y=alt.Y("cap:Q", title=petitions),
        tooltip=alt.Tooltip("label:N", title=t("Dashed line")))
    chart = alt.layer(bars, rule).properties(width=560, height=320)
    wide = d.pivot(index="fiscal_year", columns="measure", values="value")
    pend, rec = wide["Pending at end of year"], wide["Received during year"]
    first, last = int(pend.index.min()), int(pend.index.max())
    low_year = int(pend.idxmin())
    peak_year = int(rec.idxmax())
    said = {
        "Pending at end of year": t(
            "Pending at end of year: {first_n:,} in {first}, {low_n:,} in {low_year} (the "
            "lowest), then up to {last_n:,} in {last}, about {times:.0f} times the annual cap "
            "of {cap:,} visas for victims.").format(
            first_n=int(pend[first]), first=first, low_n=int(pend[low_year]),
            low_year=low_year, last_n=int(pend[last]), last=last, times=pend[last] / cap,
            cap=cap),
        "Received during year": t(
            "Received during year: {first_n:,} in {first}, a peak of {peak_n:,} in "
            "{peak_year}, then {last_n:,} in {last}; the annual cap is {cap:,} visas for "
            "victims.").format(
            first_n=int(rec[first]), first=first, peak_n=int(rec[peak_year]),
            peak_year=peak_year, last_n=int(rec[last]), last=last, cap=cap),
    }
    live = ("{" + ", ".join(f"{vega_str(k)}: {vega_str(v)}" for k, v in said.items())
            + "}[uv_measure]")
    table = pd.DataFrame({
        t("Fiscal year"): [str(y) for y in wide.index],
        t("Pending at end of year"): [f"{int(v):,}" for v in pend],
        t("Received during year"): [f"{int(v):,}" for v in rec],
    })
    # Phones: upright year labels, a lower plot and a shorter axis title.
    short_title = t("Petitions incl. family")
    narrow = {"height": 240, "layer": [
        {"encoding": {"x": {"axis": {"labelAngle": -90}},
                      "y": {"title": short_title}}},
        {"encoding": {"y": {"title": short_title}}},
    ]}
    return _wrapped(finish(
        chart,
        title=t("U-visa petitions waiting for a decision, fiscal {first}–{last}").format(
            first=first, last=last),
        subtitle=t("Dashed line: annual cap of {cap:,} U visas for victims (the bars also "
                   "count family members).").format(cap=cap),
        description=t(
            "Bar chart by fiscal year from {first} to {last} of U-visa petitions pending at "
            "the end of each year, with a dashed line at the annual cap of {cap:,} visas "
            "for victims. Pending petitions fall to {low_n:,} in {low_year} and then rise "
            "every year to {last_n:,} in {last}. A control switches the bars to petitions "
            "received during each year.").format(
            first=first, last=last, cap=cap, low_n=int(pend[low_year]), low_year=low_year,
            last_n=int(pend[last])),
        datasets=["u_t_visas"],
        table=table,
        table_caption=t("U-visa petitions by fiscal year (victims and family members). "
                        "{label}.").format(label=label),
        live=live, live_name="uv_live", narrow=narrow, lang=lang,
    ))
