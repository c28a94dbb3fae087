"""Class variants of exercise set 05-practices (the grader's file; students never get it).

``PARAMS`` lists each parameter's choices; the first is the public self-study set. A class key
picks one of the others. ``derive`` writes the notebook text that depends on them and
``answers`` computes every expected answer from the course's datasets.
"""

from trustlab import practices

PARAMS = {
    # q1: (evidence_kind to count, the variable for the count); the data have only 3 kinds
    "kind": [("evaluation", "n_evaluated"), ("descriptive", "n_descriptive"),
             ("none found", "n_no_evidence")],
    # q2: (confidence level to count, the variable); the data have only these 3 levels
    "confidence": [("verified", "n_verified"), ("reported", "n_reported"),
                   ("could not verify", "n_unverified")],
    # q3: (name in the variable n_<name>, two evidence_strength values to count together)
    "strengths": [
        ("legal", "court rulings", "statute or federal guidance"),
        ("research", "quasi-experimental and survey studies", "descriptive case studies"),
        ("opinion", "professional consensus", "practitioner advice only"),
        ("ruling_or_study", "court rulings", "quasi-experimental and survey studies"),
        ("guidance_or_consensus", "statute or federal guidance", "professional consensus"),
        ("cases_or_consensus", "descriptive case studies", "professional consensus"),
    ],
    # q4: the policy-builder choices the described jurisdiction has (all others False)
    "county": [
        ("has_287g", "publish_policy", "translate_policy", "language_plan", "uvisa_policy"),
        ("has_287g", "publish_policy", "update_policy", "serious_crime_notice",
         "advisory_council", "leader_outreach", "outreach_budget"),
        ("publish_policy", "translate_policy", "no_status_inquiry", "judicial_warrant_holds",
         "language_plan", "uvisa_policy"),
        ("has_287g", "serious_crime_notice", "language_plan"),
        ("cultural_training", "advisory_council", "leader_outreach", "outreach_budget"),
        ("has_287g", "no_status_inquiry", "language_plan", "cultural_training"),
    ],
    # q5: (earlier, later) fiscal year of the pending U-visa backlog ratio
    "pending_years": [(2010, 2021), (2012, 2020), (2011, 2019), (2013, 2021), (2014, 2021),
                      (2010, 2016)],
    # q6: ("most" or "fewest", first and last fiscal year) of U-visa petitions received
    "received": [("most", 2009, 2021), ("most", 2018, 2021), ("most", 2019, 2021),
                 ("fewest", 2013, 2021), ("fewest", 2016, 2021)],
}

# q1: how the question describes each evidence kind
KIND_TEXT = {
    "evaluation": "an *evaluation* of their results",
    "descriptive": "a *descriptive* account of their results but no evaluation",
    "none found": "*no evidence found* about their results",
}

# q2: how the question describes each confidence level
CONFIDENCE_TEXT = {
    "verified": "were confirmed in the operator's own or an official source",
    "reported": "are known only from secondary coverage such as news reports, not from the "
                "operator's own or an official source",
    "could not verify": "could not be found as named, or with their claimed results, in any "
                        "source checked",
}

# q3: the words for each pair of evidence strengths
STRENGTHS_TEXT = {
    "legal": "court rulings or on a statute or federal guidance (the two strongest values",
    "research": "research: quasi-experimental and survey studies or descriptive case studies "
                "(the two values",
    "opinion": "professional opinion alone: professional consensus or practitioner advice "
               "(the two values",
    "ruling_or_study": "a court ruling or on quasi-experimental and survey studies (the two "
                       "values",
    "guidance_or_consensus": "a statute or federal guidance or on professional consensus (the "
                             "two values",
    "cases_or_consensus": "descriptive case studies or professional consensus (the two values",
}

# q4: how the question describes each choice (the public text is kept word for word)
COUNTY_TEXT = {
    PARAMS["county"][0]:
        "A county has a 287(g) jail agreement. It publishes its written policy on cooperation "
        "with ICE, translates it, has interpreters and bilingual staff, and has a written U/T "
        "visa certification process. It does none of the other things in the policy builder.",
    PARAMS["county"][1]:
        "A county has a 287(g) jail agreement. It publishes its written policy on cooperation "
        "with ICE and re-issues it when federal rules change, tells ICE before releasing people "
        "convicted of serious violent crimes, meets regularly with immigrant community leaders, "
        "its sheriff takes part in outreach in person, and it funds outreach without cutting "
        "community policing. It does none of the other things in the policy builder.",
    PARAMS["county"][2]:
        "A county has no 287(g) agreement. It publishes its written policy on cooperation with "
        "ICE and translates it, its officers don't ask victims and witnesses about immigration "
        "status, it holds people past release only on a judge's warrant, it has interpreters "
        "and bilingual staff, and it has a written U/T visa certification process. It does none "
        "of the other things in the policy builder.",
    PARAMS["county"][3]:
        "A county has a 287(g) jail agreement. It tells ICE before releasing people convicted "
        "of serious violent crimes and has interpreters and bilingual staff. It does none of "
        "the other things in the policy builder.",
    PARAMS["county"][4]:
        "A county has no 287(g) agreement. It trains its officers in cultural competency, meets "
        "regularly with immigrant community leaders, its sheriff takes part in outreach in "
        "person, and it funds outreach without cutting community policing. It does none of "
        "the other things in the policy builder.",
    PARAMS["county"][5]:
        "A county has a 287(g) jail agreement. Its officers don't ask victims and witnesses "
        "about immigration status, it has interpreters and bilingual staff, and it trains its "
        "officers in cultural competency. It does none of the other things in the policy "
        "builder.",
}


def _dict_literal(names, first: str, width: int = 100) -> str:
    """``first`` + a dict literal {"name": True, ...}, wrapped under its opening brace."""
    items = [f'"{n}": True' for n in names]
    lines, line = [], first + "{"
    indent = " " * len(line)
    for i, item in enumerate(items):
        piece = item + ("}" if i == len(items) - 1 else ",")
        if line not in (first + "{", indent) and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = indent + piece
        else:
            line += ("" if line in (first + "{", indent) else " ") + piece
    lines.append(line)
    return "\n".join(lines)


def derive(p):
    """Text the notebook shows for these parameters."""
    kind, kind_var = p["kind"]
    conf, conf_var = p["confidence"]
    sname, s1, s2 = p["strengths"]
    most, start, end = p["received"]
    public_window = most == "most" and (start, end) == (2009, 2021)
    return {
        "kind_name": kind, "kind_var": kind_var, "kind_text": KIND_TEXT[kind],
        "conf_name": conf, "conf_var": conf_var, "conf_text": CONFIDENCE_TEXT[conf],
        "strength_var": f"n_{sname}", "strength_text": STRENGTHS_TEXT[sname],
        "strength_1": s1, "strength_2": s2,
        "county_text": COUNTY_TEXT[tuple(p["county"])],
        "county_solution": _dict_literal(p["county"], "county_choices = "),
        "pending_from": p["pending_years"][0], "pending_to": p["pending_years"][1],
        "received_window": "" if public_window else f" from {start} to {end}",
        "received_filter": "" if public_window else
            f'\n              & uv["fiscal_year"].between({start}, {end})',
        "received_extreme": "reach its peak" if most == "most" else "reach its lowest level",
        "received_var": "peak_year" if most == "most" else "low_year",
        "received_idx": "idxmax" if most == "most" else "idxmin",
    }


def answers(p, data):
    programs = data("programs")
    recs = data("recommendations")
    uv = data("u_t_visas")
    u = uv[(uv["visa"] == "U") & (uv["counted"] == "principal and family")]
    pending = u[(u["measure"] == "petitions_pending") & (u["as_of"].dt.month == 9)]
    pending = pending.set_index("fiscal_year")["value"]
    early, late = p["pending_years"]
    most, start, end = p["received"]
    received = u[(u["measure"] == "petitions_received") & u["fiscal_year"].between(start, end)]
    row = received["value"].idxmax() if most == "most" else received["value"].idxmin()
    _, s1, s2 = p["strengths"]
    card = practices.scorecard({c: True for c in p["county"]}, recs)
    return {
        "n_kind": int((programs["evidence_kind"] == p["kind"][0]).sum()),
        "n_confidence": int((programs["confidence"] == p["confidence"][0]).sum()),
        "n_strengths": int(recs["evidence_strength"].isin([s1, s2]).sum()),
        "n_met": int(card["met"].sum()),
        "ratio_pending": (round(float(pending.loc[late] / pending.loc[early]), 1), 1),
        "received_year": int(received.loc[row, "fiscal_year"]),
    }
