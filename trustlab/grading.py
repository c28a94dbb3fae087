"""Grade submitted exercise notebooks for credit: sandboxed, tamper-proof, robust.

How one submission is graded
============================

1. The notebook is read as JSON. A damaged file becomes a row saying what is wrong with it;
   the run goes on.
2. A fresh Python kernel starts inside :mod:`trustlab.sandbox` in a temporary folder that holds
   only the set's *public* checks file (the setup cell needs it). The kernel name the notebook
   asks for is ignored: it always runs this course's Python.
3. The student's code cells run one by one, each with a time limit. A cell that raises is
   noted and the next cell runs. A cell that hangs is interrupted; a kernel that dies (or does
   not answer an interrupt) is restarted and the cells that worked are run again, so one bad
   cell costs only the questions that depend on it.
4. Scoring happens **here, in the grader's process**, never in the kernel. The public and
   hidden checks run against *values fetched from the kernel in a data format* (JSON: numbers,
   strings, lists, tables), never unpickled. A check that calls a student's function sends the
   arguments (the course's own data) into the kernel, which runs the function and sends back
   only its result. Question names, points and totals come from the course's check files, not
   from anything the submission prints.
5. The kernel and every process it started are killed; the folder is deleted.

A submission can therefore change only its own answers (which is what answering is), not how
they are scored. See ``exercises/README.md`` for what the sandbox guards against.
"""

from __future__ import annotations

import json
import os
import pickle
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .checks import Need, Question, Result, Variant, possible_points, run_question
from .gradebook import QuestionResult, SubmissionResult, question_order, student_id
from .paths import PKG, course_root

ROOT = course_root()  # the repository, or $TRUSTLAB_COURSE for an installed package
MAX_NOTEBOOK_BYTES = 25 * 1024 * 1024
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_ROUNDS = 12


@dataclass
class Limits:
    cell_seconds: float = 60.0        # wall-clock per cell
    submission_seconds: float = 600.0  # wall-clock for the whole submission
    memory_mb: int = 4096             # address space of the kernel
    cpu_seconds: int = 900            # CPU time of the kernel
    max_procs: int = 64               # live processes started by the submission
    startup_seconds: float = 60.0


# ------------------------------------------------------------------------------------------
# The kernel side: code run inside the student's kernel to fetch values. It only encodes
# values as JSON data; nothing it writes is trusted beyond being the student's answer.

_KERNEL_CODE = r'''
def __trustlab_fetch(req_path, resp_path):
    import json, math, pickle, dataclasses
    ns = globals()
    LIMIT = 200000

    def enc(v, depth=0, budget=[LIMIT]):
        budget[0] -= 1
        if budget[0] < 0 or depth > 8:
            return {"t": "toolarge"}
        if v is None or isinstance(v, bool):
            return v
        if v is Ellipsis:
            return {"t": "ellipsis"}
        if type(v) is str or isinstance(v, str):
            return str.__str__(v)[:100000]
        if isinstance(v, int):
            v = int.__int__(v)
            return v if abs(v) < 2 ** 53 else {"t": "bigint", "v": str(v)}
        if isinstance(v, float):
            v = float.__float__(v)
            return v if math.isfinite(v) else {"t": "float", "v": repr(v)}
        mod = type(v).__module__.split(".")[0]
        name = type(v).__name__
        if mod == "numpy":
            if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
                return enc(v.item(), depth + 1)
            if name == "ndarray":
                return {"t": "ndarray", "v": enc(v.tolist(), depth + 1)}
        if mod == "pandas":
            if name == "DataFrame":
                if v.size > LIMIT:
                    return {"t": "toolarge", "type": name}
                return {"t": "DataFrame", "columns": [enc(c, depth + 1) for c in v.columns],
                        "index": [enc(i, depth + 1) for i in v.index],
                        "index_name": enc(v.index.name, depth + 1),
                        "data": [[enc(x, depth + 2) for x in row]
                                 for row in v.itertuples(index=False, name=None)]}
            if name == "Series":
                if v.size > LIMIT:
                    return {"t": "toolarge", "type": name}
                return {"t": "Series", "index": [enc(i, depth + 1) for i in v.index],
                        "data": [enc(x, depth + 1) for x in v.tolist()],
                        "name": enc(v.name, depth + 1)}
            if name in ("Index", "RangeIndex", "MultiIndex") or name.endswith("Index"):
                return {"t": "Index", "v": [enc(x, depth + 1) for x in list(v)[:LIMIT]]}
            if name in ("Timestamp",):
                return {"t": "datetime", "v": v.isoformat()}
            if name in ("NaTType", "NAType"):
                return {"t": "na"}
        if name in ("datetime", "date") and mod == "datetime":
            return {"t": "datetime", "v": v.isoformat()}
        if isinstance(v, (list, tuple, set, frozenset)):
            items = list(v)[:LIMIT]
            return {"t": type(v).__name__ if type(v) in (list, tuple, set, frozenset)
                    else "list", "v": [enc(x, depth + 1) for x in items]}
        if isinstance(v, dict):
            return {"t": "dict", "v": [[enc(k, depth + 1), enc(x, depth + 1)]
                                       for k, x in list(v.items())[:LIMIT]]}
        if callable(v) and name in ("function", "builtin_function_or_method", "method",
                                    "partial", "cython_function_or_method"):
            return {"t": "function", "name": str(getattr(v, "__name__", "?"))[:80]}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {"t": "object", "type": name[:80],
                    "attrs": {f.name: enc(getattr(v, f.name, None), depth + 1)
                              for f in dataclasses.fields(v)}}
        try:
            text = repr(v)[:300]
        except BaseException:
            text = "?"
        return {"t": "repr", "type": name[:80], "v": text}

    def explain(exc, doing):
        try:
            from trustlab.checks import explain_exception
            return explain_exception(exc, doing)
        except BaseException:
            return f"While {doing}, your code raised {type(exc).__name__}: {exc}."

    with open(req_path, "rb") as fh:
        requests = pickle.load(fh)
    out = {}
    for key, req in requests.items():
        try:
            if req[0] == "var":
                if req[1] in ns:
                    out[key] = {"value": enc(ns[req[1]])}
                else:
                    msg = ""
                    try:
                        from trustlab.checks import missing_variable_message
                        msg = missing_variable_message(req[1], ns)
                    except BaseException:
                        pass
                    out[key] = {"missing": True, "message": str(msg)[:2000]}
            elif req[0] == "call":
                func = ns.get(req[1])
                args, kwargs = pickle.loads(req[2])
                call = f"{req[1]}(...)"
                if not callable(func):
                    out[key] = {"error": f"`{req[1]}` is not a function any more: define it "
                                         "with `def` and run that cell."}
                    continue
                try:
                    out[key] = {"value": enc(func(*args, **kwargs))}
                except KeyboardInterrupt:
                    out[key] = {"error": f"Calling `{call}` took too long and was stopped. "
                                         "Does your function loop forever?"}
                except BaseException as exc:
                    out[key] = {"error": explain(exc, f"calling `{call}`")}
        except BaseException as exc:
            out[key] = {"error": f"I could not read this value ({type(exc).__name__})."}
    with open(resp_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)

__trustlab_fetch(%(req)r, %(resp)r)
del __trustlab_fetch
'''


# ------------------------------------------------------------------------------------------
# Decoding what the kernel sent: plain data only, checked as it is rebuilt.


class Unreadable(ValueError):
    pass


class StudentFunction:
    """Stands for a function defined in the submission (it runs only in the sandbox)."""

    def __init__(self, name: str, var: str):
        self.__name__ = name
        self.var = var

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"

    def __call__(self, *args, **kwargs):  # pragma: no cover - checks use ck.call
        raise TypeError("student functions run only through ck.call when grading")


class StudentObject:
    """A student's dataclass-like object, rebuilt as plain attributes."""

    def __init__(self, type_name: str, attrs: dict):
        self._type = type_name
        self.__dict__.update(attrs)

    def __repr__(self) -> str:
        return f"<{self._type}>"


def decode(v: Any, var: str = "") -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, list):
        raise Unreadable("bare list")
    if not isinstance(v, dict) or "t" not in v:
        raise Unreadable("unknown value")
    t = v["t"]
    if t == "ellipsis":
        return Ellipsis
    if t == "float":
        return float(v["v"])
    if t == "bigint":
        return int(str(v["v"])[:5000])
    if t in ("list", "tuple", "set", "frozenset"):
        items = [decode(x) for x in _as_list(v.get("v"))]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[t](
            _hashable(items) if t in ("set", "frozenset") else items)
    if t == "dict":
        out = {}
        for pair in _as_list(v.get("v")):
            if not isinstance(pair, list) or len(pair) != 2:
                raise Unreadable("dict item")
            out[_hashable1(decode(pair[0]))] = decode(pair[1])
        return out
    if t == "ndarray":
        import numpy as np

        return np.array(decode(v.get("v")))
    if t == "datetime":
        import pandas as pd

        return pd.Timestamp(str(v["v"]))
    if t == "na":
        import pandas as pd

        return pd.NA
    if t == "DataFrame":
        import pandas as pd

        cols = [_hashable1(decode(c)) for c in _as_list(v.get("columns"))]
        index = [_hashable1(decode(i)) for i in _as_list(v.get("index"))]
        rows = [[decode(x) for x in _as_list(r)] for r in _as_list(v.get("data"))]
        if any(len(r) != len(cols) for r in rows) or len(rows) != len(index):
            raise Unreadable("table shape")
        df = pd.DataFrame(rows, columns=cols, index=index)
        df = df.infer_objects()
        df.index.name = _hashable1(decode(v.get("index_name")))
        return df
    if t == "Series":
        import pandas as pd

        index = [_hashable1(decode(i)) for i in _as_list(v.get("index"))]
        data = [decode(x) for x in _as_list(v.get("data"))]
        if len(index) != len(data):
            raise Unreadable("series shape")
        return pd.Series(data, index=index, name=_hashable1(decode(v.get("name")))).infer_objects()
    if t == "Index":
        import pandas as pd

        return pd.Index([_hashable1(decode(x)) for x in _as_list(v.get("v"))])
    if t == "function":
        return StudentFunction(str(v.get("name", "?"))[:80], var)
    if t == "object":
        attrs = v.get("attrs")
        if not isinstance(attrs, dict):
            raise Unreadable("object")
        return StudentObject(str(v.get("type", "object"))[:80],
                             {str(k)[:80]: decode(x) for k, x in attrs.items()
                              if str(k).isidentifier() and not str(k).startswith("_")})
    if t == "toolarge":
        raise Unreadable("too large")
    if t == "repr":
        return StudentObject(str(v.get("type", "object"))[:80], {})
    raise Unreadable(f"unknown tag {t!r}")


def _as_list(v: Any) -> list:
    if not isinstance(v, list):
        raise Unreadable("expected a list")
    return v


def _hashable1(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def _hashable(items: list) -> list:
    return [_hashable1(x) for x in items]


# ------------------------------------------------------------------------------------------
# The namespace a check sees when grading


class RemoteNamespace:
    """What ``ck.var`` and ``ck.call`` read while grading: values fetched from the kernel.
    Asking for something not fetched yet raises :class:`Need`; the grader fetches all needs
    of all questions in one round trip and runs the checks again."""

    def __init__(self) -> None:
        self.values: dict[str, dict] = {}

    # ck.var
    def __contains__(self, name: str) -> bool:
        got = self.values.get(f"var:{name}")
        if got is None:
            raise Need(("var", name))
        return "missing" not in got

    def __getitem__(self, name: str) -> Any:
        got = self.values[f"var:{name}"]
        if "error" in got:
            from .checks import CheckFailed

            raise CheckFailed(str(got["error"])[:2000])
        try:
            return decode(got.get("value"), name)
        except (Unreadable, ValueError, TypeError, KeyError, OverflowError):
            from .checks import CheckFailed

            raise CheckFailed(f"I could not read the value of `{name}` from your notebook: "
                              "store a number, text, list or table in it.") from None

    def missing_message(self, name: str) -> str:
        got = self.values.get(f"var:{name}", {})
        msg = got.get("message")
        if isinstance(msg, str) and msg:
            return msg[:2000]
        return (f"I could not find a variable called `{name}`. Run the cell where you define "
                "it, and check its spelling.")

    # ck.call
    def call(self, func: Any, args: tuple, kwargs: dict) -> Any:
        from .checks import CheckFailed, _short

        if not isinstance(func, StudentFunction):
            raise CheckFailed(f"`{_short(func)}` is not a function: define it with `def`.")
        blob = pickle.dumps((args, kwargs), protocol=4)
        import hashlib

        key = "call:" + func.var + ":" + hashlib.sha256(blob).hexdigest()
        got = self.values.get(key)
        if got is None:
            raise Need(("call", func.var, blob, key))
        if "error" in got:
            raise CheckFailed(str(got["error"])[:2000])
        try:
            return decode(got.get("value"))
        except (Unreadable, ValueError, TypeError, KeyError, OverflowError):
            raise CheckFailed(f"I could not read what `{func.__name__}` returned: return a "
                              "number, text, list or table.") from None


# ------------------------------------------------------------------------------------------
# One kernel in one sandbox


@dataclass
class CellRun:
    index: int            # position among the notebook's cells (0-based)
    status: str           # ok | error | timeout | died | skipped
    detail: str = ""


class KernelCrashed(RuntimeError):
    pass


class Kernel:
    """A kernel started through the sandbox wrapper, talking over Unix sockets in ``folder``."""

    def __init__(self, folder: Path, limits: Limits, extra_read: list[str] | None = None):
        self.folder = folder
        self.limits = limits
        self.extra_read = extra_read or []
        self.proc: subprocess.Popen | None = None
        self.kc = None
        self.log = folder / ".kernel.log"

    def start(self) -> None:
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        from .sandbox import read_paths

        posix = os.name == "posix"
        runtime = self.folder / ".rt"
        runtime.mkdir(exist_ok=True)
        conn = runtime / f"kernel-{secrets.token_hex(4)}.json"
        # Unix sockets in the submission's folder: no TCP port, so the sandbox can forbid TCP
        # altogether (Windows has no ipc transport: loopback TCP there)
        write_connection_file(str(conn), transport="ipc" if posix else "tcp",
                              ip=str(runtime / "k") if posix else "127.0.0.1",
                              key=secrets.token_hex(16).encode())
        lib = self.folder / ".lib"
        lib.mkdir(exist_ok=True)
        link = lib / "trustlab"
        if not link.exists():
            link.symlink_to(PKG, target_is_directory=True)
        # The network guard, wherever trustlab is installed (tools/offline is the repository's)
        site = lib / "sitecustomize.py"
        if not site.exists():
            site.write_text("from trustlab.offline import install\ninstall()\n")
        home = self.folder
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(home), "TMPDIR": str(home), "USER": "student",
            "IPYTHONDIR": str(home / ".ipython"), "MPLCONFIGDIR": str(home / ".mpl"),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_DATA_DIR": str(home / ".jd"),
            "JUPYTER_RUNTIME_DIR": str(runtime), "XDG_CACHE_HOME": str(home / ".cache"),
            "PYTHONPATH": str(lib),
            "TRUSTLAB_OFFLINE": "1", "TRUSTLAB_DATA": str(ROOT / "datasets"),
            "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "TRUSTLAB_GRADING": "1",
        }
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(conn),
                  "--HistoryManager.hist_file=:memory:", "--IPKernelApp.quiet=True"]
        if posix:
            cmd = [sys.executable, "-m", "trustlab.sandbox", "--dir", str(self.folder),
                   "--memory-mb", str(self.limits.memory_mb),
                   "--cpu-seconds", str(self.limits.cpu_seconds),
                   "--max-procs", str(self.limits.max_procs)]
            for p in read_paths(ROOT) + self.extra_read:
                cmd += ["--read", p]
            cmd += ["--", *kernel]
            extra = {"start_new_session": True}
        else:  # no sandbox wrapper on Windows (landlock_status() says so): the kernel itself
            env = {**env, "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")}
            cmd, extra = kernel, {"creationflags": getattr(subprocess,
                                                           "CREATE_NEW_PROCESS_GROUP", 0)}
        self.proc = subprocess.Popen(cmd, env=env, cwd=str(self.folder),
                                     stdin=subprocess.DEVNULL,
                                     stdout=open(self.log, "ab"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT, **extra)
        kc = BlockingKernelClient()
        kc.load_connection_file(str(conn))
        kc.start_channels()
        self.kc = kc
        deadline = time.monotonic() + self.limits.startup_seconds
        while True:
            if self.proc.poll() is not None:
                raise KernelCrashed("the Python kernel could not start: " + self._log_tail())
            try:
                kc.wait_for_ready(timeout=2)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise KernelCrashed("the Python kernel did not start in time") from None

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-400:].strip()
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def execute(self, code: str, timeout: float, silent: bool = False) -> CellRun:
        """Run ``code``; never raises for the student's errors."""
        import queue

        kc = self.kc
        msg_id = kc.execute(code, silent=silent, store_history=not silent, allow_stdin=False,
                            stop_on_error=False)
        deadline = time.monotonic() + timeout
        status, detail = "ok", ""
        interrupted = False
        while True:
            if not self.alive():
                return CellRun(-1, "died", "the kernel stopped (the code ended Python or "
                                           "used too much memory or CPU)")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    return CellRun(-1, "timeout", f"ran longer than {timeout:g} s and did not "
                                                  "stop when interrupted")
                self.interrupt()
                interrupted = True
                deadline = time.monotonic() + 5
                status, detail = "timeout", f"ran longer than {timeout:g} s and was stopped"
                continue
            try:
                msg = kc.get_iopub_msg(timeout=min(0.5, max(remaining, 0.05)))
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            content = msg["content"]
            if kind == "error" and status == "ok":
                status = "error"
                detail = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"[:300]
            elif kind == "status" and content.get("execution_state") == "idle":
                return CellRun(-1, status, detail)

    def interrupt(self) -> None:
        if self.alive() and os.name == "posix":  # elsewhere a hung kernel is restarted
            try:
                os.kill(self.proc.pid, signal.SIGINT)  # the wrapper forwards it to the kernel
            except OSError:
                pass

    def stop(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001
                pass
            self.kc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)  # the wrapper kills the whole tree
                    self.proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    # The wrapper did not finish (a loaded machine): kill what is below it
                    # while it still holds them (it is their subreaper), then the wrapper, so
                    # nothing is left to outlive the grading.
                    from .sandbox import kill_tree

                    if os.name == "posix":
                        kill_tree(self.proc.pid)
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None


# ------------------------------------------------------------------------------------------
# Grading one submission


@dataclass
class Exercise:
    """What the grader needs for one set: its checks (public + hidden) and the variant."""

    name: str
    questions: dict[str, list[Question]]
    variant: Variant
    public_checks: str          # text of the checks file students have (copied to the sandbox)
    order: list[str] = field(default_factory=list)


def _is_check_cell(source: str) -> bool:
    import re

    s = source.strip()
    return bool(re.fullmatch(r'(grader\.check\("q\w+"\)|from trustlab\.checks import check\s*\n'
                             r'check\("q\w+"\)|from trustlab\.checks import summary\s*\n'
                             r'summary\(\))', s))


def read_submission(path: Path) -> nbformat.NotebookNode:
    """The notebook, or ValueError with a sentence an instructor can act on."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValueError(f"cannot read the file ({exc.strerror})") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the file is {size / 1e6:.0f} MB, larger than any notebook of this "
                         "course should be; ask the student to clear outputs and resubmit")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError("the file is not a notebook (not UTF-8 text); ask the student to "
                         "download the notebook again (File > Download) and resubmit") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the file is damaged: not valid notebook JSON at line {exc.lineno}, "
                         f"column {exc.colno} ({exc.msg}). It may have been cut off while "
                         "uploading; ask the student to resubmit") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("the file is JSON but not a notebook (it has no list of cells)")
    for i, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or "cell_type" not in cell:
            raise ValueError(f"cell {i + 1} of the notebook is damaged (no cell type)")
        src = cell.get("source", "")
        if isinstance(src, list):
            if not all(isinstance(x, str) for x in src):
                raise ValueError(f"cell {i + 1} of the notebook is damaged (its source is not "
                                 "text)")
            cell["source"] = "".join(src)
        elif not isinstance(src, str):
            raise ValueError(f"cell {i + 1} of the notebook is damaged (its source is not text)")
    return nbformat.from_dict(data)


def grade_submission(path: Path, ex: Exercise, limits: Limits,
                     extra_read: list[str] | None = None) -> SubmissionResult:
    start = time.monotonic()
    result = SubmissionResult(path=str(path), student=student_id(path), exercise=ex.name,
                              variant=ex.variant.id)
    try:
        nb = read_submission(path)
    except ValueError as exc:
        result.error = f"{path.name}: {exc}."  # not graded: no scores, so none is mistaken
        result.seconds = time.monotonic() - start  # for a zero in the gradebook
        return result
        result.seconds = time.monotonic() - start
        return result
    # (position, source, time limit): the setup cell imports pandas and the course's package,
    # which on a busy machine can take longer than an answer cell may
    cells = [(i, c.source, max(limits.cell_seconds, limits.startup_seconds)
              if "setup" in (c.get("metadata", {}).get("tags") or []) else limits.cell_seconds)
             for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and c.source.strip() and not _is_check_cell(c.source)]
    ks = nb.get("metadata", {}).get("kernelspec", {}) or {}
    if isinstance(ks, dict) and ks.get("name") not in (None, "python3", "python"):
        result.notes.append(f"The notebook asked for the kernel {str(ks.get('name'))[:40]!r}; "
                            "it was run with the course's Python 3.")
    with tempfile.TemporaryDirectory(prefix="trustlab-grade-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o700)
        (folder / f"{ex.name}_checks.py").write_text(ex.public_checks, encoding="utf-8")
        runner = _Runner(folder, limits, start, extra_read)
        try:
            runner.run_cells(cells)
            result.notes.extend(runner.notes)
            result.questions = evaluate(ex, runner)
        except _OutOfTime:
            result.notes.extend(runner.notes)
            result.error = (f"not graded: the notebook ran longer than the time limit for a "
                            f"whole submission ({limits.submission_seconds:g} s); grade it by "
                            "hand or again with a larger --timeout")
        except KernelCrashed as exc:
            result.notes.extend(runner.notes)
            result.error = f"not graded: the kernel could not run this notebook: {exc}"
        finally:
            runner.stop()
    result.seconds = time.monotonic() - start
    return result


class _OutOfTime(Exception):
    pass


class _Runner:
    """Runs a submission's cells, surviving hangs and crashes, and fetches values."""

    def __init__(self, folder: Path, limits: Limits, start: float,
                 extra_read: list[str] | None):
        self.folder, self.limits, self.start = folder, limits, start
        self.extra_read = extra_read
        self.kernel: Kernel | None = None
        self.good: list[str] = []       # sources of the cells that ran (for a restart)
        self.notes: list[str] = []
        self.restarts = 0

    def _left(self) -> float:
        left = self.limits.submission_seconds - (time.monotonic() - self.start)
        if left <= 0:
            raise _OutOfTime
        return left

    def _start(self) -> None:
        self.kernel = Kernel(self.folder, self.limits, self.extra_read)
        self.kernel.start()

    def _restart(self) -> None:
        self.restarts += 1
        if self.kernel:
            self.kernel.stop()
        if self.restarts > 4:
            raise KernelCrashed("it stopped too many times")
        self._start()
        for src in self.good:  # replay what worked, without the cell that broke it
            run = self.kernel.execute(src, min(max(self.limits.cell_seconds,
                                                   self.limits.startup_seconds), self._left()))
            if run.status in ("died", "timeout"):
                raise KernelCrashed("re-running the cells after a restart failed")

    def run_cells(self, cells: list[tuple[int, str, float]]) -> None:
        self._start()
        for index, src, seconds in cells:
            run = self.kernel.execute(src, min(seconds, self._left()))
            n = index + 1
            if run.status == "ok":
                self.good.append(src)
            elif run.status == "error":
                self.good.append(src)  # what ran before the error stays defined
                self.notes.append(f"Cell {n} raised {run.detail}")
            elif run.status == "timeout":
                self.notes.append(f"Cell {n} {run.detail}; the rest of the notebook was "
                                  "graded without it.")
                if not self._responsive():
                    self._restart()
            else:  # died
                self.notes.append(f"Cell {n}: {run.detail}; the kernel was restarted and the "
                                  "rest of the notebook was graded without that cell.")
                self._restart()
            self._left()

    def _responsive(self) -> bool:
        if not self.kernel.alive():
            return False
        return self.kernel.execute("pass", 5, silent=True).status == "ok"

    def fetch(self, requests: dict[str, tuple]) -> dict[str, dict]:
        """Fetch values and call results from the kernel (one round trip)."""
        token = secrets.token_hex(8)
        req = self.folder / f".req-{token}.pkl"
        resp = self.folder / f".resp-{token}.json"
        with open(req, "wb") as fh:
            pickle.dump({k: (r[0], r[1], r[2]) if r[0] == "call" else (r[0], r[1])
                         for k, r in requests.items()}, fh, protocol=4)
        code = _KERNEL_CODE % {"req": str(req), "resp": str(resp)}
        run = self.kernel.execute(code, min(self.limits.cell_seconds, self._left()), silent=True)
        out: dict[str, dict] = {}
        if run.status in ("died",) or (run.status == "timeout" and not self._responsive()):
            self._restart()
        try:
            if resp.is_file() and resp.stat().st_size <= MAX_RESPONSE_BYTES:
                data = json.loads(resp.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    out = {k: v for k, v in data.items() if k in requests and isinstance(v, dict)}
        except (OSError, ValueError):
            out = {}
        for k in requests:
            if k not in out:
                out[k] = {"error": "Your code did not let me read this answer (it stopped, "
                                   "ran too long or replaced the tools the grader uses)."}
        for p in (req, resp):
            p.unlink(missing_ok=True)
        return out

    def stop(self) -> None:
        if self.kernel:
            self.kernel.stop()
            self.kernel = None


def evaluate(ex: Exercise, runner: _Runner) -> list[QuestionResult]:
    """Run every question's public and hidden checks here, fetching values as they are
    needed (all questions' needs in one round trip per round)."""
    ns = RemoteNamespace()
    done: dict[str, Result] = {}
    pending = list(ex.order)
    for _ in range(MAX_ROUNDS):
        needs: dict[str, tuple] = {}
        still = []
        for q in pending:
            try:
                done[q] = run_question(ex.questions[q], ns, q, ex.variant)
            except Need as need:
                r = need.request
                key = f"var:{r[1]}" if r[0] == "var" else r[3]
                needs[key] = r
                still.append(q)
        pending = still
        if not needs:
            break
        ns.values.update(runner.fetch(needs))
    for q in pending:
        done[q] = Result(q, False, 0, possible_points(ex.questions[q]),
                         "This question needed more values than the grader fetches; ask your "
                         "instructor to look at it.")
    return [QuestionResult(q, float(done[q].points), float(done[q].possible), done[q].passed,
                           done[q].message, done[q].expected, done[q].hint) for q in ex.order]


# ------------------------------------------------------------------------------------------
# A class of submissions


def grade_all(ex: Exercise, paths: list[Path], limits: Limits, jobs: int = 1,
              on_done: Callable[[SubmissionResult, int, int], None] | None = None,
              extra_read: list[str] | None = None) -> list[SubmissionResult]:
    """Grade every submission (``jobs`` at a time); a failure in one never stops the rest."""
    results: dict[int, SubmissionResult] = {}
    lock = threading.Lock()

    def one(i: int, p: Path) -> SubmissionResult:
        try:
            return grade_submission(p, ex, limits, extra_read)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the class's grades
            r = SubmissionResult(path=str(p), student=student_id(p), exercise=ex.name,
                                 variant=ex.variant.id)
            r.error = (f"not graded: the grader failed on this file ({type(exc).__name__}: "
                       f"{exc}); please report it")
            return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, i, p): i for i, p in enumerate(paths)}
        for fut in as_completed(futures):
            i = futures[fut]
            r = fut.result()
            with lock:
                results[i] = r
                if on_done:
                    on_done(r, len(results), len(paths))
    return [results[i] for i in range(len(paths))]


def make_exercise(name: str, questions: dict[str, list[Question]], variant: Variant,
                  public_checks: str) -> Exercise:
    return Exercise(name, questions, variant, public_checks, question_order(list(questions)))
