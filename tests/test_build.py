"""The book builds strictly, notebook errors fail the build, and the HTML is self-contained."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import ROOT, build_book

TAG_URL = re.compile(
    r"<(script|link|img|iframe|source|audio|video)\b[^>]*?\b(src|href)=\"([^\"]+)\"", re.I)
LOCAL = {"", "127.0.0.1", "localhost"}


def html_pages(build: Path) -> list[Path]:
    return sorted(p for p in build.rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(build).parts))


def static_dir(built_book: Path, page: Path | str) -> Path:
    """The _static folder a page uses: each edition (English, es/) has its own."""
    rel = Path(page).relative_to(built_book).as_posix() if Path(page).is_absolute() else str(page)
    return built_book / ("es/_static" if rel.startswith("es/") else "_static")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def test_every_toc_page_is_built(built_book):
    for f in toc_files():
        assert (built_book / f"{f}.html").is_file(), f"{f} was not built"


def test_no_third_party_assets_in_any_page(built_book):
    offenders = []
    for page in html_pages(built_book):
        for tag, _attr, url in TAG_URL.findall(page.read_text(encoding="utf-8")):
            host = urlparse(url).hostname or ""
            if host not in LOCAL and not url.startswith(("data:", "#", "mailto:")):
                offenders.append(f"{page.relative_to(built_book)}: <{tag}> {url}")
    assert not offenders, "pages load third-party assets:\n" + "\n".join(offenders)


def test_chart_scripts_only_on_chart_pages(built_book):
    with_charts = []
    for page in html_pages(built_book):
        text = page.read_text(encoding="utf-8")
        has_chart = 'class="trustlab-chart"' in text
        loads_bundle = "trustlab/charts.js" in text
        assert has_chart == loads_bundle, f"{page.name}: chart={has_chart} bundle={loads_bundle}"
        with_charts += [page] if has_chart else []
    assert with_charts, "no page has a chart"
    for bundle in ("vega-runtime.js", "vega-lite-bundle.js"):
        assert (built_book / "_static" / "trustlab" / bundle).stat().st_size > 100_000


def test_every_chart_has_a_text_description(built_book):
    for page in html_pages(built_book):
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r'<div class="trustlab-chart".*?</details></div>', text, re.S):
            desc = re.search(r'<details class="trustlab-chart-desc">.*?<p[^>]*>(.*?)</p>',
                             block, re.S).group(1)
            assert len(desc) > 40, f"{page.name}: chart description too short: {desc!r}"
            spec = re.search(r'<script type="application/json">(.*?)</script>', block, re.S)
            if spec is None:  # a large chart: its compiled spec is a file of the book
                name = re.search(r'data-vega="(specs/vg-[0-9a-f]{16}\.json)"', block).group(1)
                text = (static_dir(built_book, page) / "trustlab" / name).read_text(
                    encoding="utf-8")
            else:
                text = spec.group(1).replace("<\\/", "</")
            assert json.loads(text)["$schema"]


def test_widgets_have_a_static_fallback_not_a_dead_control(built_book):
    for page in html_pages(built_book):
        text = page.read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in text, page.name
        assert "require.min.js" not in text and "embed-amd" not in text, page.name
    lab = (built_book / "notebooks" / "00-getting-started.html").read_text(encoding="utf-8")
    assert "trustlab-static-note" in lab and "make lab" in lab


def test_no_file_in_the_book_names_a_cdn(built_book):
    """Not only the pages: no script, stylesheet or data file the book serves may carry
    a CDN address that some code path (an old-browser fallback, a menu option) could fetch."""
    cdn = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs\.|googletagmanager|google-analytics")
    hits = []
    for f in built_book.rglob("*"):
        if f.suffix in {".js", ".css", ".html", ".json"} and f.is_file():
            if cdn.search(f.read_text(encoding="utf-8", errors="replace")):
                hits.append(f.relative_to(built_book).as_posix())
    assert not hits, f"files naming a CDN host: {hits[:20]}"


@pytest.mark.build
def test_a_notebook_error_fails_the_build(tmp_path):
    """A copy of the book's configuration with one failing notebook must not build."""
    book = tmp_path / "book"
    book.mkdir()
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    (book / "references.bib").write_text("@misc{x,\n  title={X}\n}\n")
    cfg["exclude_patterns"] = []
    (book / "_config.yml").write_text(yaml.safe_dump(cfg))
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n- file: broken\n")
    (book / "index.md").write_text("# Index\n")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
                     "outputs": [], "source": "raise ValueError('deliberate failure')"}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (book / "broken.ipynb").write_text(json.dumps(nb))
    result = build_book(book)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "deliberate failure" in out and "broken" in out
    shutil.rmtree(book / "_build", ignore_errors=True)


def test_theme_icon_script_is_slimmed_and_icons_still_have_a_font(built_book):
    """The theme loads scripts/fontawesome.js on every page; the book ships a stub instead of
    the 1.4 MB original because the theme's CSS already draws the icons from the webfont
    (cut down to the icons the book uses by trustlab/slim.py)."""
    script = built_book / "_static" / "scripts" / "fontawesome.js"
    assert script.stat().st_size < 2_000, f"{script} is {script.stat().st_size:,} bytes"
    css = (built_book / "_static" / "styles" / "pydata-sphinx-theme.css").read_text()
    assert "fa-solid-900.woff)" in css and ".fa-bars" in css, (
        "the theme's stylesheet no longer carries the Font Awesome webfont rules; the icon "
        "stub in trustlab/slim.py must be revisited")
    assert (built_book / "_static" / "vendor" / "fontawesome" / "webfonts"
            / "fa-solid-900.woff").is_file()


def test_exercise_pages_link_the_notebook_and_its_checks_as_downloads(built_book):
    student = ROOT / "exercises" / "student"
    for nb in sorted(student.glob("[0-9]*.ipynb")):
        if nb.name.endswith(".new.ipynb"):
            continue
        page = built_book / "exercises" / "student" / f"{nb.stem}.html"
        note = re.search(r"<p><strong>This exercise set has two files.*?</p>", page.read_text(),
                         re.S)
        assert note, f"{page}: no note on the two files"
        hrefs = re.findall(r'class="reference download internal" download="" href="([^"]+)"',
                           note.group(0))
        names = [Path(h).name for h in hrefs]
        assert names == [nb.name, f"{nb.stem}_checks.py"], (page, names)
        for href in hrefs:
            target = (page.parent / href).resolve()
            assert target.read_bytes() == (student / target.name).read_bytes(), href
