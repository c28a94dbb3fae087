"""Class variants of exercise set 02-program (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others (``python -m trustlab exercises --class-key FILE``). ``derive`` gives the
text the notebook shows for them, and ``answers`` computes the expected answers of a version from
the course's datasets: the grader compares against them and the student checks file gets only
their digests.
"""

import datetime as dt

from trustlab.states import BY_ABBR

PARAMS = {
    # q1-q2: which agreements to count: the whole list, or those signed on or after a date
    # (every cut keeps agencies that hold more than one agreement, so q2 still teaches that)
    "since": [None, "2025-01-20", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"],
    # q3: the state the check reads in state_table's result (each has fewer agencies than
    # agreements, so counting rows instead of distinct names shows)
    "state": ["FL", "TX", "GA", "AL", "KY", "OH", "SC", "VA"],
    # q4: the two states whose share of all agreements is asked
    "pair": [("FL", "TX"), ("TX", "GA"), ("FL", "GA"), ("GA", "SC"), ("VA", "PA"),
             ("AL", "TN")],
    # q5: the dates of two reported counts of agreements for all models (exact, not bounds)
    "growth": [("2024-12-01", "2025-09-17"), ("2024-12-01", "2025-11-01"),
               ("2024-12-01", "2026-02-13"), ("2007-09-01", "2024-12-01"),
               ("2007-09-01", "2025-09-17"), ("2025-09-17", "2026-02-13")],
    # q6: a status in the table of state laws, and optionally a date by which the law took
    # effect (each choice has a state of another status or a later law to leave out)
    "laws": [("ban", None), ("require", None), ("restrict", None), ("ban", "2022-01-01"),
             ("ban", "2020-01-01"), ("require", "2025-01-01")],
}

# q6: what the table's status means; the public text has a line break after "287(g)"
_WHAT = {
    "ban": "*banning* 287(g)\nagreements",
    "require": "*requiring* 287(g)\nagreements (status `require`)",
    "restrict": "*restricting* cooperation with immigration\nenforcement short of a ban "
                "(status `restrict`)",
}


def _day(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def _month(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%B %Y}"


def derive(p):
    """Text the notebook shows for these parameters."""
    since = p["since"]
    s1, s2 = p["pair"]
    d1, d2 = p["growth"]
    status, by = p["laws"]
    return {
        # q1: the public text is "How many agreements are on ICE's list?"
        "q1_scope": "are on ICE's list" if since is None else
                    f"on ICE's list were signed on or after {_day(since)} (column `signed`)",
        "q1_rows": "agreements" if since is None else
                   f'agreements[agreements["signed"] >= "{since}"]',
        "state_name": BY_ABBR[p["state"]][1],
        "s1": s1, "s2": s2, "s1_name": BY_ABBR[s1][1], "s2_name": BY_ABBR[s2][1],
        "pair_var": f"{s1.lower()}_{s2.lower()}",
        "d1": d1, "d2": d2, "d1_text": _month(d1), "d2_text": _month(d2),
        "status": status, "laws_what": _WHAT[status],
        "laws_when": "" if by is None else
                     f", counting only laws that took effect (column `effective`) before "
                     f"{_day(by)}",
        "laws_rows": f'laws["status"] == "{status}"' if by is None else
                     f'(laws["status"] == "{status}") & (laws["effective"] < "{by}")',
    }


def _agreements_since(data, since):
    agreements = data("agreements_287g")
    return agreements if since is None else agreements[agreements["signed"] >= since]


def answers(p, data):
    rows = _agreements_since(data, p["since"])
    agreements = data("agreements_287g")
    table = agreements.groupby("state").agg(agreements=("agency", "size"),
                                            agencies=("agency", "nunique"))
    s1, s2 = p["pair"]
    share = float(table.loc[[s1, s2], "agreements"].sum() / table["agreements"].sum())
    over = data("agreements_over_time")
    rep = over[(over["kind"] == "reported") & (over["unit"] == "agreements")
               & (over["model"] == "all")]
    d1, d2 = p["growth"]
    start = int(rep.loc[rep["date"] == d1, "count"].iloc[0])
    end = int(rep.loc[rep["date"] == d2, "count"].iloc[0])
    laws = data("state_laws")
    status, by = p["laws"]
    keep = laws["status"] == status
    counted = over[(over["unit"] == "agreements") & (over["model"] == "all")]
    latest = counted.sort_values("date").iloc[-1]
    if by is not None:
        keep &= laws["effective"] < by
    return {
        "n_agreements": len(rows),
        "n_agencies": int(rows[["state", "agency"]].drop_duplicates().shape[0]),
        "state_agreements": int(table.loc[p["state"], "agreements"]),
        "state_agencies": int(table.loc[p["state"], "agencies"]),
        "share": (round(share, 2), 2),
        "growth": round((end / start - 1) * 100),
        # the usual slip: dividing the change by the later count instead of the earlier one
        "growth_by_end": round((end - start) / end * 100),
        "states": sorted(laws.loc[keep, "state"]),
        "latest_count": int(latest["count"]),
        "latest_qualifier": str(latest["qualifier"]),
    }
