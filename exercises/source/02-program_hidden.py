"""Hidden checks for 02-program: only the autograder has this file."""

from trustlab.checks import question


def _table(df):
    """What state_table should return, computed by the grader."""
    return df.groupby("state").agg(agreements=("agency", "size"),
                                   agencies=("agency", "nunique"))


@question("q3", hidden=True)
def q3_other_inputs(ck):
    f = ck.var("state_table")
    agreements = ck.data("agreements_287g")
    since = ck.param("since") or "2025-03-01"
    inputs = [
        ("the task-force rows only", agreements[agreements["model"] == "Task Force Model"]),
        ("the jail-model rows only", agreements[agreements["model"] == "Jail Enforcement Model"]),
        (f"the rows signed on or after {since}", agreements[agreements["signed"] >= since]),
    ]
    for what, df in inputs:
        want = _table(df)
        out = ck.call(f, df)
        ck.require(out is not None and hasattr(out, "loc"),
                   f"state_table does not return a table on {what}.")
        for state in {ck.param("state"), "TX", want["agreements"].idxmax()}:
            if state not in want.index:
                continue
            for col in ("agreements", "agencies"):
                ok = state in out.index and col in out.columns and \
                    int(out.loc[state, col]) == int(want.loc[state, col])
                ck.require(ok, f"state_table is wrong on {what} ({state} {col}).")


@question("q4", hidden=True)
def q4_not_hard_coded(ck):
    s1, s2 = ck.param("pair")
    t = ck.call(ck.var("state_table"), ck.data("agreements_287g"))
    share = (t.loc[s1, "agreements"] + t.loc[s2, "agreements"]) / t["agreements"].sum()
    name = f"share_{s1.lower()}_{s2.lower()}"
    ck.require(abs(ck.var(name) - share) < 0.006,
               f"{name} does not follow from the state table.")
