"""update-287g, end to end and offline: a local web server plays ICE's 287(g) page and serves
excerpts of four real ICE editions one after another (tests/fixtures/editions/, see
tests/fixtures/ICE_EXCERPTS.md); the command runs against a scratch copy of the datasets.

The scratch course starts from the excerpt of 9 July 2025 (pm), written by refresh-287g. The
shipped agreements_over_time plots the tallies of ICE's *full* editions, which an excerpt
cannot match, so the copy drops the consistency rules that tie it to ice_snapshots
("snapshot-*"); every other rule and dataset is validated as usual.
"""

from __future__ import annotations

import csv
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from trustlab import ice, update
from trustlab.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
EDITIONS = ROOT / "tests" / "fixtures" / "editions"
PAGE_PATH = "/identify-and-arrest/287g"
DOCLIB = "/doclib/about/offices/ero/287g/"
JUL9PM, JUL11AM, JUL11PM, JUL14AM = (
    "participatingAgencies07092025pm.xlsx", "participatingAgencies07112025am.xlsx",
    "participatingAgencies07112025pm.xlsx", "participatingAgencies07142025am.xlsx")


# ------------------------------------------------------------------------------------------
# A local "ICE": the 287(g) page and its workbooks


class Ice:
    """What the local server answers: path -> (status, content type, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[str] = []

    def publish(self, name: str, body: bytes | None = None) -> None:
        """Put workbook ``name`` on the page (ICE links the current list and the pending
        agencies; the previous list is no longer linked)."""
        body = (EDITIONS / name).read_bytes() if body is None else body
        self.routes[DOCLIB + name] = (200, "application/vnd.openxmlformats-officedocument."
                                           "spreadsheetml.sheet", body)
        html = f"""<!DOCTYPE html><html><head><title>287(g) | ICE</title></head><body>
<h1>Delegation of Immigration Authority Section 287(g)</h1>
<p>Participating agencies: <a href="https://www.ice.gov/doclib/about/offices/ero/287g/\
participatingAgencies05162025am.xlsx">an old absolute link</a>
<a href="{DOCLIB}{name}">Participating Agencies (Excel)</a>
<a href="{DOCLIB}pendingAgencies07142025am.xlsx">Pending Agencies</a></p></body></html>"""
        self.routes[PAGE_PATH] = (200, "text/html; charset=utf-8", html.encode())


@pytest.fixture
def ice_site():
    site = Ice()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            site.requests.append(self.path)
            status, ctype, body = site.routes.get(self.path, (404, "text/html",
                                                              b"<h1>Page not found</h1>"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    site.page = site.base + PAGE_PATH
    yield site
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A scratch datasets/ whose 287(g) tables hold the excerpt of 9 July 2025 (pm)."""
    folder = tmp_path / "course" / "datasets"
    shutil.copytree(DATASETS, folder)
    shutil.copy(ROOT / "references.bib", folder.parent / "references.bib")
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    package["trustlab:consistency"] = [r for r in package["trustlab:consistency"]
                                       if not r["id"].startswith("snapshot-")]
    (folder / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    (folder / "ice_snapshots.csv").write_text(",".join(ice.SNAPSHOT_COLUMNS) + "\n")
    monkeypatch.setenv("TRUSTLAB_DATA", str(folder))
    ice.refresh(EDITIONS / JUL9PM, note="Test start: excerpt.")
    assert len(rows(folder, "agreements_287g")) == 60
    return folder


def rows(folder: Path, name: str) -> list[dict]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def files(folder: Path) -> dict[str, bytes]:
    """Every file under the scratch course, by relative path: to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["update-287g", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def summary(folder: Path, name: str) -> str:
    return (folder / "updates" / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# Each new edition updates the tables and writes what changed


def test_three_editions_in_a_row(course, ice_site, capsys):
    # 11 July am: one agreement gone (Jackson County Sheriff's Office, MN, Jail Enforcement)
    ice_site.publish(JUL11AM)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == update.EXIT_CHANGED == 0, err
    assert ice_site.requests == [PAGE_PATH, DOCLIB + JUL11AM], "the newest link is fetched"
    agreements = rows(course, "agreements_287g")
    assert len(agreements) == 59 and {r["as_of"] for r in agreements} == {"2025-07-11"}
    snaps = rows(course, "ice_snapshots")
    assert [(s["as_of"], s["edition"], s["agreements"]) for s in snaps] == [
        ("2025-07-09", "pm", "60"), ("2025-07-11", "am", "59")]
    assert f"from {ice_site.base}{DOCLIB}{JUL11AM}" in snaps[-1]["notes"]
    text = summary(course, "2025-07-11-am.md")
    assert text.startswith("# 287(g) list update: ICE's list of 11 July 2025 (am)")
    assert ("Before: the list the course had, 9 July 2025 (pm). After: ICE's list of 11 July "
            "2025 (am).") in text
    assert "| agreements | 60 | 59 | -1 |" in text
    assert "| Jail Enforcement Model | 8 | 7 | -1 |" in text
    assert "| Task Force Model | 26 | 26 | 0 |" in text
    assert "| distinct agencies | 53 | 53 | 0 |" in text and "| states | 8 | 8 | 0 |" in text
    assert "| MN | 9 | 8 | -1 |" in text and "Unchanged: 7 state(s)" in text
    assert "## Agreements added (0)" in text
    assert ("## Agreements removed (1)\n\n| state | agency | model | signed |\n|---|---|---|---|\n"
            "| MN | Jackson County Sheriff's Office | Jail Enforcement Model | 2025-03-07 |"
            ) in text
    assert text in out and "Summary written to" in out

    # 11 July pm: six new agreements on ICE's list, five in the excerpt's states
    ice_site.publish(JUL11PM)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 0, err
    assert len(rows(course, "agreements_287g")) == 64
    by_state = {(r["state"], r["model"]): int(r["agreements"])
                for r in rows(course, "agreements_by_state")}
    assert sum(v for (s, _), v in by_state.items() if s == "AR") == 10
    text = summary(course, "2025-07-11-pm.md")
    assert "| agreements | 59 | 64 | +5 |" in text
    assert "| Warrant Service Officer | 26 | 29 | +3 |" in text
    assert "| distinct agencies | 53 | 58 | +5 |" in text
    assert "| AR | 7 | 10 | +3 |" in text and "| ID | 6 | 7 | +1 |" in text
    assert "| UT | 7 | 8 | +1 |" in text and "| MN |" not in text
    assert "## Agreements added (5)" in text and "## Agreements removed (0)" in text
    for line in ["| AR | Lafayette County Sheriff's Office | Warrant Service Officer | "
                 "2025-07-11 |",
                 "| AR | Miller County Sheriff's Office | Task Force Model | 2025-07-11 |",
                 "| AR | Texarkana Police Department | Task Force Model | 2025-07-11 |",
                 "| ID | Bonneville County Sheriff's Office | Warrant Service Officer | "
                 "2025-07-11 |",
                 "| UT | Beaver County Sheriff's Office | Warrant Service Officer | 2025-07-11 |"]:
        assert line in text

    # 14 July am: same count, but Ellis County moved from Texas to Kansas, an Indiana agency
    # renamed, and Grafton County's agency type dropped
    ice_site.publish(JUL14AM)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 0, err
    text = summary(course, "2025-07-14-am.md")
    assert "| agreements | 64 | 64 | 0 |" in text
    assert "| distinct agencies | 58 | 59 | +1 |" in text
    assert "| KS | 13 | 14 | +1 |" in text and "| TX | 2 | 1 | -1 |" in text
    assert "## Agreements added (2)" in text and "## Agreements removed (2)" in text
    assert "| KS | Ellis County Sheriff's Office | Warrant Service Officer | 2025-07-07 |" in text
    assert "| TX | Ellis County Sheriff's Office | Warrant Service Officer | 2025-07-07 |" in text
    assert "| IN | Green Forks Police Department | Task Force Model | 2025-04-10 |" in text
    assert "| IN | Greens Forks Police Department | Task Force Model | 2025-04-10 |" in text
    assert ("- NH, Grafton County Sheriff's Office, Task Force Model: agency_type: County → —"
            in text)
    snaps = rows(course, "ice_snapshots")
    assert [s["agreements"] for s in snaps] == ["60", "59", "64", "64"]
    assert sorted(p.name for p in (course / "updates").iterdir()) == [
        "2025-07-11-am.md", "2025-07-11-pm.md", "2025-07-14-am.md"]
    # the tables left behind are exactly what refresh-287g makes of the same workbook
    check = course.parent / "check"
    ice.refresh(EDITIONS / JUL14AM, out=check, note=snaps[-1]["notes"].split(".xlsx. ", 1)[1])
    for name in ice.TABLES:
        assert (check / f"{name}.csv").read_bytes() == (course / f"{name}.csv").read_bytes()


# ------------------------------------------------------------------------------------------
# Nothing to do: nothing written, nothing to open


def test_unchanged_edition_writes_nothing(course, ice_site, capsys, tmp_path):
    ice_site.publish(JUL11AM)
    assert run(capsys, "--page-url", ice_site.page)[0] == 0
    before = files(course)
    copy = tmp_path / "pr-body.md"
    # ICE's page still links the same edition
    code, out, err = run(capsys, "--page-url", ice_site.page, "--summary-copy", str(copy))
    assert code == update.EXIT_UNCHANGED == 3
    assert out.startswith("Unchanged: ICE's list of 11 July 2025 (am)") and err == ""
    assert "Nothing was written." in out
    assert files(course) == before and not copy.exists()
    # a new edition with the same agreements (made here: the same bytes under a later name)
    ice_site.publish("participatingAgencies07122025am.xlsx", (EDITIONS / JUL11AM).read_bytes())
    code, out, _ = run(capsys, "--page-url", ice_site.page)
    assert code == 3 and "same agreements as the course's list of 11 July 2025" in out
    assert files(course) == before
    # ICE's page going back to an older list: not an update either
    ice_site.publish(JUL9PM)
    code, out, _ = run(capsys, "--page-url", ice_site.page)
    assert code == 3 and out.startswith("Not newer: ICE's page links its list of 9 July 2025 "
                                        "(pm)")
    # (12 July, the identical copy above, was not recorded: unchanged writes nothing)
    assert "older than the newest list the course has, 12 July 2025 (am)" not in out
    assert "older than the newest list the course has, 11 July 2025 (am)" in out
    assert files(course) == before


# ------------------------------------------------------------------------------------------
# Refused: a damaged or implausible edition changes nothing


def test_damaged_edition_is_refused(course, ice_site, capsys):
    body = (EDITIONS / JUL11PM).read_bytes()
    ice_site.publish(JUL11PM, body[: len(body) // 2])  # a download cut off half-way
    before = files(course)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 2 and "Traceback" not in err
    assert err.startswith("error: ") and JUL11PM in err
    assert "cannot be read as an Excel workbook: it is damaged" in err
    assert files(course) == before
    # an error page saved under the workbook's name
    ice_site.publish(JUL11PM, b"<!DOCTYPE html><html><body>Access denied</body></html>")
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 2 and "an HTML page" in err and files(course) == before


def test_implausible_edition_is_refused(course, ice_site, capsys, tmp_path):
    # 11 July pm with all but 6 of its 64 rows dropped, as a partial download would give
    wb = ice.read_workbook(EDITIONS / JUL11PM)
    short = ice.write_workbook_like_ice(ice.agreements_rows(wb)[:6], tmp_path / JUL11PM)
    ice_site.publish(JUL11PM, short.read_bytes())
    before = files(course)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 2 and "Traceback" not in err
    assert "refused, nothing was written" in err
    assert "6 agreements against 60 in the previous snapshot" in err and "--force" in err
    assert files(course) == before
    assert not (course / "updates").exists()


# ------------------------------------------------------------------------------------------
# Offline, blocked or broken: one clear line


def test_server_down_is_one_clear_line(course, ice_site, capsys):
    before = files(course)
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    page = f"http://127.0.0.1:{port}{PAGE_PATH}"
    code, out, err = run(capsys, "--page-url", page)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {page}: cannot be downloaded: 127.0.0.1 refused the "
                          "connection.")
    assert "refresh-287g" in err and files(course) == before


def test_http_errors_name_the_url(course, ice_site, capsys):
    before = files(course)
    code, _, err = run(capsys, "--page-url", ice_site.page)  # nothing published yet: 404
    assert code == 2 and f"{ice_site.page}: answered HTTP 404" in err and "--page-url" in err
    ice_site.publish(JUL11AM)
    del ice_site.routes[DOCLIB + JUL11AM]  # the page links a workbook that is not there
    code, _, err = run(capsys, "--page-url", ice_site.page)
    assert code == 2 and f"{ice_site.base}{DOCLIB}{JUL11AM}: answered HTTP 404" in err
    ice_site.routes[PAGE_PATH] = (200, "text/html", b"<p>No list today.</p>")
    code, _, err = run(capsys, "--page-url", ice_site.page)
    assert code == 2 and "links no participatingAgencies" in err and "--url" in err
    assert files(course) == before


def test_offline_guard_blocks_the_download_with_a_clear_line(course, capsys, monkeypatch):
    # pytest runs with the guard installed (tests/conftest.py): any non-local host is refused
    code, _, err = run(capsys, "--page-url", "https://www.ice.gov/identify-and-arrest/287g")
    assert code == 2 and err.count("\n") == 1
    assert "error: https://www.ice.gov/identify-and-arrest/287g: cannot be downloaded: the " \
           "course's network guard blocks it (TRUSTLAB_OFFLINE=1" in err
    assert "make update-287g" in err
    # the same through the environment variable, in a fresh process with the guard on
    env = dict(os.environ, TRUSTLAB_OFFLINE="1", TRUSTLAB_287G_URL="https://www.ice.gov/"
               "doclib/about/offices/ero/287g/participatingAgencies07142025am.xlsx",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tools" / "offline")]))
    proc = subprocess.run([sys.executable, "-m", "trustlab", "update-287g"], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "participatingAgencies07142025am.xlsx: cannot be downloaded: the course's " \
           "network guard blocks it" in proc.stderr


def test_url_option_and_dry_run(course, ice_site, capsys, tmp_path):
    ice_site.publish(JUL11PM)
    before = files(course)
    url = ice_site.base + DOCLIB + JUL11PM
    code, out, err = run(capsys, "--url", url, "--dry-run", "--keep", str(tmp_path / "kept"))
    assert code == 0 and "Dry run: nothing was written." in out
    assert "| agreements | 60 | 64 | +4 |" in out
    assert ice_site.requests == [DOCLIB + JUL11PM], "--url skips the page"
    assert files(course) == before
    assert (tmp_path / "kept" / JUL11PM).read_bytes() == (EDITIONS / JUL11PM).read_bytes()


# ------------------------------------------------------------------------------------------
# Pieces


def test_newest_workbook_link_is_found():
    html = """<a href="/doclib/about/offices/ero/287g/participatingAgencies07112025pm.xlsx">x</a>
    <a href='https://www.ice.gov/doclib/about/offices/ero/287g/participatingAgencies07142025am.xlsx'>
    y</a> <a href="participatingAgencies07142025pm.xlsx?v=2">z</a>
    <a href="/doclib/about/offices/ero/287g/pendingAgencies07182025pm.xlsx">pending</a>
    <a href="/doclib/participatingAgencies13452025am.xlsx">not a date</a>"""
    links = update.workbook_links(html, "https://www.ice.gov/identify-and-arrest/287g")
    assert [u for _, _, u in links] == [
        "https://www.ice.gov/identify-and-arrest/participatingAgencies07142025pm.xlsx?v=2",
        "https://www.ice.gov/doclib/about/offices/ero/287g/participatingAgencies07142025am.xlsx",
        "https://www.ice.gov/doclib/about/offices/ero/287g/participatingAgencies07112025pm.xlsx"]


def test_fixture_editions_are_small_and_documented():
    names = sorted(p.name for p in EDITIONS.iterdir())
    assert names == sorted([JUL9PM, JUL11AM, JUL11PM, JUL14AM])
    assert sum(p.stat().st_size for p in EDITIONS.iterdir()) < 200_000
    notes = (ROOT / "tests" / "fixtures" / "ICE_EXCERPTS.md").read_text()
    for name in names:
        assert name in notes


def test_workflow_and_docs():
    import yaml

    flow = (ROOT / ".github" / "workflows" / "refresh-287g.yml").read_text()
    parsed = yaml.safe_load(flow)
    assert set(parsed[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1 reads "on" as True
    steps = parsed["jobs"]["update"]["steps"]
    pr = next(s for s in steps if "create-pull-request" in s.get("uses", ""))
    assert pr["if"] == "steps.update.outputs.changed == 'true'"
    assert "-eq 3" in flow and "changed=false" in flow, "exit 3 opens nothing"
    assert "cron:" in flow and "workflow_dispatch" in flow and "update-287g" in flow
    assert "create-pull-request" in flow and "TRUSTLAB_OFFLINE" not in flow
    readme = (ROOT / "README.md").read_text()
    assert "make update-287g" in readme and "datasets/updates/" in readme
    for code in ("`0`", "`2`", "`3`", "`4`"):
        assert code in readme
    assert "update-287g" in (ROOT / "Makefile").read_text()


def test_rebuild_and_test_steps_run_offline_and_their_failure_is_exit_4(course, ice_site,
                                                                        capsys, monkeypatch):
    calls = []

    def fake_run(cmd, cwd, env):
        calls.append((cmd, cwd, env))
        return subprocess.CompletedProcess(cmd, 1 if "pytest" in cmd else 0)

    monkeypatch.setattr(update.subprocess, "run", fake_run)
    ice_site.publish(JUL11AM)
    code, out, err = run(capsys, "--page-url", ice_site.page, "--rebuild", "--test")
    assert code == update.EXIT_CHECKS_FAILED == 4
    assert "the tables were updated, but these steps failed: run the data tests (exit 1)" in err
    assert len(rows(course, "agreements_287g")) == 59, "the update itself stands"
    assert [cmd[1] for cmd, _, _ in calls] == ["tools/execute_notebooks.py", "build", "-m"]
    assert calls[2][0][-len(update.DATA_TESTS):] == update.DATA_TESTS
    for _, cwd, env in calls:
        assert cwd == ROOT and env["TRUSTLAB_OFFLINE"] == "1"
        assert str(ROOT / "tools" / "offline") in env["PYTHONPATH"].split(os.pathsep)
    # nothing to do: no rebuild, no tests
    calls.clear()
    assert run(capsys, "--page-url", ice_site.page, "--rebuild", "--test")[0] == 3
    assert calls == []


def test_summary_that_cannot_be_written_is_exit_4_not_nothing_changed(course, ice_site,
                                                                       capsys):
    (course / "updates").write_text("a file where the folder should be\n")
    ice_site.publish(JUL11AM)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 4 and "Traceback" not in err
    assert "the tables were updated, but these steps failed: write the summary" in err
    assert len(rows(course, "agreements_287g")) == 59


class Killed(BaseException):
    """The process dies here."""


def test_an_interrupted_refresh_is_rolled_back_before_comparing(course, ice_site, capsys):
    before = files(course)
    texts = {n: (course / f"{n}.csv").read_text() + "half-written\n" for n in ice.TABLES}

    def hook(step, path):
        if step == "replace" and path.name == "agreements_by_state.csv":
            raise Killed

    ice._STEP_HOOK = hook
    try:
        with pytest.raises(Killed):
            ice._swap({course / f"{n}.csv": t for n, t in texts.items()})
    finally:
        ice._STEP_HOOK = None
    assert (course / ice.JOURNAL).exists() and files(course) != before
    ice_site.publish(JUL11AM)
    code, out, err = run(capsys, "--page-url", ice_site.page)
    assert code == 0 and "restored the previous" in err
    assert "| agreements | 60 | 59 | -1 |" in summary(course, "2025-07-11-am.md")
