"""Hidden checks for 02-program: only the autograder has this file."""

from trustlab.checks import question


@question("q3", hidden=True)
def q3_other_input(ck):
    f = ck.var("state_table")
    df = ck.var("agreements")
    out = ck.call(f, df[df["model"] == "Task Force Model"])
    ck.equal(int(out.loc["TX", "agreements"]), "0c08ef00d3f26534",
             message="state_table is wrong on the task-force rows only (Texas agreements).")
    ck.equal(int(out.loc["TX", "agencies"]), "0c08ef00d3f26534",
             message="state_table is wrong on the task-force rows only (Texas agencies).")


@question("q4", hidden=True)
def q4_not_hard_coded(ck):
    t = ck.call(ck.var("state_table"), ck.var("agreements"))
    share = (t.loc["FL", "agreements"] + t.loc["TX", "agreements"]) / t["agreements"].sum()
    ck.require(abs(ck.var("share_fl_tx") - share) < 0.006,
               "share_fl_tx does not follow from the state table.")
