"""Hidden checks for 01-history: only the autograder has this file."""

from trustlab.checks import question


def _total(removals, admins, name):
    row = admins[admins["administration"] == name].iloc[0]
    part = removals[(removals["fiscal_year"] >= row["first_fy"])
                    & (removals["fiscal_year"] <= row["last_fy"])]
    return int(part["removals"].sum() + part["returns"].sum())


@question("q5", hidden=True)
def q5_other_administrations(ck):
    f = ck.var("total_for")
    removals, admins = ck.data("removals_returns"), ck.data("administrations")
    for name in dict.fromkeys(["Obama", "Clinton", "Bush 43", ck.param("admin")]):
        row = admins[admins["administration"] == name].iloc[0]
        got = ck.call(f, removals, admins, name)
        ck.require(got is not None and int(got) == _total(removals, admins, name),
                   f"total_for is wrong for {name!r} (fiscal {int(row['first_fy'])}-"
                   f"{int(row['last_fy'])}).")


@question("q2", hidden=True)
def q2_not_hard_coded(ck):
    year = ck.param("year")
    removals = ck.data("removals_returns")
    row = removals[removals["fiscal_year"] == year].iloc[0]
    ck.require(abs(ck.var(f"ratio_{year}") - row["returns"] / row["removals"]) < 0.06,
               f"ratio_{year} does not follow from the fiscal-{year} row.")
