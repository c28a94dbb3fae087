"""Where the course's files are: the package's own files, and the course folder (the
repository, or a copy of it that nbgitpuller pulled) with datasets/ and exercises/.

The package may be installed on its own (``pip install trustlab``, a JupyterHub image); then it
finds the course folder through ``$TRUSTLAB_COURSE``, or by looking from the current folder up.
"""

from __future__ import annotations

import os
from pathlib import Path

PKG = Path(__file__).resolve().parent
COURSE_ENV = "TRUSTLAB_COURSE"
DATA_ENV = "TRUSTLAB_DATA"
MARKER = Path("datasets") / "datapackage.json"


def _holds_course(base: Path) -> bool:
    return (base / MARKER).is_file()


def find_course() -> Path | None:
    """The course folder: ``$TRUSTLAB_COURSE``; else the folder above this package when the
    package is run from the repository; else the current folder or the nearest folder above it
    that holds datasets/datapackage.json. None when there is none."""
    env = os.environ.get(COURSE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    cwd = Path.cwd().resolve()
    for base in (PKG.parent, cwd, *cwd.parents):
        if _holds_course(base):
            return base
    return None


def course_root() -> Path:
    """The course folder, for code that works on its files (exercises, grading). Without one it
    is the folder above the package, so that a missing file is named where it was looked for."""
    return find_course() or PKG.parent


def not_found_message() -> str:
    env = os.environ.get(COURSE_ENV)
    if env:
        return (f"{COURSE_ENV} is set to {env}, but that folder has no {MARKER.as_posix()}. "
                f"Set {COURSE_ENV} to the course folder (the one with datasets/ and "
                "exercises/ in it).")
    return (f"cannot find the course's {MARKER.as_posix()}: trustlab is installed on its own "
            "and neither the current folder nor a folder above it is the course folder. Open "
            f"the notebook from inside the course folder, or set {COURSE_ENV} to its path "
            f"(for the datasets alone, {DATA_ENV} to its datasets/ folder).")
