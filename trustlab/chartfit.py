"""A chart's narrow layout, made when the book is built.

The chart runtime (``trustlab/static/trustlab/charts.js``, function ``fitted``) fits a chart to
a box narrower than the chart was designed for: it applies the chart's own ``narrow`` changes,
stacks side-by-side views, moves legends under the chart, and re-wraps long titles. Its first
attempt depends only on the box's width, so the build makes it here, for the narrowest box a
phone gives a chart, and compiles it to Vega: a phone then draws the chart with the Vega
runtime alone. Only when that drawing still does not fit (the runtime measures it) does the
runtime load Vega-Lite and make further, measured attempts.

This module must make exactly what ``fitted(spec, avail, {scale: 1, text: 1})`` makes in the
runtime; ``tests/test_chartfit.py`` compares the two.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

NARROW = 640  # below this box width a chart's narrow changes apply (as in charts.js)
# The box a 320 px wide phone gives a chart (the page's side padding taken off). A wider
# phone draws this layout with room to spare. charts.js has the same number.
PHONE_BOX = 272


def _is_obj(x: Any) -> bool:
    return isinstance(x, dict)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _merge(target: dict, patch: dict) -> dict:
    for k, v in patch.items():
        if isinstance(v, list) and isinstance(target.get(k), list):
            for i, item in enumerate(v):
                if i < len(target[k]) and _is_obj(item) and _is_obj(target[k][i]):
                    _merge(target[k][i], item)
                elif item is not None:
                    if i < len(target[k]):
                        target[k][i] = copy.deepcopy(item)
                    else:  # JavaScript fills the gap with empty slots; JSON writes null
                        target[k].extend([None] * (i - len(target[k])) + [copy.deepcopy(item)])
        elif _is_obj(v) and _is_obj(target.get(k)):
            _merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
    return target


def _views(spec: Any, out: list | None = None) -> list[dict]:
    out = [] if out is None else out
    if not _is_obj(spec):
        return out
    out.append(spec)
    for k in ("hconcat", "vconcat", "concat", "layer"):
        for s in spec.get(k) or []:
            _views(s, out)
    if _is_obj(spec.get("spec")):
        _views(spec["spec"], out)
    return out


def _each_node(spec: Any, fn) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
            return
        if not _is_obj(node):
            return
        fn(node)
        for k in list(node):
            if k not in ("data", "datasets", "usermeta"):
                walk(node[k])
    walk(spec)


def _wrap(text: Any, chars: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for w in re.split(r"\s+", str(text)):
        if not w:
            continue
        if line and len(line + " " + w) > chars:
            lines.append(line)
            line = w
        else:
            line = line + " " + w if line else w
    if line:
        lines.append(line)
    return lines


def _rewrap_lines(lines: list, chars: int) -> list[str]:
    paras: list[str] = []
    for line in lines:
        line = str(line)
        if not paras or line.startswith(("Source:", "Fuente:")):  # (en, es editions)
            paras.append(line)
        else:
            paras[-1] += " " + line
    return [out for p in paras for out in _wrap(p, chars)]


def _rewrap_title(view: dict, width: int) -> None:
    t = view.get("title")
    if not t:
        return
    if isinstance(t, (str, list)):
        t = view["title"] = {"text": t}
    text_chars = max(12, math.floor(width / 10))
    sub_chars = max(18, math.floor(width / 6.1))
    text = " ".join(t["text"]) if isinstance(t.get("text"), list) else t.get("text")
    if text:
        t["text"] = _wrap(text, text_chars)
    if t.get("subtitle"):
        sub = t["subtitle"]
        t["subtitle"] = _rewrap_lines(sub if isinstance(sub, list) else [sub], sub_chars)


def narrow_spec(original: dict, avail: int = PHONE_BOX, scale: float = 1.0) -> dict:
    """The runtime's fitting of ``original`` (a Vega-Lite spec) to a box ``avail`` px wide,
    its plot widths multiplied by ``scale`` (``fitted(spec, avail, {scale: scale})``)."""
    spec = copy.deepcopy(original)
    meta = (spec.get("usermeta") or {}).get("trustlab") or {}
    if avail < NARROW and _is_obj(meta.get("narrow")):
        _merge(spec, meta["narrow"])
    for v in _views(spec):
        if v.get("hconcat") is not None:
            v["vconcat"] = v.pop("hconcat")
        if v.get("concat") is not None:
            v["columns"] = 1
        if _is_num(v.get("columns")) and v.get("facet") is not None:
            v["columns"] = 1
    for v in _views(spec):  # plot widths scaled, whole pixels
        if _is_num(v.get("width")):
            v["width"] = max(60, math.floor(v["width"] * scale))
        elif _is_obj(v.get("width")) and _is_num(v["width"].get("step")):
            v["width"]["step"] = max(8, math.floor(v["width"]["step"] * scale))
    config = spec.setdefault("config", {})
    view = config.setdefault("view", {})
    for k in ("continuousWidth", "discreteWidth"):
        if _is_num(view.get(k)):
            view[k] = max(60, math.floor(view[k] * scale))
    if "continuousWidth" not in view:
        view["continuousWidth"] = math.floor(300 * scale)
    columns = max(1, math.floor(avail / 170))
    label_limit = max(80, math.floor(avail / columns) - 40)

    def narrow_legend(legend: dict) -> None:
        if legend.get("orient") in ("left", "right", None):
            legend["orient"] = "bottom"
        if legend.get("direction") != "vertical" or legend.get("columns"):
            legend["columns"] = min(legend.get("columns") or columns, columns)
        legend["labelLimit"] = min(legend.get("labelLimit") or label_limit, label_limit)
        legend["titleLimit"] = max(80, avail - 20)

    narrow_legend(config.setdefault("legend", {}))
    _each_node(spec, lambda node: narrow_legend(node["legend"])
               if node is not config and _is_obj(node.get("legend")) else None)
    for v in _views(spec):
        _rewrap_title(v, avail - 8)
    axis_chars = max(20, math.floor(avail / 7.2))
    for v in _views(spec):
        enc_all = v.get("encoding") if _is_obj(v.get("encoding")) else {}
        for ch in ("x", "y", "x2", "y2"):
            enc = enc_all.get(ch)
            if not _is_obj(enc):
                continue
            for o in (enc, enc["axis"] if _is_obj(enc.get("axis")) else None):
                if o and isinstance(o.get("title"), str) and len(o["title"]) > axis_chars:
                    o["title"] = _wrap(o["title"], axis_chars)
    spec.setdefault("usermeta", {})["trustlabNarrow"] = True
    return spec


def widest_view(spec: dict) -> float:
    """As the runtime's ``widestView``: the widest fixed view width, or the default width."""
    widest = max([v["width"] for v in _views(spec) if _is_num(v.get("width"))], default=0)
    cw = (spec.get("config") or {}).get("view", {}).get("continuousWidth")
    return widest or (cw if _is_num(cw) else 0)


def phone_layout(spec: dict, draw_width, avail: int = PHONE_BOX,
                 passes: int = 4) -> tuple[dict, float]:
    """The phone layout and the plot scale it was drawn at. ``draw_width(lite_spec)`` gives
    the width the chart is drawn at (the build renders it with vl-convert); while that is wider
    than the box, the plots give up the difference, as the runtime's measured passes do (the
    runtime measures again in the reader's browser and goes on from this scale if needed)."""
    scale = 1.0
    lite = narrow_spec(spec, avail, scale)
    for _ in range(passes):
        drawn = draw_width(lite)
        if drawn <= avail - 4:  # a little room: fonts in a browser differ slightly
            break
        widest = widest_view(lite)
        k = (widest - (drawn - avail) - 8) / widest if widest > 0 else (avail - 6) / drawn
        scale *= min(0.97, max(0.25, k))
        lite = narrow_spec(spec, avail, scale)
    return lite, scale


def stack_legends(vega: dict) -> dict:
    """Several legends under a narrow chart go one above the other (as the runtime's
    ``stackLegends`` does to a narrow chart it compiled)."""
    legend = vega.setdefault("config", {}).setdefault("legend", {})
    legend["layout"] = {"bottom": {"anchor": "start", "direction": "vertical", "margin": 8},
                        "top": {"anchor": "start", "direction": "vertical", "margin": 8}}
    return vega
