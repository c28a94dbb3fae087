"""Public checks for exercise set 04-trust (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the rows and settings asked about and the digests of the
answers).
"""

from trustlab.checks import digest, question, show

VARIANT = {'answers': {'cleared_drop': 'e475b740ced4e984',
                       'drop': 'da66cd04d608fc2c',
                       'gap': '150b0e491a79be54',
                       'n_missing': 'c1f0c0251314c111',
                       'q4': '31a4aeb68224cf1e',
                       'q4_opposite': 'b59c54d10bd951ea',
                       'q6': 'd05faa460a5b4fbb',
                       'q7': 'f1c8b296586677ee',
                       'reported': 'b836dc7284e92a1a'},
           'id': '',
           'letters': {},
           'params': {'gap': ('theodore-victim-undocumented', 'theodore-victim-usborn'),
                      'model': (0.2, 0.5),
                      'move': ('rise', ''),
                      'row': (2017, 'Violent crime'),
                      'rows': ('survey', 'Theodore', 'Theodore (2013) rows')},
           'salt': ''}


def _same(ck, value, key, round_to=None):
    """Whether ``value`` has the digest of answer ``key`` (to explain a known mistake)."""
    return digest(value, round_to, ck.variant.salt) == ck.answer(key)


@question("q1", points=1,
          expected="the number of rows the question names in survey_results whose subgroup "
                   "size (n_subgroup) was not published, as a whole number",
          hint="Keep the rows the question names, e.g. surveys['survey'].str.startswith("
               "'Theodore') for a whole survey or surveys['id'].str.startswith(...) for one "
               "item, then count the missing values of 'n_subgroup' with .isna().sum(); wrap "
               "it in int(...).")
def q1(ck):
    column, prefix, _ = ck.param("rows")
    v = ck.var("n_missing")
    ck.is_type(v, int, "a whole number (an int)")
    surveys = ck.data("survey_results")
    total = int(surveys[column].str.startswith(prefix).sum())
    ck.require(v <= total, f"There are only {total} rows that start with '{prefix}' in the "
                           f"'{column}' column: keep only those rows.")
    message = f"{show(v)} is not the number I expected."
    if v == total:
        message = (f"{total} is the number of those rows in total: count only the ones whose "
                   "'n_subgroup' is empty.")
    ck.equal(v, ck.answer("n_missing"), message=message)


@question("q2", points=1,
          expected="the gap in percentage points between the two groups the question names, on "
                   "the survey item it names (first group minus second), a number",
          hint="Look up the two rows by id in by_id (the ids end with the group, e.g. "
               "'theodore-victim-undocumented') and subtract their 'percent' values.")
def q2(ck):
    first, second = ck.param("gap")
    v = ck.var("gap_pp")
    ck.is_type(v, (int, float), "a number")
    ck.require(v > 0, f"The first group's share is the larger one: subtract row '{second}' "
                      f"from row '{first}'.")
    ck.require(v < 100, "A gap between two percentages cannot exceed 100 points. Did you "
                        "divide instead of subtract?")
    ck.equal(float(v), ck.answer("gap"), round=1,
             message=f"{v} is not the gap I expected. Check that you took the rows '{first}' "
                     f"and '{second}' (same item, the two groups the question names).")


@question("q3", points=2,
          expected="a function reported_share(ncvs, year, crime_type) returning the percent of "
                   "victimizations reported to police for that year and type of crime, as a "
                   "number",
          hint="Filter with (ncvs['year'] == year) & (ncvs['crime_type'] == crime_type), then "
               "take .iloc[0] of the 'percent_reported' column and return float(...).")
def q3(ck):
    f = ck.var("reported_share")
    year, crime_type = ck.param("row")
    v = ck.call(f, ck.data("ncvs_reporting"), year, crime_type)
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.is_type(v, (int, float), "a number (not a Series or DataFrame: take .iloc[0])")
    ck.require(0 <= v <= 100, f"{v} is not a percentage between 0 and 100.")
    ck.equal(float(v), ck.answer("reported"), round=1,
             message=f"reported_share(ncvs, {year}, '{crime_type}') gave {v}, which is not "
                     "the value in the BJS table. Did you filter on both the year and the "
                     "type?")


@question("q4", points=1,
          expected="the crime_type (a string, as written in the data) whose percent reported "
                   "changed the most from 2016 to 2017 in the direction the question asks "
                   "(rise or fall), among the rows it names",
          hint="ncvs.pivot(index='crime_type', columns='year', values='percent_reported'), "
               "subtract the 2016 column from the 2017 column, keep only the rows the question "
               "names, then take .idxmax() for the largest rise or .idxmin() for the largest "
               "fall.")
def q4(ck):
    direction, category = ck.param("move")
    v = ck.var(f"biggest_{direction}")
    ck.is_type(v, str, "a string, e.g. 'Robbery'")
    if direction == "rise":
        other_end = (f"'{v}' is at the other end: its share reported rose the least or fell. "
                     "Look for the largest increase (2017 minus 2016, then .idxmax()).")
    else:
        other_end = (f"'{v}' is at the other end: its share reported rose the most. Look for "
                     "the largest decrease (2017 minus 2016, then .idxmin()).")
    ck.require(not _same(ck, v, "q4_opposite"), other_end)
    if category:
        ncvs = ck.data("ncvs_reporting")
        rows = {r.lower() for r in ncvs.loc[ncvs["category"] == category, "crime_type"]}
        ck.require(v.strip().lower() in rows,
                   f"'{v}' is not one of the rows whose category is '{category}': keep only "
                   f"those rows before you look for the largest {direction}.")
    among = f" among the '{category}' rows" if category else ""
    ck.equal(v, ck.answer("q4"),
             message=f"'{v}' is not the type with the largest {direction}{among}. Subtract "
                     "2016 from 2017 (not the other way round) and use "
                     f"{'idxmax' if direction == 'rise' else 'idxmin'}.")


@question("q5", points=2,
          expected="the percent fall in recorded crime when the share of the affected group's "
                   "victims the question names stays silent, compared with nobody silent, "
                   "rounded to 1 decimal",
          hint="Run ur.simulate twice with the settings the question gives (report_rate=rate, "
               "affected_share, clearance_rate=0.45, witness_dependence=0.5), once with its "
               "silence and once with silence=0.0; then 100 * (1 - silent.recorded / "
               "baseline.recorded), rounded with round(x, 1).")
def q5(ck):
    affected, silence = ck.param("model")
    v = ck.var("recorded_drop_pct")
    ck.is_type(v, (int, float), "a number")
    ck.require(v >= 0, "Recorded crime falls when victims stay silent: the drop should be "
                       "positive. Did you swap the two runs?")
    ck.require(v <= 100, "A percent fall cannot exceed 100. Multiply the ratio by 100 only "
                         "once.")
    ck.require(not _same(ck, float(v), "cleared_drop", 1),
               f"{v} is the fall in *cleared* crimes: the question asks about recorded crime.")
    ck.equal(float(v), ck.answer("drop"), round=1,
             message=f"{v} is not the fall I expected. Check every setting "
                     f"(affected_share={affected}, silence={silence}), including "
                     "report_rate = rate (the NCVS violent-crime share divided by 100).")


@question("q6", points=1,
          expected="one letter: what Wong et al.'s 60.8 figure measures",
          hint="Look at the 'measure' column of the wong-witness row and reread the chapter's "
               "section on the San Diego survey experiment.")
def q6(ck):
    ck.choice(ck.var("q6_answer"), ck.answer("q6"))


@question("q7", points=1,
          expected="one letter: the most accurate description of Houston's 42.8% figure",
          hint="Look at the window, measure and victim_group columns of the "
               "houston-rape-hispanic row.")
def q7(ck):
    ck.choice(ck.var("q7_answer"), ck.answer("q7"))
