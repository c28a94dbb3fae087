"""Public checks for exercise set 03-crime (students get this file).

Correct answers appear only as digests: see trustlab.checks.digest. ``VARIANT`` says which
version of the set this file checks (the state, years and window asked about, and the digests of
the answers).
"""

from trustlab import crime
from trustlab.checks import digest, question

VARIANT: dict = {}  # written by python -m trustlab exercises


@question("q1", points=1,
          expected="the violent crime rate per 100,000 residents of the state and year the "
                   "question names, as a number (the value in the 'violent_rate' column)",
          hint="Filter panel for that state's two-letter state_abbr and that year, take "
               "'violent_rate' with .iloc[0] and wrap it in float(...).")
def q1(ck):
    state, year = ck.param("state"), ck.param("year")
    v = ck.var(f"{state.lower()}_rate_{year}")
    ck.is_type(v, float, "a number")
    ck.require(v > 100, f"{v} is too small for a rate per 100,000: did you take a share or "
                        "divide by the population yourself without multiplying by 100,000?")
    ck.require(v < 2000, f"{v} looks like a property crime rate or a count: use the "
                         "'violent_rate' column.")
    ck.equal(v, ck.answer("rate"), round=1,
             message=f"{v} is not the value I expected for {state} in {year}. Check the state "
                     "and the year.")


@question("q2", points=2,
          expected="a function group_rate(df, states, year) returning the pooled violent crime "
                   "rate per 100,000 of a list of states in one year: total violent crimes of "
                   "those states divided by their total population, times 100,000",
          hint="Keep the rows of those states and that year, then "
               "part['violent_crime'].sum() / part['population'].sum() * 100_000. Do not "
               "average the states' rates: big and small states would count the same.")
def q2(ck):
    f = ck.var("group_rate")
    year = ck.param("year")
    states = sorted(crime.NEIGHBOURS[ck.param("state")])
    v = ck.call(f, ck.data("crime_panel"), states, year)
    ck.require(v is not None, "Your function returns None: add a return statement.")
    ck.is_type(v, float, "a number")
    v = float(v)
    ck.equal(round(v, 1), ck.answer("group"), round=1,
             message=f"group_rate(panel, {states}, {year}) gave {v:.1f}, which is not the "
                     "pooled rate I expected. Did you sum crimes and population before dividing "
                     "(not average the states' rates), and multiply by 100,000?")


@question("q3", points=2,
          expected="the difference-in-differences for California (treated) against all other "
                   "states, violent crime, with the before years the question names and after "
                   "= 2018-2019, each period a mean of yearly pooled rates; rounded to 1 "
                   "decimal",
          hint="Compute California's mean rate before and after, the other states' (pooled) mean "
               "rate before and after, then (CA after - CA before) - (others after - others "
               "before). You can reuse group_rate for each year.")
def q3(ck):
    start = ck.param("before_start")
    v = ck.var("did_ca")
    ck.is_type(v, float, "a number")
    ck.require(abs(v) < 200, f"{v} is far too large for a change in violent crime per 100,000 "
                             "over a few years: check that you subtract before from after "
                             "within each group first.")
    ck.require(digest(-v, 1, ck.variant.salt) != ck.answer("did"),
               f"{v} has the right size but the wrong sign: take after minus before within each "
               "group, then the treated change minus the comparison change.")
    ck.equal(v, ck.answer("did"), round=1,
             message=f"{v} is not the estimate I expected. Check the years (before "
                     f"{start}-2017, after 2018-2019), that the comparison group excludes "
                     "California, and the order of the subtraction (treated change minus "
                     "comparison change).")


@question("q4", points=1,
          expected="one letter: the assumption under which did_ca is the causal effect of SB 54",
          hint="Reread 'difference-in-differences, formally' in the chapter.")
def q4(ck):
    v = ck.var("q4_answer")
    letter = str(v).strip().lower()
    ck.require(letter != ck.letter("a"),
               "Equal starting levels are not needed: differencing removes any stable gap "
               "between the groups. What matters is how they would have changed.")
    ck.require(letter != ck.letter("b"),
               "Statistical significance says an estimate is unlikely to be pure noise; it says "
               "nothing about whether the comparison is fair.")
    ck.choice(v, ck.answer("q4"))


@question("q5", points=1,
          expected="one letter: the main weakness of a matched cross-sectional comparison such "
                   "as Wong (2017)",
          hint="Matching can only balance what was measured, at one point in time.")
def q5(ck):
    v = ck.var("q5_answer")
    ck.require(str(v).strip().lower() != ck.letter("a"),
               "The study did find a difference, so sample size is not the issue here: ask "
               "what a difference in levels at one time can and cannot tell you.")
    ck.choice(v, ck.answer("q5"))


@question("q6", points=1,
          expected="one letter: the extra assumption of the instrumental-variable design in "
                   "Hines and Peri (2019)",
          hint="An instrument must move the outcome only through the treatment.")
def q6(ck):
    v = ck.var("q6_answer")
    ck.require(str(v).strip().lower() != ck.letter("a"),
               "If every county had joined in the same year there would be no variation to use: "
               "the staggered start is what makes the instrument possible.")
    ck.choice(v, ck.answer("q6"))


@question("q7", points=2,
          expected="a whole number: how many states (of the 50 and DC, California included) "
                   "have a placebo difference-in-differences for violent crime around 2018 at "
                   "least as large in absolute value as abs(did_ca)",
          hint="Filter placebo for year == 2018 and outcome == 'Violent crime', then count rows "
               "where placebo['did'].abs() >= abs(did_ca); wrap the count in int(...).")
def q7(ck):
    v = ck.var("n_as_large")
    ck.is_type(v, int, "a whole number")
    ck.require(1 <= v <= 51, f"{v} is not a possible count of states (1 to 51; California "
                             "itself is always counted).")
    ck.equal(v, ck.answer("n_large"),
             message=f"{v} is not the count I expected. Use the absolute values of both the "
                     "placebo estimates and did_ca, year 2018 and violent crime only (and the "
                     "placebo table the first cell made).")


@question("q9", points=1,
          expected="one letter: what the two Gonçalves, Jácome and Weisburst rows (survey "
                   "victimisation up, crimes reported to police unchanged) imply",
          hint="Police records hold only the crimes someone reported. What happens to them "
               "when crime rises and reporting falls at the same time?")
def q9(ck):
    v = ck.var("q9_answer")
    letter = str(v).strip().lower()
    ck.require(letter != ck.letter("a"),
               "That is the inference the study warns against: reported crime stayed flat "
               "while the survey, which also counts unreported crimes, found more of them. "
               "Flat records can hide a rise in crime when victims stop reporting.")
    ck.require(letter != ck.letter("b"),
               "Police records include only crimes someone told the police about; in most "
               "years fewer than half of violent victimisations are reported (chapter 4). "
               "The survey exists to count the rest.")
    ck.require(letter != ck.letter("d"),
               "Neither row is about non-Hispanic residents. The flat total comes from the "
               "same group: more crimes against Hispanic residents, and a smaller share of "
               "them reported.")
    ck.choice(v, ck.answer("q9"))
