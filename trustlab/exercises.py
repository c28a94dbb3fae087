"""Generate student notebooks, answer keys and autograder folders from exercise sources, and
grade submissions.

Sources live in ``exercises/source/`` (see ``exercises/README.md``). Generated:

* ``exercises/student/NN-slug.ipynb`` + ``NN-slug_checks.py`` (committed: what students get)
* ``exercises/dist/keys/NN-slug-key.ipynb`` (answer key with rubrics; not committed)
* ``exercises/dist/autograder/NN-slug/`` (public + hidden checks; not committed)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .checks import Variant
from .paths import course_root

ROOT = course_root()  # the repository, or $TRUSTLAB_COURSE for an installed package
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
    # A temporary name of this process's own, replaced in one step: a reader (another grader
    # or test process generating the same files) never sees a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def _variants_module(src: Path):
    """The set's ``NN-slug_variants.py`` (parameters and answers of class variants), or None."""
    path = src.with_name(f"{src.stem}_variants.py")
    if not path.is_file():
        return None
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"trustlab_variants_{src.stem.replace('-', '_')}",
                                                  path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - name the file an author must fix
        raise ExerciseError(f"{path.name}: could not be loaded ({type(exc).__name__}: "
                            f"{exc}).") from None
    for attr in ("PARAMS", "answers"):
        if not hasattr(module, attr):
            raise ExerciseError(f"{path.name}: it must define {attr}.")
    return module


def _keyed(key: str, *parts: str) -> bytes:
    import hashlib
    import hmac

    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).digest()


_MC_OPTION = re.compile(r"^- ([a-f])\) (.*)$")
_MC_SOLUTION = re.compile(r'^(\s*)(q\w+_answer) = "([a-f])"(\s*#\s*SOLUTION\s*)$')
_QUESTION = re.compile(r"^\*\*Question (q\w+)\b")
_KEEP_ORDER = "<!-- keep order -->"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _fill(text: str, values: dict, where: str) -> str:
    def sub(m):
        if m.group(1) not in values:
            raise ExerciseError(f"{where}: unknown placeholder {{{{{m.group(1)}}}}} (the "
                                "set's _variants.py defines no such parameter).")
        return str(values[m.group(1)])

    return _PLACEHOLDER.sub(sub, text)


@dataclass
class Plan:
    """One version of a set: the public one (``key`` None) or a class variant."""

    variant: Variant
    values: dict            # placeholder values (parameters and derived text)
    expected: dict          # answer key -> expected value (never written for students)


def plan(src: Path, key: str | None = None) -> Plan:
    """Parameters, answers and digests of the public set (``key`` None) or of the class
    variant that ``key`` selects."""
    import random

    from .checks import digest

    name = src.stem
    mod = _variants_module(src)
    params: dict = {}
    rng = random.Random(_keyed(key, name, "params")) if key else None
    if mod is not None:
        for pname, choices in mod.PARAMS.items():
            choices = list(choices)
            if not choices:
                raise ExerciseError(f"{name}_variants.py: PARAMS[{pname!r}] has no choices.")
            params[pname] = rng.choice(choices[1:] or choices) if rng else choices[0]
    values = dict(params)
    if mod is not None and hasattr(mod, "derive"):
        values.update(mod.derive(dict(params)))
    salt = _keyed(key, name, "salt").hex()[:16] if key else ""
    vid = _keyed(key, name, "id").hex()[:8] if key else ""
    answers, expected = {}, {}
    if mod is not None:
        from . import checks as _checks

        raw = mod.answers(dict(params), _checks.course_data)
        for akey, val in raw.items():
            value, rnd = val if isinstance(val, tuple) and len(val) == 2 and \
                isinstance(val[1], (int, type(None))) and not isinstance(val[0], tuple) \
                else (val, None)
            expected[akey] = value
            answers[akey] = digest(value, rnd, salt)
    return Plan(Variant(id=vid, params=params, answers=answers, salt=salt,
                        expected=expected), values, expected)


def _shuffle_choices(nb: nbformat.NotebookNode, pl: Plan, key: str | None, name: str,
                     where: str) -> None:
    """Shuffle each multiple-choice question's options (class variants only) and record the
    correct letter's digest under the question's name."""
    import random

    from .checks import digest

    current = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            m = _QUESTION.match(cell.source)
            if m:
                current = m.group(1)
            lines = cell.source.split("\n")
            opts = [(j, _MC_OPTION.match(line)) for j, line in enumerate(lines)]
            opts = [(j, m) for j, m in opts if m]
            keep = _KEEP_ORDER in cell.source
            if keep:
                cell.source = cell.source.replace(_KEEP_ORDER + "\n", "").replace(_KEEP_ORDER, "")
                lines = cell.source.split("\n")
                opts = [(j, _MC_OPTION.match(line)) for j, line in enumerate(lines)]
                opts = [(j, m) for j, m in opts if m]
            if current and len(opts) >= 2:
                letters = [m.group(1) for _, m in opts]
                order = list(range(len(opts)))
                if key and not keep:  # options in a natural order (years) keep it
                    random.Random(_keyed(key, name, current, "options")).shuffle(order)
                # new position k shows old option order[k], with letter letters[k]
                mapping = {letters[order[k]]: letters[k] for k in range(len(order))}
                for k, (j, _) in enumerate(opts):
                    lines[j] = f"- {letters[k]}) {opts[order[k]][1].group(2)}"
                cell.source = "\n".join(lines)
                pl.variant.letters[current] = mapping if key else {}
                if not key:
                    pl.variant.letters.pop(current, None)
                pl.values.setdefault("_mc", {})[current] = mapping
        elif cell.cell_type == "code":
            lines = cell.source.split("\n")
            for j, line in enumerate(lines):
                m = _MC_SOLUTION.match(line)
                if not m:
                    continue
                q = m.group(2).removesuffix("_answer")
                mapping = pl.values.get("_mc", {}).get(q)
                if mapping is None:
                    raise ExerciseError(f"{where}, cell {i + 1}: {m.group(2)} answers a question "
                                        f"{q} with no a)/b)/c) options above it.")
                letter = mapping.get(m.group(3), m.group(3))
                lines[j] = f'{m.group(1)}{m.group(2)} = "{letter}"{m.group(4)}'
                if q in pl.variant.answers:
                    raise ExerciseError(f"{name}_variants.py: answer key {q!r} is also a "
                                        "multiple-choice question's name.")
                pl.variant.answers[q] = digest(letter, None, pl.variant.salt)
                pl.expected[q] = letter
            cell.source = "\n".join(lines)
    pl.values.pop("_mc", None)


def render_checks(text: str, variant: Variant) -> str:
    """The checks file with this version's ``VARIANT = {...}`` written in (sets without a
    ``VARIANT`` line are copied as they are)."""
    import pprint

    lines = text.split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^VARIANT\s*(:[^=]*)?=", line):
            lines[i] = "VARIANT = " + pprint.pformat(variant.to_dict(), width=96,
                                                     sort_dicts=True).replace("\n", "\n" + " " * 10)
            return "\n".join(lines)
    return text


def render(src: Path, key: str | None = None) -> dict[str, str]:
    """The generated files for one source, as {relative path: text}: the public set, or with
    ``key`` the class variant it selects."""
    return build(src, key)[0]


def build(src: Path, key: str | None = None) -> tuple[dict[str, str], Plan]:
    """:func:`render`'s files and the version's plan (with the expected answers)."""
    name = src.stem
    where = str(src.relative_to(ROOT)) if src.is_relative_to(ROOT) else str(src)
    nb = nbformat.read(src, as_version=4)
    checks = src.with_name(f"{name}_checks.py")
    if not checks.is_file():
        raise ExerciseError(f"{where}: its public checks file {checks.name} is missing.")
    pl = plan(src, key)
    for i, cell in enumerate(nb.cells):
        cell.source = _fill(cell.source, pl.values, f"{where}, cell {i + 1}")
    _shuffle_choices(nb, pl, key, name, where)
    if key:
        nb.metadata.setdefault("trustlab", {})["variant"] = pl.variant.id
    checks_text = render_checks(checks.read_text(encoding="utf-8"), pl.variant)
    out = {
        f"student/{name}.ipynb": nbformat.writes(student_notebook(nb, where)) + "\n",
        f"student/{name}_checks.py": checks_text,
        f"dist/keys/{name}-key.ipynb": nbformat.writes(key_notebook(nb)) + "\n",
        f"dist/autograder/{name}/{name}_checks.py": checks_text,
    }
    hidden = src.with_name(f"{name}_hidden.py")
    if hidden.is_file():
        out[f"dist/autograder/{name}/{name}_hidden.py"] = hidden.read_text(encoding="utf-8")
    return out, pl


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
# Class keys and grading


def new_class_key(path: Path) -> None:
    """Write a new random class key to ``path`` (readable by its owner only)."""
    import secrets

    if path.exists():
        raise ExerciseError(f"{path} already exists: a class key is never overwritten (the "
                            "grades of that class depend on it). Choose another file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def read_class_key(path: Path) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ExerciseError(f"cannot read the class key {path}: {exc.strerror}. Create one with "
                            "`python -m trustlab class-key FILE`.") from None
    if len(text) < 16 or any(c.isspace() for c in text):
        raise ExerciseError(f"{path} is not a class key (one line of at least 16 characters). "
                            "Create one with `python -m trustlab class-key FILE`.")
    return text


def find_source(exercise: str) -> Path:
    src = SOURCE / f"{exercise}.ipynb"
    if not src.is_file():
        known = ", ".join(p.stem for p in sources())
        raise ExerciseError(f"no exercise called {exercise!r}: expected "
                            f"exercises/source/{exercise}.ipynb. Exercises: {known}.")
    return src


def class_set(key_path: Path, out: Path) -> list[Path]:
    """Write a class's variant of every set: ``out/student/`` (hand out) and ``out/keys/``."""
    key = read_class_key(key_path)
    written = []
    for src in sources():
        for rel, text in render(src, key).items():
            if rel.startswith("student/"):
                target = out / rel
            elif rel.startswith("dist/keys/"):
                target = out / "keys" / Path(rel).name
            else:
                continue
            _write_if_changed(target, text)
            written.append(target)
    return written


def load_exercise(exercise: str, key: str | None = None):
    """The grader's view of a set: public + hidden checks, with the variant's answers."""
    from .checks import load_check_module, load_checks
    from .grading import make_exercise

    src = find_source(exercise)
    files, pl = build(src, key)
    public_text = files[f"student/{exercise}_checks.py"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{exercise}_checks.py"
        path.write_text(public_text, encoding="utf-8")
        questions, _ = load_check_module(path)
        hidden = src.with_name(f"{exercise}_hidden.py")
        if hidden.is_file():
            for q, checks in load_checks(hidden).items():
                if q not in questions:
                    raise ExerciseError(f"{hidden.name}: hidden checks for {q}, which the public "
                                        "checks do not define.")
                questions[q] = questions[q] + checks
    return make_exercise(exercise, questions, pl.variant, public_text)


def grade(exercise: str, submissions: list[Path], out_csv: Path | None = None,
          timeout: int = 60, key_path: Path | None = None, jobs: int = 1,
          limits=None, on_done=None) -> list:
    """Grade submissions of one set (see trustlab.grading); write the grades CSV."""
    from .gradebook import write_grades_csv
    from .grading import Limits, grade_all

    key = read_class_key(key_path) if key_path else None
    ex = load_exercise(exercise, key)
    limits = limits or Limits(cell_seconds=timeout)
    results = grade_all(ex, list(submissions), limits, jobs=jobs, on_done=on_done)
    if out_csv:
        write_grades_csv(results, out_csv, ex.order)
    return results
