"""The student's side of the exercise notebooks: check cells that survive a kernel restart, Run
All that goes on past a broken answer, short errors, a hint for missing quotes, readable
feedback, the hand-in summary, and `make exercises` never overwriting a student's work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from trustlab import checks, exercises
from trustlab.checks import Checker, Result, missing_variable_message

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "exercises" / "student"
CHECK_Q1 = 'from trustlab.checks import check\ncheck("q1")'


def _text(cell) -> str:
    parts = []
    for o in cell.outputs:
        if o.output_type == "error":
            parts.append("\n".join(o.traceback))
        else:
            parts.append(o.get("data", {}).get("text/plain", "") or o.get("text", ""))
    return "\n".join(parts)


def _first_line(cell) -> str:
    return cell.source.splitlines()[0] if cell.source else ""


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory) -> nbformat.NotebookNode:
    """The generated 00 notebook, run top to bottom in a fresh kernel as Run All would: a check
    before the setup cell (as after a restart), a broken pandas answer and a letter without
    quotes. allow_errors=False, so only the generator's tags let execution go on."""
    folder = tmp_path_factory.mktemp("student")
    for f in STUDENT.glob("00-getting-started*"):
        shutil.copy(f, folder)
    nb = nbformat.read(folder / "00-getting-started.ipynb", as_version=4)
    for cell in nb.cells:
        if _first_line(cell).startswith("removals_1954 ="):
            cell.source = ('removals_1954 = 1\n'
                           'removals_1954 = int(removals.loc[removals["year"] == 1954, '
                           '"removals"].iloc[0])')
        if _first_line(cell).startswith("q6_answer ="):
            cell.source = "q6_answer = b"
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_Q1))
    NotebookClient(nb, timeout=120, allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def test_check_after_a_restart_asks_for_the_setup_cell(broken_run):
    text = _text(broken_run.cells[0])
    assert "q1: not yet" in text and "Run the setup cell first" in text
    assert "Run > Run All Cells" in text and "NameError" not in text


def test_run_all_goes_past_a_broken_answer_to_every_check(broken_run):
    from test_exercises import check_outputs
    feedback = check_outputs(broken_run)
    assert sorted(feedback) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert "Public checks: 0 of 6 questions passed" in _text(broken_run.cells[-1])


def test_an_error_in_an_answer_cell_is_short_and_names_the_line(broken_run):
    cell = next(c for c in broken_run.cells if _first_line(c) == "removals_1954 = 1")
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    assert error.ename == "KeyError"  # still an error: graders and nbclient see it failed
    assert len(error.traceback) <= 3
    text = "\n".join(error.traceback)
    assert "Line 2 of your code failed: `removals_1954 = int(removals.loc[" in text
    assert "KeyError: 'year'" in text and "the check below explains" in text.lower()
    assert "%tb" in text and "Traceback" not in text and "site-packages" not in text


def test_a_letter_without_quotes_is_explained_in_the_cell_and_the_check(broken_run):
    from test_exercises import check_outputs
    cell = next(c for c in broken_run.cells if _first_line(c) == "q6_answer = b")
    assert 'Put the letter in quotes: `q6_answer = "b"`' in _text(cell)
    assert 'Put the letter in quotes: `q6_answer = "b"`' in check_outputs(broken_run)["q6"]


def test_missing_variable_message_reads_the_input_history():
    ns = {"In": ["", "import pandas", "q8_answer = c  # I think"]}
    assert '`q8_answer = "c"`' in missing_variable_message("q8_answer", ns)
    plain = missing_variable_message("q8_answer", {"In": ["q8_answer = 'c'"]})
    assert "could not find a variable called `q8_answer`" in plain and "quotes" not in plain
    grader = Checker("00-getting-started", folder=STUDENT, ns={"In": ["q6_answer = d"]})
    assert 'Put the letter in quotes: `q6_answer = "d"`' in grader.check("q6").text()


def test_a_numeric_string_answer_gets_a_clean_message():
    ns = {"total_between": lambda df, start, end: "12345", "removals": None}
    text = Checker("00-getting-started", folder=STUDENT, ns=ns).check("q4").text()
    assert "should be a whole number (an int), but it is a str (`'12345'`)" in text
    assert "Cannot specify" not in text and "raised" not in text


def test_show_formats_numbers_and_anything_else():
    assert checks.show(30264) == "30,264"
    assert checks.show(1234.5) == "1,234.5" and checks.show(3.0) == "3"
    assert checks.show("30264") == "'30264'"


def test_feedback_html_shows_code_as_code():
    r = Result("q1", False, 0, 1, "Use `x = 1 < 2` here.", expected="`y`", hint="try `z`")
    page = r._repr_html_()
    assert "<code>x = 1 &lt; 2</code>" in page and "<code>y</code>" in page
    assert "try <code>z</code>" in page and "`" not in page
    assert "Use `x = 1 < 2` here." in r.text()


def test_summary_lists_each_question_and_the_public_total(tmp_path, capsys, monkeypatch):
    (tmp_path / "zz_checks.py").write_text(
        "from trustlab.checks import question\n\n"
        "@question('q1', points=2)\ndef q1(ck):\n    ck.require(ck.var('a') == 1, 'no')\n\n"
        "@question('q10')\ndef q10(ck):\n    ck.require(False, 'no')\n\n"
        "@question('q2')\ndef q2(ck):\n    ck.require(False, 'no')\n")
    monkeypatch.setattr(checks, "_CURRENT", None)
    Checker("zz", folder=tmp_path, ns={"a": 1})
    checks.summary()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["q1", "q2", "q10"]
    assert "passed" in lines[0] and "not yet" in lines[1] and "not yet" in lines[2]
    assert "1 of 3 questions passed, 2 of 4 points" in lines[3]
    assert "hidden checks" in lines[4]


def test_student_notebooks_tag_answers_and_end_with_the_hand_in_section():
    nb = nbformat.read(STUDENT / "01-history.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = {c.source for c in code if "raises-exception" in c.metadata.get("tags", [])}
    assert code[0].source not in tagged  # the setup cell must stop Run All if it fails
    assert all(("check(" in c.source) != (c.source in tagged) for c in code[1:-1])
    assert nb.cells[-2].source.startswith("## Before you hand in")
    assert "Restart Kernel and Run All Cells" in nb.cells[-2].source
    assert nb.cells[-1].source == "from trustlab.checks import summary\nsummary()"
    files = nb.cells[1].source
    assert nb.cells[0].source.startswith("# ")
    assert "(01-history.ipynb)" in files and "(01-history_checks.py)" in files


@pytest.fixture
def exercises_copy(tmp_path, monkeypatch) -> Path:
    """A temporary copy of the exercises folder that generate() writes to."""
    folder = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises" / "source", folder / "source")
    shutil.copytree(STUDENT, folder / "student")
    monkeypatch.setattr(exercises, "ROOT", tmp_path)
    monkeypatch.setattr(exercises, "SOURCE", folder / "source")
    monkeypatch.setattr(exercises, "STUDENT", folder / "student")
    monkeypatch.setattr(exercises, "DIST", folder / "dist")
    return folder


def _edit_source_title(folder: Path, name: str) -> None:
    path = folder / "source" / f"{name}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = "# A new title\n"
    path.write_text(json.dumps(nb, indent=1))


def test_generate_never_overwrites_a_notebook_a_student_changed(exercises_copy, capsys):
    student = exercises_copy / "student"
    assert not [c for c in exercises.generate(verbose=False) if c.startswith("student/")]
    worked = student / "00-getting-started.ipynb"
    nb = nbformat.read(worked, as_version=4)
    nb.cells[3].source = "removals_1954 = 1  # my answer"
    nbformat.write(nb, worked)
    mine = worked.read_text()
    _edit_source_title(exercises_copy, "00-getting-started")
    _edit_source_title(exercises_copy, "01-history")

    changed = exercises.generate(verbose=False)
    assert worked.read_text() == mine
    new = student / "00-getting-started.new.ipynb"
    assert "student/00-getting-started.new.ipynb" in changed
    assert "# A new title" in new.read_text()
    out = capsys.readouterr().out
    assert "00-getting-started.ipynb was run or edited" in out and "did not overwrite" in out
    # An untouched notebook is still brought up to date.
    assert "# A new title" in (student / "01-history.ipynb").read_text()


def test_generate_can_skip_the_student_files(exercises_copy):
    (exercises_copy / "student" / "01-history_checks.py").unlink()
    changed = exercises.generate(verbose=False, student=False)
    assert changed and not [c for c in changed if c.startswith("student/")]
    assert not (exercises_copy / "student" / "01-history_checks.py").exists()
    assert (exercises_copy / "dist" / "autograder" / "01-history").is_dir()
