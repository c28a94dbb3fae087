"""The accessibility rewrites the book extension makes to the HTML its tools write, and the
chart metadata it prints (issue #16). Fast checks on strings; the browser tests in
test_accessibility.py check the built pages with axe-core."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
import pytest

from trustlab import charts
from trustlab.charts.base import contrast, finish, text_color
from trustlab.sphinxext import accessible_body, accessible_toctree, chart_html


def test_citation_entries_become_list_items():
    body = ('<div role="list" class="citation-list"><div class="citation" id="x" '
            'role="doc-biblioentry">A.</div></div>')
    out = accessible_body(body)
    assert "doc-biblioentry" not in out and 'role="listitem"' in out


@pytest.mark.parametrize("cell", ['<th class="blank level0" >&nbsp;</th>', "<th></th>",
                                  '<th class="blank">  </th>'])
def test_empty_corner_header_cells_become_data_cells(cell):
    out = accessible_body(f"<table><thead><tr>{cell}<th>Name</th></tr></thead></table>")
    assert "<th>Name</th>" in out
    assert not re.search(r"<th[\s>]", out.replace("<th>Name</th>", ""))


def test_a_bare_table_gets_a_named_focusable_scroll_container_once():
    body = ("<p>x</p><table><caption>Models of 287(g)</caption><tr><td>1</td></tr></table>"
            "<table><tr><td>2</td></tr></table>")
    out = accessible_body(body)
    assert out.count('class="trustlab-table-scroll" role="region" tabindex="0"') == 2
    assert 'aria-label="Models of 287(g)"' in out and 'aria-label="Table 2"' in out
    assert accessible_body(out) == out  # a second pass adds nothing


def test_tables_in_scroll_containers_are_left_alone_and_a_neighbour_is_not():
    wrapped = ('<div class="trustlab-table-scroll" role="region" tabindex="0" aria-label="A">'
               "<table><tr><td>1</td></tr></table></div>")
    out = accessible_body(wrapped + "<table><tr><td>2</td></tr></table>")
    assert out.count("trustlab-table-scroll") == 2
    assert out.startswith(wrapped)


def test_a_table_the_theme_already_wraps_is_left_alone():
    body = '<div class="pst-scrollable-table-container"><table><tr><td>1</td></tr></table></div>'
    assert accessible_body(body) == body


def test_sidebar_toggles_are_named_by_their_section():
    toc = ('<li><a class="current reference internal" href="#">1. History</a>'
           '<details open="open"><summary><span class="toctree-toggle"></span></summary>')
    out = accessible_toctree(toc)
    assert '<summary><span class="visually-hidden">Sub-pages of 1. History</span>' in out
    assert accessible_toctree(out) == out


def _chart(**kw):
    df = pd.DataFrame({"year": [2001, 2002], "n": [3, 5]})
    pick = alt.param(name="t_year", value=2001,
                     bind=alt.binding_range(min=2001, max=2002, step=1, name="Year"))
    c = alt.Chart(df).mark_bar().encode(x="year:O", y="n:Q", tooltip=["year", "n"])
    return finish(c.add_params(pick), title="A <title>", description="Bars of n by year.",
                  datasets=["removals_returns"], **kw).to_dict()


def test_chart_html_has_one_name_one_description_a_live_line_and_the_data_table():
    spec = _chart(table=pd.DataFrame({"Year": ["2001", "2002"], "Count": ["3", "5"]}),
                  live="'Year ' + t_year", live_name="t_live")
    out = chart_html(spec)
    assert 'role="figure"' not in out and "aria-label" not in out.split("<script")[0]
    assert 'data-title="A &lt;title&gt;"' in out
    assert 'class="trustlab-chart-live"' in out and 'data-signal="t_live"' in out
    assert 'aria-live="off"' in out  # the runtime turns it on after the first value
    assert out.count("Bars of n by year.") == 2  # the description, and once in the spec
    assert "<caption" in out and '<th scope="col">Year</th>' in out
    assert "<td>2002</td><td>5</td>" in out
    embedded = json.loads(out.split('<script type="application/json">')[1]
                          .split("</script>")[0].replace("<\\/", "</"))
    assert "table" not in embedded["usermeta"]["trustlab"]  # printed once, as HTML
    assert embedded["usermeta"]["trustlab"]["live"] == "t_live"


def test_chart_without_controls_has_no_live_line():
    out = chart_html(_chart(table=pd.DataFrame({"Year": ["2001"]})))
    assert "trustlab-chart-live" not in out and "trustlab-chart-table" in out


def test_a_live_summary_needs_a_name():
    with pytest.raises(ValueError, match="live_name"):
        _chart(live="'x'")


def test_palette_marks_and_chart_text_have_enough_contrast():
    assert all(contrast(c) >= 3 for c in charts.PALETTE), \
        [(c, round(contrast(c), 2)) for c in charts.PALETTE]
    assert contrast(charts.base.MUTED_TEXT) >= 4.5
    theme = alt.theme.get()()["config"]
    assert contrast(theme["title"]["subtitleColor"]) >= 4.5
    assert theme["background"] == "#ffffff" and theme["aria"] is False
    for c in charts.PALETTE:
        assert contrast(text_color(c)) >= 4.5
