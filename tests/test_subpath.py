"""The built book works when it is published under a sub-path, as GitHub Pages serves a
project site (https://owner.github.io/trust-enforcement/).

A local server serves the built book under /trust-enforcement/ only: any request outside that
prefix gets 404. Headless Chromium opens every page there and draws its charts; the test fails
on any request to another host, any same-site response with an error status, and any request
that leaves the sub-path (a root-absolute URL such as /_static/x.css). Then every link, image,
script, stylesheet, form target and chart file named in the pages (and every url() in the
stylesheets) is checked: the file exists (one HTTP request per URL at most), and a #fragment
names an element of the target page. A small synthetic site with known faults proves that
the check reports them."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import wait_for_charts

pytestmark = pytest.mark.browser

PREFIX = "/trust-enforcement/"
PARALLEL = 4  # pages loading at once in one browser context
NOT_FETCHED = ("data:", "blob:", "javascript:", "mailto:", "tel:", "about:")


# ------------------------------------------------------------------------------ the server

class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a tab closed while a file was on its way (broken pipe): not the book's fault


@contextmanager
def serve_under_prefix(root: Path, prefix: str = PREFIX) -> Iterator[tuple[str, list[str]]]:
    """Serve ``root`` at http://127.0.0.1:<port><prefix>; yield (the site's URL, the paths
    requested outside the prefix). Every request outside the prefix is answered 404."""
    outside: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

        def _inside(self) -> bool:
            if urlsplit(self.path).path.startswith(prefix):
                return True
            outside.append(self.path)
            self.send_error(404, f"outside {prefix}")
            return False

        def do_GET(self):
            if self._inside():
                super().do_GET()

        def do_HEAD(self):
            if self._inside():
                super().do_HEAD()

        def translate_path(self, path):
            # only reached inside the prefix; a folder's redirect (to "folder/") keeps it
            return super().translate_path("/" + path[len(prefix):])

    httpd = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}{prefix}", outside
    finally:
        httpd.shutdown()
        httpd.server_close()


# ------------------------------------------------------------------------------ the crawler

class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "id" or (name == "name" and tag == "a")):
                self.ids.add(value)


@functools.cache
def ids_in(path: Path) -> frozenset[str]:
    """The ids (and <a name>s) of an HTML file: what a #fragment can land on."""
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


# Every URL a page names, resolved against the page; a chart's spec files are resolved
# against the chart runtime's own URL, as charts.js does.
_NAMED = r"""
() => {
  const out = [];
  const add = (kind, value, base) => {
    try { out.push([kind, new URL(value, base || document.baseURI).href]); }
    catch (e) { out.push([kind, 'unparsable URL: ' + value]); }
  };
  const attrs = {a: 'href', link: 'href', img: 'src', script: 'src', source: 'src',
                 form: 'action'};
  for (const [tag, attr] of Object.entries(attrs)) {
    document.querySelectorAll(`${tag}[${attr}]`).forEach(
      el => add(`${tag}[${attr}]`, el.getAttribute(attr)));
  }
  const runtime = [...document.scripts].find(s => /\/trustlab\/charts\.js(\?|$)/.test(s.src));
  document.querySelectorAll('.trustlab-chart').forEach(c => {
    for (const key of ['vega', 'spec', 'narrow']) {
      if (c.dataset[key]) {
        add(`chart data-${key}`, c.dataset[key], runtime ? runtime.src : undefined);
      }
    }
  });
  return out;
}
"""


@dataclass
class Crawl:
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    requested: set[str] = field(default_factory=set)  # same-site URLs the browser fetched
    checked: int = 0   # URLs (without fragment) checked
    anchors: int = 0   # #fragments checked


def html_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def _short(url: str, origin: str) -> str:
    return url[len(origin):] if url.startswith(origin + "/") else url


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


def _visit(browser, site: str, root: Path, rels: list[str], out: Crawl,
           status: dict[str, int]) -> dict[str, list]:
    """Open the pages in one browser context (up to PARALLEL loading at once), draw their
    charts; record what they request into ``out`` and ``status``; return what each names."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
    named: dict[str, list] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # as conftest.open_page: anything that would leave the test server is stopped (a pattern
    # the browser matches itself, so the book's own requests do not wait for Python)
    context.route(re.compile(f"^(?!(?:data:|blob:|{re.escape(origin)}/))"), lambda r: r.abort())

    def url_of(rel):  # the front page as readers open it: the bare site URL
        return site if rel == "index.html" else site + rel

    def watch(page, rel):
        answered: set[str] = set()  # URLs this tab got an error status for

        def who(req) -> str:
            """The page whose document made the request (after index.html's redirect, the
            page it sent the reader to)."""
            try:
                doc = req.frame.url.split("#")[0].split("?")[0]
            except Exception:  # a request of no frame (a worker's)
                return rel
            return (doc[len(site):] or "index.html") if doc.startswith(site) else rel

        def on_request(req):
            if req.url.startswith(NOT_FETCHED):
                return
            if not req.url.startswith(origin + "/"):
                out.problems.append(f"{who(req)} -> {req.url} (request to another host)")
            elif not urlsplit(req.url).path.startswith(PREFIX):
                out.problems.append(f"{who(req)} -> {_short(req.url, origin)} "
                                    f"(requested outside {PREFIX})")

        def on_response(resp):
            if resp.url.startswith(origin + "/"):
                out.requested.add(resp.url)
                status.setdefault(resp.url.split("#")[0], resp.status)
                if resp.status >= 400:
                    answered.add(resp.url)
                if resp.status >= 400 and urlsplit(resp.url).path.startswith(PREFIX):
                    out.problems.append(f"{who(resp.request)} -> {_short(resp.url, origin)} "
                                        f"({resp.status}, requested by the page)")

        def on_failed(req):
            if req.url.startswith(origin + "/") and req.url not in answered:
                out.problems.append(f"{who(req)} -> {_short(req.url, origin)} "
                                    f"(request failed: {req.failure})")

        page.on("request", on_request)
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        page.on("pageerror", lambda e: out.problems.append(f"{rel}: script error: {e}"))

    def start(rel):
        page = context.new_page()
        watch(page, rel)
        page.goto(url_of(rel), wait_until="commit")
        return page  # it goes on loading while the next ones start

    def finish(page, rel):
        page.wait_for_load_state("load")
        if (root / rel).read_text(encoding="utf-8").startswith('<meta http-equiv="Refresh"'):
            # index.html sends readers on to the first page: what it names is where they land
            # (that page itself is visited on its own)
            page.wait_for_url(lambda u: u != url_of(rel), wait_until="load", timeout=20_000)
            named[rel] = [("meta refresh", page.url)]
        else:
            wait_for_charts(page)  # lazily loaded chart files are fetched too
            named[rel] = page.evaluate(_NAMED)
        page.close()

    try:
        for i in range(0, len(rels), PARALLEL):
            batch = rels[i:i + PARALLEL]
            pages = [start(rel) for rel in batch]
            for page, rel in zip(pages, batch, strict=True):
                finish(page, rel)
    finally:
        context.close()
    return named


def crawl(browser, root: Path) -> Crawl:
    """Serve ``root`` under PREFIX, open its every HTML page in Chromium, check every URL the
    pages and stylesheets name. Each problem is one line: ``page -> url (what is wrong)``."""
    out = Crawl()
    rels = [p.relative_to(root).as_posix() for p in html_files(root)]
    out.pages = len(rels)
    status: dict[str, int] = {}  # URL without fragment -> HTTP status, each checked once
    with serve_under_prefix(root) as (site, outside):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
        named = _visit(browser, site, root, rels, out, status)
        for css in sorted(root.rglob("*.css")):
            rel = css.relative_to(root).as_posix()
            named[rel] = [("css url()", urljoin(site + rel, ref))
                          for ref in _css_urls(css.read_text(encoding="utf-8", errors="replace"))]

        todo = sorted({u.split("#")[0] for found in named.values() for _, u in found
                       if u.startswith(origin + "/")} - status.keys())
        with ThreadPoolExecutor(8) as pool:
            status.update(zip(todo, pool.map(_status, todo), strict=True))
        out.checked = len({u.split("#")[0] for found in named.values() for _, u in found
                           if u.startswith(origin + "/")})

        for rel, found in named.items():
            for kind, url in sorted(set(map(tuple, found))):
                if url.startswith("unparsable URL: "):
                    out.problems.append(f"{rel} -> {url[16:]} (unparsable URL; {kind})")
                    continue
                if not url.startswith(origin + "/"):
                    continue  # a link to another site: nothing the book loads
                bare, _, fragment = url.partition("#")
                code, short = status[bare], _short(url, origin)
                if not urlsplit(bare).path.startswith(PREFIX):
                    out.problems.append(f"{rel} -> {short} ({code}, outside {PREFIX}; {kind})")
                elif not 200 <= code < 400:
                    out.problems.append(f"{rel} -> {short} ({code or 'no answer'}; {kind})")
                elif fragment and kind == "a[href]":
                    path = root / unquote(urlsplit(bare).path)[len(PREFIX):]
                    path = path / "index.html" if path.is_dir() else path
                    if path.suffix == ".html":
                        out.anchors += 1
                        if unquote(fragment) not in ids_in(path):
                            out.problems.append(f"{rel} -> {short} ({code}, but the page has "
                                                f"no id {unquote(fragment)!r}; {kind})")
        # whatever reached the server outside the prefix and is not reported above
        out.problems += [f"? -> {p} (request outside {PREFIX} reached the server)"
                         for p in sorted(set(outside))
                         if not any(f" -> {p} " in q for q in out.problems)]
    out.problems = sorted(set(out.problems))
    return out


# ------------------------------------------------------------------------------ the tests

def test_the_book_works_under_a_sub_path(browser, built_book):
    """Every page of the built book, served under /trust-enforcement/ only: no request to
    another host or outside the sub-path, no error status, no broken link or anchor."""
    started = time.monotonic()
    result = crawl(browser, built_book)
    took = time.monotonic() - started
    assert not result.problems, (
        f"{len(result.problems)} problem(s) with the book served under {PREFIX} "
        f"({result.pages} pages, {took:.1f} s):\n" + "\n".join(result.problems))
    assert result.pages >= 30
    assert result.checked >= 100 and result.anchors >= 100, result
    # the charts were drawn: every chart file a page names in data-vega was fetched
    lazy = {m for p in html_files(built_book)
            for m in re.findall(r'data-vega="([^"]+)"', p.read_text(encoding="utf-8"))}
    fetched = {urlsplit(u).path.rsplit("/", 1)[-1] for u in result.requested}
    assert lazy and not {n.rsplit("/", 1)[-1] for n in lazy} - fetched, (lazy, fetched)


def test_the_check_reports_broken_links(browser, tmp_path):
    """The crawler itself, on a tiny site with known faults: each one is reported, and
    nothing else."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    (tmp_path / "style.css").write_text("body { background: url(/bg.png); }\n")
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><head><title>t</title><link rel="stylesheet" href="style.css">'
        '</head><body><h1 id="top">t</h1>'
        '<a href="sub/page.html#here">fine</a> <a href="data.csv">fine</a> '
        '<a href="#top">fine</a> <a href="https://example.org/">another site: not fetched</a>'
        '<a href="/_static/x.css">root-absolute</a> <a href="gone.zip">missing</a> '
        '<a href="sub/page.html#nowhere">no such anchor</a>'
        '<img src="/index.html" alt=""><img src="http://example.org/pixel.png" alt="">'
        '</body></html>')
    (tmp_path / "sub" / "page.html").write_text(
        '<!DOCTYPE html><html><head><title>p</title></head><body><p id="here">p</p>'
        '<a href="../index.html#top">fine</a><script src="../missing.js"></script>'
        '</body></html>')
    result = crawl(browser, tmp_path)
    text = "\n".join(result.problems)
    expected = {
        ("index.html", "/_static/x.css (404, outside"),            # root-absolute link
        ("index.html", "/index.html (404, outside"),               # root-absolute image ...
        ("index.html", "/index.html (requested outside"),          # ... which the page loads
        ("index.html", "/bg.png (requested outside"),              # (as the stylesheet's url())
        ("index.html", "http://example.org/pixel.png (request to another host"),
        ("index.html", f"{PREFIX}gone.zip (404;"),                 # missing download
        ("index.html", f"{PREFIX}sub/page.html#nowhere (200, but the page has no id"),
        ("style.css", "/bg.png (404, outside"),                    # root-absolute url()
        ("sub/page.html", f"{PREFIX}missing.js (404, requested by the page)"),
        ("sub/page.html", f"{PREFIX}missing.js (404; script[src])"),
    }
    for page, what in expected:
        assert any(p.startswith(f"{page} -> ") and what in p for p in result.problems), (
            f"not reported: {page} -> {what}\n{text}")
    assert len(result.problems) == len(expected), text
