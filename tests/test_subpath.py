"""The built book works when it is published under a sub-path, as GitHub Pages serves a
project site (https://owner.github.io/trust-enforcement/).

Every browser test reads the book from conftest's server, which serves it under
/trust-enforcement/ only (anything outside answers 404), and conftest.open_page counts every
error status as an error: so the visits of every page at desktop and phone widths, with their
charts drawn (test_browser.py, test_accessibility.py), fail on a file named from the server's
root or missing. This file checks what a visit does not load: every link, download, image,
script, stylesheet, form target and chart file named in the pages, and every url() in the
stylesheets, must exist (one HTTP request per URL), and a #fragment must name an element of
its page. Small sites with known faults show that both checks report them."""

from __future__ import annotations

import functools
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import SUBPATH, open_page, serve

PREFIX = SUBPATH + "/"
NOT_FETCHED = ("data:", "blob:", "javascript:", "mailto:", "tel:", "about:")
NAMED = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src",
         "form": "action"}


class _Page(HTMLParser):
    """What a page names: (kind, URL as written) pairs, its chart files, its ids."""

    def __init__(self):
        super().__init__()
        self.named: list[tuple[str, str]] = []
        self.chart_files: list[tuple[str, str]] = []
        self.runtime: str | None = None  # charts.js as the page names it
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in NAMED and a.get(NAMED[tag]):
            self.named.append((f"{tag}[{NAMED[tag]}]", a[NAMED[tag]]))
        if tag == "script" and re.search(r"/trustlab/charts\.js(\?|$)", a.get("src") or ""):
            self.runtime = a["src"]
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url=(.+)$", a.get("content") or "", re.I)
            if m:
                self.named.append(("meta refresh", m.group(1).strip("'\" ")))
        if "trustlab-chart" in (a.get("class") or "").split():
            for key in ("vega", "spec", "narrow"):
                if a.get(f"data-{key}"):
                    self.chart_files.append((f"chart data-{key}", a[f"data-{key}"]))
        for name, value in attrs:
            if value and (name == "id" or (name == "name" and tag == "a")):
                self.ids.add(value)


@functools.cache
def parsed(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _status(url: str) -> int:
    """The HTTP status of ``url`` (after redirects); 0 when there was no answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def _css_urls(text: str) -> list[str]:
    refs = (m.strip().strip("'\"") for m in re.findall(r"url\(([^)]*)\)", text))
    return [r for r in refs if r and not r.startswith((*NOT_FETCHED, "#"))]


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    checked: int = 0  # URLs (without fragment) checked
    anchors: int = 0  # #fragments checked


def check_links(root: Path, site: str) -> Check:
    """Every URL the HTML pages and stylesheets under ``root`` name, resolved as a browser
    does against ``site`` + the file's path (chart files against charts.js, as the runtime
    does), checked on the server. One line per problem: ``file -> url (what is wrong)``."""
    out = Check()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
    named: dict[str, list[tuple[str, str]]] = {}
    for html in sorted(root.rglob("*.html")):
        rel = html.relative_to(root).as_posix()
        page, here = parsed(html), f"{site}/{rel}"
        found = [(kind, urljoin(here, value)) for kind, value in page.named]
        base = urljoin(here, page.runtime) if page.runtime else here
        found += [(kind, urljoin(base, value)) for kind, value in page.chart_files]
        named[rel] = found
        out.pages += 1
    for css in sorted(root.rglob("*.css")):
        rel = css.relative_to(root).as_posix()
        named[rel] = [("css url()", urljoin(f"{site}/{rel}", ref))
                      for ref in _css_urls(css.read_text(encoding="utf-8", errors="replace"))]
    local = sorted({u.split("#")[0] for found in named.values() for _, u in found
                    if u.startswith(origin + "/")})
    with ThreadPoolExecutor(8) as pool:
        status = dict(zip(local, pool.map(_status, local), strict=True))
    out.checked = len(local)
    for rel, found in named.items():
        for kind, url in sorted(set(found)):
            if url.startswith(NOT_FETCHED) or not url.startswith(origin + "/"):
                continue  # a link to another site: nothing the book loads
            bare, _, fragment = url.partition("#")
            code, short = status[bare], url[len(origin):]
            if not urlsplit(bare).path.startswith(PREFIX):
                out.problems.append(f"{rel} -> {short} ({code}, outside {PREFIX}; {kind})")
            elif not 200 <= code < 400:
                out.problems.append(f"{rel} -> {short} ({code or 'no answer'}; {kind})")
            elif fragment and kind == "a[href]":
                path = root / unquote(urlsplit(bare).path)[len(PREFIX):]
                path = path / "index.html" if path.is_dir() else path
                if path.suffix == ".html":
                    out.anchors += 1
                    if unquote(fragment) not in parsed(path).ids:
                        out.problems.append(f"{rel} -> {short} ({code}, but the page has no "
                                            f"id {unquote(fragment)!r}; {kind})")
    out.problems = sorted(set(out.problems))
    return out


# ------------------------------------------------------------------------------ the tests

def test_every_link_file_and_anchor_resolves_under_the_sub_path(server, built_book):
    started = time.monotonic()
    result = check_links(built_book, server)
    took = time.monotonic() - started
    assert not result.problems, (
        f"{len(result.problems)} problem(s) with the book served under {PREFIX} "
        f"({result.pages} pages, {took:.1f} s):\n" + "\n".join(result.problems))
    assert result.pages >= 30
    assert result.checked >= 100 and result.anchors >= 100, result


def test_the_test_server_holds_the_book_only_under_the_sub_path(server):
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(server))
    assert server.endswith(SUBPATH)
    assert _status(f"{server}/index.html") == 200
    assert _status(f"{origin}/index.html") == 404
    assert _status(f"{origin}/_static/trustlab/charts.js") == 404
    assert _status(server) == 200  # redirected to the folder, as static hosts do


@pytest.mark.browser
def test_a_visit_reports_files_named_from_the_root_or_missing(browser, tmp_path):
    """What makes every browser test a sub-path test: a page that names a file from the
    server's root, or a missing one, gets an error from open_page."""
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>t</title>'
        '<link rel="stylesheet" href="/_static/x.css"></head><body><h1>t</h1>'
        '<img src="/logo.png" alt=""><script src="missing.js"></script></body></html>')
    with serve(tmp_path) as site:
        page, external, errors = open_page(browser, f"{site}/index.html")
        page.close()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
    for url in (f"{origin}/_static/x.css", f"{origin}/logo.png", f"{site}/missing.js"):
        assert f"HTTP 404 for {url}" in errors, errors


def test_the_check_reports_broken_links(tmp_path):
    """The link check itself, on a tiny site with known faults: each one is reported, and
    nothing else."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "style.css").write_text("body { background: url(/bg.png); }\n")
    (tmp_path / "_static" / "trustlab" / "specs").mkdir(parents=True)
    (tmp_path / "_static" / "trustlab" / "charts.js").write_text("")
    (tmp_path / "_static" / "trustlab" / "specs" / "a.json").write_text("{}")
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><head><title>t</title><link rel="stylesheet" href="style.css">'
        '<script src="_static/trustlab/charts.js"></script>'
        '</head><body><h1 id="top">t</h1>'
        '<a href="sub/page.html#here">fine</a> <a href="data.csv">fine</a> '
        '<a href="#top">fine</a> <a href="https://example.org/">another site: not fetched</a>'
        '<a href="/_static/x.css">root-absolute</a> <a href="gone.zip">missing</a> '
        '<a href="sub/page.html#nowhere">no such anchor</a>'
        '<img src="/index.html" alt="">'
        '<div class="trustlab-chart" data-vega="specs/a.json"></div>'
        '<div class="trustlab-chart" data-vega="specs/b.json"></div>'
        '</body></html>')
    (tmp_path / "sub" / "page.html").write_text(
        '<!DOCTYPE html><html><head><title>p</title></head><body><p id="here">p</p>'
        '<a href="../index.html#top">fine</a><script src="../missing.js"></script>'
        '</body></html>')
    with serve(tmp_path) as site:
        result = check_links(tmp_path, site)
    text = "\n".join(result.problems)
    expected = {
        ("index.html", "/_static/x.css (404, outside"),            # root-absolute link
        ("index.html", "/index.html (404, outside"),               # root-absolute image
        ("index.html", f"{PREFIX}gone.zip (404;"),                 # missing download
        ("index.html", f"{PREFIX}sub/page.html#nowhere (200, but the page has no id"),
        ("index.html", f"{PREFIX}_static/trustlab/specs/b.json (404; chart data-vega)"),
        ("style.css", "/bg.png (404, outside"),                    # root-absolute url()
        ("sub/page.html", f"{PREFIX}missing.js (404; script[src])"),
    }
    for page, what in expected:
        assert any(p.startswith(f"{page} -> ") and what in p for p in result.problems), (
            f"not reported: {page} -> {what}\n{text}")
    assert len(result.problems) == len(expected), text
