"""ICE's 287(g) workbook: every known quirk is repaired and reported, bad input gets a clear
message, and ``refresh-287g`` reproduces the shipped tables byte for byte.

The workbooks are written here with openpyxl, reproducing the quirks of ICE's real files
(``05/082025``, ``7/72025``, a year typed as 5025, ``#N/A`` counties, trailing spaces).
Set TRUSTLAB_ICE_WORKBOOK to a real ICE workbook to also check the shipped tables against it.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
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
    path = workbook(tmp_path, [row(), row(SIGNED="7/72025")])
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
    path = workbook(tmp_path, [row()], name="participatingAgencies05162025am.xlsx")
    out = tmp_path / "out"
    assert main(["refresh-287g", str(path), "--out", str(out)]) == 2
    assert "--snapshot-only" in capsys.readouterr().err
    assert main(["refresh-287g", str(path), "--out", str(out), "--snapshot-only"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ice_snapshots.csv"]
    with (out / "ice_snapshots.csv").open() as fh:
        first = next(csv.DictReader(fh))
    assert (first["as_of"], first["agreements"]) == ("2025-05-16", "1")


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
    byte for byte."""
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


@pytest.mark.skipif(not os.environ.get("TRUSTLAB_ICE_WORKBOOK"),
                    reason="set TRUSTLAB_ICE_WORKBOOK to ICE's participatingAgencies*.xlsx "
                           "the shipped tables were built from, to check them against it")
def test_real_ice_workbook_reproduces_the_shipped_tables(tmp_path):
    real = Path(os.environ["TRUSTLAB_ICE_WORKBOOK"])
    assert real.name == shipped_workbook_name(), (
        f"the shipped tables were built from {shipped_workbook_name()}, not {real.name}")
    assert_refresh_reproduces_shipped(real, tmp_path / "out")


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
