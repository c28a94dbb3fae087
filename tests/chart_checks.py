"""Helpers the chapter chart tests share (issue #16): walking a Vega-Lite spec, the live
sentence as Vega itself computes it, and the book's small-screen merge."""

from __future__ import annotations

import html
import re


def walk(node):
    """Every dict in a spec, the spec itself first."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def all_params(spec) -> list[dict]:
    return [p for n in walk(spec) for p in (n.get("params") or []) if isinstance(p, dict)]


def live_text(chart, values: dict | None = None, **more) -> str:
    """The chart's live sentence for the given control values, as the browser computes it:
    the chart compiled to Vega with vl-convert, the controls' signals set, the live signal
    drawn as one extra text mark and read back from the SVG. ``chart`` is a spec or an
    Altair chart; every value must name one of its controls."""
    import vl_convert as vlc

    spec = chart.to_dict() if hasattr(chart, "to_dict") else chart
    controls = {**(values or {}), **more}
    live = spec["usermeta"]["trustlab"]["live"]
    vg = vlc.vegalite_to_vega(spec)
    for s in vg.get("signals", []):
        if s["name"] in controls:
            s["value"] = controls.pop(s["name"])
    assert not controls, f"no such controls: {controls}"
    vg.setdefault("marks", []).append({"type": "text", "encode": {"update": {
        "text": {"signal": f"'LIVE[' + ({live}) + ']LIVE'"}, "x": {"value": 0},
        "y": {"value": 0}, "limit": {"value": 0}}}})
    found = re.search(r"LIVE\[(.*?)\]LIVE", vlc.vega_to_svg(vg), re.S)
    assert found, "the live sentence was not drawn (does its expression compile?)"
    return html.unescape(found.group(1))


def narrow_merge(base, extra):
    """The chart runtime's merge of ``usermeta.trustlab.narrow`` (charts.js ``merge``):
    dicts key by key, lists item by item, anything else replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: narrow_merge(base[k], v) if k in base else v
                           for k, v in extra.items()}}
    if isinstance(base, list) and isinstance(extra, list):
        out = list(base)
        for i, item in enumerate(extra):
            if i < len(out):
                out[i] = narrow_merge(out[i], item) if item is not None else out[i]
            elif item is not None:
                out.append(item)
        return out
    return extra
