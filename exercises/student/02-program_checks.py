"""Public checks for exercise set 02-program (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the dates, states and statuses asked about and the digests
of the answers).
"""

from trustlab.checks import digest, question
from trustlab.states import BY_ABBR

VARIANT = {'answers': {'growth': 'f8a01038a9bc739c',
                       'growth_by_end': '87c5a56f87124f23',
                       'latest_count': '4a9468b1326f9433',
                       'latest_qualifier': '007e8d4cf2822e50',
                       'n_agencies': 'eae65a90e324a972',
                       'n_agreements': '966aa9d6defe312f',
                       'q7': 'f1c8b296586677ee',
                       'q8': 'd05faa460a5b4fbb',
                       'share': '439f85aba5d6af98',
                       'state_agencies': '549c905822150755',
                       'state_agreements': '3ebde8f98be42b4b',
                       'states': '370f5df3721161a2'},
           'id': '',
           'letters': {},
           'params': {'growth': ('2024-12-01', '2025-09-17'),
                      'laws': ('ban', None),
                      'pair': ('FL', 'TX'),
                      'since': None,
                      'state': 'FL'},
           'salt': ''}


def _state_name(code):
    return BY_ABBR[code][1] if code in BY_ABBR else code


def _month(iso):
    """'2024-12-01' -> 'December 2024'."""
    import datetime as dt

    return f"{dt.date.fromisoformat(iso):%B %Y}"


def _agreements_text(since):
    """Which agreements q1 and q2 count, for a message."""
    return "agreements on the list" if since is None else \
        f"agreements signed on or after {since}"


@question("q1", points=1,
          expected="the number of agreements (rows) on ICE's list that the question asks "
                   "about, as a whole number",
          hint="Each row of `agreements` is one agreement: len(...) of the rows the question "
               "asks about (if it names a date, keep rows whose 'signed' date is on or after "
               "it first).")
def q1(ck):
    since = ck.param("since")
    v = ck.var("n_agreements")
    ck.is_type(v, int, "a whole number (an int)")
    what = "the number of rows in `agreements`" if since is None else \
        f"the number of rows of `agreements` with `signed` on or after {since}"
    ck.equal(v, ck.answer("n_agreements"), message=f"{v} is not {what}.")


@question("q2", points=1,
          expected="the number of distinct agencies (state + name) holding the agreements of "
                   "q1, a whole number",
          hint="Take the same rows as in q1, keep the columns ['state', 'agency'], drop "
               "duplicate rows, and count what is left (.shape[0]).")
def q2(ck):
    v = ck.var("n_agencies")
    n = ck.var("n_agreements")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v != n, "That is the number of agreements. Some agencies hold two or three "
                       "agreements: count each agency once.")
    ck.require(v < n, "There cannot be more agencies than agreements: every agency on the list "
                      "holds at least one.")
    ck.equal(v, ck.answer("n_agencies"),
             message=f"{v} is not the number of distinct agencies holding the "
                     f"{_agreements_text(ck.param('since'))}. Did you identify agencies by "
                     "state AND name, and take the same rows as in q1?")


@question("q3", points=2,
          expected="a function state_table(df) returning a DataFrame indexed by state with "
                   "integer columns 'agreements' and 'agencies'",
          hint="df.groupby('state').agg(agreements=('agency', 'size'), "
               "agencies=('agency', 'nunique')).")
def q3(ck):
    f = ck.var("state_table")
    state = ck.param("state")
    name = _state_name(state)
    out = ck.call(f, ck.data("agreements_287g"))
    ck.require(out is not None, "Your function returns None: add a return statement.")
    ck.require(hasattr(out, "columns") and {"agreements", "agencies"} <= set(out.columns),
               "The result needs two columns named 'agreements' and 'agencies'.")
    ck.require(state in out.index, f"The result should be indexed by state code (e.g. "
                                   f"'{state}'): group by 'state' and keep it as the index.")
    ck.equal(int(out.loc[state, "agreements"]), ck.answer("state_agreements"),
             message=f"{name}'s number of agreements is not right: count rows per state.")
    ck.equal(int(out.loc[state, "agencies"]), ck.answer("state_agencies"),
             message=f"{name}'s number of agencies is not right: count distinct agency names "
                     "per state (nunique), not rows.")


@question("q4", points=1,
          expected="the share of all agreements that are in the two states the question "
                   "names, between 0 and 1, rounded to 2 decimals",
          hint="(agreements in the first state + agreements in the second) / all agreements, "
               "then round(..., 2).")
def q4(ck):
    s1, s2 = ck.param("pair")
    v = ck.var(f"share_{s1.lower()}_{s2.lower()}")
    ck.is_type(v, float, "a number")
    ck.require(0 <= v <= 1, f"A share lies between 0 and 1; you have {v}. Did you multiply by "
                            "100?")
    ck.equal(v, ck.answer("share"), round=2,
             message=f"{v} is not the share of all agreements held in {_state_name(s1)} and "
                     f"{_state_name(s2)} together.")


@question("q5", points=1,
          expected="the percentage growth from the earlier reported count the question names "
                   "to the later one, as a whole number",
          hint="growth = (end / start - 1) * 100, then round(...). Use rows with kind == "
               "'reported' and unit == 'agreements'.")
def q5(ck):
    d1, d2 = (_month(d) for d in ck.param("growth"))
    v = ck.var("growth_pct")
    ck.is_type(v, int, "a whole number (an int)")
    ck.require(v > 0, f"{v}% would mean the count fell, but it grew between {d1} and {d2}. "
                      "Did you divide the start by the end?")
    ck.require(digest(v, None, ck.variant.salt) != ck.answer("growth_by_end"),
               f"{v}% is the change divided by the {d2} count. Growth is measured from where "
               f"the count started: divide by the {d1} count (end / start - 1).")
    ck.equal(v, ck.answer("growth"), message=f"{v} is not the growth I expected. Check that "
             f"you took the {d1} and {d2} reported counts of agreements.")


@question("q6", points=1,
          expected="a sorted list of the postal codes of states whose status is the one the "
                   "question names (and, if it names a date, whose law took effect before it)",
          hint="sorted(laws.loc[laws['status'] == STATUS, 'state']) gives a list; if the "
               "question names a date, also keep only laws['effective'] < DATE.")
def q6(ck):
    status, by = ck.param("laws")
    v = ck.var(f"{status}_states")
    ck.is_type(v, list, "a list of strings")
    ck.require(v == sorted(v), "Sort the list alphabetically (sorted(...)).")
    laws = ck.data("state_laws").set_index("state")
    for code in v:
        if code not in laws.index:
            continue
        other = laws.loc[code, "status"]
        if code in ("IL", "CT") and status == "ban":
            ck.require(False, "Illinois and Connecticut restrict cooperation but the table does "
                              "not list them as bans: keep only status == 'ban'.")
        if code == "ME" and status == "ban":
            ck.require(False, "Maine's law (LD 1971) limits cooperation with immigration "
                              "enforcement, but no clause banning 287(g) agreements was found, so "
                              "the table lists it as 'restrict'. Keep only status == 'ban'.")
        ck.require(other == status, f"The table lists {code} as '{other}', not '{status}': keep "
                                    f"only status == '{status}'.")
        if by is not None:
            ck.require(str(laws.loc[code, "effective"])[:10] < by,
                       f"{code}'s law took effect on {str(laws.loc[code, 'effective'])[:10]}, not "
                       f"before {by}: also keep only laws['effective'] < '{by}'.")
    ck.equal(v, ck.answer("states"), message=f"That is not the list of states with status "
             f"'{status}'" + ("" if by is None else f" whose law took effect before {by}") + ".")


@question("q7", points=1, expected="one letter: the model used in field policing",
          hint="Reread the three models: which one works on the street rather than in the jail?")
def q7(ck):
    ck.choice(ck.var("q7_answer"), ck.answer("q7"))


@question("q8", points=1, expected="one letter: what the ICE list counts",
          hint="Compare your answers to q1 and q2.")
def q8(ck):
    ck.choice(ck.var("q8_answer"), ck.answer("q8"))


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
    ck.equal(n, ck.answer("latest_count"), message=f"{n} is not the count of the latest row that "
             "counts agreements for all models.")
    ck.equal(q, ck.answer("latest_qualifier"),
             message=f"'{q}' is not that row's qualifier. The source "
             "said 'over 1,500': the true number is higher, so the figure is a lower bound, "
             "and a fair sentence says 'more than 1,500 agreements'.")
