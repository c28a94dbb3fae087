"""Open the built book in headless Chromium, as a reader would, with the network unplugged:
every page loads with no request to another host and no console error, every chart draws,
and moving a chart control redraws the chart (every chart's control, from the keyboard, is
tested in test_accessibility.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_page, wait_for_charts

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "_build" / "screenshots"


def test_every_page_offline_without_errors_and_charts_draw(desktop_visits):
    """Every page, opened with the network unplugged, makes no request to another host,
    logs no console error, and draws every chart with marks."""
    problems, charts_seen = [], 0
    for rel, found in desktop_visits.items():
        problems += [f"{rel}: {p}" for p in found["problems"]]
        for i, c in enumerate(found["charts"], 1):
            charts_seen += 1
            if c["rendered"] != "true":
                problems.append(f"{rel}: chart {i} failed to draw")
            elif c["marks"] == 0:
                problems.append(f"{rel}: chart {i} drew no marks")
    assert len(desktop_visits) >= 30
    assert not problems, "\n".join(problems)
    assert charts_seen >= 17


def test_altair_control_changes_the_chart(browser, server, built_book):
    page, external, errors = open_page(browser, f"{server}/notebooks/00-getting-started.html")
    wait_for_charts(page)
    chart = page.locator(".trustlab-chart").first
    before = chart.locator("svg").inner_html()
    ticks_before = chart.locator("svg .role-axis-label text").all_text_contents()
    chart.locator(".vega-bindings input[type=radio][value=\"Share of the year's total\"]").check()
    page.wait_for_function(
        "(b) => document.querySelector('.trustlab-chart svg').innerHTML !== b", arg=before)
    ticks_after = chart.locator("svg .role-axis-label text").all_text_contents()
    assert ticks_after != ticks_before
    # shares are percentages of the year's total, counts are not
    assert any(t.endswith("%") for t in ticks_after), ticks_after
    assert not any(t.endswith("%") for t in ticks_before), ticks_before
    page.screenshot(path=str(SHOTS / "control-moved.png"), full_page=False)
    assert not external and not errors


def test_a_spanish_chart_control_is_labelled_in_spanish_and_works(browser, server, built_book):
    """The Spanish edition's chart controls: Spanish labels, the same working control (its
    value stays English, so the chart's filters are the English chart's)."""
    page, external, errors = open_page(browser, f"{server}/es/book/01-history/index.html")
    wait_for_charts(page)
    radio = "input[type=radio][value=\"Share of the year's total\"]"
    chart = page.locator(".trustlab-chart", has=page.locator(radio)).first
    chart.scroll_into_view_if_needed()
    labels = chart.locator(".vega-bindings label").all_text_contents()
    assert any("Proporción del total del año" in t for t in labels), labels
    assert not any("Share of the year" in t for t in labels), labels
    before = chart.locator("svg").inner_html()
    ticks_before = chart.locator("svg .role-axis-label text").all_text_contents()
    chart.locator(radio).check()
    page.wait_for_function("([el, b]) => el.querySelector('svg').innerHTML !== b",
                           arg=[chart.element_handle(), before])
    ticks_after = chart.locator("svg .role-axis-label text").all_text_contents()
    assert any(t.endswith("%") for t in ticks_after) and ticks_after != ticks_before
    live = chart.locator(".trustlab-chart-live").inner_text()
    assert "proporciones" in live and "share" not in live, live
    assert not external and not errors
