"""Chapter 2 (the 287(g) program) charts: agreements over time, maps."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import data
from .base import PALETTE, finish, when, wrap_subtitle

# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


CH2_WIDTH = 520  # chapter 2 charts leave room for axis labels and legends in the book column


MODELS_287G = ["Jail Enforcement Model", "Task Force Model", "Warrant Service Officer"]
MODEL_COLORS = {"Jail Enforcement Model": PALETTE[0], "Task Force Model": PALETTE[1],
                "Warrant Service Officer": PALETTE[2]}


def us_states_topojson() -> dict:
    """The state geometry (TopoJSON) shipped in ``datasets/geo``, read once per call.

    Charts inline it (about 110 KB per map) because ``alt.topo_feature`` needs a URL, and the
    book and JupyterLab must draw maps offline."""
    import json

    return json.loads(data.path("us_states_geometry").read_text(encoding="utf-8"))


def _states_data() -> alt.Data:
    return alt.Data(values=us_states_topojson(),
                    format=alt.DataFormat(type="topojson", feature="states"))


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


def agreements_timeline(df: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                        wapo: pd.DataFrame | None = None) -> alt.LayerChart:
    """Dated 287(g) counts, 2002 onward: reported figures and ICE snapshots, with a model
    selector, a checkbox for policy annotations and a zoomable time axis."""
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
    d["series"] = d["kind"].map({"snapshot": "ICE list (counted)",
                                 "reported": "Reported figure"}) + " · " + d["unit"]
    w = pd.DataFrame({"date": pd.to_datetime(wapo["year"].astype(str) + "-07-01"),
                      "count": wapo["agencies_flagged"].astype(int), "unit": "agencies",
                      "model": "all", "kind": "curated", "as_of": pd.Timestamp("2021-11-01"),
                      "source": wapo["source"], "qualifier": "exact",
                      "figure": wapo["agencies_flagged"].astype(int).map("{:,}".format),
                      "when": wapo["year"].astype(str),
                      "series": "Washington Post list · sheriffs' offices"})
    d = pd.concat([d, w], ignore_index=True)
    d["count"] = d["count"].astype(int)
    d["date"] = d["date"].dt.strftime("%Y-%m-%d")
    d["as_of"] = pd.to_datetime(d["as_of"]).dt.strftime("%Y-%m-%d")
    ev = events[events["category"].isin(["287(g) program", "Federal program", "Law"])].copy()
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    # Label only events more than a few months apart; the crowded 2025 ones keep a tooltip.
    ev["label"] = ev["date"] < "2025-01-01"
    ev.loc[ev["event"].str.startswith("Executive Order 14159"), "label"] = True
    ev = ev[["date", "event", "category", "label"]]

    model = alt.param(name="ch2_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model: "))
    notes = alt.param(name="ch2_notes", value=True,
                      bind=alt.binding_checkbox(name="Show policy changes "))
    zoom = alt.selection_interval(name="ch2_zoom", bind="scales", encodings=["x", "y"])
    x = alt.X("date:T", title="Date", axis=alt.Axis(format="%Y"))
    base = alt.Chart(d).transform_filter("datum.model == ch2_model")
    series_order = ["Reported figure · agencies", "Reported figure · agreements",
                    "ICE list (counted) · agreements", "ICE list (counted) · agencies",
                    "Washington Post list · sheriffs' offices"]
    color = alt.Color("series:N", title=None, sort=series_order,
                      legend=alt.Legend(labelLimit=320, columns=2),
                      scale=alt.Scale(domain=series_order,
                                      range=[PALETTE[3], PALETTE[0], PALETTE[1], PALETTE[4],
                                             PALETTE[7]]))
    tooltip = [alt.Tooltip("when:N", title="Date"),
               alt.Tooltip("figure:N", title="Figure as stated"),
               alt.Tooltip("unit:N", title="Counts"), alt.Tooltip("model:N", title="Model"),
               alt.Tooltip("series:N", title="Kind"), alt.Tooltip("source:N", title="Source key")]
    lines = base.transform_filter("datum.kind != 'reported'").mark_line(
        strokeWidth=1.5, opacity=0.6).encode(
        x=x, y=alt.Y("count:Q", title="Agreements or agencies"), color=color, detail="series:N")
    points = base.mark_point(filled=True, size=55).encode(
        x=x, y="count:Q", color=color, shape=alt.Shape("series:N", sort=series_order,
                                                         legend=None), tooltip=tooltip)
    rules = alt.Chart(ev).transform_filter("ch2_notes").mark_rule(
        color="#999999", strokeDash=[3, 3]).encode(
        x="date:T", tooltip=[alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                             alt.Tooltip("event:N", title="Event")])
    labels = alt.Chart(ev[ev["label"]]).transform_filter("ch2_notes").mark_text(
        angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=9,
        color="#555555").encode(x="date:T", y=alt.value(0), text="event:N")
    chart = alt.layer(rules, labels, lines, points).add_params(model, notes, zoom).properties(
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
    return wrap_subtitle(finish(
        chart,
        title=(f"287(g) participation, {first['date'].year}–{last['date'].year} "
               f"(data to {data_to})"),
        subtitle=(f"Reported figures and ICE lists. ICE-list counts stop at "
                  f"{snap.iloc[-1]['date']:%d %B %Y}; later points are reported figures. Pick a "
                  "model; tick the box to show policy changes; drag or scroll to zoom."),
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
            "as approximate or as lower bounds (the tooltip gives each figure as stated). "
            "A grey series shows The Washington Post's count "
            "of sheriffs' "
            "offices by year, 2005–2019. Dashed vertical lines mark policy changes such as the "
            "2009 standard agreement, the 2012 end of task-force agreements, the 2019 warrant "
            "service model, the January 2025 executive order and state laws of 2024–2026. A "
            "menu shows one model's counts (ICE-list counts, and a few reported figures of "
            "2026 that count agencies, are broken down by model)."),
        datasets=["agreements_over_time", "wapo_287g_sheriffs", "events_287g"]), CH2_WIDTH)


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


def agreements_map(by_state: pd.DataFrame | None = None,
                   agreements: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Map of agreements by state at the latest ICE snapshot (model menu), linked to a bar
    chart of agreements by agency type and model: click a state to see its agencies."""
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

    model = alt.param(name="ch2_map_model", value="all",
                      bind=alt.binding_select(options=["all", *MODELS_287G],
                                              labels=["All models", *MODELS_287G],
                                              name="Model on the map: "))
    pick = alt.selection_point(name="ch2_state", fields=["state"], on="click", clear="dblclick",
                               empty=True)
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
           .mark_geoshape(stroke="white", strokeWidth=0.6)
           .encode(
               color=alt.condition("datum.value0 > 0",
                                   alt.Color("value0:Q", title="Agreements",
                                             scale=alt.Scale(type="sqrt", scheme="blues")),
                                   alt.value("#eeeeee")),
               opacity=alt.condition(pick, alt.value(1), alt.value(0.35)),
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
           .transform_filter(pick)
           .mark_bar()
           .encode(
               y=alt.Y("agency_type:N", title="Type of agency", sort="-x"),
               x=alt.X("sum(agreements):Q", title="Agreements (selected state, or all states)"),
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
                  "(later editions were not available offline). Pick a model; click a state to "
                  "show its agencies below (double-click to clear)."),
        description=(
            f"Map of the United States shaded by the number of 287(g) agreements in each "
            f"state on ICE's list of {as_of:%d %B %Y}: {tot:,} agreements in {nstates} states "
            f"or territories. {top.iloc[0]['name']} has the most ({int(top.iloc[0]['all']):,}), "
            f"then {top.iloc[1]['name']} ({int(top.iloc[1]['all']):,}). States without "
            "agreements are light grey. A menu shows one model at a time. Below the map, a "
            "bar chart counts agreements by type of agency (county, municipality, state "
            "agency) and model, for all states or for the state clicked on the map."),
        datasets=["agreements_by_state", "agreements_287g", "us_states_geometry"]), CH2_WIDTH)


def state_laws_map(laws: pd.DataFrame | None = None) -> alt.Chart:
    """Map of state rules on 287(g): required, banned, restricted or no statewide rule in the
    table; click a legend entry to highlight one status."""
    from ..states import STATES

    laws = data.load("state_laws") if laws is None else laws
    allst = pd.DataFrame([{"state": a, "name": n, "fips": f} for a, n, f in STATES])
    m = allst.merge(laws[["state", "law", "status", "effective", "confidence"]],
                    on="state", how="left")
    m["status"] = m["status"].fillna("none")
    m["law"] = m["law"].fillna("No statewide rule in this table")
    m["effective"] = m["effective"].dt.strftime("%Y-%m-%d").fillna("")
    m["confidence"] = m["confidence"].fillna("")
    labels = {"require": "Requires 287(g)", "ban": "Bans 287(g)",
              "restrict": "Restricts cooperation", "none": "No statewide rule listed"}
    m["label"] = m["status"].map(labels)
    order = list(labels.values())
    pick = alt.selection_point(name="ch2_law", fields=["label"], bind="legend")
    chart = (alt.Chart(_states_data())
             .transform_lookup(lookup="id", from_=alt.LookupData(
                 m, "fips", ["name", "label", "law", "effective", "confidence"]))
             .transform_filter("isValid(datum.label)")
             .mark_geoshape(stroke="white", strokeWidth=0.6)
             .encode(color=alt.Color("label:N", title="Statewide rule", sort=order,
                                     scale=alt.Scale(domain=order, range=[
                                         PALETTE[1], PALETTE[3], "#b3a9d6", "#e6e6e6"])),
                     opacity=alt.condition(pick, alt.value(1), alt.value(0.25)),
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
    return wrap_subtitle(finish(
        chart,
        title=f"State rules on 287(g) agreements (laws effective to {latest_law})",
        subtitle=("Click a legend entry to highlight one kind of rule; hover a state for its law. "
                  "Dates are effective dates or compliance deadlines."),
        description=(
            f"Map of the United States colouring each state by its statewide rule on 287(g) "
            f"in the course's table. {int(n.get('require', 0))} states require agreements "
            f"({req}); {int(n.get('ban', 0))} ban them ({ban}); {int(n.get('restrict', 0))} "
            f"restrict cooperation without a ban read in the text ({res}). All other states are "
            "grey: the table lists no statewide rule for them, which does not mean they have "
            "none."),
        datasets=["state_laws", "us_states_geometry"]), CH2_WIDTH)



