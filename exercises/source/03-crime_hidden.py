"""Hidden checks for 03-crime: only the autograder has this file."""

from trustlab.checks import question


@question("q2", hidden=True)
def q2_other_groups(ck):
    f = ck.var("group_rate")
    panel = ck.var("panel")
    ck.equal(round(float(ck.call(f, panel, ["OR", "NV", "AZ"], 2019)), 1), "e5abd4700d5155ee",
             round=1, message="group_rate is wrong for Oregon, Nevada and Arizona in 2019.")


@question("q3", hidden=True)
def q3_matches_helper(ck):
    from trustlab import crime

    panel = ck.var("panel")
    ref = crime.did(panel, "CA", 2018, window=4).estimate
    ck.require(abs(ck.var("did_ca") - ref) < 0.06,
               "did_ca does not match the course's difference-in-differences for California.")
