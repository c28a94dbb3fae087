"""Public checks for exercise set 04-trust (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest.
"""

from trustlab.checks import question


@question("q1", points=1,
          expected="the number of Theodore (2013) rows in survey_results whose subgroup size "
                   "(n_subgroup) was not published, as a whole number",
          hint="Keep rows where surveys['survey'] starts with 'Theodore' "
               "(.str.startswith), then count the missing values of 'n_subgroup' with "
               ".isna().sum(); wrap it in int(...).")
def q1(ck):
    v = ck.var("n_missing")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != 9, "9 is the number of Theodore rows in total: count only those whose "
                       "'n_subgroup' is empty.")
    ck.require(v < 22, "That counts rows from every survey: keep only the Theodore rows.")
    ck.equal(v, "c1f0c0251314c111")


@question("q2", points=1,
          expected="the gap in percentage points between undocumented and U.S.-born "
                   "respondents on Theodore's 'less likely to contact police if a victim' "
                   "item (undocumented minus U.S.-born), a number",
          hint="The rows have ids 'theodore-victim-undocumented' and 'theodore-victim-usborn'; "
               "subtract their 'percent' values.")
def q2(ck):
    v = ck.var("gap_pp")
    ck.is_type(v, (int, float), "a number")
    ck.require(v > 0, "The undocumented share is the larger one: subtract U.S.-born from "
                      "undocumented.")
    ck.require(v < 100, "A gap between two percentages cannot exceed 100 points. Did you "
                        "divide instead of subtract?")
    ck.equal(float(v), "150b0e491a79be54", round=1,
             message=f"{v} is not the gap I expected. Check that you took the 'victim' item, "
                     "not the 'stops' item, and the U.S.-born row (not foreign-born).")


@question("q3", points=2,
          expected="a function reported_share(ncvs, year, crime_type) returning the percent of "
                   "victimizations reported to police for that year and type of crime, as a "
                   "number",
          hint="Filter with (ncvs['year'] == year) & (ncvs['crime_type'] == crime_type), then "
               "take .iloc[0] of the 'percent_reported' column and return float(...).")
def q3(ck):
    f = ck.var("reported_share")
    ncvs = ck.var("ncvs")
    v = ck.call(f, ncvs, 2017, "Violent crime")
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.is_type(v, (int, float), "a number (not a Series or DataFrame: take .iloc[0])")
    ck.require(0 <= v <= 100, f"{v} is not a percentage between 0 and 100.")
    ck.equal(float(v), "b836dc7284e92a1a", round=1,
             message=f"reported_share(ncvs, 2017, 'Violent crime') gave {v}, which is not the "
                     "value in the BJS table. Did you filter on both the year and the type?")


@question("q4", points=1,
          expected="the crime_type (a string, as written in the data) whose percent reported "
                   "rose the most from 2016 to 2017",
          hint="ncvs.pivot(index='crime_type', columns='year', values='percent_reported'), "
               "subtract the 2016 column from the 2017 column, and take .idxmax().")
def q4(ck):
    v = ck.var("biggest_rise")
    ck.is_type(v, str, "a string, e.g. 'Robbery'")
    ck.require(v != "Robbery", "Robbery's share reported fell from 2016 to 2017: look for the "
                               "largest increase (2017 minus 2016).")
    ck.equal(v, "31a4aeb68224cf1e",
             message=f"'{v}' is not the type with the largest rise. Subtract 2016 from 2017 "
                     "(not the other way round) and use idxmax.")


@question("q5", points=2,
          expected="the percent fall in recorded crime when half of the affected group's "
                   "victims stay silent, compared with nobody silent, rounded to 1 decimal",
          hint="Run ur.simulate twice with report_rate=rate, affected_share=0.2, "
               "clearance_rate=0.45, witness_dependence=0.5 and silence=0.5 or 0.0; then "
               "100 * (1 - silent.recorded / baseline.recorded), rounded with round(x, 1).")
def q5(ck):
    v = ck.var("recorded_drop_pct")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 0, "Recorded crime falls when victims stay silent: the drop should be "
                       "positive. Did you swap the two runs?")
    ck.require(v <= 100, "A percent fall cannot exceed 100. Multiply the ratio by 100 only "
                         "once.")
    ck.require(abs(v - 12.5) > 0.05, "12.5 is the fall in *cleared* crimes: the question "
                                     "asks about recorded crime.")
    ck.equal(float(v), "da66cd04d608fc2c", round=1,
             message=f"{v} is not the fall I expected. Check every setting, including "
                     "report_rate = rate (the NCVS violent-crime share divided by 100).")


@question("q6", points=1,
          expected="one letter: what Wong et al.'s 60.8 figure measures",
          hint="Look at the 'measure' column of the wong-witness row and reread the chapter's "
               "section on the San Diego survey experiment.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), "d05faa460a5b4fbb")


@question("q7", points=1,
          expected="one letter: the most accurate description of Houston's 42.8% figure",
          hint="Look at the window, measure and victim_group columns of the "
               "houston-rape-hispanic row.")
def q7(ck):
    ck.choice(ck.var("q7_answer"), "f1c8b296586677ee")
