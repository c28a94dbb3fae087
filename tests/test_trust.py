"""Chapter 4: the under-reporting model, its browser (Vega) version, the chart builders and
the facts the chapter leans on."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import vl_convert as vlc
from chart_checks import all_params as _all_params
from chart_checks import live_text as _live_text
from chart_checks import narrow_merge as _merge
from chart_checks import walk as _walk

from trustlab import charts, data
from trustlab import underreporting as ur
from trustlab.charts.base import contrast


def test_no_silence_means_everyone_reports_at_the_baseline_rate():
    out = ur.simulate(victimisations=1000, report_rate=0.4, silence=0.0, clearance_rate=0.5)
    assert out.recorded == pytest.approx(400)
    assert out.cleared == pytest.approx(200)
    assert out.recorded_clearance_rate == pytest.approx(0.5)
    assert out.unreported == pytest.approx(600)


def test_silence_lowers_recorded_crime_by_affected_share_times_silence():
    base = ur.simulate(affected_share=0.2, silence=0.0)
    now = ur.simulate(affected_share=0.2, silence=0.5)
    assert now.victimisations == base.victimisations  # true crime never changes
    assert 1 - now.recorded / base.recorded == pytest.approx(0.2 * 0.5)


def test_published_clearance_rate_hides_most_of_the_loss():
    base = ur.simulate(silence=0.0)
    now = ur.simulate(silence=0.6)
    drop_published = base.recorded_clearance_rate - now.recorded_clearance_rate
    drop_all = base.share_of_victimisations_cleared - now.share_of_victimisations_cleared
    assert now.cleared < base.cleared
    assert 0 <= drop_published < drop_all


def test_no_witness_dependence_keeps_clearance_rate_unchanged():
    base = ur.simulate(silence=0.0, witness_dependence=0.0)
    now = ur.simulate(silence=0.9, witness_dependence=0.0)
    assert now.recorded_clearance_rate == pytest.approx(base.recorded_clearance_rate)


@pytest.mark.parametrize("kwargs, words", [
    ({"silence": 30}, "write 30% as 0.3"),
    ({"report_rate": -0.1}, "report_rate must be a share between 0 and 1"),
    ({"affected_share": float("nan")}, "affected_share"),
    ({"victimisations": -5}, "victimisations must be a number of 0 or more"),
])
def test_bad_input_gets_a_plain_message(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        ur.simulate(**kwargs)


def _eval_vega(expr: str, env: dict) -> float:
    # The model's Vega expressions use only arithmetic and, for rates, a ternary; evaluate the
    # arithmetic ones in Python to prove the browser computes what simulate() computes.
    py = expr.replace("datum.victimisations", "victimisations")
    return eval(py, {}, env)  # noqa: S307 - our own expression strings


@pytest.mark.parametrize("silence", [0.0, 0.25, 0.8])
def test_browser_formulas_match_python_model(silence):
    names = {k: k for k in ("affected_share", "report_rate", "silence", "clearance_rate",
                            "witness_dependence")}
    ex = ur.vega_expressions(names)
    env = {**ur.DEFAULTS, "silence": silence}
    out = ur.simulate(**env)
    for key in ("recorded", "cleared", "unreported"):
        assert _eval_vega(ex[key], env) == pytest.approx(getattr(out, key)), key


def _params(spec) -> list[str]:
    return list(charts.param_names(spec))


def test_chapter_charts_have_descriptions_sources_and_distinct_controls():
    built = [charts.survey_by_status(), charts.ncvs_reporting_rates(),
             charts.police_changes_2017(), charts.underreporting_simulator(report_rate=0.449)]
    names = []
    for chart in built:
        spec = chart.to_dict()
        assert spec["description"].strip()
        assert any("Source:" in s for s in spec["title"]["subtitle"])
        ps = [p for p in _params(spec) if p.startswith("ch4_")]
        assert ps, "every chapter 4 chart is interactive"
        names.extend(set(ps))
        assert len(json.dumps(spec)) < 60_000, "charts stay small (aggregated data)"
    assert len(names) == len(set(names)), f"two charts share a parameter name: {names}"


def test_survey_chart_prints_sample_size_or_says_it_is_unpublished():
    spec = charts.survey_by_status().to_dict()
    values = next(iter(spec["datasets"].values()))
    labels = {v["bar"] + "|" + v["item"]: v["label"] for v in values}
    assert all(("n = " in lab) or ("n not published" in lab) for lab in labels.values())
    assert any("n = 2,004" in lab for lab in labels.values())


def test_facts_the_chapter_relies_on():
    s = data.load("survey_results").set_index("id")
    assert s.loc["theodore-victim-all", "n_total"] == 2004
    assert s.loc["theodore-victim-undocumented", "percent"] == 70
    assert pd.isna(s.loc["theodore-victim-undocumented", "n_subgroup"])
    assert s.loc["wong-witness", "measure"].startswith("experimental effect")
    n = data.load("ncvs_reporting").set_index(["year", "crime_type"])
    assert n.loc[(2017, "Violent crime"), "percent_reported"] == 44.9
    assert n.loc[(2016, "Violent crime"), "percent_reported"] == 43.9
    p = data.load("police_reported_changes_2017").set_index("id")
    assert (p["window_end"] >= p["window_start"]).all()
    assert p.loc["houston-rape-hispanic", "pct_change"] == -42.8
    # 2026 review: the chief's own figure (CW39, 5 April 2017), not the lower bound "more than 8%"
    assert p.loc["houston-rape-nonhispanic", "pct_change"] == 8.2
    assert "cw392017hpd" in p.loc["houston-rape-nonhispanic", "source"]
    # Los Angeles domestic-violence counts (2026 review): the announced -10% must match them
    dv = p.loc["la-dv-hispanic"]
    assert (dv["count_before"], dv["count_after"]) == (1120, 1002)
    assert abs(100 * (dv["count_after"] / dv["count_before"] - 1) - dv["pct_change"]) < 1



# ------------------------------------------------------------------------------------------
# Accessibility (issue #16): keyboard controls, data tables, live summaries, contrast, phones.

BUILDERS = {
    "surveys": charts.survey_by_status,
    "ncvs": charts.ncvs_reporting_rates,
    "police": charts.police_changes_2017,
    "simulator": lambda: charts.underreporting_simulator(report_rate=0.449),
}


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    return {name: build().to_dict() for name, build in BUILDERS.items()}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_interaction_works_from_the_keyboard(specs, name):
    spec = specs[name]
    for p in _all_params(spec):
        bind = p.get("bind")
        assert bind not in ("legend", "scales"), f"{p['name']}: mouse-only binding {bind!r}"
        select = p.get("select")
        kind = select.get("type") if isinstance(select, dict) else select
        assert kind != "interval", f"{p['name']}: a brush cannot be used from the keyboard"
        if kind == "point" or (select is None and "expr" not in p):
            assert isinstance(bind, dict) and "input" in bind, f"{p['name']} has no control"
            assert ":" not in bind.get("name", ""), f"{p['name']}: label with a colon"


# For each chart: the tooltip titles and the data-table column that carries each one.
TOOLTIP_COLUMNS = {
    "surveys": {"Survey": "Survey", "Place": "Place", "Subgroup": "Group or outcome",
                "Bar": "Group or outcome", "Percent": "Percent", "Respondents": "Respondents",
                "Confidence": "Confidence"},
    "ncvs": {"Type of crime": "Type of crime", "Year": "Reported to police, 2017",
             "Other year": "Reported to police, 2016",
             "Percent reported": "Reported to police, 2017",
             "Reported per 1,000": "Reported per 1,000, 2017",
             "Change from 2016 significant at (%)": "BJS marks 2017 as different from 2016 at"},
    "police": {"City": "City", "Measure": "Measure", "Victims": "Victims", "Change": "Change",
               "Window": "Window", "Announced": "Announced", "By": "Announced by",
               "Confidence": "Confidence"},
    "simulator": {"Step": "Reported (recorded crime)", "Number": "Cleared by police",
                  "Silent share": "Share of affected victims who stay silent",
                  "Series": "Cleared by police"},
}

# One row each chart's table must contain (formatted as readers see it).
TABLE_ROWS = {
    "surveys": ["Theodore 2013: less likely to contact police if a victim", "Undocumented",
                "70%", "share of respondents", "n not published"],
    "ncvs": ["Violent crime", "Violent crime", "43.9%", "44.9%", "8.6", "9.2"],
    "police": ["Houston", "rapes reported", "Hispanic victims", "\u221242.8%",
               "first quarter (Jan\u2013Mar 2017)", "5 April 2017"],
    "simulator": ["30% (default)", "422", "186", "44.0%", "18.6%"],
}


@pytest.mark.parametrize("name", BUILDERS)
def test_data_table_holds_what_the_tooltips_show(specs, name):
    spec = specs[name]
    table = spec["usermeta"]["trustlab"]["table"]
    assert table["caption"].strip()
    titles = {t["title"] for d in _walk(spec) for t in
              (d.get("tooltip") if isinstance(d.get("tooltip"), list) else [])}
    assert titles, "the chart has tooltips"
    for title in titles:
        assert TOOLTIP_COLUMNS[name].get(title) in table["columns"], \
            f"tooltip {title!r} has no column in the data table"
    want = TABLE_ROWS[name]
    assert any(all(w in row for w in want) for row in table["rows"]), f"no row with {want}"
    assert all(isinstance(c, str) for row in table["rows"] for c in row)


# Each chart's controls with a value other than the default, and words the result must have.
CONTROL_CHANGES = {
    "surveys": ({"ch4_question": "Pew 2014: confidence police will not use excessive force"},
                "Black 36%"),
    "ncvs": ({"ch4_year": 2016}, "2016"),
    "police": ({"ch4_city": "Houston"}, "Houston, 5 announced changes"),
    "simulator": ({"ch4_silence": 0.0}, "police record 449 of 1,000"),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_live_summary_is_a_compiled_signal(specs, name):
    spec = specs[name]
    live = spec["usermeta"]["trustlab"]["live"]
    top = {p["name"]: p for p in spec.get("params", [])}
    assert live in top and top[live]["expr"], "the live summary is a top-level expression"
    assert live.startswith("ch4_")
    assert any(s["name"] == live for s in vlc.vegalite_to_vega(spec)["signals"])


@pytest.mark.parametrize("name", BUILDERS)
def test_every_control_changes_the_live_result(specs, name):
    spec = specs[name]
    default = _live_text(spec)
    assert re.search(r"\d", default), "the sentence states a result (numbers)"
    controls = [p for p in spec.get("params", []) if isinstance(p.get("bind"), dict)]
    assert controls
    for p in controls:
        b = p["bind"]
        other = (next(o for o in b["options"] if o != p["value"]) if "options" in b
                 else round(min(b["max"], p["value"] + 0.2), 2))
        assert _live_text(spec, **{p["name"]: other}) != default, \
            f"moving {p['name']} does not change the live summary"
    change, words = CONTROL_CHANGES[name]
    assert words in _live_text(spec, **change)


def test_ncvs_live_summary_follows_the_category_menu(specs):
    text = _live_text(specs["ncvs"], ch4_category="Property crime")
    assert "property crime highlighted: 35.7%" in text and "35.2% in 2016" in text
    assert "79.0% (motor vehicle theft)" in text


def test_simulator_live_summary_matches_the_python_model(specs):
    out = ur.simulate(**{**ur.DEFAULTS, "report_rate": 0.449, "silence": 0.6,
                         "affected_share": 0.4})
    text = _live_text(specs["simulator"], ch4_silence=0.6, ch4_affected=0.4)
    assert f"police record {out.recorded:,.0f} of 1,000" in text
    assert f"clear {out.cleared:,.0f}" in text
    assert f"Published clearance rate {out.recorded_clearance_rate:.1%}" in text


def _mark_colours(spec):
    """(mark type, literal colour) for every colour written into a mark or a mark's encoding."""
    for d in _walk(spec):
        mark = d.get("mark")
        if mark is None:
            continue
        kind = mark if isinstance(mark, str) else mark.get("type")
        props = mark if isinstance(mark, dict) else {}
        enc = d.get("encoding", {})
        for key in ("color", "fill", "stroke"):
            for v in (props.get(key), (enc.get(key) or {}).get("value")):
                if isinstance(v, str) and v.startswith("#"):
                    yield kind, v


@pytest.mark.parametrize("name", BUILDERS)
def test_literal_colours_have_enough_contrast(specs, name):
    spec = specs[name]
    for kind, colour in _mark_colours(spec):
        need = 4.5 if kind == "text" else 3.0
        assert contrast(colour) >= need, f"{kind} mark in {colour}: {contrast(colour):.2f}:1"
    for d in _walk(spec):
        scale = d.get("scale")
        if isinstance(scale, dict) and isinstance(scale.get("range"), list):
            for c in scale["range"]:
                if isinstance(c, str) and c.startswith("#"):
                    assert contrast(c) >= 3.0, f"colour {c}: {contrast(c):.2f}:1"


@pytest.mark.parametrize("name", BUILDERS)
def test_phone_layout_compiles_and_no_label_is_cut(specs, name):
    spec = specs[name]
    narrow = spec["usermeta"]["trustlab"]["narrow"]
    small = _merge(spec, narrow)
    vlc.vegalite_to_vega(small)  # the merged spec is still valid Vega-Lite
    # Category labels: no cut-off (labelLimit) hides them; on phones they break at "|".
    exprs = [d["labelExpr"] for d in _walk(small) if "labelExpr" in d]
    values = [v for d in (spec.get("datasets") or {}).values() for v in d]
    for d in _walk(spec):
        y = (d.get("encoding") or {}).get("y") or {}
        if y.get("type") == "nominal" and "field" in y:
            labels = {v[y["field"]] for v in values if y["field"] in v}
            assert labels
            longest = max(len(piece) for lab in labels for piece in lab.split("|"))
            assert longest <= 28, f"a {y['field']} label line is {longest} characters"
            assert any("split(datum.label, '|')" == e for e in exprs), "labels never wrap"
    # No annotation placed at a fixed pixel x that a 250 px plot could not hold.
    for d in _walk(small):
        x = (d.get("encoding") or {}).get("x") or {}
        assert not (isinstance(x.get("value"), (int, float)) and x["value"] > 250)
