"""Chapter 2 (the 287(g) program) charts: agreements over time, maps."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data
from .base import MUTED_TEXT, PALETTE, finish, when, wrap_subtitle

# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


CH2_WIDTH = 520  # chapter 2 charts leave room for axis labels and legends in the book column
RULE_GREY = "#767676"  # dashed policy-change lines: 4.5:1 on white (marks need 3:1)
MAP_STROKE = "#767676"  # state outlines: light fills (no agreements, no rule) keep a 3:1 edge
NO_DATA_FILL = "#eeeeee"  # states without agreements or without a listed rule (outlined)
# State rules: require, ban, restrict (3:1 or more on white), none (light, outlined).
LAW_COLORS = [PALETTE[1], PALETTE[3], PALETTE[5], NO_DATA_FILL]


MODELS_287G = ["Jail Enforcement Model", "Task Force Model", "Warrant Service Officer"]
MODEL_COLORS = {"Jail Enforcement Model": PALETTE[0], "Task Force Model": PALETTE[1],
                "Warrant Service Officer": PALETTE[2]}


def us_states_topojson() -> dict:
    """The state geometry (TopoJSON) shipped in ``datasets/geo``, read once per call.

    Charts inline it (about 110 KB per map) because ``alt.topo_feature`` needs a URL, and the
    book and JupyterLab must draw maps offline."""
    import json

    return json.loads(data.path("us_states_geometry").read_text(encoding="utf-8"))


def _states_data() -> alt.InlineData:
    # The geometry goes in as JSON text, which Vega parses by the format: as a dict, Altair
    # checked, copied and serialised its tens of thousands of coordinates one object at a
    # time, about 1 s for the two maps of chapter 2. InlineData (not alt.Data) is moved to
    # the spec's "datasets", so a chart that layers the map holds it once.
    text = data.path("us_states_geometry").read_text(encoding="utf-8")
    return alt.InlineData(values=text, format=alt.DataFormat(type="topojson", feature="states"))


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


def _counted(figure: str, unit: str) -> str:
    """'1 agreement', 'more than 1,500 agreements'."""
    return f"{figure} {unit[:-1] if figure == '1' and unit.endswith('s') else unit}"


def _timeline_summaries(d: pd.DataFrame, ev: pd.DataFrame) -> tuple[dict, dict]:
    """The live line's wording: what each model-and-period view shows (keyed
    'model|period'), and how many policy changes each period marks."""
    views = {}
    for model in ["all", *MODELS_287G]:
        for period, (span, _, _) in PERIODS.items():
            part = d[(d["model"] == model) & _in_period(d["date"], period)]
            name = "All models" if model == "all" else model
            if part.empty:
                views[f"{model}|{period}"] = f"{name}, {span}: no dated figures in this period."
                continue
            part = part.sort_values(["date", "count"])
            top, first, last = part.loc[part["count"].idxmax()], part.iloc[0], part.iloc[-1]
            text = (f"{name}, {span}: {len(part)} dated figures, from "
                    f"{_counted(first['figure'], first['unit'])} ({first['when']}) to "
                    f"{_counted(last['figure'], last['unit'])} ({last['when']})")
            if top["count"] != last["count"]:
                text += (f"; the highest is {_counted(top['figure'], top['unit'])} "
                         f"({top['when']})")
            views[f"{model}|{period}"] = text + "."
    notes = {p: int(_in_period(ev["date"], p).sum()) for p in PERIODS}
    return views, notes


def agreements_timeline(df: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                        wapo: pd.DataFrame | None = None) -> alt.LayerChart:
    """Dated 287(g) counts, 2002 onward: reported figures and ICE snapshots, with menus for
    the model and the period (the 2025 growth dwarfs the earlier counts) and a checkbox for
    policy annotations. The data table lists every figure as stated and every policy change."""
    df = data.load("agreements_over_time") if df is None else df
    events = data.load("events_287g") if events is None else events
    wapo = data.load("wapo_287g_sheriffs") if wapo is None else wapo
    qual = df["qualifier"] if "qualifier" in df.columns else pd.Series("exact", index=df.index)
    df = df.assign(qualifier=qual.fillna("exact"))
    d = df.loc[df["unit"] != "states",
               ["date", "date_precision", "count", "qualifier", "unit", "model", "kind", "as_of",
                "source"]].copy()
    d["figure"] = [_stated(int(c), q) for c, q in zip(d["count"], d["qualifier"], strict=True)]
    d["when"] = [when(ts, p) for ts, p in zip(d["date"], d["date_precision"], strict=True)]
    d = d.drop(columns=["date_precision"])
    d["series"] = d["kind"].map({"snapshot": "ICE list count",
                                 "reported": "Reported"}) + " · " + d["unit"]
    w = pd.DataFrame({"date": pd.to_datetime(wapo["year"].astype(str) + "-07-01"),
                      "count": wapo["agencies_flagged"].astype(int), "unit": "sheriffs' offices",
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
    ev["when"] = [f"{ts.day} {ts:%B %Y}" for ts in ev["date"]]
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    # Label only events more than a few months apart; the crowded 2025 ones keep a tooltip.
    ev["label"] = ev["date"] < "2025-01-01"
    ev.loc[ev["event"].str.startswith("Executive Order 14159"), "label"] = True
    ev = ev[["date", "when", "event", "category", "label"]]

    model = alt.param(name="ch2_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model "))
    period = alt.param(name="ch2_period", value="all",
                       bind=alt.binding_select(options=list(PERIODS), labels=PERIOD_LABELS,
                                               name="Period "))
    notes = alt.param(name="ch2_notes", value=True,
                      bind=alt.binding_checkbox(name="Show policy changes "))
    x = alt.X("date:T", title="Date", axis=alt.Axis(format="%Y"))
    base = (alt.Chart(d).transform_filter("datum.model == ch2_model")
            .transform_filter(_period_filter("ch2_period")))
    series_order = ["Reported · agencies", "Reported · agreements",
                    "ICE list count · agreements", "ICE list count · agencies",
                    "Washington Post · sheriffs' offices"]
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
    tooltip = [alt.Tooltip("when:N", title="Date"),
               alt.Tooltip("figure:N", title="Figure as stated"),
               alt.Tooltip("unit:N", title="Counts"), alt.Tooltip("model:N", title="Model"),
               alt.Tooltip("series:N", title="Kind"), alt.Tooltip("source:N", title="Source key")]
    lines = base.transform_filter("datum.kind != 'reported'").mark_line(
        strokeWidth=1.5, opacity=0.6).encode(
        x=x, y=alt.Y("count:Q", title="Agreements or agencies"), color=color, detail="series:N")
    points = base.mark_point(filled=True, size=55).encode(
        x=x, y="count:Q", color=color, shape=shape, tooltip=tooltip)
    evbase = (alt.Chart(ev).transform_filter("ch2_notes")
              .transform_filter(_period_filter("ch2_period")))
    rules = evbase.mark_rule(color=RULE_GREY, strokeDash=[3, 3]).encode(
        x="date:T", tooltip=[alt.Tooltip("when:N", title="Date"),
                             alt.Tooltip("event:N", title="Event")])
    labels = evbase.transform_filter("datum.label").mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=9,
        color=MUTED_TEXT).encode(x="date:T", y=alt.value(0), text="event:N")
    chart = alt.layer(rules, labels, lines, points).add_params(model, period, notes).properties(
        width=CH2_WIDTH, height=340)
    latest = df[(df["model"] == "all") & (df["unit"] == "agreements")].sort_values(
        "date").iloc[-1]
    first = df.sort_values("date").iloc[0]
    last = df.sort_values("date").iloc[-1]
    data_to = when(last["date"], last["date_precision"])
    latest_fig = _stated(int(latest["count"]), latest["qualifier"])
    snap = df[(df["kind"] == "snapshot") & (df["model"] == "all")
              & (df["unit"] == "agreements")].sort_values("date")
    pre_max = int(df.loc[df["date"] < "2025-01-01", "count"].max())

    legend = {"orient": "none", "legendX": -50, "legendY": {"expr": "height + 40"},
              "columns": 1}
    views, nnotes = _timeline_summaries(d, ev)
    live = (f"{_vega_literal(views)}[ch2_model + '|' + ch2_period] + ' ' + (ch2_notes ? "
            f"{_vega_literal(nnotes)}[ch2_period] + ' policy changes shown as dashed lines.' : "
            "'Policy changes hidden.')")
    d_tab = d.assign(kind=d["series"], event_date=d["date"],
                     model=d["model"].replace({"all": "All models"}))
    ev_tab = ev.assign(figure=ev["event"], unit="–", model="–", kind="Policy change",
                       source="events_287g", event_date=ev["date"])
    table = (pd.concat([d_tab, ev_tab], ignore_index=True)
             .sort_values(["event_date", "kind"], kind="stable")
             [["when", "kind", "figure", "unit", "model", "source"]]
             .rename(columns={"when": "Date", "kind": "Kind",
                              "figure": "Figure as stated, or policy change",
                              "unit": "Counts", "model": "Model", "source": "Source key"}))
    return wrap_subtitle(finish(
        chart,
        title=(f"287(g) participation, {first['date'].year}–{last['date'].year} "
               f"(data to {data_to})"),
        subtitle=(f"Reported figures and ICE lists. ICE-list counts stop at "
                  f"{snap.iloc[-1]['date']:%d %B %Y}; later points are reported figures. Pick a "
                  "model and a period; tick the box to show policy changes. The data table "
                  "lists every figure as stated."),
        description=(
            f"Scatter-and-line chart of dated counts of 287(g) agreements or participating "
            f"agencies from {first['date']:%B %Y} ({int(first['count'])}) to "
            f"{when(latest['date'], latest['date_precision'])} ({latest_fig} agreements); "
            f"the latest figure of any kind dates from {data_to}. Figures reported by "
            f"GAO, CRS, DHS and the press before 2025 stay at or below {pre_max}; counts "
            f"from ICE's own lists rise from {int(snap.iloc[0]['count']):,} agreements on "
            f"{snap.iloc[0]['date']:%d %B %Y} to {int(snap.iloc[-1]['count']):,} on "
            f"{snap.iloc[-1]['date']:%d %B %Y}; later points are figures reported by DHS, the "
            "press and trackers, some counting agencies rather than agreements and some stated "
            "as approximate or as lower bounds (the data table gives each figure as stated). "
            "A grey series shows The Washington Post's count "
            "of sheriffs' "
            "offices by year, 2005–2019. Dashed vertical lines mark policy changes such as the "
            "2009 standard agreement, the 2012 end of task-force agreements, the 2019 warrant "
            "service model, the January 2025 executive order and state laws of 2024–2026. A "
            "menu shows one model's counts (ICE-list counts, and a few reported figures of "
            "2026 that count agencies, are broken down by model); another shows the years "
            "before 2025 or 2025–2026 on their own scale."),
        datasets=["agreements_over_time", "wapo_287g_sheriffs", "events_287g"],
        table=table,
        table_caption="Every dated figure in the chart, as its source stated it, and every "
                      "policy change marked on it, in date order.",
        live=live, live_name="ch2_live",
        # On a phone the legend starts under the y axis, not under the plot, so that its
        # longest label does not squeeze the plot.
        narrow={"height": 300, "layer": [{}, {}, {"encoding": {"color": {"legend": legend}}},
                                         {"encoding": {"color": {"legend": legend},
                                                       "shape": {"legend": legend}}}]}),
        CH2_WIDTH)


def _vega_literal(obj) -> str:
    """A Python dict, list, string or number written as a Vega expression literal."""
    import json

    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _stated(count: int, qualifier: str) -> str:
    """A count as its source states it: '1,202', 'about 900', 'more than 1,500'."""
    prefix = {"approximate": "about ", "lower bound": "more than "}.get(qualifier, "")
    return f"{prefix}{count:,}"


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


def _map_state_options(wide: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The state menu: every state and territory by name (those on ICE's list but unknown
    to ``trustlab.states`` at the end), after "All states"."""
    from ..states import STATES

    known = sorted(STATES, key=lambda s: s[1])
    extra = sorted(set(wide["state"]) - {a for a, _, _ in STATES})
    return (["all", *[a for a, _, _ in known], *extra],
            ["All states", *[n for _, n, _ in known], *extra])


def agreements_map(by_state: pd.DataFrame | None = None,
                   agreements: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Map of agreements by state at the latest ICE snapshot (model menu), linked to a bar
    chart of agreements by agency type and model: a state menu picks the state whose agencies
    the bars count (and highlights it on the map)."""
    by_state = data.load("agreements_by_state") if by_state is None else by_state
    agreements = data.load("agreements_287g") if agreements is None else agreements
    as_of = by_state["as_of"].max()
    by_state = by_state[by_state["as_of"] == as_of]
    agreements = agreements[agreements["as_of"] == agreements["as_of"].max()]
    wide = _wide_state_counts(by_state)
    bars = (agreements.assign(agency_type=agreements["agency_type"].fillna("Other"))
            .groupby(["state", "agency_type", "model"], observed=True)
            .agg(agreements=("agency", "size"), agencies=("agency", "nunique"))
            .reset_index())
    bars["agreements"] = bars["agreements"].astype(int)
    bars["agencies"] = bars["agencies"].astype(int)
    options, names = _map_state_options(wide)

    model = alt.param(name="ch2_map_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model on the map "))
    pick = alt.param(name="ch2_state", value="all",
                     bind=alt.binding_select(options=options, labels=names,
                                             name="State for the bar chart "))
    picked = "ch2_state == 'all' || datum.state == ch2_state"
    geo = (alt.Chart(_states_data())
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
                                   alt.Color("value0:Q", title="Agreements",
                                             scale=alt.Scale(type="sqrt", scheme="blues")),
                                   alt.value(NO_DATA_FILL)),
               # The picked state stays opaque with a thick outline; the others fade.
               opacity=alt.condition(picked, alt.value(1), alt.value(0.35)),
               strokeWidth=alt.condition("ch2_state != 'all' && datum.state == ch2_state",
                                         alt.value(2.5), alt.value(0.5)),
               tooltip=[alt.Tooltip("properties.name:N", title="State"),
                        alt.Tooltip("value0:Q", title="Agreements (model shown)"),
                        alt.Tooltip("all:Q", title="All models"),
                        alt.Tooltip("jem:Q", title="Jail enforcement"),
                        alt.Tooltip("tfm:Q", title="Task force"),
                        alt.Tooltip("wso:Q", title="Warrant service officer")])
           .add_params(model, pick)
           .project(type="albersUsa")
           .properties(width=CH2_WIDTH, height=350))
    bar = (alt.Chart(bars)
           .transform_filter(picked)
           .mark_bar()
           .encode(
               y=alt.Y("agency_type:N", title="Type of agency", sort="-x"),
               x=alt.X("sum(agreements):Q", title="Agreements (state picked, or all states)"),
               color=alt.Color("model:N", title="Model", sort=MODELS_287G,
                               scale=alt.Scale(domain=MODELS_287G,
                                               range=[MODEL_COLORS[m] for m in MODELS_287G])),
               tooltip=[alt.Tooltip("agency_type:N", title="Type"),
                        alt.Tooltip("model:N", title="Model"),
                        alt.Tooltip("sum(agreements):Q", title="Agreements"),
                        alt.Tooltip("sum(agencies):Q", title="Agencies")])
           .properties(width=CH2_WIDTH - 110, height=130))
    chart = alt.vconcat(geo, bar).resolve_scale(color="independent")
    tot = int(wide["all"].sum())
    top = wide.sort_values("all", ascending=False).head(2)
    nstates = int((wide["all"] > 0).sum())
    return wrap_subtitle(finish(
        chart,
        title=f"287(g) agreements by state, ICE list of {as_of:%d %B %Y}",
        subtitle=(f"Data: ICE's workbook of {as_of:%d %B %Y}, the latest the course could read "
                  "(later editions were not available offline). Pick a model for the map and a "
                  "state for the bar chart of its agencies; the data table lists every state."),
        description=(
            f"Map of the United States shaded by the number of 287(g) agreements in each "
            f"state on ICE's list of {as_of:%d %B %Y}: {tot:,} agreements in {nstates} states "
            f"or territories. {top.iloc[0]['name']} has the most ({int(top.iloc[0]['all']):,}), "
            f"then {top.iloc[1]['name']} ({int(top.iloc[1]['all']):,}). States without "
            "agreements are light grey. A menu shows one model at a time. Below the map, a "
            "bar chart counts agreements by type of agency (county, municipality, state "
            "agency) and model, for all states or for the state picked in a second menu, "
            "which also outlines that state on the map."),
        datasets=["agreements_by_state", "agreements_287g", "us_states_geometry"],
        table=_map_table(wide, bars, agreements),
        table_caption=(f"Agreements on ICE's list of {as_of:%d %B %Y} by state, type of agency "
                       "and model; distinct agencies in the last column. States not listed have "
                       "no agreements."),
        live=_map_live(wide, bars, options, names, as_of), live_name="ch2_map_live",
        # On a phone the bar chart's labels go to its right: on the left they would push
        # the map (which shares the column's left edge) off its share of the width.
        narrow={"vconcat": [{"height": 200},
                            {"height": 110, "width": 300,
                             "encoding": {"y": {"axis": {"orient": "right", "title": None}},
                                          "x": {"title": "Agreements"}}}]}),
        CH2_WIDTH)


def _map_table(wide: pd.DataFrame, bars: pd.DataFrame,
               agreements: pd.DataFrame) -> pd.DataFrame:
    """One row per state and type of agency (and a total row per state), with agreements by
    model and distinct agencies: everything the map's and the bars' tooltips show."""
    names = dict(zip(wide["state"], wide["name"], strict=True))

    def with_totals(df: pd.DataFrame) -> pd.DataFrame:
        df = df.assign(state=df["state"].map(lambda s: names.get(s, s)),
                       agency_type=df["agency_type"].fillna("Other"))
        parts = [df, df.assign(state="All states")]
        return pd.concat(parts + [p.assign(agency_type="All types") for p in parts],
                         ignore_index=True)

    b = with_totals(bars)
    # Agencies are told apart by state and name (two states can have a "Polk County").
    a = agreements[["state", "agency_type", "agency"]]
    a = with_totals(a.assign(agency=a["state"] + "|" + a["agency"]))
    t = b.pivot_table(index=["state", "agency_type"], columns="model", values="agreements",
                      aggfunc="sum", fill_value=0)
    for m in MODELS_287G:
        if m not in t.columns:
            t[m] = 0
    t = t[MODELS_287G].astype(int)
    t["All models"] = t.sum(axis=1)
    # An agency may hold two or three models: count it once per row.
    t["Agencies"] = a.drop_duplicates().groupby(["state", "agency_type"])["agency"].size()
    t = t.reset_index()
    t["first"] = t["state"] != "All states"
    t["last"] = t["agency_type"] == "All types"
    t = t.sort_values(["first", "state", "last", "agency_type"])
    t = t[["state", "agency_type", "All models", *MODELS_287G, "Agencies"]]
    for c in ["All models", *MODELS_287G, "Agencies"]:
        t[c] = t[c].map("{:,}".format)
    return t.rename(columns={"state": "State", "agency_type": "Type of agency",
                             "Agencies": "Distinct agencies"})


def _map_live(wide: pd.DataFrame, bars: pd.DataFrame, options: list[str], names: list[str],
              as_of: pd.Timestamp) -> str:
    """The map's live line: the model shown and the picked state's count under it, then what
    the bars show for that state (agreements of all models by type of agency)."""
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
        parts = [f"{t.lower()} {int(row[t]):,}" for t in row.index if int(row[t]) > 0]
        per_type[code] = ", ".join(parts) or "none"
    idx = {m: i for i, m in enumerate(cols)}
    label = {"all": "all models", **{m: f"the {m}" for m in MODELS_287G}}
    name = dict(zip(options, names, strict=True))
    n = f"{_vega_literal(per_model)}[ch2_state][{_vega_literal(idx)}[ch2_map_model]]"
    return (f"'Map: agreements under ' + {_vega_literal(label)}[ch2_map_model] + '; ' + "
            f"{_vega_literal(name)}[ch2_state] + (ch2_state == 'all' ? ' hold ' : ' holds ') + "
            f"format({n}, ',') + ' of them. Bars: ' + {_vega_literal(name)}[ch2_state] + "
            f"', agreements of all models by type of agency: ' + "
            f"{_vega_literal(per_type)}[ch2_state] + '.'")


def state_laws_map(laws: pd.DataFrame | None = None) -> alt.Chart:
    """Map of state rules on 287(g): required, banned, restricted or no statewide rule in the
    table; a menu highlights one kind of rule, and the data table gives each state's law."""
    from ..states import STATES

    laws = data.load("state_laws") if laws is None else laws
    allst = pd.DataFrame([{"state": a, "name": n, "fips": f} for a, n, f in STATES])
    m = allst.merge(laws[["state", "law", "status", "effective", "date_precision",
                          "confidence"]], on="state", how="left")
    m["status"] = m["status"].fillna("none")
    m["law"] = m["law"].fillna("No statewide rule in this table")
    m["effective"] = [when(ts, p) if pd.notna(ts) else ""
                      for ts, p in zip(m["effective"], m["date_precision"], strict=True)]
    m["confidence"] = m["confidence"].fillna("")
    labels = {"require": "Requires 287(g)", "ban": "Bans 287(g)",
              "restrict": "Restricts cooperation", "none": "No statewide rule listed"}
    m["label"] = m["status"].map(labels)
    order = list(labels.values())
    pick = alt.param(name="ch2_law", value="all",
                     bind=alt.binding_select(options=["all", *order],
                                             labels=["All rules", *order],
                                             name="Highlight "))
    chart = (alt.Chart(_states_data())
             .transform_lookup(lookup="id", from_=alt.LookupData(
                 m, "fips", ["name", "label", "law", "effective", "confidence"]))
             .transform_filter("isValid(datum.label)")
             .mark_geoshape(stroke=MAP_STROKE, strokeWidth=0.5)
             .encode(color=alt.Color("label:N", title="Statewide rule", sort=order,
                                     scale=alt.Scale(domain=order, range=LAW_COLORS)),
                     opacity=alt.condition("ch2_law == 'all' || datum.label == ch2_law",
                                           alt.value(1), alt.value(0.25)),
                     tooltip=[alt.Tooltip("name:N", title="State"),
                              alt.Tooltip("label:N", title="Rule"),
                              alt.Tooltip("law:N", title="Law"),
                              alt.Tooltip("effective:N", title="Effective"),
                              alt.Tooltip("confidence:N", title="Confidence")])
             .add_params(pick)
             .project(type="albersUsa")
             .properties(width=CH2_WIDTH, height=350))
    n = laws["status"].value_counts()
    newest = laws.sort_values("effective").iloc[-1]
    latest_law = when(newest["effective"], newest["date_precision"])
    req = ", ".join(m.loc[m["status"] == "require", "name"])
    ban = ", ".join(m.loc[m["status"] == "ban", "name"])
    res = ", ".join(m.loc[m["status"] == "restrict", "name"])
    live = {"all": (f"All rules: {int(n.get('require', 0))} states require 287(g) agreements, "
                    f"{int(n.get('ban', 0))} ban them, {int(n.get('restrict', 0))} restrict "
                    f"cooperation; the other {int((m['status'] == 'none').sum())} states and "
                    "territories have no statewide rule in this table.")}
    for status, label in labels.items():
        names = m.loc[m["status"] == status, "name"].tolist()
        live[label] = (f"{label}: {len(names)} states highlighted ({', '.join(names)})."
                       if status != "none" else
                       f"{label}: {len(names)} states and territories highlighted; the table "
                       "lists no statewide rule for them, which does not mean they have none.")
    table = m.assign(order=m["status"].map({s: i for i, s in enumerate(labels)}))
    table = (table.sort_values(["order", "name"])
             [["name", "label", "law", "effective", "confidence"]]
             .replace({"effective": {"": "–"}, "confidence": {"": "–"}})
             .rename(columns={"name": "State", "label": "Rule", "law": "Law",
                              "effective": "Effective", "confidence": "Confidence"}))
    return wrap_subtitle(finish(
        chart,
        title=f"State rules on 287(g) agreements (laws effective to {latest_law})",
        subtitle=("Pick a kind of rule in the menu to highlight it; the data table gives each "
                  "state's law. Dates are effective dates or compliance deadlines."),
        description=(
            f"Map of the United States colouring each state by its statewide rule on 287(g) "
            f"in the course's table. {int(n.get('require', 0))} states require agreements "
            f"({req}); {int(n.get('ban', 0))} ban them ({ban}); {int(n.get('restrict', 0))} "
            f"restrict cooperation without a ban read in the text ({res}). All other states are "
            "grey: the table lists no statewide rule for them, which does not mean they have "
            "none."),
        datasets=["state_laws", "us_states_geometry"],
        table=table,
        table_caption="Each state's rule on 287(g) in the course's table, grouped by rule.",
        live=f"{_vega_literal(live)}[ch2_law]", live_name="ch2_law_live",
        narrow={"height": 200}), CH2_WIDTH)
