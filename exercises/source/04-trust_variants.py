"""Class variants of exercise set 04-trust (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others (``python -m trustlab exercises --class-key FILE``). ``answers`` computes
the expected answers of a version from the course's datasets: the grader compares against them
and the student checks file gets only their digests.
"""

PARAMS = {
    # q1: which rows of survey_results to count missing subgroup sizes in, as
    # (column to match, what its value starts with, how the question names the rows).
    # Every choice has at least one percentage without a published subgroup size.
    "rows": [
        ("survey", "Theodore", "Theodore (2013) rows"),
        ("survey", "Pew", "Pew Research Center (2014) rows"),
        ("id", "theodore-stops-", "Theodore (2013) rows on police stops (their `id` starts "
                                  "with `theodore-stops-`)"),
        ("id", "theodore-victim-", "Theodore (2013) rows on contacting police as a victim "
                                   "(their `id` starts with `theodore-victim-`)"),
        ("id", "pew-force-", "Pew (2014) rows on excessive force (their `id` starts with "
                             "`pew-force-`)"),
        ("id", "pew-trust-", "Pew (2014) rows on gaining residents' trust (their `id` starts "
                             "with `pew-trust-`)"),
    ],
    # q2: two rows of survey_results on the same item; the first has the larger percent.
    "gap": [
        ("theodore-victim-undocumented", "theodore-victim-usborn"),
        ("theodore-stops-undocumented", "theodore-stops-usborn"),
        ("theodore-stops-foreignborn", "theodore-stops-usborn"),
        ("pew-equal-white", "pew-equal-hispanic"),
        ("pew-force-white", "pew-force-hispanic"),
        ("pew-trust-white", "pew-trust-hispanic"),
    ],
    # q3: the (year, crime_type) row of ncvs_reporting the public check calls reported_share on
    "row": [
        (2017, "Violent crime"),
        (2016, "Violent crime"),
        (2017, "Household burglary"),
        (2016, "Aggravated assault"),
        (2017, "Stranger violence"),
        (2016, "Other theft"),
    ],
    # q4: the largest "rise" or "fall" in percent reported, 2016 to 2017, among all rows ("")
    # or one category. Each choice has a clear winner that moved in the asked direction.
    "move": [
        ("rise", ""),
        ("fall", ""),
        ("rise", "Property crime"),
        ("rise", "Serious violent crime"),
        ("fall", "Violent crime"),
        ("fall", "Serious violent crime"),
    ],
    # q5: (affected_share, silence) of the under-reporting model. Recorded crime falls by
    # 100 * affected_share * silence percent, so every choice gives a different answer from
    # the public one (10.0).
    "model": [(0.2, 0.5), (0.1, 0.5), (0.3, 0.5), (0.2, 0.3), (0.3, 0.25), (0.15, 0.4)],
}

# How the question text names the survey items and groups of q2's rows.
_ITEMS = {
    "theodore-victim": ("Theodore's", "less likely to contact police if a victim"),
    "theodore-stops": ("Theodore's", "police stop Latinos without good reason very or somewhat "
                                     "often"),
    "pew-equal": ("Pew's", "confidence that local police treat Hispanics and whites equally"),
    "pew-force": ("Pew's", "confidence that local police will not use excessive force"),
    "pew-trust": ("Pew's", "confidence that local police will gain the trust of local "
                           "residents"),
}
_GROUPS = {"undocumented": "undocumented", "usborn": "U.S.-born",
           "foreignborn": "foreign-born", "white": "white", "hispanic": "Hispanic"}
_SHARE_WORDS = {0.5: "half", 0.25: "a quarter", 0.3: "30%", 0.4: "40%"}


def _split(row_id: str) -> tuple[str, str]:
    item, _, group = row_id.rpartition("-")
    return item, group


def derive(p):
    """Text the notebook shows for these parameters."""
    col, prefix, rows_text = p["rows"]
    hi, lo = p["gap"]
    item, g_hi = _split(hi)
    survey, item_text = _ITEMS[item]
    year, crime_type = p["row"]
    direction, category = p["move"]
    share, silence = p["model"]
    among = ("" if not category else
             f", among the rows whose `category` is \"{category}\",")
    pick = ("" if not category else
            f'[wide.index.isin(ncvs.loc[ncvs["category"] == "{category}", "crime_type"])]')
    return {
        "q1_col": col, "q1_prefix": prefix, "q1_rows": rows_text,
        "gap_hi": hi, "gap_lo": lo, "gap_survey": survey, "gap_item": item_text,
        "group_hi": _GROUPS[g_hi], "group_lo": _GROUPS[_split(lo)[1]],
        "row_year": year, "row_type": crime_type, "row_text": crime_type.lower(),
        "direction": direction, "among": among, "pick": pick,
        "idx": "idxmax" if direction == "rise" else "idxmin",
        "trust_change": "more" if direction == "rise" else "less",
        "affected": share, "silence": silence, "silence_words": _SHARE_WORDS[silence],
    }


def answers(p, data):
    from trustlab import underreporting as ur

    surveys = data("survey_results")
    col, prefix, _ = p["rows"]
    chosen = surveys[surveys[col].str.startswith(prefix)]
    by_id = surveys.set_index("id")["percent"]
    hi, lo = p["gap"]
    if _split(hi)[0] != _split(lo)[0] or not by_id[hi] > by_id[lo]:
        raise ValueError(f"gap {p['gap']}: the rows must be one item, the first one larger")

    ncvs = data("ncvs_reporting")
    year, crime_type = p["row"]
    row = ncvs[(ncvs["year"] == year) & (ncvs["crime_type"] == crime_type)]

    direction, category = p["move"]
    wide = ncvs.pivot(index="crime_type", columns="year", values="percent_reported")
    change = wide[2017] - wide[2016]
    if category:
        change = change[change.index.isin(ncvs.loc[ncvs["category"] == category,
                                                   "crime_type"])]
    best = change.idxmax() if direction == "rise" else change.idxmin()
    worst = change.idxmin() if direction == "rise" else change.idxmax()
    if (change[best] > 0) != (direction == "rise"):
        raise ValueError(f"move {p['move']}: no row moved in that direction")

    share, silence = p["model"]
    rate = float(ncvs.query("year == 2017 and crime_type == 'Violent crime'")
                 ["percent_reported"].iloc[0]) / 100
    settings = dict(report_rate=rate, affected_share=share, clearance_rate=0.45,
                    witness_dependence=0.5)
    baseline = ur.simulate(silence=0.0, **settings)
    silent = ur.simulate(silence=silence, **settings)
    return {
        "n_missing": int(chosen["n_subgroup"].isna().sum()),
        "gap": (float(by_id[hi] - by_id[lo]), 1),
        "reported": (float(row["percent_reported"].iloc[0]), 1),
        "q4": str(best),
        "q4_opposite": str(worst),
        "drop": (round(100 * (1 - silent.recorded / baseline.recorded), 1), 1),
        "cleared_drop": (round(100 * (1 - silent.cleared / baseline.cleared), 1), 1),
    }
