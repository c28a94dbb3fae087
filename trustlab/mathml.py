"""Math in the book as MathML, made when the book is built (issue #17, "light pages").

Sphinx normally sends TeX to the browser and lets MathJax (over 1 MB of JavaScript and fonts)
draw it. This extension converts each formula to MathML with ``latex2mathml`` while the book
is built instead, so a page with math loads nothing extra: Chromium, Firefox and Safari draw
MathML themselves, and screen readers read it.

* Inline math (``$...$``) becomes ``<math>``; display math (``$$...$$``, amsmath environments)
  becomes ``<math display="block">`` inside a ``<div class="math">`` that carries the
  equation number and its link when Sphinx numbers the equation.
* A formula that cannot be converted is a build warning (so the strict ``-W`` build fails)
  naming the file, the line and the TeX; the page then shows the TeX as code, so nothing
  disappears silently.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

from . import __version__

LOG = logging.getLogger(__name__)
RENDERER = "trustlab_mathml"
BAR = "&#x000AF;"  # how latex2mathml writes \bar
CIRCUMFLEX = "&#x0005E;"  # how latex2mathml writes \hat and \widehat
WIDE_CIRCUMFLEX = "&#x00302;"  # a circumflex that math fonts can stretch over its base

# amsmath's numbered environments: latex2mathml numbers their rows (1), (2)... afresh in
# every formula, which would clash with the book's own numbering; draw them unnumbered.
_NUMBERED_ENVS = re.compile(r"\\(begin|end)\{(align|equation|gather|multline|alignat)\}")
# Commands that only matter to LaTeX's own numbering and cross-references.
_LABELS = re.compile(r"\\label\{[^}]*\}|\\nonumber\b|\\notag\b")


class MathConversionError(ValueError):
    """A formula that latex2mathml cannot turn into correct MathML. The message says why,
    in words a course author can act on."""


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """The MathML for one TeX formula (``<math>``, or ``<math display="block">``).

    Raises MathConversionError when latex2mathml rejects the formula, or when its output
    would draw something other than what the TeX means: a command it does not know (it
    copies ``\\foo`` into the formula as text), a stray ``&`` outside an alignment, or a
    ``\\\\`` line break that browsers do not draw outside an alignment environment."""
    from latex2mathml.converter import Converter

    source = _LABELS.sub("", tex)
    source = _NUMBERED_ENVS.sub(lambda m: f"\\{m.group(1)}{{{m.group(2)}*}}", source).strip()
    if not source:
        raise MathConversionError("the formula is empty")
    try:
        tree = Converter(display="block" if display else "inline").convert_to_element(source)
    except Exception as e:  # latex2mathml raises many exception types, all with the same meaning
        reason = type(e).__name__
        reason = re.sub(r"(?<!^)(?=[A-Z])", " ", reason).lower().removesuffix(" error")
        detail = f": {e}" if str(e) else ""
        raise MathConversionError(f"latex2mathml could not read it ({reason}{detail})") from e
    del tree.attrib["xmlns"]  # implied by a <math> element in an HTML page
    if not display:
        del tree.attrib["display"]  # inline is the default
    _fix_accents(tree)
    out = Converter._convert(tree)
    unknown = sorted(set(re.findall(r"\\[A-Za-z]+|\\.", out)))
    if unknown:
        raise MathConversionError(
            "latex2mathml does not know " + ", ".join(unknown)
            + " and would print it as text")
    if "<mi>&</mi>" in out:
        raise MathConversionError(
            "it has an '&' outside an alignment environment; put aligned rows in "
            "\\begin{align*}...\\end{align*} or \\begin{split}...\\end{split}")
    if 'linebreak="newline"' in out:
        raise MathConversionError(
            "it breaks a line with \\\\ outside an alignment environment, and browsers would "
            "draw the rows on one line; use \\begin{align*}...\\end{align*} or "
            "\\begin{split}...\\end{split}")
    return out


def _fix_accents(tree: Any) -> None:
    """Make latex2mathml's ``\\bar`` and ``\\widehat`` draw as TeX draws them. It writes both
    as an over-script (small, and set apart from the letter) instead of an accent: mark them
    as accents; a bar keeps its own width, and a wide hat uses the circumflex that math fonts
    stretch over the whole base (``\\widehat{\\text{DiD}}``)."""
    for over in tree.iter("mover"):
        mark = over[-1] if len(over) else None
        if mark is None or mark.tag != "mo":
            continue
        if mark.text == BAR:
            over.set("accent", "true")
            mark.set("stretchy", "false")
        elif mark.text == CIRCUMFLEX and over.get("accent") != "true":  # \widehat
            over.set("accent", "true")
            mark.text = WIDE_CIRCUMFLEX
            mark.set("stretchy", "true")


def _location(translator: Any, node: nodes.Element) -> str:
    """``file:line`` of a formula, for warnings (the nearest ancestor with a line when the
    parser gave the formula none)."""
    line = None
    source = None
    here: nodes.Node | None = node
    while here is not None and (line is None or source is None):
        line = line if line is not None else getattr(here, "line", None)
        source = source or getattr(here, "source", None)
        here = here.parent
    builder = getattr(translator, "builder", None)
    docname = getattr(builder, "current_docname", None)
    if docname and getattr(builder, "env", None) is not None:
        try:
            source = str(builder.env.doc2path(docname))
        except Exception:  # an unknown document: keep the node's own source
            pass
    return f"{source or docname or '<unknown document>'}:{line if line is not None else '?'}"


def _render(translator: Any, node: nodes.Element, tex: str, display: bool) -> str:
    """MathML for ``tex``; on failure a warning and the TeX shown as code."""
    try:
        return tex_to_mathml(tex, display)
    except MathConversionError as e:
        shown = " ".join(tex.split())
        LOG.warning(
            f"this formula cannot be drawn as MathML: {e}. The formula: ${shown}$. "
            "Rewrite it with commands latex2mathml 3.81 supports (the other formulas in "
            "the book show what works).",
            location=_location(translator, node), type="trustlab", subtype="math")
        return f'<code class="trustlab-math-error">{html.escape(tex)}</code>'


def visit_inline(self: Any, node: nodes.math) -> None:
    """HTML writer visitor for inline math: the formula's ``<math>``."""
    out = _render(self, node, node.astext(), display=False)
    if node.get("ids"):  # a target on the formula itself
        out = f'<span id="{html.escape(node["ids"][0])}">{out}</span>'
    self.body.append(out)
    raise nodes.SkipNode


def visit_block(self: Any, node: nodes.math_block) -> None:
    """HTML writer visitor for display math: ``<math display="block">`` in a
    ``<div class="math">`` with the equation number (and its link) when there is one. Parts
    separated by a blank line are drawn as separate formulas, one under the other."""
    # focusable: a formula wider than a phone scrolls inside this box, by keyboard too
    self.body.append(self.starttag(node, "div", CLASS="math notranslate trustlab-math",
                                   tabindex="0"))
    if node.get("number") and not node.get("nowrap"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    tex = node.astext()
    parts = [tex] if node.get("nowrap") else [p for p in tex.split("\n\n") if p.strip()]
    for part in parts:
        if r"\\" in part and not node.get("nowrap") and r"\begin" not in part:
            part = r"\begin{split}" + part + r"\end{split}"  # as Sphinx does for MathJax
        self.body.append(_render(self, node, part, display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def _use_mathml(app: Sphinx, config: Any) -> None:
    config.html_math_renderer = RENDERER


def setup(app: Sphinx) -> dict:
    app.add_html_math_renderer(RENDERER, (visit_inline, None), (visit_block, None))
    app.connect("config-inited", _use_mathml)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
