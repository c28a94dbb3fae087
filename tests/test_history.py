"""Chapter 1: fiscal years vs presidential terms, the history datasets and their charts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from chart_checks import all_params as _all_params
from chart_checks import live_text as _live_text
from chart_checks import walk as _walk

from trustlab import charts, history, load


@pytest.fixture(scope="module")
def admins():
    return load("administrations")


@pytest.fixture(scope="module")
def removals():
    return load("removals_returns")


# ------------------------------------------------------------------------------------------
# Fiscal-year calendar and the assignment rules


def test_fiscal_year_calendar_changed_in_1977():
    assert history.fiscal_year_bounds(1954) == (date(1953, 7, 1), date(1954, 6, 30))
    assert history.fiscal_year_bounds(1976) == (date(1975, 7, 1), date(1976, 6, 30))
    assert history.fiscal_year_bounds(1977) == (date(1976, 10, 1), date(1977, 9, 30))
    assert history.fiscal_year_bounds(2009) == (date(2008, 10, 1), date(2009, 9, 30))


@pytest.mark.parametrize(("fy", "expected"), [
    (1929, "Coolidge"),      # Hoover took office 4 March 1929: a third of the year
    (1933, "Hoover"),        # Roosevelt from 4 March 1933: under half
    (1945, "Roosevelt"),     # Truman from 12 April 1945
    (1953, "Truman"),        # old July calendar: January inauguration -> outgoing president
    (1954, "Eisenhower"),    # Operation Wetback's fiscal year
    (1964, "Johnson"),       # Kennedy killed 22 November 1963
    (1975, "Ford"),          # Nixon resigned 9 August 1974
    (1977, "Carter"),        # new October calendar: January inauguration -> incoming
    (2009, "Obama"),
    (2017, "Trump I"),
])
def test_majority_rule(fy, expected, admins):
    assert history.fiscal_year_administration(fy, admins) == expected


def test_starts_in_term_rule_differs_after_1977(admins):
    assert history.fiscal_year_administration(2009, admins, "starts_in_term") == "Bush 43"
    assert history.fiscal_year_administration(2017, admins, "starts_in_term") == "Obama"
    assert history.fiscal_year_administration(1964, admins, "starts_in_term") == "Kennedy"


def test_unknown_rule_is_a_clear_error(admins):
    with pytest.raises(ValueError, match="unknown rule 'calendar'"):
        history.fiscal_year_administration(2009, admins, "calendar")


def test_unknown_administration_is_a_clear_error(admins):
    with pytest.raises(ValueError, match="no administration 'Lincoln'"):
        history.fiscal_years_of("Lincoln", admins)


def test_stored_fiscal_years_follow_the_rule(admins):
    """first_fy / last_fy in the CSV are what the stated rule gives (recomputed here)."""
    for row in admins.itertuples(index=False):
        fys = history.fiscal_years_of(row.administration, admins)
        assert fys[0] == row.first_fy, row.administration
        if pd.isna(row.left_office):
            assert pd.isna(row.last_fy), row.administration
        else:
            assert fys[-1] == row.last_fy, row.administration
            assert fys == list(range(fys[0], fys[-1] + 1)), "fiscal years must be contiguous"


def test_administrations_do_not_overlap_and_chain(admins):
    a = admins.sort_values("took_office").reset_index(drop=True)
    for prev, nxt in zip(a.iloc[:-1].itertuples(), a.iloc[1:].itertuples(), strict=True):
        assert prev.left_office == nxt.took_office, (prev.administration, nxt.administration)
        assert nxt.first_fy == prev.last_fy + 1, "every fiscal year goes to one administration"


# ------------------------------------------------------------------------------------------
# Totals by administration (the fact-check numbers)


def test_obama_totals_are_the_sum_of_fiscal_2009_to_2016(removals, admins):
    t = history.totals_by_administration(removals, admins).set_index("administration")
    part = removals[(removals["fiscal_year"] >= 2009) & (removals["fiscal_year"] <= 2016)]
    assert t.loc["Obama", "removals"] == int(part["removals"].sum())
    assert t.loc["Obama", "returns"] == int(part["returns"].sum())
    assert t.loc["Obama", "total"] > 5_000_000 > t.loc["Obama", "removals"]
    assert t.loc["Obama", "complete"]
    assert not t.loc["Trump I", "complete"], "the data end in FY2019, before Trump I's FY2020"
    assert not t.loc["Coolidge", "complete"], "returns start in FY1927"


def test_rule_changes_the_totals(removals, admins):
    maj = history.totals_by_administration(removals, admins, "majority").set_index(
        "administration")
    sit = history.totals_by_administration(removals, admins, "starts_in_term").set_index(
        "administration")
    assert (maj.loc["Obama", "first_fy"], sit.loc["Obama", "first_fy"]) == (2009, 2010)
    assert maj.loc["Obama", "total"] != sit.loc["Obama", "total"]


def test_totals_cover_every_fiscal_year_once(removals, admins):
    t = history.totals_by_administration(removals, admins)
    with_returns = removals.dropna(subset=["returns"])
    assert t["removals"].sum() == with_returns["removals"].sum()
    assert t["returns"].sum() == with_returns["returns"].sum()


# ------------------------------------------------------------------------------------------
# Datasets agree with each other


def test_wetback_rows_repeat_the_dhs_table(removals):
    est = load("historic_estimates").set_index("id")
    fy54 = removals.set_index("fiscal_year").loc[1954]
    assert est.loc["wetback_fy1954_returns", "estimate_low"] == fy54["returns"]
    assert est.loc["wetback_fy1954_removals", "estimate_low"] == fy54["removals"]


def test_estimates_are_ordered_and_bounds_are_single_figures():
    est = load("historic_estimates")
    assert (est["estimate_low"] <= est["estimate_high"]).all()
    single = est[est["kind"] != "range"]
    assert (single["estimate_low"] == single["estimate_high"]).all()


def test_removals_table_is_sorted_and_complete(removals):
    fys = removals["fiscal_year"].tolist()
    assert fys == sorted(fys) and fys == list(range(1892, 2020))
    assert removals.loc[removals["fiscal_year"] < 1927, "returns"].isna().all()


def test_timeline_is_sorted_with_short_labels():
    tl = load("timeline")
    assert tl["date"].is_monotonic_increasing
    assert (tl["event"].str.len() <= 60).all()
    year = tl[tl["date_precision"] == "year"]
    assert ((year["date"].dt.month == 1) & (year["date"].dt.day == 1)).all()
    assert 30 <= len(tl) <= 45


# ------------------------------------------------------------------------------------------
# Charts: controls, alt text, no NaN in the spec


def _params(spec) -> set[str]:
    return set(charts.param_names(spec))


@pytest.mark.parametrize(("build", "params"), [
    (charts.timeline, {"ch1_tl_category", "ch1_tl_from_year", "ch1_tl_to_year"}),
    (charts.historic_estimates, {"ch1_est_episode"}),
    (charts.administration_totals, {"ch1_adm_rule", "ch1_adm_show"}),
    (lambda: charts.removals_returns(administrations=True, key="ch1_rr_"),
     {"ch1_rr_measure", "ch1_rr_from_year", "ch1_rr_to_year"}),
])
def test_chapter_charts_have_controls_and_descriptions(build, params):
    chart = build()
    spec = chart.to_dict()
    assert params <= _params(spec)
    assert len(spec["description"]) > 100
    assert "NaN" not in chart.to_json()


def test_removals_chart_default_is_unchanged_for_chapter_0():
    spec = charts.removals_returns().to_dict()
    assert {"measure", "from_year", "to_year"} <= _params(spec)
    assert "zoom" not in _params(spec), "drag/wheel zoom traps page scrolling"
    assert "administrations" not in str(spec.get("title"))
    assert "layer" not in spec


def test_shaded_removals_chart_labels_administrations():
    spec = charts.removals_returns(administrations=True, key="x_").to_dict()
    text = str(spec)
    assert "Eisenhower" in text and "Obama" in text
    assert "presidential administrations" in spec["description"]


# ------------------------------------------------------------------------------------------
# Charts work for every reader (issue #16): keyboard controls, a data table with every
# tooltip's content, a live sentence that follows every control, readable colours


CHAPTER_CHARTS = {
    "timeline": charts.timeline,
    "estimates": charts.historic_estimates,
    "administrations": charts.administration_totals,
    "removals_ch1": lambda: charts.removals_returns(administrations=True, key="ch1_rr_"),
    "removals_ch0": charts.removals_returns,
}


@pytest.fixture(scope="module", params=list(CHAPTER_CHARTS))
def spec(request):
    return CHAPTER_CHARTS[request.param]().to_dict()


def test_every_interaction_works_from_the_keyboard(spec):
    for p in _all_params(spec):
        bind = p.get("bind")
        assert bind not in ("legend", "scales"), f"{p['name']}: mouse-only binding {bind!r}"
        select = p.get("select")
        kind = select if isinstance(select, str) else (select or {}).get("type")
        assert kind != "interval", f"{p['name']}: a drag brush has no keyboard path"
        if kind == "point":
            assert isinstance(bind, dict) and "input" in bind, f"{p['name']}: needs a control"
        if isinstance(bind, dict):
            assert bind.get("name", "").strip() and ":" not in bind["name"], p["name"]


def _tooltip_values(spec) -> list[str]:
    """What the tooltips can show: each tooltip field's raw values in the chart's data
    (strings as they are, numbers as "1,234"), for fields stored in the data."""
    datasets = spec.get("datasets", {})
    out: list[str] = []

    def visit(node, rows):
        if isinstance(node.get("data"), dict) and "name" in node["data"]:
            rows = datasets[node["data"]["name"]]
        tips = (node.get("encoding") or {}).get("tooltip") or []
        for tip in tips if isinstance(tips, list) else [tips]:
            for r in rows:
                v = r.get(tip.get("field"))
                if isinstance(v, str):
                    out.append(v)
                elif isinstance(v, int | float):  # as the tooltip formats it
                    out.append(f"{v:.0f}" if tip.get("format") == "d" else f"{v:,.0f}")
        for child in node.get("layer", []) + node.get("vconcat", []) + node.get("hconcat", []):
            visit(child, rows)

    visit(spec, [])
    return out


def test_data_table_holds_everything_the_tooltips_show(spec):
    table = spec["usermeta"]["trustlab"]["table"]
    assert table["caption"] and table["rows"]
    assert all(len(r) == len(table["columns"]) for r in table["rows"])
    text = "\n".join(table["columns"] + [c for r in table["rows"] for c in r])
    values = _tooltip_values(spec)
    assert values, "every chart here has tooltips"
    missing = sorted({v for v in values if v not in text})
    assert not missing, f"tooltip content missing from the data table: {missing[:5]}"


def test_live_sentence_is_a_signal_of_the_compiled_chart(spec):
    import vl_convert as vlc

    name = spec["usermeta"]["trustlab"]["live"]
    top = {p["name"]: p for p in spec.get("params", [])}
    assert name in top and top[name].get("expr"), "the live summary is a top-level expression"
    signals = {s["name"] for s in vlc.vegalite_to_vega(spec).get("signals", [])}
    assert name in signals


def _other_value(bind: dict, value):
    if "options" in bind:
        return next(o for o in bind["options"] if o != value)
    return (bind["min"] + bind["max"]) // 2


def test_live_sentence_states_the_view_and_follows_every_control(spec):
    default = _live_text(spec)
    assert default.endswith(".") and len(default) > 40 and "undefined" not in default
    assert "NaN" not in default
    controls = [p for p in spec.get("params", []) if isinstance(p.get("bind"), dict)]
    assert controls
    for p in controls:
        changed = _live_text(spec, {p["name"]: _other_value(p["bind"], p["value"])})
        assert changed != default, f"moving {p['name']} must change the live sentence"
        assert "undefined" not in changed and "NaN" not in changed


def test_live_sentences_give_results():
    """The live line states what the view shows, with the numbers, not just the settings."""
    rr = charts.removals_returns(key="k_").to_dict()
    text = _live_text(rr, {"k_from_year": 1950, "k_to_year": 1960,
                           "k_measure": "Share of the year's total"})
    assert text.startswith("Fiscal 1950–1960 (11 years), shares: returns were 9")
    tl = charts.timeline().to_dict()
    text = _live_text(tl, {"ch1_tl_category": "Law", "ch1_tl_from_year": 1979,
                           "ch1_tl_to_year": 2003})
    assert text.startswith("Law, 1979–2003: 3 events, from Immigration Reform and Control Act")
    text = _live_text(tl, {"ch1_tl_category": "Agency", "ch1_tl_from_year": 1950,
                           "ch1_tl_to_year": 1990})
    assert "no events" in text
    adm = charts.administration_totals().to_dict()
    assert "most under Clinton (12,290,905" in _live_text(adm)


def _literal_colours(spec, marks: tuple[str, ...]) -> list[str]:
    out = []
    for n in _walk(spec):
        mark = n.get("mark")
        if isinstance(mark, dict) and mark.get("type") in marks:
            out += [mark[k] for k in ("color", "fill", "stroke") if isinstance(mark.get(k), str)]
    return out


def test_text_and_lines_drawn_in_the_charts_are_readable(spec):
    from trustlab.charts.base import contrast

    for colour in _literal_colours(spec, ("text",)):
        assert contrast(colour) >= 4.5, f"text colour {colour} is too faint on white"
    for colour in _literal_colours(spec, ("rule", "line", "point", "circle", "tick")):
        assert contrast(colour) >= 3, f"mark colour {colour} is too faint on white"
    subtitle = str(spec["title"].get("subtitle", ""))
    for word in ("hover", "click", "drag", "scroll"):
        assert word not in subtitle.lower(), f"subtitle still says {word!r}"


def test_long_labels_wrap_instead_of_being_cut(spec):
    for n in _walk(spec):
        axis = n.get("axis") if isinstance(n.get("axis"), dict) else None
        if axis and axis.get("labelLimit"):
            pytest.fail(f"an axis cuts its labels at {axis['labelLimit']} px")
    assert spec["usermeta"]["trustlab"].get("narrow"), "each chart says how it fits a phone"


def test_estimate_labels_have_a_wide_and_a_narrow_layout():
    spec = charts.historic_estimates().to_dict()
    rows = next(iter(spec["datasets"].values()))
    for r in rows:
        wide, narrow = r["row"].split("^")
        assert all(len(line) <= 34 for line in wide.split("|")), wide
        assert all(len(line) <= 17 for line in narrow.split("|")), narrow
    narrow_axis = spec["usermeta"]["trustlab"]["narrow"]["layer"][0]["encoding"]["y"]["axis"]
    assert "[1]" in narrow_axis["labelExpr"]


# ------------------------------------------------------------------------------------------
# Exercise set 1: a student who gets it wrong is told why


@pytest.fixture(scope="module")
def student_ns(removals, admins):
    from pathlib import Path

    from trustlab.checks import Checker

    ns = {"removals": removals, "admins": admins, "estimates": load("historic_estimates")}
    folder = Path(__file__).resolve().parent.parent / "exercises" / "student"
    return ns, Checker("01-history", folder=folder, ns=ns)


def test_exercise_wrong_answers_get_teaching_feedback(student_ns, removals):
    ns, grader = student_ns
    fy = removals.set_index("fiscal_year")
    ns["removals_1930s"] = int(fy.loc[1930:1939, ["removals", "returns"]].sum().sum())
    ns["ratio_1954"] = round(fy.loc[1954, "removals"] / fy.loc[1954, "returns"], 1)
    est = ns["estimates"]
    ns["spread"] = round(est["estimate_high"].max() / est["estimate_high"].min(), 1)
    ns["q6_answer"] = "b"
    assert "did you add returns" in grader.check("q1").text()
    assert "divided removals by returns" in grader.check("q2").text()
    assert "Operation Wetback rows" in grader.check("q7").text()
    text = grader.check("q6").text()
    assert '"b" is not the best answer' in text and "Hint:" in text


def test_exercise_function_with_off_by_one_is_told_what_to_check(student_ns):
    ns, grader = student_ns

    def total_for(removals, admins, name):  # excludes the last fiscal year
        row = admins[admins["administration"] == name].iloc[0]
        years = removals[(removals["fiscal_year"] >= row["first_fy"])
                         & (removals["fiscal_year"] < row["last_fy"])]
        return int(years["removals"].sum() + years["returns"].sum())

    ns["total_for"] = total_for
    text = grader.check("q5").text()
    assert "not yet" in text and "1981 to 1988" in text and "both ends included" in text
