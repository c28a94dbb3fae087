"""Command line: ``python -m trustlab <command>``.

Commands print a clear message and exit with status 2 on bad input (no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    from . import data

    bad = 0
    for name, problems in data.validate_all().items():
        if problems:
            bad += 1
            print(f"{name}: {len(problems)} problem(s)")
            for p in problems[:20]:
                print(f"  - {p}")
        else:
            print(f"{name}: ok ({len(data.load(name)):,} rows)")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .data import DataError
    from .exercises import ExerciseError

    try:
        return args.func(args)
    except (DataError, ExerciseError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
