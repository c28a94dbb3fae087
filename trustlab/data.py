"""Load and validate the course datasets.

Every notebook, chart and exercise reads data through :func:`load`, which checks each CSV
against its Frictionless Table Schema (``datasets/schemas/<name>.json``) and every ``source``
key against ``references.bib`` before returning a typed :class:`pandas.DataFrame`.

Problems are reported all at once, each naming the file, row, column, the rule broken and
what to do, in a :class:`DataError` whose traceback IPython hides (only the message shows).

The validator and the loader read a CSV once, with the :mod:`csv` module on the real file
(``newline=''``), so they agree about what a row is: a quoted cell may span lines, a blank
line is refused (not skipped), and the row and line numbers in messages are those of the file.

Two custom properties of ``datapackage.json`` (documented in CONTRIBUTING.md):

* ``"trustlab:mayBeEmpty": true`` on a resource allows a table with a header and no rows;
* ``"trustlab:consistency"`` at package level lists figures stored in two tables that must
  agree (see :func:`check_consistency`).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from . import reads

MAX_PROBLEMS_SHOWN = 20
_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_NUM_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_NONFINITE_RE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_BIB_KEY_RE = re.compile(r"^\s*@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.MULTILINE)
# Control characters refused in any cell: C0 except tab, LF and CR (LF and CR end lines, also
# inside a quoted multi-line cell), and DEL. NUL is the usual sign of a binary or UTF-16 file.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Booleans: one rule, case-insensitive, the same in validation and loading.
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_INT64 = (-(2**63), 2**63 - 1)
TYPES = ("string", "integer", "number", "date", "boolean")
MAY_BE_EMPTY = "trustlab:mayBeEmpty"
CONSISTENCY = "trustlab:consistency"
PACKAGE_KEY = "datapackage.json"  # validate_all(): problems of the package as a whole
RULES_KEY = "consistency rules"  # validate_all(): cross-dataset rules


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: where it is, what rule it breaks, what to do."""

    file: str
    message: str
    row: int | None = None  # 1-based data row (the header is not a row)
    column: str | None = None
    hint: str = ""
    line: int | None = None  # line of the file where the row starts (default: row + 1)

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row} (line {self.line or self.row + 1})")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        loc = ", ".join(where)
        text = f"{loc}: {self.message}" if loc else self.message
        return f"{text} {self.hint}".rstrip()

    def with_file(self) -> str:
        """The problem with its file named first (unless the message names it already), for
        lists that mix files."""
        text = str(self)
        return text if self.file in text else f"{self.file}: {text}"


class DataError(ValueError):
    """A dataset could not be loaded. The message lists every problem found."""

    def __init__(self, problems: list[Problem] | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(file or "datasets", problems)]
        self.problems = problems
        self.file = file or (problems[0].file if problems else "datasets")
        super().__init__(self._format())

    def _format(self) -> str:
        n = len(self.problems)
        if n == 1 and self.problems[0].row is None and self.problems[0].column is None \
                and self.problems[0].line is None:
            return f"{self.file}: {self.problems[0]}"
        head = f"{self.file} does not pass validation ({n} problem{'s' if n != 1 else ''}):"
        lines = [f"  - {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if n > MAX_PROBLEMS_SHOWN:
            lines.append(f"  ... and {n - MAX_PROBLEMS_SHOWN} more of the same kind.")
        return "\n".join([head, *lines])

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing the stack: students see the message only.
        return [f"DataError: {self}"]


def _show(raw: str, limit: int = 60) -> str:
    """A cell value for a one-line message: control and line-break characters escaped."""
    text = raw if len(raw) <= limit else raw[:limit] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# --------------------------------------------------------------------------------------
# Where the data lives


def data_dir() -> Path:
    """The ``datasets/`` folder: ``$TRUSTLAB_DATA``, else the course folder's (see
    :func:`trustlab.paths.find_course`: ``$TRUSTLAB_COURSE``, the repository, or the current
    folder or one above it)."""
    from .paths import DATA_ENV, MARKER, find_course, not_found_message

    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    course = find_course()
    if course is None or not (course / MARKER).is_file():
        raise DataError(not_found_message(), file=MARKER.as_posix())
    return course / "datasets"


def _rel(path: Path) -> str:
    """A path as a person would type it from the repository root."""
    try:
        return str(path.resolve().relative_to(data_dir().resolve().parent))
    except ValueError:
        return str(path)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DataError(f"file not found: {_rel(path)}.", file=_rel(path))
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(f"is not UTF-8 text (byte {exc.start}). Save it as UTF-8.",
                        file=_rel(path)) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix the JSON syntax there (a missing comma or quote is the usual cause).",
            file=_rel(path),
        ) from None


def _stamp(path: Path) -> tuple[str, float, int]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), 0, -1)
    return (str(path), st.st_mtime, st.st_size)


@lru_cache(maxsize=8)
def _package_cached(stamp: tuple[str, float, int]) -> dict:
    pkg = _read_json(Path(stamp[0]))
    rel = _rel(Path(stamp[0]))
    if not isinstance(pkg, dict):
        raise DataError("must be a JSON object with a \"resources\" list.", file=rel)
    if not isinstance(pkg.get("resources", []), list):
        raise DataError("\"resources\" must be a list of resource objects.", file=rel)
    return pkg


def _package() -> dict:
    path = data_dir() / "datapackage.json"
    if not path.is_file():
        raise DataError("file not found.", file=_rel(path))
    return _package_cached(_stamp(path))


def _resources() -> list[dict]:
    """The resource entries that are objects with a string name (the others are reported by
    :func:`package_problems`)."""
    return [r for r in _package().get("resources", [])
            if isinstance(r, dict) and isinstance(r.get("name"), str)]


def package() -> dict:
    """The parsed ``datasets/datapackage.json``."""
    pkg = _package()
    reads.note("file", str(data_dir() / "datapackage.json"))
    return pkg


def names() -> list[str]:
    """Names of all datasets, in the order of the data package."""
    package()
    return [r["name"] for r in _resources()]


def resource(name: str) -> dict:
    """The data-package entry of one dataset (title, sources, licence, datasheet...)."""
    for res in _resources():
        if res.get("name") == name:
            reads.note("resource", f"{data_dir() / 'datapackage.json'}#{name}")
            return res
    known = names()
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise DataError(
        f"there is no dataset called '{name}'.{hint} Known datasets: {', '.join(known)}.",
        file="datasets/datapackage.json",
    )


def _resource_path(name: str, res: dict) -> Path:
    p = res.get("path")
    if not isinstance(p, str) or not p.strip():
        raise DataError(
            f"dataset '{name}' has no \"path\" (or it is not one file name). Add "
            f"\"path\": \"{name}.csv\" to its entry.", file="datasets/datapackage.json")
    return data_dir() / p


def schema(name: str) -> dict:
    """The Table Schema of a tabular dataset."""
    res = resource(name)
    sch = res.get("schema")
    if isinstance(sch, str):
        reads.note("file", str(data_dir() / sch))
        sch = _read_json(data_dir() / sch)
        if not isinstance(sch, dict):
            raise DataError("a table schema must be a JSON object with \"fields\".",
                            file=_rel(data_dir() / res["schema"]))
        return sch
    if isinstance(sch, dict):
        return sch
    raise DataError(
        f"dataset '{name}' has no table schema. Add \"schema\": \"schemas/{name}.json\" "
        "to its entry.",
        file="datasets/datapackage.json",
    )


@lru_cache(maxsize=4)
def _bib_cached(stamp: tuple[str, float, int]) -> frozenset[str]:
    path = Path(stamp[0])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:offset].count(b"\n") + 1
        raise DataError(
            f"is not UTF-8 text: byte {offset} (0x{raw[offset]:02x}, line {line}) cannot be "
            "decoded. Save the file as UTF-8 (or retype the character on that line).",
            file=_rel(path)) from None
    return frozenset(key for kind, key in _BIB_KEY_RE.findall(text)
                     if kind.lower() not in {"comment", "string", "preamble"})


def bib_path() -> Path:
    return data_dir().parent / "references.bib"


def bib_keys() -> frozenset[str]:
    """All entry keys in the course's one ``references.bib``."""
    path = bib_path()
    if not path.is_file():
        raise DataError(f"file not found at {path}; every dataset row cites a key in it. "
                        "Restore it (git checkout -- references.bib).", file=_rel(path))
    reads.note("file", str(path))
    return _bib_cached(_stamp(path))


# --------------------------------------------------------------------------------------
# Validation of one table


def _parse_cell(raw: str, field: dict) -> Any:
    """Parse one non-empty cell; raise ValueError with a human message on failure."""
    ftype = field.get("type", "string")
    shown = _show(raw)
    if ftype == "string":
        return raw
    if ftype in ("integer", "number") and _NONFINITE_RE.match(raw):
        raise ValueError(f"'{shown}' is not a finite number (write the figure, or leave the "
                         "cell empty if it is unknown)")
    if ftype == "integer":
        if not _INT_RE.match(raw):
            extra = " (write numbers without thousands separators)" if "," in raw else ""
            raise ValueError(f"'{shown}' is not a whole number (type integer){extra}")
        value = int(raw)
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"'{shown}' is too large for a whole-number column")
        return value
    if ftype == "number":
        if not _NUM_RE.match(raw):
            extra = " (write numbers without thousands separators)" if "," in raw else ""
            raise ValueError(f"'{shown}' is not a number{extra}")
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(f"'{shown}' is not a finite number (it is too large to store)")
        return value
    if ftype == "date":
        if not _DATE_RE.match(raw):
            raise ValueError(f"'{shown}' is not a date in the form YYYY-MM-DD")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{shown}' is not a real calendar date") from None
    if ftype == "boolean":
        low = raw.casefold()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"'{shown}' is not a boolean (write true/false, yes/no or 1/0)")
    raise ValueError(f"the schema gives this column an unsupported type '{ftype}'")


def _check_constraints(value: Any, raw: str, field: dict) -> str | None:
    c = field.get("constraints", {})
    shown = _show(raw)
    if "enum" in c and value not in _coerced_enum(field):
        close = difflib.get_close_matches(str(raw), [str(e) for e in c["enum"]], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"'{shown}' is not one of the allowed values {c['enum']}{hint}"
    if "minimum" in c and value < _coerce_bound(c["minimum"], field):
        return f"{shown} is below the minimum {c['minimum']}"
    if "maximum" in c and value > _coerce_bound(c["maximum"], field):
        return f"{shown} is above the maximum {c['maximum']}"
    if "pattern" in c and not re.fullmatch(c["pattern"], raw):
        return f"'{shown}' does not match the pattern {c['pattern']}"
    return None


def _coerce_bound(bound: Any, field: dict) -> Any:
    if field.get("type") == "date" and isinstance(bound, str):
        return date.fromisoformat(bound)
    return bound


def _coerced_enum(field: dict) -> list:
    return [_parse_cell(str(e), field) if field.get("type") in ("date", "boolean") else e
            for e in field["constraints"]["enum"]]


def _schema_problems(sch: dict, where: str) -> list[Problem]:
    """Mistakes in a table schema that would otherwise crash the validator."""
    out: list[Problem] = []

    def bad(msg: str, hint: str = "") -> None:
        out.append(Problem(where, msg, hint=hint))

    fields = sch.get("fields")
    if not isinstance(fields, list) or not fields:
        bad("\"fields\" must be a non-empty list of field objects.",
            "List the CSV's columns, in order, each as {\"name\": ..., \"type\": ...}.")
        return out
    seen: set[str] = set()
    for i, f in enumerate(fields, start=1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            bad(f"field {i} has no \"name\".", "Give every field the name of its CSV column.")
            continue
        name = f["name"]
        if name in seen:
            bad(f"field '{name}' is listed twice.", "Each column appears once in \"fields\".")
        seen.add(name)
        ftype = f.get("type", "string")
        if ftype not in TYPES:
            bad(f"field '{name}' has type '{ftype}', which trustlab cannot check.",
                f"Use one of {list(TYPES)}.")
            continue
        c = f.get("constraints", {})
        if not isinstance(c, dict):
            bad(f"field '{name}': \"constraints\" must be an object.")
            continue
        for key in ("minimum", "maximum"):
            if key in c:
                ok = (isinstance(c[key], int | float) and not isinstance(c[key], bool)
                      and ftype in ("integer", "number")) or \
                     (ftype == "date" and isinstance(c[key], str) and _DATE_RE.match(c[key]))
                if ok and ftype == "date":
                    try:
                        date.fromisoformat(c[key])
                    except ValueError:
                        ok = False
                if not ok:
                    bad(f"field '{name}': {key} {c[key]!r} does not fit type '{ftype}'.",
                        "Give a number for a number column, a YYYY-MM-DD string for a date.")
        if "enum" in c:
            if not isinstance(c["enum"], list):
                bad(f"field '{name}': \"enum\" must be a list of allowed values.")
            else:
                try:
                    _coerced_enum(f)
                except ValueError as exc:
                    bad(f"field '{name}': an allowed value in \"enum\" is invalid: {exc}.")
        if "pattern" in c:
            try:
                re.compile(c["pattern"])
            except (re.error, TypeError) as exc:
                bad(f"field '{name}': pattern {c['pattern']!r} is not a valid regular "
                    f"expression ({exc}).")
    pk = sch.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    if not isinstance(pk, list) or any(k not in seen for k in pk):
        bad(f"primaryKey {sch.get('primaryKey')!r} names a field that is not in \"fields\".")
    mv = sch.get("missingValues", [""])
    if not isinstance(mv, list) or not all(isinstance(v, str) for v in mv):
        bad("\"missingValues\" must be a list of strings (usually [\"\"]).")
    return out


@dataclass
class _Record:
    row: int  # 1-based data row
    line: int  # line of the file where it starts
    cells: list[str]


def _read_records(path: Path) -> tuple[list[str], int, list[_Record], list[Problem]]:
    """The header and the data records of a CSV, with their lines; blank lines are problems.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (as in Python's and pandas's CSV readers);
    U+2028, U+2029 and U+0085 inside a quoted cell are text, not line ends."""
    rel = _rel(path)
    if not path.is_file():
        raise DataError(
            "file not found, but datasets/datapackage.json lists it. Restore it "
            f"(git checkout -- {rel}) or remove its entry from the data package.",
            file=rel,
        )
    raw = path.read_bytes()
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
        line = raw[:offset].count(b"\n") + 1
        raise DataError(
            f"is not UTF-8 text: byte {offset} (0x{raw[offset]:02x}, line {line}) cannot be "
            "decoded. Save it as UTF-8 CSV.", file=rel) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[_Record] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    header_line = 1
    prev_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(
                f"line {reader.line_num}: malformed CSV ({exc}). Check for an unclosed "
                "double quote on that line or the one before it.",
                file=rel,
            ) from None
        start, prev_line = prev_line + 1, reader.line_num
        if header is None:
            if not cells:
                problems.append(Problem(rel, "is blank; the header must be the first line.",
                                        line=start, hint="Remove the empty line."))
                continue
            header, header_line = cells, start
            continue
        if not cells or (len(cells) == 1 and not cells[0].strip() and len(header) > 1):
            problems.append(Problem(rel, "is blank.", line=start,
                                    hint="Remove the empty line: every line after the header "
                                         "is a row."))
            continue
        records.append(_Record(len(records) + 1, start, cells))
    if header is None:
        raise DataError("is empty; it needs a header row.", file=rel)
    return header, header_line, records, problems


@dataclass
class _Table:
    name: str
    rel: str
    problems: list[Problem]
    fields: list[dict] = field(default_factory=list)
    records: list[_Record] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)  # parsed, None = missing
    frame: pd.DataFrame | None = None


def _table_files(name: str) -> tuple[dict, Path, list[Path]]:
    """A table's entry, its CSV, and every file its checks read: datapackage.json, the CSV,
    references.bib and its schema file."""
    res = resource(name)
    csv_path = _resource_path(name, res)
    files = [data_dir() / "datapackage.json", csv_path, bib_path()]
    if isinstance(res.get("schema"), str):
        files.append(data_dir() / res["schema"])
    return res, csv_path, files


def _note_table_read(name: str) -> list[Path]:
    """Record (for the book's rebuilds) that the running code read table ``name``; return its
    files. Its datapackage entry is recorded by resource(), so the whole file is not."""
    _, _, files = _table_files(name)
    for f in files[1:]:
        reads.note("file", str(f))
    return files


def _table(name: str) -> _Table:
    """Read and check one table (cached until one of its files changes)."""
    _, _, files = _table_files(name)
    return _table_cached(name, tuple(_stamp(p) for p in files))


@lru_cache(maxsize=64)
def _table_cached(name: str, stamps: tuple) -> _Table:
    try:
        return _build_table(name)
    except DataError as exc:
        return _Table(name, exc.file, list(exc.problems))


def _build_table(name: str) -> _Table:
    res, path, _ = _table_files(name)
    rel = _rel(path)
    sch = schema(name)
    schema_rel = _rel(data_dir() / res["schema"]) if isinstance(res.get("schema"), str) \
        else "the schema in datasets/datapackage.json"
    bad_schema = _schema_problems(sch, schema_rel)
    if bad_schema:
        return _Table(name, schema_rel, bad_schema)
    may_be_empty = res.get(MAY_BE_EMPTY, False)
    if not isinstance(may_be_empty, bool):
        return _Table(name, "datasets/datapackage.json", [Problem("datasets/datapackage.json",
                                          f"dataset '{name}': \"{MAY_BE_EMPTY}\" must be true "
                                          "or false.")])
    fields = sch["fields"]
    expected = [f["name"] for f in fields]
    header, header_line, records, problems = _read_records(path)
    header = [h.strip() for h in header]
    table = _Table(name, rel, problems, fields, records)

    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {[_show(c) for c in extra]}")
        if not parts:
            parts.append(f"columns are in the wrong order {header}; expected {expected}")
        table.problems = [Problem(rel, "header does not match " + schema_rel + ": "
                                  + "; ".join(parts) + ".", line=header_line,
                                  hint="Rename the CSV column or update the schema, so both "
                                       "agree.")]
        return table

    if not records and not may_be_empty:
        problems.append(Problem(
            rel, "has no data rows (only the header).",
            hint=f"Add its rows, or, if an empty table is correct, set \"{MAY_BE_EMPTY}\": "
                 "true on its entry in datasets/datapackage.json."))

    missing_values = set(sch.get("missingValues", [""]))
    keys = bib_keys() if any(f.get("bibkey") for f in fields) else frozenset()
    unique_seen: dict[str, dict[Any, int]] = {
        f["name"]: {} for f in fields if f.get("constraints", {}).get("unique")}
    pk = sch.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    pk_seen: dict[tuple, int] = {}

    for rec in records:
        i, row = rec.row, rec.cells

        def problem(msg: str, col: str | None = None, hint: str = "", _rec=rec) -> None:
            problems.append(Problem(rel, msg, row=_rec.row, column=col, hint=hint,
                                    line=_rec.line))

        if len(row) != len(expected):
            problem(f"has {len(row)} fields but the header has {len(expected)}.",
                    hint="Each row needs one value per column; a comma inside a value needs "
                         "the value in double quotes.")
            table.values.append({})
            continue
        parsed: dict[str, Any] = {}
        for fld, raw in zip(fields, row, strict=True):
            col = fld["name"]
            ctl = _CONTROL_RE.search(raw)
            if ctl:
                problem(f"contains the control character U+{ord(ctl.group()):04X} "
                        f"('{_show(raw)}').", col,
                        "Delete it: cells hold text only (tabs and line breaks inside double "
                        "quotes are allowed; NUL usually means a binary or UTF-16 file).")
                continue
            raw = raw.strip()
            if raw in missing_values:
                parsed[col] = None
                if fld.get("constraints", {}).get("required"):
                    problem("is empty but required.", col,
                            "Fill it in, or mark the row as unknown in 'notes' and remove "
                            "the row.")
                continue
            try:
                value = _parse_cell(raw, fld)
            except ValueError as exc:
                problem(f"{exc}.", col, "Fix the value in the CSV.")
                continue
            err = _check_constraints(value, raw, fld)
            if err:
                problem(f"{err}.", col,
                        "Fix the value, or widen the constraint in the schema if the value is "
                        "right.")
            if fld.get("bibkey"):
                for key in (k.strip() for k in raw.split(";")):
                    if key and key not in keys:
                        close = difflib.get_close_matches(key, sorted(keys), n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        problem(f"unknown source key '{_show(key)}'{hint}.", col,
                                "Add an entry with that key to references.bib, or fix the key.")
            if col in unique_seen:
                first = unique_seen[col].setdefault(value, i)
                if first != i:
                    problem(f"'{_show(raw)}' repeats row {first}; values in this column must "
                            "be unique.", col)
            parsed[col] = value
        table.values.append(parsed)
        if pk and all(c in parsed for c in pk):
            key = tuple(parsed[c] for c in pk)
            first = pk_seen.setdefault(key, i)
            if first != i:
                shown = ", ".join(f"{c}={parsed[c]}" for c in pk)
                problem(f"duplicate key ({shown}) first seen in row {first}.",
                        hint="Each row needs a unique primary key: merge or remove the "
                             "duplicate.")
    problems.sort(key=lambda p: (p.line or 0))
    return table


def validate(name: str) -> list[Problem]:
    """Return every problem in a dataset (an empty list means it is valid).

    Checks the table on its own; :func:`check_consistency` checks it against other tables."""
    return list(_table(name).problems)


def _to_frame(table: _Table) -> pd.DataFrame:
    """The typed frame of a valid table, built from the very cells the validator checked."""
    out = {}
    for fld in table.fields:
        col = fld["name"]
        vals = [v.get(col) for v in table.values]
        ftype = fld.get("type", "string")
        if ftype == "integer":
            out[col] = pd.array(vals, dtype="Int64")
        elif ftype == "number":
            out[col] = pd.Series([None if v is None else float(v) for v in vals],
                                 dtype="float64")
        elif ftype == "date":
            out[col] = pd.to_datetime(
                pd.Series([None if v is None else v.isoformat() for v in vals],
                          dtype="object"), format="%Y-%m-%d")
        elif ftype == "boolean":
            out[col] = pd.array(vals, dtype="boolean")
        else:
            out[col] = pd.Series(vals, dtype="str")
    return pd.DataFrame(out)


def load(name: str) -> pd.DataFrame:
    """Return dataset ``name`` as a typed DataFrame, after validating every row.

    >>> removals = load("removals_returns")          # doctest: +SKIP

    Raises :class:`DataError` naming the file, row, column and rule for any problem, including
    a broken consistency rule (``trustlab:consistency``) that involves this table.
    """
    res = resource(name)
    if "schema" not in res:
        raise DataError(
            f"dataset '{name}' is not a table (it is {res.get('format', 'a file')}); use "
            f"trustlab.data.path('{name}') to get its file.", file="datasets/datapackage.json")
    _note_table_read(name)
    table = _table(name)
    if table.problems:
        raise DataError(table.problems, file=table.rel)
    broken = check_consistency(involving=name)
    if broken:
        raise DataError(broken, file=table.rel)
    if table.frame is None:
        table.frame = _to_frame(table)
    return table.frame.copy()


def path(name: str) -> Path:
    """The file of a dataset (for non-tabular resources such as the map geometry)."""
    res = resource(name)
    p = _resource_path(name, res)
    if not p.is_file():
        raise DataError(f"file not found for dataset '{name}'.", file=_rel(p))
    reads.note("file", str(p))
    return p


# --------------------------------------------------------------------------------------
# The package as a whole


def package_problems() -> list[Problem]:
    """Problems of ``datapackage.json`` itself: resources without a name or path, duplicate
    names, and CSV files under ``datasets/`` that no resource lists."""
    where = "datasets/datapackage.json"
    out: list[Problem] = []
    names_seen: set[str] = set()
    listed: set[Path] = set()
    for i, res in enumerate(_package().get("resources", []), start=1):
        if not isinstance(res, dict):
            out.append(Problem(where, f"resource {i} is not an object."))
            continue
        name = res.get("name")
        label = f"resource {i}" + (f" ('{name}')" if isinstance(name, str) else "")
        if not isinstance(name, str) or not name:
            out.append(Problem(where, f"resource {i} has no \"name\".",
                               hint="Give it a lower-case name, usually its file name without "
                                    "the extension."))
        elif name in names_seen:
            out.append(Problem(where, f"two resources are called '{name}'.",
                               hint="Rename one: names identify datasets."))
        else:
            names_seen.add(name)
        p = res.get("path")
        if not isinstance(p, str) or not p.strip():
            out.append(Problem(where, f"{label} has no \"path\" (one file name).",
                               hint="Add \"path\": \"<name>.csv\"."))
        else:
            listed.add((data_dir() / p).resolve())
        if MAY_BE_EMPTY in res and not isinstance(res[MAY_BE_EMPTY], bool):
            out.append(Problem(where, f"{label}: \"{MAY_BE_EMPTY}\" must be true or false."))
    for csv_file in sorted(data_dir().rglob("*.csv")):
        parts = csv_file.relative_to(data_dir()).parts
        if any(part.startswith(".") for part in parts):  # .ipynb_checkpoints, editor files
            continue
        if csv_file.resolve() not in listed:
            out.append(Problem(_rel(csv_file), "is not listed in datasets/datapackage.json, so "
                               "nothing validates or documents it.",
                               hint="Add a resource entry for it (name, path, schema, sources, "
                                    "datasheet), or delete the file."))
    return out


def validate_all() -> dict[str, list[Problem]]:
    """Validate every tabular dataset, the package (:data:`PACKAGE_KEY`) and the consistency
    rules (:data:`RULES_KEY`); return the problems of each (empty lists when valid)."""
    out: dict[str, list[Problem]] = {}
    for res in _resources():
        if "schema" in res:
            try:
                out[res["name"]] = validate(res["name"])
            except DataError as exc:
                out[res["name"]] = exc.problems
    out[PACKAGE_KEY] = package_problems()
    out[RULES_KEY] = check_consistency()
    return out


def sources_of(name: str) -> list[str]:
    """The distinct bib keys cited by a dataset's rows (for a chart's source line)."""
    df = load(name)
    keys: list[str] = []
    for fld in schema(name)["fields"]:
        if fld.get("bibkey"):
            for cell in df[fld["name"]].dropna():
                for k in str(cell).split(";"):
                    k = k.strip()
                    if k and k not in keys:
                        keys.append(k)
    return keys


# --------------------------------------------------------------------------------------
# Figures stored in two tables: the package's consistency rules

AGGREGATES = ("count", "sum", "count_distinct")


class _RuleError(Exception):
    """A rule in datapackage.json that cannot be checked as written."""


def rules() -> list[dict]:
    """The package's ``trustlab:consistency`` rules (see CONTRIBUTING.md)."""
    found = _package().get(CONSISTENCY, [])
    return found if isinstance(found, list) else []


def _rule_tables(rule: Any) -> list[str]:
    if not isinstance(rule, dict):
        return []
    return [s["resource"] for s in (rule.get("left"), rule.get("right"))
            if isinstance(s, dict) and isinstance(s.get("resource"), str)]


def _side_fields(side: dict) -> list[str]:
    agg = side.get("aggregate")
    if agg == "count":
        return []
    if agg == "count_distinct":
        fs = side.get("fields")
        if not isinstance(fs, list) or not fs or not all(isinstance(f, str) for f in fs):
            raise _RuleError("an aggregate \"count_distinct\" needs \"fields\": [...]")
        return fs
    if not isinstance(side.get("field"), str):
        raise _RuleError("each side needs \"field\" (the column compared)")
    return [side["field"]]


def _select(table: _Table, side: dict, match_fields: list[str], label: str
            ) -> dict[tuple, list[int]]:
    """Indexes of the table's rows that pass ``where``, grouped by their match-field values."""
    by_name = {f["name"]: f for f in table.fields}
    where = side.get("where", {})
    if not isinstance(where, dict):
        raise _RuleError(f"{label} \"where\" must be an object of column: value")
    for col in [*where, *match_fields, *_side_fields(side)]:
        if col not in by_name:
            raise _RuleError(f"{label} names column '{col}', which {table.rel} does not have")
    wanted = {}
    for col, val in where.items():
        try:
            wanted[col] = _parse_cell(str(val), by_name[col])
        except ValueError as exc:
            raise _RuleError(f"{label} where {col}={val!r}: {exc}") from None
    groups: dict[tuple, list[int]] = {}
    for idx, vals in enumerate(table.values):
        if all(vals.get(c) == v for c, v in wanted.items()):
            groups.setdefault(tuple(vals.get(c) for c in match_fields), []).append(idx)
    return groups


def _value(table: _Table, side: dict, idxs: list[int]) -> Any:
    agg = side.get("aggregate")
    rows = [table.values[i] for i in idxs]
    if agg == "count":
        return len(rows)
    if agg == "sum":
        return sum(r.get(side["field"]) or 0 for r in rows)
    if agg == "count_distinct":
        # Text compares case-insensitively, as ICE's agency names do (trustlab.ice).
        return len({tuple(v.casefold() if isinstance(v, str) else v
                          for v in (r.get(f) for f in side["fields"])) for r in rows})
    return rows[-1].get(side["field"])


def _describe(table: _Table, side: dict, idxs: list[int], key_cols: list[str],
              key: tuple | None = None) -> str:
    """'datasets/x.csv row 3 (line 4; id=...) column 'c'' or an aggregate's description."""
    agg = side.get("aggregate")
    where = dict(side.get("where", {}))
    if agg:
        what = {"count": "the number of rows",
                "sum": f"the sum of column '{side.get('field')}'",
                "count_distinct": f"the number of distinct {side.get('fields')}"}[agg]
        if key is not None:
            where.update(zip(key_cols, key, strict=True))
        cond = ", ".join(f"{k}={_fmt(v)}" for k, v in where.items())
        return f"{what} of {table.rel}" + (f" with {cond}" if cond else "")
    rec = table.records[idxs[-1]]
    keys = {**where, **{c: table.values[idxs[-1]].get(c) for c in key_cols}}
    cond = "; ".join(f"{k}={_fmt(v)}" for k, v in keys.items())
    return (f"{table.rel} row {rec.row} (line {rec.line}" + (f"; {cond}" if cond else "")
            + f"), column '{side['field']}'")


def _fmt(v: Any) -> str:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "(empty)" if v is None else _show(str(v))


def _check_rule(rule: dict, tables: dict[str, _Table]) -> list[Problem]:
    rid = rule.get("id", "?")
    where = "datasets/datapackage.json"
    left, right = rule.get("left"), rule.get("right")
    match = rule.get("match", {})
    if not isinstance(left, dict) or not isinstance(right, dict) or not isinstance(match, dict):
        raise _RuleError("needs \"left\" and \"right\" objects (and \"match\", if any, an "
                         "object)")
    lt, rt = tables[left["resource"]], tables[right["resource"]]
    for side in (left, right):
        if side.get("aggregate") not in (None, *AGGREGATES):
            raise _RuleError(f"unknown aggregate {side.get('aggregate')!r}; use one of "
                             f"{list(AGGREGATES)}")
    lgroups = _select(lt, left, list(match), "left")
    if left.get("aggregate") and left.get("where"):
        # A count or sum over the rows that pass "where" is 0, not missing, for a key whose
        # rows all fail it (a list without any Task Force agreement still has a tally of 0),
        # and a "where" that matches nothing then shows up as a wrong count.
        unfiltered = {k: v for k, v in left.items() if k != "where"}
        for key in _select(lt, unfiltered, list(match), "left"):
            lgroups.setdefault(key, [])
    rgroups = _select(rt, right, list(match.values()), "right")
    reason = str(rule.get("reason", "")).rstrip(".")
    authority = rule.get("authority")
    out: list[Problem] = []
    if not lgroups:
        return [Problem(where, f"consistency rule '{rid}' matches no row of {lt.rel}, so it "
                        "checks nothing.", hint="Fix its \"where\" (a renamed id or value?) or "
                                                "remove the rule.")]
    for key, lidx in lgroups.items():
        ridx = rgroups.get(key, [])
        lkey, rkey = list(match), list(match.values())
        ldesc = _describe(lt, left, lidx, lkey, key)
        for t, side, idxs in ((lt, left, lidx), (rt, right, ridx)):
            if side.get("aggregate"):
                continue
            if not idxs:
                cond = ", ".join(f"{c}={_fmt(v)}" for c, v in
                                 [*side.get("where", {}).items(), *zip(rkey, key, strict=True)])
                return_p = Problem(t.rel, f"consistency rule '{rid}': no row of {t.rel} has "
                                   f"{cond}, but {ldesc} needs one ({reason}).",
                                   hint=f"Add the row to {t.rel}, or fix the rule in {where}.")
                out.append(return_p)
                break
            if len(idxs) > 1 and side.get("several") != "last":
                rows = ", ".join(str(t.records[i].row) for i in idxs)
                out.append(Problem(t.rel, f"consistency rule '{rid}': rows {rows} of {t.rel} all "
                                   "match; the rule needs exactly one.",
                                   hint=f"Make the rule's \"where\" in {where} pick one row, or "
                                        "add \"several\": \"last\" to its side."))
                break
        else:
            lval, rval = _value(lt, left, lidx), _value(rt, right, ridx)
            if lval != rval:
                rdesc = _describe(rt, right, ridx, rkey, key)
                if authority == rt.name:
                    fix = f"Correct {lt.rel} to {_fmt(rval)} ({rt.rel} is the reference copy)."
                elif authority == lt.name:
                    fix = f"Correct {rt.rel} to {_fmt(lval)} ({lt.rel} is the reference copy)."
                else:
                    fix = f"Correct whichever of {lt.rel} and {rt.rel} is wrong."
                if rule.get("fix"):
                    fix += f" {rule['fix']}"
                out.append(Problem(lt.rel, f"consistency rule '{rid}': {ldesc} is {_fmt(lval)} "
                                   f"but {rdesc} is {_fmt(rval)}; they must be equal "
                                   f"({reason}).", hint=fix))
    return out


def check_consistency(involving: str | None = None) -> list[Problem]:
    """Check the package's ``trustlab:consistency`` rules (all, or those that involve the
    dataset ``involving``). A rule over a table that does not validate on its own is reported
    as not checked by :func:`validate_all` and skipped by :func:`load` (whose own check of that
    table reports its problems).

    The result is cached until a file of a table the rules read changes, as each table is:
    :func:`load` runs this on every call."""
    where = "datasets/datapackage.json"
    raw_rules = _package().get(CONSISTENCY, [])
    if not isinstance(raw_rules, list):
        return [Problem(where, f"\"{CONSISTENCY}\" must be a list of rules.")]
    known = {r["name"] for r in _resources() if "schema" in r}
    read = sorted({n for rule in raw_rules for n in _rule_tables(rule)
                   if n in known and (involving is None or involving in _rule_tables(rule))})
    stamps = [_stamp(data_dir() / "datapackage.json")]
    for name in read:
        files = _note_table_read(name) if name != involving else _table_files(name)[2]
        stamps += [_stamp(f) for f in files]
    return list(_consistency_shared(involving, tuple(stamps)))


# The book build executes every page in its own kernel, and each kernel checked the same rules
# over the same tables again (reading and validating the other table of every rule: about
# 0.4 s a page). The build names a folder in this variable where a kernel leaves its result
# for the next one, under a key made of the same file stamps as the in-memory cache and of
# this module's own stamp. Outside a build the variable is unset and nothing is written.
CHECK_CACHE_ENV = "TRUSTLAB_CHECK_CACHE"


def _consistency_shared(involving: str | None, stamps: tuple) -> tuple[Problem, ...]:
    folder = os.environ.get(CHECK_CACHE_ENV)
    if not folder:
        return _consistency_cached(involving, stamps)
    import hashlib

    key = hashlib.sha256(repr((_stamp(Path(__file__)), involving, stamps)).encode()).hexdigest()
    path = Path(folder) / f"consistency-{key[:32]}.json"
    try:
        return tuple(Problem(**row) for row in json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass
    found = _consistency_cached(involving, stamps)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps([vars(p) for p in found]), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache: the next kernel checks again
    return found


@lru_cache(maxsize=64)
def _consistency_cached(involving: str | None, stamps: tuple) -> tuple[Problem, ...]:
    where = "datasets/datapackage.json"
    known = {r["name"] for r in _resources() if "schema" in r}
    out: list[Problem] = []
    for n, rule in enumerate(_package().get(CONSISTENCY, []), start=1):
        names_in = _rule_tables(rule)
        if involving is not None and involving not in names_in:
            continue
        rid = rule.get("id", f"#{n}") if isinstance(rule, dict) else f"#{n}"
        if len(names_in) != 2 or not all(x in known for x in names_in):
            out.append(Problem(where, f"consistency rule '{rid}' must name two tabular "
                               f"datasets in left.resource and right.resource (got "
                               f"{names_in or 'none'}).", hint="Fix the rule."))
            continue
        tables = {other: _table(other) for other in names_in}
        failing = [t for t in tables.values() if t.problems]
        if failing:
            if involving is None:
                out.append(Problem(where, f"consistency rule '{rid}' was not checked: "
                                   f"{failing[0].rel} has problems of its own (listed above)."))
            continue
        try:
            out += _check_rule(rule, tables)
        except _RuleError as exc:
            out.append(Problem(where, f"consistency rule '{rid}' cannot be checked: {exc}.",
                               hint="Fix the rule (see CONTRIBUTING.md, 'Figures stored "
                                    "twice')."))
    return tuple(out)


