"""Chapter 3: the difference-in-differences helper, its charts and its widget."""

from __future__ import annotations

import pytest
from chart_checks import live_text as _live_text
from chart_checks import walk as _walk

from trustlab import charts, crime, load, widgets
from trustlab.data import DataError


@pytest.fixture(scope="module")
def panel():
    return load("crime_panel")


def test_neighbours_are_symmetric_and_cover_the_panel(panel):
    assert set(crime.NEIGHBOURS) == set(panel["state_abbr"])
    for state, nbrs in crime.NEIGHBOURS.items():
        for n in nbrs:
            assert state in crime.NEIGHBOURS[n], f"{state} lists {n} but not the reverse"


def test_panel_has_every_state_every_year(panel):
    assert len(panel) == 51 * 20
    assert panel.groupby("state_abbr")["year"].nunique().eq(20).all()


def test_did_matches_a_hand_computation(panel):
    r = crime.did(panel, "TX", 2017, window=4)
    tx = panel[panel["state_abbr"] == "TX"].set_index("year")
    rate = tx["violent_crime"] / tx["population"] * 100_000
    assert r.treated_before == pytest.approx(rate.loc[2013:2016].mean())
    assert r.treated_after == pytest.approx(rate.loc[2017:2019].mean())
    others = panel[panel["state_abbr"] != "TX"].groupby("year")[
        ["violent_crime", "population"]].sum()
    orate = others["violent_crime"] / others["population"] * 100_000
    expected = (rate.loc[2017:2019].mean() - rate.loc[2013:2016].mean()) - (
        orate.loc[2017:2019].mean() - orate.loc[2013:2016].mean())
    assert r.estimate == pytest.approx(expected)
    assert r.after_years == (2017, 2019)  # clipped to the panel


def test_did_comparison_groups(panel):
    assert crime.did(panel, "TX", 2017, comparison="Neighbouring states").comparison == (
        "AR", "LA", "NM", "OK")
    assert crime.did(panel, "TX", 2017, comparison="One state", other="NM").comparison == (
        "NM",)


@pytest.mark.parametrize("kwargs, words", [
    ({"treated": "XX", "policy_year": 2017}, "not a state"),
    ({"treated": "TX", "policy_year": 2000}, "no 'before'"),
    ({"treated": "HI", "policy_year": 2017, "comparison": "Neighbouring states"},
     "no land neighbours"),
    ({"treated": "TX", "policy_year": 2017, "comparison": "One state", "other": "TX"},
     "not the treated"),
    ({"treated": "TX", "policy_year": 2017, "outcome": "Murder"}, "outcome must be"),
])
def test_bad_choices_get_a_clear_error(panel, kwargs, words):
    with pytest.raises(DataError, match=words):
        crime.did(panel, **kwargs)


def test_explorer_chart_states_its_default_estimate(panel):
    spec = charts.crime_did_explorer(panel).to_dict()
    est = crime.did(panel, "TX", 2017).estimate
    assert f"difference-in-differences {est:+.1f}" in spec["description"]
    names = {p["name"] for p in spec["params"]}
    assert {"did_state", "did_year", "did_window", "did_comp", "did_other",
            "did_outcome"} <= names


def test_study_chart_has_filters_and_counts():
    spec = charts.crime_study_results().to_dict()
    assert {p["name"] for p in spec["params"]} == {"cs_policy", "cs_design", "cs_live"}
    studies = load("crime_studies")
    assert f"{len(studies)} study estimates" in spec["description"]


def test_no_estimate_without_a_verified_or_contested_source():
    studies = load("crime_studies")
    assert set(studies["confidence"]) <= {"verified", "contested"}
    bad = studies[studies["ci_low"].notna() & studies["estimate"].isna()]
    assert bad.empty


def test_widget_recomputes_and_warns(panel):
    box = widgets.crime_did_explorer(panel).widget
    state, year, *_, result = box.children
    assert "+5.3" in result.value and "cannot prove" in result.value
    state.value = "CA"
    year.value = 2018
    est = crime.did(panel, "CA", 2018).estimate
    assert f"{est:+.1f}" in result.value
    box.children[3].value = "Neighbouring states"
    assert "AZ, NV, OR" in result.value


def test_placebo_table_equals_did_cell_by_cell():
    """The fast placebo table (national sums minus the state's) gives exactly what did()
    gives for each state and year."""
    from trustlab import crime, load

    panel = load("crime_panel")
    table = crime.placebo_table(panel, years=range(2010, 2012))
    assert len(table) == 2 * len(crime.NEIGHBOURS) * 2
    for row in table.itertuples():
        d = crime.did(panel, row.state_abbr, row.year, window=4, outcome=row.outcome)
        assert row.did == round(d.estimate, 1)
        assert row.treated_before == round(d.treated_before, 1)


# --- Accessibility of the chapter's charts (issue #16) ---------------------------------------

BUILDERS = {
    "crime_study_results": lambda: charts.crime_study_results(),
    "crime_did_explorer": lambda: charts.crime_did_explorer(),
    "crime_placebo": lambda: charts.crime_placebo(year=2017),
}


@pytest.fixture(scope="module")
def specs():
    return {name: build().to_dict() for name, build in BUILDERS.items()}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_interaction_works_from_the_keyboard(specs, name):
    spec = specs[name]
    for node in _walk(spec):
        assert node.get("bind") not in ("legend", "scales"), f"{name}: mouse-only binding"
        sel = node.get("select")
        if sel is not None:
            kind = sel if isinstance(sel, str) else sel.get("type")
            assert kind != "interval", f"{name}: brush selections need a mouse"
            assert isinstance(node.get("bind"), dict) and "input" in node["bind"], \
                f"{name}: point selection {node.get('name')} has no control"
    controls = [p for p in spec["params"] if isinstance(p.get("bind"), dict)]
    assert controls, f"{name} should have controls"
    for p in controls:
        assert p["bind"].get("name") and ":" not in p["bind"]["name"], p["name"]


@pytest.mark.parametrize("name", BUILDERS)
def test_table_holds_every_tooltip(specs, name):
    spec = specs[name]
    table = spec["usermeta"]["trustlab"]["table"]
    assert table["rows"] and all(len(r) == len(table["columns"]) for r in table["rows"])
    headers = " ".join(table["columns"]).lower()
    for node in _walk(spec):
        tips = node.get("tooltip") if isinstance(node.get("tooltip"), list) else []
        for tip in tips:
            title = str(tip.get("title", tip["field"])).lower()
            words = {"group": "per 100,000", "year": "year", "period": "period",
                     "rate per 100,000": "per 100,000", "mean rate": "mean",
                     "state": "state", "pretend policy year": "around",
                     "did per 100,000": "'effect'", "state's rate before": "rate before"}
            needle = words.get(title, title)
            assert needle in headers or needle in table["caption"].lower(), \
                f"{name}: tooltip {title!r} is not in the data table"


@pytest.mark.parametrize("name", BUILDERS)
def test_live_summary_is_a_compiled_signal(specs, name):
    import vl_convert as vlc

    spec = specs[name]
    live = spec["usermeta"]["trustlab"]["live"]
    top = {p["name"]: p for p in spec["params"]}
    assert "expr" in top[live]
    vega = vlc.vegalite_to_vega(spec)
    assert live in {s["name"] for s in vega["signals"]}


def test_literal_text_colours_are_readable(specs):
    from trustlab.charts.base import contrast

    found = 0
    for spec in specs.values():
        for node in _walk(spec):
            mark = node.get("mark")
            if not (isinstance(mark, dict) and mark.get("type") == "text"):
                continue
            colours = [mark.get("color")]
            enc = node.get("encoding", {}).get("color", {})
            colours += [enc.get("value"), enc.get("condition", {}).get("value")]
            for c in filter(None, colours):
                found += 1
                assert contrast(c) >= 4.5, f"text colour {c} is {contrast(c):.2f}:1"
    assert found >= 4


def test_literal_mark_colours_are_visible(specs):
    from trustlab.charts.base import contrast
    from trustlab.charts.crime import DIRECTION_COLORS

    for c in DIRECTION_COLORS:
        assert contrast(c) >= 3
    bars = specs["crime_placebo"]["layer"][0]["encoding"]["color"]
    for c in (bars["value"], bars["condition"]["value"]):
        assert contrast(c) >= 3


def test_did_live_sentence_matches_python(panel, specs):
    spec = specs["crime_did_explorer"]
    text = _live_text(spec)
    assert text.startswith("Texas, violent crime, before (2013–2016) and after (2017–2019)")
    assert f"is {crime.did(panel, 'TX', 2017).estimate:+.1f}" in text.replace("−", "-")
    # Every control changes the sentence, and the numbers follow did().
    r = crime.did(panel, "CA", 2018, window=2, comparison="One state", other="NV",
                  outcome="Property crime")
    text = _live_text(spec, did_state="CA", did_year=2018, did_window=2,
                      did_comp="One state", did_other="NV", did_outcome="Property crime")
    assert text.startswith("California, property crime, before (2016–2017) and after "
                           "(2018–2019), compared with Nevada")
    assert f"is {r.estimate:+.1f} per 100,000" in text.replace("−", "-")
    assert f"by {r.treated_change:+.1f}" in text.replace("−", "-")
    nb = crime.did(panel, "TX", 2017, comparison="Neighbouring states")
    text = _live_text(spec, did_comp="Neighbouring states")
    assert "Texas's neighbours" in text and f"{nb.estimate:+.1f}" in text.replace("−", "-")
    assert "no land neighbours" in _live_text(spec, did_state="AK",
                                              did_comp="Neighbouring states")


def test_placebo_live_sentence_follows_every_control(specs):
    spec = specs["crime_placebo"]
    t = crime.placebo_table(load("crime_panel"), years=range(2008, 2009))
    ca = t[(t["state_abbr"] == "CA") & (t["outcome"] == "Property crime")]["did"].item()
    text = _live_text(spec, pl_state="CA", pl_year=2008, pl_outcome="Property crime")
    assert text.startswith(f"Pretend policy year 2008, property crime: California's 'effect' "
                           f"is {ca:+.1f} per 100,000, rank ")
    assert "of 51 by size; the 51 estimates run from" in text


def test_study_live_sentence_counts_the_rows_shown(specs):
    spec = specs["crime_study_results"]
    studies = load("crime_studies")
    text = _live_text(spec, cs_policy="sanctuary")
    n = int((studies["policy"] == "sanctuary").sum())
    assert text.startswith(f"Policy sanctuary, design All: {n} of {len(studies)} estimates")
    assert "no estimates match" in _live_text(spec, cs_policy="sanctuary", cs_design="IV")


def test_long_study_labels_wrap_instead_of_being_cut(specs):
    spec = specs["crime_study_results"]
    axis = spec["hconcat"][0]["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0 and "split(datum.label, '|')" in axis["labelExpr"]
    labels = [r["label"] for r in next(iter(spec["datasets"].values()))]
    assert max(len(line) for lab in labels for line in lab.split("|")) <= 40
    narrow = spec["usermeta"]["trustlab"]["narrow"]["hconcat"]
    # Stacked on a phone, the sizes column gets its own row labels.
    assert narrow[1]["encoding"]["y"]["axis"]["labelExpr"] == axis["labelExpr"]


def test_placebo_table_covers_both_outcomes_for_every_state(specs):
    table = specs["crime_placebo"]["usermeta"]["trustlab"]["table"]
    assert len(table["rows"]) == 51
    for outcome in ("Violent crime", "Property crime"):
        assert f"{outcome}: 'effect' per 100,000" in table["columns"]
        assert f"{outcome}: rate before" in table["columns"]
    assert "2017" in table["caption"]


def test_did_estimate_row_keeps_its_name_on_phones(specs):
    """The live sentence reads the estimate row by its compiled name; the book's narrow
    changes must not move it (they change only sizes and labels)."""
    import vl_convert as vlc

    from trustlab.charts.crime import DID_EST_DATA

    def merge(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            return {**a, **{k: merge(a[k], v) if k in a else v for k, v in b.items()}}
        if isinstance(a, list) and isinstance(b, list):
            return [merge(x, y) for x, y in zip(a, b, strict=False)] + a[len(b):]
        return b

    spec = specs["crime_did_explorer"]
    for variant in (spec, merge(spec, spec["usermeta"]["trustlab"]["narrow"])):
        data = {d["name"]: d for d in vlc.vegalite_to_vega(variant)["data"]}
        aggregates = [t for t in data[DID_EST_DATA].get("transform", [])
                      if t["type"] == "aggregate"]
        assert aggregates and {"est", "tc", "cc", "n"} <= set(aggregates[-1]["as"])
