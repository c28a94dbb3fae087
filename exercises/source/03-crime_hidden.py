"""Hidden checks for 03-crime: only the autograder has this file."""

from trustlab.checks import question

# Groups and years the public check does not ask about, so a function that only works for
# one group (or returns a typed-in number) loses the points.
_OTHER_GROUPS = [(["OR", "NV", "AZ"], 2019), (["ME", "NH", "VT"], 2005), (["DC"], 2010)]


@question("q2", hidden=True)
def q2_other_groups(ck):
    f = ck.var("group_rate")
    panel = ck.data("crime_panel")
    for states, year in _OTHER_GROUPS:
        part = panel[panel["state_abbr"].isin(states) & (panel["year"] == year)]
        want = float(part["violent_crime"].sum() / part["population"].sum() * 100_000)
        got = ck.call(f, panel, states, year)
        ck.require(got is not None and abs(float(got) - want) < 0.06,
                   f"group_rate is wrong for {', '.join(states)} in {year}.")


@question("q3", hidden=True)
def q3_matches_helper(ck):
    from trustlab import crime

    start = ck.param("before_start")
    ref = crime.did(ck.data("crime_panel"), "CA", 2018, window=2018 - start).estimate
    ck.require(abs(ck.var("did_ca") - ref) < 0.06,
               "did_ca does not match the course's difference-in-differences for California "
               f"(before {start}-2017, after 2018-2019).")
