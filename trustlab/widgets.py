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


def administration_explorer(removals: pd.DataFrame | None = None,
                            admins: pd.DataFrame | None = None) -> Live:
    """Pick an administration and a rule for assigning fiscal years to presidents; see which
    fiscal years that gives and the removals and returns summed over them."""
    from . import history

    removals = data.load("removals_returns") if removals is None else removals
    admins = data.load("administrations") if admins is None else admins
    names = list(admins["administration"])
    who = w.Dropdown(options=names, value="Obama" if "Obama" in names else names[-1],
                     description="President")
    rule = w.RadioButtons(options=[(text, key) for key, text in history.RULES.items()],
                          value="majority", description="Rule",
                          layout=w.Layout(width="620px"))
    result = w.HTML()

    def update(change=None):
        t = history.totals_by_administration(removals, admins, rule.value)
        row = t[t["administration"] == who.value]
        if row.empty:
            result.value = (f"<p>No fiscal year of {html.escape(who.value)} is in the data "
                            "(returns start in fiscal 1927, the table ends in fiscal 2019).</p>")
            return
        r = row.iloc[0]
        note = "" if r["complete"] else (
            "<p><strong>Incomplete:</strong> some of this administration's fiscal years are "
            "outside the data, so the totals are partial.</p>")
        table = pd.DataFrame(
            {"People": [f"{r['removals']:,}", f"{r['returns']:,}", f"{r['total']:,}"]},
            index=["Removals (formal order)", "Returns (no order)", "Removals + returns"])
        result.value = (f"<p>{html.escape(r['president'])}: fiscal {r['first_fy']}–"
                        f"{r['last_fy']} ({r['fiscal_years']} years in the data). Returns are "
                        f"{r['returns_share']:.0%} of the sum.</p>" + note
                        + table.to_html(border=0))

    who.observe(update, names="value")
    rule.observe(update, names="value")
    update()
    return live(w.VBox([who, rule, result]),
                "A menu picks a president and buttons pick how fiscal years are assigned to "
                "presidents; the removals and returns for that administration are recomputed.")


# ------------------------------------------------------------------------------------------
# The 287(g) program (chapter 2): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Evidence on crime (chapter 3): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Trust and crime reporting (chapter 4): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------
