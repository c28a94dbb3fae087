"""Public checks for exercise set 01-history (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the years and administrations asked about and the
digests of the answers).
"""

from trustlab.checks import question, show

VARIANT = {'answers': {'admin_removals': '20a34b51c853c7e6',
                       'admin_total': '2580d52bba39e822',
                       'fn_total': '56f79aca01b1244c',
                       'q3': 'f1c8b296586677ee',
                       'q6': '980410da9522db17',
                       'q8': 'd05faa460a5b4fbb',
                       'ratio': '494be186da664e88',
                       'removals_span': '145433f0506c09a8',
                       'spread': '117cbc1de26175f1'},
           'id': '',
           'letters': {},
           'params': {'admin': 'Obama',
                      'fn_admin': 'Reagan',
                      'ref': 'smallest',
                      'span': (1930, 1939),
                      'year': 1954},
           'salt': ''}


def _span_name(start, end):
    """The q1 variable's suffix: "1930s" for the public 1930-1939, else "1929_1934"."""
    return "1930s" if (start, end) == (1930, 1939) else f"{start}_{end}"


def _fiscal_years(ck, admin):
    """First and last fiscal year the course's administrations table gives ``admin``."""
    admins = ck.data("administrations")
    row = admins[admins["administration"] == admin].iloc[0]
    return int(row["first_fy"]), int(row["last_fy"])


@question("q1", points=1,
          expected="the number of formal removals in the fiscal years the question names, both "
                   "included, as a whole number",
          hint="Keep the rows with removals['fiscal_year'] >= the first year and <= the last "
               "(combine the two conditions with &), then take .sum() of the 'removals' column "
               "and int(...).")
def q1(ck):
    start, end = ck.param("span")
    v = ck.var(f"removals_{_span_name(start, end)}")
    ck.is_type(v, int, "a whole number (an int)")
    removals = ck.data("removals_returns")
    part = removals[(removals["fiscal_year"] >= start) & (removals["fiscal_year"] <= end)]
    ck.require(v > part["removals"].max(),
               f"That is too small for the {end - start + 1} fiscal years {start}-{end}: did "
               "you take a single year, or use == instead of >= and <=?")
    ck.require(v < part["removals"].sum() + part["returns"].sum(),
               f"That is too large: did you add returns, or include years outside "
               f"{start}-{end}?")
    ck.equal(v, ck.answer("removals_span"), message=f"{show(v)} is not the total I expected. "
             f"Are both {start} and {end} included, and did you sum the 'removals' column only?")


@question("q2", points=1,
          expected="returns divided by removals in the fiscal year the question names, rounded "
                   "to 1 decimal",
          hint="Take that fiscal year's row, divide its 'returns' by its 'removals', then "
               "round(..., 1).")
def q2(ck):
    year = ck.param("year")
    v = ck.var(f"ratio_{year}")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 1, f"{v} is below 1: you divided removals by returns. Returns were by far "
                       f"the larger number in {year}.")
    ck.equal(v, ck.answer("ratio"), round=1,
             message=f"{v} is not the ratio I expected (rounded to 1 decimal).")


@question("q3", points=1,
          expected="one letter: the dates fiscal year 1954 covered",
          hint="Reread the note at the top: before fiscal 1977 the fiscal year started on "
               "1 July of the previous calendar year.")
def q3(ck):
    ck.choice(ck.var("q3_answer"), ck.answer("q3"))


@question("q4", points=2,
          expected="removals in the administration's fiscal years the question names, and "
                   "removals plus returns in the same years (whole numbers)",
          hint="Filter fiscal_year between the administration's first and last fiscal year "
               "(both included), then sum 'removals' for the first variable and add the sum of "
               "'returns' for the second.")
def q4(ck):
    admin = ck.param("admin")
    who = admin.lower().replace(" ", "")
    first, last = _fiscal_years(ck, admin)
    rem = ck.var(f"{who}_removals")
    tot = ck.var(f"{who}_total")
    ck.is_type(rem, int, "a whole number (an int)")
    ck.is_type(tot, int, "a whole number (an int)")
    ck.require(tot > rem, f"{who}_total should be larger than {who}_removals: it adds returns.")
    ck.equal(rem, ck.answer("admin_removals"), message=f"{who}_removals = {show(rem)} is not "
             f"what I expected. Are both {first} and {last} included?")
    ck.equal(tot, ck.answer("admin_total"), message=f"{who}_total = {show(tot)} is not what I "
             "expected. Did you add the sums of both columns over the same fiscal years?")


@question("q5", points=2,
          expected="a function total_for(removals, admins, name) returning removals plus "
                   "returns over the administration's fiscal years first_fy..last_fy",
          hint="Select the admins row with admins['administration'] == name and .iloc[0]; use "
               "its 'first_fy' and 'last_fy' to filter removals as in q4.")
def q5(ck):
    f = ck.var("total_for")
    name = ck.param("fn_admin")
    first, last = _fiscal_years(ck, name)
    v = ck.call(f, ck.data("removals_returns"), ck.data("administrations"), name)
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.is_type(v, int, "a whole number (an int)")
    ck.equal(int(v), ck.answer("fn_total"), message=f"total_for(removals, admins, {name!r}) "
             f"gave {show(v)}, not the total I expected. {name}'s fiscal years are {first} to "
             f"{last}: are both ends included, and did you add removals and returns?")


@question("q6", points=1,
          expected="one letter: the statement about the Obama years that the data support",
          hint="Compare the removals of Obama's fiscal years (2009-2016) with those of Bush 43 "
               "and Clinton, and total_for(...) for 'Obama' with 'Bush 43' and 'Clinton'.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), ck.answer("q6"))


@question("q7", points=1,
          expected="the largest estimate_high of the Mexican Repatriation rows divided by the "
                   "estimate the question names, rounded to 1 decimal",
          hint="Filter estimates['episode'] == 'Mexican Repatriation', divide the largest "
               "'estimate_high' (.max()) by the one the question names, then round(..., 1).")
def q7(ck):
    v = ck.var("spread")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 1, f"{v} is below 1: divide the largest by the estimate the "
                       "question names.")
    if ck.param("ref") == "smallest":
        ck.require(v < 60, f"{v} is too large: did you include the Operation Wetback rows?")
    ck.equal(v, ck.answer("spread"), round=1,
             message=f"{v} is not the ratio I expected (rounded to 1 decimal).")


@question("q8", points=1,
          expected="one letter: why the estimates of the repatriation differ",
          hint="Read the 'measure' and 'period' columns row by row: do any two rows count the "
               "same thing over the same years?")
def q8(ck):
    ck.choice(ck.var("q8_answer"), ck.answer("q8"))
