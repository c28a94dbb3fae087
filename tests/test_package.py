"""The course package as others install it: a wheel built from pyproject.toml, installed
normally (not editable) and used from outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 300):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The wheel, and a folder it is installed into (as site-packages would hold it)."""
    tmp = tmp_path_factory.mktemp("package")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "trustlab", src / "trustlab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "wheel"
    r = run([PY, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--disable-pip-version-check", "-q", "-w", str(out), str(src)], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    wheel = next(out.glob("trustlab-*.whl"))
    target = tmp / "site"
    r = run([PY, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "-q",
             "--target", str(target), str(wheel)], cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    away = tmp / "elsewhere"  # not the course folder, nor inside it
    away.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRUSTLAB_COURSE", "TRUSTLAB_DATA", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(target), str(ROOT / "tools" / "offline")])
    return {"wheel": wheel, "target": target, "away": away, "env": env}


def py(installed: dict, code: str, **env):
    return run([PY, "-c", code], cwd=installed["away"], env={**installed["env"], **env})


def test_the_wheel_carries_the_book_extensions_files(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for part in ("trustlab/static/trustlab/charts.js", "trustlab/static/trustlab/charts.css",
                 "trustlab/static/trustlab/a11y.js", "trustlab/static/trustlab/a11y.css",
                 "trustlab/templates/layout.html", "trustlab/charts/__init__.py"):
        assert part in names, f"{part} is not in the wheel"
    r = py(installed, "import trustlab.sphinxext as s, trustlab.slim as m\n"
                      "assert '/site/' in s.__file__, s.__file__\n"
                      "assert (s.STATIC_DIR / 'trustlab' / 'charts.js').is_file()\n"
                      "assert (m.TEMPLATES / 'layout.html').is_file()\nprint('ok')")
    assert r.stdout.strip() == "ok", r.stderr


def test_the_version_is_written_once(installed):
    text = (ROOT / "pyproject.toml").read_text()
    assert tomllib.loads(text)["project"]["dynamic"] == ["version"]
    assert '"0.' not in text.split("[project]")[1].split("dependencies")[0]
    import trustlab

    assert installed["wheel"].name.startswith(f"trustlab-{trustlab.__version__}-")
    r = py(installed, "from importlib.metadata import version; import trustlab; "
                      "print(version('trustlab'), trustlab.__version__)")
    meta, code = r.stdout.split()
    assert meta == code == trustlab.__version__


def test_outside_the_course_folder_data_is_found_through_the_setting(installed):
    r = py(installed, "import trustlab\ntry:\n    trustlab.load('removals_returns')\n"
                      "except trustlab.DataError as e:\n    print(e)\n")
    assert "TRUSTLAB_COURSE" in r.stdout and "Traceback" not in r.stdout + r.stderr, r
    r = py(installed, "import trustlab; print(len(trustlab.load('removals_returns')))",
           TRUSTLAB_COURSE=str(ROOT))
    assert r.returncode == 0 and int(r.stdout) > 100, r.stderr
    r = py(installed, "import trustlab\ntry:\n    trustlab.load('removals_returns')\n"
                      "except trustlab.DataError as e:\n    print(e)\n",
           TRUSTLAB_COURSE=str(installed["away"]))
    assert "TRUSTLAB_COURSE is set to" in r.stdout, r


def test_an_exercise_is_checked_from_a_copy_of_the_course(installed, tmp_path):
    """A student's copy (what nbgitpuller pulls): the checks beside the notebook, the data
    found from the notebook's folder upward."""
    course = tmp_path / "trust-enforcement"
    shutil.copytree(ROOT / "datasets", course / "datasets")
    shutil.copytree(ROOT / "exercises" / "student", course / "exercises" / "student")
    shutil.copy(ROOT / "references.bib", course / "references.bib")
    r = run([PY, "-c", "from trustlab.checks import Checker\nfrom trustlab import load\n"
                       "g = Checker('00-getting-started')\nprint(len(load('removals_returns')),"
                       " g.path)"],
            cwd=course / "exercises" / "student", env=installed["env"])
    assert r.returncode == 0, r.stderr
    assert str(course / "exercises" / "student") in r.stdout


def test_the_console_command_has_a_version_and_examples(installed):
    script = Path(PY).parent / "trustlab"
    assert script.is_file(), "the trustlab command is not installed (pip install -e .)"
    import trustlab

    r = run([str(script), "--version"], cwd=installed["away"])
    assert r.stdout.strip() == f"trustlab {trustlab.__version__}", r
    r = run([str(script), "--help"], cwd=installed["away"])
    assert r.returncode == 0 and "``" not in r.stdout and ":mod:" not in r.stdout
    assert "examples:" in r.stdout
    from trustlab.__main__ import build_parser

    parser = build_parser()
    subs = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for name, sub in subs.items():
        text = sub.format_help()
        assert sub.description, f"trustlab {name} has no description"
        assert "example:" in text and f"trustlab {name}" in text.split("example:")[1], name
        assert "{am,pm,}" not in text, name
    assert "default: grades.csv" in subs["grade"].format_help()


def test_an_old_python_gets_a_clear_message(installed):
    env = {**installed["env"], "PYTHONPATH": str(installed["target"])}  # no guard: it imports
    r = run([PY, "-c", "import sys; sys.version_info = (3, 10, 12, 'final', 0); import trustlab"],
            cwd=installed["away"], env=env)
    assert "trustlab needs Python 3.11 or newer, and this is Python 3.10" in r.stderr, r.stderr
    make = (ROOT / "Makefile").read_text()
    assert "sys.version_info < (3, 11)" in make and "needs Python 3.11 or newer" in make


def test_make_refuses_an_old_python(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.2' && exit 0\n"
                    "exit 1\n")
    fake.chmod(0o755)
    r = run(["make", "-s", f"VENV={tmp_path / 'venv'}", f"PYTHON={fake}",
             f"{tmp_path / 'venv'}/bin/python"], cwd=ROOT)
    assert r.returncode != 0
    assert "Python 3.9.2; the course needs Python 3.11 or newer" in r.stdout + r.stderr, r
    assert not (tmp_path / "venv").exists()
