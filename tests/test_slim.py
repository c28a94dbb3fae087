"""Light pages (issue #17): trustlab/slim.py ships only the theme assets the pages use.

Unit tests on small CSS, HTML and script fixtures (the purge, the reference scan, the cache),
then checks on the built book: no source maps, the search index only on the search page,
small icon fonts whose icons Chromium draws, and a search that still finds chapter 3."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import open_page

from trustlab.slim import (
    UsedNames,
    deletable,
    point_fonts_at_woff,
    purge_css,
    slim_book,
    subset_font,
    unreferenced,
    without_search,
)

THEME_CSS = "_static/styles/pydata-sphinx-theme.css"
WEBFONTS = "_static/vendor/fontawesome/webfonts"


# ------------------------------------------------------------------------------------------
# The purge

CSS = """/*! Bootstrap licence */
:root{--pst-x:1px}
html[data-theme=dark]{color:#fff}
p{margin:0}
.used{color:red}
.unused{color:blue}
.used .unused{color:green}
.unused,.used>a{color:pink}
.used:not(.unused){color:gold}
#here{top:0}
#gone{top:1px}
[data-foo]{left:0}
@media (min-width:10px){.unused{color:teal}}
@media (min-width:20px){.used{color:navy}.unused{color:plum}}
@font-face{font-family:X;src:url(x.woff)}
@keyframes spin{0%{opacity:0}to{opacity:1}}
@supports (display:grid){.unused{display:grid}}
.fa-used:before{content:"\\f062"}
.fa-unused:before{content:"\\f0c9"}
/*# sourceMappingURL=theme.css.map */
"""


@pytest.fixture
def purged():
    used = UsedNames(['<p class="used fa-used" id="here">'])
    glyphs: set[str] = set()
    return purge_css(CSS, used, glyphs), glyphs


def test_purge_drops_rules_whose_classes_and_ids_no_page_uses(purged):
    css, _ = purged
    assert ".unused{color:blue}" not in css
    assert ".used .unused" not in css
    assert "#gone" not in css
    assert "plum" not in css and "teal" not in css  # inside @media too
    assert "(min-width:10px)" not in css  # an emptied @media goes
    assert ".fa-unused" not in css
    assert "sourceMappingURL" not in css


def test_purge_keeps_what_can_match(purged):
    css, _ = purged
    for kept in (":root{--pst-x:1px}", "html[data-theme=dark]{color:#fff}", "p{margin:0}",
                 ".used{color:red}", ".used:not(.unused){color:gold}", "#here{top:0}",
                 "[data-foo]{left:0}", "(min-width:20px){.used{color:navy}}",
                 "@font-face{font-family:X;src:url(x.woff)}", "@keyframes spin",
                 "@supports (display:grid){.unused{display:grid}}", "/*! Bootstrap licence */"):
        assert kept in css, kept
    # a rule keeps only its selectors that can match
    assert ".used>a{color:pink}" in css and ".unused," not in css


def test_purge_collects_the_icon_glyphs_of_kept_rules(purged):
    _, glyphs = purged
    assert glyphs == {"\uf062"}


def test_names_that_scripts_add_or_build_count_as_used():
    used = UsedNames([], ['el.classList.add("show");',
                          "tip.classList.add(`bs-${this.constructor.NAME}-auto`)",
                          'el.className = "btn-" + kind;'])
    assert "show" in used
    assert "bs-tooltip-auto" in used and "bs-popover-auto" in used
    assert "btn-primary" in used
    assert "collapsing" not in used and "carousel" not in used


def test_search_scripts_leave_every_page_but_search():
    head = ('<meta name="a"/>\n    <script src="../_static/searchtools.js"></script>\n'
            '    <script src="../_static/language_data.js"></script>\n'
            '    <script src="../searchindex.js"></script>\n<script src="other.js"></script>')
    slim = without_search(head, "book/license")
    assert "searchtools" not in slim and "language_data" not in slim
    assert "searchindex" not in slim
    assert '<meta name="a"/>' in slim and "other.js" in slim
    assert without_search(head, "search") == head


# ------------------------------------------------------------------------------------------
# Files nothing loads

def test_unreferenced_files_are_found_until_none_falls_away():
    texts = {
        "book/a.html": '<script src="../_static/used.js?v=1"></script>',
        "_static/used.js": "/* see used.js.LICENSE.txt */",
        "_static/lonely.js": "import('./only-from-lonely.js'); // lonely.js",
        "_static/only-from-lonely.js": "",
    }
    found = unreferenced(texts, ["_static/used.js", "_static/lonely.js",
                                 "_static/only-from-lonely.js", "_static/used.js.LICENSE.txt",
                                 "_static/nobody.txt"])
    assert found == ["_static/lonely.js", "_static/nobody.txt", "_static/only-from-lonely.js"]


def test_only_theme_and_vendor_assets_may_be_deleted():
    assert deletable("_static/scripts/bootstrap.js.map")
    assert deletable("_static/webpack-macros.html")
    for keep in ("_static/trustlab/charts.js", "_static/mathjax/tex-chtml.js",
                 "_static/documentation_options.js", "_static/images/logo.png",
                 "_static/favicon.svg", "_downloads/x/data.csv", "book/license.html"):
        assert not deletable(keep), keep


def test_font_face_points_at_the_woff_subset():
    css = ('@font-face{font-family:A;src:url(../vendor/fontawesome/webfonts/fa-solid-900.woff2) '
           'format("woff2"),url(../vendor/fontawesome/webfonts/fa-solid-900.ttf) '
           'format("truetype")}')
    assert point_fonts_at_woff(css, {"fa-solid-900"}) == (
        '@font-face{font-family:A;src:url(../vendor/fontawesome/webfonts/fa-solid-900.woff) '
        'format("woff")}')
    assert point_fonts_at_woff(css, {"fa-brands-400"}) == css


def test_subset_font_keeps_only_the_asked_glyphs(tmp_path):
    from fontTools.ttLib import TTFont

    ttf = _theme_font()
    woff = tmp_path / "fa-solid-900.woff"
    subset_font(ttf, woff, {"\uf062", "\uf0c9"})
    font = TTFont(str(woff))
    assert font.flavor == "woff"
    assert set(font.getBestCmap()) == {0xF062, 0xF0C9}
    assert woff.stat().st_size < 5_000 < ttf.stat().st_size


# ------------------------------------------------------------------------------------------
# The build step, and its cache

def _theme_font() -> Path:
    import pydata_sphinx_theme

    return (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
            / "static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.ttf")


def _fake_book(root: Path, fonts: bool = False) -> dict[str, str]:
    if fonts:
        (root / WEBFONTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_theme_font(), root / WEBFONTS / "fa-solid-900.ttf")
        (root / WEBFONTS / "fa-solid-900.woff2").write_bytes(b"woff2")
    files = {
        "index.html": '<link href="_static/styles/theme.css" rel="stylesheet">'
                      '<script src="_static/scripts/app.js"></script><p class="used">'
                      '<link href="_static/styles/pydata-sphinx-theme.css" rel="stylesheet">'
                      '<i class="fa-bars"></i>',
        "_static/styles/theme.css": ".used{color:red}.unused{color:blue}\n"
                                    "/*# sourceMappingURL=theme.css.map */",
        THEME_CSS: "@font-face{font-family:F;src:url(../vendor/fontawesome/webfonts/"
                   'fa-solid-900.woff2) format("woff2"),url(../vendor/fontawesome/webfonts/'
                   'fa-solid-900.ttf) format("truetype")}.fa-bars:before{content:"\\f0c9"}'
                   '.fa-guitar:before{content:"\\f7a6"}',
        "_static/styles/theme.css.map": "{}",
        "_static/scripts/app.js": "x()\n//# sourceMappingURL=app.js.map",
        "_static/scripts/app.js.map": "{}",
        "_static/scripts/unused.js": "y()",
        "_static/trustlab/mine.js": "z()",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return files


def test_slim_book_deletes_maps_and_unused_files_and_purges(tmp_path):
    out = tmp_path / "html"
    _fake_book(out)
    summary = slim_book(out, tmp_path / "cache")
    assert not list(out.rglob("*.map"))
    assert (out / "_static/scripts/app.js").read_text() == "x()"
    assert not (out / "_static/scripts/unused.js").exists()
    assert (out / "_static/trustlab/mine.js").exists()  # the book's own files stay
    assert (out / "_static/styles/theme.css").read_text() == ".used{color:red}"
    assert "_static/scripts/unused.js" in summary["deleted"]
    assert not summary["cached"]


def _check_slim(out: Path) -> None:
    from fontTools.ttLib import TTFont

    assert (out / "_static/styles/theme.css").read_text() == ".used{color:red}"
    assert not (out / "_static/scripts/unused.js").exists()
    assert not list(out.rglob("*.map"))
    assert sorted(p.name for p in (out / WEBFONTS).iterdir()) == ["fa-solid-900.woff"]
    assert set(TTFont(str(out / WEBFONTS / "fa-solid-900.woff")).getBestCmap()) == {0xF0C9}
    css = (out / THEME_CSS).read_text()
    assert 'fa-solid-900.woff) format("woff")}.fa-bars' in css and "guitar" not in css


def test_a_rebuild_reuses_the_cached_result(tmp_path):
    out = tmp_path / "html"
    files = _fake_book(out, fonts=True)
    first = slim_book(out, tmp_path / "cache")
    assert not first["cached"] and first["fonts"] == ["fa-solid-900"]
    _check_slim(out)
    # a rebuild in which no page changed: Sphinx copies nothing
    again = slim_book(out, tmp_path / "cache")
    assert again["cached"]
    _check_slim(out)
    # a rebuild in which Sphinx copied the theme's files afresh
    _fake_book(out, fonts=True)
    again = slim_book(out, tmp_path / "cache")
    assert again["cached"]
    _check_slim(out)
    # a page that starts using a class is a change: the rule comes back
    _fake_book(out)
    (out / "index.html").write_text(files["index.html"] + '<b class="unused">')
    changed = slim_book(out, tmp_path / "cache")
    assert not changed["cached"]
    assert ".unused{color:blue}" in (out / "_static/styles/theme.css").read_text()


def test_a_prose_edit_reuses_the_cached_result(tmp_path):
    """A prose edit changes a page and the search index, but no name the purge reads: the
    slimmed files of the last build still hold (this was 1.5 s of every one-page rebuild)."""
    out = tmp_path / "html"
    files = _fake_book(out, fonts=True)
    (out / "searchindex.js").write_text('Search.setIndex({"terms":{"alpha":0}})')
    assert not slim_book(out, tmp_path / "cache")["cached"]
    _fake_book(out, fonts=True)  # Sphinx copies the theme's files again
    (out / "index.html").write_text(files["index.html"] + "<p>A new sentence.</p>")
    (out / "searchindex.js").write_text('Search.setIndex({"terms":{"alpha":0,"sentence":1}})')
    assert slim_book(out, tmp_path / "cache")["cached"]
    _check_slim(out)


# ------------------------------------------------------------------------------------------
# The built book

@pytest.mark.build
def test_built_book_ships_no_source_maps(built_book):
    maps = [p.relative_to(built_book).as_posix() for p in built_book.rglob("*.map")]
    assert not maps
    for f in (built_book / "_static").rglob("*"):
        if f.suffix in (".js", ".css") and "mathjax" not in f.parts:
            assert "sourceMappingURL" not in f.read_text(encoding="utf-8", errors="replace"), f


@pytest.mark.build
def test_built_book_loads_search_scripts_only_on_the_search_page(built_book):
    tag = re.compile(r'<script[^>]+src="[^"]*(searchindex|searchtools|language_data)\.js')
    pages = list(built_book.rglob("*.html"))
    on = {p.relative_to(built_book).as_posix() for p in pages
          if tag.search(p.read_text(encoding="utf-8"))}
    assert on == {"search.html", "es/search.html"}  # one search page per edition
    assert len(tag.findall((built_book / "search.html").read_text(encoding="utf-8"))) == 3


@pytest.mark.build
def test_built_book_icon_fonts_are_small_subsets(built_book):
    fonts = built_book / WEBFONTS
    assert sorted(p.name for p in fonts.iterdir()) == [
        "fa-brands-400.woff", "fa-regular-400.woff", "fa-solid-900.woff"]
    assert (fonts / "fa-solid-900.woff").stat().st_size < 20_000
    css = (built_book / THEME_CSS).read_text(encoding="utf-8")
    assert "fa-solid-900.woff)" in css and ".woff2" not in css and ".ttf" not in css
    assert len(css) < 200_000  # 397 KB as the theme ships it
    assert ".fa-bars:before" in css and ".fa-guitar:before" not in css


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_icons_are_drawn_with_the_icon_font(browser, server, width):
    """Every icon the page shows is drawn by the Font Awesome subset: the same text in the
    fallback font alone measures differently, and the font loaded without error."""
    page, external, errors = open_page(browser, f"{server}/book/license.html", width=width)
    try:
        page.evaluate("document.fonts.ready")
        icons = page.evaluate("""() => {
          const out = [];
          const ctx = document.createElement('canvas').getContext('2d');
          for (const el of document.querySelectorAll('.fa-solid, .fa, .fas, .fa-regular')) {
            const st = getComputedStyle(el, '::before');
            const glyph = st.content.replace(/^"|"$/g, '');
            if (!glyph || glyph === 'none' || !el.getClientRects().length) continue;
            const size = '40px ';
            ctx.font = st.fontWeight + ' ' + size + st.fontFamily;
            const drawn = ctx.measureText(glyph).width;
            ctx.font = st.fontWeight + ' ' + size + 'monospace';
            const fallback = ctx.measureText(glyph).width;
            out.push({cls: el.className, glyph: glyph.codePointAt(0).toString(16), drawn,
                      fallback, loaded: document.fonts.check(st.fontWeight + ' ' + size
                                                             + st.fontFamily, glyph)});
          }
          return out;
        }""")
        faces = page.evaluate("""() => [...document.fonts].filter(f => f.family.includes(
            'Font Awesome')).map(f => f.status)""")
    finally:
        page.close()
    assert icons, "no visible icon on the page"
    assert "error" not in faces
    wrong = [i for i in icons if not i["loaded"] or abs(i["drawn"] - i["fallback"]) < 0.5]
    assert not wrong, wrong
    assert not external and not errors, (external, errors)


@pytest.mark.browser
def test_search_from_a_page_finds_chapter_3(browser, server):
    """The header's search field (on a page without the search index) sends the reader to
    the search page, which finds chapter 3 for a word in it."""
    page, external, errors = open_page(browser, f"{server}/book/license.html")
    try:
        assert page.evaluate("typeof Search") == "undefined"  # no search script here
        page.keyboard.press("Control+k")
        field = page.locator("#pst-search-dialog input[name=q]")
        field.wait_for(state="visible")
        field.fill("clearance")
        field.press("Enter")
        page.wait_for_url("**/search.html?q=clearance*")
        page.wait_for_selector("#search-results li a[href*='03-crime/index.html']",
                               timeout=15_000)
    finally:
        page.close()
    assert not external and not errors, (external, errors)
