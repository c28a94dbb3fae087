"""Public checks for exercise set 00-getting-started (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest.
"""

from trustlab.checks import question, show


@question("q1", points=1,
          expected="the number of formal removals in fiscal year 1954, as a whole number",
          hint="Keep the row where removals['fiscal_year'] == 1954 and take its 'removals' "
               "value, e.g. with .loc[...] and .iloc[0]; wrap it in int(...).")
def q1(ck):
    v = ck.var("removals_1954")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v < 100_000, "That number is far too large for formal removals in 1954: did you "
                            "take the 'returns' column instead?")
    ck.equal(v, "061503e4c75550e4")


@question("q2", points=1,
          expected="the number of returns in fiscal year 1954, as a whole number",
          hint="Same row as in q1, but the 'returns' column.")
def q2(ck):
    v = ck.var("returns_1954")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v > 100_000, "Returns in fiscal 1954 ran to about a million: check the column.")
    ck.equal(v, "1002d83074c92ba5")


@question("q3", points=1,
          expected="returns as a share of removals plus returns in fiscal 1954, a number "
                   "between 0 and 1 rounded to 2 decimals",
          hint="share = returns_1954 / (removals_1954 + returns_1954), then round(share, 2).")
def q3(ck):
    v = ck.var("share_returns_1954")
    ck.is_type(v, float, "a number")
    ck.require(0 <= v <= 1, f"A share must lie between 0 and 1; you have {v}. Did you "
                            "multiply by 100 or divide the wrong way round?")
    ck.equal(v, "2e6fe4d794bc441c", round=2,
             message=f"{v} is not the share I expected (rounded to 2 decimals).")


@question("q4", points=2,
          expected="a function total_between(df, start, end) returning the sum of removals and "
                   "returns for fiscal years start to end, both included, as a whole number",
          hint="Filter with (df['fiscal_year'] >= start) & (df['fiscal_year'] <= end), then add "
               "the sums of the two columns.")
def q4(ck):
    f = ck.var("total_between")
    removals = ck.var("removals")
    v = ck.call(f, removals, 2009, 2012)
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.equal(int(v), "9275363158b8ec0d", message=f"total_between(removals, 2009, 2012) gave {show(v)}, "
             "which is not the total I expected. Are both end years included, and did you add "
             "removals and returns?")


@question("q5", points=1,
          expected="one letter: the fiscal year since which removals have outnumbered returns "
                   "every year in this table",
          hint="Switch the chart to shares: find where the removals line rises above one half "
               "and stays there.")
def q5(ck):
    ck.choice(ck.var("q5_answer"), "f1c8b296586677ee")


@question("q6", points=1,
          expected="one letter: what is wrong with adding removals and returns and calling the "
                   "sum deportations",
          hint="Reread the definitions of a removal and a return at the top of the notebook.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), "d05faa460a5b4fbb")
