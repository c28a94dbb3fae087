"""Sphinx extension for the course book (listed in ``_config.yml``).

* Renders Altair charts (Vega-Lite JSON outputs of notebooks and glue) with JavaScript served
  from the book's own ``_static/`` folder, and loads it only on pages that have a chart.
* Fails the build (a warning, and the book builds with ``-W``) when a chart has no text
  description, so every chart has alt text.
* Expands ``<!-- trustlab:datasheets -->`` in a page into the datasheets of every dataset.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from . import __version__

LOG = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
BUNDLE = "trustlab/vega-bundle.js"
DATASHEETS_MARKER = "<!-- trustlab:datasheets -->"
VEGALITE_PREFIX = "application/vnd.vegalite.v"


def _is_vegalite(mime: str) -> bool:
    # Altair's mimetype renderer writes application/vnd.vegalite.v6.json (v5: .v5+json).
    return mime.startswith(VEGALITE_PREFIX) and mime.endswith(("+json", ".json"))


def chart_html(spec: dict) -> str:
    """The HTML for one chart: a target div, the spec as inert JSON, and its description."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    chart_id = "chart-" + hashlib.sha1(text.encode()).hexdigest()[:10]
    safe = text.replace("</", "<\\/")  # a spec can never close the script element
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(title)
    desc = spec.get("description", "")
    label = html.escape(str(title or desc or "Chart"), quote=True)
    return (
        f'<div class="trustlab-chart" id="{chart_id}" role="figure" aria-label="{label}">'
        f'<div class="trustlab-chart-target"></div>'
        f'<script type="application/json">{safe}</script>'
        f'<details class="trustlab-chart-desc"><summary>Text description of this chart</summary>'
        f"<p>{html.escape(desc)}</p></details></div>"
    )


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
        renderer.add_js_file("trustlab-vega", BUNDLE, {})
        renderer.add_js_file("trustlab-charts", "trustlab/charts.js", {"defer": "defer"})
        env = getattr(renderer.renderer, "sphinx_env", None)
        if env is not None:
            pages = getattr(env, "trustlab_chart_pages", set())
            pages.add(env.docname)
            env.trustlab_chart_pages = pages
        return [nodes.raw("", chart_html(spec), format="html")]


# ----------------------------------------------------------------------------------------
# Static files: the vega bundle is generated from the pinned vl-convert package.


def _write_bundle(app: Sphinx, config: Any) -> None:
    import altair as alt
    import vl_convert as vlc

    major_minor = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    gen = Path(app.outdir).parent / ".trustlab-static"
    target = gen / BUNDLE
    stamp = gen / "trustlab" / "bundle.version"
    version = f"{vlc.__version__ if hasattr(vlc, '__version__') else ''}|{major_minor}|wrapped"
    if not (target.is_file() and stamp.is_file() and stamp.read_text() == version):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            js = vlc.javascript_bundle(vl_version=major_minor)
        except Exception:  # an unknown version string: fall back to the bundled default
            js = vlc.javascript_bundle()
        # A classic script shares the page's global scope with Sphinx's own scripts (which
        # declare e.g. `const _`): wrap the bundle so its top-level names stay private.
        target.write_text('(function () {\n"use strict";\n' + js + "\n}).call(window);\n",
                          encoding="utf-8")
        stamp.write_text(version)
    for path in (str(STATIC_DIR), str(gen)):
        if path not in config.html_static_path:
            config.html_static_path.append(path)


# ----------------------------------------------------------------------------------------
# Stale outputs: pages are executed once and cached (jupyter-cache keys on a notebook's code
# only), but their charts and glued numbers also depend on trustlab/ and datasets/. When those
# change, every page is re-read and re-executed.

INPUTS_STAMP = ".trustlab-inputs"


def inputs_digest() -> str:
    """Digest of everything a page's outputs depend on besides its own code."""
    from . import data

    pkg = Path(__file__).resolve().parent
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    base = data.data_dir()
    files += sorted(p for p in base.rglob("*") if p.is_file())
    files.append(data.bib_path())
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:20]


def _check_inputs(app: Sphinx, config: Any) -> None:
    stamp = Path(app.outdir).parent / INPUTS_STAMP
    app.trustlab_inputs = inputs_digest()
    old = stamp.read_text().strip() if stamp.is_file() else None
    app.trustlab_inputs_changed = old is not None and old != app.trustlab_inputs
    if app.trustlab_inputs_changed:
        cache = getattr(config, "nb_execution_cache_path", "") or ""
        if cache and Path(cache).is_dir():
            import shutil

            shutil.rmtree(cache, ignore_errors=True)
        LOG.info("trustlab: trustlab/ or datasets/ changed since the last build; "
                    "re-executing every page")


def _outdated(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list[str]:
    if getattr(app, "trustlab_inputs_changed", False):
        return sorted(set(env.found_docs) - added - changed)
    return []


def _save_inputs(app: Sphinx, exception: Exception | None) -> None:
    # only after a clean build: a page that failed must be executed again next time
    if (exception is None and getattr(app, "trustlab_inputs", None)
            and not getattr(app, "_warncount", 0)):
        (Path(app.outdir).parent / INPUTS_STAMP).write_text(app.trustlab_inputs + "\n")


def _chart_css(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any):
    if pagename in getattr(app.env, "trustlab_chart_pages", set()):
        app.add_css_file("trustlab/charts.css")


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


def datasheets_markdown() -> str:
    """MyST text with one datasheet section per dataset in the data package."""
    from . import data

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
        out += [" · ".join(facts), "", res.get("description", ""), ""]
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
            rows = [":::{list-table}", ":header-rows: 1", ":widths: 20 12 68", "",
                    "* - Column", "  - Type", "  - Meaning"]
            for f in data.schema(name)["fields"]:
                meaning = f.get("description", f.get("title", "")).replace("\n", " ")
                if f.get("unit"):
                    meaning += f" (unit: {f['unit']})"
                rows += [f"* - `{f['name']}`", f"  - {f.get('type', 'string')}",
                         f"  - {meaning or '—'}"]
            out += rows + [":::", ""]
        elif res.get("sources"):
            srcs = "; ".join(f"[{s.get('title', s.get('path'))}]({s['path']})"
                             if s.get("path") else s.get("title", "") for s in res["sources"])
            out += [f"**Source.** {srcs}", ""]
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


# ----------------------------------------------------------------------------------------
# Page weight: the theme's icon script

FONTAWESOME_STUB = (
    "/* trustlab: the theme's 1.4 MB Font Awesome script (which swaps <i> icons for inline\n"
    "   SVG) is replaced by this stub. The theme's stylesheet already draws the same icons\n"
    "   from the locally served Font Awesome webfont, so nothing is lost. */\n")


def _slim_fontawesome(app: Sphinx, exception: Exception | None) -> None:
    """Replace the theme's fontawesome.js (loaded on every page) with a stub."""
    if exception is not None or app.builder.format != "html":
        return
    scripts = Path(app.outdir) / "_static" / "scripts"
    target = scripts / "fontawesome.js"
    if target.is_file():
        target.write_text(FONTAWESOME_STUB, encoding="utf-8")
        (scripts / "fontawesome.js.map").unlink(missing_ok=True)


# MathJax (copied into the book by sphinx-mathjax-offline) ships every MathJax bundle plus
# `latest.js`, whose only job is to load MathJax from a CDN, and its bundles carry fallback
# addresses on jsDelivr (an XPath polyfill and speech maps for old browsers). The book uses one
# bundle; the others are removed and the fallback addresses are pointed at a local path that
# does not exist, so no code path in the book can contact a third-party host.
MATHJAX_BUNDLE = "tex-chtml.js"
CDN_PREFIXES = ("https://cdn.jsdelivr.net/npm/", "https://cdnjs.cloudflare.com/ajax/libs/",
                "https://unpkg.com/")
CDN_REPLACEMENT = "./offline-unavailable/"


def _offline_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.outdir) / "_static" / "mathjax"
    if not (root / MATHJAX_BUNDLE).is_file():
        return
    for f in root.glob("*.js"):
        if f.name != MATHJAX_BUNDLE:
            f.unlink()
    for f in root.rglob("*.js"):
        text = f.read_text(encoding="utf-8")
        if any(p in text for p in CDN_PREFIXES):
            for p in CDN_PREFIXES:
                text = text.replace(p, CDN_REPLACEMENT)
            f.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    _disable_thebe(app)
    app.connect("build-finished", _slim_fontawesome)
    # after sphinx-mathjax-offline has copied MathJax (default priority 500)
    app.connect("build-finished", _offline_mathjax, priority=900)
    app.connect("config-inited", _write_bundle)
    app.connect("config-inited", _check_inputs)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _save_inputs)
    app.connect("html-page-context", _chart_css)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("source-read", _expand_datasheets)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
