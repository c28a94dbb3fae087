"""Chapter 5: the policy builder's logic, its browser chart, and the programs data rules."""

from __future__ import annotations

import re

import pytest

from trustlab import charts, load, practices, widgets


def test_no_choices_meets_only_the_no_287g_recommendation():
    card = practices.scorecard({})
    assert len(card) == len(load("recommendations"))
    assert card.loc[card["met"], "rec_id"].tolist() == ["r07_no_civil_enforcement"]


def test_every_trust_choice_without_287g_meets_everything():
    choices = {k: k != "has_287g" for k in practices.CHOICES}
    card = practices.scorecard(choices)
    assert card["met"].all()
    assert "meet 13 of 13" in practices.summary(card)


def test_287g_agreement_fails_only_the_contested_recommendation():
    choices = {k: True for k in practices.CHOICES}
    card = practices.scorecard(choices)
    unmet = card[~card["met"]]
    assert unmet["rec_id"].tolist() == ["r07_no_civil_enforcement"]
    assert unmet["evidence_strength"].tolist() == ["contested"]


@pytest.mark.parametrize("bad, words", [
    ({"publish_polcy": True}, "unknown policy choice"),
    ({"publish_policy": "yes"}, "must be True or False"),
    (["publish_policy"], "must be a dict"),
])
def test_bad_choices_get_a_clear_message(bad, words):
    with pytest.raises(ValueError, match=words) as err:
        practices.scorecard(bad)
    if "unknown" in words:
        assert "publish_policy" in str(err.value)  # lists the allowed names


def test_every_choice_is_tested_by_some_recommendation():
    recs = load("recommendations")
    assert set(recs["choice"]) == set(practices.CHOICES)


def _rendered_count(chart) -> tuple[int, int]:
    vlc = pytest.importorskip("vl_convert")
    svg = vlc.vegalite_to_svg(chart.to_dict())
    m = re.search(r"Your choices meet (\d+) of (\d+) recommendations", svg)
    assert m, "the summary line is missing from the rendered chart"
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("choices", [
    {},
    {"publish_policy": True, "has_287g": True, "judicial_warrant_holds": True},
    {k: True for k in practices.CHOICES},
])
def test_browser_chart_agrees_with_python(choices):
    """The Vega expression in the static chart gives the same count as scorecard()."""
    card = practices.scorecard(choices)
    met, total = _rendered_count(charts.policy_builder(defaults=choices))
    assert (met, total) == (int(card["met"].sum()), len(card))


def test_policy_builder_params_are_unique_checkboxes():
    spec = charts.policy_builder().to_dict()
    params = spec["params"]
    names = [p["name"] for p in params]
    assert len(names) == len(set(names)) == len(practices.CHOICES)
    assert all(p["bind"]["input"] == "checkbox" for p in params)


def test_unverifiable_programs_are_not_presented_as_evidence():
    progs = load("programs")
    unverified = progs[progs["confidence"] == "could not verify"]
    assert len(unverified) >= 1
    assert (unverified["evidence_kind"] == "none found").all()
    assert unverified["verification_note"].str.len().min() > 40


def test_programs_long_has_one_row_per_practice():
    progs = load("programs")
    long = practices.programs_long(progs)
    assert len(long) == progs["practices"].str.split(";").map(len).sum()
    assert long["practice_label"].notna().all()


def test_u_visa_chart_describes_the_data():
    chart = charts.u_visa_backlog()
    uv = load("u_t_visas")
    last = uv[(uv["row_id"] == "u_fy2021_pending_all")]["value"].iloc[0]
    assert f"{int(last):,}" in chart.to_dict()["description"]


def test_widget_recomputes_when_a_box_is_ticked():
    live = widgets.policy_builder_explorer()
    box = live.widget.children[1]  # the first checkbox (publish_policy)
    result = live.widget.children[-1]
    before = result.value
    box.value = True
    assert result.value != before
    assert "meet 2 of 13" in result.value


def test_programs_widget_filters():
    live = widgets.programs_table_explorer()
    practice, region = live.widget.children[0].children
    result = live.widget.children[1]
    practice.value = "detainer_limits"
    assert "2 program(s)" in result.value
    region.value = "Midwest"
    assert "No program" in result.value


@pytest.mark.browser
def test_policy_builder_checkbox_recomputes_in_the_browser(browser, server, built_book):
    """In the static book, ticking a box changes the count of recommendations met."""
    from test_browser import open_page, wait_for_charts

    page, external, errors = open_page(browser, f"{server}/book/05-practices/index.html")
    assert wait_for_charts(page) == 3
    chart = page.locator(".trustlab-chart", has_text="Policy builder")
    svg = chart.locator("svg")
    before = svg.inner_html()
    assert "Your choices meet 1 of 13" in " ".join(svg.locator("text").all_text_contents())
    chart.locator(".vega-bindings input[type=checkbox]").first.check()
    page.wait_for_function(
        "(b) => [...document.querySelectorAll('.trustlab-chart svg')]"
        ".some(s => s.innerHTML.includes('meet 2 of 13'))", arg=before)
    assert not external and not errors
