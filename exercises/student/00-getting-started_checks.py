"""Public checks for exercise set 00-getting-started (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the years asked about and the digests of the answers).
"""

from trustlab.checks import question, show

VARIANT = {'answers': {'q5': 'f1c8b296586677ee',
                       'q6': 'd05faa460a5b4fbb',
                       'removals': '061503e4c75550e4',
                       'returns': '1002d83074c92ba5',
                       'share': '2e6fe4d794bc441c',
                       'total': '9275363158b8ec0d'},
           'id': '',
           'letters': {},
           'params': {'span': (2009, 2012), 'year': 1954},
           'salt': ''}


@question("q1", points=1,
          expected="the number of formal removals in the fiscal year the question names, as a "
                   "whole number",
          hint="Keep the row where removals['fiscal_year'] equals that year and take its "
               "'removals' value, e.g. with .loc[...] and .iloc[0]; wrap it in int(...).")
def q1(ck):
    year = ck.param("year")
    v = ck.var(f"removals_{year}")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v < 100_000, f"That number is far too large for formal removals in {year}: did "
                            "you take the 'returns' column instead?")
    ck.equal(v, ck.answer("removals"))


@question("q2", points=1,
          expected="the number of returns in the fiscal year the question names, as a whole "
                   "number",
          hint="Same row as in q1, but the 'returns' column.")
def q2(ck):
    year = ck.param("year")
    v = ck.var(f"returns_{year}")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v > 100_000, f"Returns in fiscal {year} ran to hundreds of thousands: check the "
                            "column.")
    ck.equal(v, ck.answer("returns"))


@question("q3", points=1,
          expected="returns as a share of removals plus returns in that fiscal year, a number "
                   "between 0 and 1 rounded to 2 decimals",
          hint="share = returns / (removals + returns) with your q1 and q2 answers, then "
               "round(share, 2).")
def q3(ck):
    year = ck.param("year")
    v = ck.var(f"share_returns_{year}")
    ck.is_type(v, float, "a number")
    ck.require(0 <= v <= 1, f"A share must lie between 0 and 1; you have {v}. Did you "
                            "multiply by 100 or divide the wrong way round?")
    ck.equal(v, ck.answer("share"), round=2,
             message=f"{v} is not the share I expected (rounded to 2 decimals).")


@question("q4", points=2,
          expected="a function total_between(df, start, end) returning the sum of removals and "
                   "returns for fiscal years start to end, both included, as a whole number",
          hint="Filter with (df['fiscal_year'] >= start) & (df['fiscal_year'] <= end), then add "
               "the sums of the two columns.")
def q4(ck):
    f = ck.var("total_between")
    start, end = ck.param("span")
    v = ck.call(f, ck.data("removals_returns"), start, end)
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.is_type(v, int, "a whole number (an int)")
    ck.equal(int(v), ck.answer("total"),
             message=f"total_between(removals, {start}, {end}) gave {show(v)}, which is not the "
                     "total I expected. Are both end years included, and did you add removals "
                     "and returns?")


@question("q5", points=1,
          expected="one letter: the fiscal year since which removals have outnumbered returns "
                   "every year in this table",
          hint="Switch the chart to shares: find where the removals line rises above one half "
               "and stays there.")
def q5(ck):
    ck.choice(ck.var("q5_answer"), ck.answer("q5"))


@question("q6", points=1,
          expected="one letter: what is wrong with adding removals and returns and calling the "
                   "sum deportations",
          hint="Reread the definitions of a removal and a return at the top of the notebook.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), ck.answer("q6"))
