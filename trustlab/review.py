"""The recorded claim-by-claim review of an edition (``book/appendix/review/*.csv``).

Each CSV holds one part of the book; each row one checked claim, with the columns
``claim, where, source_checked, verdict, change``. :func:`load` reads them all and refuses a
file that breaks the format with a message naming the file, row and column;
:func:`review_markdown` turns them into the MyST text of the review page (the book extension
expands ``<!-- trustlab:review -->`` with it).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ["claim", "where", "source_checked", "verdict", "change"]
VERDICTS = {
    "correct": "checked against its source and kept",
    "corrected": "wrong in the 2025 edition and corrected",
    "softened": "overstated in the 2025 edition and reworded",
    "context added": "right, but a careful reader needed more to weigh it",
    "outdated": "true when written, replaced by later figures or events",
    "unverifiable": "the source could not be read; the text now says so or hedges",
    "removed": "dropped from the text",
}
PARTS = {
    "01-history": "Chapter 1: history",
    "02-program": "Chapter 2: the 287(g) program",
    "03-crime": "Chapter 3: crime",
    "04-trust": "Chapter 4: trust",
    "05-practices": "Chapter 5: practices",
    "reference-pages": "Glossary, syllabus, introduction, instructor guide and data appendix",
}


def review_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "book" / "appendix" / "review"


class ReviewError(ValueError):
    """A review CSV that breaks the format; the message names the file, row and column."""


@dataclass(frozen=True)
class Row:
    part: str
    line: int
    claim: str
    where: str
    source_checked: str
    verdict: str
    change: str


def _read(path: Path) -> list[Row]:
    rel = f"{path.parent.name}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ReviewError(f"{rel}: not UTF-8 text (byte {e.start}). Save it as UTF-8.") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader, None)
        if header != COLUMNS:
            raise ReviewError(f"{rel} row 1: the header is {header!r}; it must be exactly "
                              f"{','.join(COLUMNS)}.")
        rows = []
        for cells in reader:
            n = reader.line_num
            if len(cells) != len(COLUMNS):
                raise ReviewError(f"{rel} line {n}: {len(cells)} cells, expected "
                                  f"{len(COLUMNS)}. Quote a cell that contains a comma.")
            cell = dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))
            for col in COLUMNS:
                if not cell[col]:
                    raise ReviewError(f"{rel} line {n}, column {col}: empty. Every column "
                                      "needs a value (write 'none' for no change).")
            if cell["verdict"] not in VERDICTS:
                raise ReviewError(f"{rel} line {n}, column verdict: {cell['verdict']!r} is "
                                  f"not one of {', '.join(VERDICTS)}.")
            if cell["verdict"] != "correct" and cell["change"].lower() == "none":
                raise ReviewError(f"{rel} line {n}, column change: the verdict is "
                                  f"{cell['verdict']!r} but the change is 'none'; say what "
                                  "the new edition does.")
            rows.append(Row(path.stem, n, **cell))
    except csv.Error as e:
        raise ReviewError(f"{rel} line {reader.line_num}: {e}") from None
    if not rows:
        raise ReviewError(f"{rel}: no rows under the header.")
    return rows


def load(folder: Path | None = None) -> list[Row]:
    """Every row of every review CSV, in part order; ReviewError on a malformed file."""
    folder = review_dir() if folder is None else folder
    files = sorted(folder.glob("*.csv"), key=lambda p: (p.stem not in PARTS, p.stem))
    out: list[Row] = []
    for f in files:
        out += _read(f)
    return out


def _cell(text: str, keys: set[str]) -> str:
    """One table cell: single line, bib keys turned into citations, MyST table syntax safe."""
    text = " ".join(text.split())

    def cite(m: re.Match) -> str:
        return f"{{cite:t}}`{m.group(0)}`" if m.group(0) in keys else m.group(0)

    text = re.sub(r"\b[a-z][a-z0-9]*\d{4}[a-z0-9]*\b", cite, text)
    # a cell that starts like a list item or heading would change the table's structure
    return re.sub(r"^([-*+#>]|\d+[.)])", r"\\\1", text)


def review_markdown(folder: Path | None = None) -> str:
    """MyST text: a summary of verdicts by part, then one table per part."""
    from . import data

    rows = load(folder)
    keys = set(data.bib_keys())
    parts = list(dict.fromkeys(r.part for r in rows))
    changed = [v for v in VERDICTS if v not in ("correct", "unverifiable")]
    out = [":::{list-table} Verdicts by part of the book", ":header-rows: 1", "",
           "* - Part", "  - Checked", "  - Correct", "  - Changed", "  - Unverifiable"]

    def counts(mine: list[Row]) -> list[str]:
        return [f"  - {len(mine)}", f"  - {sum(r.verdict == 'correct' for r in mine)}",
                f"  - {sum(r.verdict in changed for r in mine)}",
                f"  - {sum(r.verdict == 'unverifiable' for r in mine)}"]

    for p in parts:
        out += [f"* - {{ref}}`{PARTS.get(p, p)} <review-{p}>`",
                *counts([r for r in rows if r.part == p])]
    out += ["* - All parts", *counts(rows)]
    out += [":::", "", f"*Changed* counts the verdicts {', '.join(changed)}. What each verdict "
            "means:", ""]
    out += [f"- **{v}**: {meaning}." for v, meaning in VERDICTS.items()]
    out.append("")
    for p in parts:
        mine = [r for r in rows if r.part == p]
        tally = ", ".join(f"{n} {v}" for v in VERDICTS
                          if (n := sum(r.verdict == v for r in mine)))
        out += [f"(review-{p})=", f"## {PARTS.get(p, p)}", "",
                f"{len(mine)} claims checked: {tally}. File: "
                f"`book/appendix/review/{p}.csv`.", "",
                ":::{list-table}", ":header-rows: 1", ":widths: 30 16 18 10 26", "",
                "* - Claim (2025 edition)", "  - Where", "  - Source checked",
                "  - Verdict", "  - What the 2026 edition does"]
        for r in mine:
            out += [f"* - {_cell(r.claim, keys)}", f"  - {_cell(r.where, set())}",
                    f"  - {_cell(r.source_checked, keys)}", f"  - {r.verdict}",
                    f"  - {_cell(r.change, keys)}"]
        out += [":::", ""]
    return "\n".join(out)
