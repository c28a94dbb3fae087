"""A class on a real JupyterHub: hub/jupyterhub_config.py with its proxy (configurable-http-proxy
from npm), five students, an assignment link from `trustlab assign`, and grading.

Each student logs in with Chromium, follows the nbgitpuller link (a bare git repository with a
file:// address stands in for the public course repository) and lands in JupyterLab on the
exercise set. Their answers are then run in the kernel of their own Jupyter server, through
the server's API (as JupyterLab does), and saved. The instructor's service collects every saved
notebook through the hub and grades them with `trustlab grade`. The memory and CPU of each
student's server are measured while the exercise runs. Everything the test started is stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
import requests

from trustlab import exercises
from trustlab.assign import find

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
SET = "00-getting-started"
STUDENTS = ["ana", "ben", "chen", "dara", "eli"]
PASSWORD = "class-test-" + secrets.token_hex(4)
# Question -> (the start of its answer cell, points); see exercises/source/00-getting-started.
QUESTIONS = {"q1": ("removals_1954 =", 1), "q2": ("returns_1954 =", 1),
             "q3": ("share_returns_1954 =", 1), "q4": ("def total_between", 2),
             "q5": ("q5_answer =", 1), "q6": ("q6_answer =", 1)}
# What each student answers right; "wrong" answers q1 with a wrong number.
PLAN = {"ana": ["q1", "q2", "q3", "q4", "q5", "q6"], "ben": ["q1", "q2", "q3"],
        "chen": ["q4"], "dara": [], "eli": ["wrong", "q2"]}


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def course_repository(tmp: Path) -> Path:
    """A bare git repository with the course's exercise sets and datasets (what a class
    pulls), committed as an instructor would."""
    work = tmp / "course-src"
    for part in ("exercises/student", "datasets"):
        shutil.copytree(ROOT / part, work / part,
                        ignore=shutil.ignore_patterns("*.new.ipynb", "__pycache__"))
    shutil.copy(ROOT / "references.bib", work / "references.bib")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Instructor", "GIT_AUTHOR_EMAIL": "i@example.edu",
           "GIT_COMMITTER_NAME": "Instructor", "GIT_COMMITTER_EMAIL": "i@example.edu"}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "."],
                ["git", "commit", "-q", "-m", "Course materials"]):
        subprocess.run(cmd, cwd=work, env=env, check=True, timeout=60)
    bare = tmp / "trust-enforcement.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True,
                   timeout=60)
    return bare


class Hub:
    def __init__(self, tmp: Path):
        self.state = tmp / "hub"
        self.state.mkdir()
        port, hub_port, proxy_port = free_ports(3)
        self.url = f"http://127.0.0.1:{port}"
        self.token = secrets.token_hex(16)
        import tempfile

        # kernels' Unix sockets: a short folder (a socket's path has at most 107 characters)
        self.runtime = tempfile.mkdtemp(prefix="tlhub-")
        env = {**os.environ, "TRUSTLAB_HUB_STATE": str(self.state), "TRUSTLAB_HUB_URL": self.url,
               "TRUSTLAB_HUB_RUNTIME": self.runtime,
               "TRUSTLAB_HUB_PORTS": f"{hub_port} {proxy_port}",
               "TRUSTLAB_HUB_ADMIN_TOKEN": self.token, "TRUSTLAB_HUB_TEST_PASSWORD": PASSWORD}
        self.log = open(tmp / "hub.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
            cwd=self.state, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"token {self.token}"
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"JupyterHub stopped at start:\n{self.log_tail()}")
            try:
                if self.api.get(f"{self.url}/hub/api/", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not answer in 90 s:\n{self.log_tail()}")
            time.sleep(0.3)

    def log_tail(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.state.parent / "hub.log").read_text(errors="replace")[-4000:]

    def tree(self) -> list[psutil.Process]:
        try:
            return [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> list[str]:
        """Stop the hub (it stops the proxy and every student's server); what is left."""
        procs = self.tree()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        _, alive = psutil.wait_procs(procs, timeout=20)
        left = [f"{p.pid} {' '.join(p.cmdline()[:3])}" for p in alive if p.is_running()]
        for p in alive:  # never leave them behind, even when the test fails
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.log.close()
        shutil.rmtree(self.runtime, ignore_errors=True)
        return left


def student_server(name: str) -> psutil.Process:
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any("jupyterhub-singleuser" in part for part in p.info["cmdline"] or []) \
                    and p.environ().get("JUPYTERHUB_USER") == name:
                return p
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    raise AssertionError(f"no Jupyter server runs for {name}")


class Usage:
    """Memory (resident, the server and its kernels) and CPU time of a student's server."""

    def __init__(self, server: psutil.Process):
        self.server, self.peak_mb, self.stop = server, 0.0, threading.Event()
        self.cpu_by_pid: dict[int, float] = {}  # the last reading of each process, gone or not
        self.cpu()
        self.cpu0 = dict(self.cpu_by_pid)
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def procs(self) -> list[psutil.Process]:
        return [self.server, *self.server.children(recursive=True)]

    def cpu(self) -> None:
        for p in self.procs():
            try:
                t = p.cpu_times()
                self.cpu_by_pid[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass

    def sample(self) -> None:
        while not self.stop.is_set():
            rss = 0
            for p in self.procs():
                try:
                    rss += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            self.peak_mb = max(self.peak_mb, rss / 1e6)
            self.cpu()
            time.sleep(0.1)

    def end(self) -> dict:
        self.stop.set()
        self.thread.join()
        cpu = sum(v - self.cpu0.get(pid, 0.0) for pid, v in self.cpu_by_pid.items())
        return {"peak_rss_mb": round(self.peak_mb, 1), "cpu_seconds": round(cpu, 2)}


def answered(nb, plan: list[str]):
    """The student's notebook with the answers of `plan` typed in."""
    key = {c.source.split("\n", 1)[0]: c.source for c in nbformat.read(
        ROOT / "exercises" / "dist" / "keys" / f"{SET}-key.ipynb", as_version=4).cells
        if c.cell_type == "code"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for q, (start, _) in QUESTIONS.items():
            if cell.source.startswith(start):
                if q in plan:
                    cell.source = next(v for k, v in key.items() if k.startswith(start))
                elif q == "q1" and "wrong" in plan:
                    cell.source = "removals_1954 = 1\nremovals_1954"
    return nb


def run_in_server(base: str, token: str, path: str, nb) -> None:
    """Run every code cell in a kernel of the student's own server and store the outputs, the
    way JupyterLab's Run All does (a session, then execute requests over the kernel's
    websocket)."""
    import websocket  # websocket-client, a Jupyter Server requirement

    head = {"Authorization": f"token {token}"}
    r = requests.post(f"{base}/api/sessions", headers=head, timeout=60, json={
        "path": path, "type": "notebook", "name": Path(path).name,
        "kernel": {"name": "python3"}})
    r.raise_for_status()
    session = r.json()
    ws_url = base.replace("http://", "ws://") + \
        f"/api/kernels/{session['kernel']['id']}/channels?session_id={uuid.uuid4().hex}"
    ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"],
                                     timeout=120)
    try:
        for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "s",
                           "session": session["id"], "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": cell.source, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False,
                            "stop_on_error": False}}))
            outputs, idle, replied = [], False, False
            while not (idle and replied):
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "status" and content["execution_state"] == "idle":
                    idle = True
                elif kind == "execute_reply":
                    replied = True
                elif kind in ("stream", "display_data", "execute_result", "error"):
                    out = {"output_type": kind, **{k: v for k, v in content.items()
                                                    if k not in ("transient",)}}
                    if kind != "stream" and kind != "error":
                        out.setdefault("metadata", {})
                    outputs.append(nbformat.from_dict(out))
            cell.outputs, cell.execution_count = outputs, n + 1
    finally:
        ws.close()
        requests.delete(f"{base}/api/sessions/{session['id']}", headers=head, timeout=60)
    r = requests.put(f"{base}/api/contents/{path}", headers=head, timeout=60,
                     json={"type": "notebook", "format": "json", "content": nb})
    r.raise_for_status()


@pytest.fixture(scope="module")
def class_run(tmp_path_factory, browser):
    """The whole class: start the hub, five students work, the instructor collects."""
    if not PROXY.is_file():
        pytest.fail("configurable-http-proxy is missing: run `npm ci` (make test does)")
    exercises.generate(verbose=False, student=False)  # the answer key the students copy
    tmp = tmp_path_factory.mktemp("class-hub")
    repo = course_repository(tmp)
    hub = Hub(tmp)
    out: dict = {"hub": hub, "usage": {}, "landed": {}, "news": {}, "shown": [],
                 "external": [], "tmp": tmp}
    try:
        item = find("exercise", SET)
        t_start = time.monotonic()
        link = subprocess.run(
            [str(BIN / "trustlab"), "assign", "exercise", SET, "--hub", hub.url,
             "--repo", f"file://{repo}", "--branch", "main"],
            capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        out["link"] = link
        # Each student logs in and follows the link; their servers start side by side, as in
        # a class where everyone clicks at once. Then each must land on the notebook.
        pages = {}
        for name in STUDENTS:
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "ws://127",
                                                                    "data:", "blob:"))
                    else out["external"].append(r.url))
            page.goto(f"{hub.url}/hub/login", timeout=60_000)
            page.fill("#username_input", name)
            page.fill("#password_input", PASSWORD)
            page.click("#login_submit")
            page.wait_for_url("**/hub/**", timeout=60_000)
            page.goto(link, wait_until="commit", timeout=120_000)
            pages[name] = page
        for i, (name, page) in enumerate(pages.items()):
            # nbgitpuller has pulled the course and sent the student on to JupyterLab with
            # the notebook: its page is served (the notebook itself is read below through
            # the student's server).
            page.wait_for_url(f"**/user/{name}/lab/tree/**", wait_until="commit",
                              timeout=180_000)
            page.wait_for_selector("#jupyter-config-data", state="attached", timeout=60_000)
            out["landed"][name] = page.url
            out["news"][name] = page.evaluate(
                "(() => { const c = JSON.parse(document.getElementById('jupyter-config-data')"
                ".textContent); return [c.news, c.disabledExtensions]; })()")
            if i == 0 or os.environ.get("TRUSTLAB_HUB_SHOTS"):
                # JupyterLab shows the exercise set (once: a whole JupyterLab for each of the
                # five would double the test's time on a 2-core machine)
                page.locator(".jp-NotebookPanel h1").filter(
                    has_text="Exercises 0: removals and returns").wait_for(timeout=120_000)
                out["shown"].append(name)
            if os.environ.get("TRUSTLAB_HUB_SHOTS"):  # to look at what a student sees
                Path(os.environ["TRUSTLAB_HUB_SHOTS"]).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{os.environ['TRUSTLAB_HUB_SHOTS']}/{name}.png")
            page.context.close()
        out["times"] = {"students landed": round(time.monotonic() - t_start, 1)}
        # They answer, run and save, all at once, each in their own server.
        folder = "trust-enforcement"
        path = f"{folder}/{item.path}"
        tokens = {}
        for name in STUDENTS:
            r = hub.api.post(f"{hub.url}/hub/api/users/{name}/tokens", timeout=60,
                             json={"note": "student test", "expires_in": 3600})
            r.raise_for_status()
            tokens[name] = r.json()["token"]

        def work(name: str) -> None:
            base = f"{hub.url}/user/{name}"
            head = {"Authorization": f"token {tokens[name]}"}
            r = requests.get(f"{base}/api/contents/{path}?content=1", headers=head, timeout=60)
            r.raise_for_status()
            nb = answered(nbformat.from_dict(r.json()["content"]), PLAN[name])
            usage = Usage(student_server(name))
            t0 = time.monotonic()
            run_in_server(base, tokens[name], path, nb)
            out["usage"][name] = {**usage.end(), "seconds": round(time.monotonic() - t0, 1)}

        errors: list = []
        threads = [threading.Thread(target=_catch, args=(work, n, errors)) for n in STUDENTS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors
        out["times"]["answered"] = round(time.monotonic() - t_start, 1)
        # The instructor collects the saved notebooks through the hub and grades them.
        subs = tmp / "submissions"
        subs.mkdir()
        for name in STUDENTS:
            r = hub.api.get(f"{hub.url}/user/{name}/api/contents/{path}?content=1", timeout=60)
            r.raise_for_status()
            (subs / f"{name}_{SET}.ipynb").write_text(json.dumps(r.json()["content"]))
        grades = tmp / "grades.csv"
        out["grade"] = subprocess.run(
            [str(BIN / "trustlab"), "grade", SET, *sorted(map(str, subs.iterdir())),
             "--out", str(grades)], capture_output=True, text=True, timeout=600)
        out["grades"] = grades
        out["times"]["graded"] = round(time.monotonic() - t_start, 1)
    finally:
        out["log"] = hub.log_tail()
        out["left"] = hub.stop()
    return out


def _catch(f, name: str, errors: list) -> None:
    try:
        f(name)
    except BaseException as exc:  # reported by the main thread
        errors.append(f"{name}: {exc!r}")


def test_each_student_lands_on_the_assignment_in_jupyterlab(class_run):
    for name in STUDENTS:
        url = class_run["landed"][name]
        assert url.endswith(f"/user/{name}/lab/tree/trust-enforcement/exercises/student/"
                            f"{SET}.ipynb"), url
    assert class_run["shown"], "JupyterLab did not show the exercise set"
    assert not class_run["external"], f"requests to other hosts: {class_run['external'][:5]}"
    # JupyterLab neither fetches nor offers a news feed from the internet (config/jupyter)
    for name, (news, disabled) in class_run["news"].items():
        assert news == {"disabled": True}, (name, news)
        assert "@jupyterlab/apputils-extension:announcements" in str(disabled), (name, disabled)


def test_the_instructor_grades_what_each_student_saved(class_run):
    import csv

    run = class_run["grade"]
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {r["student"]: r for r in csv.DictReader(
        open(class_run["grades"], encoding="utf-8-sig"))}
    assert sorted(rows) == sorted(STUDENTS)
    for name, plan in PLAN.items():
        expected = sum(QUESTIONS[q][1] for q in plan if q in QUESTIONS)
        assert float(rows[name]["total"]) == expected, (name, rows[name])
        assert not rows[name]["problem"], rows[name]


def test_a_student_server_fits_the_configured_resources(class_run):
    import yaml
    from test_hub_values import VALUES, _mb

    usage = class_run["usage"]
    print("\nper student server while running the exercise:", json.dumps(usage, indent=1),
          "\ntimes:", class_run["times"])
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    limit = _mb(values["singleuser"]["memory"]["limit"])
    for name, u in usage.items():
        assert 50 < u["peak_rss_mb"] <= limit / 2, (name, u, limit)
        assert u["cpu_seconds"] > 0.5, (name, u)


def test_everything_the_class_started_is_stopped(class_run):
    assert not class_run["left"], f"still running after the hub stopped: {class_run['left']}"
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"])
                 if str(class_run["tmp"]) in " ".join(p.info["cmdline"] or [])]
    assert not leftovers, leftovers

