"""The authoring loop: `make book` (python -m trustlab.build) skips Sphinx only when no file the
book is built from changed since the last successful build, and builds after any edit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from trustlab import build


@pytest.fixture
def book(tmp_path: Path, monkeypatch) -> dict:
    """A small stand-in repository and a fake jupyter-book that records each build."""
    for rel, text in {"_config.yml": "title: t\n", "book/ch.md": "# Chapter\n",
                      "datasets/t.csv": "a,b\n1,2\n", "trustlab/static/x.js": "1;\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    runs = {"count": 0, "code": 0}

    def fake_build() -> int:
        runs["count"] += 1
        out = tmp_path / "_build" / "html"
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("<p>built</p>")
        (tmp_path / "_build" / ".jupyter_cache").mkdir(exist_ok=True)
        (tmp_path / "exercises" / "dist").mkdir(parents=True, exist_ok=True)
        (tmp_path / "exercises" / "dist" / "key.ipynb").write_text(str(time.time()))
        return runs["code"]

    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "run_jupyter_book", fake_build)
    return {"root": tmp_path, "runs": runs}


def touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_a_second_build_with_nothing_changed_does_not_start_sphinx(book, capsys):
    assert build.main([]) == 0 and book["runs"]["count"] == 1
    assert build.main([]) == 0 and book["runs"]["count"] == 1
    assert "Nothing changed since the last build" in capsys.readouterr().out


@pytest.mark.parametrize("rel", ["book/ch.md", "datasets/t.csv", "_config.yml",
                                 "trustlab/static/x.js"])
def test_an_edit_to_any_source_builds_again(book, rel):
    build.main([])
    path = book["root"] / rel
    path.write_text(path.read_text() + "more\n")
    build.main([])
    assert book["runs"]["count"] == 2, f"an edit to {rel} did not rebuild"


def test_a_touched_or_new_or_deleted_file_builds_again(book):
    build.main([])
    touch_later(book["root"] / "book" / "ch.md")
    build.main([])
    (book["root"] / "book" / "new.md").write_text("# New\n")
    build.main([])
    (book["root"] / "datasets" / "t.csv").unlink()
    build.main([])
    assert book["runs"]["count"] == 4


def test_generated_folders_are_not_inputs(book):
    build.main([])
    (book["root"] / "_build" / "html" / "other.html").write_text("x")
    (book["root"] / "exercises" / "dist" / "key.ipynb").write_text("changed")
    (book["root"] / "node_modules").mkdir()
    (book["root"] / "node_modules" / "a.js").write_text("x")
    build.main([])
    assert book["runs"]["count"] == 1


def test_a_failed_build_is_never_taken_for_a_current_one(book):
    book["runs"]["code"] = 2
    assert build.main([]) == 2
    book["runs"]["code"] = 0
    assert build.main([]) == 0
    assert book["runs"]["count"] == 2, "the build after a failure was skipped"


def test_a_deleted_book_or_force_builds_again(book):
    build.main([])
    (book["root"] / "_build" / "html" / "index.html").unlink()
    build.main([])
    build.main(["--force"])
    assert book["runs"]["count"] == 3


def test_check_reports_without_building(book):
    assert build.main(["--check"]) == 1 and book["runs"]["count"] == 0
    build.main([])
    assert build.main(["--check"]) == 0 and book["runs"]["count"] == 1


def test_reference_lists_follow_every_bib_and_page_edit(tmp_path: Path):
    """trustlab.buildspeed reuses formatted references between builds: an edited .bib entry,
    and a page edit with no .bib change, still give the right list."""
    import subprocess
    import sys

    (tmp_path / "conf.py").write_text('extensions = ["sphinxcontrib.bibtex", '
                                      '"trustlab.buildspeed"]\nbibtex_bibfiles = ["refs.bib"]\n')
    page = tmp_path / "index.rst"
    page.write_text("Test\n====\n\nSee :cite:p:`smith2020`.\n\n.. bibliography::\n")
    bib = tmp_path / "refs.bib"
    entry = ("@article{{smith2020, author={{Smith, Ann}}, title={{{}}}, journal={{J}}, "
             "year={{2020}}}}\n")

    def build_and_read() -> str:
        subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(tmp_path),
                        str(tmp_path / "_b")], check=True, capture_output=True)
        return (tmp_path / "_b" / "index.html").read_text().lower()

    bib.write_text(entry.format("Old Title"))
    assert "old title" in build_and_read()
    bib.write_text(entry.format("New Title"))
    touch_later(bib)
    assert "new title" in build_and_read()
    page.write_text(page.read_text() + "\nAn edit to the page.\n")
    html = build_and_read()
    assert "new title" in html and "an edit to the page" in html and "old title" not in html


def test_chart_bundles_are_made_once_per_machine(tmp_path, monkeypatch):
    """A new build folder (a clean build, a test's copy of the course) takes the Vega bundles
    from the machine's cache instead of making them again (seconds each)."""
    from trustlab import sphinxext

    monkeypatch.setenv("TRUSTLAB_CACHE", str(tmp_path / "cache"))
    first, second = tmp_path / "first", tmp_path / "second"
    for i, name in enumerate((sphinxext.RUNTIME, sphinxext.LITE_BUNDLE)):
        (first / name).parent.mkdir(parents=True, exist_ok=True)
        (first / name).write_text(f"bundle {i}")
    assert not sphinxext._bundles_from_cache("v1", second)
    sphinxext._bundles_to_cache("v1", first)
    assert sphinxext._bundles_from_cache("v1", second)
    assert (second / sphinxext.LITE_BUNDLE).read_text() == "bundle 1"
    assert not sphinxext._bundles_from_cache("v2", tmp_path / "third"), \
        "another vl-convert version must not take these bundles"
