"""A deliberately small model of how silence among crime victims changes what police see.

This is a teaching model written for chapter 4, not an estimate of any real place. It follows
a fixed number of true victimisations through two steps, reporting and clearance, for two
groups of victims:

* the *affected group*: victims who may stay silent because they fear immigration
  enforcement (for example undocumented residents and their mixed-status families);
* everyone else, whose behaviour does not change.

Assumptions (each one is a slider in the book and the lab):

1. ``victimisations`` true victimisations happen; a share ``affected_share`` of them have a
   victim in the affected group. True crime never changes in the model.
2. At baseline every victim reports with the same probability ``report_rate`` (national
   victim surveys find broadly similar reporting by immigrants and natives).
3. A share ``silence`` of the affected group's would-be reporters now stay silent, so the
   affected group reports with probability ``report_rate * (1 - silence)``.
4. Police clear a reported crime with probability ``clearance_rate`` -- but for crimes with
   an affected-group victim, a share ``witness_dependence`` of clearances needs a witness
   from the same community, and those witnesses fall silent at the same rate. So those
   crimes are cleared with probability ``clearance_rate * (1 - witness_dependence * silence)``.

Outputs: recorded crimes (reports), cleared crimes, the *recorded* clearance rate (cleared
divided by recorded, what a police department publishes) and the share of all true
victimisations that end in a clearance. The point of the model: when victims fall silent,
recorded crime falls although true crime did not, and the published clearance rate hides
most of the loss because the crimes that vanish from the records also vanish from its
denominator.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: Default settings: illustrative, not measured. ``report_rate`` is replaced in the book by
#: the NCVS share of violent victimizations reported to police (dataset ``ncvs_reporting``).
DEFAULTS = {
    "victimisations": 1000,
    "affected_share": 0.2,
    "report_rate": 0.45,
    "silence": 0.3,
    "clearance_rate": 0.45,
    "witness_dependence": 0.5,
}

_SHARES = ("affected_share", "report_rate", "silence", "clearance_rate", "witness_dependence")


@dataclass(frozen=True)
class Outcome:
    """What the police records show for one setting of the model."""

    victimisations: float
    recorded: float
    recorded_affected: float
    recorded_others: float
    unreported: float
    cleared: float
    recorded_clearance_rate: float  # cleared / recorded (what departments publish)
    share_of_victimisations_cleared: float  # cleared / true victimisations

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def simulate(victimisations: float = DEFAULTS["victimisations"],
             affected_share: float = DEFAULTS["affected_share"],
             report_rate: float = DEFAULTS["report_rate"],
             silence: float = DEFAULTS["silence"],
             clearance_rate: float = DEFAULTS["clearance_rate"],
             witness_dependence: float = DEFAULTS["witness_dependence"]) -> Outcome:
    """Run the model once (see the module docstring for the assumptions).

    Shares are numbers between 0 and 1. Raises ``ValueError`` with a plain message when an
    input is out of range, e.g. a percentage typed as 30 instead of 0.3.
    """
    values = {"affected_share": affected_share, "report_rate": report_rate, "silence": silence,
              "clearance_rate": clearance_rate, "witness_dependence": witness_dependence}
    for name in _SHARES:
        v = values[name]
        if not isinstance(v, (int, float)) or v != v or not 0 <= v <= 1:
            hint = " (write 30% as 0.3)" if isinstance(v, (int, float)) and 1 < v <= 100 else ""
            raise ValueError(f"{name} must be a share between 0 and 1; got {v!r}{hint}.")
    if not isinstance(victimisations, (int, float)) or victimisations < 0:
        raise ValueError(f"victimisations must be a number of 0 or more; got {victimisations!r}.")

    v_aff = victimisations * affected_share
    v_oth = victimisations - v_aff
    rec_aff = v_aff * report_rate * (1 - silence)
    rec_oth = v_oth * report_rate
    recorded = rec_aff + rec_oth
    cleared = (rec_oth * clearance_rate
               + rec_aff * clearance_rate * (1 - witness_dependence * silence))
    return Outcome(
        victimisations=float(victimisations),
        recorded=recorded,
        recorded_affected=rec_aff,
        recorded_others=rec_oth,
        unreported=victimisations - recorded,
        cleared=cleared,
        recorded_clearance_rate=cleared / recorded if recorded else 0.0,
        share_of_victimisations_cleared=cleared / victimisations if victimisations else 0.0,
    )


# Vega expressions of the same model, used by the Altair chart so the book recomputes it in
# the reader's browser. Tests check that they agree with simulate().
def vega_expressions(p: dict[str, str]) -> dict[str, str]:
    """Vega expression strings for the model's outputs, given parameter names ``p``.

    ``p`` maps each model input (``affected_share``, ``report_rate``, ``silence``,
    ``clearance_rate``, ``witness_dependence``) to the name of an Altair parameter; the
    number of true victimisations is the field ``datum.victimisations``.
    """
    a, r, s, c, w = (p[k] for k in _SHARES)
    v = "datum.victimisations"
    rec_aff = f"({v} * {a} * {r} * (1 - {s}))"
    rec_oth = f"({v} * (1 - {a}) * {r})"
    recorded = f"({rec_aff} + {rec_oth})"
    cleared = f"({rec_oth} * {c} + {rec_aff} * {c} * (1 - {w} * {s}))"
    return {
        "recorded": recorded,
        "cleared": cleared,
        "unreported": f"({v} - {recorded})",
        "recorded_clearance_rate": f"({recorded} > 0 ? {cleared} / {recorded} : 0)",
        "share_of_victimisations_cleared": f"({v} > 0 ? {cleared} / {v} : 0)",
    }
