"""Hidden checks for 00-getting-started: only the autograder has this file."""

from trustlab.checks import question


@question("q4", hidden=True)
def q4_other_spans(ck):
    f = ck.var("total_between")
    removals = ck.var("removals")
    ck.equal(int(ck.call(f, removals, 2001, 2008)), "55b535e232b46246",
             message="total_between is wrong for fiscal 2001-2008.")
    ck.equal(int(ck.call(f, removals, 1993, 2000)), "9214014137240534",
             message="total_between is wrong for fiscal 1993-2000.")


@question("q3", hidden=True)
def q3_not_hard_coded(ck):
    r, t = ck.var("removals_1954"), ck.var("returns_1954")
    ck.require(abs(ck.var("share_returns_1954") - t / (r + t)) < 0.006,
               "share_returns_1954 does not follow from removals_1954 and returns_1954.")
