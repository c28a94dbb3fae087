"""Assignment links for a JupyterHub class: ``trustlab assign``.

A link opens one notebook of the course for a student. The first time a student follows it,
nbgitpuller (installed on the hub's student image, see requirements/student.in) clones the
course repository into the student's home folder; later it pulls the instructor's new commits
and merges them without overwriting what the student changed. Then JupyterLab opens the
notebook. The link has the form nbgitpuller documents:

    <hub>/hub/user-redirect/git-pull?repo=<repository>&branch=<branch>&targetpath=<folder>
                                    &urlpath=lab/tree/<folder>/<notebook>
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from .exercises import ExerciseError
from .paths import course_root

KINDS = {"lab": ("notebooks", "-lab.ipynb"), "exercise": ("exercises/student", ".ipynb")}
APPS = {"lab": "lab/tree/", "notebook": "notebooks/"}


@dataclass(frozen=True)
class Assignment:
    kind: str  # "lab" or "exercise"
    path: str  # the notebook, relative to the course folder (always with "/")
    title: str  # its file name without .ipynb

    def link(self, hub: str, repo: str, branch: str = "main", folder: str | None = None,
             app: str = "lab") -> str:
        """The nbgitpuller link that opens this notebook for a student of ``hub``."""
        hub = _check_hub(hub)
        if not repo.strip():
            raise ExerciseError("--repo is empty: give the course repository's address, e.g. "
                                "https://github.com/OWNER/trust-enforcement")
        if not branch.strip():
            raise ExerciseError("--branch is empty: give the branch the students pull, e.g. main")
        folder = folder or repo_folder(repo)
        if not re.fullmatch(r"[A-Za-z0-9._-]+", folder) or folder in (".", ".."):
            raise ExerciseError(f"--folder '{folder}' is not a plain folder name: use letters, "
                                "digits, '.', '_' or '-' (it is made in each student's home).")
        if app not in APPS:
            raise ExerciseError(f"--app must be one of {', '.join(APPS)}, not '{app}'")
        query = {"repo": repo.strip(), "branch": branch.strip(), "targetpath": folder,
                 "urlpath": f"{APPS[app]}{folder}/{self.path}"}
        return f"{hub}/hub/user-redirect/git-pull?{urlencode(query, quote_via=quote)}"


def repo_folder(repo: str) -> str:
    """The folder nbgitpuller makes for a repository by default: the last part of its address
    without ``.git`` (``https://github.com/o/trust-enforcement.git`` -> ``trust-enforcement``)."""
    name = repo.strip().rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = name[:-4] if name.endswith(".git") else name
    if not name:
        raise ExerciseError(f"cannot tell a folder name from the repository address '{repo}': "
                            "give one with --folder")
    return name


def _check_hub(hub: str) -> str:
    parts = urlsplit(hub.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExerciseError(f"--hub '{hub}' is not a web address: give the hub's address as "
                            "students open it, e.g. https://hub.example.edu")
    if parts.query or parts.fragment:
        raise ExerciseError(f"--hub '{hub}' has a ?query or #fragment: give only the hub's "
                            "address, e.g. https://hub.example.edu")
    path = parts.path.rstrip("/")
    if path.endswith("/hub"):  # the hub's own page was pasted: its base is above it
        path = path[:-4]
    return f"{parts.scheme}://{parts.netloc}{path}"


def available(kind: str, root: Path | None = None) -> list[str]:
    """The names an instructor can assign: chapter labs' numbers and names, exercise sets."""
    folder, suffix = KINDS[kind]
    base = (root or course_root()) / folder
    return sorted(p.name[: -len(suffix)] for p in base.glob(f"*{suffix}")
                  if not p.name.endswith(".new.ipynb"))


def find(kind: str, name: str, root: Path | None = None) -> Assignment:
    """The notebook for ``name``: a number (``3``, ``03``) or a name (``03-crime``,
    ``03-crime-lab``, ``03-crime.ipynb``)."""
    if kind not in KINDS:
        raise ExerciseError(f"what to assign must be 'lab' or 'exercise', not '{kind}'")
    root = root or course_root()
    folder, suffix = KINDS[kind]
    names = available(kind, root)
    if not names:
        raise ExerciseError(f"no {kind} notebooks in {root / folder}: run trustlab assign from "
                            "the course folder, or set TRUSTLAB_COURSE to it")
    key = name.strip().removesuffix(".ipynb").removesuffix("-lab")
    if key.isdigit():
        matches = [n for n in names if n.split("-", 1)[0].isdigit()
                   and int(n.split("-", 1)[0]) == int(key)]
    else:
        matches = [n for n in names if n == key]
    if len(matches) != 1:
        raise ExerciseError(f"no {kind} called '{name}'. The {kind}s are: {', '.join(names)} "
                            "(a number, e.g. 3, works too).")
    found = matches[0]
    path = f"{folder}/{found}{suffix}"
    if kind == "exercise" and not (root / folder / f"{found}_checks.py").is_file():
        raise ExerciseError(f"{path} has no {found}_checks.py beside it: students could not "
                            "check their answers. Run `trustlab exercises` to write it.")
    return Assignment(kind=kind, path=path, title=found + suffix.removesuffix(".ipynb"))
