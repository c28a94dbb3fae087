"""Hidden checks for 04-trust: only the autograder has this file."""

from trustlab.checks import question


@question("q3", hidden=True)
def q3_other_rows(ck):
    f = ck.var("reported_share")
    ncvs = ck.var("ncvs")
    ck.equal(float(ck.call(f, ncvs, 2016, "Robbery")), "3c3202c2bf7209b9", round=1,
             message="reported_share is wrong for 2016 robbery.")
    ck.equal(float(ck.call(f, ncvs, 2017, "Property crime")), "8dd1f9f38987f09c", round=1,
             message="reported_share is wrong for 2017 property crime.")
    ck.equal(float(ck.call(f, ncvs, 2016, "Motor vehicle theft")), "38961fea9e5f9d9f",
             round=1, message="reported_share is wrong for 2016 motor vehicle theft.")


@question("q5", hidden=True)
def q5_not_hard_coded(ck):
    ck.require(abs(ck.var("silent").recorded - 404.1) < 0.05 and abs(ck.var("baseline").recorded - 449.0) < 0.05,
               "baseline or silent does not match the settings in the question.")
