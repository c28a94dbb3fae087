"""A chart's phone layout is made when the book is built (trustlab/chartfit.py), so a phone
draws it with the Vega runtime alone. It must be exactly the runtime's own first fitting
(charts.js `fitted`), which the runtime still uses when it measures and fits again."""

from __future__ import annotations

import json

from conftest import open_page, wait_for_charts
from test_build import html_pages, static_dir

from trustlab.chartfit import PHONE_BOX, narrow_spec


def chart_specs(built_book):
    """{page: [(spec file, data-narrow file)]} for every chart of the built book."""
    import re

    out = {}
    for html in html_pages(built_book):
        found = re.findall(r'data-spec="(specs/[^"]+)" data-narrow="(specs/[^"]+)"',
                           html.read_text(encoding="utf-8"))
        if found:
            out[html.relative_to(built_book).as_posix()] = found
    return out


def test_every_chart_has_a_phone_layout_compiled_to_vega(built_book):
    specs = chart_specs(built_book)
    assert sum(len(v) for v in specs.values()) >= 17
    for page, pairs in specs.items():
        folder = static_dir(built_book, page) / "trustlab"
        for _lite, narrow in pairs:
            vg = json.loads((folder / narrow).read_text())
            assert vg.get("$schema", "").startswith("https://vega.github.io/schema/vega/"), \
                f"{page}: {narrow} is not a Vega spec"
            assert vg["config"]["legend"]["layout"]["bottom"]["direction"] == "vertical"


def test_the_build_fits_charts_exactly_as_the_runtime_does(browser, server, built_book):
    """For every chart: the phone layout at the scale the build chose, and at scale 1 for the
    box of a 375 px phone, are the same in Python and in the runtime."""
    specs = chart_specs(built_book)
    page, _, errors = open_page(browser, f"{server}/book/03-crime/index.html", width=375)
    wait_for_charts(page)
    differ, scaled = [], 0
    for name, pairs in specs.items():
        folder = static_dir(built_book, name) / "trustlab"
        for lite, narrow in pairs:
            spec = json.loads((folder / lite).read_text())
            scale = json.loads((folder / narrow).read_text())["usermeta"]["trustlabScale"]
            scaled += scale < 1
            for avail, k in ((PHONE_BOX, scale), (327, 1.0)):
                in_browser = page.evaluate("([s, a, k]) => window.trustlabCharts.fitted(s, a, k)",
                                           [spec, avail, k])
                if in_browser != json.loads(json.dumps(narrow_spec(spec, avail, k))):
                    differ.append(f"{name}: {lite} at {avail} px, scale {k}")
    page.close()
    assert not differ, "the build's phone layout differs from the runtime's:\n" + "\n".join(differ)
    assert scaled, "no chart needed its plots narrowed for a phone: the scaled case is untested"
    assert not errors


def test_a_phone_draws_every_chart_without_vega_lite_when_the_layout_fits(
        browser, server, built_book):
    requested: list[str] = []
    page, _, errors = open_page(browser, f"{server}/book/02-program/index.html", width=375)
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    wait_for_charts(page)
    fits = page.evaluate("[...document.querySelectorAll('.trustlab-chart')]"
                         ".map(c => c.dataset.fit)")
    page.close()
    assert fits and all(f == "true" for f in fits), fits
    assert any("vega-runtime.js" in u for u in requested)
    assert not any("vega-lite-bundle.js" in u for u in requested), \
        "a phone loaded Vega-Lite although every phone layout fitted"
    assert not errors


def test_the_runtime_uses_the_phone_box_the_build_made_the_layout_for():
    import re

    from conftest import ROOT

    js = (ROOT / "trustlab" / "static" / "trustlab" / "charts.js").read_text()
    assert re.search(rf"var PHONE_BOX = {PHONE_BOX};", js), \
        "charts.js and trustlab/chartfit.py disagree on the phone box"
