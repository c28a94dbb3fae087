"""Grading output: the files the autograder writes after it has scored the submissions.

The grading engine (:mod:`trustlab.grading`) runs the notebooks and fills in the data classes
below; this module only turns them into files. It never runs student code.

Files
-----
``write_grades_csv``
    The instructor's own table: one row per submission with columns ``student``,
    ``submission``, ``variant``, one column per question (points earned, empty if the question
    was not graded), ``total``, ``possible``, ``percent``, ``status`` (``ok`` or ``problem``)
    and ``problem`` (what went wrong, in words). Written with a UTF-8 byte-order mark so that
    Excel shows accented names correctly.
``write_canvas_csv``
    A file for Canvas's *Gradebook > Import*. Columns ``Student, ID, SIS User ID,
    SIS Login ID, Section, <assignment>``; the second row is ``Points Possible``. To update an
    existing Canvas assignment, pass its column title exactly as Canvas exports it, for
    example ``"Exercise 0 (123456)"``; any other title makes Canvas create a new assignment.
``write_generic_csv``
    For other gradebooks (Moodle, Blackboard, Brightspace) and spreadsheets. Columns:

    ``student_id``  the student id (see :func:`student_id`);
    ``assignment``  the assignment name you gave;
    ``score``       points earned, empty if the submission could not be graded at all;
    ``max_score``   points possible for the exercise;
    ``percent``     score as a percentage of ``max_score``, one decimal;
    ``status``      ``ok``, or ``problem`` if the submission had an error or notes;
    ``graded_at``   when the file was written, ISO 8601 in UTC (``2026-01-31T14:05:00Z``).
``write_feedback``
    One Markdown or HTML file per student, ready to hand back.

Safety
------
Everything that comes from a student (feedback messages that quote their code, notes, error
text, file names, and so the student id) is treated as hostile:

* every text cell of every CSV goes through :func:`spreadsheet_safe`, so a value such as
  ``=HYPERLINK("http://x")`` is stored as text, never as a formula;
* Markdown feedback escapes Markdown and HTML characters; HTML feedback escapes every string
  and carries a content security policy that forbids scripts and outside resources;
* feedback file names are built from a cleaned student id and always land inside the folder;
* every file is written to a temporary file in the same folder and then moved into place, so
  an interrupted run leaves the previous file as it was.
"""

from __future__ import annotations

import csv
import html
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "GradebookError",
    "QuestionResult",
    "SubmissionResult",
    "question_order",
    "spreadsheet_safe",
    "student_id",
    "summary_line",
    "write_canvas_csv",
    "write_feedback",
    "write_generic_csv",
    "write_grades_csv",
]

CELL_LIMIT = 500          # longest text in one CSV cell
FEEDBACK_LIMIT = 4000     # longest single student-provided text in a feedback file
NAME_LIMIT = 80           # longest feedback file name stem


class GradebookError(Exception):
    """A grading output could not be written or read; the message says which file and why."""


@dataclass
class QuestionResult:
    name: str            # "q1"
    points: float        # earned
    possible: float
    passed: bool
    message: str = ""    # feedback for the student: plain text; `code` appears in backticks
    expected: str = ""   # what the question expected (plain text, may have backticks)
    hint: str = ""


@dataclass
class SubmissionResult:
    path: str                    # the submission file as given on the command line
    student: str                 # student id: see student_id()
    exercise: str                # e.g. "00-getting-started"
    questions: list[QuestionResult] = field(default_factory=list)   # in the exercise's order
    error: str = ""              # a problem with the whole submission, in plain words
    notes: list[str] = field(default_factory=list)   # per-cell problems, plain sentences
    seconds: float = 0.0
    variant: str = ""            # class-variant id, "" for the public self-study set

    @property
    def total(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def possible(self) -> float:
        return sum(q.possible for q in self.questions)

    @property
    def percent(self) -> float:
        possible = self.possible
        return round(100 * self.total / possible, 1) if possible else 0.0

    @property
    def has_problem(self) -> bool:
        return bool(self.error or self.notes)

    @property
    def graded(self) -> bool:
        """False when the submission could not be graded at all (an error and no questions)."""
        return bool(self.questions) or not self.error


# --------------------------------------------------------------------------- small helpers

_NATURAL = re.compile(r"(\d+)")


def _natural_key(name: str) -> tuple:
    # re.split with a group alternates text, number, text, ...: positions always hold the
    # same type, so the tuples compare without mixing str and int.
    parts = _NATURAL.split(name)
    key = tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))
    return (key, name)


def question_order(names: Iterable[str]) -> list[str]:
    """Question names in natural order (q1, q2, ..., q10, q10a, q11), each once."""
    return sorted(dict.fromkeys(names), key=_natural_key)


def _number(value: float) -> int | float:
    """5.0 -> 5, 2.5 -> 2.5, 1/3 -> 0.33: points as people write them."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def _fmt(value: float) -> str:
    return str(_number(value))


def _points(earned: float, possible: float) -> str:
    """'1 of 2 points', '1 of 1 point'."""
    return f"{_fmt(earned)} of {_fmt(possible)} point{'' if _number(possible) == 1 else 's'}"


_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _clean(text: object, *, keep_newlines: bool) -> str:
    """Text without control characters or bidirectional overrides; tabs become spaces."""
    text = "" if text is None else str(text)
    text = text[:20_000]     # every caller keeps far less; do not clean megabytes for nothing
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", " ")
    text = text.translate(_BIDI)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    if not keep_newlines:
        text = " / ".join(line.strip() for line in text.split("\n") if line.strip())
    return text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- student ids

# "jdoe_00-getting-started" or "jdoe-00-getting-started": a two-digit exercise number and slug.
_EXERCISE_SUFFIX = re.compile(r"[_-]\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$", re.IGNORECASE)
# Canvas's "Download submissions": "doejane_LATE_123456_7890123_original-name.ipynb".
_CANVAS = re.compile(r"^[a-z0-9-]+_(?:late_)?(\d+)_\d+_.+$", re.IGNORECASE)
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")      # "jdoe (1)" from a browser's second download


def student_id(path: str | os.PathLike) -> str:
    """The student id in a submission's file name.

    * ``jdoe_00-getting-started.ipynb`` and ``jdoe-00-getting-started.ipynb`` give ``jdoe``
      (the exercise number and slug at the end are removed); ``jdoe.ipynb`` gives ``jdoe``.
    * A browser's copy marker is removed: ``jdoe_00-getting-started (1).ipynb`` gives ``jdoe``.
    * Files from Canvas's *Download submissions*
      (``doejane_LATE_123456_7890123_00-getting-started.ipynb``) give the Canvas user id,
      ``123456``: it is unique (two students can share a name) and it is the ``ID`` column of
      a Canvas roster, so :func:`write_canvas_csv` with ``roster=`` matches it.
    * Never empty: if nothing is left, the whole file name stem is the id.
    """
    name = re.split(r"[\\/]", os.fspath(path))[-1]
    stem = name[: -len(".ipynb")] if name.lower().endswith(".ipynb") else Path(name).stem
    stem = _clean(stem, keep_newlines=False).strip()
    canvas = _CANVAS.match(stem)
    if canvas:
        return canvas.group(1)
    short = _EXERCISE_SUFFIX.sub("", _COPY_SUFFIX.sub("", stem)).strip(" _-")
    return short or stem or name or "unknown"


# --------------------------------------------------------------------------- CSV safety

_FORMULA_START = tuple("=+-@\t\r") + tuple("＝＋－＠")   # with full-width forms


def spreadsheet_safe(value: object) -> object:
    """A CSV cell a spreadsheet will show as text, never run as a formula.

    Numbers pass through unchanged. Text loses control characters (tabs become spaces,
    line breaks become `` / ``), is cut to 500 characters, and gets a leading apostrophe if it
    starts, after any spaces, with ``= + - @``, a tab or a carriage return.
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    raw = "" if value is None else str(value)
    text = _clean(raw, keep_newlines=False)
    dangerous = raw.lstrip(" ").startswith(_FORMULA_START) or \
        text.lstrip().startswith(_FORMULA_START)
    if dangerous:
        return "'" + _shorten(text, CELL_LIMIT - 1)
    return _shorten(text, CELL_LIMIT)


# --------------------------------------------------------------------------- atomic files

def _atomic_write(path: str | os.PathLike, write: Callable, *, encoding: str = "utf-8",
                  newline: str | None = "") -> Path:
    """Call write(handle) on a temporary file next to `path`, then move it into place."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise GradebookError(f"could not write {path}: {exc.strerror or exc}. Check that the "
                             "folder exists and that you may write to it.") from exc
    try:
        with open(fd, "w", encoding=encoding, newline=newline) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise GradebookError(f"could not write {path}: {exc.strerror or exc}. The previous "
                                 "file, if there was one, is unchanged.") from exc
        raise
    return path


def _write_csv(path, header: Sequence, rows: Iterable[Sequence], *,
               encoding: str = "utf-8") -> Path:
    def write(fh):
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow([spreadsheet_safe(h) for h in header])
        for row in rows:            # rows may be a generator: a failing row aborts the file
            w.writerow([spreadsheet_safe(v) for v in row])
    return _atomic_write(path, write, encoding=encoding)


def _problem_text(result: SubmissionResult) -> str:
    return " / ".join(p for p in [result.error.strip(), *(n.strip() for n in result.notes)] if p)


# --------------------------------------------------------------------------- grades.csv

def _grades_row(result: SubmissionResult, questions: Sequence[str]) -> list:
    points = {q.name: q.points for q in result.questions}
    return [
        result.student, result.path, result.variant,
        *(_number(points[q]) if q in points else "" for q in questions),
        _number(result.total), _number(result.possible), result.percent,
        "problem" if result.has_problem else "ok",
        _problem_text(result),
    ]


def write_grades_csv(results: Sequence[SubmissionResult], path: str | os.PathLike,
                     questions: Sequence[str] | None = None) -> Path:
    """The instructor's table of scores, one row per submission (see the module docstring).

    Question columns follow `questions`; a question that some result has but `questions` lacks
    is added at the end in natural order, so no points are hidden. Without `questions`, the
    columns are every question found, in natural order.
    """
    questions = list(dict.fromkeys(questions or []))
    extra = question_order(q.name for r in results for q in r.questions
                           if q.name not in questions)
    questions += extra
    header = ["student", "submission", "variant", *questions,
              "total", "possible", "percent", "status", "problem"]
    return _write_csv(path, header, (_grades_row(r, questions) for r in results),
                      encoding="utf-8-sig")


# --------------------------------------------------------------------------- Canvas

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _read_roster(roster: str | os.PathLike) -> list[dict[str, str]]:
    roster = Path(roster)
    try:
        with open(roster, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or []]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()
                     if isinstance(v, str)} for row in reader]
    except OSError as exc:
        raise GradebookError(f"could not read the roster {roster}: {exc.strerror or exc}. "
                             "Export it from Canvas: Grades > Export > CSV.") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise GradebookError(f"the roster {roster} is not a readable UTF-8 CSV file ({exc}). "
                             "Export it again from Canvas: Grades > Export > CSV.") from exc
    # Canvas leaves out the SIS columns for teachers who may not see SIS data: only the
    # name and the Canvas ID are certain.
    missing = [c for c in ("Student", "ID") if c not in columns]
    if missing:
        raise GradebookError(f"the roster {roster} has no column {', '.join(missing)}. "
                             "Use the file Canvas exports from Grades > Export > CSV.")
    # Canvas puts a "Points Possible" row (and sometimes a read-only row) under the header,
    # with no ID; real students always have a Canvas ID.
    return [r for r in rows if r.get("ID")]


def _roster_index(rows: list[dict[str, str]]) -> Callable[[str], dict[str, str] | None]:
    maps: list[dict[str, dict[str, str]]] = []
    for column in ("SIS Login ID", "SIS User ID", "ID"):
        index: dict[str, dict[str, str]] = {}
        for row in rows:
            key = row.get(column, "").casefold()
            if key:
                index.setdefault(key, row)
        maps.append(index)
    # Last resort: a login like "jdoe@school.edu" matches a file named "jdoe", if only one does.
    local: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        login = row.get("SIS Login ID", "").casefold()
        if "@" in login:
            local.setdefault(login.split("@")[0], []).append(row)

    def find(student: str) -> dict[str, str] | None:
        key = student.strip().casefold()
        for index in maps:
            if key in index:
                return index[key]
        found = local.get(key, [])
        return found[0] if len(found) == 1 else None
    return find


def _scaled(result: SubmissionResult, points_possible: float) -> int | float:
    if result.possible and result.possible != points_possible:
        return _number(result.total / result.possible * points_possible)
    return _number(result.total)


def write_canvas_csv(results: Sequence[SubmissionResult], path: str | os.PathLike,
                     assignment: str, points_possible: float,
                     roster: str | os.PathLike | None = None) -> list[str]:
    """A CSV for Canvas's gradebook import; returns warnings for the instructor to read.

    * Without `roster`, each row has the student id in ``SIS Login ID`` and the other identity
      columns empty: this works when submissions are named by SIS login.
    * With `roster` (Canvas: Grades > Export > CSV), each student id is matched, ignoring
      case, to ``SIS Login ID``, then ``SIS User ID``, then ``ID`` (then, if only one login
      fits, the part of ``SIS Login ID`` before ``@``). Identity columns come from the roster.
      A student not in the roster gets no row and a warning.
    * If the exercise's points differ from `points_possible`, scores are scaled to it.
    * A submission that could not be graded at all gets no row (Canvas keeps the grade it has)
      and a warning. If a student has several submissions, the higher score is used.
    """
    warnings: list[str] = []
    find = _roster_index(_read_roster(roster)) if roster is not None else None
    by_student: dict[str, tuple[list[str], SubmissionResult]] = {}
    for result in results:
        label = f"{_inline(result.student, 60)} ({_inline(result.path, 120)})"
        if not result.graded:
            warnings.append(f"{label}: not graded ({_inline(result.error)}); no row in the "
                            "Canvas file, so Canvas keeps the current grade. "
                            "Check the submission and enter the grade by hand.")
            continue
        if find is None:
            identity = ["", "", "", result.student, ""]
        else:
            row = find(result.student)
            if row is None:
                warnings.append(f"{label}: not found in the roster {roster} (looked in SIS Login "
                                "ID, SIS User ID and ID); no row in the Canvas file. Rename the "
                                "submission to the student's SIS login, or enter the grade by "
                                "hand.")
                continue
            identity = [row.get(c, "") for c in CANVAS_IDENTITY]
        key = identity[1] or identity[3].casefold()
        if key in by_student:
            kept = by_student[key][1]
            better = result if result.total > kept.total else kept
            warnings.append(f"{label}: several submissions for this student (also "
                            f"{_inline(kept.path, 120)}); the Canvas file uses the higher "
                            f"score, from {_inline(better.path, 120)}.")
            by_student[key] = (identity, better)
        else:
            by_student[key] = (identity, result)
    scaled = {r.possible for _, r in by_student.values() if r.possible != points_possible}
    if any(scaled):
        warnings.append("scores are scaled to the Canvas assignment's "
                        f"{_fmt(points_possible)} points (the exercise has "
                        f"{', '.join(_fmt(p) for p in sorted(scaled))}).")
    header = [*CANVAS_IDENTITY, assignment]
    rows = [["Points Possible", "", "", "", "", _number(points_possible)]]
    rows += [[*identity, _scaled(r, points_possible)] for identity, r in by_student.values()]
    _write_csv(path, header, rows)
    return warnings


# --------------------------------------------------------------------------- generic

GENERIC_COLUMNS = ["student_id", "assignment", "score", "max_score", "percent", "status",
                   "graded_at"]


def write_generic_csv(results: Sequence[SubmissionResult], path: str | os.PathLike,
                      assignment: str, graded_at: datetime | None = None) -> Path:
    """One row per submission in a plain form most gradebooks import (see the module
    docstring for the columns). `graded_at` defaults to now."""
    stamp = (graded_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    when = stamp.isoformat().replace("+00:00", "Z")
    rows = ([r.student, assignment, _number(r.total) if r.graded else "",
             _number(r.possible), r.percent, "problem" if r.has_problem else "ok", when]
            for r in results)
    return _write_csv(path, GENERIC_COLUMNS, rows)


# --------------------------------------------------------------------------- feedback

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_MD_INLINE = re.compile(r"([\\`*_\[\]{}()#!|~^])")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}


def _safe_file_stem(student: str) -> str:
    """A file name stem made of letters, digits, '.', '_' and '-', that cannot leave a folder."""
    text = unicodedata.normalize("NFKC", _clean(student, keep_newlines=False))
    stem = re.sub(r"[^\w.-]+", "_", text, flags=re.ASCII).strip("._-")
    stem = re.sub(r"\.{2,}", ".", stem)[:NAME_LIMIT].strip("._-")
    if stem.lower().split(".")[0] in _WINDOWS_RESERVED:
        stem = "student_" + stem
    return stem or "student"


def _hostile(text: str) -> str:
    return _shorten(_clean(text, keep_newlines=True).strip(), FEEDBACK_LIMIT)


def _md_text(text: str) -> str:
    """Plain text as literal Markdown: specials escaped, < > & as entities."""
    text = html.escape(text, quote=False)
    return _MD_INLINE.sub(r"\\\1", text)


def _md_line(line: str) -> str:
    """One line of hostile text as Markdown, `backticks` kept as code spans."""
    line = line.strip()
    out, last = [], 0
    for m in _CODE_SPAN.finditer(line):
        out.append(_md_text(line[last:m.start()]))
        out.append(f"`{m.group(1)}`")      # the pattern allows no backtick inside
        last = m.end()
    out.append(_md_text(line[last:]))
    md = "".join(out)
    # Characters that only matter at the start of a line: headings, lists, quotes, rules.
    md = re.sub(r"^([-+=>])", r"\\\1", md)
    md = re.sub(r"^(\d+)([.)])", r"\1\\\2", md)
    return md


def _md(text: str) -> str:
    lines = [line for line in _hostile(text).split("\n") if line.strip()]
    return "  \n".join(_md_line(line) for line in lines)


def _html(text: str) -> str:
    """Hostile text as HTML: everything escaped, `backticks` as <code>, lines kept."""
    lines = [line.strip() for line in _hostile(text).split("\n") if line.strip()]
    out = []
    for line in lines:
        parts, last = [], 0
        for m in _CODE_SPAN.finditer(line):
            parts.append(html.escape(line[last:m.start()]))
            parts.append(f"<code>{html.escape(m.group(1))}</code>")
            last = m.end()
        parts.append(html.escape(line[last:]))
        out.append("".join(parts))
    return "<br>\n".join(out)


def _inline(text: str, limit: int = 200) -> str:
    return _shorten(_clean(text, keep_newlines=False).strip(), limit)


_CLOSING = ("If you think a question was graded wrongly, reply to your instructor within a week "
            "and name the question; they will look at your notebook again.")


def _feedback_md(r: SubmissionResult) -> str:
    student, exercise = _md_text(_inline(r.student)), _md_text(_inline(r.exercise))
    lines = [f"# Feedback on {exercise}: {student}", ""]
    if r.variant:
        lines += [f"Class version: {_md_text(_inline(r.variant))}", ""]
    lines += [f"**Score: {_points(r.total, r.possible)} ({r.percent}%)**", ""]
    if r.questions:
        lines += ["## Questions", ""]
    for q in r.questions:
        verdict = "passed" if q.passed else "not passed"
        lines += [f"### {_md_text(_inline(q.name, 40))}: {verdict} "
                  f"({_points(q.points, q.possible)})", ""]
        if q.message.strip():
            lines += [_md(q.message), ""]
        if q.expected.strip():
            lines += [f"Expected: {_md(q.expected)}", ""]
        if q.hint.strip():
            lines += [f"Hint: {_md(q.hint)}", ""]
    notes = [n for n in r.notes if n.strip()]
    if notes:
        lines += ["## Notes on your notebook", ""]
        lines += [f"- {_md(n)}" for n in notes] + [""]
    if r.error.strip():
        lines += ["## A problem with your submission", "", _md(r.error), ""]
    lines += ["---", "", _CLOSING, ""]
    return "\n".join(lines)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5;color:#1a1a1a;background:#fff}"
        "table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #999;padding:.4rem;text-align:left;vertical-align:top}"
        "code{background:#f0f0f0;padding:0 .2rem;overflow-wrap:anywhere}"
        ".passed{color:#145214}.not-passed{color:#8a1c1c}")


def _feedback_html(r: SubmissionResult) -> str:
    student, exercise = html.escape(_inline(r.student)), html.escape(_inline(r.exercise))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Feedback on {exercise}: {student}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>Feedback on {exercise}</h1>",
        f"<p>Student: {student}</p>",
    ]
    if r.variant:
        out.append(f"<p>Class version: {html.escape(_inline(r.variant))}</p>")
    out.append(f"<p><strong>Score: {_points(r.total, r.possible)} "
               f"({r.percent}%)</strong></p>")
    if r.questions:
        out += ["<h2>Questions</h2>", "<table>",
                "<caption>Your result for each question</caption>",
                '<thead><tr><th scope="col">Question</th><th scope="col">Result</th>'
                '<th scope="col">Points</th><th scope="col">Feedback</th></tr></thead>',
                "<tbody>"]
        for q in r.questions:
            css, verdict = ("passed", "Passed") if q.passed else ("not-passed", "Not passed")
            feedback = []
            if q.message.strip():
                feedback.append(f"<p>{_html(q.message)}</p>")
            if q.expected.strip():
                feedback.append(f"<p><strong>Expected:</strong> {_html(q.expected)}</p>")
            if q.hint.strip():
                feedback.append(f"<p><strong>Hint:</strong> {_html(q.hint)}</p>")
            out.append(f'<tr><th scope="row">{html.escape(_inline(q.name, 40))}</th>'
                       f'<td class="{css}">{verdict}</td>'
                       f"<td>{_points(q.points, q.possible)}</td>"
                       f"<td>{''.join(feedback)}</td></tr>")
        out += ["</tbody>", "</table>"]
    notes = [n for n in r.notes if n.strip()]
    if notes:
        out += ["<h2>Notes on your notebook</h2>", "<ul>"]
        out += [f"<li>{_html(n)}</li>" for n in notes]
        out.append("</ul>")
    if r.error.strip():
        out += ["<h2>A problem with your submission</h2>", f"<p>{_html(r.error)}</p>"]
    out += [f"<p>{html.escape(_CLOSING)}</p>", "</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def write_feedback(results: Sequence[SubmissionResult], folder: str | os.PathLike,
                   fmt: str = "md") -> list[Path]:
    """One feedback file per submission in `folder` (``<student>.md`` or ``<student>.html``).

    File names come from the student id with anything but letters, digits, ``.``, ``_`` and
    ``-`` replaced, so no id can name a file outside `folder`; two submissions that would share
    a name get ``-2``, ``-3``. Returns the files written, in the order of `results`.
    """
    if fmt not in ("md", "html"):
        raise GradebookError(f"feedback format {fmt!r} is not known: use 'md' or 'html'.")
    folder = Path(folder)
    root = folder.resolve()
    render = _feedback_md if fmt == "md" else _feedback_html
    written: list[Path] = []
    used: set[str] = set()
    for result in results:
        stem = _safe_file_stem(result.student)
        name, n = f"{stem}.{fmt}", 1
        while name.casefold() in used:
            n += 1
            name = f"{stem}-{n}.{fmt}"
        used.add(name.casefold())
        target = folder / name
        if target.resolve().parent != root:      # cannot happen with a cleaned name; be sure
            raise GradebookError(f"refusing to write feedback for {result.student!r} outside "
                                 f"{folder}.")
        text = render(result)
        written.append(_atomic_write(target, lambda fh, text=text: fh.write(text), newline=None))
    return written


# --------------------------------------------------------------------------- progress output

def summary_line(result: SubmissionResult) -> str:
    """One line for the progress output: ``jdoe  5/7  (3.2 s)``, plus the problem if any."""
    line = (f"{_inline(result.student, 60)}  {_fmt(result.total)}/{_fmt(result.possible)}  "
            f"({result.seconds:.1f} s)")
    if not result.graded:
        line = f"{_inline(result.student, 60)}  not graded  ({result.seconds:.1f} s)"
    problem = _problem_text(result)
    if problem:
        line += f"  problem: {_inline(problem, 120)}"
    return line
