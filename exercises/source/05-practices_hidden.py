"""Hidden checks for 05-practices: only the autograder has this file."""

from trustlab.checks import question


@question("q4", hidden=True)
def q4_follows_from_choices(ck):
    from trustlab import practices

    choices = ck.var("county_choices")
    expected = {"has_287g", "publish_policy", "translate_policy", "language_plan",
                "uvisa_policy"}
    ck.require({k for k, v in choices.items() if v} == expected,
               "county_choices does not describe the county in the question.")
    ck.require(int(practices.scorecard(choices)["met"].sum()) == ck.var("n_met_county"),
               "n_met_county does not follow from county_choices.")


@question("q5", hidden=True)
def q5_not_hard_coded(ck):
    uv = ck.var("uv")
    p = uv[(uv["visa"] == "U") & (uv["measure"] == "petitions_pending")
           & (uv["counted"] == "principal and family") & (uv["as_of"].dt.month == 9)]
    p = p.set_index("fiscal_year")["value"]
    ck.require(abs(ck.var("ratio_pending") - p.loc[2021] / p.loc[2010]) < 0.06,
               "ratio_pending does not follow from the data.")
