"""Hidden checks for 05-practices: only the autograder has this file."""

from trustlab.checks import question


@question("q4", hidden=True)
def q4_follows_from_choices(ck):
    from trustlab import practices

    choices = ck.var("county_choices")
    expected = set(ck.param("county"))
    ck.require({k for k, v in choices.items() if v is True} == expected,
               "county_choices does not describe the county in the question.")
    card = practices.scorecard(choices, ck.data("recommendations"))
    ck.require(int(card["met"].sum()) == ck.var("n_met_county"),
               "n_met_county does not follow from county_choices.")


@question("q5", hidden=True)
def q5_not_hard_coded(ck):
    early, late = ck.param("pending_years")
    uv = ck.data("u_t_visas")
    p = uv[(uv["visa"] == "U") & (uv["measure"] == "petitions_pending")
           & (uv["counted"] == "principal and family") & (uv["as_of"].dt.month == 9)]
    p = p.set_index("fiscal_year")["value"]
    ck.require(abs(ck.var("ratio_pending") - p.loc[late] / p.loc[early]) < 0.06,
               f"ratio_pending does not follow from the pending petitions of fiscal {early} and "
               f"{late}.")
