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


def state_agreements_explorer(agreements: pd.DataFrame | None = None) -> Live:
    """Pick a state and the models to include: the explorer recounts agreements and distinct
    agencies from the one-row-per-agreement ICE table and lists the agencies."""
    agreements = data.load("agreements_287g") if agreements is None else agreements
    models = sorted(agreements["model"].dropna().unique())
    states = sorted(agreements["state"].dropna().unique())
    state = w.Dropdown(options=["All states", *states], value="All states", description="State")
    boxes = [w.Checkbox(value=True, description=m, indent=False) for m in models]
    result = w.HTML()

    def update(change=None):
        keep = [b.description for b in boxes if b.value]
        part = agreements[agreements["model"].isin(keep)]
        if state.value != "All states":
            part = part[part["state"] == state.value]
        n_agr, n_ag = len(part), part[["state", "agency"]].drop_duplicates().shape[0]
        head = (f"<p><b>{html.escape(state.value)}</b>, models: "
                f"{html.escape(', '.join(keep) or 'none')}: {n_agr:,} agreements held by "
                f"{n_ag:,} distinct agencies.</p>")
        if part.empty:
            result.value = head
            return
        by_type = (part.groupby(["agency_type", "model"]).size().unstack(fill_value=0))
        body = by_type.to_html(border=0)
        if state.value != "All states":
            names = (part.groupby("agency")["model"].apply(lambda s: ", ".join(sorted(s)))
                     .reset_index().rename(columns={"agency": "Agency", "model": "Models"}))
            body += names.head(40).to_html(border=0, index=False)
            if len(names) > 40:
                body += f"<p>… and {len(names) - 40} more agencies.</p>"
        result.value = head + body

    state.observe(update, names="value")
    for b in boxes:
        b.observe(update, names="value")
    update()
    return live(w.VBox([state, w.HBox(boxes), result]),
                "A menu picks a state and check boxes pick models; the explorer recounts "
                "agreements and distinct agencies from ICE's list and lists the agencies.")


def snapshot_change_explorer(snaps: pd.DataFrame | None = None) -> Live:
    """Pick two editions of ICE's list: the explorer shows agreements by model in each, the
    change, and the distinct agencies, from ``ice_snapshots``."""
    snaps = data.load("ice_snapshots") if snaps is None else snaps
    snaps = snaps.sort_values(["as_of", "edition"]).reset_index(drop=True)
    labels = [f"{r.as_of:%Y-%m-%d}" + (f" ({r.edition})" if isinstance(r.edition, str) else "")
              for r in snaps.itertuples()]
    first = w.Dropdown(options=list(zip(labels, range(len(labels)), strict=True)), value=0,
                       description="From")
    last = w.Dropdown(options=list(zip(labels, range(len(labels)), strict=True)),
                      value=len(labels) - 1, description="To")
    result = w.HTML()
    cols = {"agreements": "All agreements", "jail_enforcement": "Jail enforcement",
            "task_force": "Task force", "warrant_service_officer": "Warrant service officer",
            "agencies": "Distinct agencies"}

    def update(change=None):
        a, b = snaps.loc[first.value], snaps.loc[last.value]
        table = pd.DataFrame({f"From {labels[first.value]}": [int(a[c]) for c in cols],
                              f"To {labels[last.value]}": [int(b[c]) for c in cols]},
                             index=list(cols.values()))
        table["Change"] = table.iloc[:, 1] - table.iloc[:, 0]
        days = (b["as_of"] - a["as_of"]).days
        result.value = (f"<p>{days} days between the two editions.</p>"
                        + table.to_html(border=0))

    first.observe(update, names="value")
    last.observe(update, names="value")
    update()
    return live(w.VBox([w.HBox([first, last]), result]),
                "Two menus pick editions of ICE's list; the explorer shows agreements by model "
                "and distinct agencies in each, and the change between them.")


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


def underreporting_explorer(report_rate: float | None = None) -> Live:
    """Sliders for the chapter 4 under-reporting model (trustlab.underreporting.simulate):
    set how many victims in the affected group stay silent and see recorded crime, cleared
    crime and the two clearance rates recomputed in Python, next to the no-silence baseline."""
    from . import underreporting as ur

    start = dict(ur.DEFAULTS)
    if report_rate is not None:
        start["report_rate"] = round(float(report_rate), 3)
    labels = {
        "silence": "Silent share",
        "affected_share": "Affected share",
        "report_rate": "Reporting rate",
        "clearance_rate": "Clearance rate",
        "witness_dependence": "Witness need",
    }
    style = {"description_width": "120px"}
    sliders = {k: w.FloatSlider(value=start[k], min=0.0, max=1.0, step=0.01, description=lab,
                                readout_format=".0%", continuous_update=False, style=style,
                                layout=w.Layout(width="460px"))
               for k, lab in labels.items()}
    # An HTML widget (not an Output widget) shows the result, so stored outputs stay stable.
    result = w.HTML()

    def update(change=None):
        params = {k: s.value for k, s in sliders.items()}
        now = ur.simulate(victimisations=start["victimisations"], **params)
        base = ur.simulate(victimisations=start["victimisations"],
                           **{**params, "silence": 0.0})
        rows = [("True victimisations", base.victimisations, now.victimisations, "{:,.0f}"),
                ("Reported (recorded crime)", base.recorded, now.recorded, "{:,.0f}"),
                ("Cleared by police", base.cleared, now.cleared, "{:,.0f}"),
                ("Published clearance rate (cleared / recorded)",
                 base.recorded_clearance_rate, now.recorded_clearance_rate, "{:.1%}"),
                ("Share of all victimisations cleared", base.share_of_victimisations_cleared,
                 now.share_of_victimisations_cleared, "{:.1%}")]
        table = pd.DataFrame({"Nobody silent": [f.format(b) for _, b, _, f in rows],
                              "With the silence you set": [f.format(n) for _, _, n, f in rows]},
                             index=[r[0] for r in rows])
        result.value = (f"<p>Per {start['victimisations']:,} true victimisations "
                        "(a teaching model: true crime never changes).</p>"
                        + table.to_html(border=0))

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    return live(w.VBox([*sliders.values(), result]),
                "Five sliders set the under-reporting model's inputs (silent share, the "
                "affected group's share of victims, the reporting rate, the clearance rate and "
                "how much clearance needs witnesses from the group) and a table recomputes "
                "recorded crime, cleared crime and the clearance rates. The Altair simulator "
                "in chapter 4 does the same in the browser.")


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
