"""Measure the book against the performance goals of issue #17, and fail when one is missed.

Run with ``make bench`` (or ``python benchmarks/run.py`` with the course's environment and
``TRUSTLAB_OFFLINE=1``). It prints a table and writes ``benchmarks/results/bench.md``,
``bench.csv`` and ``bench.json``: each measure, its value, its goal and whether it was met.
The exit status is 1 when any goal is missed, 2 when something could not be measured at
all (the build failed, Chromium is missing), and 0 when every goal measured was met.

The goals (for a 2-core machine; 1 KB = 1000 bytes, as browsers' developer tools count):

======================================================  ===========================
cold build per page (clean ``_build``, notebooks run)   at most 1.0 s
rebuild with nothing changed                            at most 1.5 s
rebuild after a one-page prose edit                     at most 3 s
first visit, mean page (raw / gzip)                     at most 700 KB / 250 KB
first visit, heaviest page (raw / gzip)                 at most 1,200 KB / 400 KB
first chart drawn on a slow phone (chapter 3)           at most 3 s
test suite (only with ``--suite``)                      at most 6 min
requests to other hosts, all pages                      0
======================================================  ===========================

How each is measured:

* Builds use the same command as ``make book``. The cold build clears ``_build/`` (and so
  jupyter-cache's store in it) and is divided by the number of HTML pages. Each rebuild is
  the median of 3 runs. The prose edit appends a sentence to ``book/01-history/index.md``,
  rebuilds (timed), restores the file and rebuilds again (always, even after an error).
* Page weight opens every page of ``_build/html`` in a fresh Chromium context (empty
  cache) at 1280 x 900 and at 375 x 812 (a phone), waits for every chart to be drawn and
  for the network to be quiet for 500 ms, and adds up every response's body: raw, and
  gzip-compressed (level 6) for text types. A page counts with the larger of its widths.
  Requests to other hosts are counted and blocked.
* The slow phone serves the book gzip-compressed, emulates 150 ms latency, 1.6 Mbit/s down,
  750 kbit/s up and a CPU 4 times slower, and reads the time (from navigation start) at which
  the first chart of ``book/03-crime/index.html`` was drawn. Median of 3 runs.
* Notebook execution times come from jupyter-cache's records after the cold build: shown
  for information, with no goal.

Options:

  (none)        everything except the test suite (what ``make bench`` runs)
  --quick       skip the cold build (and the suite): rebuilds, page weight, slow phone
  --pages-only  only page weight and the slow phone, on the book already in _build/html
  --suite       also time the whole test suite (ruff and pytest, as ``make test``; minutes)

``make bench BENCH_FLAGS=--quick`` passes options through make.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import http.server
import json
import mimetypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
OUT = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
EDITED = ROOT / "book" / "01-history" / "index.md"
CHART_PAGE = "book/03-crime/index.html"
RUNS = 3
KB = 1000
# The same flags as the browser tests (tests/conftest.py); a test checks they agree.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
COMPRESSIBLE = {".html", ".htm", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".xml", ".map"}
COMPRESSIBLE_TYPES = ("html", "javascript", "css", "json", "svg", "text/plain", "xml")
WIDTHS = {"desktop": 1280, "phone": 375}
LOCAL_HOSTS = ("127.0.0.1", "localhost")
QUIET_MS = 500


# ------------------------------------------------------------------------------------------
# Measures, goals and the verdict

@dataclass
class Measure:
    key: str
    label: str
    unit: str
    goal: float | None = None      # the largest value that meets the goal; None: informational
    value: float | None = None     # None: not measured in this run
    note: str = ""

    @property
    def result(self) -> str:
        if self.value is None:
            return "not measured"
        if self.goal is None:
            return "info"
        return "met" if self.value <= self.goal else "MISSED"


def goals() -> list[Measure]:
    """The goals of issue #17, in the order the report shows them."""
    return [
        Measure("cold_build_s_per_page", "cold build per page (clean _build, notebooks run)",
                "s", 1.0),
        Measure("rebuild_nothing_changed_s", "rebuild with nothing changed (median of 3)",
                "s", 1.5),
        Measure("rebuild_prose_edit_s", "rebuild after a one-page prose edit (median of 3)",
                "s", 3.0),
        Measure("mean_page_raw_kb", "first visit, mean page, raw", "KB", 700),
        Measure("mean_page_gzip_kb", "first visit, mean page, gzip", "KB", 250),
        Measure("heaviest_page_raw_kb", "first visit, heaviest page, raw", "KB", 1200),
        Measure("heaviest_page_gzip_kb", "first visit, heaviest page, gzip", "KB", 400),
        Measure("slow_phone_first_chart_s",
                f"first chart drawn on a slow phone ({CHART_PAGE}, median of 3)", "s", 3.0),
        Measure("test_suite_min", "test suite (make test)", "min", 6.0),
        Measure("external_requests", "requests to other hosts, all pages", "", 0),
    ]


def exit_status(measures: list[Measure]) -> int:
    """1 when any measured value misses its goal, else 0 (unmeasured rows do not count)."""
    return 1 if any(m.result == "MISSED" for m in measures) else 0


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "KB":
        return f"{value:,.0f} KB"
    if unit == "":
        return f"{value:g}"
    return f"{value:.2f} {unit}"


# ------------------------------------------------------------------------------------------
# Builds

class BenchError(Exception):
    """Something could not be measured; the message says what to do."""


# CPU seconds (user + system) of each build, beside its wall-clock time: on a busy machine
# the wall clock includes waiting for a core, and the report shows both.
CPU_SECONDS: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


MAKE_BOOK = [str(BIN / "python"), "-m", "trustlab.build"]  # what `make book` runs
SPHINX_ONLY = [str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]


def build(cmd: list[str] = MAKE_BOOK) -> float:
    """Build the book as ``make book`` does (or with ``cmd``); return the seconds it took."""
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    CPU_SECONDS.append(_children_cpu() - cpu)
    if proc.returncode != 0:
        raise BenchError(f"The book did not build ({' '.join(cmd[-5:])}). "
                         "Fix the build first; its last lines:\n"
                         + (proc.stdout + proc.stderr)[-3000:])
    return seconds


def cold_build() -> tuple[float, int, list[Measure]]:
    """Build from nothing; return seconds, the number of pages, and notebook times."""
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.rmtree(ROOT / ".jupyter_cache", ignore_errors=True)
    seconds = build()
    return seconds, len(page_list(HTML)), notebook_times()


def notebook_times() -> list[Measure]:
    """Execution time of each notebook, as jupyter-cache recorded it during the build."""
    try:
        from jupyter_cache import get_cache
        records = get_cache(str(BUILD / ".jupyter_cache")).list_cache_records()
    except Exception:  # informational only: a different cache layout is not an error
        return []
    rows = []
    for r in sorted(records, key=lambda r: str(r.uri)):
        seconds = (r.data or {}).get("execution_seconds")
        if seconds is not None:
            uri = Path(str(r.uri))
            name = uri.relative_to(ROOT).as_posix() if uri.is_relative_to(ROOT) else str(uri)
            rows.append(Measure(f"execute:{name}", f"execute {name} (during the build)", "s",
                                None, float(seconds)))
    return rows


def rebuild_nothing_changed() -> float:
    return statistics.median(build() for _ in range(RUNS))


def rebuild_prose_edit(path: Path = EDITED) -> float:
    """Median of 3: append a sentence to ``path``, time the rebuild, restore, rebuild."""
    original = path.read_bytes()
    times = []
    try:
        for i in range(RUNS):  # edited build, then restored build: CPU_SECONDS alternates
            path.write_bytes(original + f"\n\nA sentence the benchmark adds ({i + 1}) and "
                             "removes again.\n".encode())
            times.append(build())
            path.write_bytes(original)
            build()
    finally:
        if path.read_bytes() != original:
            path.write_bytes(original)
            build()  # leave the build matching the sources
    return statistics.median(times)


def test_suite() -> float:
    """Minutes for ``make test`` (lint, then the tests in parallel processes)."""
    start = time.perf_counter()
    tests = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    minutes = (time.perf_counter() - start) / 60
    if tests.returncode:
        print("Note: the test suite did not pass; its time is still reported.\n"
              + (tests.stdout + tests.stderr)[-1500:])
    return minutes


# ------------------------------------------------------------------------------------------
# Serving the built book

def page_list(html: Path = HTML) -> list[str]:
    """Every page a reader can open: all HTML files except the theme's and Sphinx's
    folders, and except a redirect (the top index.html only sends readers on)."""
    out = []
    for p in sorted(html.rglob("*.html")):
        rel = p.relative_to(html)
        if {"_static", "_sources", "_images", "_downloads"} & set(rel.parts):
            continue
        head = p.read_text(encoding="utf-8", errors="replace")[:300].lstrip().lower()
        if head.startswith("<meta http-equiv=\"refresh\""):
            continue
        out.append(rel.as_posix())
    return out


def is_compressible(name: str, content_type: str = "") -> bool:
    suffix = Path(urlparse(name).path).suffix.lower()
    if suffix:
        return suffix in COMPRESSIBLE
    return any(t in content_type.lower() for t in COMPRESSIBLE_TYPES)


def gzip_size(body: bytes, name: str, content_type: str = "") -> int:
    return len(gzip.compress(body, 6)) if is_compressible(name, content_type) else len(body)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@functools.lru_cache(maxsize=512)
def _gzipped(path: str, mtime: float) -> bytes:
    return gzip.compress(Path(path).read_bytes(), 6)


class GzipHandler(QuietHandler):
    """Serves text files gzip-compressed (Content-Encoding: gzip), as a real web host
    would; everything else as it is."""

    def do_GET(self):
        path = Path(self.translate_path(unquote(self.path.split("?")[0].split("#")[0])))
        if path.is_file() and path.suffix.lower() in COMPRESSIBLE:
            body = _gzipped(str(path), path.stat().st_mtime)
            self.send_response(200)
            self.send_header("Content-Type", mimetypes.guess_type(path.name)[0]
                             or "application/octet-stream")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


@contextmanager
def serve(directory: Path, handler=QuietHandler):
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# ------------------------------------------------------------------------------------------
# In the browser

@contextmanager
def chromium():
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not exe:
        raise BenchError("No Chromium found: install it (e.g. sudo apt-get install chromium) "
                         "or set CHROMIUM=/path/to/chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _context(browser, width: int):
    if width < 600:
        return browser.new_context(viewport={"width": width, "height": 812}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2)
    return browser.new_context(viewport={"width": width, "height": 900})


def measure_page(browser, url: str, width: int = 1280, timeout_s: float = 60) -> dict:
    """Open ``url`` as a first visit (a new context: empty cache) ``width`` px wide, wait
    for the charts and a quiet network, and add up every response the page received."""
    context = _context(browser, width)
    page = context.new_page()
    responses, external = [], []
    pending: set = set()
    last = [time.perf_counter()]

    def route(r):
        url_ = r.request.url
        if url_.startswith(("data:", "blob:")) or urlparse(url_).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            external.append(url_)
            r.abort()

    def started(req):
        pending.add(req)
        last[0] = time.perf_counter()

    def ended(req):
        pending.discard(req)
        last[0] = time.perf_counter()

    page.route("**/*", route)
    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.on("response", lambda r: responses.append(r))
    try:
        page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        # Every chart near the first view drawn (the others wait until the reader scrolls
        # near them: data-waiting).
        page.wait_for_function(
            "() => [...document.querySelectorAll('.trustlab-chart')]"
            ".every(c => c.dataset.rendered || c.dataset.waiting)", timeout=timeout_s * 1000)
        deadline = time.perf_counter() + timeout_s
        while (pending or time.perf_counter() - last[0] < QUIET_MS / 1000) \
                and time.perf_counter() < deadline:
            page.wait_for_timeout(100)
        files, raw, gz = [], 0, 0
        for resp in responses:
            if not resp.url.startswith("http") or urlparse(resp.url).hostname not in LOCAL_HOSTS:
                continue
            try:
                body = resp.body()
            except Exception:  # a redirect has no body
                body = b""
            ctype = resp.headers.get("content-type", "")
            size_gz = gzip_size(body, resp.url, ctype)
            raw += len(body)
            gz += size_gz
            files.append({"url": resp.url, "status": resp.status, "raw": len(body),
                          "gzip": size_gz})
    finally:
        context.close()
    return {"url": url, "width": width, "requests": len(files), "raw": raw, "gzip": gz,
            "files": files, "external": external}


def page_weights(browser, base: str, pages: list[str]) -> list[dict]:
    out = []
    for rel in pages:
        for name, width in WIDTHS.items():
            m = measure_page(browser, f"{base}/{rel}", width)
            m.update(page=rel, view=name)
            out.append(m)
            print(f"  {rel} at {width} px: {m['requests']} requests, "
                  f"{m['raw'] / KB:,.0f} KB raw, {m['gzip'] / KB:,.0f} KB gzip", flush=True)
    return out


FIRST_CHART = """
(() => {
  const seen = () => {
    if (window.__trustlabFirstChart === undefined &&
        document.querySelector('.trustlab-chart[data-rendered="true"]')) {
      window.__trustlabFirstChart = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, attributes: true,
                                                attributeFilter: ['data-rendered']});
})();
"""


def slow_phone_once(browser, url: str, timeout_s: float = 120) -> float:
    """Seconds from navigation start until the page's first chart is drawn, on a phone
    with a slow network and a slow CPU."""
    context = _context(browser, WIDTHS["phone"])
    page = context.new_page()
    page.add_init_script(FIRST_CHART)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
        "uploadThroughput": 750e3 / 8})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    try:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        page.wait_for_function("() => window.__trustlabFirstChart !== undefined || "
                               "!!document.querySelector('.trustlab-chart[data-rendered=\"error\"]')",
                               timeout=timeout_s * 1000)
        ms = page.evaluate("() => window.__trustlabFirstChart")
    finally:
        context.close()
    if ms is None:
        raise BenchError(f"The first chart of {url} could not be drawn (data-rendered=error).")
    return ms / 1000


def slow_phone(browser) -> float:
    with serve(HTML, GzipHandler) as base:
        return statistics.median(slow_phone_once(browser, f"{base}/{CHART_PAGE}")
                                 for _ in range(RUNS))


def summarise_weights(weights: list[dict]) -> dict[str, float]:
    """Mean and heaviest page, in KB, each page counted at its heavier width."""
    per_page: dict[str, dict[str, int]] = {}
    for w in weights:
        p = per_page.setdefault(w["page"], {"raw": 0, "gzip": 0})
        p["raw"] = max(p["raw"], w["raw"])
        p["gzip"] = max(p["gzip"], w["gzip"])
    raws = [p["raw"] for p in per_page.values()]
    gzs = [p["gzip"] for p in per_page.values()]
    return {"mean_page_raw_kb": statistics.mean(raws) / KB,
            "mean_page_gzip_kb": statistics.mean(gzs) / KB,
            "heaviest_page_raw_kb": max(raws) / KB, "heaviest_page_gzip_kb": max(gzs) / KB,
            "heaviest_page": max(per_page, key=lambda k: per_page[k]["raw"]),
            "external_requests": sum(len(w["external"]) for w in weights)}


# ------------------------------------------------------------------------------------------
# The report

@dataclass
class Report:
    options: str
    measures: list[Measure]
    info: list[Measure] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)
    load: float = 0.0


def table(measures: list[Measure]) -> list[str]:
    lines = ["| measure | value | goal | result |", "|---|---|---|---|"]
    for m in measures:
        goal = "-" if m.goal is None else ("0" if m.unit == "" else "≤ " + fmt(m.goal, m.unit))
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| {m.label}{note} | {fmt(m.value, m.unit)} | {goal} | {m.result} |")
    return lines


def write_report(report: Report, out: Path = OUT) -> str:
    out.mkdir(parents=True, exist_ok=True)
    status = exit_status(report.measures)
    missed = [m.label for m in report.measures if m.result == "MISSED"]
    md = ["# Benchmark results (issue #17 goals)", "",
          f"Machine: {os.cpu_count()} cores, load average {report.load:.1f} when the run "
          f"started. Date: {time.strftime('%Y-%m-%d %H:%M')}. "
          f"Run: `python benchmarks/run.py {report.options}`.".replace(" `.", "`."), "",
          "Times are wall-clock; a build's CPU time is given beside it, since on a busy "
          "machine the wall clock also counts waiting for a core.", "",
          *table(report.measures), "",
          "Goals: " + ("all measured goals met." if not missed
                       else f"{len(missed)} MISSED: " + "; ".join(missed) + "."), ""]
    if report.info:
        md += ["## For information (no goal)", "", *table(report.info), ""]
    if report.pages:
        md += ["## Page weight per page (first visit, every request)", "",
               "| page | width | requests | raw | gzip |", "|---|---|---|---|---|"]
        md += [f"| {w['page']} | {w['width']} px | {w['requests']} | "
               f"{w['raw'] / KB:,.0f} KB | {w['gzip'] / KB:,.0f} KB |" for w in report.pages]
        md.append("")
    text = "\n".join(md)
    (out / "bench.md").write_text(text, encoding="utf-8")
    with open(out / "bench.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["measure", "value", "unit", "goal", "result"])
        for m in report.measures + report.info:
            writer.writerow([m.label, "" if m.value is None else round(m.value, 3), m.unit,
                             "" if m.goal is None else m.goal, m.result])
        for w in report.pages:
            writer.writerow([f"page {w['page']} at {w['width']} px, raw",
                             round(w["raw"] / KB, 1), "KB", "", "info"])
            writer.writerow([f"page {w['page']} at {w['width']} px, gzip",
                             round(w["gzip"] / KB, 1), "KB", "", "info"])
    heaviest = max(report.pages, key=lambda w: w["raw"], default=None)
    data = {"options": report.options, "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "cores": os.cpu_count(), "load_average": report.load, "exit_status": status,
            "measures": [{**asdict(m), "result": m.result} for m in report.measures],
            "info": [{**asdict(m), "result": m.result} for m in report.info],
            # every request of the heaviest view, and the totals of every page
            "pages": [{k: v for k, v in w.items() if k != "url"
                       and (k != "files" or w is heaviest)} for w in report.pages]}
    (out / "bench.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return text


def run(args: argparse.Namespace) -> Report:
    load = os.getloadavg()[0]
    measures = {m.key: m for m in goals()}
    info: list[Measure] = []
    pages: list[dict] = []
    if not args.pages_only:
        if not args.quick:
            print("Cold build (clean _build, every notebook executed) ...", flush=True)
            seconds, n, info = cold_build()
            measures["cold_build_s_per_page"].value = seconds / n
            measures["cold_build_s_per_page"].note = (
                f"{seconds:.0f} s for {n} pages; CPU {CPU_SECONDS[-1]:.0f} s")
        elif not (HTML / "index.html").is_file():
            build()
        print("Rebuilds, nothing changed ...", flush=True)
        CPU_SECONDS.clear()
        measures["rebuild_nothing_changed_s"].value = rebuild_nothing_changed()
        measures["rebuild_nothing_changed_s"].note = \
            f"make book; median CPU {statistics.median(CPU_SECONDS):.1f} s"
        # What the same rebuild costs when Sphinx runs anyway (jupyter-book build by hand).
        sphinx = statistics.median(build(SPHINX_ONLY) for _ in range(RUNS))
        info.append(Measure("rebuild_nothing_changed_sphinx_s",
                            "rebuild with nothing changed, Sphinx run anyway (jupyter-book "
                            "build, median of 3)", "s", None, sphinx))
        print(f"Rebuilds after editing {EDITED.relative_to(ROOT)} ...", flush=True)
        CPU_SECONDS.clear()
        measures["rebuild_prose_edit_s"].value = rebuild_prose_edit()
        measures["rebuild_prose_edit_s"].note = \
            f"median CPU {statistics.median(CPU_SECONDS[::2]):.1f} s"
    if not (HTML / CHART_PAGE).is_file():
        raise BenchError(f"No built book in {HTML}: run `make book` first.")
    with chromium() as browser:
        print("Page weight, every page at 1280 px and 375 px ...", flush=True)
        with serve(HTML) as base:
            pages = page_weights(browser, base, page_list(HTML))
        summary = summarise_weights(pages)
        for key in ("mean_page_raw_kb", "mean_page_gzip_kb", "heaviest_page_raw_kb",
                    "heaviest_page_gzip_kb", "external_requests"):
            measures[key].value = summary[key]
        for key in ("heaviest_page_raw_kb", "heaviest_page_gzip_kb"):
            measures[key].note = summary["heaviest_page"]
        measures["mean_page_raw_kb"].note = f"{len(pages) // len(WIDTHS)} pages"
        print("Slow phone, first chart ...", flush=True)
        measures["slow_phone_first_chart_s"].value = slow_phone(browser)
    if args.suite:
        print("Test suite (ruff and pytest) ...", flush=True)
        measures["test_suite_min"].value = test_suite()
    options = " ".join(o for o, on in (("--quick", args.quick), ("--pages-only", args.pages_only),
                                       ("--suite", args.suite)) if on)
    return Report(options, list(measures.values()), info, pages, load)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="skip the cold build and the suite (rebuilds, pages, slow phone)")
    ap.add_argument("--pages-only", action="store_true",
                    help="only page weight and the slow phone, on the existing build")
    ap.add_argument("--suite", action="store_true",
                    help="also time the whole test suite (takes minutes)")
    args = ap.parse_args(argv)
    try:
        report = run(args)
    except BenchError as err:
        print(f"make bench could not finish: {err}", file=sys.stderr)
        return 2
    print()
    print(write_report(report))
    print(f"Written to {OUT.relative_to(ROOT)}/bench.md, bench.csv and bench.json.")
    return exit_status(report.measures)


if __name__ == "__main__":
    sys.exit(main())
