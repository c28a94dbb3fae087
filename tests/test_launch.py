"""The repo2docker/JupyterHub launch files install exactly what the book is built with."""

from __future__ import annotations

import os
import re
import tomllib

from conftest import ROOT

BINDER = ROOT / "binder"


def test_binder_requirements_point_at_the_lock():
    lines = [ln.strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines == ["-r ../requirements.lock"], (
        "binder/requirements.txt must install exactly requirements.lock, so a class hub runs "
        f"the versions the book was built and tested with; found {lines}")
    assert (ROOT / "requirements.lock").is_file()


def test_binder_python_matches_the_project():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert m, f"binder/runtime.txt should read like 'python-3.11', not {runtime!r}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = re.search(r">=\s*(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert floor, "pyproject.toml needs requires-python = '>=X.Y'"
    assert tuple(map(int, m.groups())) >= tuple(map(int, floor.groups())), (
        f"binder/runtime.txt selects {runtime}, older than the project's "
        f"requires-python {pyproject['project']['requires-python']}")


def test_postbuild_installs_the_helper_package():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable (repo2docker runs it)"
    text = post.read_text()
    assert text.startswith("#!"), "binder/postBuild needs a shebang line"
    assert "pip install --no-deps -e ." in text, "postBuild must install the trustlab package"


def test_lock_is_pinned_exactly():
    bad = [ln for ln in (ROOT / "requirements.lock").read_text().splitlines()
           if ln and not ln.startswith("#") and "==" not in ln]
    assert not bad, f"requirements.lock must pin exact versions; unpinned lines: {bad}"
