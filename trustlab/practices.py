"""Chapter 5 logic: practices, the policy builder's scorecard and the programs table.

The chart (``charts.policy_builder``) and the ipywidgets explorer
(``widgets.policy_builder_explorer``) both use :func:`scorecard`, so the browser version and
the Python version of the policy builder give the same answer for the same choices.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from . import data

# Practice codes used in datasets/programs.csv and datasets/recommendations.csv.
PRACTICES: dict[str, str] = {
    "public_policy": "Public policy",
    "language_access": "Language access",
    "cultural_training": "Cultural training",
    "community_leaders": "Community leaders",
    "sustained_engagement": "Sustained engagement",
    "recruitment": "Recruitment",
    "funding": "Funding",
    "u_t_certification": "U/T visas",
    "detainer_limits": "Limits on holds",
}

# The jurisdiction choices of the policy builder, in the order they are shown.
CHOICES: dict[str, str] = {
    "publish_policy": "Publishes a written policy on cooperation with ICE",
    "translate_policy": "Translates that policy into the main local languages",
    "update_policy": "Reviews and re-issues it when federal rules change",
    "no_status_inquiry": "Officers don't ask victims and witnesses about status",
    "judicial_warrant_holds": "Holds people past release only on a judge's warrant",
    "serious_crime_notice": "Tells ICE before releasing people convicted of serious violent crimes",
    "has_287g": "Has a 287(g) agreement",
    "language_plan": "Has interpreters and bilingual staff (language-access plan)",
    "cultural_training": "Trains officers in cultural competency",
    "advisory_council": "Meets regularly with immigrant community leaders",
    "leader_outreach": "Chief or sheriff takes part in outreach in person",
    "uvisa_policy": "Has a written U/T visa certification process",
    "outreach_budget": "Funds outreach without cutting community policing",
}

# From the strongest legal footing to the weakest; 'contested' last.
EVIDENCE_ORDER: list[str] = [
    "court rulings",
    "statute or federal guidance",
    "quasi-experimental and survey studies",
    "descriptive case studies",
    "professional consensus",
    "practitioner advice only",
    "contested",
]
EVIDENCE_COLORS: list[str] = ["#1b5e20", "#2e7d32", "#1f6fb2", "#7fb3d5", "#b39ddb", "#d9d9d9",
                              "#d95f02"]


def check_choices(choices: Mapping[str, object]) -> dict[str, bool]:
    """Return a complete choices dict (missing choices are False), or raise a ValueError
    that names the bad key or value and lists what is allowed."""
    if not isinstance(choices, Mapping):
        raise ValueError(
            f"choices must be a dict like {{'publish_policy': True}}, not "
            f"{type(choices).__name__}.")
    unknown = [k for k in choices if k not in CHOICES]
    if unknown:
        raise ValueError(
            f"unknown policy choice(s) {unknown}. Use these names: {', '.join(CHOICES)}.")
    out: dict[str, bool] = {}
    for key in CHOICES:
        value = choices.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(
                f"choice '{key}' must be True or False, not {value!r} "
                f"({type(value).__name__}).")
        out[key] = value
    return out


def scorecard(choices: Mapping[str, object], recs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which recommendations a jurisdiction's choices meet.

    One row per recommendation (in ``rec_id`` order) with ``met`` (True/False), the
    practice, the evidence strength and who recommends it.

    >>> card = scorecard({"publish_policy": True, "has_287g": True})   # doctest: +SKIP
    """
    full = check_choices(choices)
    recs = data.load("recommendations") if recs is None else recs
    card = recs.sort_values("rec_id").reset_index(drop=True)
    chosen = card["choice"].map(full)
    card["met"] = (chosen == card["met_when"].astype(bool)).astype(bool)
    card["practice_label"] = card["practice"].map(PRACTICES)
    return card[["rec_id", "short_label", "practice", "practice_label", "met",
                 "evidence_strength", "recommended_by", "choice", "met_when", "source"]]


def summary(card: pd.DataFrame) -> str:
    """One sentence: how many recommendations are met, and how many of those rest on court
    rulings or legal duties."""
    met = card[card["met"]]
    legal = met["evidence_strength"].isin(EVIDENCE_ORDER[:2]).sum()
    return (f"These choices meet {len(met)} of {len(card)} recommendations; "
            f"{legal} of those met rest on court rulings or legal duties.")


def programs_long(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per program and practice, with a short display name, for the explorer."""
    df = data.load("programs") if df is None else df
    d = df.copy()
    d["name"] = d["short_name"]
    d["practice"] = d["practices"].str.split(";")
    long = d.explode("practice").reset_index(drop=True)
    long["practice_label"] = long["practice"].map(PRACTICES)
    return long


def evidence_counts(df: pd.DataFrame | None = None) -> dict[str, int]:
    """Number of programs by evidence kind (all three kinds, zero included)."""
    df = data.load("programs") if df is None else df
    counts = df["evidence_kind"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("evaluation", "descriptive", "none found")}
