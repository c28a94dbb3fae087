"""Chapter 2 (the 287(g) program) charts: agreements over time, maps."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data, i18n
from ..i18n import N_, translator
from .base import (
    MUTED_TEXT,
    PALETTE,
    finish,
    vega_literal,
    vega_message,
    vega_str,
    when,
    wrap_subtitle,
)

# Data values the charts show (legend, axis and menu labels, tooltips, table cells): the
# catalogue holds every value of these columns, and the builders pass them through ``t``.
# Law names (``state_laws.law``) and source keys stay as published.
TRANSLATED_DATA = {"agreements_287g": ["agency_type", "model"],
                   "agreements_over_time": ["unit"],
                   "events_287g": ["event"],
                   "state_laws": ["confidence"]}

# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


CH2_WIDTH = 520  # chapter 2 charts leave room for axis labels and legends in the book column
RULE_GREY = "#767676"  # dashed policy-change lines: 4.5:1 on white (marks need 3:1)
MAP_STROKE = "#767676"  # state outlines: light fills (no agreements, no rule) keep a 3:1 edge
NO_DATA_FILL = "#eeeeee"  # states without agreements or without a listed rule (outlined)
# State rules: require, ban, restrict (3:1 or more on white), none (light, outlined).
LAW_COLORS = [PALETTE[1], PALETTE[3], PALETTE[5], NO_DATA_FILL]


MODELS_287G = [N_("Jail Enforcement Model"), N_("Task Force Model"),
               N_("Warrant Service Officer")]
MODEL_COLORS = {"Jail Enforcement Model": PALETTE[0], "Task Force Model": PALETTE[1],
                "Warrant Service Officer": PALETTE[2]}


# State and territory names as the charts show them (``trustlab.states`` and the map geometry
# hold the English names; the Spanish edition writes "Carolina del Norte", "Nuevo México").
STATE_NAMES = (
    N_("Alabama"), N_("Alaska"), N_("Arizona"), N_("Arkansas"), N_("California"),
    N_("Colorado"), N_("Connecticut"), N_("Delaware"), N_("District of Columbia"),
    N_("Florida"), N_("Georgia"), N_("Hawaii"), N_("Idaho"), N_("Illinois"), N_("Indiana"),
    N_("Iowa"), N_("Kansas"), N_("Kentucky"), N_("Louisiana"), N_("Maine"), N_("Maryland"),
    N_("Massachusetts"), N_("Michigan"), N_("Minnesota"), N_("Mississippi"), N_("Missouri"),
    N_("Montana"), N_("Nebraska"), N_("Nevada"), N_("New Hampshire"), N_("New Jersey"),
    N_("New Mexico"), N_("New York"), N_("North Carolina"), N_("North Dakota"), N_("Ohio"),
    N_("Oklahoma"), N_("Oregon"), N_("Pennsylvania"), N_("Rhode Island"),
    N_("South Carolina"), N_("South Dakota"), N_("Tennessee"), N_("Texas"), N_("Utah"),
    N_("Vermont"), N_("Virginia"), N_("Washington"), N_("West Virginia"), N_("Wisconsin"),
    N_("Wyoming"), N_("American Samoa"), N_("Guam"), N_("Northern Mariana Islands"),
    N_("Puerto Rico"), N_("U.S. Virgin Islands"),
)
OTHER_TYPE = N_("Other")  # the type of agency of an agreement whose type ICE left blank


def us_states_topojson() -> dict:
    """The state geometry (TopoJSON) shipped in ``datasets/geo``, read once per call.

    Charts inline it (about 110 KB per map) because ``alt.topo_feature`` needs a URL, and the
    book and JupyterLab must draw maps offline."""
    import json

    return json.loads(data.path("us_states_geometry").read_text(encoding="utf-8"))


def _states_data(lang: str | None = None) -> alt.InlineData:
    # The geometry goes in as JSON text, which Vega parses by the format: as a dict, Altair
    # checked, copied and serialised its tens of thousands of coordinates one object at a
    # time, about 1 s for the two maps of chapter 2. InlineData (not alt.Data) is moved to
    # the spec's "datasets", so a chart that layers the map holds it once.
    text = data.path("us_states_geometry").read_text(encoding="utf-8")
    if i18n.resolve(lang) != "en":
        text = _translated_geometry(text, lang)
    return alt.InlineData(values=text, format=alt.DataFormat(type="topojson", feature="states"))


def _translated_geometry(text: str, lang: str | None) -> str:
    """The TopoJSON text with each feature's ``properties.name`` (what the maps' tooltips
    show) in ``lang``, keyed by FIPS code."""
    import json

    from ..states import BY_FIPS

    t = translator(lang)
    topo = json.loads(text)
    for g in topo["objects"]["states"]["geometries"]:
        props = g.get("properties") or {}
        if "name" in props:
            english = BY_FIPS[g["id"]][1] if g.get("id") in BY_FIPS else props["name"]
            props["name"] = t(english)
    return json.dumps(topo, ensure_ascii=False, separators=(",", ":"))


def state_counts(agreements: pd.DataFrame) -> pd.DataFrame:
    """Agreements and distinct agencies per state and model from the one-row-per-agreement
    ICE table (``agreements_287g``), in the layout of ``agreements_by_state``."""
    need = {"as_of", "state", "agency", "model"}
    missing = need - set(agreements.columns)
    if missing:
        raise ValueError(f"state_counts needs the columns {sorted(need)} of agreements_287g; "
                         f"missing {sorted(missing)}. Load the table with "
                         "trustlab.load('agreements_287g').")
    g = agreements.groupby(["as_of", "state", "model"], observed=True)
    out = g.agg(agreements=("agency", "size"), agencies=("agency", "nunique")).reset_index()
    out["agreements"] = out["agreements"].astype(int)
    out["agencies"] = out["agencies"].astype(int)
    return out.sort_values(["state", "model"]).reset_index(drop=True)


PERIODS = {"all": ("2002–2026", None, None),
           "before2025": ("2002–2024", None, "2025-01-01"),
           "since2025": ("2025–2026", "2025-01-01", None)}
PERIOD_LABELS = ["2002–2026", "2002–2024", "2025–2026"]


def _in_period(dates: pd.Series, period: str) -> pd.Series:
    _, start, end = PERIODS[period]
    keep = pd.Series(True, index=dates.index)
    if start:
        keep &= dates >= start
    if end:
        keep &= dates < end
    return keep


def _period_filter(period_param: str) -> str:
    """Vega filter keeping the rows of the chosen period (``datum.date`` as 'YYYY-MM-DD')."""
    return (f"{period_param} == 'all' || ({period_param} == 'before2025' ? "
            f"datum.date < '2025-01-01' : datum.date >= '2025-01-01')")


def _counted(figure: str, unit: str, lang: str | None = None) -> str:
    """'1 agreement', 'more than 1,500 agreements' (``figure`` as :func:`_stated` writes it,
    in ``lang``)."""
    t = translator(lang)
    one = figure == "1"
    phrases = {"agreements": (t("{figure} agreement"), t("{figure} agreements")),
               "agencies": (t("{figure} agency"), t("{figure} agencies")),
               "sheriffs' offices": (t("{figure} sheriffs' office"),
                                     t("{figure} sheriffs' offices"))}
    if unit in phrases:
        return phrases[unit][0 if one else 1].format(figure=figure)
    return f"{figure} {unit[:-1] if one and unit.endswith('s') else unit}"


def _timeline_summaries(d: pd.DataFrame, ev: pd.DataFrame,
                        lang: str | None = None) -> tuple[dict, dict]:
    """The live line's wording: what each model-and-period view shows (keyed
    'model|period'), and how many policy changes each period marks. ``d`` keeps the English
    models and units; its figures and dates are already written in ``lang``."""
    t = translator(lang)
    views = {}
    for model in ["all", *MODELS_287G]:
        for period, (span, _, _) in PERIODS.items():
            part = d[(d["model"] == model) & _in_period(d["date"], period)]
            name = t("All models") if model == "all" else t(model)
            if part.empty:
                views[f"{model}|{period}"] = t(
                    "{name}, {span}: no dated figures in this period.").format(
                    name=name, span=span)
                continue
            part = part.sort_values(["date", "count"])
            top, first, last = part.loc[part["count"].idxmax()], part.iloc[0], part.iloc[-1]
            shown = {"name": name, "span": span, "n": len(part),
                     "first": _counted(first["figure"], first["unit"], lang),
                     "first_when": first["when"],
                     "last": _counted(last["figure"], last["unit"], lang),
                     "last_when": last["when"]}
            if top["count"] != last["count"]:
                text = t("{name}, {span}: {n} dated figures, from {first} ({first_when}) to "
                         "{last} ({last_when}); the highest is {top} ({top_when}).").format(
                    **shown, top=_counted(top["figure"], top["unit"], lang),
                    top_when=top["when"])
            else:
                text = t("{name}, {span}: {n} dated figures, from {first} ({first_when}) to "
                         "{last} ({last_when}).").format(**shown)
            views[f"{model}|{period}"] = text
    notes = {p: int(_in_period(ev["date"], p).sum()) for p in PERIODS}
    return views, notes


def agreements_timeline(df: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                        wapo: pd.DataFrame | None = None, *,
                        lang: str | None = None) -> alt.LayerChart:
    """Dated 287(g) counts, 2002 onward: reported figures and ICE snapshots, with menus for
    the model and the period (the 2025 growth dwarfs the earlier counts) and a checkbox for
    policy annotations. The data table lists every figure as stated and every policy change.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    df = data.load("agreements_over_time") if df is None else df
    events = data.load("events_287g") if events is None else events
    wapo = data.load("wapo_287g_sheriffs") if wapo is None else wapo
    qual = df["qualifier"] if "qualifier" in df.columns else pd.Series("exact", index=df.index)
    df = df.assign(qualifier=qual.fillna("exact"))
    d = df.loc[df["unit"] != "states",
               ["date", "date_precision", "count", "qualifier", "unit", "model", "kind", "as_of",
                "source"]].copy()
    d["figure"] = [_stated(int(c), q, lang)
                   for c, q in zip(d["count"], d["qualifier"], strict=True)]
    d["when"] = [when(ts, p, lang) for ts, p in zip(d["date"], d["date_precision"], strict=True)]
    d = d.drop(columns=["date_precision"])
    d["series"] = d["kind"].map({"snapshot": "ICE list count",
                                 "reported": "Reported"}) + " · " + d["unit"]
    w = pd.DataFrame({"date": pd.to_datetime(wapo["year"].astype(str) + "-07-01"),
                      "count": wapo["agencies_flagged"].astype(int),
                      "unit": N_("sheriffs' offices"),
                      "model": "all", "kind": "curated", "as_of": pd.Timestamp("2021-11-01"),
                      "source": wapo["source"], "qualifier": "exact",
                      "figure": wapo["agencies_flagged"].astype(int).map("{:,}".format),
                      "when": wapo["year"].astype(str),
                      "series": "Washington Post · sheriffs' offices"})
    d = pd.concat([d, w], ignore_index=True)
    d["count"] = d["count"].astype(int)
    d["date"] = d["date"].dt.strftime("%Y-%m-%d")
    d["as_of"] = pd.to_datetime(d["as_of"]).dt.strftime("%Y-%m-%d")
    ev = events[events["category"].isin(["287(g) program", "Federal program", "Law"])].copy()
    ev["when"] = [when(ts, "day", lang) for ts in ev["date"]]
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    # Label only events more than a few months apart; the crowded 2025 ones keep a tooltip.
    ev["label"] = ev["date"] < "2025-01-01"
    ev.loc[ev["event"].str.startswith("Executive Order 14159"), "label"] = True
    ev = ev[["date", "when", "event", "category", "label"]]
    views, nnotes = _timeline_summaries(d, ev, lang)

    # What the chart shows, in its language. The model menu filters on the English model
    # names, so the data keep them; in another language the tooltip shows a translated copy.
    series_names = {"Reported · agencies": t("Reported · agencies"),
                    "Reported · agreements": t("Reported · agreements"),
                    "ICE list count · agreements": t("ICE list count · agreements"),
                    "ICE list count · agencies": t("ICE list count · agencies"),
                    "Washington Post · sheriffs' offices": t("Washington Post · sheriffs' offices")}
    model_names = {"all": t("All models"), **{m: t(m) for m in MODELS_287G}}
    d = d.assign(unit=d["unit"].map(t), series=d["series"].map(lambda s: series_names.get(s, s)))
    model_field = "model"
    if i18n.resolve(lang) != "en":
        d["model_label"] = d["model"].map(lambda m: model_names.get(m, m))
        model_field = "model_label"
    ev = ev.assign(event=ev["event"].map(t))

    model = alt.param(name="ch2_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=list(model_names.values()),
                                              name=t("Model") + " "))
    period = alt.param(name="ch2_period", value="all",
                       bind=alt.binding_select(options=list(PERIODS), labels=PERIOD_LABELS,
                                               name=t("Period") + " "))
    notes = alt.param(name="ch2_notes", value=True,
                      bind=alt.binding_checkbox(name=t("Show policy changes") + " "))
    x = alt.X("date:T", title=t("Date"), axis=alt.Axis(format="%Y"))
    base = (alt.Chart(d).transform_filter("datum.model == ch2_model")
            .transform_filter(_period_filter("ch2_period")))
    series_order = list(series_names.values())
    # Colour and shape tell the series apart, in one legend (never colour alone).
    color = alt.Color("series:N", title=None, sort=series_order,
                      legend=alt.Legend(labelLimit=240, columns=2),
                      scale=alt.Scale(domain=series_order,
                                      range=[PALETTE[3], PALETTE[0], PALETTE[1], PALETTE[4],
                                             PALETTE[7]]))
    shape = alt.Shape("series:N", title=None, sort=series_order,
                      scale=alt.Scale(domain=series_order,
                                      range=["circle", "square", "diamond", "triangle-up",
                                             "cross"]))
    tooltip = [alt.Tooltip("when:N", title=t("Date")),
               alt.Tooltip("figure:N", title=t("Figure as stated")),
               alt.Tooltip("unit:N", title=t("Counts")),
               alt.Tooltip(f"{model_field}:N", title=t("Model")),
               alt.Tooltip("series:N", title=t("Kind")),
               alt.Tooltip("source:N", title=t("Source key"))]
    lines = base.transform_filter("datum.kind != 'reported'").mark_line(
        strokeWidth=1.5, opacity=0.6).encode(
        x=x, y=alt.Y("count:Q", title=t("Agreements or agencies")), color=color,
        detail="series:N")
    points = base.mark_point(filled=True, size=55).encode(
        x=x, y="count:Q", color=color, shape=shape, tooltip=tooltip)
    evbase = (alt.Chart(ev).transform_filter("ch2_notes")
              .transform_filter(_period_filter("ch2_period")))
    rules = evbase.mark_rule(color=RULE_GREY, strokeDash=[3, 3]).encode(
        x="date:T", tooltip=[alt.Tooltip("when:N", title=t("Date")),
                             alt.Tooltip("event:N", title=t("Event"))])
    labels = evbase.transform_filter("datum.label").mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=9,
        color=MUTED_TEXT).encode(x="date:T", y=alt.value(0), text="event:N")
    chart = alt.layer(rules, labels, lines, points).add_params(model, period, notes).properties(
        width=CH2_WIDTH, height=340)
    latest = df[(df["model"] == "all") & (df["unit"] == "agreements")].sort_values(
        "date").iloc[-1]
    first = df.sort_values("date").iloc[0]
    last = df.sort_values("date").iloc[-1]
    data_to = when(last["date"], last["date_precision"], lang)
    latest_fig = _stated(int(latest["count"]), latest["qualifier"], lang)
    snap = df[(df["kind"] == "snapshot") & (df["model"] == "all")
              & (df["unit"] == "agreements")].sort_values("date")
    pre_max = int(df.loc[df["date"] < "2025-01-01", "count"].max())

    legend = {"orient": "none", "legendX": -50, "legendY": {"expr": "height + 40"},
              "columns": 1}
    shown_notes = _vega_text(t("{n} policy changes shown as dashed lines."),
                             n=f"{vega_literal(nnotes)}[ch2_period]")
    hidden_notes = vega_str(t("Policy changes hidden."))
    live = (f"{vega_literal(views)}[ch2_model + '|' + ch2_period] + ' ' + (ch2_notes ? "
            f"{shown_notes} : {hidden_notes})")
    d_tab = d.assign(kind=d["series"], event_date=d["date"],
                     model=d["model"].map(lambda m: model_names.get(m, m)))
    ev_tab = ev.assign(figure=ev["event"], unit="–", model="–", kind=t("Policy change"),
                       source="events_287g", event_date=ev["date"])
    table = (pd.concat([d_tab, ev_tab], ignore_index=True)
             .sort_values(["event_date", "kind"], kind="stable")
             [["when", "kind", "figure", "unit", "model", "source"]]
             .rename(columns={"when": t("Date"), "kind": t("Kind"),
                              "figure": t("Figure as stated, or policy change"),
                              "unit": t("Counts"), "model": t("Model"),
                              "source": t("Source key")}))
    return wrap_subtitle(finish(
        chart,
        title=t("287(g) participation, {start}–{end} (data to {date})").format(
            start=first["date"].year, end=last["date"].year, date=data_to),
        subtitle=t("Reported figures and ICE lists. ICE-list counts stop at {date}; later "
                   "points are reported figures. Pick a model and a period; tick the box to "
                   "show policy changes. The data table lists every figure as stated.").format(
            date=when(snap.iloc[-1]["date"], "day", lang)),
        description=t(
            "Scatter-and-line chart of dated counts of 287(g) agreements or participating "
            "agencies from {first_when} ({first_count}) to {latest_when} ({latest_figure} "
            "agreements); the latest figure of any kind dates from {data_to}. Figures reported "
            "by GAO, CRS, DHS and the press before 2025 stay at or below {pre_max}; counts "
            "from ICE's own lists rise from {snap_first:,} agreements on {snap_first_when} to "
            "{snap_last:,} on {snap_last_when}; later points are figures reported by DHS, the "
            "press and trackers, some counting agencies rather than agreements and some stated "
            "as approximate or as lower bounds (the data table gives each figure as stated). "
            "A grey series shows The Washington Post's count of sheriffs' offices by year, "
            "2005–2019. Dashed vertical lines mark policy changes such as the 2009 standard "
            "agreement, the 2012 end of task-force agreements, the 2019 warrant service model, "
            "the January 2025 executive order and state laws of 2024–2026. A menu shows one "
            "model's counts (ICE-list counts, and a few reported figures of 2026 that count "
            "agencies, are broken down by model); another shows the years before 2025 or "
            "2025–2026 on their own scale.").format(
            first_when=when(first["date"], "month", lang), first_count=int(first["count"]),
            latest_when=when(latest["date"], latest["date_precision"], lang),
            latest_figure=latest_fig, data_to=data_to, pre_max=pre_max,
            snap_first=int(snap.iloc[0]["count"]),
            snap_first_when=when(snap.iloc[0]["date"], "day", lang),
            snap_last=int(snap.iloc[-1]["count"]),
            snap_last_when=when(snap.iloc[-1]["date"], "day", lang)),
        datasets=["agreements_over_time", "wapo_287g_sheriffs", "events_287g"],
        table=table,
        table_caption=t("Every dated figure in the chart, as its source stated it, and every "
                        "policy change marked on it, in date order."),
        live=live, live_name="ch2_live",
        # On a phone the legend starts under the y axis, not under the plot, so that its
        # longest label does not squeeze the plot.
        narrow={"height": 300, "layer": [{}, {}, {"encoding": {"color": {"legend": legend}}},
                                         {"encoding": {"color": {"legend": legend},
                                                       "shape": {"legend": legend}}}]},
        lang=lang),
        CH2_WIDTH)


def _vega_text(template: str, **exprs: str) -> str:
    """A translated sentence whose ``{placeholders}`` are Vega expressions, as one Vega
    expression: ``_vega_text("{n} shown.", n="counts[p]")`` is ``counts[p] + ' shown.'``."""
    return vega_message(template, exprs)


def _stated(count: int, qualifier: str, lang: str | None = None) -> str:
    """A count as its source states it: '1,202', 'about 900', 'more than 1,500' (in Spanish
    '1,202', 'aproximadamente 900', 'más de 1,500'). ``lang``: the language of the words,
    "en" or "es"; the current language by default."""
    t = translator(lang)
    if qualifier == "approximate":
        return t("about {count:,}").format(count=count)
    if qualifier == "lower bound":
        return t("more than {count:,}").format(count=count)
    return f"{count:,}"


def _wide_state_counts(by_state: pd.DataFrame) -> pd.DataFrame:
    from ..states import BY_ABBR

    wide = by_state.pivot_table(index="state", columns="model", values="agreements",
                                aggfunc="sum", fill_value=0)
    for m in MODELS_287G:
        if m not in wide.columns:
            wide[m] = 0
    wide = wide[MODELS_287G].astype(int)
    wide["all"] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["fips"] = wide["state"].map(lambda s: BY_ABBR[s][2] if s in BY_ABBR else None)
    wide["name"] = wide["state"].map(lambda s: BY_ABBR[s][1] if s in BY_ABBR else s)
    wide = wide.rename(columns={"Jail Enforcement Model": "jem", "Task Force Model": "tfm",
                                "Warrant Service Officer": "wso"})
    return wide


AGENCY_TYPES = ["County", "Municipality", "State Agency"]


def _map_state_options(wide: pd.DataFrame,
                       lang: str | None = None) -> tuple[list[str], list[str]]:
    """The state menu: every state and territory by name (those on ICE's list but unknown
    to ``trustlab.states`` at the end), after "All states"; names in ``lang``."""
    from ..states import STATES

    t = translator(lang)
    known = sorted(STATES, key=lambda s: t(s[1]))
    extra = sorted(set(wide["state"]) - {a for a, _, _ in STATES})
    return (["all", *[a for a, _, _ in known], *extra],
            [t("All states"), *[t(n) for _, n, _ in known], *extra])


def agreements_map(by_state: pd.DataFrame | None = None,
                   agreements: pd.DataFrame | None = None, *,
                   lang: str | None = None) -> alt.VConcatChart:
    """Map of agreements by state at the latest ICE snapshot (model menu), linked to a bar
    chart of agreements by agency type and model: a state menu picks the state whose agencies
    the bars count (and highlights it on the map).

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    t = translator(lang)
    by_state = data.load("agreements_by_state") if by_state is None else by_state
    agreements = data.load("agreements_287g") if agreements is None else agreements
    as_of = by_state["as_of"].max()
    by_state = by_state[by_state["as_of"] == as_of]
    agreements = agreements[agreements["as_of"] == agreements["as_of"].max()]
    wide = _wide_state_counts(by_state)
    wide = wide.assign(name=wide["name"].map(t))
    bars = (agreements.assign(agency_type=agreements["agency_type"].fillna(OTHER_TYPE))
            .groupby(["state", "agency_type", "model"], observed=True)
            .agg(agreements=("agency", "size"), agencies=("agency", "nunique"))
            .reset_index())
    bars["agreements"] = bars["agreements"].astype(int)
    bars["agencies"] = bars["agencies"].astype(int)
    # The bars show the types of agency and the models in the chart's language (no menu
    # filters on them); the table and the live line start from the English ``bars``.
    bars_shown = bars.assign(agency_type=bars["agency_type"].map(t), model=bars["model"].map(t))
    models_shown = [t(m) for m in MODELS_287G]
    options, names = _map_state_options(wide, lang)

    model = alt.param(name="ch2_map_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=[t("All models"), *models_shown],
                                              name=t("Model on the map") + " "))
    pick = alt.param(name="ch2_state", value="all",
                     bind=alt.binding_select(options=options, labels=names,
                                             name=t("State for the bar chart") + " "))
    picked = "ch2_state == 'all' || datum.state == ch2_state"
    geo = (alt.Chart(_states_data(lang))
           .transform_lookup(lookup="id",
                             from_=alt.LookupData(wide, "fips",
                                                  ["state", "name", "all", "jem", "tfm", "wso"]))
           .transform_calculate(
               state="datum.state || ''",
               value=("ch2_map_model == 'all' ? datum.all : ch2_map_model == "
                      "'Jail Enforcement Model' ? datum.jem : ch2_map_model == "
                      "'Task Force Model' ? datum.tfm : datum.wso"),
               value0="isValid(datum.value) ? datum.value : 0")
           .mark_geoshape(stroke=MAP_STROKE)
           .encode(
               color=alt.condition("datum.value0 > 0",
                                   alt.Color("value0:Q", title=t("Agreements"),
                                             scale=alt.Scale(type="sqrt", scheme="blues")),
                                   alt.value(NO_DATA_FILL)),
               # The picked state stays opaque with a thick outline; the others fade.
               opacity=alt.condition(picked, alt.value(1), alt.value(0.35)),
               strokeWidth=alt.condition("ch2_state != 'all' && datum.state == ch2_state",
                                         alt.value(2.5), alt.value(0.5)),
               tooltip=[alt.Tooltip("properties.name:N", title=t("State")),
                        alt.Tooltip("value0:Q", title=t("Agreements (model shown)")),
                        alt.Tooltip("all:Q", title=t("All models")),
                        alt.Tooltip("jem:Q", title=t("Jail enforcement")),
                        alt.Tooltip("tfm:Q", title=t("Task force")),
                        alt.Tooltip("wso:Q", title=t("Warrant service officer"))])
           .add_params(model, pick)
           .project(type="albersUsa")
           .properties(width=CH2_WIDTH, height=350))
    bar = (alt.Chart(bars_shown)
           .transform_filter(picked)
           .mark_bar()
           .encode(
               y=alt.Y("agency_type:N", title=t("Type of agency"), sort="-x"),
               x=alt.X("sum(agreements):Q",
                       title=t("Agreements (state picked, or all states)")),
               color=alt.Color("model:N", title=t("Model"), sort=models_shown,
                               scale=alt.Scale(domain=models_shown,
                                               range=[MODEL_COLORS[m] for m in MODELS_287G])),
               tooltip=[alt.Tooltip("agency_type:N", title=t("Type")),
                        alt.Tooltip("model:N", title=t("Model")),
                        alt.Tooltip("sum(agreements):Q", title=t("Agreements")),
                        alt.Tooltip("sum(agencies):Q", title=t("Agencies"))])
           .properties(width=CH2_WIDTH - 110, height=130))
    chart = alt.vconcat(geo, bar).resolve_scale(color="independent")
    tot = int(wide["all"].sum())
    top = wide.sort_values("all", ascending=False).head(2)
    nstates = int((wide["all"] > 0).sum())
    listed = when(as_of, "day", lang)
    return wrap_subtitle(finish(
        chart,
        title=t("287(g) agreements by state, ICE list of {date}").format(date=listed),
        subtitle=t("Data: ICE's workbook of {date}, the latest the course could read (later "
                   "editions were not available offline). Pick a model for the map and a "
                   "state for the bar chart of its agencies; the data table lists every "
                   "state.").format(date=listed),
        description=t(
            "Map of the United States shaded by the number of 287(g) agreements in each "
            "state on ICE's list of {date}: {total:,} agreements in {states} states or "
            "territories. {first} has the most ({first_count:,}), then {second} "
            "({second_count:,}). States without agreements are light grey. A menu shows one "
            "model at a time. Below the map, a bar chart counts agreements by type of agency "
            "(county, municipality, state agency) and model, for all states or for the state "
            "picked in a second menu, which also outlines that state on the map.").format(
            date=listed, total=tot, states=nstates, first=top.iloc[0]["name"],
            first_count=int(top.iloc[0]["all"]), second=top.iloc[1]["name"],
            second_count=int(top.iloc[1]["all"])),
        datasets=["agreements_by_state", "agreements_287g", "us_states_geometry"],
        table=_map_table(wide, bars, agreements, lang),
        table_caption=t("Agreements on ICE's list of {date} by state, type of agency and "
                        "model; distinct agencies in the last column. States not listed have "
                        "no agreements.").format(date=listed),
        live=_map_live(wide, bars, options, names, as_of, lang), live_name="ch2_map_live",
        # On a phone the bar chart's labels go to its right: on the left they would push
        # the map (which shares the column's left edge) off its share of the width.
        narrow={"vconcat": [{"height": 200},
                            {"height": 110, "width": 300,
                             "encoding": {"y": {"axis": {"orient": "right", "title": None}},
                                          "x": {"title": t("Agreements")}}}]},
        lang=lang),
        CH2_WIDTH)


def _map_table(wide: pd.DataFrame, bars: pd.DataFrame, agreements: pd.DataFrame,
               lang: str | None = None) -> pd.DataFrame:
    """One row per state and type of agency (and a total row per state), with agreements by
    model and distinct agencies: everything the map's and the bars' tooltips show. ``wide``
    holds the state names in ``lang``; ``bars`` and ``agreements`` the English types."""
    t = translator(lang)
    names = dict(zip(wide["state"], wide["name"], strict=True))
    all_states, all_types = t("All states"), t("All types")

    def with_totals(df: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(state=df["state"].map(lambda s: names.get(s, s)),
                       agency_type=df["agency_type"].fillna(OTHER_TYPE).map(t))
        parts = [df, df.assign(state=all_states)]
        return pd.concat(parts + [p.assign(agency_type=all_types) for p in parts],
                         ignore_index=True)

    b = with_totals(bars)
    # Agencies are told apart by state and name (two states can have a "Polk County").
    a = agreements[["state", "agency_type", "agency"]]
    a = with_totals(a.assign(agency=a["state"] + "|" + a["agency"]))
    tab = b.pivot_table(index=["state", "agency_type"], columns="model", values="agreements",
                        aggfunc="sum", fill_value=0)
    for m in MODELS_287G:
        if m not in tab.columns:
            tab[m] = 0
    tab = tab[MODELS_287G].astype(int)
    tab["All models"] = tab.sum(axis=1)
    # An agency may hold two or three models: count it once per row.
    tab["Agencies"] = a.drop_duplicates().groupby(["state", "agency_type"])["agency"].size()
    tab = tab.reset_index()
    tab["first"] = tab["state"] != all_states
    tab["last"] = tab["agency_type"] == all_types
    tab = tab.sort_values(["first", "state", "last", "agency_type"])
    tab = tab[["state", "agency_type", "All models", *MODELS_287G, "Agencies"]]
    for c in ["All models", *MODELS_287G, "Agencies"]:
        tab[c] = tab[c].map("{:,}".format)
    return tab.rename(columns={"state": t("State"), "agency_type": t("Type of agency"),
                               "All models": t("All models"),
                               **{m: t(m) for m in MODELS_287G},
                               "Agencies": t("Distinct agencies")})


def _map_live(wide: pd.DataFrame, bars: pd.DataFrame, options: list[str], names: list[str],
              as_of: pd.Timestamp, lang: str | None = None) -> str:
    """The map's live line: the model shown and the picked state's count under it, then what
    the bars show for that state (agreements of all models by type of agency). ``names``
    are the state menu's labels, in ``lang``."""
    t = translator(lang)
    cols = {"all": "all", "Jail Enforcement Model": "jem", "Task Force Model": "tfm",
            "Warrant Service Officer": "wso"}
    counts = wide.set_index("state")[list(cols.values())].astype(int)
    counts.loc["all"] = counts.sum()
    types = bars.pivot_table(index="state", columns="agency_type", values="agreements",
                             aggfunc="sum", fill_value=0)
    types.loc["all"] = types.sum()
    per_model, per_type = {}, {}
    for code in options:
        per_model[code] = ([int(counts.loc[code, c]) for c in cols.values()]
                           if code in counts.index else [0, 0, 0, 0])
        row = types.loc[code] if code in types.index else pd.Series(dtype=int)
        parts = [f"{t(kind).lower()} {int(row[kind]):,}" for kind in row.index
                 if int(row[kind]) > 0]
        per_type[code] = ", ".join(parts) or t("none")
    idx = {m: i for i, m in enumerate(cols)}
    label = {"all": t("all models"),
             "Jail Enforcement Model": t("the Jail Enforcement Model"),
             "Task Force Model": t("the Task Force Model"),
             "Warrant Service Officer": t("the Warrant Service Officer")}
    name = dict(zip(options, names, strict=True))
    n = f"{vega_literal(per_model)}[ch2_state][{vega_literal(idx)}[ch2_map_model]]"
    # One message for the whole line, written as a Vega expression: the verb agrees with
    # "All states" or with one state, in each language's own way.
    return t("'Map: agreements under ' + {model} + '; ' + {state} + (ch2_state == 'all' ? "
             "' hold ' : ' holds ') + format({n}, ',') + ' of them. Bars: ' + {state} + ', "
             "agreements of all models by type of agency: ' + {types} + '.'").format(
        model=f"{vega_literal(label)}[ch2_map_model]",
        state=f"{vega_literal(name)}[ch2_state]", n=n,
        types=f"{vega_literal(per_type)}[ch2_state]")


def state_laws_map(laws: pd.DataFrame | None = None, *,
                   lang: str | None = None) -> alt.Chart:
    """Map of state rules on 287(g): required, banned, restricted or no statewide rule in the
    table; a menu highlights one kind of rule, and the data table gives each state's law.

    ``lang``: the language of the chart's text, "en" or "es"; the current language by
    default."""
    from ..states import STATES

    t = translator(lang)
    laws = data.load("state_laws") if laws is None else laws
    allst = pd.DataFrame([{"state": a, "name": t(n), "fips": f} for a, n, f in STATES])
    m = allst.merge(laws[["state", "law", "status", "effective", "date_precision",
                          "confidence"]], on="state", how="left")
    m["status"] = m["status"].fillna("none")
    m["law"] = m["law"].fillna(t("No statewide rule in this table"))
    m["effective"] = [when(ts, p, lang) if pd.notna(ts) else ""
                      for ts, p in zip(m["effective"], m["date_precision"], strict=True)]
    m["confidence"] = m["confidence"].fillna("").map(t)
    # The menu's values and the map's filter use the English labels; the legend, tooltip,
    # table and live line show them in the chart's language.
    labels = {"require": N_("Requires 287(g)"), "ban": N_("Bans 287(g)"),
              "restrict": N_("Restricts cooperation"), "none": N_("No statewide rule listed")}
    m["label"] = m["status"].map(labels)
    order = list(labels.values())
    shown = [t(label) for label in order]
    fields = ["name", "label", "law", "effective", "confidence"]
    rule = "label"
    if i18n.resolve(lang) != "en":
        m["rule"] = m["label"].map(t)
        fields, rule = [*fields, "rule"], "rule"
    pick = alt.param(name="ch2_law", value="all",
                     bind=alt.binding_select(options=["all", *order],
                                             labels=[t("All rules"), *shown],
                                             name=t("Highlight") + " "))
    chart = (alt.Chart(_states_data(lang))
             .transform_lookup(lookup="id", from_=alt.LookupData(m, "fips", fields))
             .transform_filter("isValid(datum.label)")
             .mark_geoshape(stroke=MAP_STROKE, strokeWidth=0.5)
             .encode(color=alt.Color(f"{rule}:N", title=t("Statewide rule"), sort=shown,
                                     scale=alt.Scale(domain=shown, range=LAW_COLORS)),
                     opacity=alt.condition("ch2_law == 'all' || datum.label == ch2_law",
                                           alt.value(1), alt.value(0.25)),
                     tooltip=[alt.Tooltip("name:N", title=t("State")),
                              alt.Tooltip(f"{rule}:N", title=t("Rule")),
                              alt.Tooltip("law:N", title=t("Law")),
                              alt.Tooltip("effective:N", title=t("Effective")),
                              alt.Tooltip("confidence:N", title=t("Confidence"))])
             .add_params(pick)
             .project(type="albersUsa")
             .properties(width=CH2_WIDTH, height=350))
    n = laws["status"].value_counts()
    newest = laws.sort_values("effective").iloc[-1]
    latest_law = when(newest["effective"], newest["date_precision"], lang)
    req = ", ".join(m.loc[m["status"] == "require", "name"])
    ban = ", ".join(m.loc[m["status"] == "ban", "name"])
    res = ", ".join(m.loc[m["status"] == "restrict", "name"])
    counts = {"require": int(n.get("require", 0)), "ban": int(n.get("ban", 0)),
              "restrict": int(n.get("restrict", 0))}
    live = {"all": t("All rules: {require} states require 287(g) agreements, {ban} ban them, "
                     "{restrict} restrict cooperation; the other {none} states and territories "
                     "have no statewide rule in this table.").format(
        **counts, none=int((m["status"] == "none").sum()))}
    for status, label in labels.items():
        names = m.loc[m["status"] == status, "name"].tolist()
        live[label] = (t("{label}: {n} states highlighted ({names}).").format(
                           label=t(label), n=len(names), names=", ".join(names))
                       if status != "none" else
                       t("{label}: {n} states and territories highlighted; the table lists no "
                         "statewide rule for them, which does not mean they have none.").format(
                           label=t(label), n=len(names)))
    table = m.assign(order=m["status"].map({s: i for i, s in enumerate(labels)}),
                     label=m["label"].map(t))
    table = (table.sort_values(["order", "name"])
             [["name", "label", "law", "effective", "confidence"]]
             .replace({"effective": {"": "–"}, "confidence": {"": "–"}})
             .rename(columns={"name": t("State"), "label": t("Rule"), "law": t("Law"),
                              "effective": t("Effective"), "confidence": t("Confidence")}))
    return wrap_subtitle(finish(
        chart,
        title=t("State rules on 287(g) agreements (laws effective to {date})").format(
            date=latest_law),
        subtitle=t("Pick a kind of rule in the menu to highlight it; the data table gives each "
                   "state's law. Dates are effective dates or compliance deadlines."),
        description=t(
            "Map of the United States colouring each state by its statewide rule on 287(g) "
            "in the course's table. {require} states require agreements ({require_names}); "
            "{ban} ban them ({ban_names}); {restrict} restrict cooperation without a ban read "
            "in the text ({restrict_names}). All other states are grey: the table lists no "
            "statewide rule for them, which does not mean they have none.").format(
            **counts, require_names=req, ban_names=ban, restrict_names=res),
        datasets=["state_laws", "us_states_geometry"],
        table=table,
        table_caption=t("Each state's rule on 287(g) in the course's table, grouped by rule."),
        live=f"{vega_literal(live)}[ch2_law]", live_name="ch2_law_live",
        narrow={"height": 200}, lang=lang), CH2_WIDTH)
