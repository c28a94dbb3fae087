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
* a full state name with one stray letter typed after it (``UTAHJ``, row 723 of the 3 and
  7 July 2025 editions) -> that state, only when no other state name is within one letter;
* Excel error values (``#REF!``, ``#VALUE!``...) are reported as what they are: a warning
  where the row can be kept (SIGNED, TYPE, COUNTY, MOA, ADDENDUM), an error in STATE, agency
  and model;
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
workbook's row of ``ice_snapshots``), refuses implausible lists (:data:`MAX_DROP_SHARE`,
:data:`MAX_STATES_LOST`, a date after today, an empty table; ``--force`` overrides), validates
the whole data package with them in place, and swaps them in all or nothing (:func:`_swap`;
an interrupted swap is rolled back by :func:`recover`).
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
from collections.abc import Iterable, Iterator
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
_EXCEL_ERROR_RE = re.compile(r"^#(REF!|VALUE!|NAME\?|DIV/0!|NULL!|NUM!|N/A|SPILL!|CALC!|"
                             r"GETTING_DATA)$", re.IGNORECASE)
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


def excel_error(text: str) -> bool:
    """True for the text of an Excel error value (``#REF!``, ``#VALUE!``, ``#N/A``...)."""
    return bool(_EXCEL_ERROR_RE.match(text))


def _within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one inserted, deleted or changed letter."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def state_with_stray_letter(value: str) -> tuple[str, str] | None:
    """The state ICE meant when a letter was typed after its full name (``UTAHJ``), or None.

    The rule is strict, so that it can never pick between two states: the value must be a
    full state name (not a two-letter code) followed by exactly one letter, and no other
    state, DC or territory name may be within one typed letter (inserted, deleted or
    changed) of the value. Anything else stays an error for a person to correct."""
    text = clean_text(value)
    if len(text) < 5 or not text[-1].isalpha():
        return None
    hit = states.BY_NAME.get(text[:-1].lower())
    if hit is None:
        return None
    near = [name for name in states.BY_NAME if _within_one_edit(text.lower(), name)]
    if near != [text[:-1].lower()]:
        return None
    return hit[0], hit[1]


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
        if excel_error(text):
            return None, f"Excel error value {text.upper()}, not a date; left empty", True
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
        return tally((a.state, a.agency, a.model) for a in self.agreements)


def tally(agreements: Iterable[tuple[str, str, str]]) -> dict[str, int]:
    """Counts of a list of (state, agency, model) agreements, keyed as in ice_snapshots:
    agreements, one count per model, distinct agencies (state + case-insensitive name, as
    :attr:`Agreement.agency_key`) and distinct states."""
    rows = list(agreements)
    by_model = Counter(model for _, _, model in rows)
    return {
        "agreements": len(rows),
        "jail_enforcement": by_model[MODELS[0]],
        "task_force": by_model[MODELS[1]],
        "warrant_service_officer": by_model[MODELS[2]],
        "agencies": len({(state, agency.casefold()) for state, agency, _ in rows}),
        "states": len({state for state, _, _ in rows}),
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
        errors: dict[str, str] = {}  # column -> the Excel error value its cell holds
        for col in ("state", "agency", "agency_type", "county", "model", "moa", "addendum"):
            if col not in cells:
                text[col] = ""
                continue
            raw = cells[col]
            if raw is not None and not isinstance(raw, str):
                raw = str(raw)
            cleaned = clean_text(raw)
            if cleaned.upper() in _NA_PLACEHOLDERS and col in {"county", "agency_type"}:
                why = "ICE's #N/A placeholder for none"
                if cleaned.upper() != "#N/A":
                    why = f"ICE's #N/A placeholder for none, typed {cleaned}"
                repairs.append(Repair(r, COLUMNS[col][0], raw, "", why))
                cleaned = ""
            elif excel_error(cleaned) or (cleaned.upper() in _NA_PLACEHOLDERS
                                          and col in {"state", "agency", "model"}):
                # An Excel error (#REF!, #VALUE!, #N/A...) is not data. In STATE, agency and
                # model it is an error (below); elsewhere the row is kept with a warning.
                # Either way the message shows the value as ICE's cell holds it.
                errors[col] = cleaned
                if col not in {"state", "agency", "model"}:
                    why = f"Excel error value {cleaned}, not data; left empty"
                    if col == "moa":
                        why += ", so whether ICE's MOA link is pending is unknown"
                    elif col == "addendum":
                        why += ", so whether ICE lists an addendum is unknown"
                    repairs.append(Repair(r, COLUMNS[col][0], raw, None, why, warning=True))
                cleaned = ""
            elif cleaned.upper() in _NA_PLACEHOLDERS:
                cleaned = ""
            elif raw is not None and cleaned != raw and col not in {"moa", "addendum"}:
                repairs.append(Repair(r, COLUMNS[col][0], raw, cleaned, _space_why(raw)))
            text[col] = cleaned

        for col in ("state", "agency", "model"):
            if col in errors:
                what = {"state": "a state", "agency": "an agency name",
                        "model": "a 287(g) model"}[col]
                kind = ("the Excel error value" if excel_error(errors[col])
                        else "the placeholder")
                problems.append(Problem(str(path), f"{where(r, col)}: the cell holds {kind} "
                                        f"{errors[col]}, not {what}.",
                                        hint="ICE's sheet has a broken formula or lookup "
                                             "there: type the value from ICE's page into "
                                             "the cell; the row cannot be counted without "
                                             "it."))
        try:
            state = states.lookup(text["state"])[0] if text["state"] else None
        except KeyError:
            state = None
        if state is None and text["state"]:
            fixed = state_with_stray_letter(text["state"])
            if fixed is not None:
                state = fixed[0]
                repairs.append(Repair(r, COLUMNS["state"][0], text["state"],
                                      fixed[1].upper(),
                                      f"stray letter {text['state'][-1]!r} after the state "
                                      "name removed; no other state name is this close"))
        if state is None and "state" not in errors:
            close = difflib.get_close_matches(text["state"].lower(), list(states.BY_NAME), n=1)
            did = f" Did you mean '{states.BY_NAME[close[0]][1].upper()}'?" if close else ""
            problems.append(Problem(str(path), f"{where(r, 'state')}: "
                                    f"{_show(text['state'])} is not a U.S. state, DC or "
                                    f"territory.{did}",
                                    hint="Correct the cell (full name or two-letter code)."))
        if not text["agency"] and "agency" not in errors:
            problems.append(Problem(str(path), f"{where(r, 'agency')}: the agency name is "
                                    "empty.", hint="Fill it in from ICE's page; the row "
                                    "cannot be counted without it."))
        model = normalize_model(text["model"])
        if model is None and "model" in errors:
            pass
        elif model is None:
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


def snapshot_row(wb: Workbook, source: str = SOURCE_KEY, note: str = "") -> dict:
    notes = f"Computed by trustlab refresh-287g from ICE workbook {wb.path.name}."
    return {"as_of": wb.as_of.isoformat(), "edition": wb.edition, **wb.counts(),
            "source": source, "notes": f"{notes} {note}".strip()}


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _snapshot_key(row: dict) -> tuple[str, int]:
    return (row["as_of"], _EDITION_ORDER.get(row.get("edition", ""), 0))


def snapshot_rows(wb: Workbook, existing: list[dict], source: str = SOURCE_KEY,
                  note: str = "") -> list[dict]:
    """``existing`` with the workbook's row added or replaced, sorted by date and edition."""
    new = snapshot_row(wb, source, note)
    key = (new["as_of"], new["edition"])
    rows = [r for r in existing if (r.get("as_of"), r.get("edition", "")) != key]
    rows.append(new)
    return sorted(rows, key=_snapshot_key)


def table_texts(wb: Workbook, existing_snapshots: list[dict], source: str = SOURCE_KEY,
                snapshot_only: bool = False, note: str = "") -> dict[str, str]:
    """CSV text of each table the workbook regenerates, by dataset name."""
    out = {"ice_snapshots": _csv(SNAPSHOT_COLUMNS,
                                 snapshot_rows(wb, existing_snapshots, source, note))}
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


# Plausibility guards (each can be overridden with --force, after checking by hand).
MAX_DROP_SHARE = 0.20
"""Refuse a list with more than this share fewer agreements than the previous snapshot.

Across the 28 editions archived from 16 May to 18 July 2025 the list never shrank by more
than 1 agreement (0.1%) from one edition to the next, while it grew from 571 to 832. A fall of
a fifth (166 of 832 agreements) is what a truncated download, a filtered or half-saved copy,
or another ICE list (pending agencies, one state) looks like, not a change in the program."""
MAX_STATES_LOST = 2
"""Refuse a list that covers more than this many states fewer than the previous snapshot.

A state drops out only when its last agreement ends; in the 28 editions the number of states
never fell (it stayed at 40; the 41 once tallied on 7 July was ICE's typo "UTAHJ"). Losing
three or more at once points to a partial list even when the row count looks normal."""


class RefreshError(DataError):
    """refresh-287g could not (or would not) replace the tables; nothing was changed."""


@dataclass
class RefreshResult:
    workbook: Workbook
    written: dict[str, Path]  # dataset name -> file (planned, for a dry run)
    dry_run: bool
    summary: str
    notices: list[str] = field(default_factory=list)  # recovery from an interrupted run
    forced: list[str] = field(default_factory=list)  # guards overridden with force=True


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
    """Validate the WHOLE data package with the new tables in place, with trustlab.data, in
    a scratch copy of the course's datasets/ (every dataset, its schema and the
    bibliography), so that a new table that breaks another dataset is refused too."""
    from . import data

    with tempfile.TemporaryDirectory(prefix="trustlab-287g-") as tmp:
        stage = Path(tmp) / "datasets"
        shutil.copytree(course, stage, ignore=shutil.ignore_patterns(
            JOURNAL, ".*.refresh-new", ".*.refresh-old"))
        bib = course.parent / "references.bib"
        if bib.is_file():
            shutil.copy2(bib, Path(tmp) / "references.bib")
        with _data_dir(stage):
            for name, text in texts.items():
                (stage / data.resource(name)["path"]).write_text(text, encoding="utf-8")
            problems: list[Problem] = []
            for found in data.validate_all().values():
                problems += [Problem(p.file, p.with_file()) for p in found]
        if problems:
            raise DataError(problems, file="the data package with the regenerated 287(g) "
                                           "tables in place")


def _today() -> date:
    """Today's date (a function, so that tests can replace it)."""
    return date.today()


def plausibility_problems(wb: Workbook, texts: dict[str, str], previous: dict | None,
                          today: date) -> list[str]:
    """Reasons to refuse the new tables although they are valid (empty: plausible).

    ``previous`` is the snapshot row the new list is compared with: the newest one before
    it in ice_snapshots.csv."""
    out = []
    c = wb.counts()
    if wb.as_of > today:
        out.append(f"the list is dated {wb.as_of.isoformat()}, after today "
                   f"({today.isoformat()}): a wrong --as-of or a wrongly named file.")
    if previous is not None:
        before = int(previous["agreements"])
        if c["agreements"] < before * (1 - MAX_DROP_SHARE):
            out.append(f"{c['agreements']:,} agreements against {before:,} in the previous "
                       f"snapshot ({previous['as_of']} {previous.get('edition', '')}): a fall "
                       f"of {1 - c['agreements'] / before:.0%}, more than the "
                       f"{MAX_DROP_SHARE:.0%} allowed (truncated or partial workbook?).")
        states_before = int(previous["states"])
        if c["states"] < states_before - MAX_STATES_LOST:
            out.append(f"{c['states']} states against {states_before} in the previous "
                       f"snapshot: more than {MAX_STATES_LOST} states lost at once (partial "
                       "workbook?).")
    return out


def empty_tables(texts: dict[str, str]) -> list[str]:
    """Tables that would be written with a header and no rows. The data package refuses
    header-only tables (trustlab.data), so not even --force writes them."""
    out = []
    for name, text in texts.items():
        if len(text.splitlines()) < 2:
            why = (" (no row has a usable SIGNED date: see the warnings above)"
                   if name == "agreements_signed_by_month" else "")
            out.append(f"{name}.csv would have no rows{why}.")
    return out


def recover(folder: str | Path, say=None) -> list[str]:
    """Finish off a refresh-287g that was interrupted in ``folder``; return what was done.

    If its journal is there, the swap was interrupted after the backups were made: every
    table named in the journal is ROLLED BACK to its backup (tables the run created are
    removed), so the folder holds the complete old set again; the interrupted run never
    reported success, so nothing the user was told is lost. Temporary and backup files
    without a journal are left-overs of a run that failed before the swap or finished it;
    the tables are complete either way, and the left-overs are deleted."""
    folder = Path(folder)
    done: list[str] = []
    journal = folder / JOURNAL
    if journal.is_file():
        entries = _read_journal(journal)
        _rollback(folder, entries, journal)
        names = ", ".join(e[0].name for e in entries)
        done.append(f"An earlier refresh-287g in {_shown_path(folder)} was interrupted while "
                    f"replacing the tables; restored the previous {names} from the backups "
                    f"it kept ({JOURNAL}). Nothing of the interrupted run was kept: run it "
                    "again.")
    left = sorted([*folder.glob(".*.refresh-new"), *folder.glob(".*.refresh-old")])
    if left:
        for p in left:
            p.unlink()
        done.append(f"Removed {len(left)} left-over temporary file(s) of an interrupted "
                    f"refresh-287g from {_shown_path(folder)} (the tables there were "
                    "complete).")
    for line in done:
        if say is not None:
            say(line)
    return done


def _out_folder(out: Path) -> Path:
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                what = "is" if p == out else f"is inside {_shown_path(p)}, which is"
                raise RefreshError([Problem(str(out), f"{what} a file; --out needs a folder.",
                                            hint="Give the path of a folder (it is "
                                                 "created if missing).")], file=str(out))
            break
    return out


def refresh(path: str | Path, out: str | Path | None = None, as_of: date | None = None,
            edition: str | None = None, dry_run: bool = False, snapshot_only: bool = False,
            source: str = SOURCE_KEY, force: bool = False, today: date | None = None,
            note: str = "", say=None) -> RefreshResult:
    """Regenerate the course's 287(g) tables from an ICE workbook.

    Writes ``agreements_287g.csv``, ``agreements_by_state.csv``,
    ``agreements_signed_by_month.csv`` and updates the workbook's row in ``ice_snapshots.csv``
    (other rows kept) in ``out`` (default: the course's ``datasets/``).

    All or nothing: the new tables are checked for plausibility (see
    :func:`plausibility_problems`; ``force`` overrides), the whole data package is validated
    with them in place, and only then are they swapped in by :func:`_swap`, which leaves
    either the complete old set or the complete new set whatever fails or stops it.
    ``snapshot_only`` records an older workbook in ``ice_snapshots.csv`` without replacing
    the agreement tables. ``note`` is appended to the workbook's snapshot notes (e.g. where
    the file was archived). ``say`` receives notices about an interrupted earlier run."""
    from . import data

    out_dir = _out_folder(Path(out)) if out else None
    course = data.data_dir()
    out_dir = out_dir or course
    notices = recover(out_dir, say) if out_dir.is_dir() else []
    wb = read_workbook(path, as_of=as_of, edition=edition)
    snap_file = out_dir / "ice_snapshots.csv"
    if not snap_file.is_file():
        snap_file = course / "ice_snapshots.csv"
    existing: list[dict] = []
    if snap_file.is_file():
        cols, existing = _read_csv(snap_file)
        if cols != SNAPSHOT_COLUMNS:
            raise _err(snap_file, f"has columns {cols}, expected {SNAPSHOT_COLUMNS}.",
                       "Restore it from git (git checkout -- datasets/ice_snapshots.csv).")
    key = (wb.as_of.isoformat(), _EDITION_ORDER[wb.edition])
    newer = [r for r in existing if _snapshot_key(r) > key]
    if newer and not snapshot_only:
        latest = max(newer, key=_snapshot_key)
        raise _err(Path(path), f"this list is dated {wb.as_of.isoformat()} {wb.edition}"
                   .rstrip() + f", older than the newest one already in {snap_file.name} "
                   f"({latest['as_of']} {latest.get('edition', '')}).".replace(" )", ")"),
                   "The agreement tables describe the newest list. To record this older "
                   "workbook only as a row of ice_snapshots.csv, add --snapshot-only.")
    texts = table_texts(wb, existing, source, snapshot_only, note)
    older = [r for r in existing if _snapshot_key(r) < key]
    previous = max(older, key=_snapshot_key) if older else None
    empty = empty_tables(texts)
    if empty:
        raise RefreshError(
            "refused, nothing was written:\n" + "\n".join(f"  - {d}" for d in empty)
            + "\nAn empty table cannot be written, even with --force: the chapters would "
              "have nothing to show and the data package refuses header-only tables. Check "
              "the workbook against ICE's page (https://www.ice.gov/identify-and-arrest/287g)"
              " and repair the cells the warnings name.", file=_shown_path(wb.path))
    doubts = plausibility_problems(wb, texts, previous, today or _today())
    if doubts and not force:
        raise RefreshError(
            "refused, nothing was written:\n" + "\n".join(f"  - {d}" for d in doubts)
            + "\nCheck the workbook against ICE's page "
              "(https://www.ice.gov/identify-and-arrest/287g). If the list really is like "
              "this, run the command again with --force.", file=_shown_path(wb.path))
    _validate_staged(texts, course)
    files = {name: out_dir / data.resource(name)["path"] for name in texts}
    if not dry_run:
        _swap({files[n]: t for n, t in texts.items()})
    verb = "Would write" if dry_run else "Wrote"
    lines = [report(wb)]
    if doubts:
        lines += ["Written despite (--force):", *[f"  - {d}" for d in doubts]]
    summary = "\n".join([*lines, f"{verb}:", *[f"  {_shown_path(p)}" for p in files.values()]])
    return RefreshResult(wb, files, dry_run, summary, notices, doubts)


def _shown_path(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------------------
# The swap: all or nothing
#
# 1. write each new table to ``.NAME.refresh-new`` beside its target, fsync it;
# 2. keep the old table as ``.NAME.refresh-old`` (a hard link, or a copy), fsync the folder;
# 3. write the journal ``.refresh-287g.journal`` (target, new, backup per table) to a
#    temporary file, fsync, and rename it into place: from now on a crash is recoverable;
# 4. rename each new table over its target (os.replace is atomic), fsync the folder;
# 5. delete the journal (the commit point), then the backups.
# A failure in 1-2 deletes the temporaries (the targets were not touched); a failure in 4
# rolls every target back from its backup and deletes the journal; a kill in 3-4 leaves the
# journal, and the next refresh-287g (or `python -m trustlab validate`) rolls back.

JOURNAL = ".refresh-287g.journal"
_STEP_HOOK = None  # tests: a callable(step, path) run after each step; it may raise


def _step(name: str, path: Path | None = None) -> None:
    if _STEP_HOOK is not None:
        _STEP_HOOK(name, path)


def _temp(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.refresh-{kind}")


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder to fsync it; rename is durable there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _keep_backup(target: Path, backup: Path) -> None:
    try:
        os.link(target, backup)  # the old file itself: cheap, and nothing to flush
    except OSError:
        shutil.copy2(target, backup)
        with open(backup, "rb+") as fh:
            os.fsync(fh.fileno())


def _read_journal(journal: Path) -> list[tuple[Path, Path, Path | None]]:
    folder = journal.parent
    try:
        raw = json.loads(journal.read_text(encoding="utf-8"))
        return [(folder / e["target"], folder / e["new"],
                 folder / e["backup"] if e["backup"] else None) for e in raw["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise RefreshError([Problem(str(journal), f"the journal of an interrupted "
                                    f"refresh-287g cannot be read ({exc}).",
                                    hint="Restore the four 287(g) tables from git (git "
                                         "checkout -- datasets/), then delete the journal "
                                         "and any .*.refresh-new / .*.refresh-old files "
                                         "beside it.")], file=str(journal)) from None


def _rollback(folder: Path, entries, journal: Path) -> None:
    for target, new, backup in entries:
        if backup is None:  # the run created this table: remove it
            if target.exists():
                target.unlink()
        elif backup.exists():  # (missing: already restored by an earlier rollback)
            if target.exists() and os.path.samefile(backup, target):
                backup.unlink()  # not replaced yet (rename between two links is a no-op)
            else:
                os.replace(backup, target)
        if new.exists():
            new.unlink()
    _fsync_dir(folder)
    journal.unlink()
    _fsync_dir(folder)


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: the file, what went wrong, what to do."""
    import errno

    what = {
        errno.ENOSPC: "the disk is full: free some space and run the command again",
        errno.EACCES: "permission denied: check that you may write to that folder (and "
                      "that no other program holds the file open)",
        errno.EPERM: "operation not permitted: check the folder's permissions",
        errno.EROFS: "the folder is on a read-only file system: choose another with --out",
        errno.ENOTDIR: "a part of that path is a file, not a folder: check the path",
        errno.EISDIR: "that path is a folder, not a file: check the path",
        errno.ENOENT: "no such file or folder: check the path",
        errno.EDQUOT: "your disk quota is exceeded: free some space",
    }.get(exc.errno, "check the file and the folder, then run the command again")
    name = exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or str(exc)
    return f"{_shown_path(Path(name)) if exc.filename else name}: {reason}; {what}"


def _swap(files: dict[Path, str]) -> None:
    """Replace every target with its new text, all or nothing (see the steps above)."""
    folders = {t.parent for t in files}
    if len(folders) != 1:
        raise ValueError("all tables of one refresh must be in one folder")
    (folder,) = folders
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[Path, Path, Path | None]] = []
    try:
        for target, text in files.items():
            new = _temp(target, "new")
            entries.append((target, new, None))
            _write_synced(new, text.encode("utf-8"))
            _step("write", target)
        for i, (target, new, _) in enumerate(entries):
            if target.exists():
                backup = _temp(target, "old")
                entries[i] = (target, new, backup)
                _keep_backup(target, backup)
                _step("backup", target)
        _fsync_dir(folder)
        journal = folder / JOURNAL
        tmp = _temp(journal, "new")
        _write_synced(tmp, json.dumps({
            "written_by": "python -m trustlab refresh-287g",
            "started": datetime.now().isoformat(timespec="seconds"),
            "rule": "if this file exists the swap did not finish: restore each target from "
                    "its backup (python -m trustlab refresh-287g or validate does it)",
            "files": [{"target": t.name, "new": n.name, "backup": b.name if b else None}
                      for t, n, b in entries]}, indent=1).encode("utf-8"))
        os.replace(tmp, journal)
        _fsync_dir(folder)
        _step("journal", journal)
    except (Exception, KeyboardInterrupt) as exc:  # the targets are untouched
        for p in [folder / JOURNAL, _temp(folder / JOURNAL, "new"),
                  *[q for _, new, backup in entries for q in (new, backup) if q]]:
            if p.exists():
                p.unlink()
        if isinstance(exc, OSError):
            raise RefreshError(f"could not write the new tables ({describe_os_error(exc)}). "
                               "Nothing was changed: the old tables are as they were.",
                               file=_shown_path(folder)) from exc
        raise
    try:
        for target, new, _ in entries:
            os.replace(new, target)
            _step("replace", target)
        _fsync_dir(folder)
    except (Exception, KeyboardInterrupt) as exc:
        try:
            _rollback(folder, entries, journal)
        except Exception as again:
            raise RefreshError(
                f"the swap failed ({exc}) and so did putting the old tables back ({again}). "
                f"The journal {JOURNAL} is kept: run the command again (or python -m trustlab "
                "validate) to restore the old tables.", file=_shown_path(folder)) from exc
        if isinstance(exc, OSError):
            raise RefreshError(f"could not replace the tables ({describe_os_error(exc)}). "
                               "Nothing was changed: the old tables are back in place.",
                               file=_shown_path(folder)) from exc
        raise
    journal.unlink()  # the commit point: from here on the new set stands
    try:  # so what follows is best effort: the swap is done whatever fails now
        _fsync_dir(folder)
        _step("commit", journal)
    except OSError:
        pass
    finally:
        for _, _, backup in entries:
            if backup is not None:
                try:
                    backup.unlink()
                except OSError:
                    pass  # a stale backup is harmless; the next run removes it


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
