"""`trustlab assign`: nbgitpuller links for a lab or an exercise set (the class test,
tests/test_hub.py, follows one on a real hub)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from trustlab.assign import find, repo_folder
from trustlab.exercises import ExerciseError

ROOT = Path(__file__).resolve().parent.parent
HUB = "https://hub.example.edu"
REPO = "https://github.com/owner/trust-enforcement.git"


def params(link: str) -> dict[str, str]:
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull", link
    return {k: v[0] for k, v in parse_qs(parts.query, strict_parsing=True).items()}


def test_an_exercise_link_pulls_the_repository_and_opens_the_set():
    link = find("exercise", "03-crime").link(HUB, REPO)
    assert link.startswith(f"{HUB}/hub/user-redirect/git-pull?")
    assert params(link) == {"repo": REPO, "branch": "main", "targetpath": "trust-enforcement",
                            "urlpath": "lab/tree/trust-enforcement/exercises/student/"
                                       "03-crime.ipynb"}


def test_a_lab_by_number_a_branch_a_folder_and_the_classic_notebook():
    link = find("lab", "3").link(HUB + "/hub/", REPO, branch="fall-2026", folder="course",
                                 app="notebook")
    assert link.startswith(f"{HUB}/hub/user-redirect/")  # the hub's own page was pasted
    p = params(link)
    assert p["branch"] == "fall-2026" and p["targetpath"] == "course"
    assert p["urlpath"] == "notebooks/course/notebooks/03-crime-lab.ipynb"
    assert find("lab", "03-crime-lab").path == find("lab", "03").path


def test_a_hub_under_a_path_keeps_it():
    assert find("exercise", "0").link("https://x.edu/jupyter", REPO).startswith(
        "https://x.edu/jupyter/hub/user-redirect/git-pull?")


@pytest.mark.parametrize("address, folder", [
    ("https://github.com/o/trust-enforcement", "trust-enforcement"),
    ("https://github.com/o/trust-enforcement.git/", "trust-enforcement"),
    ("git@github.com:o/course.git", "course"), ("file:///srv/git/class.git", "class")])
def test_the_folder_is_the_repositorys_name(address, folder):
    assert repo_folder(address) == folder


@pytest.mark.parametrize("call, message", [
    (lambda: find("exercise", "9"), "no exercise called '9'. The exercises are: 00-getting"),
    (lambda: find("lab", "crime"), "no lab called 'crime'"),
    (lambda: find("exercise", "1").link("hub.example.edu", REPO), "is not a web address"),
    (lambda: find("exercise", "1").link(HUB + "?x=1", REPO), "has a ?query"),
    (lambda: find("exercise", "1").link(HUB, " "), "--repo is empty"),
    (lambda: find("exercise", "1").link(HUB, REPO, folder="../x"), "not a plain folder name"),
])
def test_mistakes_are_explained(call, message):
    with pytest.raises(ExerciseError, match=message.replace("?", r"\?").replace(".", r"\.")):
        call()


def test_an_exercise_without_its_checks_is_refused(tmp_path):
    (tmp_path / "exercises" / "student").mkdir(parents=True)
    (tmp_path / "exercises" / "student" / "01-history.ipynb").write_text("{}")
    with pytest.raises(ExerciseError, match="has no 01-history_checks.py beside it"):
        find("exercise", "1", root=tmp_path)


def test_the_command_prints_a_link_each_and_fails_cleanly():
    cmd = [sys.executable, "-m", "trustlab", "assign"]
    r = subprocess.run(cmd + ["lab", "all", "--hub", HUB, "--repo", REPO],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    labs = sorted(p.name for p in (ROOT / "notebooks").glob("*-lab.ipynb"))
    assert len(lines) == len(labs) and all(" https://hub.example.edu/" in ln for ln in lines)
    r = subprocess.run(cmd + ["exercise", "7", "--hub", HUB, "--repo", REPO],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: no exercise called '7'")
    assert "Traceback" not in r.stderr
