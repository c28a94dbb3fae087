"""Shared fixtures: the built book, a local web server, and headless Chromium."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "html"
BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# Every process the tests start (book build, notebook kernels) refuses non-local network
# connections: see trustlab/offline.py. The Makefile sets the same; this covers a bare pytest.
os.environ["TRUSTLAB_OFFLINE"] = "1"
_guard = str(ROOT / "tools" / "offline")
if _guard not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_guard, os.environ.get("PYTHONPATH", "")) if p)
from trustlab.offline import install  # noqa: E402

install()

# A test that hangs fails on its own after a time limit instead of stalling the run.
from timelimit import pytest_runtest_protocol  # noqa: E402,F401


def build_book(source: Path = ROOT, *extra: str) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=source)


def _reuse_built() -> bool:
    return (os.environ.get("TRUSTLAB_TEST_BUILT") == "1" and (BUILD / "index.html").is_file()
            and os.environ.get("CI", "").lower() != "true")


def _shared_dir(tmp_path_factory) -> Path:
    """A folder every test process of this run shares (with pytest -n, each worker has its own
    temporary folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def _book_build_started(request, tmp_path_factory):
    """When any selected test needs the built book, start building it in the background as soon
    as the run starts, once per run (the first test process to get here starts it), so the
    tests that do not need the book run meanwhile."""
    if _reuse_built() or not any("built_book" in getattr(item, "fixturenames", ())
                                 for item in request.session.items):
        yield
        return
    shared = _shared_dir(tmp_path_factory)
    proc = None
    try:
        fd = os.open(shared / "book-build.started", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pass
    else:
        # What `make book` runs: jupyter-book build -W -n --keep-going, pages read (and so
        # executed) in parallel.
        cmd = [str(BIN / "python"), "-m", "trustlab.build", "--force"]
        script = (
            "import subprocess, sys, os\n"
            f"r = subprocess.run({cmd!r}, capture_output=True, text=True, cwd={str(ROOT)!r})\n"
            "log = (r.stdout + r.stderr)[-6000:]\n"
            f"tmp = {str(shared / 'book-build.tmp')!r}\n"
            "open(tmp, 'w', encoding='utf-8').write(f'{r.returncode}\\n{log}')\n"
            f"os.replace(tmp, {str(shared / 'book-build.log')!r})\n")
        proc = subprocess.Popen([sys.executable, "-c", script])
        os.write(fd, str(proc.pid).encode())
        os.close(fd)
    yield
    # In one test process, a run that ends before the build (pytest -x, a failed test) stops
    # it. With pytest -n another process may still be waiting for it: there it finishes.
    if proc is not None and proc.poll() is None and not os.environ.get("PYTEST_XDIST_WORKER"):
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, _book_build_started) -> Path:
    """The book, built once per test run, strictly (-W -n --keep-going): waits for the build
    that the first test process started in the background.
    TRUSTLAB_TEST_BUILT=1 reuses _build/html as it is (for re-running the browser tests
    while working on the book's JavaScript or CSS; never in CI)."""
    if _reuse_built():
        return BUILD
    import time

    shared = _shared_dir(tmp_path_factory)
    outcome = shared / "book-build.log"
    while not outcome.is_file():
        # the builder's process id (empty for the instant between its start and the write)
        pid = int((shared / "book-build.started").read_text() or os.getpid())
        try:
            os.kill(pid, 0)
        except OSError:
            if not outcome.is_file():
                pytest.fail("the book build stopped without a result (was it killed?)")
        time.sleep(0.5)
    code, log = outcome.read_text(encoding="utf-8").split("\n", 1)
    assert code == "0", f"jupyter-book build failed:\n{log}"
    assert (BUILD / "index.html").is_file()
    return BUILD


# The browser tests read the book where GitHub Pages puts a project site: under a sub-path,
# with nothing above it. A page that names a file from the server's root (/_static/...) gets
# 404 there, and open_page reports every error status, so each browser test checks that the
# book works when published (see also tests/test_subpath.py).
SUBPATH = "/trust-enforcement"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a tab closed while a file was on its way (broken pipe): not the book's fault


@contextmanager
def serve(root: Path, subpath: str = SUBPATH):
    """Serve ``root`` on 127.0.0.1 (a free port) under ``subpath`` only: yield the book's
    address, ``http://127.0.0.1:<port><subpath>``. Requests outside it get 404; the bare
    sub-path is redirected to its folder, as static hosts do."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

        def send_head(self):
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == subpath:
                self.send_response(301)
                self.send_header("Location", subpath + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if not path.startswith(subpath + "/"):
                self.send_error(404, f"outside {subpath}/")
                return None
            return super().send_head()

        def translate_path(self, path):
            return super().translate_path(path[len(subpath):])

    httpd = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}{subpath}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def server(built_book: Path):
    """The built book, served on 127.0.0.1 under SUBPATH (a random free port)."""
    with serve(built_book) as url:
        yield url


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if not exe:
        msg = ("No Chromium found for the browser tests. Install it with your system's package "
               "manager, e.g. `sudo apt-get install chromium` (Debian/Ubuntu) or "
               "`brew install --cask chromium` (macOS), or set CHROMIUM=/path/to/chromium.")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " In CI this is a failure: .ci/run installs it.")
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


# ------------------------------------------------------------------------------------------
# Visiting the built book as readers do. Each page is opened once per width; the offline,
# accessibility and small-screen tests all read what these visits collected.

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "_build" / "screenshots"


def open_page(browser, url: str, *, width: int = 1280, dark: bool = False):
    """Open ``url`` in a fresh tab (a first visit: empty storage), ``width`` px wide, in the
    reader's light or dark colour scheme; return (page, external requests, console errors).
    Every console error counts, the theme's included, and so does every error status of a
    file the page asks the test server for (a missing file, or one named from outside the
    book's sub-path)."""
    external: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": 900},
                            color_scheme="dark" if dark else "light")

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} for {r.url}")
            if r.status >= 400 and urlparse(r.url).hostname == "127.0.0.1" else None)
    page.goto(url, wait_until="load")
    return page, external, errors


def wait_for_charts(page) -> int:
    """Draw every chart of the page (a reader's scrolling draws them one by one; the runtime
    draws a chart when it comes within two screens of the view) and wait until all are."""
    n = page.locator(".trustlab-chart").count()
    if n:
        page.wait_for_function("() => !!(window.trustlabCharts && window.trustlabCharts.drawAll)",
                               timeout=20_000)
        page.evaluate("() => { window.trustlabCharts.drawAll(); }")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.trustlab-chart')]"
            ".every(c => c.dataset.rendered)", timeout=20_000)
    return n


# What a visit collects on each page: axe-core's violations (when asked), the page's width,
# and each chart's state and boxes.
_COLLECT = """
async (runAxe) => {
  const results = runAxe ? await axe.run(document, {resultTypes: ['violations']}) : null;
  const charts = [...document.querySelectorAll('.trustlab-chart')].map(c => {
    const box = c.getBoundingClientRect();
    const svg = c.querySelector('.trustlab-chart-target svg');
    const s = svg ? svg.getBoundingClientRect() : null;
    const marks = c.querySelectorAll('svg .mark-line path, svg .mark-rect path, svg .mark-symbol '
      + 'path, svg .mark-area path, svg .mark-shape path, svg .mark-arc path, '
      + 'svg .mark-rule line, svg .mark-bar path').length;
    return {title: c.dataset.title, rendered: c.dataset.rendered, fit: c.dataset.fit,
            marks, left: box.left, right: box.right, svgLeft: s && s.left,
            svgRight: s && s.right};
  });
  return {
    violations: results ? results.violations.map(v => ({id: v.id, impact: v.impact,
      help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})) : [],
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    charts,
  };
}
"""


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed ({AXE} is missing). `make test` installs it "
                    "with `npm ci`; or run `npm ci` in the repository.")
    return AXE.read_text(encoding="utf-8")


# The Spanish edition's pages the browser tests open: every translated page, the search page,
# and one page of each kind that stays English (a data lab, an exercise set, instructor notes,
# a reference page), which are the English page's body under the Spanish edition's notice and
# header. (Every Spanish page is checked without a browser: tests/test_build.py and
# tests/test_translation.py read them all.) Opening all 34 again at two widths with axe-core
# would add about three minutes to the suite.
SPANISH_SAMPLE = {"es/search.html", "es/notebooks/03-crime-lab.html",
                  "es/exercises/student/03-crime.html", "es/book/03-crime/instructor.html",
                  "es/book/bibliography.html"}


def spanish_page_to_visit(rel: str) -> bool:
    from trustlab import i18n

    return rel in SPANISH_SAMPLE or rel[3:-5] in i18n.TRANSLATED


def visit_pages(browser, server, built_book, *, width: int = 1280, dark: bool = False,
                axe: bool = True, only: str | None = None, screenshots: bool = False
                ) -> dict[str, dict]:
    """Open every page of the built book (the Spanish edition's: see SPANISH_SAMPLE; or those
    whose path starts with ``only``, or ``only="charts"``: pages with a chart) and collect
    what _COLLECT returns, plus
    ``problems``: requests to other hosts and console errors."""
    from test_build import html_pages

    script = axe_source() if axe else ""
    out: dict[str, dict] = {}
    for html in html_pages(built_book):
        rel = html.relative_to(built_book).as_posix()
        if rel.startswith("es/") and not spanish_page_to_visit(rel):
            continue
        text = html.read_text(encoding="utf-8")
        if only == "charts" and "trustlab-chart" not in text:
            continue
        if only not in (None, "charts") and not rel.startswith(only):
            continue
        page, external, errors = open_page(browser, f"{server}/{rel}", width=width, dark=dark)
        redirect = text.startswith('<meta http-equiv="Refresh"')
        if redirect:  # index.html sends readers to the welcome page
            page.wait_for_function(f"() => !location.href.endsWith('/{rel}') && "
                                   "document.readyState === 'complete'")
        n = wait_for_charts(page)
        if script and not redirect:
            page.evaluate(script)
        found = page.evaluate(_COLLECT, bool(script) and not redirect)
        if screenshots and n:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / (rel.replace("/", "__") + f"-{width}.png")))
        found["problems"] = ([f"request to another host: {u}" for u in external]
                             + [f"console error: {e}" for e in errors])
        out[rel] = found
        page.close()
    return out


def _once_per_run(tmp_path_factory, name: str, compute) -> dict:
    """``compute()``, once per test run: with pytest -n, the first process to need it computes
    it and the others read its result (JSON) from the folder the run shares."""
    import json

    shared = _shared_dir(tmp_path_factory)
    result = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        try:
            import fcntl
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except ImportError:  # no fcntl (Windows): the tests run in one process there
            pass
        if result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        value = compute()
        result.write_text(json.dumps(value), encoding="utf-8")
        return value


@pytest.fixture(scope="session")
def desktop_visits(browser, server, built_book, tmp_path_factory):
    """Every page at 1280 px, with axe-core (once per run)."""
    return _once_per_run(tmp_path_factory, "desktop-visits", lambda: visit_pages(
        browser, server, built_book, screenshots=True))


@pytest.fixture(scope="session")
def phone_visits(browser, server, built_book, tmp_path_factory):
    """Every page at 320 px, with axe-core (once per run)."""
    return _once_per_run(tmp_path_factory, "phone-visits", lambda: visit_pages(
        browser, server, built_book, width=320))


# The longest test files start first, so that the test processes finish together (with
# --dist loadfile a long file that starts last makes the run as long as itself). Those that
# do not need the book go before it is built (it builds in the background as the run starts).
LONGEST_FIRST = ["tests/test_hub.py", "tests/test_grading.py", "tests/test_exercises.py",
                 "tests/test_student_experience.py", "tests/test_accessibility.py",
                 "tests/test_rebuild.py", "tests/test_browser.py", "tests/test_practices.py"]


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
