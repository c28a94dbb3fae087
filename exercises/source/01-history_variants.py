"""Class variants of exercise set 01-history (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others (``python -m trustlab exercises --class-key FILE``). ``answers`` computes
the expected answers of a version from the course's datasets: the grader compares against them
and the student checks file gets only their digests.
"""

PARAMS = {
    # q1: fiscal years whose formal removals are summed. Besides the public 1930s, the periods
    # that the published estimates of the Mexican Repatriation cover (historic_estimates), so
    # the comparison with those estimates keeps its point.
    "span": [(1930, 1939), (1929, 1939), (1930, 1940), (1929, 1934), (1929, 1944), (1931, 1936)],
    # q2: a fiscal year in which returns dwarfed formal removals
    "year": [1954, 1950, 1951, 1952, 1953, 1955, 1986],
    # q4: an administration whose fiscal years all lie inside the removals table
    "admin": ["Obama", "Clinton", "Bush 43", "Bush 41", "Truman", "Eisenhower"],
    # q5: the administration the check calls total_for() with (none of q4's choices)
    "fn_admin": ["Reagan", "Carter", "Nixon", "Johnson", "Ford", "Kennedy"],
    # q7: the estimate the largest Mexican Repatriation estimate is compared with ("smallest" =
    # the smallest estimate_high; otherwise a row's id)
    "ref": ["smallest", "hoffman1974", "gratton2011_permanent", "lee2022_repatriated",
            "balderrama1995"],
}

# How the notebook names each q4 administration, and its fiscal years (answers() checks them
# against the administrations table, so a typo here stops the build).
_ADMINS = {
    "Obama": ("Obama", 2009, 2016),
    "Clinton": ("Clinton", 1993, 2000),
    "Bush 43": ("George W. Bush", 2001, 2008),
    "Bush 41": ("George H. W. Bush", 1989, 1992),
    "Truman": ("Truman", 1946, 1953),
    "Eisenhower": ("Eisenhower", 1954, 1961),
}

# Who published each q7 reference estimate, and when (checked against historic_estimates).
_REFS = {
    "hoffman1974": ("Abraham Hoffman", 1974),
    "gratton2011_permanent": ("Brian Gratton and Emily Merchant", 2011),
    "lee2022_repatriated": ("Jongkwan Lee, Giovanni Peri and Vasil Yasenov", 2022),
    "balderrama1995": ("Francisco E. Balderrama and Raymond Rodríguez", 1995),
}

_WETBACK_NOTE = ', the year behind the "one million deported" story of Operation Wetback,'
_YEAR_NOTES = {
    1953: ", the year before Operation Wetback,",
    1955: ", the year after Operation Wetback,",
}


def var_prefix(admin: str) -> str:
    """The variable prefix of an administration in q4: "Bush 43" -> "bush43"."""
    return admin.lower().replace(" ", "")


def derive(p):
    """Text the notebook shows for these parameters."""
    start, end = p["span"]
    name, first, last = _ADMINS[p["admin"]]
    if p["ref"] == "smallest":
        ref_text = "the smallest `estimate_high`"
        ref_code = 'rep["estimate_high"].min()'
    else:
        producer, year = _REFS[p["ref"]]
        ref_text = (f"the `estimate_high` of the row whose `id` is `\"{p['ref']}\"` "
                    f"({producer}, {year})")
        ref_code = f'rep.loc[rep["id"] == "{p["ref"]}", "estimate_high"].iloc[0]'
    year = p["year"]
    return {
        "start": start,
        "end": end,
        "span_name": "1930s" if (start, end) == (1930, 1939) else f"{start}_{end}",
        "year_note": _WETBACK_NOTE if year == 1954 else _YEAR_NOTES.get(year, ","),
        "who": var_prefix(p["admin"]),
        "president": name,
        "first_fy": first,
        "last_fy": last,
        "ref_text": ref_text,
        "ref_code": ref_code,
    }


def _sum(removals, first, last, columns):
    part = removals[(removals["fiscal_year"] >= first) & (removals["fiscal_year"] <= last)]
    if len(part) != last - first + 1:
        raise ValueError(f"removals_returns lacks some of fiscal {first}-{last}")
    return int(sum(part[c].sum() for c in columns))


def answers(p, data):
    removals = data("removals_returns")
    admins = data("administrations").set_index("administration")
    estimates = data("historic_estimates")

    start, end = p["span"]
    row = removals[removals["fiscal_year"] == p["year"]].iloc[0]

    name, first, last = _ADMINS[p["admin"]]
    table = admins.loc[p["admin"]]
    if (int(table["first_fy"]), int(table["last_fy"])) != (first, last):
        raise ValueError(f"_ADMINS[{p['admin']!r}] disagrees with the administrations table")
    fn = admins.loc[p["fn_admin"]]

    rep = estimates[estimates["episode"] == "Mexican Repatriation"]
    if p["ref"] == "smallest":
        ref = rep["estimate_high"].min()
    else:
        ref_row = rep[rep["id"] == p["ref"]].iloc[0]
        if (ref_row["producer"], int(ref_row["year"])) != _REFS[p["ref"]]:
            raise ValueError(f"_REFS[{p['ref']!r}] disagrees with historic_estimates")
        ref = ref_row["estimate_high"]

    return {
        "removals_span": _sum(removals, start, end, ["removals"]),
        "ratio": (round(float(row["returns"] / row["removals"]), 1), 1),
        "admin_removals": _sum(removals, first, last, ["removals"]),
        "admin_total": _sum(removals, first, last, ["removals", "returns"]),
        "fn_total": _sum(removals, int(fn["first_fy"]), int(fn["last_fy"]),
                         ["removals", "returns"]),
        "spread": (round(float(rep["estimate_high"].max() / ref), 1), 1),
    }
