"""Hidden checks for 00-getting-started: only the grader has this file."""

from trustlab.checks import question


@question("q4", hidden=True)
def q4_other_spans(ck):
    f = ck.var("total_between")
    removals = ck.data("removals_returns")
    for start, end in [(2001, 2008), (1993, 2000), (1954, 1954)]:
        part = removals[(removals["fiscal_year"] >= start) & (removals["fiscal_year"] <= end)]
        want = int(part["removals"].sum() + part["returns"].sum())
        got = ck.call(f, removals, start, end)
        ck.require(got is not None and int(got) == want,
                   f"total_between is wrong for fiscal {start}-{end}.")


@question("q3", hidden=True)
def q3_not_hard_coded(ck):
    year = ck.param("year")
    r, t = ck.var(f"removals_{year}"), ck.var(f"returns_{year}")
    ck.require(abs(ck.var(f"share_returns_{year}") - t / (r + t)) < 0.006,
               f"share_returns_{year} does not follow from removals_{year} and returns_{year}.")
