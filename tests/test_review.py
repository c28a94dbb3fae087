"""The recorded 2026 review: its CSVs keep their format, and a broken one is refused clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trustlab import data, review

EXPECTED_PARTS = {"01-history", "02-program", "03-crime", "04-trust", "05-practices",
                  "reference-pages"}


def test_every_part_of_the_book_has_a_review_table():
    rows = review.load()
    parts = {r.part for r in rows}
    assert parts == EXPECTED_PARTS
    for p in EXPECTED_PARTS:
        assert sum(r.part == p for r in rows) >= 20, f"only a few claims checked in {p}"


def test_review_rows_point_at_real_files_and_known_sources():
    root = Path(review.__file__).resolve().parent.parent
    keys = data.bib_keys() | set(data.names())
    for r in review.load():
        path = r.where.split()[0].split("§")[0].strip(" ,;:")
        assert (root / path).exists(), f"{r.part}.csv line {r.line}: no file {path!r}"
        named = [t.strip(" ,;.()") for t in r.source_checked.replace(";", " ").split()]
        cited = [t for t in named if t in keys]
        # every row names a bibliography key, a dataset, or a document in words
        assert cited or len(r.source_checked) > 12, f"{r.part}.csv line {r.line}"


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "review"
    shutil.copytree(review.review_dir(), dst, ignore=shutil.ignore_patterns("*.txt"))
    return dst


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("claim,where,", "claim,place,", 1), r"row 1: the header"),
    (lambda t: t + '"A claim",book/intro.md,somebody2020,approved,none\n',
     r"column verdict: 'approved' is not one of"),
    (lambda t: t + '"A claim",book/intro.md,,correct,none\n', r"column source_checked: empty"),
    (lambda t: t + '"A claim",book/intro.md,somebody2020,corrected,none\n',
     r"column change: the verdict is 'corrected' but the change is 'none'"),
    (lambda t: t + 'A claim, with a comma,book/intro.md,x2020,correct,none\n',
     r"6 cells, expected 5"),
])
def test_a_malformed_review_file_is_refused_naming_file_line_and_column(tmp_path, edit, message):
    folder = _copy(tmp_path)
    f = folder / "02-program.csv"
    f.write_text(edit(f.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(review.ReviewError, match=message) as e:
        review.load(folder)
    assert "review/02-program.csv" in str(e.value)


def test_review_page_text_has_a_table_per_part_and_links_bibliography_keys():
    text = review.review_markdown()
    for p in EXPECTED_PARTS:
        assert f"(review-{p})=" in text
    assert "{cite:t}`" in text
    total = len(review.load())
    assert f"* - All parts\n  - {total}\n" in text
    correct = sum(r.verdict == "correct" for r in review.load())
    unverifiable = sum(r.verdict == "unverifiable" for r in review.load())
    assert (f"* - All parts\n  - {total}\n  - {correct}\n  - {total - correct - unverifiable}\n"
            f"  - {unverifiable}\n") in text


def test_a_cell_starting_like_a_list_item_stays_one_cell():
    assert review._cell("- 5 agencies", set()) == "\\- 5 agencies"
    assert review._cell("1. first", set()) == "\\1. first"
    assert review._cell("see smith2020 and x", {"smith2020"}) == "see {cite:t}`smith2020` and x"


def test_review_page_is_built_with_every_row_and_linked_from_the_data_appendix(built_book):
    html = (built_book / "book/appendix/review-2026.html").read_text(encoding="utf-8")
    rows = review.load()
    for p in EXPECTED_PARTS:
        assert f'id="review-{p}"' in html
    # one <tr> per claim, plus a header row per part and the summary table's rows
    body_rows = html.count("<tr")
    assert body_rows >= len(rows) + len(EXPECTED_PARTS)
    assert "review-2026.html" in (built_book / "book/appendix/data.html").read_text(
        encoding="utf-8")
