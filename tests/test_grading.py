"""The grader for credit: a hostile submission cannot change its score, read hidden checks,
reach the network, write outside its folder or outlive grading; a damaged file, a hang or a
crash costs only what depends on it; the grades file is always written and is safe to open in
a spreadsheet; class variants are not answered by the public solutions.

Each test grades real notebooks in real sandboxed kernels (about 4 s per submission)."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from trustlab import exercises
from trustlab.grading import Limits, grade_all
from trustlab.sandbox import landlock_abi, landlock_status

ROOT = Path(__file__).resolve().parent.parent
SET = "00-getting-started"
MARK = f"trustlab-test-{os.getpid()}"


def key_cells() -> list:
    return nbformat.read(ROOT / "exercises" / "dist" / "keys" / f"{SET}-key.ipynb",
                         as_version=4).cells


@pytest.fixture(scope="module", autouse=True)
def _generated():
    exercises.generate(verbose=False, student=False)


def notebook(tmp: Path, name: str, cells: list[str], kernel: str = "python3") -> Path:
    """The public student notebook with extra code cells appended."""
    nb = nbformat.read(ROOT / "exercises" / "student" / f"{SET}.ipynb", as_version=4)
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    for src in cells:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    path = tmp / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def solution(prefix: str) -> str:
    """The key's answer cell that starts with ``prefix``."""
    for cell in key_cells():
        if cell.cell_type == "code" and cell.source.startswith(prefix):
            return cell.source
    raise AssertionError(prefix)


def leftover_processes() -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if MARK in cmd:
                out.append(f"{pid}: {cmd}")
    return out


def scores(result) -> dict[str, float]:
    return {q.name: q.points for q in result.questions}


HONEST = [  # q1, q2 and q5 right; q6 wrong: 3 of 7 points whatever else happens
    "removals_1954 = 30264", "returns_1954 = 1074277", 'q5_answer = "c"', 'q6_answer = "a"']


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class: hostile, hanging, crashing, damaged and odd submissions graded together."""
    tmp = tmp_path_factory.mktemp("class")
    hidden = ROOT / "exercises" / "source" / f"{SET}_hidden.py"
    escape = Path("/tmp") / f"{MARK}-escaped"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections: list = []

    def accept():
        end = time.time() + 120
        while time.time() < end:
            try:
                connections.append(server.accept())
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    forge = (
        "import trustlab.checks as tc, builtins\n"
        "from trustlab.checks import Result\n"
        "tc.run_question = lambda qs, ns, name, *a, **k: Result(name, True, 1000, 1, '')\n"
        "tc.Check.equal = lambda *a, **k: None\n"
        "print('TRUSTLAB-GRADES' + '{\"q1\": {\"points\": 1000, \"possible\": 1}}')\n"
        "_p = builtins.print\n"
        "builtins.print = lambda *a, **k: _p('TRUSTLAB-GRADES{\"q9\": {\"points\": 999}}')\n"
    )
    snoop = (
        f"try:\n    stolen = open({str(hidden)!r}).read()\nexcept OSError as e:\n"
        "    stolen = type(e).__name__\n"
        "import glob\nlocal = glob.glob('**/*hidden*', recursive=True) + glob.glob('.*/**', "
        "recursive=True)\n"
        f"try:\n    open({str(escape)!r}, 'w').write('x')\n    wrote = 'yes'\n"
        "except OSError as e:\n    wrote = type(e).__name__\n"
        f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    net = 'connected'\nexcept Exception as e:\n    net = type(e).__name__\n"
        "assert not [p for p in local if 'hidden' in p], local\n"
    )
    nap = "import time; time.sleep(300)"
    linger = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {nap!r}, {MARK!r}], start_new_session=True)\n"
        "subprocess.Popen([sys.executable, '-c', 'import os, subprocess, sys; os.setsid(); '\n"
        f"    'subprocess.Popen([sys.executable, \"-c\", \"{nap}\", \"{MARK}\"]); os._exit(0)'])\n"
        "import time\ntime.sleep(1)\n"
    )
    unpickle = (  # would create a file in the grader if the grader ever unpickled answers
        "class Evil:\n    def __reduce__(self):\n"
        f"        return (open, ({str(Path('/tmp') / (MARK + '-unpickled'))!r}, 'w'))\n"
        "share_returns_1954 = Evil()\n")
    guard = "from trustlab import offline\nassert offline._installed, 'GUARD-OFF'\n"
    kill_parent = "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\n" \
                  "except OSError:\n    pass\n"
    subs = [
        notebook(tmp, "hostile", [forge, *HONEST, snoop, guard, linger, unpickle, kill_parent,
                                  "x = '=HYPERLINK(\"http://evil.example/\")'\nraise "
                                  "ValueError(x)"]),
        notebook(tmp, "hangs", [HONEST[0], "while True:\n    pass", *HONEST[1:]]),
        notebook(tmp, "crashes", [HONEST[0], "import os\nos._exit(3)", *HONEST[1:]]),
        notebook(tmp, "julia", HONEST, kernel="julia-1.9"),
        notebook(tmp, "formula", ['q5_answer = \'=HYPERLINK("http://evil.example/","x")\'',
                                  "removals_1954 = '+cmd|calc'"]),
    ]
    damaged = tmp / "damaged.ipynb"
    damaged.write_text(subs[0].read_text()[:2000])
    notjson = tmp / "notjson.ipynb"
    notjson.write_bytes(b"\x89PNG\r\n\x1a\n not a notebook")
    subs += [damaged, notjson]
    ex = exercises.load_exercise(SET)
    started = time.monotonic()
    results = grade_all(ex, subs, Limits(cell_seconds=4, submission_seconds=120), jobs=3)
    seconds = time.monotonic() - started
    out = tmp / "grades.csv"
    from trustlab.gradebook import write_grades_csv

    write_grades_csv(results, out, ex.order)
    time.sleep(0.3)
    yield {"results": {Path(r.path).stem: r for r in results}, "csv": out,
           "escape": escape, "connections": connections, "seconds": seconds,
           "leftovers": leftover_processes()}
    server.close()
    escape.unlink(missing_ok=True)


def test_a_hostile_submission_gets_its_true_score(graded):
    r = graded["results"]["hostile"]
    assert scores(r) == {"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 1, "q6": 0}, r
    assert (r.total, r.possible) == (3, 7)


def test_answers_cross_as_data_never_unpickled(graded):
    assert not (Path("/tmp") / f"{MARK}-unpickled").exists()
    q3 = next(q for q in graded["results"]["hostile"].questions if q.name == "q3")
    assert "a number" in q3.message, q3.message  # the object arrived as an opaque value


def test_every_process_a_submission_started_is_gone(graded):
    assert graded["leftovers"] == []


def test_the_grader_survives_a_kernel_killing_its_parent(graded):
    assert not graded["results"]["hostile"].error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the file sandbox is Linux's")
def test_a_submission_cannot_read_hidden_checks_write_outside_or_connect(graded):
    r = graded["results"]["hostile"]
    notes = " ".join(r.notes)
    if landlock_abi() == 0:  # documented degraded mode: the instructor is told
        assert "Landlock" in landlock_status()
        return
    assert "AssertionError" not in notes, notes  # no hidden file in the sandbox folder
    assert not graded["escape"].exists(), "a submission wrote outside its folder"
    if landlock_abi() >= 4:
        assert graded["connections"] == [], "a submission opened a TCP connection"


def test_the_network_guard_is_on_in_a_graded_kernel(graded):
    notes = " ".join(graded["results"]["hostile"].notes)
    assert "Cell" in notes and "GUARD-OFF" not in notes, notes


def test_a_hang_or_a_crash_costs_only_its_own_cell(graded):
    for name in ("hangs", "crashes"):
        r = graded["results"][name]
        assert (r.total, r.possible) == (3, 7), (name, r)
        assert not r.error
    assert any("longer than 4 s" in n for n in graded["results"]["hangs"].notes)
    assert any("restarted" in n for n in graded["results"]["crashes"].notes)


def test_another_kernel_name_is_graded_with_the_course_python(graded):
    r = graded["results"]["julia"]
    assert r.total == 3 and any("julia-1.9" in n for n in r.notes)


def test_damaged_files_are_reported_and_the_others_are_graded(graded):
    for name, words in (("damaged", "not valid notebook JSON at line"),
                        ("notjson", "not a notebook")):
        r = graded["results"][name]
        assert words in r.error and "resubmit" in r.error, r.error
        assert r.questions == []
    rows = list(csv.DictReader(graded["csv"].open(encoding="utf-8-sig")))
    assert len(rows) == 7
    assert {row["student"] for row in rows} >= {"hostile", "hangs", "damaged"}


def test_the_grades_file_is_in_question_order_and_safe_in_a_spreadsheet(graded):
    text = graded["csv"].read_text(encoding="utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]]))
    qs = [h for h in header if h.startswith("q")]
    assert qs == ["q1", "q2", "q3", "q4", "q5", "q6"]
    for row in csv.reader(text.splitlines()[1:]):
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell
    assert "HYPERLINK" in text  # the text is kept, but inert
    assert "1000" not in text and "999" not in text and "q9" not in text


def test_a_class_is_graded_in_parallel(graded):
    # 7 files, 5 of them run in kernels (one hangs for 4 s, one restarts): with 3 at a time
    # the class takes well under the sum of its parts.
    per = sum(r.seconds for r in graded["results"].values())
    assert graded["seconds"] < per * 0.8, (graded["seconds"], per)


def test_cli_prints_a_line_per_submission_and_writes_every_file(tmp_path):
    good = tmp_path / "alice_00-getting-started.ipynb"
    good.write_text((ROOT / "exercises" / "dist" / "keys" / f"{SET}-key.ipynb").read_text())
    bad = tmp_path / "bob.ipynb"
    bad.write_text("{")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "tools" / "offline"), str(ROOT)]), TRUSTLAB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "trustlab", "grade", SET, str(good), str(bad),
         "--out", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "fb"),
         "--canvas", str(tmp_path / "canvas.csv"), "--gradebook", str(tmp_path / "gb.csv")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Kernel is running over TCP" not in proc.stdout + proc.stderr
    lines = [x for x in proc.stdout.splitlines() if x.startswith("[")]
    assert len(lines) == 2 and any("alice  7/7" in x for x in lines), proc.stdout
    assert "bob" in proc.stdout and "damaged" in proc.stdout
    canvas = (tmp_path / "canvas.csv").read_text().splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
    assert canvas[1].startswith("Points Possible") and canvas[1].endswith(",7")
    assert (tmp_path / "fb" / "alice.html").is_file() and (tmp_path / "gb.csv").is_file()
    html = (tmp_path / "fb" / "alice.html").read_text()
    assert "q6" in html and "7 of 7" in html


def test_damaged_source_of_a_check_names_the_file(tmp_path):
    with pytest.raises(exercises.ExerciseError, match="no exercise called 'nope'"):
        exercises.load_exercise("nope")
    with pytest.raises(exercises.ExerciseError, match="not a class key"):
        (tmp_path / "k").write_text("short")
        exercises.read_class_key(tmp_path / "k")


def test_sandbox_kills_a_detached_process_tree(tmp_path):
    """The wrapper alone: a grandchild that left the session is killed when the kernel ends."""
    script = ("import subprocess, os, sys\nsubprocess.Popen([sys.executable, '-c', "
              f"'import time; time.sleep(300)', '{MARK}x'], start_new_session=True)\n"
              "os._exit(0)\n")
    proc = subprocess.run([sys.executable, "-m", "trustlab.sandbox", "--dir", str(tmp_path),
                           "--no-landlock", "--", sys.executable, "-c", script],
                          timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0
    time.sleep(0.2)
    assert not [p for p in leftover_processes() if f"{MARK}x" in p]


# ------------------------------------------------------------------------------------------
# Class variants


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """A class key, the class's variant of every set, and each set's variant key and public
    key graded against it (all in one parallel run)."""
    tmp = tmp_path_factory.mktemp("variant")
    key_file = tmp / "class.key"
    key_file.write_text("test-class-key-0123456789abcdef\n")
    exercises.class_set(key_file, tmp / "out")
    key = exercises.read_class_key(key_file)
    out = {}
    for name in [p.stem for p in exercises.sources()]:
        ex = exercises.load_exercise(name, key)
        subs = [tmp / "out" / "keys" / f"{name}-key.ipynb",
                ROOT / "exercises" / "dist" / "keys" / f"{name}-key.ipynb"]
        out[name] = (ex, grade_all(ex, subs, Limits(), jobs=2))
    return {"dir": tmp, "graded": out}


def test_a_class_variant_is_answered_by_its_own_key_and_not_by_the_public_one(variants):
    for name, (ex, (own, public)) in variants["graded"].items():
        assert ex.variant.id and ex.variant.salt
        assert own.total == own.possible > 0, (name, own)
        lost = [q.name for q in public.questions if not q.passed]
        # at least half of the auto-checked questions ask something else in the variant
        assert len(lost) >= len(ex.order) / 2, (name, lost)


def test_a_class_variant_shuffles_options_and_salts_digests(variants):
    shuffled = 0
    for name, (ex, _) in variants["graded"].items():
        public = exercises.load_exercise(name)
        assert public.variant.id == "" and public.variant.salt == ""
        assert set(ex.variant.answers.values()).isdisjoint(public.variant.answers.values())
        shuffled += sum(any(k != v for k, v in m.items()) for m in ex.variant.letters.values())
    assert shuffled >= 5


def test_the_class_variant_student_set_runs_and_teaches(variants):
    from nbclient import NotebookClient

    folder = variants["dir"] / "out" / "student"
    nb = nbformat.read(folder / f"{SET}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "{{" not in text and "# SOLUTION" not in text
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors, errors
    feedback = [o.get("data", {}).get("text/plain", "") for c in nb.cells
                if c.cell_type == "code" and 'check("q' in c.source for o in c.outputs]
    assert feedback and all("not yet" in f and "Expected:" in f for f in feedback), feedback


def test_memory_and_process_limits_stop_only_the_cell_that_breaks_them(tmp_path):
    hog = "blob = bytearray(3 * 1024 ** 3)"
    spawn = ("import subprocess, sys\nkids = [subprocess.Popen([sys.executable, '-c', "
             f"'import time; time.sleep(60)', '{MARK}f']) for _ in range(30)]\n"
             "import time\ntime.sleep(2)\n")
    sub = notebook(tmp_path, "greedy", [HONEST[0], hog, spawn, *HONEST[1:]])
    ex = exercises.load_exercise(SET)
    r = grade_all(ex, [sub], Limits(memory_mb=2048, max_procs=12, cell_seconds=30))[0]
    assert (r.total, r.possible) == (3, 7) and not r.error, r
    notes = " ".join(r.notes)
    assert "MemoryError" in notes, notes
    assert "restarted" in notes, notes
    assert not [p for p in leftover_processes() if f"{MARK}f" in p]


def test_the_grader_warns_when_a_private_file_sits_where_submissions_may_read(tmp_path):
    from trustlab.sandbox import exposed

    assert exposed(ROOT, [Path("/etc/class.key")]) == ["/etc/class.key (inside /etc)"]
    key = tmp_path / "class.key"
    key.write_text("x" * 32)
    assert not [e for e in exposed(ROOT, [key]) if "class.key" in e]


def test_a_student_function_that_raises_is_explained_with_its_line(tmp_path):
    broken = ("def total_between(df, start, end):\n    years = end - start\n"
              "    return df['removal'].sum() / years\n")
    sub = notebook(tmp_path, "raises", [broken])
    r = grade_all(exercises.load_exercise(SET), [sub], Limits())[0]
    q4 = next(q for q in r.questions if q.name == "q4")
    assert "your code raised KeyError: 'removal'" in q4.message
    assert "Line 3 of your code failed: `return df['removal'].sum() / years`" in q4.message
