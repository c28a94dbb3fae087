"""Chart builders for the course: one function per kind of chart, reused by chapters,
data labs and exercises.

Importing this module switches Altair to the ``mimetype`` renderer (charts are stored in
notebooks as Vega-Lite JSON: JupyterLab draws them offline, the book draws them with its own
JavaScript, and outputs carry no random ids) and enables the course theme.

Every builder returns a chart with a title, a source line and a text description (alt text):
:func:`finish` enforces that. Builders aggregate before charting; Altair's row limit stays on.
"""

from __future__ import annotations

import json
import math
import string

import altair as alt
import pandas as pd

from .. import data, i18n
from ..i18n import translator

# Every colour has at least 3:1 contrast with the charts' white background (WCAG 1.4.11 for
# marks); text drawn in a chart needs 4.5:1: use ``text_color``. Charts keep a white
# background in dark mode too, so one check covers both modes (tests/test_charts.py).
PALETTE = ["#1f6fb2", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#5a9418", "#a6761d", "#666666"]
BACKGROUND = "#ffffff"
MUTED_TEXT = "#595959"  # secondary text (notes, "direction only"): 7:1 on white
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
WIDTH = 640


@alt.theme.register("trustlab", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": BACKGROUND,
            # Marks and guides are hidden from assistive technology: the book gives each
            # chart one name (its title), one description (its text description), a data
            # table with every tooltip's content, and a live summary of the current view.
            "aria": False,
            "mark": {"aria": False},
            "view": {"continuousWidth": WIDTH, "continuousHeight": 320, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e6e6e6"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 11,
                      "subtitleColor": "#555555"},
        }
    }


alt.renderers.enable("mimetype")


def _json_safe_values(data, max_rows: int = 5000):
    """Altair's default data transformer (row limit kept at Altair's 5,000), plus one fix:
    Altair 5.5 turns a missing value in a pandas 3 text column into NaN, which is not JSON
    (the kernel warns, and browsers reject the spec). Missing values become null."""
    out = alt.utils.data.to_values(alt.utils.data.limit_rows(data, max_rows=max_rows))
    if isinstance(out, dict) and isinstance(out.get("values"), list):
        out["values"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            if isinstance(r, dict) else r for r in out["values"]]
    return out


alt.data_transformers.register("trustlab", _json_safe_values)
alt.data_transformers.enable("trustlab")


def source_text(*names: str, lang: str | None = None) -> str:
    """"Source: ..." from the data-package entries of the datasets a chart uses (the titles
    of the sources stay as their publishers wrote them)."""
    titles: list[str] = []
    for name in names:
        for src in data.resource(name).get("sources", []):
            t = src.get("title")
            if t and t not in titles:
                titles.append(t)
    t = translator(lang)
    return t("Source:") + " " + "; ".join(t(x) for x in titles) + "." if titles else ""


def contrast(fg: str, bg: str = BACKGROUND) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    def lum(h: str) -> float:
        h = h.lstrip("#")
        c = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    a, b = lum(fg), lum(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def text_color(color: str, minimum: float = 4.5) -> str:
    """``color`` darkened just enough to be readable as text on the chart background."""
    h = color.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    for _ in range(100):
        out = "#" + "".join(f"{v:02x}" for v in rgb)
        if contrast(out) >= minimum:
            return out
        rgb = [max(0, int(v * 0.95)) for v in rgb]
    return "#000000"


def table_data(df: pd.DataFrame, caption: str, lang: str | None = None) -> dict:
    """A chart's data table (what its tooltips show, as text), stored in the spec for the
    book to print under the chart: readers without a mouse get every tooltip's content.
    Dates are written in ``lang``; numbers the same way in both languages."""
    def cell(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"
        if isinstance(v, float):
            return f"{v:,.0f}" if v.is_integer() else f"{v:,.3g}" if abs(v) < 1 else f"{v:,.1f}"
        if isinstance(v, int):
            return f"{v:,}" if abs(v) >= 10000 else str(v)
        if isinstance(v, pd.Timestamp):
            return i18n.date(v, "day", lang)
        return str(v)
    return {"caption": caption, "columns": [str(c) for c in df.columns],
            "rows": [[cell(v) for v in row] for row in df.itertuples(index=False)]}


def finish(chart: alt.TopLevelMixin, *, title: str | list[str], description: str,
           datasets: list[str], subtitle: str | None = None, table: pd.DataFrame | None = None,
           table_caption: str | None = None, live: str | None = None,
           live_name: str | None = None, narrow: dict | None = None,
           lang: str | None = None) -> alt.TopLevelMixin:
    """Give a chart its title, source line and text description (required: it is alt text),
    and what the book needs to make it usable without a mouse or without sight:

    * ``table``: the tooltip content as a data frame with readable column names (already
      formatted values are best). The book shows it in a collapsible table under the chart.
    * ``live``, ``live_name``: a Vega expression that states the result of the current view
      in one sentence, re-evaluated whenever a control changes (for example
      ``"'Showing ' + ch1_rr_view + ': ' + ..."``); the book writes it into an
      ``aria-live`` line under the chart, so screen readers announce the new result. Required
      for every chart with a control; ``live_name`` must be unique on the page (use the
      chart's parameter prefix, e.g. ``"ch3_did_live"``).
    * ``narrow``: changes for small screens, deep-merged into the spec by the book's chart
      runtime when the chart's box is narrower than 640 px (the designed width), before its
      generic fitting (widths shrunk to fit, side-by-side views stacked, titles re-wrapped,
      legends wrapped).
    * ``lang``: the language of the source line and of the table's default caption (the
      caller passes every other text already in that language).
      Keys are spec paths as in the spec (``{"vconcat": [{"height": 160}, {}]}`` changes
      the first view; lists are merged item by item).
    """
    if not description.strip():
        raise ValueError("every chart needs a text description saying what it shows")
    t = translator(lang)
    lines = [s for s in (subtitle, source_text(*datasets, lang=lang)) if s]
    chart = chart.properties(title=alt.Title(title, subtitle=lines), description=description)
    meta: dict = {}
    if table is not None:
        name = " ".join(title) if isinstance(title, list) else title
        meta["table"] = table_data(table, table_caption or t("Data in the chart: {title}").format(
            title=name), lang)
    if live is not None:
        if not live_name:
            raise ValueError("a live summary needs live_name, unique on the page")
        chart = chart.add_params(alt.param(name=live_name, expr=live))
        meta["live"] = live_name
    if narrow:
        meta["narrow"] = narrow
    if i18n.resolve(lang) != "en":  # the book writes the chart's own words in its language
        meta["lang"] = i18n.resolve(lang)
    if meta:
        chart.usermeta = {"trustlab": meta}
    return chart


def wrap_subtitle(chart: alt.TopLevelMixin, width: int = WIDTH) -> alt.TopLevelMixin:
    """Re-wrap a finished chart's subtitle lines (including the source line) so that none is
    much wider than the chart (about 5.8 pixels per character at the theme's 11 px)."""
    import textwrap

    title = chart.title
    lines = title.subtitle if isinstance(title.subtitle, list) else [title.subtitle]
    chars = max(40, int(width / 5.8))
    wrapped = [w for line in lines for w in textwrap.wrap(str(line), chars)]
    return chart.properties(title=alt.Title(title.text, subtitle=wrapped))


def when(ts: pd.Timestamp, precision: str, lang: str | None = None) -> str:
    """A date as precisely as its source gave it: "2012", "May 2012" or "4 May 2012" (in
    Spanish "mayo de 2012", "4 de mayo de 2012")."""
    return i18n.date(ts, precision, lang)


# --- Text in Vega expressions (live summaries, label lookups) --------------------------------
# A live summary is a translated sentence whose ``{placeholders}`` are Vega expressions (the
# current view's values): the sentence is one message, so a translation may reorder it.


def vega_literal(value) -> str:
    """A Python value as a Vega expression literal (JSON is valid Vega expression syntax)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def vega_str(text) -> str:
    """A text as a single-quoted Vega string literal."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def message_pieces(message: str, exprs: dict[str, str] | None = None,
                   values: dict | None = None) -> list[tuple[bool, str]]:
    """A (translated) message split for a Vega expression: ``(True, expression)`` for each
    ``{name}`` in ``exprs``, ``(False, text)`` for the text between them, into which every
    other ``{name[!conv][:spec]}`` is formatted from ``values`` (adjacent texts merged)."""
    exprs, values = exprs or {}, values or {}
    out: list[tuple[bool, str]] = []

    def text(piece: str) -> None:
        if out and not out[-1][0]:
            out[-1] = (False, out[-1][1] + piece)
        elif piece:
            out.append((False, piece))

    for literal, field, spec, conv in string.Formatter().parse(message):
        text(literal)
        if field is None:
            continue
        if field in exprs:
            out.append((True, exprs[field]))
        else:
            value = values[field]
            value = repr(value) if conv == "r" else str(value) if conv == "s" else value
            text(format(value, spec or ""))
    return out


def vega_concat(pieces: list[tuple[bool, str]], quote=vega_str) -> str:
    """The pieces joined into one Vega string expression with ``+`` (texts quoted by
    ``quote``; an empty string first when two expressions lead, so that two numbers are
    joined, not added)."""
    parts = [piece if is_expr else quote(piece) for is_expr, piece in pieces]
    if len(pieces) > 1 and pieces[0][0] and pieces[1][0]:
        parts.insert(0, "''")
    return " + ".join(parts) or "''"


def vega_message(message: str, exprs: dict[str, str] | None = None, quote=vega_str,
                 **values) -> str:
    """A (translated) message as one Vega string expression (see :func:`message_pieces`)."""
    return vega_concat(message_pieces(message, exprs, values), quote)


def vega_lookup(table: dict, key: str) -> str:
    """A Vega expression picking a value of ``table`` (as an object literal) by the Vega
    expression ``key``: a precomputed sentence by the controls' values, a translated label."""
    return json.dumps(table, ensure_ascii=False) + f"[{key}]"


def shown_value(signal: str, table: dict[str, str]) -> str:
    """A control's (English) value as the reader sees it: the signal itself where every value
    reads as it is (English), else a lookup of its translation in ``table``."""
    return signal if all(k == v for k, v in table.items()) else vega_lookup(table, signal)


def binding_labels(options: list, labels: list[str]) -> dict:
    """``labels=`` for a menu or radio buttons whose values stay English: the translated
    labels, or nothing where they read as the values (so English specs stay as they were)."""
    labels = list(labels)
    return {} if [str(o) for o in options] == labels else {"labels": labels}


def param_names(spec: dict) -> list[str]:
    """Names of every parameter (control or selection) in a chart spec, top level and nested
    layers alike, in order of appearance. Two charts on one page must not share one."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for p in node.get("params", []) or []:
                if isinstance(p, dict) and "name" in p:
                    found.append(p["name"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


