"""Chapter 5: the policy builder's logic, its browser chart, and the programs data rules."""

from __future__ import annotations

import re

import pytest
from chart_checks import live_text as _live_text
from chart_checks import narrow_merge as _merge
from chart_checks import walk as _walk

from trustlab import charts, load, practices, widgets
from trustlab.charts.base import contrast


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
    params = [p for p in spec["params"] if "bind" in p]  # the live summary has no control
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


# --- Accessibility of the chapter's charts (issue #16) ------------------------------------

BUILDERS = {"programs_explorer": charts.programs_explorer,
            "policy_builder": charts.policy_builder,
            "u_visa_backlog": charts.u_visa_backlog}


def _params(spec):
    return [p for d in _walk(spec) for p in d.get("params", []) or []
            if isinstance(p, dict) and "name" in p]


@pytest.fixture(scope="module")
def specs():
    return {name: build().to_dict() for name, build in BUILDERS.items()}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_interaction_has_a_keyboard_control(specs, name):
    spec = specs[name]
    text = str(spec)
    assert "'bind': 'legend'" not in text and "'bind': 'scales'" not in text
    for p in _params(spec):
        select = p.get("select")
        kind = select if isinstance(select, str) else (select or {}).get("type")
        assert kind != "interval", f"{p['name']}: a brush needs a mouse"
        if kind == "point":
            assert isinstance(p.get("bind"), dict) and "input" in p["bind"], \
                f"{p['name']}: a point selection needs a form control"
        if "bind" in p:
            assert ":" not in p["bind"].get("name", ""), "control names carry no colon"


def _tooltip_titles(spec) -> set[str]:
    titles = set()
    for d in _walk(spec):
        tip = d.get("tooltip")
        for t in tip if isinstance(tip, list) else [tip] if isinstance(tip, dict) else []:
            if isinstance(t, dict) and "field" in t:
                titles.add(t.get("title", t["field"]))
    return titles


@pytest.mark.parametrize("name", BUILDERS)
def test_data_table_holds_every_tooltip(specs, name):
    spec = specs[name]
    table = spec["usermeta"]["trustlab"]["table"]
    assert table["rows"] and table["caption"]
    titles = _tooltip_titles(spec)
    assert titles
    if name == "u_visa_backlog":
        # One column per measure instead of "Measure"/"Petitions"; the cap in the caption.
        assert {"Fiscal year", "Pending at end of year",
                "Received during year"} <= set(table["columns"])
        assert "Annual cap: 10,000" in table["caption"]
        assert table["rows"][-1] == ["2021", "285,255", "37,164"]
        titles -= {"Measure", "Petitions", "Dashed line"}
    assert titles <= set(table["columns"]), titles - set(table["columns"])
    assert all(len(r) == len(table["columns"]) for r in table["rows"])


@pytest.mark.parametrize("name", BUILDERS)
def test_live_summary_is_a_compiled_signal(specs, name):
    vlc = pytest.importorskip("vl_convert")
    spec = specs[name]
    live = spec["usermeta"]["trustlab"]["live"]
    top = {p["name"]: p for p in spec.get("params", [])}
    assert live in top and top[live]["expr"]
    signals = [s["name"] for s in vlc.vegalite_to_vega(spec).get("signals", [])]
    assert live in signals


def _colours(spec):
    """(colour, is_text) for every literal colour in marks and value encodings."""
    for d in _walk(spec):
        mark = d.get("mark")
        if isinstance(mark, dict) and isinstance(mark.get("color"), str):
            yield mark["color"], mark.get("type") == "text"
        if isinstance(mark, dict) and mark.get("type") == "text":
            colour = d.get("encoding", {}).get("color", {})
            for c in colour.get("scale", {}).get("range", []) or []:
                yield c, True
        elif isinstance(mark, dict):
            colour = d.get("encoding", {}).get("color", {})
            for c in colour.get("scale", {}).get("range", []) or []:
                yield c, False


@pytest.mark.parametrize("name", BUILDERS)
def test_literal_colours_are_readable_on_white(specs, name):
    found = list(_colours(specs[name]))
    assert found
    for colour, is_text in found:
        assert contrast(colour) >= (4.5 if is_text else 3.0), (colour, is_text)


@pytest.mark.parametrize("choices", [
    {},
    {"publish_policy": True, "has_287g": True, "judicial_warrant_holds": True},
    {k: k != "has_287g" for k in practices.CHOICES},
])
def test_policy_live_sentence_agrees_with_python(choices):
    chart = charts.policy_builder()
    full = practices.check_choices(choices)
    text = _live_text(chart, **{f"pb_{k}": v for k, v in full.items()})
    card = practices.scorecard(full)
    assert f"meet {int(card['met'].sum())} of {len(card)} recommendations" in text
    if card["met"].all():
        assert "not yet met" not in text
    else:
        missing = text.split("not yet met: ")[1]
        assert missing.count(",") + 1 == int((~card["met"]).sum())
    assert ("a written policy" in text) != full["publish_policy"]


def test_every_policy_checkbox_changes_the_live_sentence():
    chart = charts.policy_builder()
    before = _live_text(chart)
    for key in practices.CHOICES:
        assert _live_text(chart, **{f"pb_{key}": True}) != before, key


def test_programs_live_sentence_matches_the_filters():
    chart = charts.programs_explorer()
    progs = load("programs")
    everything = _live_text(chart)
    assert everything.startswith(f"{len(progs)} of {len(progs)} programs match")
    text = _live_text(chart, pe_practice="detainer_limits")
    assert text.startswith("2 of 11 programs match (Limits on holds")
    assert "Seattle" not in everything  # more than five programs: the count only
    assert "Connecticut TRUST Act" in text and "California Values Act" in text
    # Unknown start years stay in; 2013 drops California (2018) and keeps Connecticut.
    text = _live_text(chart, pe_practice="detainer_limits", pe_year=2013)
    assert text.startswith("1 of 11") and "California" not in text
    assert _live_text(chart, pe_region="South").startswith("1 of 11")
    assert _live_text(chart, pe_practice="detainer_limits", pe_region="Midwest") \
        .startswith("No program matches")
    marked = _live_text(chart, pe_practice="detainer_limits", pe_evidence="none found")
    assert "Highlighted: 2 with evidence of results" in marked
    for control, value in [("pe_practice", "funding"), ("pe_region", "West"),
                           ("pe_year", 2010), ("pe_evidence", "descriptive")]:
        assert _live_text(chart, **{control: value}) != everything, control


def test_u_visa_live_sentence_follows_the_measure():
    chart = charts.u_visa_backlog()
    pending = _live_text(chart)
    received = _live_text(chart, uv_measure="Received during year")
    assert pending.startswith("Pending at end of year") and "285,255 in 2021" in pending
    assert received.startswith("Received during year") and "peak of 62,990 in 2017" in received


def _svg_width(spec) -> float:
    vlc = pytest.importorskip("vl_convert")
    return float(re.search(r'<svg[^>]*width="([\d.]+)"', vlc.vegalite_to_svg(spec)).group(1))


def test_programs_grid_fits_a_phone():
    """The grid has no numeric width for the book to shrink: its narrow layout alone must
    fit the 290 px a 320 px phone leaves, with program names wrapped, not cut off."""
    spec = charts.programs_explorer().to_dict()
    narrow = _merge(spec, spec["usermeta"]["trustlab"]["narrow"])
    narrow["title"] = ""  # the book re-wraps titles itself
    assert _svg_width(narrow) <= 290
    assert narrow["encoding"]["y"]["axis"]["labelExpr"] == "split(datum.label, '|')"
    rows = {v["row"] for v in spec["datasets"][next(iter(spec["datasets"]))]}
    assert max(len(line) for r in rows for line in r.split("|")) <= 18
    assert _svg_width(narrow) <= 280


def test_policy_builder_rows_fit_a_phone():
    """On a phone the builder stays one row per recommendation (status and evidence beside
    its name), with names and evidence wrapped; at the width the book shrinks it to, it fits."""
    spec = charts.policy_builder().to_dict()
    narrow = _merge(spec, spec["usermeta"]["trustlab"]["narrow"])
    narrow["title"] = ""  # the book re-wraps titles itself
    assert "hconcat" not in str(spec)
    assert _svg_width(narrow) <= 290  # no shrink needed: the status column keeps its width
    layers = narrow["vconcat"][1]["layer"]
    assert layers[2]["encoding"]["text"]["field"] == "evidence_lines"


def test_u_visa_chart_fits_a_phone():
    spec = charts.u_visa_backlog().to_dict()
    narrow = _merge(spec, spec["usermeta"]["trustlab"]["narrow"])
    narrow["title"] = ""
    narrow["width"] = 200  # what the book's shrink leaves of 560 at 290 px
    assert _svg_width(narrow) <= 290
    assert narrow["layer"][0]["encoding"]["x"]["axis"]["labelAngle"] == -90
