"""Load and validate the course datasets.

Every notebook, chart and exercise reads data through :func:`load`, which checks each CSV
against its Frictionless Table Schema (``datasets/schemas/<name>.json``) and every ``source``
key against ``references.bib`` before returning a typed :class:`pandas.DataFrame`.

Problems are reported all at once, each naming the file, row, column, the rule broken and
what to do, in a :class:`DataError` whose traceback IPython hides (only the message shows).
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from . import reads

MAX_PROBLEMS_SHOWN = 20
_INT_RE = re.compile(r"^[+-]?\d+$")
_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BIB_KEY_RE = re.compile(r"^\s*@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.MULTILINE)
_TRUE = {"true", "True", "TRUE", "1", "yes"}
_FALSE = {"false", "False", "FALSE", "0", "no"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: where it is, what rule it breaks, what to do."""

    file: str
    message: str
    row: int | None = None  # 1-based data row (the header is not a row)
    column: str | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        loc = ", ".join(where)
        text = f"{loc}: {self.message}" if loc else self.message
        return f"{text} {self.hint}".rstrip()


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
        if n == 1 and self.problems[0].row is None and self.problems[0].column is None:
            return f"{self.file}: {self.problems[0]}"
        head = f"{self.file} does not pass validation ({n} problem{'s' if n != 1 else ''}):"
        lines = [f"  - {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if n > MAX_PROBLEMS_SHOWN:
            lines.append(f"  ... and {n - MAX_PROBLEMS_SHOWN} more of the same kind.")
        return "\n".join([head, *lines])

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing the stack: students see the message only.
        return [f"DataError: {self}"]


# --------------------------------------------------------------------------------------
# Where the data lives


def data_dir() -> Path:
    """The ``datasets/`` folder: ``$TRUSTLAB_DATA``, else the one beside this package or above
    the current directory."""
    env = os.environ.get("TRUSTLAB_DATA")
    if env:
        return Path(env)
    candidates = [Path(__file__).resolve().parent.parent, *Path.cwd().resolve().parents]
    candidates.insert(1, Path.cwd().resolve())
    for base in candidates:
        if (base / "datasets" / "datapackage.json").is_file():
            return base / "datasets"
    raise DataError(
        "cannot find datasets/datapackage.json next to the trustlab package or above the "
        "current folder. Run from inside the course folder, or set TRUSTLAB_DATA to the "
        "path of its datasets/ folder.",
        file="datasets/datapackage.json",
    )


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
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix the JSON syntax there (a missing comma or quote is the usual cause).",
            file=_rel(path),
        ) from None


def _stamp(path: Path) -> tuple[str, float, int]:
    st = path.stat()
    return (str(path), st.st_mtime, st.st_size)


@lru_cache(maxsize=8)
def _package_cached(stamp: tuple[str, float, int]) -> dict:
    return _read_json(Path(stamp[0]))


def _package() -> dict:
    path = data_dir() / "datapackage.json"
    if not path.is_file():
        raise DataError("file not found.", file=_rel(path))
    return _package_cached(_stamp(path))


def package() -> dict:
    """The parsed ``datasets/datapackage.json``."""
    pkg = _package()
    reads.note("file", str(data_dir() / "datapackage.json"))
    return pkg


def names() -> list[str]:
    """Names of all datasets, in the order of the data package."""
    return [r["name"] for r in package().get("resources", [])]


def resource(name: str) -> dict:
    """The data-package entry of one dataset (title, sources, licence, datasheet...)."""
    for res in _package().get("resources", []):
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


def schema(name: str) -> dict:
    """The Table Schema of a tabular dataset."""
    res = resource(name)
    sch = res.get("schema")
    if isinstance(sch, str):
        reads.note("file", str(data_dir() / sch))
        return _read_json(data_dir() / sch)
    if isinstance(sch, dict):
        return sch
    raise DataError(
        f"dataset '{name}' has no table schema. Add \"schema\": \"schemas/{name}.json\" "
        "to its entry.",
        file="datasets/datapackage.json",
    )


@lru_cache(maxsize=4)
def _bib_cached(stamp: tuple[str, float, int]) -> frozenset[str]:
    text = Path(stamp[0]).read_text(encoding="utf-8")
    return frozenset(key for kind, key in _BIB_KEY_RE.findall(text)
                     if kind.lower() not in {"comment", "string", "preamble"})


def bib_path() -> Path:
    return data_dir().parent / "references.bib"


def bib_keys() -> frozenset[str]:
    """All entry keys in the course's one ``references.bib``."""
    path = bib_path()
    if not path.is_file():
        raise DataError("file not found; every dataset row cites a key in it.", file=_rel(path))
    reads.note("file", str(path))
    return _bib_cached(_stamp(path))


# --------------------------------------------------------------------------------------
# Validation


def _parse_cell(raw: str, field: dict) -> Any:
    """Parse one non-empty cell; raise ValueError with a human message on failure."""
    ftype = field.get("type", "string")
    if ftype == "string":
        return raw
    if ftype == "integer":
        if not _INT_RE.match(raw):
            raise ValueError(f"'{raw}' is not a whole number (type integer)")
        return int(raw)
    if ftype == "number":
        if not _NUM_RE.match(raw):
            extra = " (write numbers without thousands separators)" if "," in raw else ""
            raise ValueError(f"'{raw}' is not a number{extra}")
        return float(raw)
    if ftype == "date":
        if not _DATE_RE.match(raw):
            raise ValueError(f"'{raw}' is not a date in the form YYYY-MM-DD")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a real calendar date") from None
    if ftype == "boolean":
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ValueError(f"'{raw}' is not true or false")
    raise ValueError(f"the schema gives this column an unsupported type '{ftype}'")


def _check_constraints(value: Any, raw: str, field: dict) -> str | None:
    c = field.get("constraints", {})
    if "enum" in c and value not in c["enum"]:
        close = difflib.get_close_matches(str(raw), [str(e) for e in c["enum"]], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"'{raw}' is not one of the allowed values {c['enum']}{hint}"
    if "minimum" in c and value < _coerce_bound(c["minimum"], field):
        return f"{raw} is below the minimum {c['minimum']}"
    if "maximum" in c and value > _coerce_bound(c["maximum"], field):
        return f"{raw} is above the maximum {c['maximum']}"
    if "pattern" in c and not re.fullmatch(c["pattern"], raw):
        return f"'{raw}' does not match the pattern {c['pattern']}"
    return None


def _coerce_bound(bound: Any, field: dict) -> Any:
    if field.get("type") == "date" and isinstance(bound, str):
        return date.fromisoformat(bound)
    return bound


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rel = _rel(path)
    if not path.is_file():
        raise DataError(
            "file not found, but datasets/datapackage.json lists it. Restore it "
            f"(git checkout -- {rel}) or remove its entry from the data package.",
            file=rel,
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"is not UTF-8 text (byte {exc.start}). Save it as UTF-8 CSV.", file=rel
        ) from None
    reader = csv.reader(text.splitlines(), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(
            f"line {reader.line_num}: malformed CSV ({exc}). Check for an unclosed "
            "double quote on that line or the one before it.",
            file=rel,
        ) from None
    if not rows:
        raise DataError("is empty; it needs a header row.", file=rel)
    return rows[0], rows[1:]


def validate(name: str) -> list[Problem]:
    """Return every problem in a dataset (an empty list means it is valid)."""
    res = resource(name)
    path = data_dir() / res.get("path", f"{name}.csv")
    rel = _rel(path)
    sch = schema(name)
    fields = sch.get("fields", [])
    expected = [f["name"] for f in fields]
    header, rows = _read_rows(path)
    header = [h.strip() for h in header]
    problems: list[Problem] = []

    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {extra}")
        if not parts:
            parts.append(f"columns are in the wrong order {header}; expected {expected}")
        schema_rel = _rel(data_dir() / res["schema"]) if isinstance(res.get("schema"), str) \
            else "the schema"
        return [Problem(rel, "header does not match " + schema_rel + ": " + "; ".join(parts)
                        + ".", hint="Rename the CSV column or update the schema, so both agree.")]

    missing_values = set(sch.get("missingValues", [""]))
    keys = bib_keys() if any(f.get("bibkey") for f in fields) else frozenset()
    unique_seen: dict[str, dict[Any, int]] = {
        f["name"]: {} for f in fields if f.get("constraints", {}).get("unique")}
    pk = sch.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    pk_seen: dict[tuple, int] = {}

    for i, row in enumerate(rows, start=1):
        if len(row) != len(expected):
            problems.append(Problem(
                rel, f"has {len(row)} fields but the header has {len(expected)}.", row=i,
                hint="A comma inside a value needs the value in double quotes."))
            continue
        parsed: dict[str, Any] = {}
        for field, raw in zip(fields, row, strict=True):
            col = field["name"]
            raw = raw.strip()
            if raw in missing_values:
                parsed[col] = None
                if field.get("constraints", {}).get("required"):
                    problems.append(Problem(rel, "is empty but required.", row=i, column=col,
                                            hint="Fill it in, or mark the row as unknown in "
                                                 "'notes' and remove the row."))
                continue
            try:
                value = _parse_cell(raw, field)
            except ValueError as exc:
                problems.append(Problem(rel, f"{exc}.", row=i, column=col,
                                        hint="Fix the value in the CSV."))
                continue
            err = _check_constraints(value, raw, field)
            if err:
                problems.append(Problem(rel, f"{err}.", row=i, column=col,
                                        hint="Fix the value, or widen the constraint in the "
                                             "schema if the value is right."))
            if field.get("bibkey"):
                for key in (k.strip() for k in raw.split(";")):
                    if key and key not in keys:
                        close = difflib.get_close_matches(key, sorted(keys), n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        problems.append(Problem(
                            rel, f"unknown source key '{key}'{hint}.", row=i, column=col,
                            hint="Add an entry with that key to references.bib, or fix the key."))
            if col in unique_seen:
                first = unique_seen[col].setdefault(value, i)
                if first != i:
                    problems.append(Problem(rel, f"'{raw}' repeats row {first}; values in this "
                                                 "column must be unique.", row=i, column=col))
            parsed[col] = value
        if pk and all(c in parsed for c in pk):
            key = tuple(parsed[c] for c in pk)
            first = pk_seen.setdefault(key, i)
            if first != i:
                shown = ", ".join(f"{c}={parsed[c]}" for c in pk)
                problems.append(Problem(rel, f"duplicate key ({shown}) first seen in row "
                                             f"{first}.", row=i,
                                        hint="Each row needs a unique primary key: merge or "
                                             "remove the duplicate."))
    return problems


def _to_frame(name: str) -> pd.DataFrame:
    res = resource(name)
    path = data_dir() / res.get("path", f"{name}.csv")
    fields = schema(name)["fields"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    out = {}
    for field in fields:
        col = field["name"]
        vals = [v.strip() or None for v in df[col]]
        ftype = field.get("type", "string")
        if ftype == "integer":
            out[col] = pd.array([None if v is None else int(v) for v in vals], dtype="Int64")
        elif ftype == "number":
            out[col] = pd.Series([None if v is None else float(v) for v in vals],
                                 dtype="float64")
        elif ftype == "date":
            out[col] = pd.to_datetime(pd.Series(vals, dtype="object"), format="%Y-%m-%d")
        elif ftype == "boolean":
            out[col] = pd.array([None if v is None else v in _TRUE for v in vals],
                                dtype="boolean")
        else:
            out[col] = pd.Series(vals, dtype="str")
    return pd.DataFrame(out)


@lru_cache(maxsize=64)
def _load_cached(name: str, stamps: tuple) -> pd.DataFrame:
    problems = validate(name)
    if problems:
        raise DataError(problems)
    return _to_frame(name)


def load(name: str) -> pd.DataFrame:
    """Return dataset ``name`` as a typed DataFrame, after validating every row.

    >>> removals = load("removals_returns")          # doctest: +SKIP

    Raises :class:`DataError` naming the file, row, column and rule for any problem.
    """
    res = resource(name)
    if "schema" not in res:
        raise DataError(
            f"dataset '{name}' is not a table (it is {res.get('format', 'a file')}); use "
            f"trustlab.data.path('{name}') to get its file.", file="datasets/datapackage.json")
    files = [data_dir() / res["path"], bib_path()]
    if isinstance(res["schema"], str):
        files.append(data_dir() / res["schema"])
    for f in files:
        reads.note("file", str(f))
    stamps = tuple(_stamp(p) if p.exists() else (str(p), 0, 0) for p in files)
    return _load_cached(name, stamps).copy()


def path(name: str) -> Path:
    """The file of a dataset (for non-tabular resources such as the map geometry)."""
    res = resource(name)
    p = data_dir() / res["path"]
    if not p.is_file():
        raise DataError(f"file not found for dataset '{name}'.", file=_rel(p))
    reads.note("file", str(p))
    return p


def validate_all() -> dict[str, list[Problem]]:
    """Validate every tabular dataset; return the problems of each (empty lists when valid)."""
    out = {}
    for res in _package().get("resources", []):
        if "schema" in res:
            try:
                out[res["name"]] = validate(res["name"])
            except DataError as exc:
                out[res["name"]] = exc.problems
    return out


def sources_of(name: str) -> list[str]:
    """The distinct bib keys cited by a dataset's rows (for a chart's source line)."""
    df = load(name)
    keys: list[str] = []
    for field in schema(name)["fields"]:
        if field.get("bibkey"):
            for cell in df[field["name"]].dropna():
                for k in str(cell).split(";"):
                    k = k.strip()
                    if k and k not in keys:
                        keys.append(k)
    return keys
