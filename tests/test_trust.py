"""Chapter 4: the under-reporting model, its browser (Vega) version, the chart builders and
the facts the chapter leans on."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from trustlab import charts, data
from trustlab import underreporting as ur


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

