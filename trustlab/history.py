"""Fiscal years, presidential terms and per-administration totals (chapter 1).

Federal statistics such as DHS removals are published by *fiscal year*, while claims such as
"X million deported under President Y" are about *terms*. This module makes the mapping
explicit, so every total by administration says which rule produced it.

* Until fiscal 1976 the federal fiscal year N ran from 1 July of N-1 to 30 June of N; from
  fiscal 1977 it runs from 1 October of N-1 to 30 September of N (Congressional Budget Act of
  1974). The three months July-September 1976 (the "transition quarter") belong to no fiscal
  year.
* Rule ``"majority"`` (the default, used in ``datasets/administrations.csv``): a fiscal year
  goes to the president who held office for more than half of its days. Under the October
  calendar that gives the inauguration year to the new president (Obama: fiscal 2009-2016);
  under the old July calendar it gave it to the outgoing one (Eisenhower starts in fiscal 1954).
* Rule ``"starts_in_term"``: a fiscal year goes to the president in office on its first day,
  i.e. the years whose budget and staffing the president set (Obama: fiscal 2010-2017).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from . import data

RULES = {
    "majority": "fiscal years in which the president held office for more than half the days",
    "starts_in_term": "fiscal years that began while the president was in office",
}
FIRST_OCTOBER_FY = 1977  # first fiscal year running 1 October - 30 September


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of federal fiscal year ``fy``."""
    fy = int(fy)
    if fy < FIRST_OCTOBER_FY:
        return date(fy - 1, 7, 1), date(fy, 6, 30)
    return date(fy - 1, 10, 1), date(fy, 9, 30)


def _as_date(value) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _days_in_office(start: date, end: date, took: date, left: date | None) -> int:
    """Days of [start, end] during which a president (took .. left, exclusive) was in office."""
    last = end if left is None else min(end, left - timedelta(days=1))
    first = max(start, took)
    return max(0, (last - first).days + 1)


def fiscal_year_administration(fy: int, admins: pd.DataFrame | None = None,
                               rule: str = "majority") -> str | None:
    """The ``administration`` label that fiscal year ``fy`` is assigned to under ``rule``
    (None if no administration in the table covers it)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule '{rule}': use one of {sorted(RULES)}")
    admins = data.load("administrations") if admins is None else admins
    start, end = fiscal_year_bounds(fy)
    best, best_days = None, 0
    for row in admins.itertuples(index=False):
        took, left = _as_date(row.took_office), _as_date(row.left_office)
        if rule == "starts_in_term":
            if took <= start and (left is None or start < left):
                return row.administration
            continue
        days = _days_in_office(start, end, took, left)
        if days > best_days:
            best, best_days = row.administration, days
    total = (end - start).days + 1
    return best if best_days * 2 > total else None


def assign_fiscal_years(fiscal_years, admins: pd.DataFrame | None = None,
                        rule: str = "majority") -> pd.Series:
    """The administration of each fiscal year in ``fiscal_years`` (a Series of labels)."""
    admins = data.load("administrations") if admins is None else admins
    fys = [int(f) for f in fiscal_years]
    return pd.Series([fiscal_year_administration(f, admins, rule) for f in fys], index=fys,
                     name="administration", dtype="object")


def totals_by_administration(removals: pd.DataFrame | None = None,
                             admins: pd.DataFrame | None = None,
                             rule: str = "majority") -> pd.DataFrame:
    """Removals and returns summed by administration under ``rule``.

    Columns: administration, president, party, first_fy, last_fy, fiscal_years (number of
    fiscal years with data), complete (all of the administration's fiscal years are in the
    data), removals, returns, total, returns_share, rule. Administrations with no fiscal year
    in the data are left out.
    """
    removals = data.load("removals_returns") if removals is None else removals
    admins = data.load("administrations") if admins is None else admins
    d = removals.dropna(subset=["returns"]).copy()
    d["administration"] = assign_fiscal_years(d["fiscal_year"], admins, rule).to_numpy()
    d = d.dropna(subset=["administration"])
    rows = []
    for a in admins.itertuples(index=False):
        part = d[d["administration"] == a.administration]
        if part.empty:
            continue
        first, last = int(part["fiscal_year"].min()), int(part["fiscal_year"].max())
        # Complete: the administration has left office and every fiscal year assigned to
        # it is in the data.
        own = fiscal_years_of(a.administration, admins, rule)
        complete = not pd.isna(a.left_office) and set(own) <= set(part["fiscal_year"])
        rem, ret = int(part["removals"].sum()), int(part["returns"].sum())
        rows.append({
            "administration": a.administration, "president": a.president, "party": a.party,
            "first_fy": first, "last_fy": last, "fiscal_years": len(part),
            "complete": bool(complete),
            "removals": rem, "returns": ret, "total": rem + ret,
            "returns_share": ret / (rem + ret) if rem + ret else float("nan"), "rule": rule,
        })
    return pd.DataFrame(rows)


def fiscal_years_of(administration: str, admins: pd.DataFrame | None = None,
                    rule: str = "majority") -> list[int]:
    """All fiscal years assigned to ``administration`` under ``rule`` (through today's
    fiscal year for an administration still in office)."""
    admins = data.load("administrations") if admins is None else admins
    row = admins[admins["administration"] == administration]
    if row.empty:
        raise ValueError(f"no administration '{administration}' in the table; known: "
                         f"{', '.join(admins['administration'])}")
    took = _as_date(row["took_office"].iloc[0])
    left = _as_date(row["left_office"].iloc[0]) or date.today()
    fys = range(took.year - 1, left.year + 2)
    return [f for f in fys if fiscal_year_administration(f, admins, rule) == administration]


def administration_spans(admins: pd.DataFrame | None = None, start: int = 1892,
                         end: int = 2100) -> pd.DataFrame:
    """One row per administration with the fiscal-year span assigned to it (majority rule),
    clipped to [start, end]: for shading fiscal-year charts. Columns: administration,
    president, party, first_fy, last_fy, x0, x1 (half a year either side), label."""
    admins = data.load("administrations") if admins is None else admins
    out = []
    for a in admins.itertuples(index=False):
        first = int(a.first_fy)
        last = int(a.last_fy) if not pd.isna(a.last_fy) else end
        lo, hi = max(first, start), min(last, end)
        if lo > hi:
            continue
        out.append({"administration": a.administration, "president": a.president,
                    "party": a.party, "first_fy": first, "last_fy": last,
                    "x0": lo - 0.5, "x1": hi + 0.5, "label": a.administration})
    return pd.DataFrame(out)
