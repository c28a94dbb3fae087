"""Public checks for exercise set 05-practices (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the values the questions ask about and the digests of the
answers).
"""

from trustlab.checks import question, show

VARIANT = {'answers': {'n_confidence': 'a7fbdc8451012e9e',
                       'n_kind': 'aeaafe768fbdbceb',
                       'n_met': 'ca229d520d822ee2',
                       'n_strengths': 'ca229d520d822ee2',
                       'q7': 'd05faa460a5b4fbb',
                       'q8': 'd05faa460a5b4fbb',
                       'ratio_pending': '382ceb30fcc1526e',
                       'received_year': '10d1de22a15fc208'},
           'id': '',
           'letters': {},
           'params': {'confidence': ('verified', 'n_verified'),
                      'county': ('has_287g',
                                 'publish_policy',
                                 'translate_policy',
                                 'language_plan',
                                 'uvisa_policy'),
                      'kind': ('evaluation', 'n_evaluated'),
                      'pending_years': (2010, 2021),
                      'received': ('most', 2009, 2021),
                      'strengths': ('legal', 'court rulings', 'statute or federal guidance')},
           'salt': ''}


def _u_visas(ck, measure):
    """The course's U-visa rows of one measure (victims and family members together), as a
    Series of values by fiscal year."""
    uv = ck.data("u_t_visas")
    rows = uv[(uv["visa"] == "U") & (uv["measure"] == measure)
              & (uv["counted"] == "principal and family") & (uv["as_of"].dt.month == 9)]
    return rows.set_index("fiscal_year")["value"]


@question("q1", points=1,
          expected="the number of programs whose evidence_kind is the value the question names, "
                   "as a whole number",
          hint="Compare programs['evidence_kind'] with that value and .sum() the result; "
               "wrap it in int(...).")
def q1(ck):
    kind, name = ck.param("kind")
    v = ck.var(name)
    ck.is_type(v, int, "a whole number (an int)")
    n = len(ck.data("programs"))
    ck.require(v <= n, f"There are only {n} programs in the dataset: did you count rows of "
                       "another table?")
    ck.equal(v, ck.answer("n_kind"), message=f"{show(v)} is not the count I expected. Count "
             f"only rows whose evidence_kind is exactly {kind!r}.")


@question("q2", points=1,
          expected="the number of programs whose confidence is the value the question names, as "
                   "a whole number",
          hint="(programs['confidence'] == value).sum(), with the value the question gives.")
def q2(ck):
    level, name = ck.param("confidence")
    v = ck.var(name)
    ck.is_type(v, int, "a whole number (an int)")
    n = len(ck.data("programs"))
    ck.require(v != n, f"Not every program is {level!r}: the confidence column also holds other "
                       "values. Did you count all rows?")
    ck.equal(v, ck.answer("n_confidence"))


@question("q3", points=1,
          expected="the number of recommendations whose evidence_strength is one of the two "
                   "values the question names",
          hint="recs['evidence_strength'].isin([...the two values...]).sum()")
def q3(ck):
    short, first, second = ck.param("strengths")
    v = ck.var(f"n_{short}")
    ck.is_type(v, int, "a whole number (an int)")
    strength = ck.data("recommendations")["evidence_strength"]
    for one, other in [(first, second), (second, first)]:
        ck.require(v != int((strength == one).sum()),
                   f"{show(v)} is how many rest on {one!r} alone; add the ones that rest on "
                   f"{other!r}.")
    ck.equal(v, ck.answer("n_strengths"))


@question("q4", points=2,
          expected="county_choices as a dict of the county's choices, and n_met_county, the "
                   "number of recommendations it meets according to practices.scorecard",
          hint="Set to True exactly the choices the question describes, with the names in "
               "practices.CHOICES. Leave the others out (they count as False).")
def q4(ck):
    has_287g = "has_287g" in ck.param("county")
    choices = ck.var("county_choices")
    ck.require(isinstance(choices, dict), "county_choices should be a dict such as "
                                          "{'publish_policy': True, ...}.")
    if has_287g:
        ck.require(choices.get("has_287g") is True, "The county has a 287(g) agreement: set "
                                                    "'has_287g': True.")
    else:
        ck.require(choices.get("has_287g", False) is False, "The county has no 287(g) "
                   "agreement: leave 'has_287g' out or set it to False.")
    v = ck.var("n_met_county")
    ck.is_type(v, int, "a whole number (an int)")
    if has_287g:
        why = ("for example, a county with a 287(g) agreement does not meet the recommendation "
               "to leave civil enforcement to federal agents.")
    else:
        why = ("for example, a county without a 287(g) agreement meets the recommendation to "
               "leave civil enforcement to federal agents, though that choice is not set to "
               "True.")
    ck.equal(v, ck.answer("n_met"), message=f"The scorecard gave {show(v)}, not what I "
             "expected. Check that exactly the choices in the question are True; " + why)


@question("q5", points=1,
          expected="pending U-visa petitions at the end of the later fiscal year the question "
                   "names divided by those at the end of the earlier one, rounded to 1 decimal",
          hint="Filter uv as described, index by fiscal_year, then "
               "round(pending.loc[later] / pending.loc[earlier], 1).")
def q5(ck):
    early, late = ck.param("pending_years")
    v = ck.var("ratio_pending")
    ck.is_type(v, float, "a number")
    ck.require(v > 1, f"{show(v)} is below 1: the backlog grew, so divide {late} by {early}, "
                      "not the other way round.")
    ck.require(v < 100, f"{show(v)} is far too large for the growth of the backlog from {early} "
                        f"to {late}: check the filters (U visas, petitions pending, principal "
                        "and family, figures dated 30 September).")
    ck.equal(v, ck.answer("ratio_pending"), round=1)


@question("q6", points=1,
          expected="the fiscal year the question asks for (petitions received), as a whole "
                   "number",
          hint="Filter to measure == 'petitions_received' and counted == 'principal and family' "
               "(and to the years the question names, if it names some), then take the "
               "fiscal_year of the row with the largest value (idxmax) or, if the question "
               "asks for the lowest, the smallest (idxmin).")
def q6(ck):
    most, start, end = ck.param("received")
    v = ck.var("peak_year" if most == "most" else "low_year")
    ck.is_type(v, int, "a whole number (an int)")
    pending = _u_visas(ck, "petitions_pending").loc[start:end]
    wrong = int(pending.idxmax() if most == "most" else pending.idxmin())
    if v == wrong:
        ck.equal(v, ck.answer("received_year"),
                 message=f"{int(v)} is the year for petitions *pending*, not received: check "
                         "the measure.")
    ck.require(start <= v <= end, f"{int(v)} is outside the fiscal years the question covers "
                                      f"({start} to {end}).")
    ck.equal(v, ck.answer("received_year"))


@question("q7", points=1, expected="one letter, a to d",
          hint="Read the chart's subtitle and the 'counted' column of uv.")
def q7(ck):
    ck.choice(ck.var("q7_answer"), ck.answer("q7"))


@question("q8", points=1, expected="one letter, a to d",
          hint="Re-read the chapter's section on detainers and the Fourth Amendment.")
def q8(ck):
    ck.choice(ck.var("q8_answer"), ck.answer("q8"))


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
