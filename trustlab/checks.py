"""Auto-checks for exercise notebooks: feedback that teaches.

A check file (``NN-slug_checks.py``) defines questions with :func:`question`. In the student
notebook, ``grader = Checker("NN-slug")`` then ``grader.check("q1")`` runs that question's
checks against the notebook's variables and prints what was expected, what is wrong and a
hint, never a bare assertion or a traceback wall. Correct answers are stored only as digests
(:func:`digest`), so reading the check file does not give them away.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import linecache
import math
import numbers
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import course_root

REGISTRY: dict[str, dict[str, list[Question]]] = {}
_LOADING: list[str] = []  # name of the check module being loaded
_CURRENT: Checker | None = None  # the most recently created Checker, used by check()


# ------------------------------------------------------------------------------------------
# Digests


def _normal(value: Any, round_to: int | None = None) -> str:
    try:
        import numpy as np
        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool):
        return f"bool:{value}"
    if isinstance(value, numbers.Integral):
        return f"num:{int(value)}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "num:nan"
        if round_to is not None:
            v = round(v, round_to)
        if v == int(v):
            return f"num:{int(v)}"
        return f"num:{v!r}"
    if isinstance(value, str):
        return "str:" + " ".join(value.strip().lower().split())
    if isinstance(value, (list, tuple)):
        return "seq:[" + ",".join(_normal(v, round_to) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "set:{" + ",".join(sorted(_normal(v, round_to) for v in value)) + "}"
    return "repr:" + repr(value)


def digest(value: Any, round_to: int | None = None, salt: str = "") -> str:
    """A short, stable fingerprint of an answer (numbers 42 and 42.0 agree; strings ignore
    case and surrounding spaces). A class variant salts its digests, so the public set's
    digests say nothing about a variant's answers."""
    return hashlib.sha256((salt + _normal(value, round_to)).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------
# Variants: the parameters and answer digests of one version of an exercise set


@dataclass
class Variant:
    """Which version of a set the checks are checking. ``python -m trustlab exercises``
    writes it into each student checks file as ``VARIANT = {...}``; the grader builds it
    from the class key (with the expected values themselves, which never leave it)."""

    id: str = ""                                   # "" = the public self-study set
    params: dict = field(default_factory=dict)     # e.g. {"year": 1954}
    answers: dict = field(default_factory=dict)    # key -> digest (salted for a class variant)
    letters: dict = field(default_factory=dict)    # question -> {public letter: this letter}
    salt: str = ""
    expected: dict = field(default_factory=dict)   # key -> value: only when grading

    @classmethod
    def from_dict(cls, d: dict | None) -> Variant:
        d = d or {}
        return cls(id=str(d.get("id", "")), params=dict(d.get("params", {})),
                   answers=dict(d.get("answers", {})), letters=dict(d.get("letters", {})),
                   salt=str(d.get("salt", "")))

    def to_dict(self) -> dict:
        return {"id": self.id, "params": self.params, "answers": self.answers,
                "letters": self.letters, "salt": self.salt}


# ------------------------------------------------------------------------------------------
# Defining questions


@dataclass
class Question:
    name: str
    func: Callable[[Check], None]
    points: float = 1
    expected: str = ""
    hint: str = ""
    hidden: bool = False


def question(name: str, *, points: float = 1, expected: str = "", hint: str = "",
             hidden: bool = False):
    """Decorator registering ``func(ck)`` as a check of question ``name``."""

    def deco(func: Callable[[Check], None]):
        module = _LOADING[-1] if _LOADING else func.__module__
        REGISTRY.setdefault(module, {}).setdefault(name, []).append(
            Question(name, func, points, expected, hint, hidden))
        return func

    return deco


class CheckFailed(Exception):
    """A check found a problem; the message is written for the student."""


class Need(BaseException):  # noqa: N818 - not an error: the grader must fetch a value first
    """Raised inside a check run by the grader when a value of the submission has not been
    fetched from its sandboxed kernel yet (a BaseException, so checks cannot swallow it)."""

    def __init__(self, request: tuple):
        super().__init__(request)
        self.request = request


_DATA_CACHE: dict[str, Any] = {}


def course_data(name: str) -> Any:
    """A dataset as the course ships it (trusted: never the student's copy)."""
    if name not in _DATA_CACHE:
        from trustlab import load

        _DATA_CACHE[name] = load(name)
    return _DATA_CACHE[name].copy()


@dataclass
class Check:
    """What a check function receives: the student's variables and helpers that fail with a
    message a student can act on."""

    ns: dict
    question: str
    notes: list[str] = field(default_factory=list)
    variant: Variant = field(default_factory=Variant)
    last: str = ""  # what the last value came from, to explain a check that cannot use it

    def data(self, name: str) -> Any:
        """The course's dataset ``name`` (not the student's variable): what a check passes to
        a student's function."""
        return course_data(name)

    def param(self, key: str) -> Any:
        """This variant's value of a parameter (e.g. the year a question asks about)."""
        try:
            return self.variant.params[key]
        except KeyError:
            raise KeyError(f"check file error: no parameter {key!r} in this variant") from None

    def answer(self, key: str) -> str:
        """The digest of the expected answer ``key`` in this variant."""
        try:
            return self.variant.answers[key]
        except KeyError:
            raise KeyError(f"check file error: no answer {key!r} in this variant") from None

    def letter(self, public: str) -> str:
        """The letter that public option ``public`` has in this variant (options are shuffled
        in a class variant)."""
        return self.variant.letters.get(self.question, {}).get(public, public)

    def expected(self, key: str) -> Any:
        """The expected value itself: only the grader has it (hidden checks)."""
        if key not in self.variant.expected:
            raise KeyError(f"check file error: expected value {key!r} is only known when grading")
        return self.variant.expected[key]

    def var(self, name: str) -> Any:
        self.last = f"`{name}`"
        if name not in self.ns:
            missing = getattr(self.ns, "missing_message", None)
            if missing is not None:  # grading: the kernel wrote the message
                raise CheckFailed(missing(name))
            raise CheckFailed(missing_variable_message(name, self.ns))
        value = self.ns[name]
        if value is Ellipsis:
            raise CheckFailed(f"`{name}` is still `...`: replace the `...` with your answer "
                              "and run the cell again.")
        return value

    def is_type(self, value: Any, types: type | tuple[type, ...], what: str) -> None:
        try:
            import numpy as np
            if isinstance(value, np.generic):
                value = value.item()
        except ImportError:  # pragma: no cover
            pass
        if types is int and isinstance(value, float) and value.is_integer():
            return
        if types in (float, (int, float)) and isinstance(value, numbers.Real):
            return
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            raise CheckFailed(f"Your answer should be {what}, but it is a "
                              f"{type(value).__name__} (`{_short(value)}`).")

    def equal(self, value: Any, expected_digest: str, *, round: int | None = None,
              message: str = "") -> None:
        if digest(value, round, self.variant.salt) != expected_digest:
            raise CheckFailed(message or f"`{_short(value)}` is not the value I expected.")

    def choice(self, value: Any, expected_digest: str, options: str = "abcd") -> None:
        if len(options) > 1 and self.variant.letters.get(self.question):
            options = "".join(sorted(options))
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise CheckFailed(f"Answer with one letter from {', '.join(options)} in quotes, "
                              f"e.g. \"{options[0]}\"; you gave `{_short(value)}`.")
        self.equal(value.strip().lower(), expected_digest,
                   message=f"\"{value.strip().lower()}\" is not the best answer.")

    def require(self, condition: Any, message: str) -> None:
        if not condition:
            raise CheckFailed(message)

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a student's function; an exception in it is reported with the failing line."""
        remote = getattr(self.ns, "call", None)
        if remote is not None:  # grading: the function runs in the submission's sandbox
            result = remote(func, args, kwargs)
        elif not callable(func):
            raise CheckFailed(f"`{_short(func)}` is not a function: define it with `def`.")
        else:
            result = None
        call = f"{getattr(func, '__name__', func)}({', '.join(map(_short, args))})"
        self.last = f"`{call}`"
        if remote is not None:
            return result
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - we explain the student's own exception
            raise CheckFailed(explain_exception(exc, f"calling `{call}`")) from None


_BARE_LETTER = r"\s*=\s*([A-Fa-f])\s*(?:#.*)?$"


def missing_variable_message(name: str, ns: dict) -> str:
    """What to tell a student whose variable ``name`` does not exist. If the notebook's input
    history (IPython's ``In``) shows ``name = b``, a letter without quotes, the cell failed with
    a NameError; say to put the letter in quotes. Otherwise: run (or re-create) the cell."""
    history = ns.get("In")
    if isinstance(history, list):
        assign = re.compile(rf"^\s*{re.escape(name)}{_BARE_LETTER}", re.MULTILINE)
        for source in reversed(history):
            m = assign.search(source) if isinstance(source, str) else None
            if m:
                letter = m.group(1)
                return (f"`{name}` was never set, because your cell says `{name} = {letter}` "
                        f"without quotes, so Python looked for a variable called {letter}. Put "
                        f"the letter in quotes: `{name} = \"{letter}\"`, run that cell, then "
                        "this check again.")
    return (f"I could not find a variable called `{name}`. Run the cell where you define "
            f"it (cells run top to bottom). If you deleted that cell, add a cell with "
            f"`{name} = ...` above this check and fill in your answer.")


def _short(value: Any, limit: int = 60) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (str, bytes)) and len(shape) > 0:
        return f"<{type(value).__name__} of shape {tuple(shape)}>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value: Any) -> str:
    """A value for a feedback message: numbers with thousands separators (30,264; 1,234.5),
    anything else (a string, a list, a table) as a short repr. Safe for any value a student
    might give, unlike ``f"{v:,}"``, which fails when ``v`` is a string."""
    try:
        import numpy as np
        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        if math.isfinite(v) and v.is_integer():
            return f"{int(v):,}"
        if math.isfinite(v):
            return f"{round(v, 4):,}"
        return repr(v)
    return _short(value)


def _is_student_frame(filename: str) -> bool:
    return filename.startswith("<ipython-input") or "ipykernel_" in filename or \
        filename.startswith("<cell")


def explain_exception(exc: BaseException, doing: str) -> str:
    """One or two sentences: which line of the student's code failed, and why."""
    frames = traceback.extract_tb(exc.__traceback__)
    student = [f for f in frames if _is_student_frame(f.filename)]
    where = ""
    if student:
        f = student[-1]
        line = (f.line or linecache.getline(f.filename, f.lineno)).strip()
        where = f" Line {f.lineno} of your code failed" + (f": `{line}`." if line else ".")
    return (f"While {doing}, your code raised {type(exc).__name__}: {exc}.{where} "
            "Fix that line and run your cell again, then re-run this check.")


# ------------------------------------------------------------------------------------------
# Running checks


@dataclass
class Result:
    question: str
    passed: bool
    points: float
    possible: float
    message: str = ""
    expected: str = ""
    hint: str = ""

    def text(self) -> str:
        if self.passed:
            return f"{self.question}: all checks passed. Well done."
        lines = [f"{self.question}: not yet. {self.message}"]
        if self.expected:
            lines.append(f"  Expected: {self.expected}.")
        if self.hint:
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def _html(text: str) -> str:
            return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

        if self.passed:
            return (f'<div class="trustlab-check ok" role="status"><strong>&#10004; '
                    f"{html.escape(self.question)}</strong>: all checks passed. Well done.</div>")
        parts = [f'<div class="trustlab-check fail" role="status" style="border-left:4px solid '
                 f'#b26b00;padding:.3em .8em"><strong>{html.escape(self.question)}: not yet.'
                 f"</strong> {_html(self.message)}"]
        if self.expected:
            parts.append(f"<br><em>Expected:</em> {_html(self.expected)}.")
        if self.hint:
            parts.append(f"<br><em>Hint:</em> {_html(self.hint)}")
        return "".join(parts) + "</div>"

    def __repr__(self) -> str:
        return self.text()


def possible_points(questions: list[Question]) -> float:
    """A question's points: those of its public checks (hidden checks add no points), or of
    all its checks when it has only hidden ones."""
    return sum(q.points for q in questions if not q.hidden) or \
        sum(q.points for q in questions)


def run_question(questions: list[Question], ns: dict, name: str,
                 variant: Variant | None = None) -> Result:
    possible = possible_points(questions)
    for q in questions:
        ck = Check(ns, name, variant=variant or Variant())
        try:
            q.func(ck)
        except CheckFailed as fail:
            return Result(name, False, 0, possible, str(fail), q.expected, q.hint)
        except Exception as exc:  # noqa: BLE001 - a student's value broke the check itself
            return Result(name, False, 0, possible, explain_check_error(exc, ck),
                          q.expected, q.hint)
    return Result(name, True, possible, possible)


def explain_check_error(exc: BaseException, ck: Check) -> str:
    """A check's own code failed on the student's value: say which value, and what kind of
    problem that usually is, instead of pointing at a line the student never wrote."""
    frames = traceback.extract_tb(exc.__traceback__)
    if any(_is_student_frame(f.filename) for f in frames):
        return explain_exception(exc, "checking your answer")
    what = ck.last or "your answer"
    return (f"I could not check the value of {what}: using it as the question expects failed "
            f"with {type(exc).__name__}: {exc}. This usually means it has the wrong type or "
            "shape (for example a Series, a table or a string where a single number was "
            "expected). Look at what your cell shows for it and compare with the Expected "
            "line below.")


def load_checks(path: Path) -> dict[str, list[Question]]:
    """Import a check file; return its questions by name."""
    return load_check_module(path)[0]


def load_check_module(path: Path) -> tuple[dict[str, list[Question]], Variant]:
    """Import a check file; return its questions by name and the variant it checks."""
    key = f"trustlab_checks_{path.stem}_{abs(hash(str(path.resolve())))}"
    REGISTRY.pop(key, None)
    spec = importlib.util.spec_from_file_location(key, path)
    module = importlib.util.module_from_spec(spec)
    _LOADING.append(key)
    try:
        sys.modules[key] = module
        spec.loader.exec_module(module)
    finally:
        _LOADING.pop()
    return REGISTRY.get(key, {}), Variant.from_dict(getattr(module, "VARIANT", None))


class Checker:
    """``grader = Checker("01-history")`` in a student notebook; ``grader.check("q1")``."""

    def __init__(self, exercise: str, folder: str | Path | None = None, ns: dict | None = None):
        self.exercise = exercise
        here = Path(folder) if folder else Path.cwd()
        candidates = [here / f"{exercise}_checks.py",
                      course_root() / "exercises" / "student" / f"{exercise}_checks.py"]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise FileNotFoundError(
                f"The checks for exercise {exercise} ({exercise}_checks.py) are not next to this "
                "notebook. Download them with the notebook (same folder) and run this cell again.")
        self.path = found
        self.questions, self.variant = load_check_module(found)
        self._ns = ns
        global _CURRENT
        _CURRENT = self
        install_short_errors()

    def _namespace(self) -> dict:
        if self._ns is not None:
            return self._ns
        try:
            from IPython import get_ipython
            shell = get_ipython()
            if shell is not None:
                return shell.user_ns
        except ImportError:  # pragma: no cover
            pass
        frame = sys._getframe(1)  # the caller outside this module (check() or grader.check)
        while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
            frame = frame.f_back
        return frame.f_globals

    def check(self, name: str) -> Result:
        if name not in self.questions:
            known = ", ".join(sorted(self.questions))
            return Result(name, False, 0, 0, f"There is no question called {name!r} in this "
                          f"exercise set. Questions: {known}.")
        return run_question(self.questions[name], self._namespace(), name, self.variant)

    def check_all(self) -> list[Result]:
        return [self.check(n) for n in sorted(self.questions)]


def check(name: str) -> Result:
    """Run the checks of question ``name`` with the exercise set's Checker (made by the setup
    cell). A check cell is ``from trustlab.checks import check`` then ``check("q1")``, so it
    still explains itself after a kernel restart instead of failing with a NameError."""
    if _CURRENT is None:
        return Result(name, False, 0, 0,
                      "The checks are not loaded yet. Run the setup cell first (the first code "
                      "cell of this notebook, the one with `Checker(...)`), then your answer "
                      "cell, then this check again. After a kernel restart Python forgets "
                      "everything you ran before, so the easiest way back is Run > Run All "
                      "Cells.")
    return _CURRENT.check(name)


def summary() -> None:
    """Print one line per auto-checked question (passed / not yet) and the public total, for
    the "Before you hand in" cell at the end of a student notebook."""
    if _CURRENT is None:
        print(check("summary").text())
        return
    def natural(name: str) -> tuple:  # q2 before q10
        return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))

    results = [_CURRENT.check(n) for n in sorted(_CURRENT.questions, key=natural)]
    width = max((len(r.question) for r in results), default=0)
    for r in results:
        state = "passed" if r.passed else "not yet"
        print(f"{r.question:<{width}}  {state:<7}  ({show(r.points)} of {show(r.possible)} "
              f"point{'' if r.possible == 1 else 's'})")
    passed = sum(r.passed for r in results)
    print(f"Public checks: {passed} of {len(results)} questions passed, "
          f"{show(sum(r.points for r in results))} of {show(sum(r.possible for r in results))} "
          "points.")
    print("Your grade can differ: the instructor's grading also runs hidden checks, and "
          "discussion answers are read by a person.")


# ------------------------------------------------------------------------------------------
# Short errors in answer cells

_HANDLER_FLAG = "_trustlab_short_errors"


def short_error(etype: type, value: BaseException, tb: Any) -> list[str]:
    """Two or three lines for an exception in a student's cell, instead of a traceback wall:
    the failing line, the error, and where to look next."""
    frames = [f for f in traceback.extract_tb(tb) if _is_student_frame(f.filename)]
    line = ""
    where = "Your code failed"
    if frames:
        f = frames[-1]
        line = (f.line or linecache.getline(f.filename, f.lineno)).strip()
        where = f"Line {f.lineno} of your code failed" + (f": `{line}`" if line else "")
    lines = [f"{where}", f"{etype.__name__}: {value}"]
    bare = re.fullmatch(r"name '([A-Fa-f])' is not defined", str(value))
    if etype is NameError and bare:
        letter = bare.group(1)
        target = re.match(r"\s*([A-Za-z_]\w*)\s*=\s*" + letter + r"\s*(?:#.*)?$", line)
        fixed = f'{target.group(1)} = "{letter}"' if target else f'"{letter}"'
        lines.append(f"Put the letter in quotes: `{fixed}`, then run the cell again.")
    else:
        lines.append("The check below explains what was expected. Run %tb in a new cell to "
                     "see the full error.")
    return lines


def _short_error_handler(shell: Any, etype: type, value: BaseException, tb: Any,
                         tb_offset: int | None = None) -> list[str]:
    if issubclass(etype, SyntaxError) or etype.__name__ == "UsageError":
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)  # already short
        return []
    # Remember the exception so that %tb can show the full traceback.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    sys.last_exc = value
    stb = short_error(etype, value, tb)
    # Shown as an error output, so the cell still counts as failed (for nbclient and graders).
    shell._showtraceback(etype, value, stb)
    return stb


def install_short_errors() -> bool:
    """Inside IPython, show errors in the student's cells as short explanations (once per
    kernel). Returns True if the handler is (now) installed."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if not getattr(shell, _HANDLER_FLAG, False):
        shell.set_custom_exc((Exception,), _short_error_handler)
        setattr(shell, _HANDLER_FLAG, True)
    return True
