"""Build the book: ``python -m trustlab.build`` (what ``make book`` runs).

It runs ``jupyter-book build . -W -n --keep-going`` (strict: a warning or a notebook error fails
the build) in this process, with one addition for the authoring loop: when no file the book is
built from has changed since the last successful build, it says so and stops in a fraction of
a second instead of starting Sphinx (which takes a couple of seconds even when it has nothing
to do).

"The files the book is built from" are every file under the repository except generated and
tool folders (``_build``, ``.venv``, ``.git``, ``node_modules``, caches, ``exercises/dist``),
plus the virtual environment's install stamp, so an edit to a chapter, a dataset, the
bibliography, the configuration, the course package or its static files, or a new install of
the pinned packages, always builds. The record is written only after a build that succeeded.

Two editions are built, each by its own Sphinx run, at the same time (on two cores a one-page
rebuild of both takes about as long as one): English into ``_build/html`` in this process, and
Spanish (``language = "es"``, the catalogues in ``locales/es/LC_MESSAGES``) in a second process
into ``_build/es/html``, whose pages are then copied to ``_build/html/es``. The two share the
notebook execution cache: a Spanish chapter differs from the English one by a hidden first cell
(``trustlab.i18n.use("es")``), so each edition's results are cached apart, while a page that
stays English (a data lab) is executed once for both. The English build also writes each
page's message template to ``_build/gettext`` (``make translations`` merges them into the
catalogues), and at the end the build says how many messages of the translated pages the
catalogues lack.

Options: ``--force`` builds even when nothing changed; ``--check`` only reports whether a
build is needed (exit status 1 if it is); ``--edition en`` or ``--edition es`` builds one
edition only (no record is written: the next full build builds both).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path.cwd()
STAMP = Path("_build") / ".trustlab-build-stamp"
SKIP_DIRS = {".git", ".venv", ".venv-lowest", ".lockvenv", "_build", "node_modules",
             "__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
             ".jupyter_cache", ".mypy_cache"}
SKIP_PATHS = {("exercises", "dist")}
BOOK_ARGS = ["build", ".", "-W", "-n", "--keep-going"]


def inputs_digest(root: Path) -> tuple[str, int]:
    """A digest of the path, size and modification time of every input file, and their number."""
    rows: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                         and (*rel.parts, d)[-2:] not in SKIP_PATHS)
        for name in sorted(files):
            path = Path(folder) / name
            try:
                st = path.stat()
            except OSError:  # vanished while walking (an editor's temporary file)
                continue
            rows.append(f"{(rel / name).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}")
    installed = Path(sys.prefix) / "bin" / ".installed"
    if installed.is_file():
        rows.append(f"<venv>\0{installed.stat().st_mtime_ns}")
    rows.append(f"<python>\0{sys.version}\0{BOOK_ARGS}")
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest(), len(rows)


def up_to_date(root: Path, digest: str) -> bool:
    stamp = root / STAMP
    return ((root / "_build" / "html" / "index.html").is_file() and stamp.is_file()
            and stamp.read_text(encoding="utf-8").strip() == digest)


def build_jobs() -> int:
    """How many processes Sphinx reads and writes pages with: ``$TRUSTLAB_BUILD_JOBS``, else
    one per core (at most 4). Reading a page executes it, so on two cores two kernels run at
    once and a cold build takes about half as long."""
    value = os.environ.get("TRUSTLAB_BUILD_JOBS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            print(f"TRUSTLAB_BUILD_JOBS={value!r} is not a whole number; building with one "
                  "process.", file=sys.stderr)
            return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))


SPANISH_OUT = Path("_build") / "es" / "html"   # built here, then copied to _build/html/es
SPANISH_IN_BOOK = Path("_build") / "html" / "es"


def run_jupyter_book(edition: str = "en") -> int:
    import jupyter_book.sphinx as jbsphinx
    from jupyter_book.cli.main import main as jb

    # The jupyter-book command line has no -j option; its build function (which the command
    # imports when it runs) has one.
    original = jbsphinx.build_sphinx
    jobs = build_jobs()

    def build_sphinx(sourcedir, outputdir, *args, **kwargs):
        kwargs["jobs"] = jobs
        if edition != "en":
            outputdir = ROOT / SPANISH_OUT
            kwargs["confoverrides"] = {
                **(kwargs.get("confoverrides") or {}), "language": edition,
                # one cache for both editions (see the module's docstring)
                "nb_execution_cache_path": str(ROOT / "_build" / ".jupyter_cache")}
        return original(sourcedir, outputdir, *args, **kwargs)

    jbsphinx.build_sphinx = build_sphinx
    try:
        jb(BOOK_ARGS, standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    except Exception as err:  # click reports usage errors as exceptions here
        print(f"The book build stopped: {err}", file=sys.stderr)
        return 1
    finally:
        jbsphinx.build_sphinx = original
    if edition != "en":
        sync_tree(ROOT / SPANISH_OUT, ROOT / SPANISH_IN_BOOK)
    return 0


def sync_tree(src: Path, dst: Path) -> int:
    """Make ``dst`` a copy of ``src``, copying only files whose size or time differ and
    deleting what ``src`` no longer has. Returns how many files were copied."""
    copied = 0
    keep: set[Path] = set()
    for folder, _dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        keep.add(dst / rel)
        for name in files:
            a, b = Path(folder) / name, dst / rel / name
            keep.add(b)
            sa = a.stat()
            try:
                sb = b.stat()
                same = sb.st_size == sa.st_size and sb.st_mtime_ns == sa.st_mtime_ns
            except OSError:
                same = False
            if not same:
                shutil.copy2(a, b)
                copied += 1
    for folder, _dirs, files in os.walk(dst, topdown=False):
        for name in files:
            if Path(folder) / name not in keep:
                (Path(folder) / name).unlink()
        if Path(folder) not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    return copied


def start_spanish(force: bool) -> subprocess.Popen:
    """The Spanish edition's build, in a second process (its output goes to a log file that
    is printed when it ends)."""
    log = ROOT / "_build" / "es" / "build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "w", encoding="utf-8")  # noqa: SIM115 (closed by finish_spanish)
    proc = subprocess.Popen([sys.executable, "-m", "trustlab.build", "--edition", "es"]
                            + (["--force"] if force else []),
                            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    proc.trustlab_log = (out, log)  # type: ignore[attr-defined]
    return proc


def finish_spanish(proc: subprocess.Popen) -> int:
    code = proc.wait()
    out, log = proc.trustlab_log  # type: ignore[attr-defined]
    out.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    print("\n=== The Spanish edition (_build/html/es) ===")
    if code == 0:
        lines = [ln for ln in text.splitlines() if "build succeeded" in ln or "WARNING:" in ln]
        print("\n".join(lines[-5:]) or "built.")
    else:
        print(text[-8000:])
        print(f"The Spanish edition's build failed (exit status {code}); its whole log is "
              f"{log}.")
    return code


def build_both(force: bool = False) -> int:
    """Both editions at once: Spanish in a second process, English in this one."""
    spanish = start_spanish(force)
    code = 1
    try:
        code = run_jupyter_book("en")
    finally:
        es_code = finish_spanish(spanish)
    return code or es_code


def translation_report() -> None:
    """How many messages of the translated pages are missing from, or fuzzy in, the Spanish
    catalogues (the tests fail on any)."""
    from . import i18n

    try:
        problems = i18n.edition_problems(ROOT)
    except Exception as e:  # a report, never a reason to fail the build
        print(f"(The translation report could not be made: {e})")
        return
    if problems:
        print(f"\nThe Spanish edition lacks {len(problems)} translation(s); those passages "
              "show in English. Run `make translations` (marks changed messages fuzzy), "
              "translate them in locales/es/LC_MESSAGES, then make book. The first:")
        for p in problems[:5]:
            print("  " + p)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trustlab.build",
        description="Build the HTML book strictly; skip the build when nothing changed.")
    parser.add_argument("--force", action="store_true", help="build even if nothing changed")
    parser.add_argument("--check", action="store_true",
                        help="only say whether a build is needed (exit status 1 if it is)")
    parser.add_argument("--edition", choices=["en", "es"],
                        help="build one edition only (default: both)")
    args = parser.parse_args(argv)
    if args.edition:
        return run_jupyter_book(args.edition)
    start = time.perf_counter()
    digest, count = inputs_digest(ROOT)
    if not args.force and up_to_date(ROOT, digest):
        print(f"Nothing changed since the last build ({count} files checked in "
              f"{time.perf_counter() - start:.2f} s): _build/html is current. "
              "To build anyway: make book FORCE=1")
        return 0
    if args.check:
        print("A build is needed: a file the book is built from changed since the last build.")
        return 1
    (ROOT / STAMP).unlink(missing_ok=True)
    code = build_both(args.force)
    if code == 0:
        translation_report()
        # The inputs as they were when the build started: an edit made during the build makes
        # the next build run.
        (ROOT / STAMP).write_text(digest + "\n", encoding="utf-8")
    return code


def leave(code: int) -> None:
    """Exit without Python's teardown: freeing every object of a Sphinx build took 0.4 s, a
    seventh of a one-page rebuild. Sphinx has written and closed every file by now, and its
    page readers and writers have ended; only the console is left to flush."""
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    leave(main())
