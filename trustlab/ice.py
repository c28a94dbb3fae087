"""Read ICE's official 287(g) "participating agencies" workbook and rebuild the course tables.

ICE publishes the list of state and local agencies that hold a 287(g) agreement as an Excel
workbook on https://www.ice.gov/identify-and-arrest/287g, with the columns STATE, LAW
ENFORCEMENT AGENCY, TYPE, COUNTY, SUPPORT TYPE, SIGNED, MOA and (since mid-2025) ADDENDUM.
One row is one *agreement*: an agency that signed two models appears twice.

The workbook has real quirks, each of which :func:`read_workbook` repairs and reports as a
:class:`Repair` (Excel row, column, value before, value after, why):

* signing dates typed as text with a missing slash (``05/082025`` -> 2025-05-08,
  ``7/72025`` -> 2025-07-07), a year typed as 5025 (-> 2025, only when the repaired date is
  not after the workbook's own date), Excel serial numbers, dates typed as text;
* ``#N/A`` in COUNTY (ICE's placeholder for municipal and state agencies; once typed
  ``#NA``) -> empty;
* leading, trailing, double and non-breaking spaces in any text cell;
* variants of the model names (``Task Force Model ``, ``Warrant Service Officer Model``,
  ``WSO``...) -> the course's three labels.

MOA and ADDENDUM are read only to note whether ICE had posted the agreement ("link
pending") or lists an addendum; their spacing is not reported.

Losing nothing is the rule. A date that cannot be repaired keeps its row: ``signed`` is left
empty and the row's ``repair`` text and the report say why (a *warning*, not an error).
Anything that would force a row to be dropped or guessed (an unknown state, an unknown model,
an empty agency name, a missing column, a file that is not a workbook) is an *error*: nothing
is written and a :class:`~trustlab.data.DataError` names the file, sheet, row, column and
what to do.

:func:`refresh` (``python -m trustlab refresh-287g PATH``) writes the four course tables
(``agreements_287g``, ``agreements_by_state``, ``agreements_signed_by_month`` and the
workbook's row of ``ice_snapshots``), validates them with :mod:`trustlab.data`, and only then
moves them into place.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import states
from .data import DataError, Problem

SOURCE_KEY = "ice2025participating"
MODELS = ("Jail Enforcement Model", "Task Force Model", "Warrant Service Officer")
IIRIRA = date(1996, 9, 30)  # 287(g) was added to the INA on this day: no agreement is older.
TABLES = ("agreements_287g", "agreements_by_state", "agreements_signed_by_month",
          "ice_snapshots")

# Columns of ICE's workbook: our name -> accepted headers (compared in upper case with single
# spaces). The first header listed is the one ICE uses, and the one messages show.
COLUMNS: dict[str, tuple[str, ...]] = {
    "state": ("STATE",),
    "agency": ("LAW ENFORCEMENT AGENCY", "AGENCY", "AGENCY NAME"),
    "agency_type": ("TYPE", "AGENCY TYPE"),
    "county": ("COUNTY",),
    "model": ("SUPPORT TYPE", "MODEL", "287(G) MODEL", "SUPPORT"),
    "signed": ("SIGNED", "DATE SIGNED", "SIGNED DATE"),
    "moa": ("MOA",),
    "addendum": ("ADDENDUM",),
}
REQUIRED = ("state", "agency", "agency_type", "county", "model", "signed")
HEADER_SCAN_ROWS = 20

# Model names as ICE has written them (compared after dropping case, punctuation, spaces and
# a trailing "model"/"program").
_MODEL_ALIASES = {
    "jail enforcement": MODELS[0], "jem": MODELS[0], "jail": MODELS[0],
    "jail enforcement officer": MODELS[0],
    "task force": MODELS[1], "tfm": MODELS[1], "taskforce": MODELS[1],
    "warrant service officer": MODELS[2], "warrant service officers": MODELS[2],
    "warrant service": MODELS[2], "wso": MODELS[2],
}

NOTE_PENDING = "MOA link pending on ICE's list"
NOTE_ADDENDUM = "addendum listed"

_NA_PLACEHOLDERS = {"#N/A", "#NA", "N/A"}
_EXCEL_ERROR_RE = re.compile(r"^#(REF!|VALUE!|NAME\?|DIV/0!|NULL!|NUM!|SPILL!|CALC!)$",
                             re.IGNORECASE)
_FILE_DATE_RE = re.compile(r"(\d{2})(\d{2})(\d{4})\s*(am|pm)?", re.IGNORECASE)
_RUN_TOGETHER_RE = re.compile(r"^(\d{1,2})/(\d{1,2})(\d{4})$")  # 05/082025, 7/72025
_MDY_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")
_DIGITS8_RE = re.compile(r"^(\d{2})(\d{2})(\d{4})$")


# --------------------------------------------------------------------------------------
# Repairs


def _show(value: Any) -> str:
    """A cell value as the repair text shows it: text in JSON quotes (so spaces and odd
    characters are visible), dates as YYYY-MM-DD, numbers as written."""
    if value is None:
        return '""'
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


@dataclass(frozen=True)
class Repair:
    """One change made to one cell of ICE's workbook (or a value that could not be used)."""

    row: int  # the Excel row number, as seen in Excel
    column: str  # ICE's column header
    before: Any
    after: Any  # None: the value could not be used and was left empty
    why: str
    warning: bool = False  # True when the value was not repaired but dropped to empty

    def text(self) -> str:
        """The form used in the ``repair`` column: COLUMN: before -> after (why)."""
        return f"{self.column}: {_show(self.before)} -> {_show(self.after)} ({self.why})"

    def __str__(self) -> str:
        return f"row {self.row}, {self.text()}"


_REPAIR_RE = re.compile(
    r'(?P<column>[A-Z][A-Z ()0-9]*): (?P<before>"(?:[^"\\]|\\.)*"|[^ ]+) -> '
    r'(?P<after>"(?:[^"\\]|\\.)*"|[^ ]+) \((?P<why>[^()]*)\)')


def parse_repair_text(text: str) -> list[tuple[str, Any, str]]:
    """Inverse of the ``repair`` column: ``[(column, before, why), ...]``.

    ``before`` is a str for text cells, a :class:`date` for date cells and an int or float for
    numbers: what ICE's cell held. Used to rebuild a workbook as ICE published it."""
    out = []
    for m in _REPAIR_RE.finditer(text or ""):
        raw = m.group("before")
        if raw.startswith('"'):
            before: Any = json.loads(raw)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            before = date.fromisoformat(raw)
        elif re.fullmatch(r"-?\d+", raw):
            before = int(raw)
        else:
            before = float(raw)
        out.append((m.group("column"), before, m.group("why")))
    return out


# --------------------------------------------------------------------------------------
# Cleaning single cells


def clean_text(value: Any) -> str:
    """Trim a text cell: non-breaking spaces to spaces, runs of spaces to one, no spaces at
    either end."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\xa0", " ").split())


def _space_why(before: str) -> str:
    parts = []
    if "\xa0" in before:
        parts.append("non-breaking space replaced")
    stripped = before.replace("\xa0", " ")
    if stripped != stripped.strip():
        parts.append("spaces trimmed at the ends")
    if "  " in stripped.strip():
        parts.append("double spaces collapsed")
    return ", ".join(parts) or "spaces normalised"


def normalize_model(value: str) -> str | None:
    """The course's label for a model name as ICE (or a person) wrote it, or None."""
    key = re.sub(r"[^a-z0-9 ]+", " ", clean_text(value).lower())
    key = " ".join(key.split())
    key = re.sub(r"\s*\b(model|program)$", "", key).strip()
    if key in _MODEL_ALIASES:
        return _MODEL_ALIASES[key]
    return None


def workbook_date(path: str | Path) -> tuple[date, str] | None:
    """The date and edition ICE puts in its file names.

    >>> workbook_date("participatingAgencies07182025pm.xlsx")
    (datetime.date(2025, 7, 18), 'pm')
    """
    name = Path(path).name
    for m in _FILE_DATE_RE.finditer(name):
        mm, dd, yyyy, ed = m.groups()
        try:
            return date(int(yyyy), int(mm), int(dd)), (ed or "").lower()
        except ValueError:
            continue
    return None


def _plausible(d: date, as_of: date) -> bool:
    return IIRIRA <= d <= as_of


def parse_signed(value: Any, as_of: date) -> tuple[date | None, str | None, bool]:
    """Read one SIGNED cell.

    Returns ``(date, why, warning)``: ``why`` is None when the cell was a clean date (no
    repair), the reason of the repair otherwise; ``warning`` is True when no usable date
    could be made (then ``date`` is None and ``why`` says what was wrong)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "SIGNED is empty; left empty", True
    why: str | None = None
    y = mo = d = None
    if isinstance(value, datetime | date):
        y, mo, d = value.year, value.month, value.day
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            conv = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            conv = None
        if not isinstance(conv, datetime):
            return None, f"number {value!r} is not an Excel date; left empty", True
        y, mo, d = conv.year, conv.month, conv.day
        why = "Excel serial number converted to a date"
    else:
        text = clean_text(value)
        if m := _ISO_RE.match(text):
            y, mo, d = (int(x) for x in m.groups())
            why = "date typed as text"
        elif m := _RUN_TOGETHER_RE.match(text):
            mo, d, y = (int(x) for x in m.groups())
            why = "slash missing before the year; read as month/day/year"
        elif m := _MDY_RE.match(text):
            mo, d, y = (int(x) for x in m.groups())
            why = "date typed as text"
            if y < 100:
                y += 2000
                why = "date typed as text with a two-digit year"
        elif m := _DIGITS8_RE.match(text):
            mo, d, y = (int(x) for x in m.groups())
            why = "slashes missing; read as MMDDYYYY"
        else:
            return None, "not a date ICE's formats allow; left empty", True
    # A year typed with a wrong first digit (5025 for 2025), fixed only when the result is
    # a possible signing date for this workbook.
    if not (IIRIRA.year <= y <= as_of.year) and y // 1000 != 2:
        fixed = 2000 + y % 1000
        try:
            candidate = date(fixed, mo, d)
        except ValueError:
            candidate = None
        if candidate is not None and _plausible(candidate, as_of):
            note = f"year typed as {y}"
            return candidate, (f"{why}; {note}" if why else note), False
        if not 1000 <= y < 3000:
            return None, (f"year {y} is impossible and {fixed} would not be a possible "
                          f"signing date for a list dated {as_of.isoformat()}; left empty"), True
    try:
        result = date(y, mo, d)
    except ValueError:
        return None, f"{y:04d}-{mo:02d}-{d:02d} is not a calendar date; left empty", True
    if result > as_of:
        return None, (f"{result.isoformat()} is after the workbook date "
                      f"{as_of.isoformat()}; left empty"), True
    if result < IIRIRA:
        return None, (f"{result.isoformat()} is before 287(g) existed (30 September 1996); "
                      "left empty"), True
    return result, why, False


# --------------------------------------------------------------------------------------
# Reading the workbook


@dataclass
class Agreement:
    """One row of ICE's list, cleaned."""

    row: int
    state: str  # USPS code
    agency: str
    agency_type: str
    county: str
    model: str
    signed: date | None
    notes: str = ""
    repairs: list[Repair] = field(default_factory=list)

    @property
    def agency_key(self) -> tuple[str, str]:
        """Distinct agencies are counted by state and case-insensitive name."""
        return (self.state, self.agency.casefold())


@dataclass
class Workbook:
    """ICE's list as read from one workbook."""

    path: Path
    sheet: str
    as_of: date
    edition: str  # "am", "pm" or ""
    agreements: list[Agreement]
    repairs: list[Repair]
    columns_found: list[str]

    @property
    def warnings(self) -> list[Repair]:
        return [r for r in self.repairs if r.warning]

    def counts(self) -> dict[str, int]:
        by_model = Counter(a.model for a in self.agreements)
        return {
            "agreements": len(self.agreements),
            "jail_enforcement": by_model[MODELS[0]],
            "task_force": by_model[MODELS[1]],
            "warrant_service_officer": by_model[MODELS[2]],
            "agencies": len({a.agency_key for a in self.agreements}),
            "states": len({a.state for a in self.agreements}),
        }


def _err(path: Path, message: str, hint: str = "") -> DataError:
    return DataError([Problem(str(path), message, hint=hint)], file=str(path))


def _open(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise _err(path, "file not found.",
                   "Check the path; download the workbook from "
                   "https://www.ice.gov/identify-and-arrest/287g.")
    if path.is_dir():
        raise _err(path, "is a folder, not a workbook.", "Give the path of the .xlsx file.")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        raise _err(path, "is a text file, not an Excel workbook.",
                   "This command reads ICE's .xlsx workbook exactly as downloaded; give "
                   "that file instead of a converted copy.")
    if suffix == ".xls":
        raise _err(path, "is an old-style .xls file, which cannot be read.",
                   "Open it in Excel or LibreOffice and save it as .xlsx, or download the "
                   ".xlsx from ICE's 287(g) page.")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        head = path.read_bytes()[:8] if path.is_file() else b""
        what = "an HTML page (perhaps an error page saved instead of the file)" \
            if head.lstrip().lower().startswith((b"<!doc", b"<html")) else \
            "damaged or not an .xlsx workbook"
        raise _err(path, f"cannot be read as an Excel workbook: it is {what} "
                         f"({type(exc).__name__}).",
                   "Download the workbook again from "
                   "https://www.ice.gov/identify-and-arrest/287g and pass the .xlsx "
                   "file.") from None


def _norm_header(value: Any) -> str:
    return clean_text(value).upper()


def _find_header(ws) -> tuple[int, dict[str, int], list[str]] | None:
    """(Excel row of the header, our column -> 0-based index, headers as found)."""
    for r, values in enumerate(ws.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True),
                               start=1):
        found = [_norm_header(v) for v in values]
        index: dict[str, int] = {}
        for ours, names in COLUMNS.items():
            for i, h in enumerate(found):
                if h in names and ours not in index:
                    index[ours] = i
        if "state" in index and "agency" in index:
            return r, index, [clean_text(v) for v in values if clean_text(v)]
    return None


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def read_workbook(path: str | Path, as_of: date | None = None,
                  edition: str | None = None) -> Workbook:
    """Read and clean ICE's participating-agencies workbook.

    ``as_of`` (the date of ICE's list) and ``edition`` (am/pm) default to the ones in ICE's
    file name (``participatingAgencies07182025pm.xlsx``). Raises :class:`DataError` on
    anything that cannot be repaired without losing or guessing a row."""
    path = Path(path)
    from_name = workbook_date(path)
    if as_of is None:
        if from_name is None:
            raise _err(path, "the file name carries no date in ICE's pattern "
                             "(e.g. participatingAgencies07182025pm.xlsx for 18 July 2025, "
                             "afternoon edition).",
                       "Give the date of ICE's list with --as-of YYYY-MM-DD (and --edition "
                       "am/pm if ICE published two that day).")
        as_of = from_name[0]
    if edition is None:
        edition = from_name[1] if from_name and from_name[0] == as_of else ""
    edition = (edition or "").lower()
    if edition not in {"", "am", "pm"}:
        raise _err(path, f"edition '{edition}' is not am, pm or empty.",
                   "Use --edition am, --edition pm, or leave it out.")
    wb = _open(path)
    try:
        return _read_sheets(path, wb, as_of, edition)
    finally:
        wb.close()


def _read_sheets(path: Path, wb, as_of: date, edition: str) -> Workbook:
    first_rows = {}
    lists = []
    for ws in wb.worksheets:
        hit = _find_header(ws)
        if hit is None:
            row1 = next(ws.iter_rows(max_row=1, values_only=True), ())
            first_rows[ws.title] = [clean_text(v) for v in row1 if clean_text(v)]
        else:
            lists.append((ws, hit))
    if len(lists) > 1:
        names = ", ".join(f"'{ws.title}'" for ws, _ in lists)
        raise _err(path, f"sheets {names} all look like a list of agencies (each has STATE "
                         "and LAW ENFORCEMENT AGENCY columns); reading only one would lose "
                         "the others.",
                   "ICE publishes one sheet. If ICE now splits its list across sheets, copy "
                   "them into one sheet (or delete the extra ones) and run the command "
                   "again.")
    for ws, (header_row, index, found) in lists:
        missing = [COLUMNS[c][0] for c in REQUIRED if c not in index]
        if missing:
            hint = ""
            if path.name.lower().startswith("pending"):
                hint = ("This looks like ICE's list of pending agencies, which has no "
                        "signing dates; give the participating-agencies workbook. ")
            raise _err(path, f"sheet '{ws.title}', header row {header_row}: missing required "
                             f"column(s) {', '.join(missing)}. Columns found: "
                             f"{', '.join(found)}.",
                       hint + "The workbook needs ICE's columns STATE, LAW ENFORCEMENT "
                              "AGENCY, TYPE, COUNTY, SUPPORT TYPE, SIGNED (MOA and ADDENDUM "
                              "are optional); rename the column if ICE renamed it.")
        return _read_rows(path, ws, header_row, index, found, as_of, edition)
    shown = "; ".join(f"sheet '{s}' starts with {r or '(empty row)'}"
                      for s, r in first_rows.items())
    raise _err(path, "no sheet has a header row with STATE and LAW ENFORCEMENT AGENCY in its "
                     f"first {HEADER_SCAN_ROWS} rows ({shown}).",
               "Is this ICE's 287(g) participating-agencies workbook? Download it from "
               "https://www.ice.gov/identify-and-arrest/287g.")


def _read_rows(path: Path, ws, header_row: int, index: dict[str, int], found: list[str],
               as_of: date, edition: str) -> Workbook:
    problems: list[Problem] = []
    agreements: list[Agreement] = []
    all_repairs: list[Repair] = []

    def where(r: int, col: str) -> str:
        return (f"sheet '{ws.title}', row {r}, column {_column_letter(index[col])} "
                f"({COLUMNS[col][0]})")

    for r, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True),
                               start=header_row + 1):
        cells = {c: (values[i] if i < len(values) else None) for c, i in index.items()}
        if all(clean_text(v) == "" for v in cells.values()):
            continue  # blank rows (ICE's sheet ends with dozens of them)
        repairs: list[Repair] = []
        text: dict[str, str] = {}
        for col in ("state", "agency", "agency_type", "county", "model", "moa", "addendum"):
            if col not in cells:
                text[col] = ""
                continue
            raw = cells[col]
            if raw is not None and not isinstance(raw, str):
                raw = str(raw)
            cleaned = clean_text(raw)
            if cleaned.upper() in _NA_PLACEHOLDERS:
                if col in {"county", "agency_type"}:
                    why = "ICE's #N/A placeholder for none"
                    if cleaned.upper() != "#N/A":
                        why = f"ICE's #N/A placeholder for none, typed {cleaned}"
                    repairs.append(Repair(r, COLUMNS[col][0], raw, "", why))
                cleaned = ""
            elif _EXCEL_ERROR_RE.match(cleaned):
                if col in {"county", "agency_type"}:
                    repairs.append(Repair(r, COLUMNS[col][0], raw, None,
                                          "Excel error value, not data; left empty",
                                          warning=True))
                cleaned = ""
            elif raw is not None and cleaned != raw and col not in {"moa", "addendum"}:
                repairs.append(Repair(r, COLUMNS[col][0], raw, cleaned, _space_why(raw)))
            text[col] = cleaned

        try:
            state = states.lookup(text["state"])[0] if text["state"] else None
        except KeyError:
            state = None
        if state is None:
            close = difflib.get_close_matches(text["state"].lower(), list(states.BY_NAME), n=1)
            did = f" Did you mean '{states.BY_NAME[close[0]][1].upper()}'?" if close else ""
            problems.append(Problem(str(path), f"{where(r, 'state')}: "
                                    f"{_show(text['state'])} is not a U.S. state, DC or "
                                    f"territory.{did}",
                                    hint="Correct the cell (full name or two-letter code)."))
        if not text["agency"]:
            problems.append(Problem(str(path), f"{where(r, 'agency')}: the agency name is "
                                    "empty.", hint="Fill it in from ICE's page; the row "
                                    "cannot be counted without it."))
        model = normalize_model(text["model"])
        if model is None:
            close = difflib.get_close_matches(text["model"], MODELS, n=1, cutoff=0.5)
            did = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(Problem(str(path), f"{where(r, 'model')}: {_show(text['model'])} "
                                    f"is not a 287(g) model the course knows "
                                    f"({', '.join(MODELS)}).{did}",
                                    hint="If ICE created a new model, add its name to "
                                         "trustlab/ice.py MODELS and to the schemas' enum; "
                                         "otherwise correct the cell."))
        elif model != text["model"]:
            repairs.append(Repair(r, COLUMNS["model"][0], text["model"], model,
                                  "model name written as the course's label"))

        signed, why, warn = parse_signed(cells["signed"], as_of)
        if why is not None:
            raw_signed = cells["signed"]
            if isinstance(raw_signed, datetime):
                raw_signed = raw_signed.date()
            repairs.append(Repair(r, COLUMNS["signed"][0], raw_signed, signed, why,
                                  warning=warn))

        notes = []
        if "pending" in text["moa"].lower():
            notes.append(NOTE_PENDING)
        if text["addendum"] or "addendum" in text["moa"].lower():
            notes.append(NOTE_ADDENDUM)
        all_repairs.extend(repairs)
        if state is None or not text["agency"] or model is None:
            continue
        agreements.append(Agreement(r, state, text["agency"], text["agency_type"],
                                    text["county"], model, signed, "; ".join(notes), repairs))

    if problems:
        raise DataError(problems, file=str(path))
    if not agreements:
        raise _err(path, f"sheet '{ws.title}' has a header (row {header_row}) but no "
                         "agreements below it.",
                   "Check that this is the full workbook as downloaded from ICE.")
    # Identical rows are kept (ICE may list an agreement twice), but reported.
    seen: dict[tuple, int] = {}
    for a in agreements:
        key = (a.agency_key, a.model, a.signed)
        if key in seen:
            all_repairs.append(Repair(a.row, COLUMNS["agency"][0], a.agency, a.agency,
                                      f"same agency, model and date as row {seen[key]}; "
                                      "kept", warning=True))
        else:
            seen[key] = a.row
    return Workbook(path, ws.title, as_of, edition, agreements, all_repairs, found)


# --------------------------------------------------------------------------------------
# The course tables


def _csv(columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buf.getvalue()


def _iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def agreements_rows(wb: Workbook, source: str = SOURCE_KEY) -> list[dict]:
    return [{
        "as_of": wb.as_of.isoformat(), "state": a.state, "agency": a.agency,
        "agency_type": a.agency_type, "county": a.county, "model": a.model,
        "signed": _iso(a.signed), "repair": "; ".join(r.text() for r in a.repairs),
        "source": source, "notes": a.notes,
    } for a in wb.agreements]


def by_state_rows(wb: Workbook, source: str = SOURCE_KEY) -> list[dict]:
    groups: dict[tuple[str, str], list[Agreement]] = {}
    for a in wb.agreements:
        groups.setdefault((a.state, a.model), []).append(a)
    return [{
        "as_of": wb.as_of.isoformat(), "state": st, "model": model,
        "agreements": len(items), "agencies": len({a.agency_key for a in items}),
        "source": source,
    } for (st, model), items in sorted(groups.items(),
                                       key=lambda kv: (kv[0][0], MODELS.index(kv[0][1])))]


def _month_range(first: date, last: date) -> Iterator[date]:
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield date(y, m, 1)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def signed_by_month_rows(wb: Workbook, source: str = SOURCE_KEY) -> list[dict]:
    """Agreements signed per month and model, from the first signing month to the workbook's
    month, with zeros for months without signings (rows with no usable date are left out)."""
    dated = [a for a in wb.agreements if a.signed]
    if not dated:
        return []
    counts = Counter((date(a.signed.year, a.signed.month, 1), a.model) for a in dated)
    first = min(a.signed for a in dated)
    return [{"month": m.isoformat(), "model": model, "signed": counts[(m, model)],
             "as_of": wb.as_of.isoformat(), "source": source}
            for m in _month_range(first, wb.as_of) for model in MODELS]


SNAPSHOT_COLUMNS = ["as_of", "edition", "agreements", "jail_enforcement", "task_force",
                    "warrant_service_officer", "agencies", "states", "source", "notes"]
_EDITION_ORDER = {"": 0, "am": 1, "pm": 2}


def snapshot_row(wb: Workbook, source: str = SOURCE_KEY) -> dict:
    return {"as_of": wb.as_of.isoformat(), "edition": wb.edition, **wb.counts(),
            "source": source,
            "notes": f"Computed by trustlab refresh-287g from ICE workbook {wb.path.name}."}


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _snapshot_key(row: dict) -> tuple[str, int]:
    return (row["as_of"], _EDITION_ORDER.get(row.get("edition", ""), 0))


def snapshot_rows(wb: Workbook, existing: list[dict], source: str = SOURCE_KEY) -> list[dict]:
    """``existing`` with the workbook's row added or replaced, sorted by date and edition."""
    new = snapshot_row(wb, source)
    key = (new["as_of"], new["edition"])
    rows = [r for r in existing if (r.get("as_of"), r.get("edition", "")) != key]
    rows.append(new)
    return sorted(rows, key=_snapshot_key)


def table_texts(wb: Workbook, existing_snapshots: list[dict], source: str = SOURCE_KEY,
                snapshot_only: bool = False) -> dict[str, str]:
    """CSV text of each table the workbook regenerates, by dataset name."""
    out = {"ice_snapshots": _csv(SNAPSHOT_COLUMNS,
                                 snapshot_rows(wb, existing_snapshots, source))}
    if snapshot_only:
        return out
    out["agreements_287g"] = _csv(
        ["as_of", "state", "agency", "agency_type", "county", "model", "signed", "repair",
         "source", "notes"], agreements_rows(wb, source))
    out["agreements_by_state"] = _csv(
        ["as_of", "state", "model", "agreements", "agencies", "source"],
        by_state_rows(wb, source))
    out["agreements_signed_by_month"] = _csv(
        ["month", "model", "signed", "as_of", "source"], signed_by_month_rows(wb, source))
    return out


# --------------------------------------------------------------------------------------
# Report


def report(wb: Workbook, examples: int = 3) -> str:
    """A readable summary: counts, then every repair grouped by kind, then every warning."""
    c = wb.counts()
    ed = f" ({wb.edition})" if wb.edition else ""
    lines = [
        f"ICE workbook {wb.path.name}, sheet '{wb.sheet}', list dated {wb.as_of.isoformat()}{ed}",
        f"  {c['agreements']:,} agreements: {c['jail_enforcement']:,} {MODELS[0]}, "
        f"{c['task_force']:,} {MODELS[1]}, {c['warrant_service_officer']:,} {MODELS[2]}",
        f"  {c['agencies']:,} distinct agencies in {c['states']} states",
    ]
    fixed = [r for r in wb.repairs if not r.warning]
    lines.append(f"Repairs: {len(fixed):,} cell(s) changed")
    groups: dict[tuple[str, str], list[Repair]] = {}
    for r in fixed:
        kind = r.why if r.column != "SIGNED" else "date"
        groups.setdefault((r.column, kind), []).append(r)
    for (col, kind), items in groups.items():
        if col == "SIGNED":  # dates matter most: list every one
            lines.append(f"  {col}: {len(items)} date(s) repaired")
            lines += [f"    - {r}" for r in items]
        else:
            shown = ", ".join(f"row {r.row} {_show(r.before)}" for r in items[:examples])
            more = f", ... ({len(items) - examples} more)" if len(items) > examples else ""
            lines.append(f"  {col}: {len(items)} x {kind} (e.g. {shown}{more})")
    warns = wb.warnings
    lines.append(f"Warnings: {len(warns)} value(s) could not be repaired (rows kept)")
    lines += [f"  - {r}" for r in warns]
    if warns:
        lines.append("  Rows with an unusable SIGNED date keep an empty 'signed' and say why in "
                     "'repair'; check them against ICE's page.")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Refresh: write the course tables


@dataclass
class RefreshResult:
    workbook: Workbook
    written: dict[str, Path]  # dataset name -> file (planned, for a dry run)
    dry_run: bool
    summary: str


@contextmanager
def _data_dir(path: Path):
    old = os.environ.get("TRUSTLAB_DATA")
    os.environ["TRUSTLAB_DATA"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TRUSTLAB_DATA", None)
        else:
            os.environ["TRUSTLAB_DATA"] = old


def _validate_staged(texts: dict[str, str], course: Path) -> None:
    """Validate the new tables with trustlab.data, against the course's schemas and
    bibliography, in a scratch copy of the data package."""
    from . import data

    with tempfile.TemporaryDirectory(prefix="trustlab-287g-") as tmp:
        stage = Path(tmp) / "datasets"
        (stage / "schemas").mkdir(parents=True)
        shutil.copy2(course / "datapackage.json", stage / "datapackage.json")
        for sch in (course / "schemas").glob("*.json"):
            shutil.copy2(sch, stage / "schemas" / sch.name)
        bib = course.parent / "references.bib"
        if bib.is_file():
            shutil.copy2(bib, Path(tmp) / "references.bib")
        with _data_dir(stage):
            problems: list[Problem] = []
            for name, text in texts.items():
                res = data.resource(name)
                (stage / res["path"]).write_text(text, encoding="utf-8")
                problems += data.validate(name)
        if problems:
            raise DataError(problems, file="the regenerated 287(g) tables")


def refresh(path: str | Path, out: str | Path | None = None, as_of: date | None = None,
            edition: str | None = None, dry_run: bool = False, snapshot_only: bool = False,
            source: str = SOURCE_KEY) -> RefreshResult:
    """Regenerate the course's 287(g) tables from an ICE workbook.

    Writes ``agreements_287g.csv``, ``agreements_by_state.csv``,
    ``agreements_signed_by_month.csv`` and updates the workbook's row in ``ice_snapshots.csv``
    (other rows kept) in ``out`` (default: the course's ``datasets/``). The tables are
    validated before anything is written, then written to temporary files and renamed, so
    a failure leaves the old tables as they were. ``snapshot_only`` records an older
    workbook in ``ice_snapshots.csv`` without replacing the agreement tables."""
    from . import data

    wb = read_workbook(path, as_of=as_of, edition=edition)
    course = data.data_dir()
    out_dir = Path(out) if out else course
    if out_dir.exists() and not out_dir.is_dir():
        raise _err(out_dir, "is a file; --out needs a folder.", "Give a folder path.")
    snap_file = out_dir / "ice_snapshots.csv"
    if not snap_file.is_file():
        snap_file = course / "ice_snapshots.csv"
    existing: list[dict] = []
    if snap_file.is_file():
        cols, existing = _read_csv(snap_file)
        if cols != SNAPSHOT_COLUMNS:
            raise _err(snap_file, f"has columns {cols}, expected {SNAPSHOT_COLUMNS}.",
                       "Restore it from git (git checkout -- datasets/ice_snapshots.csv).")
    newer = [r for r in existing if _snapshot_key(r) > (wb.as_of.isoformat(),
                                                        _EDITION_ORDER[wb.edition])]
    if newer and not snapshot_only:
        latest = max(newer, key=_snapshot_key)
        raise _err(Path(path), f"this list is dated {wb.as_of.isoformat()} {wb.edition}"
                   .rstrip() + f", older than the newest one already in {snap_file.name} "
                   f"({latest['as_of']} {latest.get('edition', '')}).".replace(" )", ")"),
                   "The agreement tables describe the newest list. To record this older "
                   "workbook only as a row of ice_snapshots.csv, add --snapshot-only.")
    texts = table_texts(wb, existing, source, snapshot_only)
    _validate_staged(texts, course)
    files = {name: out_dir / data.resource(name)["path"] for name in texts}
    if not dry_run:
        _write_atomically({files[n]: t for n, t in texts.items()})
    verb = "Would write" if dry_run else "Wrote"
    summary = "\n".join([report(wb), f"{verb}:", *[f"  {_shown_path(p)}" for p in files.values()]])
    return RefreshResult(wb, files, dry_run, summary)


def _shown_path(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _write_atomically(files: dict[Path, str]) -> None:
    temps: dict[Path, Path] = {}
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                       dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            temps[target] = Path(tmp)
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()


# --------------------------------------------------------------------------------------
# The inverse: a workbook in ICE's published layout (for tests and for checking)


def write_workbook_like_ice(agreements: list[dict], path: str | Path) -> Path:
    """Write rows of ``agreements_287g.csv`` back as ICE publishes them: full upper-case state
    names, #N/A counties, datetime SIGNED cells, and every recorded repair undone (the
    ``repair`` column keeps what ICE's cell held), so reading the result gives the rows back."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    header = ["STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED",
              "MOA", "ADDENDUM"]
    ws.append(header)
    for row in agreements:
        cells: dict[str, Any] = {
            "STATE": states.BY_ABBR[row["state"]][1].upper(),
            "LAW ENFORCEMENT AGENCY": row["agency"], "TYPE": row["agency_type"],
            "COUNTY": row["county"], "SUPPORT TYPE": row["model"],
            "SIGNED": datetime.fromisoformat(row["signed"]) if row["signed"] else None,
            "MOA": "link pending" if NOTE_PENDING in row["notes"] else "link",
            "ADDENDUM": "link" if NOTE_ADDENDUM in row["notes"] else None,
        }
        undone: set[str] = set()
        for column, before, _why in parse_repair_text(row["repair"]):
            if column in undone:  # the first repair of a cell holds ICE's original value
                continue
            undone.add(column)
            if isinstance(before, date):
                before = datetime(before.year, before.month, before.day)
            cells[column] = before
        ws.append([cells[h] for h in header])
        ws.cell(ws.max_row, 6).number_format = "mm-dd-yy"
    path = Path(path)
    wb.save(path)
    return path
