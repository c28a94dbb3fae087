"""Class variants of exercise set 00-getting-started (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others (``python -m trustlab exercises --class-key FILE``). ``answers`` computes
the expected answers of a version from the course's datasets: the grader compares against them
and the student checks file gets only their digests.
"""

PARAMS = {
    # a fiscal year in which returns far outnumbered formal removals
    "year": [1954, 1951, 1952, 1953, 1972, 1973, 1974, 1975],
    # the span of fiscal years total_between() is checked on
    "span": [(2009, 2012), (2001, 2004), (2005, 2008), (2013, 2016), (1997, 2000)],
}


def derive(p):
    """Text the notebook shows for these parameters ({{start}}, {{end}})."""
    return {"start": p["span"][0], "end": p["span"][1]}


def answers(p, data):
    removals = data("removals_returns")
    row = removals[removals["fiscal_year"] == p["year"]].iloc[0]
    rem, ret = int(row["removals"]), int(row["returns"])
    start, end = p["span"]
    part = removals[(removals["fiscal_year"] >= start) & (removals["fiscal_year"] <= end)]
    return {
        "removals": rem,
        "returns": ret,
        "share": (round(ret / (rem + ret), 2), 2),
        "total": int(part["removals"].sum() + part["returns"].sum()),
    }
