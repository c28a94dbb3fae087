"""Command line: ``python -m trustlab <command>``.

Commands print a clear message and exit with status 2 on bad input (no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
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
    from .exercises import generate

    generate()
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .exercises import grade

    rows = grade(args.exercise, [Path(p) for p in args.submissions], Path(args.out))
    for r in rows:
        status = f"  ({r['error']})" if r.get("error") else ""
        print(f"{r['submission']}: {r.get('total', 0)}/{r.get('possible', 0)}{status}")
    print(f"scores written to {args.out}")
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

    result = refresh(args.path, out=args.out, as_of=args.as_of, edition=args.edition,
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
        failed += checks(Path(__file__).resolve().parent.parent, args.rebuild, args.test,
                         say=lambda line: print(line, file=sys.stderr))
    if failed:
        print(f"error: the tables were updated, but these steps failed: {'; '.join(failed)}. "
              "See their output above.", file=sys.stderr)
        return EXIT_CHECKS_FAILED
    return EXIT_CHANGED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trustlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="validate every dataset and its sources")
    p.set_defaults(func=_validate)
    p = sub.add_parser("exercises", help="generate student notebooks, keys and autograders")
    p.set_defaults(func=_exercises)
    p = sub.add_parser("grade", help="grade submitted notebooks with public and hidden checks")
    p.add_argument("exercise", help="exercise name, e.g. 00-getting-started")
    p.add_argument("submissions", nargs="+", help="submitted .ipynb files")
    p.add_argument("--out", default="grades.csv", help="CSV file for the scores")
    p.set_defaults(func=_grade)
    p = sub.add_parser("hash", help="digest of an answer, for check files")
    p.add_argument("value")
    p.add_argument("--round", type=int, default=None, help="round numbers to N digits first")
    p.set_defaults(func=_hash)
    from .ice import MAX_DROP_SHARE, MAX_STATES_LOST

    p = sub.add_parser(
        "refresh-287g",
        help="regenerate the 287(g) tables from ICE's participating-agencies workbook",
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
    p.add_argument("--edition", choices=["am", "pm", ""], default=None,
                   help="ICE's am/pm edition of that day (default: from the file name)")
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
               "(make update-287g does not).")
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

    try:
        return args.func(args)
    except (DataError, ExerciseError) as exc:
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
