"""The environments: one lock per role (requirements/), and the repo2docker/JupyterHub launch
files that install the student role's lock."""

from __future__ import annotations

import os
import re
import tomllib

import pytest
from conftest import ROOT
from packaging.requirements import Requirement

BINDER = ROOT / "binder"
REQS = ROOT / "requirements"
ROLES = ("student", "book", "dev")


def pins(role: str) -> dict[str, tuple[str, str]]:
    """name -> (version, environment marker) of a lock; a package pinned twice for different
    Pythons keeps both."""
    out: dict[str, tuple[str, str]] = {}
    for ln in (REQS / f"{role}.lock").read_text().splitlines():
        ln = ln.split("  #", 1)[0].strip()
        if not ln or ln.startswith("#"):
            continue
        req = Requirement(ln)
        key = req.name.lower().replace("_", "-")
        if req.marker and key in out:
            key += f" ; {req.marker}"
        out[key] = (str(req.specifier), str(req.marker or ""))
    return out


def wanted(role: str) -> list[Requirement]:
    """The requirements of a role's .in file, with the files it includes (-r)."""
    reqs = []
    for ln in (REQS / f"{role}.in").read_text().splitlines():
        ln = ln.split("#", 1)[0].strip()
        if ln.startswith("-r "):
            reqs += wanted(ln[3:].strip().removesuffix(".in"))
        elif ln:
            reqs.append(Requirement(ln))
    return reqs


def test_binder_requirements_point_at_the_lock():
    lines = [ln.strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    assert lines == ["-r ../requirements/student.lock"], (
        "binder/requirements.txt must install exactly the student lock, so a class hub runs "
        f"the versions the course was tested with, and nothing a student does not need; found "
        f"{lines}")


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


@pytest.mark.parametrize("role", ROLES)
def test_each_lock_pins_exactly_what_its_role_asks_for(role):
    locked = pins(role)
    bad = [k for k, (spec, _) in locked.items() if not spec.startswith("==")]
    assert not bad, f"requirements/{role}.lock must pin exact versions; not pinned: {bad}"
    for req in wanted(role):
        name = req.name.lower().replace("_", "-")
        assert name in locked, f"{req.name} ({role}.in) is not in {role}.lock: run make lock"
        version = locked[name][0].removeprefix("==")
        assert req.specifier.contains(version, prereleases=True), (
            f"{role}.lock has {req.name} {version}, outside {req.specifier} asked for in "
            f"{role}.in: run make lock")


def test_the_locks_agree_and_the_student_role_is_lean():
    dev = pins("dev")
    for role in ("student", "book"):
        for name, pin in pins(role).items():
            # the same version (a marker may differ: the roles need a package for other reasons)
            assert name in dev and dev[name][0] == pin[0], \
                f"{name}: {role}.lock {pin}, dev.lock {dev.get(name)}"
    student = pins("student")
    for heavy in ("playwright", "vl-convert-python", "sphinx", "jupyter-book", "pytest", "ruff",
                  "jupyterhub", "otter-grader"):
        assert heavy not in student, f"the student lock carries {heavy}"
    assert "jupyterlab" not in pins("book"), "the book is built without JupyterLab"
    assert "otter-grader" not in dev, "nothing imports otter-grader"


def test_the_locks_hold_for_windows_and_macos_too():
    """Resolved for every platform (uv pip compile --universal): platform-only packages are
    pinned with a marker instead of left out, or installed unpinned on Windows."""
    student = pins("student")
    assert "win32" in student["colorama"][1] or "nt" in student["colorama"][1]
    assert "pywinpty" in student and "nt" in student["pywinpty"][1]
    assert "appnope" in student and "darwin" in student["appnope"][1]


def test_make_installs_the_role_each_command_needs():
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^book: venv$", make, re.M) and "venv: $(BIN)/.installed-book" in make
    assert re.search(r"^test: \$\(BIN\)/.installed-dev ", make, re.M)
    assert re.search(r"^lab: \$\(BIN\)/.installed-student$", make, re.M)
    assert "pip install --quiet -r requirements/$*.lock" in make
    assert "--universal" in make and "requirements/dev.in -o requirements/dev.lock" in make


def test_jupyterlab_asks_no_one_for_news_on_a_laptop_or_a_hub():
    """JupyterLab would fetch a news feed and update notices from the internet (and offers to):
    config/jupyter turns both off for make lab, the hub configuration and the binder image."""
    import json

    config = ROOT / "config" / "jupyter"
    server = json.loads((config / "jupyter_server_config.json").read_text())
    assert server["LabApp"]["news_url"] is None
    assert server["LabApp"]["check_for_updates_class"] == "jupyterlab.NeverCheckForUpdate"
    page = json.loads((config / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True
    post = (BINDER / "postBuild").read_text()
    assert "config/jupyter/jupyter_server_config.json" in post
    assert "config/jupyter/labconfig/page_config.json" in post
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/config/jupyter" in (ROOT / "Makefile").read_text()
    assert '"JUPYTER_CONFIG_PATH": str(ROOT / "config" / "jupyter")' in (
        ROOT / "hub" / "jupyterhub_config.py").read_text()


def test_the_book_skips_every_environment_make_creates():
    """A venv holds package READMEs and licences: inside the book's folder, the strict build
    would fail on them ("document isn't included in any toctree")."""
    import yaml

    make = (ROOT / "Makefile").read_text()
    excluded = yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    from trustlab.build import SKIP_DIRS

    for folder in ("VENV ?= .venv", "-m venv .venv-lowest", "-m venv .lockvenv"):
        name = folder.rsplit(" ", 1)[-1]
        assert folder in make, folder
        assert f"{name}/*" in excluded, f"_config.yml's exclude_patterns lack {name}/*"
        assert name in SKIP_DIRS, f"trustlab/build.py's SKIP_DIRS lacks {name}"
