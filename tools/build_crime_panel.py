"""Rebuild datasets/crime_panel.csv from the FBI's state-level estimates file.

The course does not ship or need the FBI file: this script documents how the committed table
was made, and reruns it when a newer file is at hand.

    python tools/build_crime_panel.py /path/to/estimated_crimes_1979_2019.csv

Input: the FBI Uniform Crime Reporting Program's Crime Data Explorer bulk file
``estimated_crimes_1979_2019.csv`` (columns year, state_abbr, state_name, population,
violent_crime, ..., property_crime, ...). Output: one row per state (50 + DC) and year
2000-2019 with the counts and rates per 100,000 computed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

FIRST, LAST = 2000, 2019
OUT = Path(__file__).resolve().parent.parent / "datasets" / "crime_panel.csv"


def _note(caveat: str) -> str:
    """The FBI's caveat for a state-year, summarised in the course's words."""
    c = caveat.lower()
    parts = []
    if "unable to provide complete" in c or "extrapolated" in c:
        parts.append("FBI estimate: the state program sent incomplete figures, so the FBI "
                     "estimated this state-year from partial or earlier data.")
    if "does not comply" in c:
        parts.append("The FBI flags this state's rape counting (and so its violent-crime "
                     "total) as not following national UCR rules.")
    elif "rape" in c:
        parts.append("Rape counts (part of violent crime) were estimated by the FBI because "
                     "the state did not report them to national UCR rules.")
    if "not comparable" in c:
        parts.append("The FBI warns that reporting practices changed, so this year is not "
                     "comparable with earlier years.")
    if "zoological" in c:
        parts.append("Includes reports from the Zoological Police.")
    if c.strip() and not parts:
        parts.append("The FBI attaches a caveat to this state-year; see the Crime Data "
                     "Explorer file.")
    return " ".join(parts)


def build(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src, dtype={"state_abbr": str}, keep_default_na=False)
    needed = {"year", "state_abbr", "state_name", "population", "violent_crime",
              "property_crime"}
    missing = needed - set(raw.columns)
    if missing:
        raise SystemExit(f"{src}: missing column(s) {sorted(missing)}; is this the FBI "
                         "estimated_crimes file?")
    d = raw[(raw["state_abbr"].str.len() == 2) & raw["year"].between(FIRST, LAST)].copy()
    for col in ["population", "violent_crime", "property_crime"]:
        d[col] = pd.to_numeric(d[col]).astype(int)
    d["violent_rate"] = (d["violent_crime"] / d["population"] * 100_000).round(1)
    d["property_rate"] = (d["property_crime"] / d["population"] * 100_000).round(1)
    d["source"] = "fbi2019estimated"
    d["notes"] = d["caveats"].map(_note)
    cols = ["state_abbr", "state_name", "year", "population", "violent_crime",
            "property_crime", "violent_rate", "property_rate", "source", "notes"]
    d = d[cols].sort_values(["state_abbr", "year"]).reset_index(drop=True)
    n_states = d["state_abbr"].nunique()
    if n_states != 51:
        raise SystemExit(f"expected 50 states + DC, found {n_states}")
    return d


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    table = build(Path(sys.argv[1]))
    table.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(table)} rows to {OUT}")
