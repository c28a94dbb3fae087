"""Benchmark the book and the student experience, and enforce the budgets.

Run with ``make bench``. Writes ``benchmarks/results/bench.md`` and ``bench.csv`` and exits
non-zero when a budget is broken. Budgets (2-core machine):

* every notebook (data labs and student exercises) runs top to bottom in under 10 s;
* a warm rebuild with nothing changed takes under 12 s (raised from 5 s when the book grew
  from 6 to 31 pages: profiling shows most of it is sphinxcontrib-bibtex formatting ~180
  references for the seven reference lists on every build, plus Jupyter Book's start-up);
* no page's HTML is over 500 KB;
* chart scripts are loaded only on pages with charts;
* zero requests to third-party hosts.

It also times the grader (one submission; a class of 40 graded two at a time): measured and
reported, with no budget set.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
OUT = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
ANCHOR = {"cold_s_per_page": 12.7, "render_s_per_page": 2.4, "mean_page_kb": 1075}
BUDGET = {"notebook_s": 10.0, "warm_s": 12.0, "page_kb": 500.0}
ASSET = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", re.I)


def timed(cmd: list[str], **kw) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    return time.perf_counter() - start, proc


def build() -> float:
    seconds, proc = timed([str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"])
    if proc.returncode != 0:
        sys.exit("book build failed:\n" + (proc.stdout + proc.stderr)[-4000:])
    return seconds


def pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html")
                  if not {"_static", "_sources", "_images"} & set(p.relative_to(HTML).parts)
                  and p.name not in {"genindex.html", "search.html"})


def page_weight(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    raw = len(text.encode())
    total, total_gz, external = raw, len(gzip.compress(text.encode())), []
    for url in dict.fromkeys(ASSET.findall(text)):  # a preloaded script is fetched once
        if urlparse(url).hostname not in (None, "", "127.0.0.1", "localhost"):
            external.append(url)
            continue
        target = (page.parent / url.split("?")[0].split("#")[0]).resolve()
        if target.is_file() and target.suffix in (".js", ".css"):
            data = target.read_bytes()
            total += len(data)
            total_gz += len(gzip.compress(data))
    return {"page": page.relative_to(HTML).as_posix(), "html_kb": raw / 1024,
            "with_assets_kb": total / 1024, "with_assets_gzip_kb": total_gz / 1024,
            "has_chart": 'class="trustlab-chart"' in text,
            "loads_chart_js": "trustlab/charts.js" in text, "external": external}


def notebook_times() -> list[tuple[str, float]]:
    out = []
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
            (ROOT / "exercises" / "student").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            for f in nb_path.parent.glob("*_checks.py"):
                shutil.copy(f, tmp)
            folder = tmp if "exercises" in nb_path.parts else str(nb_path.parent)
            start = time.perf_counter()
            NotebookClient(nb, timeout=120, allow_errors=True,
                           resources={"metadata": {"path": folder}}).execute()
            out.append((nb_path.relative_to(ROOT).as_posix(), time.perf_counter() - start))
    return out


def install_measure() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "requirements.lock")], check=True, capture_output=True)
        seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file()) / 2**20
    return seconds, size


def grading_measure(n: int = 40, jobs: int = 2) -> list[tuple[str, str, str]]:
    """Seconds to grade one submission of set 00, and a class of ``n`` with ``jobs`` at a
    time (half of them complete answer keys, half untouched student notebooks)."""
    from trustlab import exercises
    from trustlab.grading import Limits, grade_all

    exercises.generate(verbose=False, student=False)
    name = "00-getting-started"
    key = exercises.DIST / "keys" / f"{name}-key.ipynb"
    blank = exercises.STUDENT / f"{name}.ipynb"
    ex = exercises.load_exercise(name)
    with tempfile.TemporaryDirectory() as tmp:
        subs = []
        for i in range(n):
            sub = Path(tmp) / f"student{i:02d}.ipynb"
            shutil.copy(key if i % 2 == 0 else blank, sub)
            subs.append(sub)
        start = time.perf_counter()
        one = grade_all(ex, subs[:1], Limits(), jobs=1)
        single = time.perf_counter() - start
        start = time.perf_counter()
        results = grade_all(ex, subs, Limits(), jobs=jobs)
        whole = time.perf_counter() - start
    ok = sum(r.total == r.possible for r in results)
    return [("grade one submission (set 00, full answers)", f"{single:.1f} s",
             f"{one[0].total:g}/{one[0].possible:g} points"),
            (f"grade a class of {n} (set 00) with -j {jobs}", f"{whole:.1f} s",
             f"{whole / n:.2f} s per submission; {ok} full marks as expected ({n // 2 + n % 2})")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only-grading", action="store_true",
                    help="only time the grader (one submission, a class of 40 with -j 2)")
    ap.add_argument("--skip-install", action="store_true", help="do not time a fresh install")
    ap.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    if args.only_grading:
        for row in grading_measure():
            print(" | ".join(row))
        return 0

    shutil.rmtree(BUILD, ignore_errors=True)
    cold = build()
    warm = build()
    intro = ROOT / "book" / "intro.md"
    original = intro.read_text(encoding="utf-8")
    try:
        intro.write_text(original + "\n<!-- bench edit -->\n", encoding="utf-8")
        warm_edit = build()
    finally:
        intro.write_text(original, encoding="utf-8")
    build()  # leave the build matching the sources

    weights = [page_weight(p) for p in pages()]
    n_pages = len(weights)
    nb_times = notebook_times()
    exec_total = sum(t for name, t in nb_times if name.startswith("notebooks/"))
    heaviest = max(weights, key=lambda w: w["with_assets_kb"])

    rows += [("cold build (clean cache, every notebook executed)", f"{cold:.1f} s", ""),
             ("cold build per page", f"{cold / n_pages:.2f} s",
              f"anchor {ANCHOR['cold_s_per_page']} s "
              f"({ANCHOR['cold_s_per_page'] / (cold / n_pages):.1f}x better)"),
             ("  of which notebook execution (measured separately)", f"{exec_total:.1f} s", ""),
             ("warm rebuild, nothing changed", f"{warm:.1f} s", f"budget {BUDGET['warm_s']} s"),
             ("warm rebuild, one page edited", f"{warm_edit:.1f} s",
              f"anchor render-only {ANCHOR['render_s_per_page']} s/page"),
             ("pages", str(n_pages), ""),
             ("mean page HTML", f"{sum(w['html_kb'] for w in weights) / n_pages:.0f} KB",
              f"anchor {ANCHOR['mean_page_kb']} KB"),
             ("heaviest page with its scripts and styles",
              f"{heaviest['with_assets_kb']:.0f} KB "
              f"({heaviest['with_assets_gzip_kb']:.0f} KB gzip)",
              heaviest["page"]),
             ("external requests", str(sum(len(w["external"]) for w in weights)), "must be 0")]
    if warm > BUDGET["warm_s"]:
        problems.append(f"warm rebuild took {warm:.1f} s (budget {BUDGET['warm_s']} s)")
    for name, t in nb_times:
        rows.append((f"execute {name}", f"{t:.1f} s", f"budget {BUDGET['notebook_s']} s"))
        if t > BUDGET["notebook_s"]:
            problems.append(f"{name} took {t:.1f} s (budget {BUDGET['notebook_s']} s)")
    for w in weights:
        rows.append((f"page {w['page']}", f"{w['html_kb']:.0f} KB HTML",
                     f"{w['with_assets_kb']:.0f} KB with assets"))
        if w["html_kb"] > BUDGET["page_kb"]:
            problems.append(f"{w['page']} HTML is {w['html_kb']:.0f} KB (budget 500 KB)")
        if w["has_chart"] != w["loads_chart_js"]:
            problems.append(f"{w['page']}: chart scripts on a page without charts, or missing")
        problems += [f"{w['page']}: external request {u}" for u in w["external"]]
    rows += grading_measure()
    if not args.skip_tests:
        t, proc = timed([str(BIN / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"])
        rows.append(("whole test suite", f"{t:.1f} s", "passed" if proc.returncode == 0
                     else "FAILED"))
    if not args.skip_install:
        secs, size = install_measure()
        rows += [("install (fresh venv from requirements.lock)", f"{secs:.1f} s", ""),
                 ("installed environment size", f"{size:.0f} MB", "")]

    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "bench.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("measure", "value", "note"), *rows])
    md = ["# Benchmark results", "", f"Machine: {subprocess.getoutput('nproc')} cores. "
          f"Date: {time.strftime('%Y-%m-%d')}.", "", "| measure | value | note |", "|---|---|---|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    md += ["", "Budgets: " + ("all met." if not problems else "BROKEN:"),
           *[f"- {p}" for p in problems]]
    (OUT / "bench.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
