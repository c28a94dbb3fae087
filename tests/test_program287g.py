"""Chapter 2 (the 287(g) program): its datasets agree with each other, the map geometry ships as
a non-tabular resource, and the chart and widget builders show what they claim."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from chart_checks import all_params as _all_params
from chart_checks import live_text as _eval_live
from chart_checks import walk as _walk

from trustlab import charts, data, widgets
from trustlab.data import DataError
from trustlab.states import BY_ABBR, STATES

MODELS = charts.MODELS_287G


# ------------------------------------------------------------------------------------------
# The state geometry: a non-tabular resource


def test_geometry_is_a_documented_file_resource_not_a_table():
    res = data.resource("us_states_geometry")
    assert "schema" not in res and res["path"].startswith("geo/")
    assert res["licenses"][0]["name"] == "ISC"
    assert "us_states_geometry" not in data.validate_all()  # validation skips files
    with pytest.raises(DataError, match="not a table.*trustlab.data.path"):
        data.load("us_states_geometry")


def test_geometry_has_every_state_by_fips_and_ships_its_licence():
    path = data.path("us_states_geometry")
    topo = json.loads(path.read_text(encoding="utf-8"))
    assert topo["type"] == "Topology" and set(topo["objects"]) == {"states"}
    ids = {g["id"] for g in topo["objects"]["states"]["geometries"]}
    assert {fips for _, _, fips in STATES} <= ids
    assert path.stat().st_size < 150_000, "keep the geometry small: it is inlined in each map"
    licence = (path.parent / "LICENSE_us-atlas.txt").read_text(encoding="utf-8")
    assert "Michael Bostock" in licence and "Permission to use, copy, modify" in licence


def test_missing_geometry_file_is_reported_clearly(tmp_path, monkeypatch):
    ds = tmp_path / "datasets"
    ds.mkdir()
    (ds / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "geo", "path": "geo/x.json", "format": "topojson"}]}))
    monkeypatch.setenv("TRUSTLAB_DATA", str(ds))
    with pytest.raises(DataError, match="file not found for dataset 'geo'"):
        data.path("geo")


# ------------------------------------------------------------------------------------------
# The datasets agree with each other


def test_state_counts_rebuild_the_published_state_table():
    mine = charts.state_counts(data.load("agreements_287g"))
    published = data.load("agreements_by_state")
    keys = ["as_of", "state", "model"]
    merged = mine.merge(published, on=keys, how="outer", suffixes=("", "_pub"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["agreements"] == merged["agreements_pub"]).all()
    assert (merged["agencies"] == merged["agencies_pub"]).all()


def test_state_counts_names_missing_columns():
    with pytest.raises(ValueError, match=r"missing \['model'\].*agreements_287g"):
        charts.state_counts(pd.DataFrame({"as_of": [], "state": [], "agency": []}))


def test_snapshot_models_add_up_to_the_total_and_match_ice_snapshots():
    t = data.load("agreements_over_time")
    snap = t[(t["kind"] == "snapshot") & (t["unit"] == "agreements")]
    wide = snap.pivot_table(index="date", columns="model", values="count")
    assert (wide[MODELS].sum(axis=1) == wide["all"]).all()
    ice = data.load("ice_snapshots")
    for date, row in wide.iterrows():
        same = ice[ice["as_of"] == date]
        assert not same.empty, f"no ICE snapshot for {date:%Y-%m-%d}"
        assert int(row["all"]) in set(same["agreements"].astype(int)), date


def test_latest_snapshot_matches_the_agreement_table():
    t = data.load("agreements_over_time")
    a = data.load("agreements_287g")
    as_of = a["as_of"].max()
    row = t[(t["date"] == as_of) & (t["model"] == "all") & (t["kind"] == "snapshot")]
    counts = dict(zip(row["unit"], row["count"].astype(int), strict=True))
    assert counts["agreements"] == len(a)
    assert counts["agencies"] == a[["state", "agency"]].drop_duplicates().shape[0]


def test_state_laws_use_known_states_and_events_fit_their_labels():
    laws = data.load("state_laws")
    assert set(laws["state"]) <= set(BY_ABBR)
    assert {"FL", "TX"} <= set(laws.loc[laws["status"] == "require", "state"])
    events = data.load("events_287g")
    assert events["event"].str.len().max() <= 60
    assert events["date"].is_monotonic_increasing


# ------------------------------------------------------------------------------------------
# Charts and widgets


def _params(spec) -> list[str]:
    return list(charts.param_names(spec))


def test_chapter_charts_have_descriptions_sources_and_unique_param_names():
    specs = [charts.agreements_timeline().to_dict(), charts.agreements_map().to_dict(),
             charts.state_laws_map().to_dict()]
    names = []
    for spec in specs:
        assert len(spec["description"]) > 200
        assert any(line.startswith("Source:") for line in spec["title"]["subtitle"])
        names += sorted(set(_params(spec)))
    assert len(names) == len(set(names)), names
    assert {"ch2_model", "ch2_period", "ch2_notes", "ch2_map_model", "ch2_state",
            "ch2_law"} <= set(names)


def test_map_inlines_the_geometry_and_its_description_matches_the_data():
    spec = charts.agreements_map().to_dict()
    text = json.dumps(spec)
    assert '"type": "topojson"' in text and '"feature": "states"' in text
    by_state = data.load("agreements_by_state")
    assert f"{int(by_state['agreements'].sum()):,} agreements" in spec["description"]


def test_explorer_recounts_florida_like_the_state_table():
    a = data.load("agreements_287g")
    box = widgets.state_agreements_explorer(a).widget
    state, models_box, result = box.children
    state.value = "FL"
    fl = data.load("agreements_by_state").query("state == 'FL'")
    assert f"{int(fl['agreements'].sum()):,} agreements" in result.value
    for cb in models_box.children:
        cb.value = cb.description == "Task Force Model"
    tfm = fl[fl["model"] == "Task Force Model"]
    assert f"{int(tfm['agreements'].sum()):,} agreements" in result.value
    assert f"{int(tfm['agencies'].sum()):,} distinct agencies" in result.value


def test_snapshot_explorer_shows_the_change_between_two_editions():
    snaps = data.load("ice_snapshots").sort_values(["as_of", "edition"]).reset_index(drop=True)
    box = widgets.snapshot_change_explorer(snaps).widget
    (first, last), result = box.children[0].children, box.children[1]
    first.value, last.value = 0, len(snaps) - 1
    change = int(snaps["agreements"].iloc[-1]) - int(snaps["agreements"].iloc[0])
    assert f"<td>{change}</td>" in result.value
    first.value = last.value
    assert "<p>0 days between the two editions.</p>" in result.value


# ------------------------------------------------------------------------------------------
# 2026 edition: dated counts carry their qualifier, and charts state their data date


def test_timeline_title_is_built_from_the_data_and_names_its_data_date():
    t = data.load("agreements_over_time")
    spec = charts.agreements_timeline().to_dict()
    last = t.sort_values("date").iloc[-1]
    title = spec["title"]["text"]
    assert f"{t['date'].min().year}–{last['date'].year}" in title
    assert "data to" in title and str(last["date"].year) in title
    assert "2002–2025" not in title


def test_lower_bounds_and_approximations_are_shown_as_stated():
    t = data.load("agreements_over_time")
    assert set(t["qualifier"]) <= {"exact", "approximate", "lower bound"}
    figures = json.dumps(charts.agreements_timeline().to_dict())
    for _, row in t[t["qualifier"] == "lower bound"].iterrows():
        if row["unit"] != "states":
            assert f"more than {int(row['count']):,}" in figures
    for _, row in t[t["qualifier"] == "approximate"].iterrows():
        if row["unit"] != "states":
            assert f"about {int(row['count']):,}" in figures
    latest = t[(t["unit"] == "agreements") & (t["model"] == "all")].sort_values("date").iloc[-1]
    if latest["qualifier"] == "lower bound":
        assert "more than" in charts.agreements_timeline().to_dict()["description"]


def test_reported_rows_after_the_last_snapshot_say_what_they_count():
    t = data.load("agreements_over_time")
    last_snap = t.loc[t["kind"] == "snapshot", "date"].max()
    later = t[(t["kind"] == "reported") & (t["date"] > last_snap)]
    assert not later.empty
    words = {"agreements": "agreement", "agencies": "agenc", "states": "states"}
    for _, row in later.iterrows():
        assert words[row["unit"]] in row["notes"].lower(), row["notes"]


def test_maps_state_their_data_dates():
    by_state = data.load("agreements_by_state")
    spec = charts.agreements_map().to_dict()
    as_of = f"{by_state['as_of'].max():%d %B %Y}"
    assert as_of in spec["title"]["text"] and any(as_of in s for s in spec["title"]["subtitle"])
    laws = data.load("state_laws")
    newest = laws.sort_values("effective").iloc[-1]
    title = charts.state_laws_map().to_dict()["title"]["text"]
    assert str(newest["effective"].year) in title


def test_state_law_statuses_follow_what_was_read():
    laws = data.load("state_laws").set_index("state")
    assert laws.loc["GA", "status"] == "require"  # HB 1105 (2024) predates Texas SB 8
    assert laws.loc["GA", "effective"] < laws.loc["TX", "effective"]
    assert laws.loc["ME", "status"] == "restrict"  # LD 1971 restricts; no 287(g) ban read
    assert laws.loc["NM", "status"] == "ban" and laws.loc["MD", "status"] == "ban"


# ------------------------------------------------------------------------------------------
# Accessibility (issue #16): a keyboard path for every control, a data table, a live summary,
# contrast, and a layout that fits a phone


CHAPTER_CHARTS = {"timeline": charts.agreements_timeline, "map": charts.agreements_map,
                  "laws": charts.state_laws_map}


@pytest.fixture(scope="module")
def specs():
    return {k: build().to_dict() for k, build in CHAPTER_CHARTS.items()}


def _tooltip_titles(spec) -> set[str]:
    titles = set()
    for n in _walk(spec):
        tip = n.get("encoding", {}).get("tooltip") if isinstance(n.get("encoding"), dict) else None
        for t in tip if isinstance(tip, list) else [tip] if tip else []:
            titles.add(t.get("title") or t.get("field"))
    return titles


@pytest.mark.parametrize("name", list(CHAPTER_CHARTS))
def test_every_interaction_has_a_keyboard_control(specs, name):
    params = _all_params(specs[name])
    assert params
    for p in params:
        bind = p.get("bind")
        assert bind not in ("legend", "scales"), (name, p["name"])
        sel = p.get("select")
        kind = sel if isinstance(sel, str) else (sel or {}).get("type")
        assert kind != "interval", (name, p["name"])
        if kind == "point":
            assert isinstance(bind, dict) and "input" in bind, (name, p["name"])
        if isinstance(bind, dict):
            assert bind.get("name", "").strip() and ":" not in bind["name"], (name, p["name"])


@pytest.mark.parametrize("name", list(CHAPTER_CHARTS))
def test_every_chart_has_a_table_with_its_tooltip_content(specs, name):
    table = specs[name]["usermeta"]["trustlab"]["table"]
    assert table["caption"] and table["rows"]
    assert all(len(r) == len(table["columns"]) for r in table["rows"])
    assert all(isinstance(v, str) for r in table["rows"] for v in r)
    wanted = {"timeline": {"Date", "Counts", "Model", "Source key"},
              "map": {"State", "Type of agency", "All models", *MODELS},
              "laws": {"State", "Rule", "Law", "Effective", "Confidence"}}[name]
    assert wanted <= set(table["columns"])
    # Every tooltip field is covered by a column (named the same, or listed here).
    covered = {
        "timeline": {"Figure as stated": "Figure as stated, or policy change",
                     "Event": "Figure as stated, or policy change"},
        "map": {"Agreements (model shown)": "All models", "Jail enforcement": MODELS[0],
                "Task force": MODELS[1], "Warrant service officer": MODELS[2],
                "Type": "Type of agency", "Agreements": "All models", "Model": MODELS[0],
                "Agencies": "Distinct agencies"},
        "laws": {}}[name]
    for title in _tooltip_titles(specs[name]):
        assert covered.get(title, title) in table["columns"], (name, title)


def test_tables_hold_the_data_as_stated():
    t = data.load("agreements_over_time")
    rows = charts.agreements_timeline().to_dict()["usermeta"]["trustlab"]["table"]["rows"]
    figures = {r[2] for r in rows}
    for _, row in t[(t["qualifier"] == "lower bound") & (t["unit"] != "states")].iterrows():
        assert f"more than {int(row['count']):,}" in figures
    assert "Executive Order 14159" in figures  # policy changes are rows too
    by_state = data.load("agreements_by_state")
    latest = by_state[by_state["as_of"] == by_state["as_of"].max()]
    rows = charts.agreements_map().to_dict()["usermeta"]["trustlab"]["table"]["rows"]
    fl = {r[1]: r for r in rows if r[0] == "Florida"}
    fl_total = int(latest.loc[latest["state"] == "FL", "agreements"].sum())
    assert fl["All types"][2] == f"{fl_total:,}"
    assert rows[0][0] == "All states"
    laws = charts.state_laws_map().to_dict()["usermeta"]["trustlab"]["table"]["rows"]
    assert ["Texas", "Requires 287(g)"] == laws[[r[0] for r in laws].index("Texas")][:2]


@pytest.mark.parametrize("name", list(CHAPTER_CHARTS))
def test_live_summary_is_a_compiled_signal_driven_by_every_control(specs, name):
    import vl_convert as vlc

    spec = specs[name]
    live = spec["usermeta"]["trustlab"]["live"]
    top = {p["name"]: p for p in spec.get("params", [])}
    assert live in top and top[live]["expr"]
    controls = [p["name"] for p in _all_params(spec) if isinstance(p.get("bind"), dict)]
    assert controls
    for c in controls:
        assert c in top[live]["expr"], f"{name}: control {c} does not change the live line"
    signals = {s["name"] for s in vlc.vegalite_to_vega(spec).get("signals", [])}
    assert live in signals


def test_live_lines_state_the_result_of_the_view(specs):
    line = _eval_live(specs["laws"], {"ch2_law": "Requires 287(g)"})
    assert "Requires 287(g): 3 states highlighted (Florida, Georgia, Texas)." in line
    line = _eval_live(specs["map"], {"ch2_state": "FL", "ch2_map_model": "Task Force Model"})
    fl = data.load("agreements_by_state").query("state == 'FL'")
    fl = fl[fl["as_of"] == fl["as_of"].max()]
    tfm = int(fl.loc[fl["model"] == "Task Force Model", "agreements"].sum())
    assert "Task Force Model" in line and f"Florida holds {tfm:,} of them" in line
    line = _eval_live(specs["timeline"], {"ch2_period": "before2025", "ch2_notes": False})
    assert "2002–2024" in line and "Policy changes hidden." in line


def test_text_and_marks_in_chapter_charts_meet_contrast(specs):
    from trustlab.charts.base import contrast

    for name, spec in specs.items():
        for n in _walk(spec):
            mark = n.get("mark")
            if not isinstance(mark, dict):
                continue
            for key in ("color", "fill", "stroke"):
                c = mark.get(key)
                if isinstance(c, str) and c.startswith("#"):
                    need = 4.5 if mark["type"] == "text" else 3
                    if mark["type"] == "geoshape" and key == "fill":
                        continue
                    assert contrast(c) >= need, (name, mark["type"], key, c)
    assert contrast(charts.program.RULE_GREY) >= 3
    for c in charts.program.LAW_COLORS[:-1]:  # the "no rule" fill is outlined instead
        assert contrast(c) >= 3, c
    assert contrast(charts.program.MAP_STROKE) >= 3


def test_series_and_maps_fit_a_phone(specs):
    timeline = specs["timeline"]
    enc = [lyr["encoding"] for lyr in timeline["layer"] if "shape" in lyr.get("encoding", {})]
    assert enc and enc[0]["shape"]["field"] == enc[0]["color"]["field"]  # not colour alone
    assert "legend" not in enc[0]["shape"] or enc[0]["shape"]["legend"] is not None
    for lyr in timeline["layer"]:  # annotations placed by data, not by pixel
        assert not isinstance(lyr.get("encoding", {}).get("x", {}).get("value"), int | float)
    narrow = specs["map"]["usermeta"]["trustlab"]["narrow"]
    assert narrow["vconcat"][0]["height"] <= 220
    assert specs["laws"]["usermeta"]["trustlab"]["narrow"]["height"] <= 220
