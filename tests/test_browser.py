"""Open the built book in headless Chromium, as a reader would, with the network unplugged:
every page loads with no request to another host and no console error, every chart draws,
and moving a chart control redraws the chart."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_build import html_pages

pytestmark = pytest.mark.browser
# pydata-sphinx-theme 0.17 (under sphinx-book-theme 1.3) logs this on a reader's first visit,
# before it falls back to the "auto" colour mode: the theme's own message, harmless, and the
# only console error tolerated. Anything else fails the test.
KNOWN_THEME_MESSAGE = "Got invalid theme mode: . Resetting to auto."
SHOTS = Path(__file__).resolve().parent.parent / "_build" / "screenshots"


def open_page(browser, url: str):
    """Open ``url``; return (page, external requests, console errors)."""
    external: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and m.text != KNOWN_THEME_MESSAGE else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    return page, external, errors


def wait_for_charts(page) -> int:
    n = page.locator(".trustlab-chart").count()
    if n:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.trustlab-chart')]"
            ".every(c => c.dataset.rendered)", timeout=20_000)
    return n


def test_every_page_offline_without_errors_and_charts_draw(browser, server, built_book):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems, charts_seen = [], 0
    for html in html_pages(built_book):
        rel = html.relative_to(built_book).as_posix()
        page, external, errors = open_page(browser, f"{server}/{rel}")
        n = wait_for_charts(page)
        charts_seen += n
        for i in range(n):
            chart = page.locator(".trustlab-chart").nth(i)
            if chart.get_attribute("data-rendered") != "true":
                problems.append(f"{rel}: chart {i + 1} failed to draw")
                continue
            marks = chart.locator("svg .mark-line path, svg .mark-rect path, svg .mark-symbol "
                                  "path, svg .mark-area path, svg .mark-shape path, "
                                  "svg .mark-arc path, svg .mark-rule line, svg .mark-bar path")
            if marks.count() == 0:
                problems.append(f"{rel}: chart {i + 1} drew no marks")
        if n:
            page.screenshot(path=str(SHOTS / (rel.replace("/", "__") + ".png")), full_page=True)
        problems += [f"{rel}: request to another host: {u}" for u in external]
        problems += [f"{rel}: console error: {e}" for e in errors]
        page.close()
    assert not problems, "\n".join(problems)
    assert charts_seen >= 1


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
    assert any(t.startswith("0.") for t in ticks_after), ticks_after  # shares run 0 to 1
    page.screenshot(path=str(SHOTS / "control-moved.png"), full_page=False)
    assert not external and not errors


# Operating one bound control of a chart, the way a reader would. Returns a label for the
# report, or None when the chart has no control.
_OPERATE = """
(chart) => {
  const b = chart.querySelector('.vega-bindings');
  if (!b) return null;
  const radio = [...b.querySelectorAll('input[type=radio]')].find(r => !r.checked);
  const sel = b.querySelector('select');
  const range = b.querySelector('input[type=range]');
  const box = b.querySelector('input[type=checkbox]');
  let what;
  if (sel && sel.options.length > 1) {
    sel.selectedIndex = (sel.selectedIndex + 1) % sel.options.length;
    sel.dispatchEvent(new Event('change', {bubbles: true}));
    what = 'select ' + sel.value;
  } else if (radio) {
    radio.click(); what = 'radio ' + radio.value;
  } else if (range) {
    const lo = +range.min, hi = +range.max, v = +range.value;
    range.value = String(Math.abs(v - hi) > Math.abs(v - lo) ? hi : lo);
    range.dispatchEvent(new Event('input', {bubbles: true}));
    range.dispatchEvent(new Event('change', {bubbles: true}));
    what = 'range ' + range.value;
  } else if (box) {
    box.click(); what = 'checkbox';
  } else return null;
  return what;
}
"""


def test_every_chart_control_redraws_its_chart(browser, server, built_book):
    """Every chart that has bound controls responds to the first of them, offline."""
    problems, operated = [], 0
    for html in html_pages(built_book):
        rel = html.relative_to(built_book).as_posix()
        page, external, errors = open_page(browser, f"{server}/{rel}")
        n = wait_for_charts(page)
        for i in range(n):
            chart = page.locator(".trustlab-chart").nth(i)
            before = chart.locator("svg").first.inner_html()
            what = chart.evaluate(_OPERATE)
            if what is None:
                continue
            operated += 1
            try:
                page.wait_for_function(
                    "([el, b]) => el.querySelector('svg').innerHTML !== b",
                    arg=[chart.element_handle(), before], timeout=5_000)
            except Exception:
                problems.append(f"{rel}: chart {i + 1} did not redraw after {what}")
        problems += [f"{rel}: request to another host: {u}" for u in external]
        problems += [f"{rel}: console error: {e}" for e in errors]
        page.close()
    assert not problems, "\n".join(problems)
    assert operated >= 1, "no chart with a control was found in the built book"
