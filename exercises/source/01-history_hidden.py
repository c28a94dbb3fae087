"""Hidden checks for 01-history: only the autograder has this file."""

from trustlab.checks import question


@question("q5", hidden=True)
def q5_other_administrations(ck):
    f = ck.var("total_for")
    removals, admins = ck.var("removals"), ck.var("admins")
    ck.equal(int(ck.call(f, removals, admins, "Obama")), "2580d52bba39e822",
             message="total_for is wrong for 'Obama' (fiscal 2009-2016).")
    ck.equal(int(ck.call(f, removals, admins, "Clinton")), "9214014137240534",
             message="total_for is wrong for 'Clinton' (fiscal 1993-2000).")
    ck.equal(int(ck.call(f, removals, admins, "Bush 43")), "55b535e232b46246",
             message="total_for is wrong for 'Bush 43' (fiscal 2001-2008).")


@question("q2", hidden=True)
def q2_not_hard_coded(ck):
    removals = ck.var("removals")
    row = removals[removals["fiscal_year"] == 1954].iloc[0]
    ck.require(abs(ck.var("ratio_1954") - row["returns"] / row["removals"]) < 0.06,
               "ratio_1954 does not follow from the fiscal-1954 row.")
