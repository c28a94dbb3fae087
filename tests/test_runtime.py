"""Light chart pages (issue #17): a chart is inlined compiled to Vega with its large datasets
written column by column; Vega-Lite and the chart's Vega-Lite spec file are fetched only when
a chart must be fitted to a narrow box."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
from conftest import open_page, wait_for_charts

from trustlab.sphinxext import PACKED, chart_html, pack_rows, unpack_rows

CRIME = "book/03-crime/index.html"


def _rows(n: int = 30) -> list[dict]:
    return [{"state": f"S{i % 7}", "year": 2000 + i, "rate": None if i % 5 == 0 else i / 3,
             "flag": i % 2 == 0, "key": f"k{i}",
             "note": "a \"quoted\" </script> note" if i == 3 else ""}
            for i in range(n)]


def _embedded(out: str) -> dict:
    raw = out.split('<script type="application/json">')[1].split("</script>")[0]
    return json.loads(raw.replace("<\\/", "</"))


def test_rows_are_packed_by_column_and_unpack_to_the_same_rows():
    rows = _rows()
    packed = pack_rows(rows)
    assert set(packed[PACKED]) == {"state", "year", "rate", "flag", "key", "note"}
    assert packed["rows"] == 30 and packed[PACKED]["year"][:2] == [2000, 2001]
    # Repeated strings: each distinct value once, and an index per row.
    assert packed[PACKED]["state"]["levels"] == [f"S{i}" for i in range(7)]
    assert packed[PACKED]["state"]["codes"][:9] == [0, 1, 2, 3, 4, 5, 6, 0, 1]
    assert isinstance(packed[PACKED]["key"], list)  # distinct strings: levels would not pay
    assert len(json.dumps(packed)) < 0.6 * len(json.dumps(rows))
    assert unpack_rows(packed) == rows
    assert [list(r) for r in unpack_rows(packed)] == [list(r) for r in rows]  # key order too


def test_rows_that_cannot_be_packed_losslessly_stay_as_they_are():
    few = _rows(3)
    ragged = _rows(10)
    ragged[4] = {"year": 1}
    reordered = _rows(10)
    reordered[2] = dict(reversed(list(reordered[2].items())))
    scalars = list(range(20))
    for values in (few, ragged, reordered, scalars, {"url": "x.csv"}):
        assert pack_rows(values) is values


def test_the_page_holds_the_compiled_chart_and_the_spec_file_the_rest(tmp_path):
    df = pd.DataFrame(_rows(40)).drop(columns=["note"])
    pick = alt.param(name="t_year", value=2001,
                     bind=alt.binding_range(min=2000, max=2039, step=1, name="Year"))
    spec = (alt.Chart(df).mark_line().encode(x="year:O", y="rate:Q").add_params(pick)
            .properties(description="Rates by year.", title="Rates").to_dict())
    out = chart_html(spec, tmp_path)
    vega = _embedded(out)
    assert vega["$schema"].startswith("https://vega.github.io/schema/vega/")
    assert any(s["name"] == "t_year" and "bind" in s for s in vega["signals"])
    name = re.search(r'data-spec="specs/([0-9a-f]{16}\.json)"', out).group(1)
    lite = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert lite["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    # The data is on the page once, packed; the spec file names it and leaves it out.
    (dataset,) = spec["datasets"]
    assert lite["datasets"] == {dataset: None}
    packed = next(d for d in vega["data"] if d["name"] == dataset)["values"]
    assert PACKED in packed and unpack_rows(packed) == spec["datasets"][dataset]
    assert dict(lite, datasets=spec["datasets"]) == spec


def _requests(browser, server, width: int) -> tuple[list[str], object, list[str]]:
    page, external, errors = open_page(browser, f"{server}/{CRIME}", width=width)
    urls: list[str] = []
    page.on("requestfinished", lambda r: urls.append(r.url))
    page.reload(wait_until="load")
    wait_for_charts(page)
    assert not external
    return urls, page, errors


def test_a_desktop_visit_loads_only_the_vega_runtime(browser, server, built_book):
    urls, page, errors = _requests(browser, server, 1280)
    assert any("/_static/trustlab/vega-runtime.js" in u for u in urls)
    # (specs/vg-*.json: a large chart's compiled Vega spec, fetched to draw it)
    assert not any("vega-lite-bundle.js" in u or ("/trustlab/specs/" in u and "/specs/vg-" not in u)
                   for u in urls), urls
    states = page.evaluate("[...document.querySelectorAll('.trustlab-chart')]"
                           ".map(c => [c.dataset.rendered, c.dataset.fit])")
    assert states and all(s == ["true", "true"] for s in states), states
    assert page.locator(".trustlab-chart-target svg").count() == len(states)
    assert not errors
    page.close()


def _fitted_states(page) -> list:
    return page.evaluate("[...document.querySelectorAll('.trustlab-chart')]"
                         ".map(c => [c.dataset.rendered, c.dataset.fit, c.dataset.fitWidth,"
                         " c.querySelector('svg').getBoundingClientRect().width])")


def test_a_phone_visit_draws_the_phone_layouts_with_the_vega_runtime_alone(
        browser, server, built_book):
    """A 320 px phone: each chart's phone layout (made by the build) and the Vega runtime; no
    Vega-Lite, no Vega-Lite specs, and every chart fits."""
    urls, page, errors = _requests(browser, server, 320)
    assert any("vega-runtime.js" in u for u in urls)
    assert not any("vega-lite-bundle.js" in u for u in urls), "Vega-Lite loaded on a phone"
    narrow = {el.get_attribute("data-narrow") for el in page.locator(".trustlab-chart").all()}
    # (specs/vg-*.json: the compiled Vega spec of a large chart, fetched to draw it at all)
    fetched = {u.split("/_static/trustlab/")[1].split("?")[0] for u in urls
               if "/_static/trustlab/specs/" in u and "/specs/vg-" not in u}
    assert fetched == narrow, (fetched, narrow)
    for rendered, fit, width, drawn in _fitted_states(page):
        assert rendered == "true" and fit == "true" and drawn <= int(width) <= 320
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert not errors
    page.close()


def test_a_box_narrower_than_the_phone_layout_loads_vega_lite_and_fits_every_chart(
        browser, server, built_book):
    """At 280 px (or 200% zoom on a small phone) the box is narrower than any phone layout:
    the runtime loads Vega-Lite and the Vega-Lite specs and fits each chart by measuring."""
    urls, page, errors = _requests(browser, server, 280)
    assert any("vega-lite-bundle.js" in u for u in urls)
    specs = {u for u in urls if "/_static/trustlab/specs/" in u and "/specs/vg-" not in u}
    assert len(specs) == page.locator(".trustlab-chart").count()
    for rendered, fit, width, drawn in _fitted_states(page):
        assert rendered == "true" and fit == "true" and drawn <= int(width) <= 280
    assert page.evaluate("document.documentElement.scrollWidth") <= 280
    assert not errors
    page.close()


def test_the_runtime_unpacks_rows_exactly_as_they_were(browser, server, built_book):
    rows = _rows()
    page, _, errors = open_page(browser, f"{server}/{CRIME}")
    wait_for_charts(page)
    back = page.evaluate("p => window.trustlabUnpackRows(p)", pack_rows(rows))
    assert back == rows
    assert page.evaluate("p => window.trustlabUnpackRows(p).map(r => Object.keys(r))",
                         pack_rows(rows)) == [list(r) for r in rows]
    assert not errors
    page.close()


# ------------------------------------------------------------------------------------------
# Large charts are files, and charts are drawn as the reader comes near them

PROGRAM = "book/02-program/index.html"


def test_a_large_chart_is_a_file_and_a_small_one_is_inline(tmp_path):
    from trustlab.sphinxext import INLINE_LIMIT

    small = (alt.Chart(pd.DataFrame(_rows(30))).mark_line().encode(x="year:O", y="rate:Q")
             .properties(description="Rates by year.", title="Small").to_dict())
    big_rows = [dict(r, note=f"row {i} " * 8) for i, r in enumerate(_rows(1200))]
    big = (alt.Chart(pd.DataFrame(big_rows)).mark_point().encode(x="year:Q", y="rate:Q")
           .properties(description="Many rows.", title="Big").to_dict())
    assert '<script type="application/json">' in chart_html(small, tmp_path)
    out = chart_html(big, tmp_path)
    assert '<script type="application/json">' not in out
    name = re.search(r'data-vega="specs/(vg-[0-9a-f]{16}\.json)"', out).group(1)
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert len(text) > INLINE_LIMIT and json.loads(text)["$schema"].endswith("vega/v5.json")


def test_the_maps_of_chapter_2_are_not_in_its_page(built_book):
    html = (built_book / PROGRAM).read_text(encoding="utf-8")
    files = re.findall(r'data-vega="(specs/vg-[0-9a-f]{16}\.json)"', html)
    assert len(files) >= 2, "chapter 2's two maps should be fetched, not inlined"
    for name in files:
        vega = json.loads((built_book / "_static" / "trustlab" / name).read_text("utf-8"))
        assert any(d.get("format", {}).get("type") == "topojson" for d in vega.get("data", []))
    assert '"topojson"' not in html


def _chart_states(page) -> list:
    return page.evaluate("[...document.querySelectorAll('.trustlab-chart')].map(c => "
                         "[c.id, c.dataset.rendered ? 'drawn' : c.dataset.waiting ? 'waiting'"
                         " : 'none', c.dataset.vega || '', c.getBoundingClientRect().top])")


def test_charts_far_below_are_drawn_and_fetched_when_the_reader_scrolls_near(
        browser, server, built_book):
    """On a phone, the page's first chart is drawn at once; a later chart more than two
    screens below the view waits (nothing fetched for it); scrolling to it draws it, fetching
    its spec file then."""
    page, external, errors = open_page(browser, f"{server}/{PROGRAM}", width=375)
    urls: list[str] = []
    page.on("requestfinished", lambda r: urls.append(r.url))
    page.reload(wait_until="load")
    page.wait_for_function("() => [...document.querySelectorAll('.trustlab-chart')]"
                           ".every(c => c.dataset.rendered || c.dataset.waiting)")
    page.wait_for_timeout(300)
    screen = page.evaluate("window.innerHeight")
    states = _chart_states(page)
    assert states[0][1] == "drawn", states[0]
    far = [s for s in states[1:] if s[3] > 3.5 * screen]
    assert far, "no chart is far below the first view on this page: the test needs one"
    for chart_id, state, vega, _top in far:
        assert state == "waiting", (chart_id, state)
        assert not (vega and any(vega in u for u in urls)), (chart_id, vega)
    # A jump straight to the chart (a link to its figure): it is drawn where the reader is.
    chart_id, _, vega, _ = next((s for s in far if s[2]), far[-1])
    page.evaluate(f"document.querySelector('#{chart_id} .trustlab-chart-target')"
                  ".scrollIntoView()")
    page.wait_for_function(f"document.getElementById('{chart_id}').dataset.rendered === 'true'")
    page.wait_for_timeout(300)
    assert not vega or any(vega in u for u in urls)
    assert page.locator(f"#{chart_id} .trustlab-chart-target svg").count() == 1
    top = page.evaluate(f"document.querySelector('#{chart_id} svg').getBoundingClientRect().top")
    assert -20 <= top <= screen / 2, f"the view moved off the chart when it was drawn ({top})"
    assert not external and not errors
    page.close()


def test_printing_draws_every_chart(browser, server, built_book):
    page, _, errors = open_page(browser, f"{server}/{PROGRAM}", width=1280)
    page.wait_for_function("() => [...document.querySelectorAll('.trustlab-chart')]"
                           ".every(c => c.dataset.rendered || c.dataset.waiting)")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function("() => [...document.querySelectorAll('.trustlab-chart')]"
                           ".every(c => c.dataset.rendered === 'true')", timeout=20_000)
    assert not errors
    page.close()


def test_a_chart_needing_a_transform_the_runtime_leaves_out_fails_the_build():
    """The runtime holds only the Vega modules the course's charts use; a chart that needs
    another (here a regression line) is refused with the module to add, not drawn blank."""
    import pytest

    from trustlab.sphinxext import compile_chart

    spec = (alt.Chart(pd.DataFrame(_rows())).mark_line()
            .transform_regression("year", "rate").encode(x="year:Q", y="rate:Q")
            .properties(title="Trend").to_dict())
    with pytest.raises(ValueError, match=r"'Trend' uses the Vega transform\(s\) regression.*"
                                         r"add vega-regression to _RUNTIME_MODULES"):
        compile_chart(spec)


def test_the_chart_runtime_is_vega_without_the_unused_modules(built_book):
    runtime = (built_book / "_static" / "trustlab" / "vega-runtime.js").read_text("utf-8")
    assert len(runtime.encode()) < 530_000, len(runtime.encode())
    assert "View" in runtime and "geoshape" in runtime.lower()
