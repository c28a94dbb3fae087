"""Public checks for exercise set 05-practices (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest.
"""

from trustlab.checks import question


@question("q1", points=1,
          expected="the number of programs whose evidence_kind is 'evaluation', as a whole number",
          hint="Compare programs['evidence_kind'] with 'evaluation' and .sum() the result; "
               "wrap it in int(...).")
def q1(ck):
    v = ck.var("n_evaluated")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v <= 11, "There are only 11 programs in the dataset: did you count rows of "
                        "another table?")
    ck.equal(v, "aeaafe768fbdbceb", message=f"{v} is not the count I expected. Count only rows "
             "whose evidence_kind is exactly 'evaluation' (not 'descriptive').")


@question("q2", points=1,
          expected="the number of programs whose confidence is 'verified', as a whole number",
          hint="(programs['confidence'] == 'verified').sum()")
def q2(ck):
    v = ck.var("n_verified")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != 11, "Not every program is verified: some are 'reported' or 'could not "
                        "verify'. Did you count all rows?")
    ck.equal(v, "a7fbdc8451012e9e")


@question("q3", points=1,
          expected="the number of recommendations whose evidence_strength is 'court rulings' "
                   "or 'statute or federal guidance'",
          hint="recs['evidence_strength'].isin([...two values...]).sum()")
def q3(ck):
    v = ck.var("n_legal")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != 1, "Only one? You may have counted 'court rulings' alone; add 'statute or "
                       "federal guidance'.")
    ck.equal(v, "ca229d520d822ee2")


@question("q4", points=2,
          expected="county_choices as a dict of the county's choices, and n_met_county, the "
                   "number of recommendations it meets according to practices.scorecard",
          hint="Five choices are True: has_287g, publish_policy, translate_policy, language_plan "
               "and uvisa_policy. Leave the others out (they count as False).")
def q4(ck):
    choices = ck.var("county_choices")
    ck.require(isinstance(choices, dict), "county_choices should be a dict such as "
                                          "{'has_287g': True, ...}.")
    ck.require(choices.get("has_287g") is True, "The county has a 287(g) agreement: set "
                                                "'has_287g': True.")
    v = ck.var("n_met_county")
    ck.is_type(v, int, "a whole number (an int)")
    ck.equal(v, "ca229d520d822ee2", message=f"The scorecard gave {v}, not what I expected. Check "
             "that exactly the five choices in the question are True; for example, a county "
             "with a 287(g) agreement does not meet the recommendation to leave civil "
             "enforcement to federal agents.")


@question("q5", points=1,
          expected="pending U-visa petitions at the end of fiscal 2021 divided by those at the "
                   "end of fiscal 2010, rounded to 1 decimal",
          hint="Filter uv as described, index by fiscal_year, then "
               "round(pending.loc[2021] / pending.loc[2010], 1).")
def q5(ck):
    v = ck.var("ratio_pending")
    ck.is_type(v, float, "a number")
    ck.require(v > 1, f"{v} is below 1: the backlog grew, so divide 2021 by 2010, not the "
                      "other way round.")
    ck.require(v < 100, f"{v} is far too large: did you include principal-only rows or the "
                        "December 2021 figure?")
    ck.equal(v, "382ceb30fcc1526e", round=1)


@question("q6", points=1,
          expected="the fiscal year with the most U-visa petitions received, as a whole number",
          hint="Filter to measure == 'petitions_received' and counted == 'principal and family', "
               "then take the fiscal_year of the row with the largest value (idxmax).")
def q6(ck):
    v = ck.var("peak_year")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != 2021, "2021 is the peak of petitions *pending*, not received: check the "
                          "measure.")
    ck.equal(v, "10d1de22a15fc208")


@question("q7", points=1, expected="one letter, a to d",
          hint="Read the chart's subtitle and the 'counted' column of uv.")
def q7(ck):
    ck.choice(ck.var("q7_answer"), "d05faa460a5b4fbb")


@question("q8", points=1, expected="one letter, a to d",
          hint="Re-read the chapter's section on detainers and the Fourth Amendment.")
def q8(ck):
    ck.choice(ck.var("q8_answer"), "d05faa460a5b4fbb")


@question("q10", points=1,
          expected="my_jurisdiction (a name) and my_choices (a dict with at least five of the "
                   "policy-builder choices, each True or False)",
          hint="Print practices.CHOICES for the names. Values must be True or False, not "
               "'yes' or 1.")
def q10(ck):
    from trustlab import practices

    name = ck.var("my_jurisdiction")
    ck.require(isinstance(name, str) and name.strip(), "my_jurisdiction should be the name of "
                                                       "a real county or city, as text.")
    choices = ck.var("my_choices")
    ck.require(isinstance(choices, dict), "my_choices should be a dict.")
    try:
        practices.check_choices(choices)
    except ValueError as exc:
        ck.require(False, str(exc))
    ck.require(len(choices) >= 5, f"You set {len(choices)} choice(s); describe at least five "
                                  "so the scorecard says something about the jurisdiction.")
