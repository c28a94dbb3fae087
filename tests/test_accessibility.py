"""Every reader, every device (issue #16), checked in headless Chromium on the built book:

* axe-core (npm ``axe-core``, pinned in package-lock.json) on every page, on a desktop and on a
  320 px phone, and in dark mode on the chart pages: no violation at all;
* at 320 px, no page scrolls sideways and every chart is drawn inside the viewport (a chart's
  box and its drawn SVG), and the same at 375 px and at 640 px (a 1280 px window at 200% zoom)
  for chart pages;
* from the keyboard alone, one control of every chart changes both the chart and its live
  line, which screen readers announce;
* every chart is one image with one name and one description, its marks hidden from assistive
  technology; tooltips can be hovered and dismissed with Esc (WCAG 1.4.13).

Each page is visited once per width: the audits below share what the visits collected.
"""

from __future__ import annotations

import pytest
from conftest import open_page, visit_pages, wait_for_charts
from test_build import html_pages, static_dir

pytestmark = pytest.mark.browser

def _violations(visits: dict[str, dict]) -> list[str]:
    return [f"{rel}: {v['impact']} {v['id']} ({v['help']}): {', '.join(v['nodes'])}"
            for rel, found in visits.items() for v in found["violations"]]


def test_axe_finds_no_violation_on_any_page_on_a_desktop(desktop_visits):
    assert len(desktop_visits) >= 30
    problems = _violations(desktop_visits)
    assert not problems, "axe-core, 1280 px:\n" + "\n".join(problems)


def test_axe_finds_no_violation_on_any_page_on_a_phone(phone_visits):
    assert len(phone_visits) >= 30
    problems = _violations(phone_visits)
    assert not problems, "axe-core, 320 px:\n" + "\n".join(problems)


def test_axe_finds_no_violation_in_dark_mode(browser, server, built_book):
    # The chapters (charts, tables, notes, citations) in the reader's dark colour scheme.
    dark = visit_pages(browser, server, built_book, dark=True, only=("book/0", "es/book/0"))
    assert len(dark) >= 10
    problems = _violations(dark)
    assert not problems, "axe-core, dark mode:\n" + "\n".join(problems)


def _overflow(visits: dict[str, dict], width: int) -> list[str]:
    problems = []
    for rel, found in visits.items():
        problems += [f"{rel}: {p}" for p in found["problems"]]
        if found["scrollWidth"] > found["clientWidth"]:
            problems.append(f"{rel}: the page is {found['scrollWidth']} px wide at {width} px "
                            "(it scrolls sideways)")
        for i, c in enumerate(found["charts"], 1):
            name = f"{rel}: chart {i} ({c['title']})"
            if c["svgRight"] is None:
                problems.append(f"{name}: not drawn")
                continue
            if c["fit"] != "true":
                problems.append(f"{name}: the chart runtime could not fit it")
            if min(c["left"], c["svgLeft"]) < 0 or max(c["right"], c["svgRight"]) > width + 0.5:
                problems.append(f"{name}: drawn from x={c['svgLeft']:.0f} to "
                                f"{c['svgRight']:.0f}, outside the {width} px viewport")
    return problems


def test_no_page_scrolls_sideways_and_every_chart_fits_at_320px(phone_visits):
    charts = sum(len(f["charts"]) for f in phone_visits.values())
    assert charts >= 17
    problems = _overflow(phone_visits, 320)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [375, 640])
def test_chart_pages_fit_at_375px_and_at_200_percent_zoom(browser, server, built_book, width):
    # A 1280 px window at 200% zoom lays pages out like a 640 px one.
    visits = visit_pages(browser, server, built_book, width=width, axe=False, only="charts")
    problems = _overflow(visits, width)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------------
# Keyboard and screen readers

# Focus one control of a chart and say how to change it with keys. Returns null when the
# chart has no control.
_FOCUS_CONTROL = """
(chart) => {
  const b = chart.querySelector('.vega-bindings');
  if (!b) return null;
  const el = b.querySelector('select, input[type=radio]:not(:checked), input[type=checkbox], '
                             + 'input[type=range]');
  if (!el) return null;
  el.focus();
  if (document.activeElement !== el) return {error: 'the control cannot take focus'};
  const kind = el.tagName === 'SELECT' ? 'select' : el.type;
  const lo = +el.min, hi = +el.max, v = +el.value;
  return {kind, name: el.getAttribute('aria-labelledby') ?
            document.getElementById(el.getAttribute('aria-labelledby')).textContent :
            (el.labels && el.labels[0] ? el.labels[0].textContent : ''),
          atMax: kind === 'range' && Math.abs(v - hi) < Math.abs(v - lo)};
}
"""
_KEYS = {"select": ["ArrowDown"], "checkbox": ["Space"], "radio": ["Space"]}


_STRUCTURE = """
(chart) => {
  const svg = chart.querySelector('.trustlab-chart-target svg');
  const out = [];
  if (!svg) return ['not drawn'];
  if (svg.getAttribute('role') !== 'img') out.push('the SVG is not one image (role=img)');
  if (svg.getAttribute('aria-label') !== chart.dataset.title)
    out.push('the SVG is not named by the chart title');
  const desc = document.getElementById(svg.getAttribute('aria-describedby') || '');
  if (!desc || !desc.textContent.trim()) out.push('the SVG has no description');
  if (chart.closest('[role=figure] [role=figure], figure [role=figure]'))
    out.push('a role=figure inside a figure');
  const named = [...svg.querySelectorAll('[aria-label], [role=graphics-symbol]')]
    .filter(n => !n.closest('[aria-hidden=true]'));
  if (named.length) out.push(named.length + ' marks exposed to assistive technology');
  chart.querySelectorAll('.vega-bind').forEach(b => {
    if (b.querySelector('input[type=radio]')) {
      const g = b.querySelector('[role=radiogroup]')
        || (b.getAttribute('role') === 'radiogroup' && b);
      if (!g || !document.getElementById(g.getAttribute('aria-labelledby') || ''))
        out.push('a radio group without a group label');
    }
    const range = b.querySelector('input[type=range]');
    if (range) {
      const label = document.getElementById(range.getAttribute('aria-labelledby') || '');
      if (!label || /\\d/.test(label.textContent) && label.textContent.includes(range.value))
        out.push('a slider named with its value');
    }
  });
  if (chart.querySelector('.vega-bindings') && !chart.querySelector('.trustlab-chart-live'))
    out.push('controls but no live line');
  return out;
}
"""


@pytest.fixture(scope="module")
def chart_checks(browser, server, built_book) -> dict:
    """Each chart page opened once: every chart's structure is checked, then one control
    of each chart is operated from the keyboard."""
    structure, keyboard, errors_seen = [], [], []
    seen = operated = 0
    for html in html_pages(built_book):
        if "trustlab-chart" not in html.read_text(encoding="utf-8"):
            continue
        rel = html.relative_to(built_book).as_posix()
        page, _, errors = open_page(browser, f"{server}/{rel}")
        for i in range(wait_for_charts(page)):
            chart = page.locator(".trustlab-chart").nth(i)
            name = f"{rel}: chart {i + 1} ({chart.get_attribute('data-title')})"
            seen += 1
            structure += [f"{name}: {p}" for p in chart.evaluate(_STRUCTURE)]
            if chart.locator(".trustlab-chart-table table").count() != 1:
                structure.append(f"{name}: no data table under the chart")
            result = _operate_by_keyboard(page, chart, name)
            if result is not None:
                operated += 1
                keyboard += result
        errors_seen += [f"{rel}: console error: {e}" for e in errors]
        page.close()
    return {"structure": structure, "keyboard": keyboard + errors_seen, "seen": seen,
            "operated": operated}


def _operate_by_keyboard(page, chart, name: str) -> list[str] | None:
    """Focus one control of the chart and change it with keys, as a keyboard user would;
    return the problems seen (None when the chart has no control)."""
    live = chart.locator(".trustlab-chart-live")
    svg_before = chart.locator(".trustlab-chart-target svg").inner_html()
    focus = chart.evaluate(_FOCUS_CONTROL)
    if focus is None:
        return None
    if "error" in focus:
        return [f"{name}: {focus['error']}"]
    problems = []
    if not focus["name"].strip():
        problems.append(f"{name}: its first control has no name")
    if live.count() != 1:
        return problems + [f"{name}: has controls but no live line"]
    if live.get_attribute("aria-live") != "polite":
        problems.append(f"{name}: the live line is not announced (aria-live)")
    live_before = live.text_content()
    if not live_before.strip():
        problems.append(f"{name}: the live line is empty")
    keys = _KEYS.get(focus["kind"]) or (["Home"] if focus["atMax"] else ["End"])
    for key in keys:
        page.keyboard.press(key)
    try:
        page.wait_for_function(
            "([el, b]) => el.querySelector('.trustlab-chart-target svg').innerHTML !== b",
            arg=[chart.element_handle(), svg_before], timeout=3_000)
    except Exception:
        problems.append(f"{name}: the chart did not change after {keys} on its "
                        f"{focus['kind']} control")
    if live.text_content() == live_before:
        problems.append(f"{name}: the live line still says {live_before!r} after {keys} on "
                        f"its {focus['kind']} control")
    return problems


def test_every_chart_is_one_named_described_image_with_labelled_controls(chart_checks):
    assert chart_checks["seen"] >= 17
    assert not chart_checks["structure"], "\n".join(chart_checks["structure"])


def test_one_control_of_every_chart_works_from_the_keyboard_and_is_announced(chart_checks):
    assert chart_checks["operated"] >= 14, f"only {chart_checks['operated']} charts had a control"
    assert not chart_checks["keyboard"], "\n".join(chart_checks["keyboard"])


def test_tooltip_can_be_hovered_and_dismissed_with_escape(browser, server, built_book):
    page, _, errors = open_page(browser, f"{server}/book/03-crime/index.html")
    wait_for_charts(page)
    tip = page.locator(".trustlab-tooltip")
    shown = False
    for chart in page.locator(".trustlab-chart").all():
        chart.scroll_into_view_if_needed()
        for mark in chart.locator("svg .role-mark path").all()[:40]:
            box = mark.bounding_box()
            if not box or box["width"] < 3 or box["height"] < 3 or box["y"] < 0 \
                    or box["y"] + box["height"] > 900:
                continue
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(80)
            if tip.count() and tip.is_visible():
                shown = True
                break
        if shown:
            break
    assert shown, "no tooltip appeared when the pointer rested on a mark"
    t = tip.bounding_box()
    page.mouse.move(t["x"] + t["width"] / 2, t["y"] + t["height"] / 2, steps=4)
    page.wait_for_timeout(900)  # longer than the runtime's hiding delay
    assert tip.is_visible(), "the tooltip disappeared when the pointer moved onto it"
    page.keyboard.press("Escape")
    assert not tip.is_visible(), "Esc did not dismiss the tooltip"
    assert not errors


def _interactions(node, found: list[str]) -> None:
    if isinstance(node, dict):
        for p in node.get("params", []) or []:
            if not isinstance(p, dict):
                continue
            bind, select = p.get("bind"), p.get("select")
            kind = select.get("type") if isinstance(select, dict) else select
            if bind in ("legend", "scales") or (isinstance(bind, dict) and "legend" in bind):
                found.append(f"{p['name']}: bound to {bind} (mouse only)")
            if kind == "interval":
                found.append(f"{p['name']}: a brush (mouse only)")
            if kind == "point" and not isinstance(bind, dict):
                found.append(f"{p['name']}: a click or hover selection without a control")
        for v in node.values():
            _interactions(v, found)
    elif isinstance(node, list):
        for v in node:
            _interactions(v, found)


def test_no_chart_in_the_book_needs_a_mouse(built_book):
    """Every interaction of every chart the book draws has a control: no legend clicks, no
    drag or wheel zoom (which also trapped page scrolling), no brush, no click-only or
    hover-only selection."""
    import json
    import re

    problems, specs = [], 0
    for html in html_pages(built_book):
        rel = html.relative_to(built_book).as_posix()
        # The page holds the compiled (Vega) spec; the chart's Vega-Lite spec is its spec file.
        for name in re.findall(r'<div class="trustlab-chart"[^>]*data-spec="([^"]+)"[^>]*><div '
                               r'class="trustlab-chart-target"></div><script type="application/'
                               r'json">', html.read_text(encoding="utf-8")):
            specs += 1
            found: list[str] = []
            spec_file = static_dir(built_book, html) / "trustlab" / name
            _interactions(json.loads(spec_file.read_text(encoding="utf-8")), found)
            problems += [f"{rel}: {f}" for f in found]
    assert specs >= 17
    assert not problems, "\n".join(problems)


def test_keyboard_focus_is_visible_on_the_theme_buttons_and_chart_controls(
        browser, server, built_book):
    """The sidebar toggle and the Download button had no focus ring (WCAG 2.4.7)."""
    page, _, errors = open_page(browser, f"{server}/book/04-trust/index.html")
    wait_for_charts(page)
    page.keyboard.press("Tab")  # keyboard use: browsers then show :focus-visible
    problems = []
    for selector in ("button.sidebar-toggle.primary-toggle", ".dropdown-download-buttons button",
                     ".trustlab-chart .vega-bindings select", ".trustlab-chart-desc summary"):
        el = page.locator(selector).filter(visible=True).first
        el.focus()
        ring = el.evaluate("e => { const s = getComputedStyle(e); return [e.matches("
                           "':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth)]; }")
        if not ring[0] or ring[1] == "none" or ring[2] < 2:
            problems.append(f"{selector}: no visible focus ring ({ring})")
    assert not problems, "\n".join(problems)
    assert not errors


def test_a_chart_refits_when_the_window_narrows_and_keeps_the_readers_settings(
        browser, server, built_book):
    """Rotating a phone or zooming in after the page has loaded narrows the chart's box: the
    chart is fitted again and the control the reader changed keeps its value."""
    page, _, errors = open_page(browser, f"{server}/book/03-crime/index.html")
    wait_for_charts(page)
    chart = page.locator(".trustlab-chart").nth(1)  # the difference-in-differences explorer
    menu = chart.locator(".vega-bindings select").first
    menu.select_option(index=2)
    chosen = menu.input_value()
    live = chart.locator(".trustlab-chart-live").text_content()
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_function("(el) => +el.dataset.fitWidth <= 360", arg=chart.element_handle(),
                           timeout=10_000)  # the runtime has fitted the chart to its new box
    assert chart.evaluate("el => el.querySelector('svg').getBoundingClientRect().right") <= 360
    assert chart.locator(".vega-bindings select").first.input_value() == chosen
    assert chart.locator(".trustlab-chart-live").text_content() == live
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not errors
