"""Hidden checks for 04-trust: only the autograder has this file."""

from trustlab import underreporting as ur
from trustlab.checks import question


@question("q3", hidden=True)
def q3_other_rows(ck):
    f = ck.var("reported_share")
    ncvs = ck.data("ncvs_reporting")
    asked = tuple(ck.param("row"))
    rows = [(2016, "Robbery"), (2017, "Property crime"), (2016, "Motor vehicle theft"),
            (2017, "Rape/sexual assault")]
    for year, crime_type in [r for r in rows if r != asked][:3]:
        want = float(ncvs.loc[(ncvs["year"] == year) & (ncvs["crime_type"] == crime_type),
                              "percent_reported"].iloc[0])
        got = ck.call(f, ncvs, year, crime_type)
        ck.require(isinstance(got, (int, float)) and abs(float(got) - want) < 0.05,
                   f"reported_share is wrong for {year} {crime_type.lower()}.")


@question("q5", hidden=True)
def q5_not_hard_coded(ck):
    affected, silence = ck.param("model")
    ncvs = ck.data("ncvs_reporting")
    rate = float(ncvs.loc[(ncvs["year"] == 2017) & (ncvs["crime_type"] == "Violent crime"),
                          "percent_reported"].iloc[0]) / 100
    settings = dict(report_rate=rate, affected_share=affected, clearance_rate=0.45,
                    witness_dependence=0.5)
    want_base = ur.simulate(silence=0.0, **settings).recorded
    want_silent = ur.simulate(silence=silence, **settings).recorded
    base, silent = ck.var("baseline"), ck.var("silent")
    ck.require(abs(getattr(base, "recorded", -1) - want_base) < 0.05
               and abs(getattr(silent, "recorded", -1) - want_silent) < 0.05,
               "baseline or silent does not match the settings in the question.")
