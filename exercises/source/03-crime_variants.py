"""Class variants of exercise set 03-crime (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others (``python -m trustlab exercises --class-key FILE``). ``answers`` computes
the expected answers of a version from the course's datasets: the grader compares against them
and the student checks file gets only their digests.

What varies:

* q1 and q2 ask about another state and year: the state's violent crime rate (q1) and the pooled
  rate of its land neighbours (q2). Every state offered has three to five neighbours, a name
  that takes "'s" plainly, and rates well inside the check's sanity range (100 to 2,000).
* q3 and q7 keep California and SB 54 (the story of the set) but take another "before" window:
  2012-2017 up to 2016-2017. The placebo table of q7 is built with the same window, so the
  comparison of q7 stays like with like. The after years are 2018-2019 in every version (the
  panel ends in 2019).
"""

from trustlab import crime

PARAMS = {
    # the state of q1 (its rate) and q2 (its neighbours' pooled rate)
    "state": ["TX", "GA", "OH", "NM", "AL", "NC", "MI", "LA"],
    # the year of q1 and q2
    "year": [2016, 2011, 2012, 2013, 2014, 2015, 2017, 2018, 2019],
    # the first "before" year of California's difference-in-differences (q3, q7); before ends
    # in 2017, so the window is 2018 - before_start years
    "before_start": [2014, 2012, 2013, 2015, 2016],
}

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
_STATE_NAMES = {"TX": "Texas", "GA": "Georgia", "OH": "Ohio", "NM": "New Mexico",
                "AL": "Alabama", "NC": "North Carolina", "MI": "Michigan", "LA": "Louisiana"}


def window(p) -> int:
    """Years on each side of 2018 in q3's difference-in-differences and q7's placebo table."""
    return 2018 - p["before_start"]


def neighbours(p) -> list[str]:
    return sorted(crime.NEIGHBOURS[p["state"]])


def _california(p):
    """California's estimate (rounded as the question asks) and how many placebo states have
    one at least as large in absolute value."""
    from trustlab.checks import course_data

    panel = course_data("crime_panel")
    did = round(crime.did(panel, "CA", 2018, window=window(p)).estimate, 1)
    placebo = crime.placebo_table(panel, window=window(p))
    p2018 = placebo[(placebo["year"] == 2018) & (placebo["outcome"] == "Violent crime")]
    return did, int((p2018["did"].abs() >= abs(did)).sum())


def derive(p):
    """Text the notebook shows for these parameters."""
    w = window(p)
    did, n_large = _california(p)
    return {
        "st": p["state"].lower(),
        "state_name": _STATE_NAMES[p["state"]],
        "neighbours": "[" + ", ".join(f'"{s}"' for s in neighbours(p)) + "]",
        "n_neighbours": _NUMBER_WORDS[len(neighbours(p))],
        "window_words": _NUMBER_WORDS[w],
        # the public set calls placebo_table(panel) with its default window of 4
        "placebo_window": "" if w == 4 else f", window={w}",
        # the figures the discussion (q8), its model answer and its rubric quote
        "did_whole": f"{did:.0f}",
        "n_large": n_large,
    }


def answers(p, data):
    panel = data("crime_panel")
    row = panel[(panel["state_abbr"] == p["state"]) & (panel["year"] == p["year"])].iloc[0]
    part = panel[panel["state_abbr"].isin(neighbours(p)) & (panel["year"] == p["year"])]
    group = float(part["violent_crime"].sum() / part["population"].sum() * 100_000)
    did = round(crime.did(panel, "CA", 2018, window=window(p)).estimate, 1)
    placebo = crime.placebo_table(panel, window=window(p))
    p2018 = placebo[(placebo["year"] == 2018) & (placebo["outcome"] == "Violent crime")]
    return {
        "rate": (float(row["violent_rate"]), 1),
        "group": (round(group, 1), 1),
        "did": (did, 1),
        "n_large": int((p2018["did"].abs() >= abs(did)).sum()),
    }
