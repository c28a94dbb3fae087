"""Keep the Spanish catalogues in step with the English sources (``make translations``).

``python -m trustlab.translations update`` (after an English build, which writes each page's
message template to ``_build/gettext``):

* extracts the course package's own messages (chart titles, axis titles, descriptions, live
  summaries, the labels the book puts around a chart) from ``trustlab/**/*.py``: every string
  passed to ``t(...)``, ``_(...)`` or ``N_(...)``, and the values of the data columns a chart
  module lists in its ``TRANSLATED_DATA`` (category names the chart shows);
* merges every template into its catalogue under ``locales/es/LC_MESSAGES``: a new message is
  added untranslated, a changed one keeps its old translation marked ``#, fuzzy`` (the tests
  fail until a translator checks it and removes the flag), a removed one is kept as obsolete
  (``#~``) for reference.

``python -m trustlab.translations check`` reports every problem (untranslated, fuzzy,
missing, markup lost) of the translated pages and of the package catalogues, naming the
file, line and message; exit status 1 if there is any.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from . import i18n
from .paths import course_root

KEYWORDS = {"t": None, "_": None, "N_": None}
LANG = "es"


def package_templates(root: Path, only: str | None = None) -> dict[str, list[str]]:
    """Catalogue name (``trustlab/<module>``) -> the messages of that module, in order."""
    from babel.messages.extract import extract_from_file

    pkg = root / "trustlab"
    out: dict[str, list[str]] = {}
    for path in sorted(pkg.rglob("*.py")):
        if "translator(" not in path.read_text(encoding="utf-8") or path.name == "i18n.py":
            continue  # only modules that translate their messages
        rel = path.relative_to(pkg).with_suffix("")
        name = "trustlab/" + "-".join(rel.parts)
        if only is not None and name != only:
            continue
        seen: dict[str, None] = {}
        for _lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS):
            for m in message if isinstance(message, tuple) else (message,):
                if m:
                    seen.setdefault(m, None)
        if rel.parts == ("charts", "base"):
            # the source lines under charts: the data package's source titles
            from . import data

            for res in data.package().get("resources", []):
                for src in res.get("sources", []):
                    if src.get("title"):
                        seen.setdefault(src["title"], None)
        if rel.parts[0] == "charts":
            module = importlib.import_module("trustlab." + ".".join(rel.parts))
            for dataset, columns in getattr(module, "TRANSLATED_DATA", {}).items():
                from . import data

                frame = data.load(dataset)
                for col in columns:
                    for v in frame[col].dropna().astype(str):
                        if v.strip():
                            seen.setdefault(v, None)
        if seen:
            out[name] = list(seen)
    return out


def page_templates(root: Path) -> dict[str, list[str]]:
    out = {}
    for doc in i18n.TRANSLATED:
        pot = root / "_build" / "gettext" / f"{doc}.pot"
        if not pot.is_file():
            raise SystemExit(f"{pot} is missing: build the English edition first (make book), "
                             "which writes each page's messages there.")
        out[doc] = [e.msgid for e in i18n.read_po(pot)]
    return out


def merge(po: Path, messages: list[str]) -> tuple[int, int]:
    """Bring catalogue ``po`` in step with ``messages``; (new, fuzzy) counts. Writes through a
    temporary file, so a failure never leaves half a catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = Catalog(locale=None, project="Trust & Enforcement")
    for m in messages:
        template.add(m)
    if po.is_file():
        with open(po, "rb") as f:
            catalog = read_po(f, locale=LANG)
    else:
        catalog = Catalog(locale=LANG, project="Trust & Enforcement")
    before = {m.id for m in catalog if m.id}
    state = sorted((m.id, m.string, m.fuzzy) for m in catalog if m.id)
    catalog.update(template, no_fuzzy_matching=False)
    if po.is_file() and sorted((m.id, m.string, m.fuzzy) for m in catalog if m.id) == state \
            and not catalog.obsolete:
        return 0, 0  # nothing to change: leave the file (and its dates) as it is
    catalog.fuzzy = False
    catalog.project, catalog.version = "Trust & Enforcement", ""
    catalog.language_team = "Spanish <es>"
    new = sum(1 for m in catalog if m.id and m.id not in before and not m.fuzzy)
    fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
    po.parent.mkdir(parents=True, exist_ok=True)
    tmp = po.with_suffix(".po.tmp")
    with open(tmp, "wb") as f:
        write_po(f, catalog, width=0, no_location=True, omit_header=False)
    tmp.replace(po)
    return new, fuzzy


def update(root: Path, only: str | None = None) -> int:
    templates = {**page_templates(root), **package_templates(root)} if only is None else \
        package_templates(root, only)
    for name, messages in templates.items():
        po = root / "locales" / LANG / "LC_MESSAGES" / f"{name}.po"
        new, fuzzy = merge(po, messages)
        if new or fuzzy:
            print(f"{po.relative_to(root)}: {new} new, {fuzzy} fuzzy")
    print(f"{len(templates)} catalogue(s) brought up to date.")
    return 0


def check(root: Path) -> list[str]:
    problems = i18n.edition_problems(root, LANG)
    for name, messages in package_templates(root).items():
        po = root / "locales" / LANG / "LC_MESSAGES" / f"{name}.po"
        if not po.is_file():
            problems.append(f"{po}: missing (run `make translations` to start it)")
            continue
        problems += i18n.catalog_problems(po, messages)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trustlab.translations",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("update", help="merge the English messages into the catalogues")
    up.add_argument("--only", help="one package catalogue, e.g. trustlab/charts-history")
    sub.add_parser("check", help="report untranslated, fuzzy or missing messages")
    args = parser.parse_args(argv)
    root = course_root()
    if args.cmd == "update":
        return update(root, args.only)
    problems = check(root)
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
