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


# ------------------------------------------------------------------------------------------
# Trust and crime reporting (chapter 4): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Best practices (chapter 5): builders for this chapter go below this banner.
# ------------------------------------------------------------------------------------------


def _scorecard_html(card: pd.DataFrame) -> str:
    from . import practices as pr

    rows = []
    for _, r in card.iterrows():
        mark = ("<span style='color:#1b7a3d;font-weight:bold'>&#10004; meets</span>" if r["met"]
                else "<span style='color:#b23b3b;font-weight:bold'>&#10008; not yet</span>")
        rows.append(f"<tr><td>{html.escape(r['short_label'])}</td><td>{mark}</td>"
                    f"<td>{html.escape(r['evidence_strength'])}</td>"
                    f"<td>{html.escape(r['recommended_by'])}</td></tr>")
    return (f"<p><strong>{html.escape(pr.summary(card))}</strong></p>"
            "<table><thead><tr><th>Recommendation</th><th>Your jurisdiction</th>"
            "<th>Evidence behind it</th><th>Recommended by</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def policy_builder_explorer(recs: pd.DataFrame | None = None,
                            defaults: dict[str, bool] | None = None) -> Live:
    """Tick a jurisdiction's choices; a table shows which recommendations they meet and the
    evidence behind each (the Python twin of ``charts.policy_builder``)."""
    from . import practices as pr

    recs = data.load("recommendations") if recs is None else recs
    start = pr.check_choices(defaults or {})
    boxes = {key: w.Checkbox(value=start[key], description=label, indent=False,
                             layout=w.Layout(width="520px"))
             for key, label in pr.CHOICES.items()}
    result = w.HTML()

    def update(change=None):
        card = pr.scorecard({k: b.value for k, b in boxes.items()}, recs)
        result.value = _scorecard_html(card)

    for b in boxes.values():
        b.observe(update, names="value")
    update()
    return live(w.VBox([w.HTML("<strong>Your jurisdiction's choices</strong>"),
                        *boxes.values(), result]),
                f"{len(pr.CHOICES)} checkboxes describe a jurisdiction's choices; a table "
                "recomputes which of the chapter's recommendations they meet and the evidence "
                "behind each. The policy-builder chart in chapter 5 does the same in the "
                "browser.")


def programs_table_explorer(df: pd.DataFrame | None = None) -> Live:
    """Pick a practice and a region; a table lists the matching programs with their evidence
    and how far they could be verified."""
    from . import practices as pr

    df = data.load("programs") if df is None else df
    practice = w.Dropdown(options=[("All practices", "All"),
                                   *[(v, k) for k, v in pr.PRACTICES.items()]],
                          value="All", description="Practice")
    region = w.Dropdown(options=["All", "Northeast", "Midwest", "South", "West"], value="All",
                        description="Region")
    result = w.HTML()

    def update(change=None):
        d = df
        if practice.value != "All":
            d = d[d["practices"].str.split(";").map(lambda ps: practice.value in ps)]
        if region.value != "All":
            d = d[d["region"] == region.value]
        if d.empty:
            result.value = "<p>No program in the dataset matches both filters.</p>"
            return
        table = d[["short_name", "year_started", "evidence_kind", "confidence"]].rename(
            columns={"short_name": "Program", "year_started": "Started",
                     "evidence_kind": "Evidence", "confidence": "Verified?"})
        table["Started"] = table["Started"].map(lambda y: "unknown" if pd.isna(y) else int(y))
        result.value = (f"<p>{len(d)} program(s)</p>"
                        + table.to_html(index=False, border=0, escape=True))

    practice.observe(update, names="value")
    region.observe(update, names="value")
    update()
    return live(w.VBox([w.HBox([practice, region]), result]),
                "Two menus filter the chapter's programs by practice and region; a table lists "
                "the matches with their evidence and verification status.")
