"""Generate student notebooks, answer keys and autograder folders from exercise sources, and
grade submissions.

Sources live in ``exercises/source/`` (see ``exercises/README.md``). Generated:

* ``exercises/student/NN-slug.ipynb`` + ``NN-slug_checks.py`` (committed: what students get)
* ``exercises/dist/keys/NN-slug-key.ipynb`` (answer key with rubrics; not committed)
* ``exercises/dist/autograder/NN-slug/`` (public + hidden checks; not committed)
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exercises" / "source"
STUDENT = ROOT / "exercises" / "student"
DIST = ROOT / "exercises" / "dist"
_SOLUTION_LINE = re.compile(r"^(\s*)(.*?)\s*#\s*SOLUTION\s*$")
DISCUSSION_PLACEHOLDER = "*Write your answer here.*"


class ExerciseError(ValueError):
    """A problem in an exercise source, with the file and cell that need fixing."""


def strip_solutions(source: str, where: str = "") -> str:
    """Replace solution blocks and lines with ``...``."""
    out: list[str] = []
    inside = False
    for n, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            if inside:
                raise ExerciseError(f"{where}: line {n}: BEGIN SOLUTION inside another one.")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + "...")
            continue
        if stripped == "# END SOLUTION":
            if not inside:
                raise ExerciseError(f"{where}: line {n}: END SOLUTION without BEGIN SOLUTION.")
            inside = False
            continue
        if inside:
            continue
        m = _SOLUTION_LINE.match(line)
        if m:
            indent, code = m.groups()
            if "=" in code and not code.lstrip().startswith(("=", "==")):
                target = code.split("=", 1)[0].rstrip()
                out.append(f"{indent}{target} = ...")
            else:
                out.append(f"{indent}...")
            continue
        out.append(line)
    if inside:
        raise ExerciseError(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION.")
    return "\n".join(out)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


_CHECK_CELL = re.compile(r'(from trustlab\.checks import check\n)?(grader\.)?check\("\w+"\)\s*')
RAISES = "raises-exception"  # Run All (JupyterLab, Notebook 7, nbclient, nbval) goes on past it


def files_cell(name: str) -> nbformat.NotebookNode:
    """The first cell of a student notebook: its two files, and that they go in one folder."""
    return nbformat.v4.new_markdown_cell(
        f"**This exercise set has two files:** [`{name}.ipynb`]({name}.ipynb) (this notebook) "
        f"and [`{name}_checks.py`]({name}_checks.py) (its checks). Put both in the same "
        "folder before you start: the checks cannot run without the second file.",
        id="trustlab-files")


def hand_in_cells() -> list[nbformat.NotebookNode]:
    """The closing section of every student notebook."""
    return [
        nbformat.v4.new_markdown_cell(
            "## Before you hand in\n\n"
            "1. Choose **Kernel > Restart Kernel and Run All Cells**. Your notebook must work "
            "from the top, in order, because that is how it is graded.\n"
            "2. Read every check's message, and the summary below.\n"
            "3. Save the notebook (**File > Save**).\n"
            "4. Hand in exactly this file, under its own name (the `.ipynb` file, not the "
            "`_checks.py` file).\n\n"
            "Your answers to the discussion questions are in the text cells you wrote, so "
            "they are handed in with the notebook.", id="trustlab-hand-in"),
        nbformat.v4.new_code_cell("from trustlab.checks import summary\nsummary()",
                                  id="trustlab-summary"),
    ]


def student_notebook(nb: nbformat.NotebookNode, where: str) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(out.cells):
        tags = _tags(cell)
        if "rubric" in tags or "solution-only" in tags:
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{where}, cell {i + 1}")
            cell.outputs = []
            cell.execution_count = None
            # A broken answer must not stop Run All before the checks that explain it.
            if "setup" not in tags and not _CHECK_CELL.fullmatch(cell.source) \
                    and RAISES not in tags:
                cell.metadata["tags"] = tags + [RAISES]
        elif cell.cell_type == "markdown" and "discussion" in tags:
            cell.source = DISCUSSION_PLACEHOLDER
        cells.append(cell)
    name = Path(where).stem
    # The files note goes right under the title (a page's title must stay its first heading).
    top = 1 if cells and cells[0].cell_type == "markdown" and cells[0].source.startswith("# ") \
        else 0
    out.cells = cells[:top] + [files_cell(name)] + cells[top:] + hand_in_cells()
    out.metadata.pop("widgets", None)
    out.metadata.setdefault("trustlab", {})["generated"] = content_hash(out)
    return out


def content_hash(nb: nbformat.NotebookNode) -> str:
    """A fingerprint of what a student can change in a notebook: each cell's type, source and
    outputs. Running or editing a notebook changes it; opening and saving it does not."""
    cells = [[c.cell_type, c.source, c.get("outputs", []), c.get("execution_count")]
             for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]


def student_changed(path: Path) -> bool:
    """True if the student notebook at ``path`` is no longer as it was generated (a student ran
    or edited it). A notebook without a recorded hash counts as changed once it has outputs."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable: certainly not what we generated
        return True
    recorded = nb.metadata.get("trustlab", {}).get("generated")
    if recorded is None:
        return any(c.get("outputs") or c.get("execution_count") for c in nb.cells
                   if c.cell_type == "code")
    return recorded != content_hash(nb)


def key_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    out.cells.insert(0, nbformat.v4.new_markdown_cell(
        "**Instructor answer key.** Do not share with students. Rubrics for open questions "
        "follow each discussion answer.", id="answer-key-banner"))
    return out


def sources() -> list[Path]:
    return sorted(p for p in SOURCE.glob("*.ipynb") if not p.name.startswith("."))


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def render(src: Path) -> dict[str, str]:
    """The generated files for one source, as {relative path: text}."""
    name = src.stem
    where = str(src.relative_to(ROOT)) if src.is_relative_to(ROOT) else str(src)
    nb = nbformat.read(src, as_version=4)
    checks = src.with_name(f"{name}_checks.py")
    if not checks.is_file():
        raise ExerciseError(f"{where}: its public checks file {checks.name} is missing.")
    out = {
        f"student/{name}.ipynb": nbformat.writes(student_notebook(nb, where)) + "\n",
        f"student/{name}_checks.py": checks.read_text(encoding="utf-8"),
        f"dist/keys/{name}-key.ipynb": nbformat.writes(key_notebook(nb)) + "\n",
        f"dist/autograder/{name}/{name}_checks.py": checks.read_text(encoding="utf-8"),
    }
    hidden = src.with_name(f"{name}_hidden.py")
    if hidden.is_file():
        out[f"dist/autograder/{name}/{name}_hidden.py"] = hidden.read_text(encoding="utf-8")
    return out


def generate(verbose: bool = True, student: bool = True) -> list[str]:
    """Write every generated file; return the ones that changed. ``student=False`` skips the
    student files. A student notebook that a student ran or edited is never overwritten: the
    new version goes next to it as ``NN-slug.new.ipynb``."""
    changed = []
    for src in sources():
        for rel, text in render(src).items():
            path = ROOT / "exercises" / rel
            if rel.startswith("student/"):
                if not student:
                    continue
                path = STUDENT / rel.removeprefix("student/")
                if path.suffix == ".ipynb" and path.is_file() and student_changed(path) \
                        and path.read_text(encoding="utf-8") != text:
                    new = path.with_name(path.stem + ".new.ipynb")
                    if _write_if_changed(new, text):
                        changed.append(f"student/{new.name}")
                    print(f"{_shown(path)} was run or edited since it was generated, so I did "
                          f"not overwrite it (your work in it is safe). The new version is "
                          f"{_shown(new)}: open it and copy your answers over, or delete "
                          f"{path.name} and run `make exercises` again to replace it.")
                    continue
            if _write_if_changed(path, text):
                changed.append(rel)
    if verbose:
        print("\n".join(f"wrote exercises/{c}" for c in changed) or "exercises up to date")
    return changed


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def stale_student_files() -> list[str]:
    """Student files that differ from what the sources generate (for the up-to-date test)."""
    stale = []
    for src in sources():
        for rel, text in render(src).items():
            if rel.startswith("student/"):
                path = ROOT / "exercises" / rel
                if not path.is_file() or path.read_text(encoding="utf-8") != text:
                    stale.append(f"exercises/{rel}")
    return stale


# ------------------------------------------------------------------------------------------
# Grading

_GRADE_CELL = """
import json as _json
from trustlab.checks import load_checks as _lc, run_question as _rq
from pathlib import Path as _P
_qs = {}
for _f in sorted(_P('.').glob('*_checks.py')) + sorted(_P('.').glob('*_hidden.py')):
    for _k, _v in _lc(_f).items():
        _qs.setdefault(_k, []).extend(_v)
_res = {}
for _k in sorted(_qs):
    _pub = [q for q in _qs[_k] if not q.hidden]
    _r = _rq(_qs[_k], globals(), _k)
    _pts = sum(q.points for q in _pub) if _pub else sum(q.points for q in _qs[_k])
    _res[_k] = {"points": _pts if _r.passed else 0, "possible": _pts, "message": _r.message}
print("TRUSTLAB-GRADES" + _json.dumps(_res))
"""


def grade(exercise: str, submissions: list[Path], out_csv: Path | None = None,
          timeout: int = 120) -> list[dict]:
    """Run each submission with the public and hidden checks; return and write the scores."""
    from nbclient import NotebookClient

    auto = DIST / "autograder" / exercise
    if not auto.is_dir():
        generate(verbose=False)
    if not auto.is_dir():
        raise ExerciseError(f"no exercise called {exercise!r}: expected "
                            f"exercises/source/{exercise}.ipynb")
    rows = []
    for sub in submissions:
        with tempfile.TemporaryDirectory() as tmp:
            for f in auto.iterdir():
                shutil.copy(f, tmp)
            nb = nbformat.read(sub, as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell(_GRADE_CELL, id="trustlab-grade"))
            client = NotebookClient(nb, timeout=timeout, allow_errors=True,
                                    resources={"metadata": {"path": tmp}})
            row: dict = {"submission": str(sub)}
            try:
                client.execute()
                text = "".join(o.get("text", "") for o in nb.cells[-1].outputs
                               if o.get("output_type") == "stream")
                marker = text.rfind("TRUSTLAB-GRADES")
                res = json.loads(text[marker + len("TRUSTLAB-GRADES"):].strip().splitlines()[0])
            except Exception as exc:  # noqa: BLE001 - one broken submission must not stop grading
                row["error"] = f"{type(exc).__name__}: {exc}"
                res = {}
            for q, r in res.items():
                row[q] = r["points"]
            row["total"] = sum(r["points"] for r in res.values())
            row["possible"] = sum(r["possible"] for r in res.values())
            rows.append(row)
    if out_csv:
        fields = ["submission"] + sorted({k for r in rows for k in r} - {"submission", "total",
                                                                       "possible", "error"})
        fields += ["total", "possible", "error"]
        with open(out_csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
    return rows
