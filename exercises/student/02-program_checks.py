"""Public checks for exercise set 02-program (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest.
"""

from trustlab.checks import question


@question("q1", points=1,
          expected="the number of agreements (rows) on ICE's list, as a whole number",
          hint="Each row of `agreements` is one agreement: len(agreements).")
def q1(ck):
    v = ck.var("n_agreements")
    ck.is_type(v, int, "a whole number (an int)")
    ck.equal(v, "966aa9d6defe312f", message=f"{v} is not the number of rows in `agreements`.")


@question("q2", points=1,
          expected="the number of distinct agencies (state + name) on the list, a whole number",
          hint="Keep the columns ['state', 'agency'], drop duplicate rows, and count what is "
               "left (.shape[0]).")
def q2(ck):
    v = ck.var("n_agencies")
    n = ck.var("n_agreements")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != n, "That is the number of agreements. Some agencies hold two or three "
                       "agreements: count each agency once.")
    ck.require(v < n, "There cannot be more agencies than agreements: every agency on the list "
                      "holds at least one.")
    ck.equal(v, "eae65a90e324a972", message=f"{v} is not the number of distinct agencies. Did "
             "you identify agencies by state AND name?")


@question("q3", points=2,
          expected="a function state_table(df) returning a DataFrame indexed by state with "
                   "integer columns 'agreements' and 'agencies'",
          hint="df.groupby('state').agg(agreements=('agency', 'size'), "
               "agencies=('agency', 'nunique')).")
def q3(ck):
    f = ck.var("state_table")
    df = ck.var("agreements")
    out = ck.call(f, df)
    ck.require(out is not None, "Your function returns None: add a return statement.")
    ck.require(hasattr(out, "columns") and {"agreements", "agencies"} <= set(out.columns),
               "The result needs two columns named 'agreements' and 'agencies'.")
    ck.require("FL" in out.index, "The result should be indexed by state code (e.g. 'FL'): "
                                  "group by 'state' and keep it as the index.")
    ck.equal(int(out.loc["FL", "agreements"]), "3ebde8f98be42b4b",
             message="Florida's number of agreements is not right: count rows per state.")
    ck.equal(int(out.loc["FL", "agencies"]), "549c905822150755",
             message="Florida's number of agencies is not right: count distinct agency names "
                     "per state (nunique), not rows.")


@question("q4", points=1,
          expected="the share of all agreements that are in Florida or Texas, between 0 and 1, "
                   "rounded to 2 decimals",
          hint="(agreements in FL + agreements in TX) / all agreements, then round(..., 2).")
def q4(ck):
    v = ck.var("share_fl_tx")
    ck.is_type(v, float, "a number")
    ck.require(0 <= v <= 1, f"A share lies between 0 and 1; you have {v}. Did you multiply by "
                            "100?")
    ck.equal(v, "439f85aba5d6af98", round=2, message=f"{v} is not the share I expected.")


@question("q5", points=1,
          expected="the percentage growth from the December 2024 count to the September 2025 "
                   "count, as a whole number",
          hint="growth = (end / start - 1) * 100, then round(...). Use rows with kind == "
               "'reported' and unit == 'agreements'.")
def q5(ck):
    v = ck.var("growth_pct")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v > 100, f"{v}% is too small: the count grew several-fold. Did you divide the "
                        "difference by the end value instead of the start value?")
    ck.equal(v, "f8a01038a9bc739c", message=f"{v} is not the growth I expected. Check that you "
             "took the December 2024 and September 2025 reported counts.")


@question("q6", points=1,
          expected="a sorted list of the postal codes of states whose status is 'ban'",
          hint="sorted(laws.loc[laws['status'] == 'ban', 'state']) gives a list.")
def q6(ck):
    v = ck.var("ban_states")
    ck.is_type(v, list, "a list of strings")
    ck.require(v == sorted(v), "Sort the list alphabetically (sorted(...)).")
    ck.require("IL" not in v and "CT" not in v,
               "Illinois and Connecticut restrict cooperation but the table does not list them as "
               "bans: keep only status == 'ban'.")
    ck.require("ME" not in v,
               "Maine's law (LD 1971) limits cooperation with immigration enforcement, but no "
               "clause banning 287(g) agreements was found, so the table lists it as 'restrict'. "
               "Keep only status == 'ban'.")
    ck.equal(v, "370f5df3721161a2", message="That is not the list of states with status 'ban'.")


@question("q7", points=1, expected="one letter: the model used in field policing",
          hint="Reread the three models: which one works on the street rather than in the jail?")
def q7(ck):
    ck.choice(ck.var("q7_answer"), "f1c8b296586677ee")


@question("q8", points=1, expected="one letter: what the ICE list counts",
          hint="Compare your answers to q1 and q2.")
def q8(ck):
    ck.choice(ck.var("q8_answer"), "d05faa460a5b4fbb")


@question("q10", points=1,
          expected="the count (a whole number) and the qualifier (a string) of the latest row "
                   "counting agreements for all models",
          hint="Filter unit == 'agreements' and model == 'all', sort by 'date', take .iloc[-1], "
               "then read its 'count' and 'qualifier'.")
def q10(ck):
    n = ck.var("latest_count")
    q = ck.var("latest_qualifier")
    ck.is_type(n, int, "a whole number (an int)")
    ck.is_type(q, str, "a string such as 'exact'")
    ck.require(n != 1001, "1,001 is the September 2025 count from DHS; the table has later "
                          "reported counts. Sort by 'date' and take the last row.")
    ck.require(n != 1168, "1,168 (January 2026) counts agencies with trained officers, not "
                          "agreements: keep only rows with unit == 'agreements'.")
    ck.equal(n, "4a9468b1326f9433", message=f"{n} is not the count of the latest row that "
             "counts agreements for all models.")
    ck.equal(q, "007e8d4cf2822e50", message=f"'{q}' is not that row's qualifier. The source "
             "said 'over 1,500': the true number is higher, so the figure is a lower bound, "
             "and a fair sentence says 'more than 1,500 agreements'.")
