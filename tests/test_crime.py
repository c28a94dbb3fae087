"""Chapter 3: the difference-in-differences helper, its charts and its widget."""

from __future__ import annotations

import pytest

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
    assert {p["name"] for p in spec["params"]} == {"cs_policy", "cs_design"}
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
