"""Math is MathML made when the book is built (trustlab/mathml.py): no MathJax anywhere, every
formula drawn by the browser, and a formula that cannot be converted fails the strict build
with a warning that names the file, the line and the TeX."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, open_page
from docutils import nodes
from test_build import TAG_URL, html_pages

from trustlab import mathml

CRIME = "book/03-crime/index.html"


# ------------------------------------------------------------------------------------------
# The renderer on its own (no book build)


class FakeTranslator:
    """Just what the visitors use of Sphinx's HTML translator."""

    def __init__(self) -> None:
        self.body: list[str] = []
        env = SimpleNamespace(doc2path=lambda docname: f"/course/{docname}.md")
        self.builder = SimpleNamespace(current_docname="book/99-demo/index", env=env)

    def starttag(self, node, tag, suffix="\n", **attrs):
        return f'<{tag} class="{attrs.get("CLASS", "")}">'


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING]


def test_the_course_formulas_become_mathml():
    out = mathml.tex_to_mathml(
        r"\widehat{\text{DiD}} = (\bar{Y}_{T,\text{after}} - \bar{Y}_{T,\text{before}})",
        display=True)
    assert out.startswith('<math display="block">') and out.endswith("</math>")
    assert "\\" not in out and "xmlns" not in out
    assert "<mtext>DiD</mtext>" in out and "<mtext>after</mtext>" in out
    assert out.count("&#x000AF;") == 2  # the two bars over Y...
    # ...drawn as accents (close over the letter, full size), and the hat stretches over DiD
    assert out.count('<mover accent="true"><mrow><mi>Y</mi></mrow>'
                     '<mo stretchy="false">&#x000AF;</mo></mover>') == 2
    assert ('<mover accent="true"><mrow><mtext>DiD</mtext></mrow>'
            '<mo stretchy="true">&#x00302;</mo></mover>') in out
    inline = mathml.tex_to_mathml(r"Y_{st} = \alpha_s + \beta\, D_{st} + \varepsilon_{st}")
    assert inline.startswith("<math>") and "<msub><mi>Y</mi>" in inline
    assert "&#x003B5;" in inline  # varepsilon


@pytest.mark.parametrize(("tex", "why"), [
    (r"\frac{a}{", "could not read it"),
    (r"\bar{Y} + \notacommand{x}", r"does not know \notacommand"),
    (r"a & b", "'&' outside an alignment"),
    (r"a \\ b", "breaks a line"),
])
def test_a_formula_that_cannot_be_drawn_is_an_error(tex, why):
    with pytest.raises(mathml.MathConversionError, match=re.escape(why)):
        mathml.tex_to_mathml(tex, display=True)


def test_an_unconvertible_block_formula_warns_with_file_line_and_tex(caplog):
    node = nodes.math_block(r"\frac{a}{", r"\frac{a}{", nowrap=False, number=None)
    node.line = 42
    writer = FakeTranslator()
    with pytest.raises(nodes.SkipNode):
        mathml.visit_block(writer, node)
    [record] = _warnings(caplog)
    assert record.location == "/course/book/99-demo/index.md:42"
    assert r"$\frac{a}{$" in record.getMessage()
    assert "cannot be drawn as MathML" in record.getMessage()
    html = "".join(writer.body)
    assert "<math" not in html  # not silently missing either: the TeX is shown as code
    assert '<code class="trustlab-math-error">\\frac{a}{</code>' in html


def test_an_unconvertible_inline_formula_warns_with_the_line_of_its_paragraph(caplog):
    para = nodes.paragraph()
    para.line = 7
    node = nodes.math(r"\foo{x}", r"\foo{x}")
    para += node
    writer = FakeTranslator()
    with pytest.raises(nodes.SkipNode):
        mathml.visit_inline(writer, node)
    [record] = _warnings(caplog)
    assert record.location.endswith("book/99-demo/index.md:7")
    assert r"\foo" in record.getMessage() and r"$\foo{x}$" in record.getMessage()


SPHINX_SRC = """Demo
====

Inline :math:`\\bar{Y}_{T}` math.

.. math::
   :label: did

   \\widehat{\\text{DiD}} = \\Delta_T - \\Delta_C
"""


def _sphinx_build(tmp_path: Path, rst: str) -> tuple[subprocess.CompletedProcess, Path]:
    src = tmp_path / "src"
    src.mkdir()
    # with a second math renderer loaded, Sphinx would pick MathJax unless told otherwise
    (src / "conf.py").write_text("extensions = ['sphinx.ext.imgmath', 'trustlab.mathml']\n")
    (src / "index.rst").write_text(rst)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           str(src), str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT), out


def test_a_small_sphinx_project_gets_mathml_and_no_mathjax(tmp_path):
    result, out = _sphinx_build(tmp_path, SPHINX_SRC)
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<math><mrow><msub><mover accent="true">' in page
    assert '<math display="block">' in page and "<mtext>DiD</mtext>" in page
    assert '<span class="eqno">(1)' in page and 'href="#equation-did"' in page
    assert "mathjax" not in page.lower()
    assert not (out / "_static" / "mathjax").exists()


def test_an_unconvertible_formula_fails_the_strict_build_with_a_clear_warning(tmp_path):
    result, _ = _sphinx_build(tmp_path, SPHINX_SRC + "\nBroken :math:`\\frac{1}{` here.\n")
    assert result.returncode != 0
    assert re.search(r"index\.rst:\d+: WARNING: this formula cannot be drawn as MathML",
                     result.stderr), result.stderr
    assert r"$\frac{1}{$" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# ------------------------------------------------------------------------------------------
# The built book


def test_the_crime_chapter_has_mathml_for_every_formula(built_book):
    page = (built_book / CRIME).read_text(encoding="utf-8")
    part6 = page[page.index('id="part-6-difference-in-differences-formally"'):]
    blocks = re.findall(r'<math display="block">.*?</math>', part6, re.S)
    assert len(blocks) == 3, "Part 6 has three display formulas"
    assert all("\\" not in b for b in blocks)
    assert "<mtext>DiD</mtext>" in blocks[1] and blocks[1].count("&#x000AF;") == 4
    assert blocks[1].count("<mtr>") == 3  # written in three aligned rows to fit a phone
    assert "&#x003B5;" in blocks[2] and "&#x003B1;" in blocks[2]
    inline = re.findall(r"<math>.*?</math>", part6, re.S)
    assert len(inline) >= 10  # Y_st, s, t, T, C, Delta_C = ..., alpha_s, lambda_t, D_st, s
    assert "trustlab-math-error" not in page and "$$" not in part6
    exercise = (built_book / "exercises/student/03-crime.html").read_text(encoding="utf-8")
    assert '<math display="block">' in exercise and "<mtext>others</mtext>" in exercise


def test_no_page_of_the_book_loads_or_ships_mathjax(built_book):
    assert not list(built_book.glob("_static/mathjax*")), "MathJax is still copied"
    hits = []
    for page in html_pages(built_book):
        text = page.read_text(encoding="utf-8")
        urls = [m.group(3) for m in TAG_URL.finditer(text)]
        if any("mathjax" in u.lower() for u in urls) or "MathJax" in text:
            hits.append(page.relative_to(built_book).as_posix())
    assert not hits, f"pages that still load MathJax: {hits}"


@pytest.mark.browser
def test_chromium_draws_the_formulas_and_the_page_fits_at_320px(browser, server):
    page, external, errors = open_page(browser, f"{server}/{CRIME}", width=320)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload(wait_until="load")
    found = page.evaluate("""() => {
      const box = e => { const r = e.getBoundingClientRect();
                         return {top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
      const blocks = [...document.querySelectorAll('div.math > math[display=block]')];
      const bar = blocks[0].querySelector('mover');
      // the DiD derivation is a split: its rows' '=' signs line up
      const eqs = [...blocks[1].querySelectorAll('mtr')].slice(0, 2)
        .map(r => r.querySelector('mtd[columnalign=left] > mo').getBoundingClientRect().left);
      return {
        display: getComputedStyle(blocks[0]).display,
        blocks: blocks.map(box),
        boxes: blocks.map(b => box(b.parentElement)),
        base: box(bar.children[0]), over: box(bar.children[1]), eqs,
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      };
    }""")
    page.close()
    assert not [u for u in requested if "mathjax" in u.lower()]
    assert found["display"] == "block math", "Chromium does not treat <math> as MathML"
    assert len(found["blocks"]) >= 3
    assert all(b["width"] > 20 and b["height"] > 10 for b in found["blocks"]), found["blocks"]
    # the bar is drawn over the Y, not beside or under it
    assert found["over"]["bottom"] <= found["base"]["top"] + 2, found
    assert found["over"]["width"] > 0
    assert abs(found["eqs"][0] - found["eqs"][1]) < 1.5, found["eqs"]
    # a wide formula scrolls inside its own box; the page itself does not scroll sideways
    assert found["scrollWidth"] <= found["clientWidth"], found
    assert all(b["width"] <= 320 for b in found["boxes"]), found["boxes"]
    assert not external and not errors


@pytest.mark.browser
def test_a_formula_wider_than_a_phone_scrolls_inside_its_own_box(browser, server):
    """The exercise's DiD formula is wider than 320 px: all of it can be scrolled into view
    (by keyboard too), and the page itself does not scroll sideways."""
    page, external, errors = open_page(browser, f"{server}/exercises/student/03-crime.html",
                                       width=320)
    found = page.evaluate("""() => [...document.querySelectorAll('div.math')].map(d => ({
        formula: d.querySelector('math > mrow').getBoundingClientRect().width,
        box: d.clientWidth, scroll: d.scrollWidth, overflow: getComputedStyle(d).overflowX,
        tabindex: d.tabIndex, left: d.getBoundingClientRect().left,
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth}))""")
    page.close()
    wide = [f for f in found if f["formula"] > f["box"]]
    assert wide, f"expected a formula wider than the phone: {found}"
    for f in wide:
        assert f["overflow"] in ("auto", "scroll") and f["scroll"] >= f["formula"] - 1, f
        assert f["tabindex"] == 0 and f["left"] >= 0, f
    assert found[0]["page"] <= 0, found
    assert not external and not errors
