"""Public checks for exercise set 01-history (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest.
"""

from trustlab.checks import question, show


@question("q1", points=1,
          expected="the number of formal removals in fiscal years 1930 to 1939, both included, "
                   "as a whole number",
          hint="Keep the rows with removals['fiscal_year'] >= 1930 and <= 1939 (combine the "
               "two conditions with &), then take .sum() of the 'removals' column and int(...).")
def q1(ck):
    v = ck.var("removals_1930s")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v > 30_000, "That is too small for ten years of removals: did you take a single "
                           "year, or use == instead of >= and <=?")
    ck.require(v < 250_000, "That is too large: did you add returns, or include years outside "
                            "1930-1939?")
    ck.equal(v, "145433f0506c09a8", message=f"{show(v)} is not the total I expected. Are both "
             "1930 and 1939 included, and did you sum the 'removals' column only?")


@question("q2", points=1,
          expected="returns divided by removals in fiscal 1954, rounded to 1 decimal",
          hint="Take the fiscal-1954 row, divide its 'returns' by its 'removals', then "
               "round(..., 1).")
def q2(ck):
    v = ck.var("ratio_1954")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 1, f"{v} is below 1: you divided removals by returns. Returns were by far "
                       "the larger number in 1954.")
    ck.equal(v, "494be186da664e88", round=1,
             message=f"{v} is not the ratio I expected (rounded to 1 decimal).")


@question("q3", points=1,
          expected="one letter: the dates fiscal year 1954 covered",
          hint="Reread the note at the top: before fiscal 1977 the fiscal year started on "
               "1 July of the previous calendar year.")
def q3(ck):
    ck.choice(ck.var("q3_answer"), "f1c8b296586677ee")


@question("q4", points=2,
          expected="obama_removals: removals in fiscal 2009-2016; obama_total: removals plus "
                   "returns in the same years (whole numbers)",
          hint="Filter fiscal_year between 2009 and 2016 (both included), then sum 'removals' "
               "for the first and add the sum of 'returns' for the second.")
def q4(ck):
    rem = ck.var("obama_removals")
    tot = ck.var("obama_total")
    ck.is_type(rem, int, "a whole number (an int)")
    ck.is_type(tot, int, "a whole number (an int)")
    ck.require(tot > rem, "obama_total should be larger than obama_removals: it adds returns.")
    ck.equal(rem, "20a34b51c853c7e6", message=f"obama_removals = {show(rem)} is not what I "
             "expected. Are both 2009 and 2016 included?")
    ck.equal(tot, "2580d52bba39e822", message=f"obama_total = {show(tot)} is not what I expected. "
             "Did you add the sums of both columns over the same fiscal years?")


@question("q5", points=2,
          expected="a function total_for(removals, admins, name) returning removals plus "
                   "returns over the administration's fiscal years first_fy..last_fy",
          hint="Select the admins row with admins['administration'] == name and .iloc[0]; use "
               "its 'first_fy' and 'last_fy' to filter removals as in q4.")
def q5(ck):
    f = ck.var("total_for")
    removals, admins = ck.var("removals"), ck.var("admins")
    v = ck.call(f, removals, admins, "Reagan")
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.equal(int(v), "56f79aca01b1244c", message=f"total_for(removals, admins, 'Reagan') gave "
             f"{show(v)}, not the total I expected. Reagan's fiscal years are 1981 to 1988: are "
             "both ends included, and did you add removals and returns?")


@question("q6", points=1,
          expected="one letter: the statement about the Obama years that the data support",
          hint="Compare obama_removals with the removals of Bush 43 and Clinton, and "
               "obama_total with total_for(...) for 'Bush 43' and 'Clinton'.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), "980410da9522db17")


@question("q7", points=1,
          expected="the largest estimate_high divided by the smallest, for the Mexican "
                   "Repatriation rows, rounded to 1 decimal",
          hint="Filter estimates['episode'] == 'Mexican Repatriation', then "
               "round(col.max() / col.min(), 1) on 'estimate_high'.")
def q7(ck):
    v = ck.var("spread")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 1, f"{v} is below 1: divide the largest by the smallest.")
    ck.require(v < 60, f"{v} is too large: did you include the Operation Wetback rows?")
    ck.equal(v, "117cbc1de26175f1", round=1,
             message=f"{v} is not the ratio I expected (rounded to 1 decimal).")


@question("q8", points=1,
          expected="one letter: why the estimates of the repatriation differ",
          hint="Read the 'measure' and 'period' columns row by row: do any two rows count the "
               "same thing over the same years?")
def q8(ck):
    ck.choice(ck.var("q8_answer"), "d05faa460a5b4fbb")
