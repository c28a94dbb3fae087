"""Sphinx extension for the course book (listed in ``_config.yml``).

* Renders Altair charts (Vega-Lite JSON outputs of notebooks and glue) with JavaScript served
  from the book's own ``_static/`` folder, and loads it only on pages that have a chart.
* Fails the build (a warning, and the book builds with ``-W``) when a chart has no text
  description, so every chart has alt text.
* Expands ``<!-- trustlab:datasheets -->`` in a page into the datasheets of every dataset.
* Draws the book's math as MathML made at build time (``trustlab.mathml``), so no page loads
  a math script.
* On an exercise page (a student notebook), makes the notebook's link to its own file a
  download of that ``.ipynb``, as its link to the ``_checks.py`` file already is.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from . import __version__
from .i18n import translator
from .reads import ENV as READS_ENV
from .reads import FAST_EXIT_ENV

LOG = logging.getLogger(__name__)
# trustlab.data.CHECK_CACHE_ENV (not imported: trustlab.data imports pandas, which would slow
# every build's start-up)
CHECK_CACHE_ENV = "TRUSTLAB_CHECK_CACHE"
STATIC_DIR = Path(__file__).parent / "static"
# Two bundles, both generated from the pinned vl-convert package (see _write_bundles). Every
# spec is compiled to Vega when the book is built, so a chart that fits its box as designed
# needs only the Vega runtime; narrowing a chart to fit a small box rewrites its Vega-Lite
# spec, which needs Vega-Lite (that bundle holds Vega too, so a phone loads one bundle).
RUNTIME = "trustlab/vega-runtime.js"
LITE_BUNDLE = "trustlab/vega-lite-bundle.js"
# A chart whose compiled Vega spec is longer than this (characters) is not inlined in its page:
# the runtime fetches it when the chart nears the view (chart data the first view does not need).
INLINE_LIMIT = 32_000
SPEC_FOLDER = "trustlab/specs"  # a chart's Vega-Lite spec, fetched only when it must be fitted
# Rows of a dataset at least this long are written column by column (see pack_rows).
PACK_MIN_ROWS = 8
PACKED = "trustlab:columns"
DATASHEETS_MARKER = "<!-- trustlab:datasheets -->"
VEGALITE_PREFIX = "application/vnd.vegalite.v"


def _is_vegalite(mime: str) -> bool:
    # Altair's mimetype renderer writes application/vnd.vegalite.v6.json (v5: .v5+json).
    return mime.startswith(VEGALITE_PREFIX) and mime.endswith(("+json", ".json"))


def _chart_title(spec: dict) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "").strip()


def table_html(table: dict, chart_id: str, lang: str = "en") -> str:
    """A chart's data table (``usermeta.trustlab.table``) as HTML: a caption, column headers
    with ``scope``, in a focusable container that scrolls sideways on small screens."""
    t = translator(lang)
    esc = html.escape
    cols = table.get("columns", [])
    rows = table.get("rows", [])
    head = "".join(f'<th scope="col">{esc(str(c))}</th>' for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
                   for r in rows)
    caption = esc(str(table.get("caption") or t("Data in the chart")))
    summary = esc(t("Data table ({n} rows)").format(n=len(rows)))
    return (
        f'<details class="trustlab-chart-table"><summary>{summary}</summary>'
        f'<div class="trustlab-table-scroll" role="region" tabindex="0" '
        f'aria-labelledby="{chart_id}-table-caption">'
        f'<table><caption id="{chart_id}-table-caption">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def pack_rows(rows: Any) -> Any:
    """A dataset's rows written column by column, ``{"trustlab:columns": {key: column},
    "rows": n}`` (a column is a list of values, or see ``_pack_column``), when that is
    lossless and worth it: at least PACK_MIN_ROWS rows, each a dict with the same keys in the
    same order. Anything else is returned as it is. The chart runtime (charts.js,
    ``unpackRows``) turns it back into the same rows; ``unpack_rows`` is the same in Python."""
    if not isinstance(rows, list) or len(rows) < PACK_MIN_ROWS:
        return rows
    if not all(isinstance(r, dict) for r in rows):
        return rows
    keys = list(rows[0])
    if not keys or any(list(r) != keys for r in rows):
        return rows
    return {PACKED: {k: _pack_column([r[k] for r in rows]) for k in keys}, "rows": len(rows)}


def _pack_column(col: list) -> Any:
    """A column of strings that repeat (a state, an outcome) is written as its distinct
    values, ``levels``, and each row's index into them, ``codes``, when that is shorter."""
    if not all(isinstance(v, str) for v in col):
        return col
    levels = list(dict.fromkeys(col))
    index = {v: i for i, v in enumerate(levels)}
    packed = {"levels": levels, "codes": [index[v] for v in col]}
    return packed if len(_dumps(packed)) < len(_dumps(col)) else col


def unpack_rows(values: Any) -> Any:
    """The rows that ``pack_rows`` wrote column by column (anything else as it is)."""
    if not isinstance(values, dict) or PACKED not in values:
        return values
    cols = {k: [c["levels"][i] for i in c["codes"]] if isinstance(c, dict) else c
            for k, c in values[PACKED].items()}
    return [{k: cols[k][i] for k in cols} for i in range(values["rows"])]


def _vl_version() -> str:
    """Altair's Vega-Lite version, major.minor. Read from Altair's schema module's source when
    Altair is not loaded yet: importing Altair costs the build 0.2 s, and the build's own
    process has no other use for it."""
    import sys

    if "altair" not in sys.modules:
        import importlib.util

        spec = importlib.util.find_spec("altair")
        for folder in (spec.submodule_search_locations or []) if spec else []:
            try:
                text = (Path(folder) / "vegalite" / "v5" / "schema" / "__init__.py").read_text(
                    encoding="utf-8")
            except OSError:
                continue
            found = re.search(r'^SCHEMA_VERSION = "v(\d+)\.(\d+)\.', text, re.M)
            if found:
                return f"{found.group(1)}.{found.group(2)}"
    import altair as alt

    return ".".join(alt.VEGALITE_VERSION.split(".")[:2])


@functools.lru_cache(maxsize=1)
def _compile_version() -> str | None:
    """The Vega-Lite version charts are compiled with: Altair's, when vl-convert has it (else
    vl-convert's default)."""
    import vl_convert as vlc

    major_minor = _vl_version()
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def _transform_types(node: Any) -> set[str]:
    """The type of every transform in a Vega spec."""
    found: set[str] = set()
    if isinstance(node, dict):
        transforms = node.get("transform")
        for t in transforms if isinstance(transforms, list) else []:
            if isinstance(t, dict) and isinstance(t.get("type"), str):
                found.add(t["type"])
        for key, value in node.items():
            if key != "values":
                found |= _transform_types(value)
    elif isinstance(node, list):
        for item in node:
            found |= _transform_types(item)
    return found


def compile_chart(spec: dict) -> tuple[dict, dict]:
    """A chart's Vega-Lite spec compiled to Vega (for the page: large datasets packed column
    by column), and the Vega-Lite spec for its spec file, whose datasets that the Vega spec
    already holds are left out (``null``: the runtime takes them from the page)."""
    import vl_convert as vlc

    vega = vlc.vegalite_to_vega(spec, vl_version=_compile_version())
    missing = sorted({t for t in _transform_types(vega) if t in LEFT_OUT_TRANSFORMS})
    if missing:
        raise ValueError(
            f"the chart {_chart_title(spec) or '(untitled)'!r} uses the Vega transform(s) "
            f"{', '.join(missing)}, which the book's Vega runtime leaves out: add "
            f"{', '.join(sorted({LEFT_OUT_TRANSFORMS[t] for t in missing}))} to _RUNTIME_MODULES "
            "(and its transforms to util.extend) in trustlab/sphinxext.py")
    inline = {d.get("name"): d.get("values") for d in vega.get("data") or []
              if isinstance(d, dict) and isinstance(d.get("values"), list)}
    for d in vega.get("data") or []:
        if isinstance(d, dict) and "values" in d:
            d["values"] = pack_rows(d["values"])
    lite = dict(spec)
    if isinstance(spec.get("datasets"), dict):
        lite["datasets"] = {name: None if inline.get(name) == rows else rows
                            for name, rows in spec["datasets"].items()}
    return vega, lite


def _narrow_vega(spec: dict, vega: dict) -> dict:
    """The chart's layout for a phone (trustlab.chartfit), compiled to Vega, with the datasets
    the page already holds left out (``null``: the runtime takes them from the page)."""
    import vl_convert as vlc

    from .chartfit import phone_layout, stack_legends

    version = _compile_version()

    def draw_width(lite: dict) -> float:
        svg = vlc.vegalite_to_svg(lite, vl_version=version)
        found = re.search(r'<svg[^>]*\swidth="([0-9.]+)"', svg)
        return float(found.group(1)) if found else 0.0

    lite, scale = phone_layout(spec, draw_width)
    narrow = stack_legends(vlc.vegalite_to_vega(lite, vl_version=version))
    narrow["usermeta"] = {"trustlabScale": scale}
    page = {d.get("name"): d["values"] for d in vega.get("data") or []
            if isinstance(d, dict) and "values" in d}
    for d in narrow.get("data") or []:
        if isinstance(d, dict) and d.get("name") in page and "values" in d \
                and unpack_rows(page[d["name"]]) == d["values"]:
            d["values"] = None
    return narrow


def chart_html(spec: dict, spec_dir: Path | None = None) -> str:
    """The HTML for one chart: a target div, the chart compiled to Vega as inert JSON, a live
    line that the chart runtime keeps in step with the chart's controls, the text
    description, and the data table. The chart's Vega-Lite spec (needed only to fit the
    chart to a narrow box) is written to ``spec_dir`` under a content-hashed name that the
    chart's ``data-spec`` gives. The chart runtime gives the drawn SVG one name (the title)
    and one description (the text description); no wrapper repeats them."""
    text = _dumps(spec)
    chart_id = "chart-" + hashlib.sha1(text.encode()).hexdigest()[:10]
    meta = (spec.get("usermeta") or {}).get("trustlab") or {}
    lang = meta.get("lang", "en")  # the language the chart was made in (trustlab.i18n)
    t = translator(lang)
    table = meta.get("table")
    if table is not None:  # printed as HTML below: the browser does not need it twice
        spec = dict(spec, usermeta=dict(spec["usermeta"],
                                        trustlab={k: v for k, v in meta.items() if k != "table"}))
    vega, lite = compile_chart(spec)
    lite_text = _dumps(lite)
    spec_name = f"{hashlib.sha1(lite_text.encode()).hexdigest()[:16]}.json"
    narrow_text = _dumps(_narrow_vega(spec, vega))
    narrow_name = f"{hashlib.sha1(narrow_text.encode()).hexdigest()[:16]}.json"
    vega_text = _dumps(vega)
    safe = vega_text.replace("</", "<\\/")  # a spec can never close the script element
    files = [(spec_name, lite_text), (narrow_name, narrow_text)]
    vega_attr = ""
    if spec_dir is not None and len(safe) > INLINE_LIMIT:
        # A large chart (a map's geometry, long tables): its compiled spec is a file the
        # runtime fetches when the chart comes near the view, not part of the page.
        vega_name = f"vg-{hashlib.sha1(vega_text.encode()).hexdigest()[:16]}.json"
        files.append((vega_name, vega_text))
        vega_attr = f' data-vega="specs/{vega_name}"'
    if spec_dir is not None:
        for name, content in files:
            target = Path(spec_dir) / name
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(content, encoding="utf-8")
                os.replace(tmp, target)
    title = html.escape(_chart_title(spec) or t("Chart"), quote=True)
    desc_label = html.escape(t("Text description"))
    desc = spec.get("description", "")
    live = ""
    if meta.get("live"):
        live = (f'<p class="trustlab-chart-live" id="{chart_id}-live" aria-live="off" '
                f'aria-atomic="true" data-signal="{html.escape(str(meta["live"]), quote=True)}">'
                f"</p>")
    return (
        f'<div class="trustlab-chart" id="{chart_id}" data-title="{title}" '
        f'data-spec="specs/{spec_name}" data-narrow="specs/{narrow_name}"{vega_attr}>'
        f'<div class="trustlab-chart-target"></div>'
        + ("" if vega_attr else f'<script type="application/json">{safe}</script>')
        + f'{live}'
        f'<details class="trustlab-chart-desc"><summary>{desc_label}</summary>'
        f'<p id="{chart_id}-desc">{html.escape(desc)}</p></details>'
        + (table_html(table, chart_id, lang) if table is not None else "")
        + "</div>"
    )


_CODE_DIGEST: dict[str, str] = {}


def _code_digest() -> str:
    """A digest of the code that turns a chart into HTML or a page into its edition (this
    module, chartfit.py and editions.py)."""
    if not _CODE_DIGEST:
        here = Path(__file__).parent
        _CODE_DIGEST["d"] = hashlib.sha256((here / "sphinxext.py").read_bytes()
                                           + (here / "chartfit.py").read_bytes()
                                           + (here / "editions.py").read_bytes()).hexdigest()
    return _CODE_DIGEST["d"]


def cached_chart_html(spec: dict, spec_dir: Path | None) -> str:
    """``chart_html``, kept between builds: compiling a chart and its phone layout takes a
    quarter of a second, and a prose edit reads the page's unchanged charts again. The key is
    the chart's spec, the vl-convert version and the code that makes the HTML; the files the
    HTML names must still be there."""
    if spec_dir is None:
        return chart_html(spec, spec_dir)
    import vl_convert as vlc

    key = hashlib.sha256((_dumps(spec) + getattr(vlc, "__version__", "")
                          + _code_digest()).encode()).hexdigest()[:24]
    # (beside, not inside, the static folder the book copies: _build/.trustlab-charts)
    cache = Path(spec_dir).parent.parent.parent / ".trustlab-charts" / f"{key}.html"
    if cache.is_file():
        text = cache.read_text(encoding="utf-8")
        if all((Path(spec_dir) / name).is_file()
               for name in re.findall(r'data-(?:spec|narrow|vega)="specs/([^"]+)"', text)):
            return text
    text = chart_html(spec, spec_dir)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, cache)
    return text


class VegaLiteRenderer:
    """myst-nb mime renderer plugin (entry point ``myst_nb.mime_renderers``)."""

    mime_priority_overrides = [
        ("html", "application/vnd.vegalite.v6.json", 1),
        ("html", "application/vnd.vegalite.v6+json", 2),
        ("html", "application/vnd.vegalite.v5+json", 3),
        # ipywidgets need a live kernel: in the static book show the HTML fallback instead
        # of a dead control (see trustlab.widgets.live).
        ("html", "application/vnd.jupyter.widget-view+json", None),
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if inline or not _is_vegalite(data.mime_type):
            return None
        content = data.content
        spec = json.loads(content) if isinstance(content, (str, bytes)) else content
        if not str(spec.get("description", "")).strip():
            renderer.logger.warning(
                "chart has no text description: give it one with "
                ".properties(description=...) (trustlab.charts builders do).",
                subtype="trustlab", line=data.line)
        # The Vega runtime draws every chart at every width (wide, or the build's phone
        # layout): it downloads while the page is read. charts.js loads the Vega-Lite bundle
        # only when a chart must be fitted by measuring (see its header).
        renderer.add_js_file("trustlab-vega", RUNTIME, {"defer": "defer"})
        renderer.add_js_file("trustlab-charts", "trustlab/charts.js", {"defer": "defer"})
        env = getattr(renderer.renderer, "sphinx_env", None)
        if env is not None:
            pages = getattr(env, "trustlab_chart_pages", set())
            pages.add(env.docname)
            env.trustlab_chart_pages = pages
        return [nodes.raw("", cached_chart_html(spec, _BUNDLE_STATE.get("specs")),
                          format="html")]


# ----------------------------------------------------------------------------------------
# Static files: the vega bundle is generated from the pinned vl-convert package.


_BUNDLE_STATE: dict[str, Path] = {}  # where this build writes the charts' spec files
# vl-convert bundles its snippet with the modules it holds, named by their jsDelivr address
# (it fetches nothing: the modules are inside the package). Its own `vega` and `vegaLite` names
# are the modules' default exports, which are empty, so the snippets import the namespaces.
_ESM = "https://cdn.jsdelivr.net/npm/{}@{}/+esm"
# What each bundle needs if that fails: vega-embed carries both namespaces (and more bytes).
_FALLBACK = "window.vega = vegaEmbed.vega;\nwindow.vegaLite = vegaEmbed.vegaLite;"


# The Vega runtime of chart pages is Vega without the modules of transforms that Vega-Lite
# does not write for the course's charts (force layouts, trees, labels, regressions, Voronoi,
# word clouds, crossfilters): 503 KB instead of 586 KB (176 KB gzip instead of 205 KB). A chart
# that needs one of them fails the build (compile_chart) until its module is added here.
_RUNTIME_MODULES = ("vega-dataflow", "vega-transforms", "vega-view-transforms", "vega-encode",
                    "vega-geo", "vega-util", "vega-loader", "vega-scenegraph", "vega-statistics",
                    "vega-time", "vega-scale", "vega-projection", "vega-view", "vega-format",
                    "vega-functions", "vega-parser", "vega-runtime", "vega-expression",
                    "vega-event-selector")
LEFT_OUT_TRANSFORMS = {
    "force": "vega-force", "nest": "vega-hierarchy", "pack": "vega-hierarchy",
    "partition": "vega-hierarchy", "stratify": "vega-hierarchy", "tree": "vega-hierarchy",
    "treelinks": "vega-hierarchy", "treemap": "vega-hierarchy", "label": "vega-label",
    "loess": "vega-regression", "regression": "vega-regression", "voronoi": "vega-voronoi",
    "wordcloud": "vega-wordcloud", "crossfilter": "vega-crossfilter",
    "resolvefilter": "vega-crossfilter"}
_RUNTIME_SNIPPET = """\
import {{ transforms, Dataflow, EventStream, Parameters, Pulse, MultiPulse, Operator, Transform,
  changeset, ingest, isTuple, definition, transform, tupleid }} from "{vega-dataflow}";
import * as tx from "{vega-transforms}";
import * as vtx from "{vega-view-transforms}";
import * as encode from "{vega-encode}";
import * as geo from "{vega-geo}";
import * as util from "{vega-util}";
import * as loader from "{vega-loader}";
import * as scenegraph from "{vega-scenegraph}";
import * as statistics from "{vega-statistics}";
import * as time from "{vega-time}";
import {{ scale, scheme, interpolate, interpolateColors, interpolateRange, quantizeInterpolator }}
  from "{vega-scale}";
import {{ projection }} from "{vega-projection}";
import {{ View }} from "{vega-view}";
import {{ numberFormatDefaultLocale, timeFormatDefaultLocale, locale, defaultLocale,
  resetDefaultLocale }} from "{vega-format}";
import {{ expressionFunction }} from "{vega-functions}";
import {{ parse }} from "{vega-parser}";
import {{ context }} from "{vega-runtime}";
import {{ codegenExpression, parseExpression }} from "{vega-expression}";
import {{ parseSelector }} from "{vega-event-selector}";
util.extend(transforms, tx, vtx, encode, geo);
window.vega = Object.assign({{}}, statistics, time, util, loader, scenegraph, {{
  Dataflow, EventStream, Parameters, Pulse, MultiPulse, Operator, Transform, changeset, ingest,
  isTuple, definition, transform, transforms, tupleid, scale, scheme, interpolate,
  interpolateColors, interpolateRange, quantizeInterpolator, projection, View,
  formatLocale: numberFormatDefaultLocale, timeFormatLocale: timeFormatDefaultLocale, locale,
  defaultLocale, resetDefaultLocale, expressionFunction, parse, runtimeContext: context,
  codegenExpression, parseExpression, parseSelector, version: "{version}"}});
"""


def _held_versions(vlc: Any) -> dict[str, list[str]]:
    """The versions of each Vega module vl-convert holds (their addresses are in its library)."""
    found: dict[str, set[str]] = {}
    for lib in Path(vlc.__file__).parent.glob("*.so*"):
        for name, version in re.findall(rb"/npm/(vega-[a-z-]+)@([0-9][0-9.]*)/\+esm",
                                        lib.read_bytes()):
            found.setdefault(name.decode(), set()).add(version.decode())
    return {k: sorted(v) for k, v in found.items()}


def _runtime_snippet(vlc: Any) -> str | None:
    """The slim runtime's snippet, or None when vl-convert does not hold exactly one version of
    each module it needs (then the runtime is the whole of Vega)."""
    try:
        held = _held_versions(vlc)
    except OSError:
        return None
    if any(len(held.get(m, [])) != 1 for m in _RUNTIME_MODULES):
        return None
    return _RUNTIME_SNIPPET.format(version=vlc.get_vega_version(),
                                   **{m: _ESM.format(m, held[m][0]) for m in _RUNTIME_MODULES})


def _bundle_snippets(vlc: Any, major_minor: str) -> dict[str, str]:
    vega = f'import * as vegaNs from "{_ESM.format("vega", vlc.get_vega_version())}";\n'
    # The full Vega-Lite version (6.1.0 for 6.1) is written in its module.
    full = re.findall(r'"(' + re.escape(major_minor) + r'\.\d+)"',
                      vlc.javascript_bundle(vl_version=major_minor))
    lite = f'import * as liteNs from "{_ESM.format("vega-lite", full[0])}";\n' if full else ""
    return {RUNTIME: _runtime_snippet(vlc) or (vega + "window.vega = vegaNs;"),
            LITE_BUNDLE: (vega + lite + "window.vega = vegaNs;\nwindow.vegaLite = liteNs;")
            if lite else _FALLBACK}


def _bundle_cache(version: str) -> Path:
    """This machine's copy of the bundles for one vl-convert version (making them takes
    seconds, and a new build folder, such as a clean build or a test's copy of the course,
    would otherwise make them again): $TRUSTLAB_CACHE, else the user's cache folder."""
    base = os.environ.get("TRUSTLAB_CACHE") or os.environ.get("XDG_CACHE_HOME") \
        or str(Path.home() / ".cache")
    key = hashlib.sha256(version.encode()).hexdigest()[:16]
    return Path(base) / "trustlab" / "bundles" / key


def _bundles_from_cache(version: str, gen: Path) -> bool:
    cache = _bundle_cache(version)
    if not all((cache / b).is_file() for b in (RUNTIME, LITE_BUNDLE)):
        return False
    for b in (RUNTIME, LITE_BUNDLE):
        (gen / b).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / b, gen / b)
    return True


def _bundles_to_cache(version: str, gen: Path) -> None:
    cache = _bundle_cache(version)
    try:
        for b in (RUNTIME, LITE_BUNDLE):
            (cache / b).parent.mkdir(parents=True, exist_ok=True)
            tmp = (cache / b).with_name(f".{Path(b).name}.{os.getpid()}.tmp")
            shutil.copyfile(gen / b, tmp)
            os.replace(tmp, cache / b)
    except OSError:  # a read-only home: the build goes on without the cache
        pass


def _make_bundles(vlc: Any, major_minor: str, gen: Path) -> None:
    for name, snippet in _bundle_snippets(vlc, major_minor).items():
        try:
            js = vlc.javascript_bundle(snippet, vl_version=major_minor)
        except Exception as err:  # a module vl-convert does not hold: vega-embed's copy
            LOG.warning(f"trustlab: {name} falls back to vega-embed's copy of Vega ({err})",
                        type="trustlab", subtype="bundle")
            js = vlc.javascript_bundle(_FALLBACK, vl_version=major_minor)
        # A classic script shares the page's global scope with Sphinx's own scripts (which
        # declare e.g. `const _`): wrap the bundle so its top-level names stay private.
        (gen / name).write_text('(function () {\n"use strict";\n' + js +
                                "\n}).call(window);\n", encoding="utf-8")


def _make_bundles_apart(major_minor: str, gen: Path) -> None:
    """Make the bundles in a process of their own. Bundling starts vl-convert's JavaScript
    engine and its threads; Sphinx then forks the processes that read pages in parallel, and
    a forked copy of a process whose engine is running hangs the first time it compiles a
    chart."""
    import subprocess
    import sys

    code = ("import sys, vl_convert\nfrom pathlib import Path\n"
            "from trustlab.sphinxext import _make_bundles\n"
            "_make_bundles(vl_convert, sys.argv[1], Path(sys.argv[2]))\n")
    done = subprocess.run([sys.executable, "-c", code, major_minor, str(gen)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("trustlab: making the chart bundles failed:\n"
                           + (done.stderr or done.stdout)[-3000:])
    if done.stderr.strip():
        LOG.info(done.stderr.strip())


def _write_bundle(app: Sphinx, config: Any) -> None:
    import vl_convert as vlc

    major_minor = _compile_version() or vlc.get_vegalite_versions()[-1]
    gen = Path(app.outdir).parent / ".trustlab-static"
    stamp = gen / "trustlab" / "bundle.version"
    version = f"{getattr(vlc, '__version__', '')}|{major_minor}|vega+lite namespaces|slim"
    if not (all((gen / b).is_file() for b in (RUNTIME, LITE_BUNDLE)) and stamp.is_file()
            and stamp.read_text() == version):
        stamp.parent.mkdir(parents=True, exist_ok=True)
        (gen / "trustlab" / "vega-bundle.js").unlink(missing_ok=True)  # the one bundle of old
        if not _bundles_from_cache(version, gen):
            _make_bundles_apart(major_minor, gen)
            _bundles_to_cache(version, gen)
        stamp.write_text(version)
    _BUNDLE_STATE["specs"] = gen / SPEC_FOLDER
    for path in (str(STATIC_DIR), str(gen)):
        if path not in config.html_static_path:
            config.html_static_path.append(path)


# ----------------------------------------------------------------------------------------
# Stale outputs. myst-nb's execution cache (jupyter-cache) keys a page on its code only, but
# its charts and glued numbers also depend on the datasets, the bibliography and the trustlab
# modules the code read. While a page executes, trustlab.reads records those inputs (the
# kernel inherits $TRUSTLAB_READS_LOG); the extension stores their content digests per page
# in _build/.trustlab-deps.json. On the next build a page whose recorded inputs changed is
# re-read, its cache entry is dropped and it is executed again; every other page keeps its
# cache. A page with no record (never executed under this scheme) counts as changed.

DEPS_FILE = ".trustlab-deps.json"
DEPS_VERSION = 1
_STATE: dict[str, Any] = {}  # the running build: app, stored records, the page executing


def _deps_path(app: Sphinx) -> Path:
    return Path(app.outdir).parent / DEPS_FILE


def _load_deps(app: Sphinx) -> dict[str, dict] | None:
    """The stored records by page source (relative to the book root), or None when there is
    no usable store (first build, an older format, a damaged file)."""
    try:
        stored = json.loads(_deps_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("version") != DEPS_VERSION:
        return None
    pages = stored.get("pages")
    return pages if isinstance(pages, dict) else None


def _save_deps(app: Sphinx, page: str | None = None) -> None:
    """Merge this process's record of ``page`` (or, without it, of every page this process
    executed) into the store on disk. Pages are read, and so executed, by several processes
    at once (Sphinx's parallel read forks workers); each merges under a lock, so none erases
    another's records, and the main process never overwrites them with its older view."""
    path = _deps_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        pages = _load_deps(app) or {}
        for name in ([page] if page is not None else sorted(_STATE.get("touched", ()))):
            if name in _STATE["pages"]:
                pages[name] = _STATE["pages"][name]
            else:
                pages.pop(name, None)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": DEPS_VERSION, "pages": pages},
                                  indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


def _rel_to_root(app: Sphinx, target: str) -> str:
    p = Path(target)
    try:
        return p.resolve().relative_to(Path(app.srcdir).resolve()).as_posix()
    except ValueError:
        return str(p)


def _abs_from_root(app: Sphinx, rel: str) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else Path(app.srcdir) / p


def _digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def _input_digest(app: Sphinx, key: str) -> str:
    """The current digest of one recorded input (``file:…``, ``resource:…#name``), computed
    once per build: inputs do not change while the book builds."""
    memo = _STATE.setdefault("digests", {})
    if key not in memo:
        memo[key] = _compute_digest(app, key)
    return memo[key]


def _compute_digest(app: Sphinx, key: str) -> str:
    kind, _, target = key.partition(":")
    if kind == "resource":
        file, _, name = target.rpartition("#")
        try:
            pkg = json.loads(_abs_from_root(app, file).read_text(encoding="utf-8"))
            entry = next((r for r in pkg.get("resources", []) if r.get("name") == name), None)
        except (OSError, ValueError, AttributeError):
            return "unreadable"
        if entry is None:
            return "missing"
        return _digest_bytes(json.dumps(entry, sort_keys=True).encode())
    try:
        return _digest_bytes(_abs_from_root(app, target).read_bytes())
    except OSError:
        return "missing"


def _all_modules(app: Sphinx) -> list[str]:
    pkg = Path(__file__).resolve().parent
    return [_rel_to_root(app, str(p)) for p in sorted(pkg.rglob("*.py"))]


def _record_from_log(app: Sphinx, log: Path) -> dict[str, str]:
    """Turn a kernel's reads log into {input key: digest}."""
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    keys: set[str] = set()
    complete = "end" in lines
    for line in lines:
        kind, _, target = line.partition(" ")
        if kind in ("file", "module"):
            keys.add("file:" + _rel_to_root(app, target))
        elif kind == "resource":
            file, _, name = target.rpartition("#")
            keys.add(f"resource:{_rel_to_root(app, file)}#{name}")
    if not complete:
        # The kernel did not say goodbye (killed, or exited without running atexit): a module
        # it imported late may be missing, so the page depends on every trustlab module.
        keys.update("file:" + m for m in _all_modules(app))
    return {k: _input_digest(app, k) for k in sorted(keys)}


def changed_inputs(app: Sphinx, source: str | Path) -> list[str] | None:
    """The recorded inputs of a page whose content changed since it was executed; ``None``
    when the page has no record."""
    rec = _STATE.get("pages", {}).get(_rel_to_root(app, str(source)))
    if rec is None:
        return None
    return [k for k, d in rec.get("inputs", {}).items() if _input_digest(app, k) != d]


def _declare_parallel_safe(app: Sphinx) -> None:
    """Two extensions jupyter-book loads do not say whether pages may be read in parallel, so
    Sphinx would read serially (one kernel at a time). Both were read for this: for an HTML
    build sphinx-multitoc-numbering only replaces the section numbering, which runs in the
    main process after every page is read, and sphinx-jupyterbook-latex stores nothing while
    a page is read (its transforms act for LaTeX builders only)."""
    reviewed = ["sphinx_multitoc_numbering"]
    if app.builder.format == "html":
        reviewed.append("sphinx_jupyterbook_latex")
    for name in reviewed:
        ext = app.extensions.get(name)
        if ext is not None and ext.parallel_read_safe is None:
            ext.parallel_read_safe = True


def _init_deps(app: Sphinx) -> None:
    _STATE.clear()
    stored = _load_deps(app)
    _STATE.update(app=app, pages=stored or {}, fresh_store=stored is None, current=None)
    _patch_myst_nb()


def _outdated(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """Pages to re-read although their source did not change: their inputs did."""
    if _STATE.get("fresh_store"):
        # No record of what any page read (first build with this scheme, or the store was
        # lost): re-read every page once so each gets a record.
        return sorted(set(env.found_docs) - added - changed)
    out = []
    for doc in sorted(set(env.found_docs) - added - changed):
        source = env.doc2path(doc)
        diff = changed_inputs(app, source)
        if diff is None and _executes(app, source):
            LOG.info(f"trustlab: {doc} re-executes: no record of what it reads")
            out.append(doc)
        elif diff:
            LOG.info(f"trustlab: {doc} re-executes: {', '.join(k.split(':', 1)[1] for k in diff)}"
                     " changed")
            out.append(doc)
    return out


def _executes(app: Sphinx, source: str | Path) -> bool:
    """Whether the build executes this page (a notebook not excluded from execution)."""
    from pathlib import PurePosixPath

    path = Path(source)
    if path.suffix == ".ipynb":
        is_notebook = True
    elif path.suffix == ".md":
        try:
            is_notebook = "{code-cell}" in path.read_text(encoding="utf-8")
        except OSError:
            is_notebook = False
    else:
        is_notebook = False
    if not is_notebook:
        return False
    posix = PurePosixPath(path.as_posix())
    patterns = getattr(app.config, "nb_execution_excludepatterns", None) or []
    return not any(posix.match(p) for p in patterns)


def _patch_myst_nb() -> None:
    """Wrap myst-nb's cached execution: drop a page's cache entry when its inputs changed,
    and record what the page reads when it is executed."""
    from myst_nb.core.execute import cache as nbcache

    if getattr(nbcache.NotebookClientCache.start_client, "_trustlab", False):
        return
    original_start = nbcache.NotebookClientCache.start_client
    original_execute = nbcache.single_nb_execution

    def start_client(self: Any) -> None:
        app = _STATE.get("app")
        if app is None or self.path is None:
            return original_start(self)
        diff = changed_inputs(app, self.path)
        if diff is None or diff:
            _drop_cache_entry(self)
        _STATE["current"] = Path(self.path)
        try:
            return original_start(self)
        finally:
            _STATE["current"] = None

    def single_nb_execution(*args: Any, **kwargs: Any) -> Any:
        app, page = _STATE.get("app"), _STATE.get("current")
        if app is None or page is None:
            return original_execute(*args, **kwargs)
        logs = Path(app.outdir).parent / ".trustlab-reads"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / (hashlib.sha1(str(page).encode()).hexdigest()[:16] + ".log")
        log.unlink(missing_ok=True)
        saved = {name: os.environ.get(name)
                 for name in (READS_ENV, FAST_EXIT_ENV, CHECK_CACHE_ENV)}
        os.environ[READS_ENV] = str(log)
        os.environ[FAST_EXIT_ENV] = "1"
        os.environ[CHECK_CACHE_ENV] = str(Path(app.outdir).parent / ".trustlab-checks")
        try:
            result = original_execute(*args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        rel = _rel_to_root(app, str(page))
        _STATE.setdefault("touched", set()).add(rel)
        if result.err is None:
            _STATE["pages"][rel] = {"inputs": _record_from_log(app, log)}
        else:
            _STATE["pages"].pop(rel, None)  # a failed page runs again next time
        log.unlink(missing_ok=True)
        _save_deps(app, rel)
        return result

    start_client._trustlab = True  # type: ignore[attr-defined]
    nbcache.NotebookClientCache.start_client = start_client
    nbcache.single_nb_execution = single_nb_execution


def _drop_cache_entry(client: Any) -> None:
    from jupyter_cache import get_cache

    cache = get_cache(client.nb_config.execution_cache_path or ".jupyter_cache")
    try:
        record = cache.match_cache_notebook(client.notebook)
    except KeyError:
        return
    with contextlib.suppress(KeyError, OSError):
        cache.remove_cache(record.pk)


def _finish_deps(app: Sphinx, exception: Exception | None) -> None:
    if _STATE.get("app") is app and _STATE.get("fresh_store"):
        _save_deps(app)  # even with no page executed, the store now exists
    _STATE.clear()


def _assets_digest(app: Sphinx, config: Any) -> None:
    """Record a digest of the course's static files as an HTML config value: Sphinx rewrites
    every page when it changes, so a page never links a stale set of fixes."""
    h = hashlib.sha256(__version__.encode() + Path(__file__).read_bytes())
    for f in sorted((STATIC_DIR / "trustlab").glob("*")):
        h.update(f.name.encode() + f.read_bytes())
    config.trustlab_assets = h.hexdigest()[:16]


def _chart_css(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any):
    if pagename in getattr(app.env, "trustlab_chart_pages", set()):
        app.add_css_file("trustlab/charts.css")


# ----------------------------------------------------------------------------------------
# Accessibility fixes to the HTML the course's tools write (checked by axe-core in
# tests/test_accessibility.py). Each is a small rewrite of markup whose meaning is known.

# docutils writes citation lists as role="list" holding role="doc-biblioentry" items: the
# role is deprecated in ARIA 1.2 and a list must hold list items.
_BIBLIOENTRY = 'role="doc-biblioentry"'
# pandas writes the top-left corner of a table (above the index) as an empty header cell.
_EMPTY_TH = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;|&#160;)*</th>")
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.S)
_SCROLLERS = ("pst-scrollable-table-container", "trustlab-table-scroll")
# The sidebar's "show sub-pages" toggles are <summary> elements holding only an icon.
_SUMMARY = re.compile(r'(<a class="[^"]*reference internal[^"]*"[^>]*>(.*?)</a>\s*<details[^>]*>\s*'
                      r"<summary>)(?!<span class=\"visually-hidden\")")


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def accessible_body(body: str, lang: str = "en") -> str:
    """Rewrite a page body: citation entries become list items; empty corner header cells
    become data cells; a wide table not already in a scrolling container gets one (named
    by its caption, focusable so keyboard users can scroll it)."""
    t = translator(lang)
    body = body.replace(_BIBLIOENTRY, 'role="listitem"')
    body = _EMPTY_TH.sub(lambda m: f"<td{m.group(1) or ''}></td>", body)

    count = 0

    def wrap(m: re.Match) -> str:
        nonlocal count
        # Already inside a scrolling container: the innermost <div> open before the table.
        before = body[max(0, m.start() - 400):m.start()]
        opened = before.rfind("<div")
        if opened >= 0 and "</div>" not in before[opened:] and \
                any(s in before[opened:before.find(">", opened) + 1] for s in _SCROLLERS):
            return m.group(0)
        count += 1
        cap = _CAPTION.search(m.group(0))
        label = html.escape(_plain(cap.group(1)) if cap else t("Table {n}").format(n=count),
                            quote=True)
        return (f'<div class="trustlab-table-scroll" role="region" tabindex="0" '
                f'aria-label="{label}">{m.group(0)}</div>')

    return _TABLE.sub(wrap, body)


def accessible_toctree(toc: str, lang: str = "en") -> str:
    """Give every sidebar toggle a name: "Sub-pages of <section>"."""
    t = translator(lang)
    return _SUMMARY.sub(lambda m: m.group(1) + '<span class="visually-hidden">'
                        + html.escape(t("Sub-pages of {section}").format(
                            section=_plain(m.group(2)))) + "</span>", toc)


def _accessible_page(app: Sphinx, pagename: str, templatename: str, context: dict,
                     doctree: Any) -> None:
    from .editions import language

    lang = language(app)
    if isinstance(context.get("body"), str):
        context["body"] = accessible_body(context["body"], lang)
    make_toc = context.get("generate_toctree_html")
    if callable(make_toc) and not getattr(make_toc, "_trustlab", False):
        def generate_toctree_html(*args: Any, **kwargs: Any) -> Any:
            out = make_toc(*args, **kwargs)
            kind = kwargs.get("kind", args[0] if args else None)
            if kind != "sidebar":  # "raw" callers want the theme's parsed tree
                return out
            from markupsafe import Markup  # the sidebar is written into the page as is

            return Markup(accessible_toctree(str(out), lang))
        generate_toctree_html._trustlab = True  # type: ignore[attr-defined]
        context["generate_toctree_html"] = generate_toctree_html


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "trustlab_chart_pages", set()).discard(docname)


def _merge(app: Sphinx, env: Any, docnames: Any, other: Any) -> None:
    pages = getattr(env, "trustlab_chart_pages", set())
    pages |= getattr(other, "trustlab_chart_pages", set())
    env.trustlab_chart_pages = pages


# ----------------------------------------------------------------------------------------
# Datasheets


def _expand_datasheets(app: Sphinx, docname: str, source: list[str]) -> None:
    if DATASHEETS_MARKER not in source[0]:
        return
    from . import data

    base = data.data_dir()
    app.env.note_dependency(str(base / "datapackage.json"))
    for res in data.package().get("resources", []):
        app.env.note_dependency(str(base / res["path"]))
        if isinstance(res.get("schema"), str):
            app.env.note_dependency(str(base / res["schema"]))
    source[0] = source[0].replace(DATASHEETS_MARKER, datasheets_markdown())


REVIEW_MARKER = "<!-- trustlab:review -->"


def _expand_review(app: Sphinx, docname: str, source: list[str]) -> None:
    if REVIEW_MARKER not in source[0]:
        return
    from . import data, review

    for f in review.review_dir().glob("*.csv"):
        app.env.note_dependency(str(f))
    app.env.note_dependency(str(data.bib_path()))
    try:
        text = review.review_markdown()
    except review.ReviewError as e:
        LOG.warning(f"trustlab: the review table is malformed: {e}", location=docname)
        text = f":::{{error}}\nThe review table is malformed: {e}\n:::"
    source[0] = source[0].replace(REVIEW_MARKER, text)


def datasheets_markdown() -> str:
    """MyST text with one datasheet section per dataset in the data package."""
    from . import data, editions

    out: list[str] = []
    for res in data.package().get("resources", []):
        name = res["name"]
        sheet = res.get("datasheet", {})
        lic = "; ".join(x.get("title") or x.get("name", "") for x in res.get("licenses", []))
        out += [f"({'data-' + name.replace('_', '-')})=", f"## {res.get('title', name)}", ""]
        facts = [f"**Dataset** `{name}`", f"file `datasets/{res['path']}`"]
        if "schema" in res:
            facts.append(f"{len(data.load(name)):,} rows")
        if lic:
            facts.append(f"licence: {lic}")
        # The datasheet's prose stays in English in the Spanish edition (the page says so);
        # its heading and the field descriptions are translated (trustlab/editions.py).
        out += [f"::::{{container}} {editions.ENGLISH_ONLY}", "", " · ".join(facts), "",
                res.get("description", ""), ""]
        for key, label in (("what", "What it is"), ("publisher", "Who published it"),
                           ("period", "Period covered"), ("how_built", "How it was built"),
                           ("limits", "Known limits"), ("update", "How to update it")):
            if sheet.get(key):
                out.append(f"**{label}.** {sheet[key]}")
                out.append("")
        if "schema" in res:
            keys = data.sources_of(name)
            if keys:
                out += [f"**Sources cited in its rows.** {{cite:p}}`{','.join(keys)}`", ""]
        elif res.get("sources"):
            srcs = "; ".join(f"[{s.get('title', s.get('path'))}]({s['path']})"
                             if s.get("path") else s.get("title", "") for s in res["sources"])
            out += [f"**Source.** {srcs}", ""]
        out += ["::::", ""]
        if "schema" in res:
            rows = [":::{list-table}", ":header-rows: 1", ":widths: 20 12 68", "",
                    "* - Column", "  - Type", "  - Meaning"]
            for f in data.schema(name)["fields"]:
                meaning = f.get("description", f.get("title", "")).replace("\n", " ")
                if f.get("unit"):
                    meaning += f" (unit: {f['unit']})"
                rows += [f"* - `{f['name']}`", f"  - {f.get('type', 'string')}",
                         f"  - {meaning or '—'}"]
            out += rows + [":::", ""]
    return "\n".join(out)


def _disable_thebe(app: Sphinx) -> None:
    """Jupyter Book always loads sphinx-thebe, whose launcher points at a CDN (unpkg) and
    whose config script is injected twice per page. The course has no live-code launcher
    (readers must not contact third parties), so its handlers and assets are removed."""
    for event, listeners in list(app.events.listeners.items()):
        app.events.listeners[event] = [
            lis for lis in listeners
            if not getattr(lis.handler, "__module__", "").startswith("sphinx_thebe")]
    app.registry.css_files = [(f, kw) for f, kw in app.registry.css_files
                              if "thebe" not in str(f)]




class ExerciseNotebookDownload(SphinxTransform):
    """In Jupyter, ``[NN-slug.ipynb](NN-slug.ipynb)`` at the top of a student notebook opens the
    file; in the book MyST would make it a link to the page itself. Make it a download of the
    notebook file (before Sphinx collects the downloads of the page)."""

    default_priority = 400  # before DoctreeReadEvent (880), which collects downloads

    def apply(self, **kwargs: Any) -> None:
        docname = self.env.docname
        if not docname.startswith("exercises/student/"):
            return
        for xref in list(self.document.findall(addnodes.pending_xref)):
            if xref.get("refdomain") == "doc" and xref.get("reftarget") == docname:
                link = addnodes.download_reference(
                    "", "", *xref.children, refdoc=docname, refexplicit=True,
                    reftarget=Path(docname).name + ".ipynb")
                xref.replace_self(link)


def setup(app: Sphinx) -> dict:
    app.setup_extension("trustlab.buildspeed")
    _disable_thebe(app)
    app.add_transform(ExerciseNotebookDownload)
    # Page weight: search scripts, icon font, theme CSS and unused files (issue #17).
    app.setup_extension("trustlab.slim")
    # Math as MathML made at build time: no MathJax on any page (trustlab/mathml.py).
    app.setup_extension("trustlab.mathml")
    # The Spanish edition: message templates, notices, links between editions.
    app.setup_extension("trustlab.editions")
    app.connect("config-inited", _write_bundle)
    app.add_config_value("trustlab_assets", "", "html")
    app.connect("config-inited", _assets_digest)
    app.connect("builder-inited", _declare_parallel_safe)
    app.connect("builder-inited", _init_deps)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _finish_deps)
    app.connect("html-page-context", _chart_css)
    # after the theme has put its sidebar function in the context (default priority 500)
    app.connect("html-page-context", _accessible_page, priority=900)
    # Every page: the theme fixes (focus rings, names, landmarks, colour mode).
    app.add_css_file("trustlab/a11y.css")
    app.add_js_file("trustlab/a11y.js", priority=100)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("source-read", _expand_datasheets)
    app.connect("source-read", _expand_review)
    # A page's charts are turned into HTML when the page is read (chart_html): when that code
    # changes, every page is read again (not executed again: the execution cache stays).
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": int(_code_digest()[:12], 16)}
