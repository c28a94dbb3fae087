"""ipywidgets explorers for students working in JupyterLab.

A widget needs a live Python kernel. In the static book there is none, so :func:`live` gives
every explorer an honest fallback: the book shows a note saying what the control does and how
to run it (and points to the Altair chart that works without a kernel) instead of a dead
control.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from . import data

LAUNCH_HINT = (
    "Run it yourself: open this notebook in JupyterLab (<code>make lab</code> in the course "
    "folder, or your class's JupyterHub) and run the cells from the top."
)


class Live:
    """Wraps a widget: JupyterLab shows the widget; the static book shows ``fallback``."""

    def __init__(self, widget: w.Widget, what: str):
        self.widget = widget
        self.what = what

    def fallback_html(self) -> str:
        return (
            '<div class="trustlab-static-note" role="note"><strong>Interactive explorer '
            "(needs Python).</strong> " + html.escape(self.what) + " " + LAUNCH_HINT + "</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle = dict(bundle)
        bundle["text/html"] = self.fallback_html()
        bundle["text/plain"] = f"[Interactive explorer: {self.what}]"
        return bundle


def live(widget: w.Widget, what: str) -> Live:
    """Display-ready wrapper: ``live(box, "what the control does")``."""
    return Live(widget, what)


def removals_explorer(df: pd.DataFrame | None = None) -> Live:
    """Pick a span of fiscal years and see removals, returns and their sum recomputed."""
    df = data.load("removals_returns") if df is None else df
    df = df.dropna(subset=["returns"])
    lo, hi = int(df["fiscal_year"].min()), int(df["fiscal_year"].max())
    years = w.IntRangeSlider(value=(max(lo, 2009), min(hi, 2016)), min=lo, max=hi, step=1,
                             description="Fiscal years", continuous_update=False,
                             layout=w.Layout(width="520px"))
    # An HTML widget (not an Output widget) shows the result: updating it sends no stream
    # output, so the notebook's stored outputs stay identical between runs.
    result = w.HTML()

    def update(change=None):
        a, b = years.value
        part = df[(df["fiscal_year"] >= a) & (df["fiscal_year"] <= b)]
        rem, ret = int(part["removals"].sum()), int(part["returns"].sum())
        table = pd.DataFrame(
            {"People": [f"{rem:,}", f"{ret:,}", f"{rem + ret:,}"]},
            index=["Removals (formal order)", "Returns (no order)", "Removals + returns"])
        result.value = (f"<p>Fiscal years {a}–{b} ({b - a + 1} years)</p>"
                        + table.to_html(border=0))

    years.observe(update, names="value")
    update()
    return live(w.VBox([years, result]),
                "A slider picks a span of fiscal years and recomputes the removals, returns "
                "and their total for that span.")


# ------------------------------------------------------------------------------------------
# History (chapter 1): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------

DID_WARNING = (
    "<p><strong>What this cannot prove.</strong> A difference-in-differences with one treated "
    "state and one comparison group assumes the two would have moved in parallel without the "
    "policy. Anything else that changed in the treated state at the same time (the economy, "
    "policing, a change in how crimes are recorded or reported) lands in the estimate. With "
    "one treated state there is no honest margin of error either: compare the number with "
    "the placebo years and states in the chapter before reading anything into it.</p>")


def crime_did_explorer(panel: pd.DataFrame | None = None) -> Live:
    """Pick a treated state, a policy year, a window, a comparison group and an outcome; the
    2 x 2 table of means and the difference-in-differences are recomputed in Python."""
    from .crime import COMPARISONS, OUTCOMES, did

    panel = data.load("crime_panel") if panel is None else panel
    names = panel.drop_duplicates("state_abbr").sort_values("state_name")
    options = list(zip(names["state_name"], names["state_abbr"], strict=True))
    first, last = int(panel["year"].min()), int(panel["year"].max())
    state = w.Dropdown(options=options, value="TX", description="Treated")
    year = w.IntSlider(value=2017, min=first + 1, max=last, description="Policy year",
                       continuous_update=False)
    window = w.IntSlider(value=4, min=1, max=8, description="Years each side",
                         continuous_update=False, style={"description_width": "initial"})
    comparison = w.ToggleButtons(options=list(COMPARISONS), value="All other states",
                                 description="Comparison")
    other = w.Dropdown(options=options, value="NM", description="One state")
    outcome = w.ToggleButtons(options=list(OUTCOMES), value="Violent crime",
                              description="Outcome")
    result = w.HTML()

    def update(change=None):
        try:
            r = did(panel, state.value, year.value, window=window.value,
                    comparison=comparison.value, other=other.value, outcome=outcome.value)
        except data.DataError as exc:
            result.value = f"<p><strong>Cannot compute:</strong> {html.escape(str(exc))}</p>"
            return
        comp = ", ".join(r.comparison) if len(r.comparison) <= 8 else \
            f"{len(r.comparison)} states"
        result.value = (
            f"<p>{r.outcome} per 100,000 residents. Before: {r.before_years[0]}–"
            f"{r.before_years[1]}; after: {r.after_years[0]}–{r.after_years[1]}. "
            f"Comparison group: {html.escape(comp)}.</p>"
            + r.table().to_html(border=0)
            + f"<p><strong>Difference-in-differences: {r.estimate:+.1f} per 100,000</strong> "
              f"(treated change {r.treated_change:+.1f} minus comparison change "
              f"{r.comparison_change:+.1f}).</p>" + DID_WARNING)

    for c in (state, year, window, comparison, other, outcome):
        c.observe(update, names="value")
    update()
    return live(w.VBox([state, year, window, comparison, other, outcome, result]),
                "Controls pick a treated state, a policy year, the years on each side, a "
                "comparison group and an outcome, and recompute the before/after means and "
                "the difference-in-differences from the FBI state panel. The chart 'Difference-"
                "in-differences explorer' in chapter 3 does the same without Python.")


# ------------------------------------------------------------------------------------------
# Trust and crime reporting (chapter 4): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------
