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

    def fake_build(force: bool = False) -> int:
        runs["count"] += 1
        out = tmp_path / "_build" / "html"
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("<p>built</p>")
        (tmp_path / "_build" / ".jupyter_cache").mkdir(exist_ok=True)
        (tmp_path / "exercises" / "dist").mkdir(parents=True, exist_ok=True)
        (tmp_path / "exercises" / "dist" / "key.ipynb").write_text(str(time.time()))
        return runs["code"]

    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "build_both", fake_build)
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


def _sphinx_book(root: Path, pages: dict[str, str]) -> None:
    (root / "conf.py").write_text('extensions = ["trustlab.buildspeed"]\nnumfig = True\n')
    (root / "index.rst").write_text("Book\n====\n\n.. toctree::\n\n   one\n   two\n")
    for name, text in pages.items():
        (root / f"{name}.rst").write_text(text)


def _figure(caption: str, label: str) -> str:
    return f".. _{label}:\n\n.. figure:: pic.png\n\n   {caption}\n\n"


def _numbers(root: Path) -> dict[str, list[str]]:
    import re
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(root),
                    str(root / "_b")], check=True, capture_output=True, text=True)
    return {name: re.findall(r"Fig\. (\d+)", (root / "_b" / f"{name}.html").read_text())
            for name in ("one", "two")}


def test_figure_numbers_follow_every_edit_that_moves_them(tmp_path: Path):
    """trustlab.buildspeed keeps the last build's figure numbers when no page's outline of
    sections and numbered items changed; any edit that adds, removes or moves a figure (on
    any page) numbers the whole book again, and the pages after it show the new numbers."""
    (tmp_path / "pic.png").write_bytes(b"")
    one = "One\n===\n\n" + _figure("First figure.", "f1")
    two = "Two\n===\n\nSee :numref:`f2`.\n\n" + _figure("Second figure.", "f2")
    _sphinx_book(tmp_path, {"one": one, "two": two})
    assert _numbers(tmp_path) == {"one": ["1"], "two": ["2", "2"]}

    # A prose edit: nothing to number again; the numbers survive the page being read again.
    (tmp_path / "one.rst").write_text(one + "A new sentence.\n")
    touch_later(tmp_path / "one.rst")
    assert _numbers(tmp_path) == {"one": ["1"], "two": ["2", "2"]}

    # A figure added before the others: page two's figure (and its reference) becomes 3.
    (tmp_path / "one.rst").write_text(one + _figure("Added figure.", "f0") + "A new sentence.\n")
    touch_later(tmp_path / "one.rst")
    assert _numbers(tmp_path) == {"one": ["1", "2"], "two": ["3", "3"]}

    # Pages swapped in the toctree: numbering follows the new order.
    (tmp_path / "index.rst").write_text("Book\n====\n\n.. toctree::\n\n   two\n   one\n")
    touch_later(tmp_path / "index.rst")
    assert _numbers(tmp_path) == {"one": ["2", "3"], "two": ["1", "1"]}
    # The theme's templates were compiled once and kept (trustlab.buildspeed._template_cache).
    assert list((tmp_path / ".trustlab-jinja").iterdir())


def test_figure_outline_sees_what_numbering_reads():
    """The outline digest changes with a numbered item's id, type or section, not with prose."""
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    from trustlab.buildspeed import figure_outline

    class Domain:
        name = "std"

        def get_enumerable_node_type(self, node):
            return {nodes.figure: "figure", nodes.table: "table"}.get(type(node))

        def get_numfig_title(self, node):
            return "caption" if isinstance(node, (nodes.figure, nodes.table)) else None

    class Env:
        domains = {"std": Domain()}

    def outline(prose="Some prose.", fig_id="a", kind=nodes.figure, in_section=True) -> str:
        doc = new_document("x", get_default_settings(Parser))
        section = nodes.section(ids=["title"])
        section += nodes.title(text="Title")
        section += nodes.paragraph(text=prose)
        item = kind(ids=[fig_id])
        item += nodes.caption(text="Cap.")
        (section if in_section else doc).append(item)
        doc += section
        return figure_outline(Env(), doc)

    assert outline() == outline(prose="Other words entirely.")
    assert outline() != outline(fig_id="b")
    assert outline() != outline(kind=nodes.table)
    assert outline() != outline(in_section=False)


@pytest.mark.parametrize("value,expected", [("3", 3), ("1", 1), ("0", 1)])
def test_build_jobs_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("TRUSTLAB_BUILD_JOBS", value)
    assert build.build_jobs() == expected


def test_build_jobs_default_and_a_bad_value(monkeypatch, capsys):
    monkeypatch.delenv("TRUSTLAB_BUILD_JOBS", raising=False)
    assert 1 <= build.build_jobs() <= 4
    monkeypatch.setenv("TRUSTLAB_BUILD_JOBS", "many")
    assert build.build_jobs() == 1
    assert "TRUSTLAB_BUILD_JOBS='many' is not a whole number" in capsys.readouterr().err


def test_the_build_runs_sphinx_with_the_jobs(monkeypatch):
    """`make book` reads and writes pages in parallel: jupyter-book's build function gets
    the number of processes (its command line has no option for it)."""
    import jupyter_book.cli.main as cli
    import jupyter_book.sphinx as jbsphinx

    seen = {}

    def fake_build_sphinx(*args, **kwargs):
        seen["jobs"] = kwargs.get("jobs")
        return 0

    def fake_main(args, standalone_mode=False):
        from jupyter_book.sphinx import build_sphinx

        return build_sphinx("src", "out", jobs=None)

    monkeypatch.setenv("TRUSTLAB_BUILD_JOBS", "2")
    monkeypatch.setattr(jbsphinx, "build_sphinx", fake_build_sphinx)
    monkeypatch.setattr(cli, "main", fake_main)
    assert build.run_jupyter_book() == 0
    assert seen["jobs"] == 2
    assert jbsphinx.build_sphinx is fake_build_sphinx, "the wrapper must be removed again"


def test_the_spanish_edition_is_built_apart_and_copied_under_es(monkeypatch, tmp_path):
    """The Spanish build: language es, its own output and doctrees (_build/es), the execution
    cache shared with English, and its pages copied to _build/html/es."""
    import jupyter_book.cli.main as cli
    import jupyter_book.sphinx as jbsphinx

    seen = {}

    def fake_build_sphinx(sourcedir, outputdir, **kwargs):
        seen.update(out=Path(outputdir), **kwargs["confoverrides"])
        (Path(outputdir) / "book").mkdir(parents=True)
        (Path(outputdir) / "book" / "ch.html").write_text("<p>capítulo</p>")
        return 0

    def fake_main(args, standalone_mode=False):
        from jupyter_book.sphinx import build_sphinx

        return build_sphinx("src", "out", confoverrides={"x": 1})

    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(jbsphinx, "build_sphinx", fake_build_sphinx)
    monkeypatch.setattr(cli, "main", fake_main)
    stale = tmp_path / "_build" / "html" / "es" / "gone.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    assert build.run_jupyter_book("es") == 0
    assert seen["language"] == "es" and seen["x"] == 1
    assert seen["out"] == tmp_path / "_build" / "es" / "html"
    assert seen["nb_execution_cache_path"] == str(tmp_path / "_build" / ".jupyter_cache")
    copied = tmp_path / "_build" / "html" / "es" / "book" / "ch.html"
    assert copied.read_text() == "<p>capítulo</p>"
    assert not stale.exists(), "a page the Spanish build no longer makes is removed"


def _run_kernel_like(tmp_path: Path, fast: bool) -> tuple[str, bool]:
    """A process that, like a book-build kernel, imports trustlab.reads after something else
    registered an exit handler. Returns its reads log and whether that handler ran."""
    import subprocess
    import sys

    log, marker = tmp_path / f"reads-{fast}.log", tmp_path / f"teardown-{fast}"
    code = ("import atexit\n"
            f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
            "import trustlab.reads as r\n"
            "r.note('file', 'datasets/x.csv')\n")
    env = {**os.environ, "TRUSTLAB_READS_LOG": str(log)}
    env.pop("TRUSTLAB_FAST_EXIT", None)
    if fast:
        env["TRUSTLAB_FAST_EXIT"] = "1"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return log.read_text(), marker.exists()


def test_a_build_kernel_records_its_reads_and_skips_the_teardown(tmp_path: Path):
    """Book-build kernels write their reads log's "end" and then leave without Python's
    teardown (0.2 s a page); any other process that records reads exits normally."""
    log, teardown = _run_kernel_like(tmp_path, fast=True)
    assert "file datasets/x.csv" in log and log.rstrip().endswith("end")
    assert not teardown
    log, teardown = _run_kernel_like(tmp_path, fast=False)
    assert log.rstrip().endswith("end") and teardown


def test_the_build_process_does_not_import_altair():
    """The Sphinx side of `make book` has no use for Altair; importing it cost 0.2 s of every
    build (it reads Altair's Vega-Lite version from its source instead)."""
    import subprocess
    import sys

    code = ("import sys, trustlab.sphinxext as x\n"
            "print(x._vl_version(), 'altair' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    import altair as alt

    assert out == [".".join(alt.VEGALITE_VERSION.split(".")[:2]), "False"]


def test_make_book_reports_and_exits_with_the_build_status(tmp_path: Path):
    """`python -m trustlab.build` leaves without Python's teardown: its messages still reach
    a pipe and its exit status is the build's."""
    import subprocess
    import sys

    (tmp_path / "book.md").write_text("# A page\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a buffered pipe
    done = subprocess.run([sys.executable, "-m", "trustlab.build", "--check"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "A build is needed" in done.stdout
