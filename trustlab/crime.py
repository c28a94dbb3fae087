"""Chapter 3 helpers: a two-group difference-in-differences on the state crime panel.

One computation, used by the Altair explorer's description, the ipywidgets explorer, the
placebo figure, the exercises' checks and the tests, so the numbers a reader sees in the book
and the numbers a student computes in the lab cannot drift apart.

The estimate is deliberately the simplest one:

* the treated state's rate and the comparison group's rate (comparison states pooled: their
  crimes summed and divided by their summed population) in each year;
* "before" = the ``window`` years before the policy year, "after" = the policy year and the
  ``window - 1`` years that follow (clipped to the years in the panel);
* DiD = (treated after - treated before) - (comparison after - comparison before), each term a
  mean of yearly rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .data import DataError

# Land borders between the 50 states and DC (Four Corners diagonals excluded).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "AL": ("FL", "GA", "MS", "TN"), "AK": (), "AZ": ("CA", "CO", "NM", "NV", "UT"),
    "AR": ("LA", "MO", "MS", "OK", "TN", "TX"), "CA": ("AZ", "NV", "OR"),
    "CO": ("AZ", "KS", "NE", "NM", "OK", "UT", "WY"), "CT": ("MA", "NY", "RI"),
    "DE": ("MD", "NJ", "PA"), "DC": ("MD", "VA"), "FL": ("AL", "GA"),
    "GA": ("AL", "FL", "NC", "SC", "TN"), "HI": (), "ID": ("MT", "NV", "OR", "UT", "WA", "WY"),
    "IL": ("IA", "IN", "KY", "MO", "WI"), "IN": ("IL", "KY", "MI", "OH"),
    "IA": ("IL", "MN", "MO", "NE", "SD", "WI"), "KS": ("CO", "MO", "NE", "OK"),
    "KY": ("IL", "IN", "MO", "OH", "TN", "VA", "WV"), "LA": ("AR", "MS", "TX"), "ME": ("NH",),
    "MD": ("DC", "DE", "PA", "VA", "WV"), "MA": ("CT", "NH", "NY", "RI", "VT"),
    "MI": ("IN", "OH", "WI"), "MN": ("IA", "ND", "SD", "WI"), "MS": ("AL", "AR", "LA", "TN"),
    "MO": ("AR", "IA", "IL", "KS", "KY", "NE", "OK", "TN"), "MT": ("ID", "ND", "SD", "WY"),
    "NE": ("CO", "IA", "KS", "MO", "SD", "WY"), "NV": ("AZ", "CA", "ID", "OR", "UT"),
    "NH": ("MA", "ME", "VT"), "NJ": ("DE", "NY", "PA"), "NM": ("AZ", "CO", "OK", "TX"),
    "NY": ("CT", "MA", "NJ", "PA", "VT"), "NC": ("GA", "SC", "TN", "VA"),
    "ND": ("MN", "MT", "SD"), "OH": ("IN", "KY", "MI", "PA", "WV"),
    "OK": ("AR", "CO", "KS", "MO", "NM", "TX"), "OR": ("CA", "ID", "NV", "WA"),
    "PA": ("DE", "MD", "NJ", "NY", "OH", "WV"), "RI": ("CT", "MA"), "SC": ("GA", "NC"),
    "SD": ("IA", "MN", "MT", "ND", "NE", "WY"),
    "TN": ("AL", "AR", "GA", "KY", "MO", "MS", "NC", "VA"), "TX": ("AR", "LA", "NM", "OK"),
    "UT": ("AZ", "CO", "ID", "NV", "WY"), "VT": ("MA", "NH", "NY"),
    "VA": ("DC", "KY", "MD", "NC", "TN", "WV"), "WA": ("ID", "OR"),
    "WV": ("KY", "MD", "OH", "PA", "VA"), "WI": ("IA", "IL", "MI", "MN"),
    "WY": ("CO", "ID", "MT", "NE", "SD", "UT"),
}

COMPARISONS = ("All other states", "Neighbouring states", "One state")
OUTCOMES = {"Violent crime": "violent_crime", "Property crime": "property_crime"}


@dataclass(frozen=True)
class DiD:
    """The four means and the estimate of a two-group difference-in-differences."""

    treated: str
    comparison: tuple[str, ...]
    outcome: str
    before_years: tuple[int, int]
    after_years: tuple[int, int]
    treated_before: float
    treated_after: float
    comparison_before: float
    comparison_after: float

    @property
    def treated_change(self) -> float:
        return self.treated_after - self.treated_before

    @property
    def comparison_change(self) -> float:
        return self.comparison_after - self.comparison_before

    @property
    def estimate(self) -> float:
        return self.treated_change - self.comparison_change

    def table(self) -> pd.DataFrame:
        """The 2 x 2 table of means with the changes, rounded for display."""
        t = pd.DataFrame(
            {"Before": [self.treated_before, self.comparison_before],
             "After": [self.treated_after, self.comparison_after]},
            index=[f"Treated ({self.treated})", "Comparison group"])
        t["Change"] = t["After"] - t["Before"]
        return t.round(1)


def comparison_states(treated: str, comparison: str = "All other states",
                      other: str | None = None) -> tuple[str, ...]:
    """The states in the comparison group (postal abbreviations)."""
    if treated not in NEIGHBOURS:
        raise DataError(f"'{treated}' is not a state abbreviation in the crime panel (use "
                        "two capital letters, e.g. 'TX').", file="crime_panel")
    if comparison == "All other states":
        return tuple(s for s in NEIGHBOURS if s != treated)
    if comparison == "Neighbouring states":
        if not NEIGHBOURS[treated]:
            raise DataError(f"{treated} has no land neighbours: choose 'All other states' or "
                            "'One state'.", file="crime_panel")
        return NEIGHBOURS[treated]
    if comparison == "One state":
        if other is None or other not in NEIGHBOURS or other == treated:
            raise DataError("'One state' needs a comparison state that is not the treated "
                            "state (e.g. other='NM').", file="crime_panel")
        return (other,)
    raise DataError(f"comparison must be one of {list(COMPARISONS)}, not '{comparison}'.",
                    file="crime_panel")


def yearly_rates(panel: pd.DataFrame, states: tuple[str, ...] | list[str],
                 outcome: str = "Violent crime") -> pd.Series:
    """Pooled rate per 100,000 for a group of states in each year."""
    col = OUTCOMES.get(outcome)
    if col is None:
        raise DataError(f"outcome must be one of {list(OUTCOMES)}, not '{outcome}'.",
                        file="crime_panel")
    g = panel[panel["state_abbr"].isin(list(states))].groupby("year")[[col, "population"]].sum()
    return (g[col].astype(float) / g["population"].astype(float) * 100_000).rename(outcome)


def _windows(panel: pd.DataFrame, policy_year: int, window: int) -> tuple[tuple[int, int],
                                                                         tuple[int, int]]:
    first, last = int(panel["year"].min()), int(panel["year"].max())
    if not first < policy_year <= last:
        raise DataError(f"policy year {policy_year} leaves no 'before' or no 'after' years: "
                        f"pick a year from {first + 1} to {last}.", file="crime_panel")
    if window < 1:
        raise DataError("window must be at least 1 year.", file="crime_panel")
    return ((max(first, policy_year - window), policy_year - 1),
            (policy_year, min(last, policy_year + window - 1)))


def _did_from_rates(treated: str, comp: tuple[str, ...], outcome: str, tr: pd.Series,
                    co: pd.Series, before: tuple[int, int], after: tuple[int, int]) -> DiD:
    def mean(s: pd.Series, span: tuple[int, int]) -> float:
        return float(s.loc[span[0]:span[1]].mean())

    return DiD(treated, comp, outcome, before, after,
               mean(tr, before), mean(tr, after), mean(co, before), mean(co, after))


def did(panel: pd.DataFrame, treated: str, policy_year: int, *, window: int = 4,
        comparison: str = "All other states", other: str | None = None,
        outcome: str = "Violent crime") -> DiD:
    """Two-group difference-in-differences on the state panel (see the module docstring)."""
    comp = comparison_states(treated, comparison, other)
    before, after = _windows(panel, policy_year, window)
    return _did_from_rates(treated, comp, outcome, yearly_rates(panel, (treated,), outcome),
                           yearly_rates(panel, comp, outcome), before, after)


def placebo_table(panel: pd.DataFrame, years: range = range(2004, 2019), *,
                  window: int = 4) -> pd.DataFrame:
    """DiD of every state against all other states, at every candidate policy year and for
    both outcomes: the spread shows how large a 'policy effect' noise and local trends alone
    produce.

    Same numbers as calling :func:`did` for each cell, computed from one table of state-year
    sums (the comparison group's sums are the national sums minus the treated state's, exact
    in integers), so the 1,530 estimates take a fraction of a second."""
    rows = []
    for outcome, col in OUTCOMES.items():
        sums = (panel.groupby(["state_abbr", "year"])[[col, "population"]].sum()
                .astype("int64"))
        national = sums.groupby(level="year").sum()
        for state in NEIGHBOURS:
            own = sums.loc[state]
            others = national - own
            tr = (own[col].astype(float) / own["population"].astype(float) * 100_000)
            co = (others[col].astype(float) / others["population"].astype(float) * 100_000)
            comp = tuple(x for x in NEIGHBOURS if x != state)
            for year in years:
                d = _did_from_rates(state, comp, outcome, tr, co, *_windows(panel, year, window))
                rows.append({"state_abbr": state, "year": year, "outcome": outcome,
                             "did": round(d.estimate, 1),
                             "treated_before": round(d.treated_before, 1)})
    return pd.DataFrame(rows)
