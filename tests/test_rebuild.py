"""A data edit reaches every page that uses it in one build, and only those pages re-execute.

The execution cache keys a page on its code; the book extension records which datasets and
trustlab modules each page read while it ran (trustlab.reads) and re-executes a page when one
of them changed. This test edits a dataset in a copy of the course and rebuilds it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import BIN, ROOT

OLD, NEW = "30264", "31264"  # FY1954 formal removals (DHS Yearbook), and an edit of it
READERS = {  # the pages whose code reads removals_returns.csv or historic_estimates.csv
    "book/01-history/index.md",
    "notebooks/00-getting-started.ipynb",
    "notebooks/01-history-lab.ipynb",
}


def _copy_course(dest):
    """The course's sources plus the main build's execution cache and read records (not the
    HTML): a rebuild of the copy executes only what the records say changed."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".venv", ".git", "_build", "__pycache__", ".pytest_cache", ".ruff_cache",
        ".ipynb_checkpoints"))
    for kept in (".jupyter_cache", ".trustlab-deps.json", ".trustlab-static",
                 "es/.trustlab-deps.json"):
        src = ROOT / "_build" / kept
        if src.is_dir():
            shutil.copytree(src, dest / "_build" / kept)
        elif src.is_file():
            (dest / "_build" / kept).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / "_build" / kept)


def _build(course, edition: str = "en") -> tuple[int, str, set[str]]:
    env = dict(os.environ)
    # the copy's own trustlab and datasets, in the build and in every kernel it starts
    env["PYTHONPATH"] = os.pathsep.join([str(course), env.get("PYTHONPATH", "")])
    env["TRUSTLAB_DATA"] = str(course / "datasets")
    cmd = ([str(BIN / "jupyter-book"), "build", str(course), "-W", "-n", "--keep-going"]
           if edition == "en" else
           [str(BIN / "python"), "-m", "trustlab.build", "--edition", edition])
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=course, env=env)
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    executed = {
        m.group(1).replace(str(course) + "/", "")
        for m in re.finditer(r"^(\S+): Executing notebook", out, re.MULTILINE)}
    return result.returncode, out, executed


def _edit(path, old_line: str, new_line: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old_line in text, f"{path.name} no longer holds {old_line!r}; update this test"
    path.write_text(text.replace(old_line, new_line, 1), encoding="utf-8")


@pytest.mark.build
def test_a_data_edit_reaches_every_page_that_uses_it(built_book, tmp_path):
    course = tmp_path / "course"
    _copy_course(course)
    # First build of the copy: a new folder means a new Sphinx environment (every page is
    # read), but the copied records and cache are valid, so nothing executes.
    code, out, executed = _build(course)
    assert code == 0, out[-4000:]
    assert executed == set(), f"pages executed with no change: {sorted(executed)}"

    data = course / "datasets"
    _edit(data / "removals_returns.csv", f"1954,{OLD},", f"1954,{NEW},")
    _edit(data / "historic_estimates.csv", f"point,{OLD},{OLD},", f"point,{NEW},{NEW},")
    code, out, executed = _build(course)
    assert code == 0, out[-4000:]
    assert executed == READERS, (
        f"expected exactly the pages that read the edited tables to re-execute, got "
        f"{sorted(executed)}")
    assert re.search(r"trustlab: book/01-history/index re-executes: .*"
                     r"datasets/removals_returns\.csv", out), "the log names no changed input"
    html = course / "_build" / "html"
    chapter = (html / "book/01-history/index.html").read_text(encoding="utf-8")
    assert "31,264" in chapter and "30,264" not in chapter, (
        "chapter 1 still shows the old FY1954 removals after the data edit")
    for lab in ("notebooks/00-getting-started.html", "notebooks/01-history-lab.html"):
        text = (html / lab).read_text(encoding="utf-8").replace(",", "")
        assert NEW in text and OLD not in text, f"{lab} still shows the old FY1954 removals"

    # Nothing changed since: the next build executes nothing (the records were updated).
    code, out, executed = _build(course)
    assert code == 0, out[-4000:]
    assert executed == set(), f"pages re-executed with no change: {sorted(executed)}"

    # The Spanish edition (its own read records, the shared cache): the same edit reaches
    # its chapter, which re-executes in Spanish. (Its records say the labs read the table
    # too, so they run again, although English in both editions: a data edit costs the
    # labs' execution twice.)
    code, out, executed = _build(course, edition="es")
    assert code == 0, out[-4000:]
    assert executed == READERS, sorted(executed)
    es = (html / "es" / "book/01-history/index.html").read_text(encoding="utf-8")
    assert "31,264" in es and "30,264" not in es, (
        "the Spanish chapter 1 still shows the old FY1954 removals after the data edit")
