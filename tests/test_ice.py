"""ICE's 287(g) workbook: every known quirk is repaired and reported, bad input gets a clear
message, refresh-287g is all or nothing and refuses implausible lists, and it reproduces the
shipped tables byte for byte.

Two kinds of workbooks are read: small ones written here with openpyxl (one quirk each), and
excerpts of two real ICE editions copied cell for cell (tests/fixtures/ICE_EXCERPTS.md), read
on every run against expectations written by hand. (ICE's full workbooks are not shipped;
README.md, "Updating the 287(g) tables", says how to check the shipped tables against one.)
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from trustlab import data, ice
from trustlab.__main__ import main
from trustlab.data import DataError

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
HEADER = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA",
          "ADDENDUM"]
NAME = "participatingAgencies07182025pm.xlsx"  # ICE's file-name pattern: 18 July 2025, pm
CLEAN = ["TEXAS", "Harris County Sheriff's Office", "County", "Harris County",
         "Jail Enforcement Model", datetime(2025, 3, 4), "link", None]


def workbook(tmp_path: Path, rows: list[list], name: str = NAME, header=HEADER,
             above: list[list] | None = None, sheet: str = "Sheet1") -> Path:
    """Write a workbook in ICE's layout; Excel row 2 is the first data row (unless
    ``above`` adds rows before the header)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in above or []:
        ws.append(r)
    ws.append(header)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def row(**changes) -> list:
    cells = dict(zip(HEADER, CLEAN, strict=True))
    cells.update({k.replace("_", " "): v for k, v in changes.items()})
    return [cells[h] for h in HEADER]


def repairs_of(wb: ice.Workbook, excel_row: int) -> list[ice.Repair]:
    return [r for r in wb.repairs if r.row == excel_row]


# ------------------------------------------------------------------------------------------
# Dates of the list, from ICE's file names


def test_workbook_date_from_ice_file_names():
    assert ice.workbook_date("participatingAgencies07182025pm.xlsx") == (date(2025, 7, 18), "pm")
    assert ice.workbook_date("/x/participatingAgencies05162025am.xlsx") == (date(2025, 5, 16),
                                                                           "am")
    assert ice.workbook_date("participatingAgencies01022026.xlsx") == (date(2026, 1, 2), "")
    assert ice.workbook_date("287g list.xlsx") is None


def test_as_of_option_when_the_file_was_renamed(tmp_path):
    path = workbook(tmp_path, [row()], name="ice list.xlsx")
    with pytest.raises(DataError) as exc:
        ice.read_workbook(path)
    msg = str(exc.value)
    assert "ice list.xlsx" in msg and "--as-of" in msg and "participatingAgencies" in msg
    wb = ice.read_workbook(path, as_of=date(2025, 7, 18), edition="am")
    assert (wb.as_of, wb.edition) == (date(2025, 7, 18), "am")


# ------------------------------------------------------------------------------------------
# Each quirk of ICE's workbook is repaired, and reported


def test_clean_workbook_needs_no_repair(tmp_path):
    wb = ice.read_workbook(workbook(tmp_path, [row()]))
    assert wb.repairs == []
    (a,) = wb.agreements
    assert (a.state, a.agency, a.agency_type, a.county, a.model, a.signed, a.notes) == (
        "TX", "Harris County Sheriff's Office", "County", "Harris County",
        "Jail Enforcement Model", date(2025, 3, 4), "")


@pytest.mark.parametrize("cell, expected, why", [
    ("05/082025", date(2025, 5, 8), "slash missing before the year"),   # Campbell County, VA
    ("7/72025", date(2025, 7, 7), "slash missing before the year"),     # Tooele County, UT
    (datetime(5025, 7, 7), date(2025, 7, 7), "year typed as 5025"),     # Grundy County, TN
    ((date(2025, 5, 8) - date(1899, 12, 30)).days, date(2025, 5, 8), "Excel serial number"),
    ("2025-06-30", date(2025, 6, 30), "date typed as text"),
    ("6/30/2025", date(2025, 6, 30), "date typed as text"),
    ("6/30/25", date(2025, 6, 30), "two-digit year"),
    ("06302025", date(2025, 6, 30), "slashes missing"),
])
def test_malformed_signing_dates_are_repaired_and_reported(tmp_path, cell, expected, why):
    wb = ice.read_workbook(workbook(tmp_path, [row(), row(SIGNED=cell)]))
    assert wb.agreements[1].signed == expected
    (rep,) = repairs_of(wb, 3)
    assert (rep.row, rep.column, rep.after, rep.warning) == (3, "SIGNED", expected, False)
    assert why in rep.why
    before = cell.date() if isinstance(cell, datetime) else cell
    assert rep.before == before
    assert wb.agreements[1].repairs == [rep]
    # The row's repair text says what ICE's cell held, what it became and why.
    text = ice.agreements_rows(wb)[1]["repair"]
    assert text.startswith("SIGNED: ") and expected.isoformat() in text and why in text
    assert "row 3, SIGNED" in ice.report(wb)


def test_year_5025_is_not_repaired_into_the_future(tmp_path):
    # A list dated 1 July 2025 cannot hold an agreement signed on 7 July 2025.
    path = workbook(tmp_path, [row(SIGNED=datetime(5025, 7, 7))],
                    name="participatingAgencies07012025pm.xlsx")
    wb = ice.read_workbook(path)
    (a,) = wb.agreements  # the row is kept
    assert a.signed is None
    (rep,) = wb.warnings
    assert rep.warning and rep.after is None and rep.before == date(5025, 7, 7)
    assert "dated 2025-07-01" in rep.why and "left empty" in rep.why
    out = ice.agreements_rows(wb)[0]
    assert out["signed"] == "" and "5025-07-07" in out["repair"]
    assert "Warnings: 1" in ice.report(wb)


@pytest.mark.parametrize("cell, why", [
    ("soon", "not a date"),
    (None, "empty"),
    ("02/30/2025", "not a calendar date"),
    (datetime(2025, 12, 1), "after the workbook date"),
    (datetime(1990, 1, 1), "before 287(g) existed"),
])
def test_unusable_date_keeps_the_row_and_warns(tmp_path, cell, why):
    wb = ice.read_workbook(workbook(tmp_path, [row(SIGNED=cell), row()]))
    assert len(wb.agreements) == 2, "no row may be lost"
    assert wb.agreements[0].signed is None
    (rep,) = wb.warnings
    assert rep.row == 2 and rep.column == "SIGNED" and why in rep.why
    assert why in ice.agreements_rows(wb)[0]["repair"]
    months = ice.signed_by_month_rows(wb)
    assert sum(m["signed"] for m in months) == 1  # only the dated row is counted by month


def test_na_county_and_spaces_are_cleaned_and_reported(tmp_path):
    rows = [
        row(COUNTY="#N/A", TYPE="Municipality", LAW_ENFORCEMENT_AGENCY="Houston Police Department"),
        row(LAW_ENFORCEMENT_AGENCY="Grundy County Sheriff's Office ", COUNTY="Grundy  County "),
        row(LAW_ENFORCEMENT_AGENCY="Bay\xa0County Sheriff's Office", STATE=" TEXAS"),
        row(COUNTY="#NA", LAW_ENFORCEMENT_AGENCY="Greenwood Police Department"),  # ICE, LA
        row(COUNTY="#REF!", LAW_ENFORCEMENT_AGENCY="Kenner Police Department"),
    ]
    wb = ice.read_workbook(workbook(tmp_path, rows))
    a, b, c, d, e = wb.agreements
    assert a.county == "" and b.county == "Grundy County"
    assert b.agency == "Grundy County Sheriff's Office"
    assert c.agency == "Bay County Sheriff's Office"
    got = {(r.row, r.column): (r.before, r.after, r.why) for r in wb.repairs}
    assert got[(2, "COUNTY")] == ("#N/A", "", "ICE's #N/A placeholder for none")
    assert got[(5, "COUNTY")] == ("#NA", "", "ICE's #N/A placeholder for none, typed #NA")
    assert got[(6, "COUNTY")][1:] == (None, "Excel error value #REF!, not data; left empty")
    assert [r.row for r in wb.warnings] == [6]
    assert d.county == e.county == ""
    assert got[(3, "LAW ENFORCEMENT AGENCY")][:2] == ("Grundy County Sheriff's Office ",
                                                      "Grundy County Sheriff's Office")
    assert "trimmed" in got[(3, "LAW ENFORCEMENT AGENCY")][2]
    assert "double spaces" in got[(3, "COUNTY")][2]
    assert "non-breaking" in got[(4, "LAW ENFORCEMENT AGENCY")][2]
    assert (4, "STATE") in got


@pytest.mark.parametrize("cell, model", [
    ("Task Force Model ", "Task Force Model"),
    ("task force", "Task Force Model"),
    ("TFM", "Task Force Model"),
    ("Warrant Service Officer Model", "Warrant Service Officer"),
    ("WSO", "Warrant Service Officer"),
    ("Jail Enforcement Model ", "Jail Enforcement Model"),
    ("JEM", "Jail Enforcement Model"),
])
def test_model_name_variants_become_the_course_labels(tmp_path, cell, model):
    wb = ice.read_workbook(workbook(tmp_path, [row(SUPPORT_TYPE=cell)]))
    assert wb.agreements[0].model == model
    reps = [r for r in wb.repairs if r.column == "SUPPORT TYPE"]
    assert reps and reps[0].before == cell and reps[-1].after == model


def test_state_names_and_codes_map_to_usps(tmp_path):
    rows = [row(STATE="NORTH CAROLINA"), row(STATE="nc"), row(STATE="District of Columbia")]
    wb = ice.read_workbook(workbook(tmp_path, rows))
    assert [a.state for a in wb.agreements] == ["NC", "NC", "DC"]


def test_header_tolerates_case_spaces_and_a_title_row(tmp_path):
    header = [" state", "Law  Enforcement Agency ", "type", "County", "support type",
              "Signed", "moa"]
    path = workbook(tmp_path, [row()[:7]], header=header,
                    above=[["287(g) participating agencies"], []])
    wb = ice.read_workbook(path)
    assert len(wb.agreements) == 1 and wb.agreements[0].state == "TX"


def test_moa_and_addendum_become_notes_and_blank_rows_are_skipped(tmp_path):
    rows = [row(MOA="link pending "), row(ADDENDUM="link"), [None] * 8, [None] * 8]
    wb = ice.read_workbook(workbook(tmp_path, rows))
    assert [a.notes for a in wb.agreements] == [ice.NOTE_PENDING, ice.NOTE_ADDENDUM]


def test_duplicate_rows_are_kept_and_flagged(tmp_path):
    wb = ice.read_workbook(workbook(tmp_path, [row(), row()]))
    assert len(wb.agreements) == 2
    (w,) = wb.warnings
    assert w.row == 3 and "row 2" in w.why


def test_counts_tables_and_agencies(tmp_path):
    rows = [row(), row(SUPPORT_TYPE="Task Force Model", SIGNED=datetime(2025, 4, 1)),
            row(LAW_ENFORCEMENT_AGENCY="HARRIS COUNTY SHERIFF'S OFFICE",
                SUPPORT_TYPE="Warrant Service Officer"),
            row(STATE="FLORIDA", LAW_ENFORCEMENT_AGENCY="Bay County Sheriff's Office")]
    wb = ice.read_workbook(workbook(tmp_path, rows))
    assert wb.counts() == {"agreements": 4, "jail_enforcement": 2, "task_force": 1,
                           "warrant_service_officer": 1, "agencies": 2, "states": 2}
    by_state = {(r["state"], r["model"]): (r["agreements"], r["agencies"])
                for r in ice.by_state_rows(wb)}
    assert by_state == {("FL", "Jail Enforcement Model"): (1, 1),
                        ("TX", "Jail Enforcement Model"): (1, 1),
                        ("TX", "Task Force Model"): (1, 1),
                        ("TX", "Warrant Service Officer"): (1, 1)}
    months = ice.signed_by_month_rows(wb)
    assert months[0]["month"] == "2025-03-01" and months[-1]["month"] == "2025-07-01"
    assert len(months) == 5 * 3  # March to July, zero-filled, three models
    assert sum(m["signed"] for m in months) == 4


# ------------------------------------------------------------------------------------------
# Bad input: a clear message naming the file, sheet, row and column, and what to do


def message(path: Path, **kw) -> str:
    with pytest.raises(DataError) as exc:
        ice.read_workbook(path, **kw)
    return str(exc.value)


def test_not_an_xlsx(tmp_path):
    fake = tmp_path / NAME
    fake.write_text("<!DOCTYPE html><html>Access denied</html>")
    msg = message(fake)
    assert NAME in msg and "cannot be read as an Excel workbook" in msg and "HTML" in msg
    assert "ice.gov" in msg
    csv_file = tmp_path / "participatingAgencies07182025pm.csv"
    csv_file.write_text("STATE\n")
    assert "not an Excel workbook" in message(csv_file)
    assert "file not found" in message(tmp_path / "participatingAgencies01012025am.xlsx")


def test_missing_column_is_named_and_found_columns_listed(tmp_path):
    header = [h for h in HEADER if h != "SIGNED"]
    path = workbook(tmp_path, [row()[:5] + row()[6:]], header=header)
    msg = message(path)
    assert "missing required column(s) SIGNED" in msg
    assert "Columns found: STATE, LAW ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE, MOA" in msg
    assert "sheet 'Sheet1', header row 1" in msg


def test_pending_workbook_gets_a_hint(tmp_path):
    path = workbook(tmp_path, [row()[:5]], header=HEADER[:5],
                    name="pendingAgencies07182025pm.xlsx")
    msg = message(path)
    assert "SIGNED" in msg and "pending" in msg


def test_no_header_anywhere(tmp_path):
    path = workbook(tmp_path, [["a", "b"]], header=["Name", "Value"])
    msg = message(path)
    assert "no sheet has a header row with STATE and LAW ENFORCEMENT AGENCY" in msg
    assert "Name" in msg


def test_two_lists_in_one_workbook_are_not_silently_halved(tmp_path):
    path = workbook(tmp_path, [row()])
    wb = openpyxl.load_workbook(path)
    extra = wb.create_sheet("Florida")
    extra.append(HEADER)
    extra.append(row(STATE="FLORIDA"))
    wb.save(path)
    msg = message(path)
    assert "'Sheet1', 'Florida'" in msg and "lose" in msg and "one sheet" in msg


def test_unknown_model_names_row_and_column(tmp_path):
    path = workbook(tmp_path, [row(), row(SUPPORT_TYPE="Task Force Modle"),
                               row(SUPPORT_TYPE="Hybrid")])
    msg = message(path)
    assert NAME in msg and "2 problems" in msg
    assert "sheet 'Sheet1', row 3, column E (SUPPORT TYPE)" in msg
    assert "Did you mean 'Task Force Model'?" in msg
    assert "row 4" in msg and '"Hybrid"' in msg and "MODELS" in msg


def test_unknown_state_and_empty_agency(tmp_path):
    path = workbook(tmp_path, [row(STATE="TEXSA"), row(LAW_ENFORCEMENT_AGENCY=" ")])
    msg = message(path)
    assert "row 2, column A (STATE)" in msg and "Did you mean 'TEXAS'?" in msg
    assert "row 3, column B (LAW ENFORCEMENT AGENCY)" in msg and "empty" in msg


def test_header_without_rows(tmp_path):
    assert "no agreements below it" in message(workbook(tmp_path, []))


# ------------------------------------------------------------------------------------------
# The command: exit 2 and a message (no traceback) on bad input; atomic writes


def test_cli_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / NAME
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    proc = subprocess.run([sys.executable, "-m", "trustlab", "refresh-287g", str(bad),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error: ") and NAME in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_bad_as_of_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["refresh-287g", str(tmp_path / NAME), "--as-of", "18/07/2025"])
    assert exc.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_cli_unknown_model_exits_2(tmp_path, capsys):
    path = workbook(tmp_path, [row(SUPPORT_TYPE="Hybrid")])
    assert main(["refresh-287g", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "row 2, column E (SUPPORT TYPE)" in err and "Traceback" not in err


def shipped(name: str) -> bytes:
    return (DATASETS / f"{name}.csv").read_bytes()


def test_dry_run_writes_nothing(tmp_path, capsys):
    # a list newer than the shipped one: replacing 18 July's own tally with two rows would
    # break the consistency rules (agreements_over_time plots that tally)
    path = workbook(tmp_path, [row(), row(SIGNED="7/72025")],
                    name="participatingAgencies01052026am.xlsx")
    out = tmp_path / "out"
    assert main(["refresh-287g", str(path), "--out", str(out), "--dry-run", "--force"]) == 0
    text = capsys.readouterr().out
    assert "Dry run: nothing was written." in text and "row 3, SIGNED" in text
    assert not out.exists() or not any(out.iterdir())


def test_refresh_writes_the_tables_and_keeps_other_snapshots(tmp_path, capsys):
    path = workbook(tmp_path, [row(), row(STATE="FLORIDA", COUNTY="#N/A")],
                    name="participatingAgencies01052026am.xlsx")
    out = tmp_path / "out"
    # Two agreements against 832 in the last snapshot: written only with --force.
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "2 agreements" in printed and "pass validation" in printed
    assert "Written despite (--force)" in printed
    for name in ice.TABLES:
        assert (out / f"{name}.csv").is_file()
    with (out / "agreements_287g.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["state"] for r in rows] == ["TX", "FL"]
    assert {r["as_of"] for r in rows} == {"2026-01-05"}
    with (out / "ice_snapshots.csv").open() as fh:
        snaps = list(csv.DictReader(fh))
    with (DATASETS / "ice_snapshots.csv").open() as fh:
        old = list(csv.DictReader(fh))
    assert snaps[:-1] == old, "the course's other snapshot rows are kept"
    assert (snaps[-1]["as_of"], snaps[-1]["edition"], snaps[-1]["agreements"]) == (
        "2026-01-05", "am", "2")
    assert not list(out.glob(".*.tmp")), "no temporary files are left behind"
    # Running it again replaces the row instead of adding a second one.
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 0
    with (out / "ice_snapshots.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == len(snaps)


def test_failed_validation_loses_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for name in ice.TABLES:
        shutil.copy(DATASETS / f"{name}.csv", out)
    path = workbook(tmp_path, [row()], name="participatingAgencies01052026am.xlsx")
    assert main(["refresh-287g", str(path), "--out", str(out), "--source", "nosuchkey2025",
                 "--force"]) == 2
    err = capsys.readouterr().err
    assert "unknown source key 'nosuchkey2025'" in err
    for name in ice.TABLES:
        assert (out / f"{name}.csv").read_bytes() == shipped(name)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in ice.TABLES)


def test_older_workbook_needs_snapshot_only(tmp_path, capsys):
    # 17 May 2025: older than the shipped list, and a day no other table repeats the tally of
    path = workbook(tmp_path, [row()], name="participatingAgencies05172025am.xlsx")
    out = tmp_path / "out"
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    assert "--snapshot-only" in capsys.readouterr().err
    # one row against 571 the day before: the row guard asks for --force
    assert main(["refresh-287g", str(path), "--out", str(out), "--snapshot-only"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["refresh-287g", str(path), "--out", str(out), "--snapshot-only",
                 "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ice_snapshots.csv"]
    with (out / "ice_snapshots.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    added = [r for r in rows if r["as_of"] == "2025-05-17"]
    assert [(r["edition"], r["agreements"]) for r in added] == [("am", "1")]
    assert rows.index(added[0]) == 1, "the row is sorted in by date"


# ------------------------------------------------------------------------------------------
# Refresh reproduces the shipped tables


def shipped_snapshot() -> dict:
    """The ice_snapshots row of the ICE file the shipped tables were computed from."""
    with (DATASETS / "agreements_287g.csv").open() as fh:
        as_of = next(csv.DictReader(fh))["as_of"]
    with (DATASETS / "ice_snapshots.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["as_of"] == as_of]
    assert rows, "ice_snapshots.csv has no row for the shipped as_of"
    return rows[-1]  # the newest edition of that day


def shipped_workbook_name() -> str:
    m = re.match(r"Computed by trustlab refresh-287g from ICE workbook (\S+\.xlsx)\. ?(.*)",
                 shipped_snapshot()["notes"])
    assert m, "the shipped tables' snapshot row does not say it was computed by trustlab"
    return m.group(1)


def assert_refresh_reproduces_shipped(workbook_path: Path, out: Path) -> None:
    note = shipped_snapshot()["notes"].split(".xlsx. ", 1)[-1]
    assert main(["refresh-287g", str(workbook_path), "--out", str(out), "--note", note]) == 0
    for name in ice.TABLES:
        got = (out / f"{name}.csv").read_bytes()
        assert got == shipped(name), f"{name}.csv differs from the shipped table"


def test_round_trip_reproduces_the_shipped_tables(tmp_path, capsys):
    """Write the shipped agreements back as ICE publishes them (full state names, #N/A
    counties, and every recorded quirk undone), then refresh: all four tables come back
    byte for byte. This checks the parser and its inverse agree with each other; it is NOT
    the check against ICE's real cells (that is the excerpt tests below)."""
    with (DATASETS / "agreements_287g.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    path = ice.write_workbook_like_ice(rows, tmp_path / shipped_workbook_name())
    # The rebuilt workbook carries ICE's quirks again.
    ws = openpyxl.load_workbook(path).active
    signed = [c.value for c in ws["F"][1:]]
    assert "05/082025" in signed and "7/72025" in signed and datetime(5025, 7, 7) in signed
    assert "#N/A" in [c.value for c in ws["D"]]
    assert_refresh_reproduces_shipped(path, tmp_path / "out")
    assert "832 agreements" in capsys.readouterr().out


def test_shipped_tables_are_consistent():
    agreements = data.load("agreements_287g")
    by_state = data.load("agreements_by_state")
    months = data.load("agreements_signed_by_month")
    snaps = data.load("ice_snapshots")
    as_of = agreements["as_of"].iloc[0]
    latest = snaps[snaps["as_of"] == as_of].iloc[-1]
    assert len(agreements) == latest["agreements"] == by_state["agreements"].sum()
    assert agreements["signed"].notna().sum() == months["signed"].sum()
    counts = agreements["model"].value_counts()
    assert counts["Jail Enforcement Model"] == latest["jail_enforcement"]
    assert counts["Task Force Model"] == latest["task_force"]
    assert counts["Warrant Service Officer"] == latest["warrant_service_officer"]
    assert agreements["state"].nunique() == latest["states"]
    agencies = agreements.assign(k=agreements["agency"].str.casefold())[["state", "k"]]
    assert len(agencies.drop_duplicates()) == latest["agencies"]


def test_datasheets_describe_the_shipped_list():
    """After a refresh, the titles and datasheets must be updated too (they name the date of
    ICE's list and its counts): this fails until they are."""
    agreements = data.load("agreements_287g")
    as_of = agreements["as_of"].iloc[0]
    day = f"{as_of.day} {as_of:%B %Y}"
    for name in ("agreements_287g", "agreements_by_state"):
        assert day in data.resource(name)["title"], f"{name}: title should name {day}"
    assert f"{len(agreements)} rows" in data.resource("agreements_287g")["datasheet"]["what"]
    assert f"{as_of:%B %Y}" in data.resource("agreements_signed_by_month")["title"]
    snaps = data.load("ice_snapshots")
    last = snaps["as_of"].max()
    assert f"{last.day} {last:%B %Y}" in data.resource("ice_snapshots")["title"]
    for name in ice.TABLES:
        assert "refresh-287g" in data.resource(name)["datasheet"]["update"]


# ------------------------------------------------------------------------------------------
# ICE's real cells: excerpts of two real editions (tests/fixtures/ICE_EXCERPTS.md), read on
# every run. The expectations below were written from the cells by hand.

FIXTURES = ROOT / "tests" / "fixtures"
JULY18 = FIXTURES / "participatingAgencies07182025pm-excerpt.xlsx"
JULY7 = FIXTURES / "participatingAgencies07072025pm-excerpt.xlsx"
TRIM = "spaces trimmed at the ends"
NA = "ICE's #N/A placeholder for none"
SLASH = "slash missing before the year; read as month/day/year"


def test_real_ice_excerpt_of_18_july_parses_with_every_repair():
    wb = ice.read_workbook(JULY18)
    assert (wb.as_of, wb.edition, wb.sheet) == (date(2025, 7, 18), "pm", "Sheet1")
    assert wb.counts() == {"agreements": 17, "jail_enforcement": 0, "task_force": 9,
                           "warrant_service_officer": 8, "agencies": 15, "states": 8}
    got = [(r.row, r.column, r.before, r.after, r.why, r.warning) for r in wb.repairs]
    assert got == [
        (20, "COUNTY", "#N/A", "", NA, False),
        (36, "LAW ENFORCEMENT AGENCY", "Baxter County Sheriff's Office ",
         "Baxter County Sheriff's Office", TRIM, False),
        (41, "COUNTY", "Johnson County ", "Johnson County", TRIM, False),
        (45, "SUPPORT TYPE", "Task Force Model ", "Task Force Model", TRIM, False),
        (47, "LAW ENFORCEMENT AGENCY", "Sebastian County Sheriff's Office ",
         "Sebastian County Sheriff's Office", TRIM, False),
        (47, "COUNTY", "Sebastian County ", "Sebastian County", TRIM, False),
        (164, "COUNTY", "Hillsborough County ", "Hillsborough County", TRIM, False),
        (165, "COUNTY", "Hillsborough County ", "Hillsborough County", TRIM, False),
        (166, "COUNTY", "#N/A", "", NA, False),
        (167, "LAW ENFORCEMENT AGENCY", "Hollywood Police Department ",
         "Hollywood Police Department", TRIM, False),
        (167, "COUNTY", "#N/A", "", NA, False),
        (169, "COUNTY", "Holmes County ", "Holmes County", TRIM, False),
        (170, "COUNTY", "Holmes County ", "Holmes County", TRIM, False),
        (401, "COUNTY", "N/A", "", NA + ", typed N/A", False),
        (435, "COUNTY", "#NA", "", NA + ", typed #NA", False),
        (435, "SUPPORT TYPE", "Task Force Model ", "Task Force Model", TRIM, False),
        (639, "LAW ENFORCEMENT AGENCY", "Grundy County Sheriff's Office ",
         "Grundy County Sheriff's Office", TRIM, False),
        (639, "SIGNED", date(5025, 7, 7), date(2025, 7, 7), "year typed as 5025", False),
        (775, "SIGNED", "7/72025", date(2025, 7, 7), SLASH, False),
        (785, "SIGNED", "05/082025", date(2025, 5, 8), SLASH, False),
    ]
    by_row = {a.row: a for a in wb.agreements}
    assert sorted(by_row) == [2, 20, 36, 41, 45, 47, 164, 165, 166, 167, 169, 170, 401, 435,
                              639, 775, 785]
    assert (by_row[775].state, by_row[775].agency, by_row[775].signed) == (
        "UT", "Tooele County Sheriff's Office", date(2025, 7, 7))
    assert (by_row[785].state, by_row[785].signed) == ("VA", date(2025, 5, 8))
    assert (by_row[639].state, by_row[639].signed) == ("TN", date(2025, 7, 7))
    assert by_row[435].county == "" and by_row[435].model == "Task Force Model"
    pending = {r for r, a in by_row.items() if a.notes == ice.NOTE_PENDING}
    assert pending == {2, 20, 36, 41, 45, 47, 435, 639, 775, 785}
    assert {r for r, a in by_row.items() if a.notes == ice.NOTE_ADDENDUM} == {165, 170}


def test_real_ice_excerpt_of_7_july_reads_utahj_as_utah():
    wb = ice.read_workbook(JULY7)
    assert wb.counts() == {"agreements": 7, "jail_enforcement": 2, "task_force": 4,
                           "warrant_service_officer": 1, "agencies": 6, "states": 2}
    got = [(r.row, r.column, r.before, r.after, r.warning) for r in wb.repairs]
    assert got == [(720, "COUNTY", "#N/A", "", False),
                   (723, "STATE", "UTAHJ", "UTAH", False),
                   (729, "SIGNED", "05/082025", date(2025, 5, 8), False)]
    (weber,) = [a for a in wb.agreements if a.row == 723]
    assert (weber.state, weber.agency) == ("UT", "Weber County Sheriff's Office")
    assert "stray letter 'J'" in weber.repairs[0].why
    assert 'STATE: "UTAHJ" -> "UTAH"' in ice.agreements_rows(wb)[5]["repair"]
    assert "row 723" in ice.report(wb)


# ------------------------------------------------------------------------------------------
# A state name with a stray letter: repaired only when exactly one state is that close


@pytest.mark.parametrize("cell, code", [("UTAHJ", "UT"), ("TEXASX", "TX"),
                                        ("North Carolinaa", "NC"), (" UTAHJ ", "UT")])
def test_state_with_one_stray_letter_is_repaired_and_reported(tmp_path, cell, code):
    wb = ice.read_workbook(workbook(tmp_path, [row(STATE=cell)]))
    assert wb.agreements[0].state == code
    (rep,) = [r for r in wb.repairs if r.column == "STATE" and "stray letter" in r.why]
    assert rep.row == 2 and rep.after == ice.states.BY_ABBR[code][1].upper()


@pytest.mark.parametrize("cell", ["UTAJ", "JUTAH", "UTAH1", "UTAHJJ", "TXA", "UTA H"])
def test_other_state_typos_stay_errors(tmp_path, cell):
    msg = message(workbook(tmp_path, [row(STATE=cell)]))
    assert "row 2, column A (STATE)" in msg and "is not a U.S. state" in msg


def test_stray_letter_repair_never_picks_between_two_states(tmp_path, monkeypatch):
    # Were there a state called "Utaho", "UTAHJ" would be one letter from it too: no guess.
    monkeypatch.setitem(ice.states.BY_NAME, "utaho", ("UO", "Utaho", "99"))
    assert ice.state_with_stray_letter("UTAHJ") is None
    assert "is not a U.S. state" in message(workbook(tmp_path, [row(STATE="UTAHJ")]))


# ------------------------------------------------------------------------------------------
# Excel error cells are shown as what they are


@pytest.mark.parametrize("error", ["#REF!", "#VALUE!", "#N/A"])
@pytest.mark.parametrize("column, letter", [("STATE", "A"), ("LAW_ENFORCEMENT_AGENCY", "B"),
                                            ("SUPPORT_TYPE", "E")])
def test_excel_errors_in_key_columns_are_named(tmp_path, error, column, letter):
    msg = message(workbook(tmp_path, [row(**{column: error})]))
    assert f"row 2, column {letter}" in msg and f"Excel error value {error}" in msg
    assert '""' not in msg and "is empty" not in msg


@pytest.mark.parametrize("error", ["#REF!", "#VALUE!", "#DIV/0!"])
@pytest.mark.parametrize("column", ["SIGNED", "COUNTY", "TYPE", "MOA", "ADDENDUM"])
def test_excel_errors_elsewhere_are_warnings_that_show_the_error(tmp_path, error, column):
    wb = ice.read_workbook(workbook(tmp_path, [row(**{column: error})]))
    assert len(wb.agreements) == 1
    (w,) = wb.warnings
    assert w.column == column and w.before == error and error in w.why
    assert f"Excel error value {error}" in str(w)
    assert f'{column}: "{error}" ->' in ice.report(wb)


# ------------------------------------------------------------------------------------------
# Plausibility guards, each with --force


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(ice, "_today", lambda: date(2026, 6, 1))


def shipped_rows() -> list[dict]:
    with (DATASETS / "agreements_287g.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def seeded(out: Path) -> dict[str, bytes]:
    """``out`` with a copy of the shipped four tables; returns their bytes."""
    out.mkdir(exist_ok=True)
    for name in ice.TABLES:
        shutil.copy(DATASETS / f"{name}.csv", out)
    return tables_in(out)


def tables_in(out: Path) -> dict[str, bytes]:
    return {n: (out / f"{n}.csv").read_bytes() for n in ice.TABLES if (out / f"{n}.csv").exists()}


def only_tables_left(out: Path) -> bool:
    return sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in ice.TABLES)


def test_truncated_workbook_is_refused_unless_forced(tmp_path, capsys):
    rows = shipped_rows()[:40]  # 40 of ICE's 832 rows, as a cut-off download would give
    path = ice.write_workbook_like_ice(rows, tmp_path / "participatingAgencies07192025am.xlsx")
    out = tmp_path / "out"
    old = seeded(out)
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "40 agreements against 832" in err and "20%" in err and "--force" in err
    assert "Traceback" not in err and tables_in(out) == old and only_tables_left(out)
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 0
    assert "Written despite (--force)" in capsys.readouterr().out
    assert (out / "agreements_287g.csv").read_text().count("\n") == 41


def test_many_states_lost_is_refused_even_with_enough_rows(tmp_path, capsys):
    rows = shipped_rows()
    small = [s for s, n in Counter(r["state"] for r in rows).most_common()[-3:]]
    kept = [r for r in rows if r["state"] not in small]
    assert len(kept) > 832 * 0.8  # the row guard alone would let it through
    path = ice.write_workbook_like_ice(kept, tmp_path / "participatingAgencies07192025am.xlsx")
    out = tmp_path / "out"
    old = seeded(out)
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "37 states against 40" in err and "--force" in err
    assert tables_in(out) == old
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 0


def fresh_history(out: Path) -> None:
    """An output folder with the course's snapshot history (which other tables repeat, so
    the staged package validates); the two-row test lists still trip the row guard."""
    out.mkdir(exist_ok=True)
    shutil.copy(DATASETS / "ice_snapshots.csv", out / "ice_snapshots.csv")


def test_list_dated_after_today_is_refused(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    fresh_history(out)
    path = workbook(tmp_path, [row()], name="participatingAgencies06022026am.xlsx")
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "dated 2026-06-02, after today (2026-06-01)" in err and "--force" in err
    # the same through --as-of, and the guard moves with today's date
    named = workbook(tmp_path, [row()], name="ice.xlsx")
    assert main(["refresh-287g", str(named), "--as-of", "2026-06-02", "--out", str(out)]) == 2
    assert "after today" in capsys.readouterr().err
    monkeypatch.setattr(ice, "_today", lambda: date(2026, 6, 2))
    assert main(["refresh-287g", str(path), "--out", str(out), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "after today (" not in err and "previous snapshot" in err, (
        "only the row guard is left")
    monkeypatch.setattr(ice, "_today", lambda: date(2026, 6, 1))
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 0


def test_empty_derived_table_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    fresh_history(out)
    path = workbook(tmp_path, [row(SIGNED="soon"), row(SIGNED="#REF!")],
                    name="participatingAgencies01052026am.xlsx")
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "agreements_signed_by_month.csv would have no rows" in err
    assert "even with --force" in err
    assert sorted(p.name for p in out.iterdir()) == ["ice_snapshots.csv"]
    # --force does not write an empty table either
    assert main(["refresh-287g", str(path), "--out", str(out), "--force"]) == 2
    assert "would have no rows" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["ice_snapshots.csv"]


def test_force_is_documented():
    text = build_parser_help()
    assert "--force" in text and "20%" in text and "after today" in text
    readme = (ROOT / "README.md").read_text()
    assert "--force" in readme and "20%" in readme


def build_parser_help() -> str:
    from trustlab.__main__ import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["refresh-287g"].format_help()


# ------------------------------------------------------------------------------------------
# The swap is all or nothing: inject a failure at every step


class Killed(BaseException):
    """The process dies here: no except clause or cleanup of ours runs."""


def full_next_day(tmp_path: Path) -> Path:
    """The shipped 832 agreements as a plausible workbook of the next day."""
    return ice.write_workbook_like_ice(shipped_rows(),
                                       tmp_path / "participatingAgencies07192025am.xlsx")


def new_texts() -> dict[str, str]:
    return {n: (DATASETS / f"{n}.csv").read_text(encoding="utf-8") + f"changed {n}\n"
            for n in ice.TABLES}


def steps_of_a_swap(out: Path) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    ice._STEP_HOOK = lambda step, path: seen.append((step, path.name))
    try:
        ice._swap({out / f"{n}.csv": t for n, t in new_texts().items()})
    finally:
        ice._STEP_HOOK = None
    return seen


def test_a_swap_goes_through_every_step(tmp_path):
    out = tmp_path / "out"
    seeded(out)
    steps = steps_of_a_swap(out)
    assert [s for s, _ in steps] == ["write"] * 4 + ["backup"] * 4 + ["journal"] + \
        ["replace"] * 4 + ["commit"]
    new = {n: t.encode() for n, t in new_texts().items()}
    assert tables_in(out) == new and only_tables_left(out)


def run_swap_failing_at(out: Path, k: int, exc: BaseException, monkeypatch) -> None:
    count = {"n": 0}

    def hook(step, path):
        count["n"] += 1
        if count["n"] == k:
            raise exc

    monkeypatch.setattr(ice, "_STEP_HOOK", hook)
    try:
        ice._swap({out / f"{n}.csv": t for n, t in new_texts().items()})
    except (Killed, DataError, OSError):
        pass
    monkeypatch.setattr(ice, "_STEP_HOOK", None)


@pytest.mark.parametrize("k", range(1, 15))
def test_failure_at_any_step_leaves_old_or_new_and_no_debris(tmp_path, monkeypatch, k):
    out = tmp_path / "out"
    old = seeded(out)
    new = {n: t.encode() for n, t in new_texts().items()}
    run_swap_failing_at(out, k, OSError(28, "No space left on device"), monkeypatch)
    assert tables_in(out) in (old, new), f"a mix of old and new tables after step {k}"
    assert only_tables_left(out), sorted(p.name for p in out.iterdir())
    if k <= 13:  # up to the last replace: the old set, intact
        assert tables_in(out) == old


@pytest.mark.parametrize("k", range(1, 15))
def test_kill_at_any_step_is_recovered_by_the_next_run(tmp_path, monkeypatch, k):
    out = tmp_path / "out"
    old = seeded(out)
    new = {n: t.encode() for n, t in new_texts().items()}
    run_swap_failing_at(out, k, Killed(), monkeypatch)
    if 9 <= k <= 13:  # killed after the journal was written: it survives the kill
        assert (out / ice.JOURNAL).is_file()
    notices = ice.recover(out)
    assert tables_in(out) in (old, new) and only_tables_left(out)
    if k <= 13:
        assert tables_in(out) == old  # the rule: roll back to the complete old set
    if 9 <= k <= 13:
        assert "interrupted" in notices[0] and "restored the previous" in notices[0]


def test_kill_when_the_tables_did_not_exist_before(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    run_swap_failing_at(out, 4 + 1 + 2, Killed(), monkeypatch)  # mid-replace: 2 of 4 in place
    assert (out / ice.JOURNAL).is_file() and len(tables_in(out)) == 2
    ice.recover(out)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("n", range(1, 12))
def test_fsync_failure_at_any_call_leaves_old_or_new(tmp_path, monkeypatch, n):
    out = tmp_path / "out"
    old = seeded(out)
    new = {k: t.encode() for k, t in new_texts().items()}
    real, calls = os.fsync, {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(5, "Input/output error")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        ice._swap({out / f"{k}.csv": t for k, t in new_texts().items()})
    except DataError as exc:
        assert "Nothing was changed" in str(exc)
    assert tables_in(out) in (old, new) and only_tables_left(out)


@pytest.mark.parametrize("n", range(1, 6))
def test_replace_failure_rolls_back_with_one_line(tmp_path, monkeypatch, n, capsys):
    out = tmp_path / "out"
    old = seeded(out)
    path = full_next_day(tmp_path)
    real, calls = os.replace, {"n": 0}

    def replace(src, dst):
        calls["n"] += 1
        if calls["n"] == n:  # 1: the journal; 2-5: the four tables
            raise OSError(13, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Permission denied" in err and "Nothing was changed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert tables_in(out) == old and only_tables_left(out)


def test_validation_covers_the_whole_package(tmp_path, monkeypatch, capsys):
    """A problem in any dataset of the staged package (here: the timeline) stops the swap."""
    out = tmp_path / "out"
    old = seeded(out)
    path = full_next_day(tmp_path)
    real = data.validate_all

    def validate_all():
        found = real()
        assert set(found) >= set(ice.TABLES) | {"timeline"}, "validate every dataset"
        found["timeline"] = [data.Problem("timeline.csv", "broken by the new tables")]
        return found

    monkeypatch.setattr(data, "validate_all", validate_all)
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    assert "timeline.csv: broken by the new tables" in capsys.readouterr().err, (
        "the message names the file of each problem")
    assert tables_in(out) == old and only_tables_left(out)


def test_cli_recovers_an_interrupted_swap(tmp_path, monkeypatch, capsys):
    """Killed mid-swap in the course's datasets: `validate` (and the next refresh) roll back."""
    course = tmp_path / "datasets"
    shutil.copytree(DATASETS, course)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    monkeypatch.setenv("TRUSTLAB_DATA", str(course))
    old = tables_in(course)
    run_swap_failing_at(course, 11, Killed(), monkeypatch)  # two tables replaced, two not
    assert tables_in(course) != old and (course / ice.JOURNAL).is_file()
    assert main(["validate"]) == 0
    printed = capsys.readouterr().out
    assert "interrupted" in printed and "restored the previous" in printed
    assert tables_in(course) == old and not (course / ice.JOURNAL).exists()
    run_swap_failing_at(course, 12, Killed(), monkeypatch)
    path = workbook(tmp_path, [row()], name="participatingAgencies07192025am.xlsx")
    assert main(["refresh-287g", str(path), "--dry-run"]) == 2  # refused: 1 row
    assert "restored the previous" in capsys.readouterr().err
    assert tables_in(course) == old


def test_out_inside_a_file_is_a_clear_error(tmp_path, capsys):
    path = workbook(tmp_path, [row()])
    afile = tmp_path / "some.csv"
    afile.write_text("x\n")
    assert main(["refresh-287g", str(path), "--out", str(afile / "sub")]) == 2
    err = capsys.readouterr().err
    assert "some.csv" in err and "--out needs a folder" in err and "Traceback" not in err
    assert main(["refresh-287g", str(path), "--out", str(afile)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_disk_full_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    old = seeded(out)
    path = full_next_day(tmp_path)

    def full(p, data):
        raise OSError(28, "No space left on device", str(p))

    monkeypatch.setattr(ice, "_write_synced", full)
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "disk is full" in err
    assert ".ice_snapshots.csv.refresh-new" in err and "Traceback" not in err
    assert tables_in(out) == old and only_tables_left(out)


def test_any_other_oserror_or_bug_is_one_line(monkeypatch, capsys):
    def boom(args):
        raise PermissionError(13, "Permission denied", "datasets/timeline.csv")

    monkeypatch.setattr("trustlab.__main__._validate", boom)
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: datasets/timeline.csv: Permission denied; permission denied")

    def bug(args):
        raise KeyError("x")

    monkeypatch.setattr("trustlab.__main__._validate", bug)
    monkeypatch.delenv("TRUSTLAB_DEBUG", raising=False)
    assert main(["validate"]) == 1
    assert "bug in trustlab" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name an fd")
def test_new_tables_and_journal_reach_the_disk_before_the_renames(tmp_path, monkeypatch):
    out = tmp_path / "out"
    seeded(out)
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", Path(src).name))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    ice._swap({out / f"{n}.csv": t for n, t in new_texts().items()})
    first_table_replace = min(i for i, e in enumerate(events)
                              if e[0] == "replace" and e[1].endswith(".csv.refresh-new"))
    for name in ice.TABLES:
        new = f".{name}.csv.refresh-new"
        assert events.index(("fsync", new)) < events.index(("replace", new))
    tmp_journal = ice._temp(out / ice.JOURNAL, "new").name
    journal = events.index(("replace", tmp_journal))
    assert events.index(("fsync", tmp_journal)) < journal
    assert journal < first_table_replace  # the journal exists before any table is replaced
    assert ("fsync", "out") in events[journal:first_table_replace]  # and its name is durable
