"""Exercise pipeline: sources pass their own checks, student notebooks are generated and up to
date, run cleanly, and give teaching feedback to a student who is wrong, raises, or deletes a
cell; the autograder scores submissions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from trustlab import exercises
from trustlab.checks import digest

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "exercises" / "student"
SETS = [p.stem for p in exercises.sources()]
CHECK_CELL = re.compile(r'(?:from trustlab\.checks import check\n)?(?:grader\.)?check\("(\w+)"\)')


def run_notebook(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def check_outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{question: feedback text} for every check cell: `check("qN")` (after
    `from trustlab.checks import check`) or the older `grader.check("qN")`."""
    out = {}
    for cell in nb.cells:
        m = CHECK_CELL.fullmatch(cell.source.strip())
        if cell.cell_type == "code" and m:
            q = m.group(1)
            texts = []
            for o in cell.outputs:
                if o.output_type == "error":
                    texts.append("ERROR " + o.ename + ": " + o.evalue)
                texts.append(o.get("data", {}).get("text/plain", "") or o.get("text", ""))
            out[q] = "\n".join(texts)
    return out


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


@pytest.fixture
def student_dir(tmp_path: Path) -> Path:
    for f in STUDENT.iterdir():
        shutil.copy(f, tmp_path)
    return tmp_path


def test_student_files_are_up_to_date_with_sources():
    stale = exercises.stale_student_files()
    assert not stale, f"run `make exercises` and commit: stale {stale}"


@pytest.fixture(scope="module")
def keys() -> None:
    """The solution keys, generated once for the module."""
    exercises.generate(verbose=False, student=False)


@pytest.mark.parametrize("name", SETS)
def test_solution_key_passes_public_and_hidden_checks(name, keys, tmp_path):
    key = exercises.DIST / "keys" / f"{name}-key.ipynb"
    result = exercises.grade(name, [key], tmp_path / "g.csv")[0]
    assert not result.error and not result.notes, result
    assert result.possible > 0 and result.total == result.possible, result


@pytest.mark.parametrize("name", SETS)
def test_untouched_student_notebook_runs_and_every_check_teaches(name, student_dir):
    nb = run_notebook(nbformat.read(student_dir / f"{name}.ipynb", as_version=4), student_dir)
    assert not errors(nb), errors(nb)
    feedback = check_outputs(nb)
    assert feedback, "no check cells"
    for q, text in feedback.items():
        assert "not yet" in text and "Expected:" in text and "Hint:" in text, (q, text)
        assert "Traceback" not in text and "AssertionError" not in text, (q, text)


@pytest.fixture(scope="module")
def nbval_results(tmp_path_factory) -> dict[str, str]:
    """nbval (lax: student notebooks ship without outputs, so no cell may error) on every
    student notebook, in one pytest run; {notebook name: failure text, "" if it passed}."""
    import xml.etree.ElementTree as ET

    folder = tmp_path_factory.mktemp("nbval")
    for f in STUDENT.iterdir():
        shutil.copy(f, folder)
    report = folder / "report.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider",
         "--nbval-lax", "--nbval-cell-timeout=120", "-q", f"--junitxml={report}",
         *[f"{name}.ipynb" for name in SETS]],
        capture_output=True, text=True, cwd=folder, env=os.environ.copy(), timeout=900)
    assert report.is_file(), result.stdout[-3000:] + result.stderr[-2000:]
    out: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        name = Path(case.get("file") or case.get("classname", "")).stem
        name = name if name in SETS else (case.get("classname") or "").split(".")[0]
        failed = [e.get("message", "") + (e.text or "") for e in case
                  if e.tag in ("failure", "error")]
        out.setdefault(name, "")
        out[name] += "\n".join(failed)
    return out


@pytest.mark.parametrize("name", SETS)
def test_untouched_student_notebook_passes_nbval(name, nbval_results):
    assert name in nbval_results, f"nbval did not run {name}.ipynb: {sorted(nbval_results)}"
    assert not nbval_results[name], nbval_results[name][-3000:]


def _student(student_dir: Path, edits: dict[str, str], delete: str | None = None):
    """The 00 student notebook with answer cells replaced (keyed by their first line)."""
    nb = nbformat.read(student_dir / "00-getting-started.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        first = cell.source.splitlines()[0] if cell.source else ""
        if delete and first.startswith(delete):
            continue
        for start, new in edits.items():
            if cell.cell_type == "code" and first.startswith(start):
                cell.source = new
        cells.append(cell)
    nb.cells = cells
    return run_notebook(nb, student_dir)


@pytest.fixture(scope="module")
def struggling(tmp_path_factory) -> dict[str, str]:
    """The feedback of one run of set 00 by a student who answered q1, q3 and q6 wrongly, whose
    q4 function raises, and who left q2's placeholder (each check reads only its own answer)."""
    folder = tmp_path_factory.mktemp("struggling")
    for f in STUDENT.iterdir():
        shutil.copy(f, folder)
    return check_outputs(_student(folder, {
        "removals_1954 =": 'removals_1954 = int(removals.loc[removals["fiscal_year"] == 1954, '
                           '"returns"].iloc[0])',
        "share_returns_1954 =": "share_returns_1954 = 97.0",
        "q6_answer =": 'q6_answer = "a"',
        "def total_between": (
            "def total_between(df, start, end):\n"
            "    years = end - start\n"
            "    return df['removal'].sum() / years\n"),
    }))


def test_student_with_a_wrong_answer_is_told_what_to_fix(struggling):
    fb = struggling
    assert "far too large" in fb["q1"] and "'returns' column instead" in fb["q1"]
    assert "must lie between 0 and 1" in fb["q3"] and "multiply by 100" in fb["q3"]
    assert '"a" is not the best answer' in fb["q6"] and "Hint:" in fb["q6"]


def test_student_whose_function_raises_is_shown_the_failing_line(struggling):
    text = struggling["q4"]
    assert "your code raised KeyError: 'removal'" in text
    assert "Line 3 of your code failed: `return df['removal'].sum() / years`" in text
    assert "Traceback" not in text


def test_student_who_left_the_placeholder_is_told(struggling):
    assert "`returns_1954` is still `...`" in struggling["q2"]


def test_student_who_deleted_a_cell_is_told_how_to_recover(student_dir):
    nb = _student(student_dir, {}, delete="removals_1954 =")
    text = check_outputs(nb)["q1"]
    assert "could not find a variable called `removals_1954`" in text
    assert "If you deleted that cell" in text


def test_autograder_scores_an_empty_submission_zero(tmp_path):
    result = exercises.grade("00-getting-started", [STUDENT / "00-getting-started.ipynb"],
                             tmp_path / "g.csv")[0]
    assert result.total == 0 and result.possible >= 6 and not result.error
    assert (tmp_path / "g.csv").read_text(encoding="utf-8-sig").startswith("student,")


def test_solutions_never_reach_the_student_files():
    for name in SETS:
        text = (STUDENT / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "# SOLUTION" not in text
        assert "Rubric" not in text
    checks = (STUDENT / "00-getting-started_checks.py").read_text()
    assert "30264" not in checks and digest(30264) in checks


def test_strip_solutions_markers():
    src = "x = 42  # SOLUTION\nif True:\n    # BEGIN SOLUTION\n    y = 1\n    # END SOLUTION\n"
    assert exercises.strip_solutions(src) == "x = ...\nif True:\n    ..."
    with pytest.raises(exercises.ExerciseError, match="never closed"):
        exercises.strip_solutions("# BEGIN SOLUTION\nx = 1")
