"""The ``trustlab`` command (also ``python -m trustlab``). Commands print a clear message and
exit with status 2 on bad input (no traceback)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    """Every dataset, the package itself (unlisted CSV files, broken entries) and the
    cross-dataset consistency rules; one line per problem; exit 2 if anything is wrong."""
    from . import data
    from .ice import recover

    recover(data.data_dir(), say=print)  # an interrupted refresh-287g: restore the old set

    bad = 0
    for name, problems in data.validate_all().items():
        if problems:
            bad += 1
            print(f"{name}: {len(problems)} problem(s)")
            for p in problems[:20]:
                print(f"  - {p.with_file()}")
            if len(problems) > 20:
                print(f"  ... and {len(problems) - 20} more.")
        elif name == data.RULES_KEY:
            print(f"{name}: ok ({len(data.rules())} rules hold)")
        elif name == data.PACKAGE_KEY:
            print(f"{name}: ok (every CSV file is listed)")
        else:
            print(f"{name}: ok ({len(data._table(name).records):,} rows)")
    if bad:
        print(f"validation failed: {bad} part(s) with problems (see above).", file=sys.stderr)
    return 2 if bad else 0


def _exercises(args: argparse.Namespace) -> int:
    from .exercises import class_set, generate

    if args.class_key:
        out = Path(args.out or "class-set")
        written = class_set(Path(args.class_key), out)
        print(f"wrote the class's variant of every set: {len(written)} files in {out}/")
        print(f"  hand out:  {out}/student/ (each notebook with its _checks.py file)")
        print(f"  keep:      {out}/keys/ (answer keys of this variant) and the class key "
              f"{args.class_key}")
        print("Grade with the same key:  python -m trustlab grade SET submissions/*.ipynb "
              f"--class-key {args.class_key}")
        return 0
    if args.out:
        print("error: --out needs --class-key (the public set is always written to "
              "exercises/).", file=sys.stderr)
        return 2
    generate()
    return 0


def _class_key(args: argparse.Namespace) -> int:
    from .exercises import new_class_key

    new_class_key(Path(args.file))
    print(f"wrote a new class key to {args.file} (readable only by you). Keep it private and "
          "keep it for the whole term: the class's exercise variants and their grading depend "
          "on it.")
    return 0


class _Progress:
    """A progress bar on a terminal (stderr) and one line per finished submission."""

    def __init__(self, total: int):
        self.total = total
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()

    def __call__(self, result, done: int, total: int) -> None:
        from .gradebook import summary_line

        if self.tty:
            sys.stderr.write("\r\033[K")
        print(f"[{done}/{total}] {summary_line(result)}", flush=True)
        if self.tty and done < total:
            width = 30
            filled = int(width * done / total)
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                             f"{elapsed:.0f} s")
            sys.stderr.flush()


def _grade(args: argparse.Namespace) -> int:
    from .exercises import ExerciseError, load_exercise, read_class_key
    from .gradebook import write_canvas_csv, write_feedback, write_generic_csv, write_grades_csv
    from .grading import Limits, grade_all
    from .sandbox import exposed, landlock_status

    subs = [Path(p) for p in args.submissions]
    missing = [str(p) for p in subs if not p.is_file()]
    if missing:
        raise ExerciseError(f"these submissions are not files: {', '.join(missing[:5])}"
                            + (" ..." if len(missing) > 5 else ""))
    key = read_class_key(Path(args.class_key)) if args.class_key else None
    ex = load_exercise(args.exercise, key)
    limits = Limits(cell_seconds=args.cell_timeout, submission_seconds=args.timeout,
                    memory_mb=args.memory, max_procs=args.max_procs)
    notice = landlock_status()
    if notice:
        print(f"notice: {notice}", file=sys.stderr)
    from .exercises import ROOT

    for path in exposed(ROOT, [Path(args.class_key)] if args.class_key else []):
        print(f"notice: submissions can read {path}: the sandbox must let them read that "
              "folder. Move the course folder or the class key elsewhere (e.g. your home) to "
              "hide it.", file=sys.stderr)
    what = f"class variant {ex.variant.id}" if ex.variant.id else "the public set"
    print(f"Grading {len(subs)} submission(s) of {args.exercise} ({what}), {args.jobs} at a "
          f"time; limits: {limits.cell_seconds:g} s per cell, {limits.submission_seconds:g} s "
          f"per submission, {limits.memory_mb} MB.", flush=True)
    t0 = time.monotonic()
    results = []
    try:
        results = grade_all(ex, subs, limits, jobs=args.jobs, on_done=_Progress(len(subs)))
    finally:  # even after Ctrl-C, keep what was graded
        if results:
            write_grades_csv(results, Path(args.out), ex.order)
    elapsed = time.monotonic() - t0
    print(f"scores written to {args.out} ({elapsed:.1f} s in all, "
          f"{elapsed / max(len(subs), 1):.1f} s per submission)")
    possible = sum(results[0].questions[i].possible for i in range(len(ex.order))) \
        if results and results[0].questions else 0
    if args.canvas:
        warnings = write_canvas_csv(results, Path(args.canvas), args.assignment or args.exercise,
                                    possible, roster=args.roster)
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"Canvas gradebook import written to {args.canvas}")
    if args.gradebook:
        write_generic_csv(results, Path(args.gradebook), args.assignment or args.exercise)
        print(f"gradebook file written to {args.gradebook}")
    if args.feedback:
        files = write_feedback(results, Path(args.feedback), fmt=args.feedback_format)
        print(f"feedback for each student written to {args.feedback}/ ({len(files)} files)")
    problems = [r for r in results if r.error]
    if problems:
        print(f"{len(problems)} submission(s) could not be fully graded: see the 'problem' "
              f"column of {args.out}.")
    return 0


def _hash(args: argparse.Namespace) -> int:
    from .checks import digest

    value: object = args.value
    for conv in (int, float):
        try:
            value = conv(args.value)
            break
        except ValueError:
            continue
    print(digest(value, args.round))
    return 0


def _date_arg(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date in the form YYYY-MM-DD (e.g. 2025-07-18)") from None


def _refresh_287g(args: argparse.Namespace) -> int:
    from .ice import refresh

    edition = "" if args.edition == "none" else args.edition
    result = refresh(args.path, out=args.out, as_of=args.as_of, edition=edition,
                     dry_run=args.dry_run, snapshot_only=args.snapshot_only,
                     source=args.source, force=args.force, note=args.note,
                     say=lambda line: print(line, file=sys.stderr))
    print(result.summary)
    if result.dry_run:
        print("Dry run: nothing was written.")
    else:
        print("The tables pass validation. Check the warnings above (if any), then commit "
              "the datasets/ changes.")
    return 0


def _update_287g(args: argparse.Namespace) -> int:
    from .update import EXIT_CHANGED, EXIT_CHECKS_FAILED, EXIT_UNCHANGED, checks, update

    result = update(out=args.out, page_url=args.page_url, url=args.url, keep=args.keep,
                    force=args.force, dry_run=args.dry_run, note=args.note,
                    summary_copy=args.summary_copy,
                    say=lambda line: print(line, file=sys.stderr))
    if not result.changed:
        print(result.message)
        return EXIT_UNCHANGED
    print(result.message)
    print()
    print(result.summary)
    if args.dry_run:
        return EXIT_CHANGED
    failed = list(result.failed)
    if not failed:
        print(f"Summary written to {result.summary_path}")
    if args.rebuild or args.test:
        from .paths import course_root

        failed += checks(course_root(), args.rebuild, args.test,
                         say=lambda line: print(line, file=sys.stderr))
    if failed:
        print(f"error: the tables were updated, but these steps failed: {'; '.join(failed)}. "
              "See their output above.", file=sys.stderr)
        return EXIT_CHECKS_FAILED
    return EXIT_CHANGED


def _assign(args: argparse.Namespace) -> int:
    from .assign import available, find

    names = available(args.kind) if args.name == "all" else [args.name]
    for name in names:
        item = find(args.kind, name)
        link = item.link(args.hub, args.repo, args.branch, args.folder, args.app)
        print(f"{item.title}: {link}" if len(names) > 1 else link)
    if len(names) == 1 and sys.stdout.isatty():
        print(f"(opens {item.path} in {args.app == 'lab' and 'JupyterLab' or 'Notebook'}; the "
              "first click copies the course into the student's home folder)", file=sys.stderr)
    return 0


DESCRIPTION = """\
Tools for the Trust & Enforcement course: check the datasets, make and grade the exercise
sets, hand out assignments on a JupyterHub, and refresh the 287(g) tables.
Run `trustlab COMMAND -h` for a command's options and an example."""

EXAMPLES = """\
examples:
  trustlab validate
  trustlab assign exercise 03-crime --hub https://hub.example.edu \\
      --repo https://github.com/OWNER/trust-enforcement
  trustlab grade 03-crime submissions/*.ipynb --out grades.csv --feedback feedback/

Set TRUSTLAB_COURSE to the course folder when trustlab is installed on its own and you run it
from elsewhere. TRUSTLAB_DEBUG=1 shows the traceback of an unexpected error."""


def _command(sub, name: str, help: str, description: str, example: str, **kw):
    """A subcommand with a description and an example in its help."""
    import textwrap

    return sub.add_parser(name, help=help, description=textwrap.fill(description, 79),
                          epilog=f"example:\n  {example}",
                          formatter_class=argparse.RawDescriptionHelpFormatter, **kw)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .assign import APPS

    parser = argparse.ArgumentParser(prog="trustlab", description=DESCRIPTION, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"trustlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = _command(sub, "validate", "check every dataset, its sources and the rules across them",
                 "Check every CSV file in datasets/ against its schema in datapackage.json, that "
                 "every row cites a source in references.bib, and the rules that tie the "
                 "datasets together. One line per problem; exit status 2 if any.",
                 "trustlab validate")
    p.set_defaults(func=_validate)
    p = _command(sub, "exercises", "write the student notebooks, answer keys and checks",
                 "Without options: write the public self-study set to exercises/student/ "
                 "(never over a notebook a student changed) and keys to exercises/dist/. With "
                 "--class-key: write your class's variant of every set to --out.",
                 "trustlab exercises --class-key ~/course.key --out class-set")
    p.add_argument("--class-key", default=None, metavar="FILE",
                   help="your class key (make one with `python -m trustlab class-key FILE`)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the class's variant (default: class-set)")
    p.set_defaults(func=_exercises)
    p = _command(sub, "class-key", "create a private class key for exercise variants",
                 "Write a new random class key to FILE (readable only by you). The key decides "
                 "your class's variant of every exercise set, so keep it for the whole term.",
                 "trustlab class-key ~/course.key")
    p.add_argument("file", help="where to write the key (never overwritten)")
    p.set_defaults(func=_class_key)
    p = _command(
        sub, "grade", "grade submitted notebooks (sandboxed) with public and hidden checks",
        "Run each submission in its own sandboxed kernel, score it with the public and hidden "
        "checks, and write the grades. A damaged file, a hang or a crash costs only what "
        "depends on it; the grades file is always written.",
        "trustlab grade 03-crime submissions/*.ipynb --out grades.csv --feedback feedback/")
    p.add_argument("exercise", help="exercise name, e.g. 00-getting-started")
    p.add_argument("submissions", nargs="+", help="submitted .ipynb files")
    p.add_argument("--out", default="grades.csv", help="CSV file for the scores (default: "
                                                       "%(default)s)")
    p.add_argument("--class-key", default=None, metavar="FILE",
                   help="the class key the students' variant was made with")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="submissions graded at the same time (default: %(default)s)")
    p.add_argument("--cell-timeout", type=float, default=60, metavar="S",
                   help="seconds one cell may run (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=600, metavar="S",
                   help="seconds one submission may take in all (default: %(default)s)")
    p.add_argument("--memory", type=int, default=4096, metavar="MB",
                   help="memory (address space) of a submission's kernel (default: %(default)s)")
    p.add_argument("--max-procs", type=int, default=64, metavar="N",
                   help="processes a submission may run at once (default: %(default)s)")
    p.add_argument("--feedback", default=None, metavar="DIR",
                   help="also write one feedback file per student to DIR")
    p.add_argument("--feedback-format", choices=["md", "html"], default="html")
    p.add_argument("--canvas", default=None, metavar="FILE",
                   help="also write a Canvas gradebook-import CSV")
    p.add_argument("--roster", default=None, metavar="FILE",
                   help="Canvas gradebook export, to match students in --canvas")
    p.add_argument("--gradebook", default=None, metavar="FILE",
                   help="also write the generic gradebook CSV (see exercises/README.md)")
    p.add_argument("--assignment", default=None, metavar="NAME",
                   help="assignment name in the gradebook files (default: the exercise)")
    p.set_defaults(func=_grade)
    p = _command(sub, "hash", "print the digest of an answer, for writing check files",
                 "Print the digest that a check file stores instead of the answer itself, so "
                 "that students who read the checks do not see the answer.",
                 "trustlab hash 135 --round 0")
    p.add_argument("value", help="the answer: a number or a text")
    p.add_argument("--round", type=int, default=None, help="round numbers to N digits first")
    p.set_defaults(func=_hash)
    p = _command(
        sub, "assign", "print the link that opens a lab or exercise set for a JupyterHub class",
        "Print an nbgitpuller link for your hub. Post it in your course page: a student who "
        "follows it logs in to the hub, gets the course repository copied (the first time) "
        "or updated (without losing their own changes) in their home folder, and lands in "
        "the notebook. The hub's student image needs nbgitpuller (binder/ installs it).",
        "trustlab assign exercise 03-crime --hub https://hub.example.edu "
        "--repo https://github.com/OWNER/trust-enforcement\n"
        "  trustlab assign lab 3 --hub https://hub.example.edu --repo URL --branch fall-2026\n"
        "  trustlab assign exercise all --hub https://hub.example.edu --repo URL")
    p.add_argument("kind", choices=["lab", "exercise"],
                   help="a chapter's data lab (notebooks/) or an exercise set "
                        "(exercises/student/)")
    p.add_argument("name", help="its number (3) or name (03-crime); 'all' for one link each")
    p.add_argument("--hub", required=True, metavar="URL",
                   help="the hub's address as students open it")
    p.add_argument("--repo", required=True, metavar="URL",
                   help="the course repository students pull from (a git URL)")
    p.add_argument("--branch", default="main", help="its branch (default: %(default)s)")
    p.add_argument("--folder", default=None, metavar="NAME",
                   help="folder made in each student's home (default: the repository's name)")
    p.add_argument("--app", choices=sorted(APPS), default="lab",
                   help="open it in JupyterLab or the classic Notebook (default: %(default)s)")
    p.set_defaults(func=_assign)
    from .ice import MAX_DROP_SHARE, MAX_STATES_LOST

    p = _command(
        sub, "refresh-287g",
        "regenerate the 287(g) tables from ICE's participating-agencies workbook",
        example="trustlab refresh-287g participatingAgencies07182025pm.xlsx --dry-run",
        description="Read ICE's 287(g) participating-agencies workbook (.xlsx, as downloaded "
                    "from https://www.ice.gov/identify-and-arrest/287g), repair its known "
                    "quirks, and rewrite datasets/agreements_287g.csv, agreements_by_state.csv,"
                    " agreements_signed_by_month.csv and the workbook's row of "
                    "ice_snapshots.csv. Every repair is reported. All or nothing: the "
                    "whole data package is validated with the new tables in place before "
                    "they replace the old ones, and an interrupted run is rolled back by "
                    "the next refresh-287g or validate.")
    p.add_argument("path", help="the workbook, e.g. participatingAgencies07182025pm.xlsx")
    p.add_argument("--as-of", type=_date_arg, default=None, metavar="YYYY-MM-DD",
                   help="date of ICE's list (default: from ICE's file name)")
    p.add_argument("--edition", choices=["am", "pm", "none"], default=None,
                   help="ICE's am/pm edition of that day, or none when the list has no edition "
                        "(default: from the file name)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder to write the tables to (default: the course's datasets/)")
    p.add_argument("--dry-run", action="store_true",
                   help="read, repair, validate and report, but write nothing")
    p.add_argument("--snapshot-only", action="store_true",
                   help="only add/update the workbook's row in ice_snapshots.csv (for an "
                        "older workbook)")
    p.add_argument("--source", default="ice2025participating", metavar="BIBKEY",
                   help="references.bib key cited in the rows (default: %(default)s)")
    p.add_argument("--note", default="", metavar="TEXT",
                   help="text appended to the workbook's notes in ice_snapshots.csv (e.g. "
                        "where the file was archived)")
    p.add_argument("--force", action="store_true",
                   help="write the tables even if they look implausible: more than "
                        f"{MAX_DROP_SHARE * 100:.0f}%% fewer agreements or more than "
                        f"{MAX_STATES_LOST} states fewer than the previous snapshot, a list "
                        "dated after today (the tables must still pass validation; an "
                        "empty table is never written)")
    p.set_defaults(func=_refresh_287g)

    from .update import DEFAULT_PAGE, PAGE_ENV, URL_ENV

    p = sub.add_parser(
        "update-287g",
        help="download ICE's newest 287(g) workbook, refresh the tables if it changed, and "
             "write a dated summary of what changed",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fetch ICE's 287(g) page, download the newest participating-agencies "
                    "workbook it links, and compare it with the course's list. If ICE's "
                    "list holds other agreements, run refresh-287g on it (all or nothing, "
                    "with its plausibility guards) and write datasets/updates/<date>-<am|pm>"
                    ".md: counts by model and by state before and after, and the agreements "
                    "added, removed or changed.",
        epilog="exit status:\n"
               "  0  the tables were updated (or would be, with --dry-run)\n"
               "  3  ICE's list is unchanged (or older than the course's): nothing was "
               "written\n"
               "  2  refused or failed (download, damaged or implausible workbook, "
               "validation): nothing was changed\n"
               "  4  the tables were updated, but writing the summary, --rebuild or "
               "--test failed\n"
               "  1  a bug in trustlab\n\n"
               "The download must reach ICE's site: do not run it with TRUSTLAB_OFFLINE=1 "
               "(make update-287g does not).\n\n"
               "example:\n  trustlab update-287g --dry-run")
    p.add_argument("--page-url", default=None, metavar="URL",
                   help=f"the page that links the workbook (default: ${PAGE_ENV}, else "
                        f"{DEFAULT_PAGE})")
    p.add_argument("--url", default=None, metavar="URL",
                   help=f"download this workbook instead of looking on the page (default: "
                        f"${URL_ENV})")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder of the tables (default: the course's datasets/)")
    p.add_argument("--keep", default=None, metavar="DIR",
                   help="also save the downloaded workbook in DIR (e.g. to archive it)")
    p.add_argument("--note", default=None, metavar="TEXT",
                   help="notes for the workbook's row of ice_snapshots.csv (default: where "
                        "and when it was downloaded)")
    p.add_argument("--summary-copy", default=None, metavar="FILE",
                   help="also write the summary to FILE (e.g. a pull request's body)")
    p.add_argument("--dry-run", action="store_true",
                   help="download, compare, validate and print the summary; write nothing")
    p.add_argument("--force", action="store_true",
                   help="override refresh-287g's plausibility guards (see refresh-287g -h)")
    p.add_argument("--rebuild", action="store_true",
                   help="after an update, re-execute the data labs and rebuild the book")
    p.add_argument("--test", action="store_true",
                   help="after an update, run the data tests (tests/test_data.py, "
                        "test_ice.py, test_validator.py, test_update.py)")
    p.set_defaults(func=_update_287g)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .data import DataError
    from .exercises import ExerciseError
    from .gradebook import GradebookError

    try:
        return args.func(args)
    except (DataError, ExerciseError, GradebookError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except OSError as exc:  # disk full, permission denied, a file where a folder should be
        from .ice import describe_os_error

        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so in one line (TRUSTLAB_DEBUG=1 shows the stack)
        if os.environ.get("TRUSTLAB_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc}. This is a bug in trustlab; "
              "please report it with the command you ran (set TRUSTLAB_DEBUG=1 to see the "
              "traceback).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
