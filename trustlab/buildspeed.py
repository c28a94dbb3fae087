"""Build speed: keep the authoring loop fast.

Profiling a rebuild with nothing changed (``python -m cProfile`` around ``jupyter-book build``)
showed where the time went before this module existed:

* sphinxcontrib-bibtex re-formats every entry of every reference list on *every* build, in its
  ``env-updated`` handler, even when no page was read again: about 800 formatted entries (the
  chapters' lists, the bibliography page, and a second formatting of each for link tooltips),
  most of the time spent decoding LaTeX accents in pybtex;
* importing ``jsonschema`` (Jupyter Book validates ``_config.yml`` with it) pulls in the optional
  ``rfc3987_syntax`` IRI checker, which compiles a Lark grammar at import time: about a second.
  The handling of that import lives in :mod:`trustlab.build`, which runs before the import.

This extension removes the first cost. When a build reads no page and ``references.bib`` did not
change, the reference lists kept in the environment are reused as they are. Otherwise every
list is assembled again, but each entry is formatted once: a formatted entry is stored in the
Sphinx environment under a key made of the style, the label and the entry's full content, so a
rebuild formats only entries that are new or whose ``references.bib`` record changed. A formatted
entry depends on nothing else, so reusing one cannot go stale.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from typing import Any

from sphinx.application import Sphinx

_MEMO: dict[str, Any] = {}
_USED: set[str] = set()
_PATCHED = {"done": False}
_READING: dict[str, list[str]] = {"docs": []}


def _fingerprint(style: Any, label: str, entry: Any) -> str:
    persons = {role: [str(p) for p in people] for role, people in entry.persons.items()}
    text = repr((type(style).__module__, type(style).__qualname__, label, entry.key, entry.type,
                 sorted(entry.fields.items()), sorted(persons.items())))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _patch_pybtex() -> None:
    if _PATCHED["done"]:
        return
    from pybtex.style.formatting import BaseStyle

    original = BaseStyle.format_entry

    def format_entry(self, label, entry, bib_data=None):
        if bib_data is not None:  # not how sphinxcontrib-bibtex calls it: no reuse
            return original(self, label, entry, bib_data=bib_data)
        key = _fingerprint(self, label, entry)
        _USED.add(key)
        found = _MEMO.get(key)
        if found is None:
            found = _MEMO[key] = original(self, label, entry)
        return found

    BaseStyle.format_entry = format_entry

    from sphinxcontrib.bibtex.domain import BibtexDomain

    formatting = BibtexDomain.env_updated

    def env_updated(self):
        """The reference lists depend on the pages' citations and on the .bib files. When this
        build read no page and no .bib file changed, the lists restored with the environment are
        the ones a new formatting would give: keep them."""
        stamp = sorted((str(name), info.mtime) for name, info in self.bibdata.bibfiles.items())
        if (not _READING["docs"] and self.citations
                and getattr(self.env, "trustlab_bibtex_stamp", None) == stamp):
            return []
        result = formatting(self)
        self.env.trustlab_bibtex_stamp = stamp
        return result

    BibtexDomain.env_updated = env_updated
    BibtexDomain.get_filtered_entries = _filtered_entries

    # pybtex looks its style plugins up among all installed entry points on every call (about
    # 16 ms each, 88 calls when one page changes); the installed set cannot change during a build.
    import pybtex.plugin

    pybtex.plugin._load_entry_point = functools.lru_cache(maxsize=None)(
        pybtex.plugin._load_entry_point)

    # Decoding LaTeX accents (latexcodec) was most of the formatting time of a cold build
    # (8,000 decodes, 2 s); the same author names and titles are decoded again for every list
    # and style that shows them. Decoding a string always gives the same string.
    from pybtex.richtext import Text

    def from_latex(cls, latex):
        from pybtex.markup import LaTeXParser

        return LaTeXParser(_decode_latex(latex) if isinstance(latex, str)
                           else _decode_latex_uncached(latex)).parse()

    Text.from_latex = classmethod(from_latex)

    # The search index stems every word of every page with the pure-Python Snowball stemmer
    # (37,000 calls, 2 s of a cold build, done in the main process while pages are written);
    # a word's stem never changes, and most words recur.
    from sphinx.search.en import SearchEnglish

    stem_word = SearchEnglish.stem
    stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = stems.get(word)
        if found is None:
            found = stems[word] = stem_word(self, word)
        return found

    SearchEnglish.stem = stem
    _PATCHED["done"] = True


def _decode_latex_uncached(latex: Any) -> str:
    import codecs

    import latexcodec  # noqa: F401  (registers the codec)

    return codecs.decode(latex, "ulatex")


_decode_latex = functools.lru_cache(maxsize=None)(_decode_latex_uncached)


def _filtered_entries(self, bibliography_key):
    """sphinxcontrib-bibtex's ``get_filtered_entries`` with the same result, without scanning
    every citation of the book once per entry (about 800 entries times 300 citations): which
    pages cite a key is worked out once per call."""
    from sphinx.util import logging as sphinx_logging
    from sphinxcontrib.bibtex.domain import _FilterVisitor

    citing: dict[str, set[str]] = {}
    for ref in self.citation_refs:
        for target in ref.targets:
            citing.setdefault(target.key, set()).add(ref.docname)
    bibliography = self.bibliographies[bibliography_key]
    for entry in self.get_entries(bibliography.bibfiles):
        key = bibliography.keyprefix + entry.key
        docs = citing.get(key, set())
        try:
            keep = _FilterVisitor(entry=entry, docname=bibliography_key.docname,
                                  cited_docnames=docs).visit(bibliography.filter_)
        except ValueError as err:
            sphinx_logging.getLogger("sphinxcontrib.bibtex").warning(
                f"syntax error in :filter: expression; {err}",
                location=(bibliography_key.docname, bibliography.line),
                type="bibtex", subtype="filter_syntax_error")
            keep = bool(docs)
        if keep or entry.key in bibliography.keys:
            yield key, entry


def _attach(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Point the memo at the environment's copy (restored from the previous build's pickle),
    so what this build formats is saved with the environment."""
    _READING["docs"] = list(docnames)
    store = getattr(env, "trustlab_bibtex_memo", None)
    if not isinstance(store, dict):
        store = {}
        env.trustlab_bibtex_memo = store
    _MEMO.clear()
    _MEMO.update(store)
    _USED.clear()
    env.trustlab_bibtex_memo = _MEMO


def _prune(app: Sphinx, env: Any) -> list[str]:
    """Keep only what this build used, so the memo cannot grow without bound."""
    if _USED:
        for key in [k for k in _MEMO if k not in _USED]:
            del _MEMO[key]
    return []


# ----------------------------------------------------------------------------------------
# Figure numbers. With numfig on, Sphinx numbers figures, tables and code blocks after every
# build that read a page by walking the whole book: it unpickles every page's doctree (7 MB,
# about 0.6 s), although one edited page seldom adds, removes or moves a numbered item. The
# numbers depend only on the book's order (its toctrees and section numbers) and, within each
# page, on the order of its sections, toctrees and numbered items. That outline is recorded
# for each page when it is read (``doctree-read``); when no outline and no section number
# changed, the numbers kept in the environment are the ones the walk would give again.

def _figtype(env: Any, node: Any) -> str | None:
    """Sphinx's own test (``TocTreeCollector.assign_figure_numbers.get_figtype``)."""
    for domain in env.domains.values():
        figtype = domain.get_enumerable_node_type(node)
        if domain.name == "std" and not domain.get_numfig_title(node):
            continue
        if figtype:
            return figtype
    return None


def figure_outline(env: Any, doctree: Any) -> str:
    """A digest of what figure numbering reads from one page, in the order Sphinx reads it."""
    from docutils import nodes
    from sphinx import addnodes

    out: list[tuple] = []

    def walk(node: Any) -> None:
        for sub in node.children:
            if isinstance(sub, nodes.section):
                out.append(("section", tuple(sub["ids"])))
                walk(sub)
                out.append(("end",))
            elif isinstance(sub, addnodes.toctree):
                out.append(("toctree", tuple(tuple(e) for e in sub["entries"])))
            elif isinstance(sub, nodes.Element):
                figtype = _figtype(env, sub)
                if figtype and sub["ids"]:
                    out.append(("item", figtype, sub["ids"][0]))
                walk(sub)

    walk(doctree)
    return hashlib.sha1(repr(out).encode("utf-8")).hexdigest()


def _outlines(env: Any) -> dict[str, str]:
    """The pages' figure outlines kept in the environment (made on first use)."""
    outlines = getattr(env, "trustlab_fig_outlines", None)
    if not isinstance(outlines, dict):
        outlines = env.trustlab_fig_outlines = {}
    return outlines


def _record_outline(app: Sphinx, doctree: Any) -> None:
    _outlines(app.env)[app.env.docname] = figure_outline(app.env, doctree)


def _forget_outline(app: Sphinx, env: Any, docname: str) -> None:
    _outlines(env).pop(docname, None)


def _merge_outlines(app: Sphinx, env: Any, docnames: set, other: Any) -> None:
    theirs = getattr(other, "trustlab_fig_outlines", {})
    ours = _outlines(env)
    for doc in docnames:
        if doc in theirs:
            ours[doc] = theirs[doc]


def _numbering_key(env: Any) -> str | None:
    outlines = _outlines(env)
    docs = sorted(env.all_docs)
    if any(doc not in outlines for doc in docs):
        return None
    state = (docs, [outlines[d] for d in docs], env.config.root_doc,
             env.config.numfig_secnum_depth,
             sorted(env.domains["std"]._virtual_doc_names),
             sorted((d, sorted(n.items())) for d, n in env.toc_secnumbers.items()))
    return hashlib.sha1(repr(state).encode("utf-8")).hexdigest()


def _patch_figure_numbers() -> None:
    from sphinx.environment.collectors.toctree import TocTreeCollector

    original = TocTreeCollector.assign_figure_numbers
    if getattr(original, "_trustlab", False):
        return

    def assign_figure_numbers(self: Any, env: Any) -> list[str]:
        if not env.config.numfig:
            return original(self, env)
        key = _numbering_key(env)
        kept = getattr(env, "trustlab_fig_numbers", None)
        if key is not None and key == getattr(env, "trustlab_fig_key", None) and kept:
            # The walk would give the numbers of the last build again. (Sphinx dropped the
            # numbers of each page it read again; put them back.)
            env.toc_fignumbers = copy.deepcopy(kept)
            return []
        result = original(self, env)
        env.trustlab_fig_key = key
        env.trustlab_fig_numbers = copy.deepcopy(env.toc_fignumbers)
        return result

    assign_figure_numbers._trustlab = True  # type: ignore[attr-defined]
    TocTreeCollector.assign_figure_numbers = assign_figure_numbers


def _template_cache(app: Sphinx) -> None:
    """Sphinx compiles the theme's Jinja templates from source in every build (about 40
    templates, 0.3 s of a one-page rebuild). Jinja can keep the compiled code in a folder,
    keyed by each template's name and a checksum of its source, so an edited template is
    compiled again."""
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if environment is None or environment.bytecode_cache is not None:
        return
    from pathlib import Path

    from jinja2 import FileSystemBytecodeCache

    folder = Path(app.outdir).parent / ".trustlab-jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup(app: Sphinx) -> dict:
    _patch_pybtex()
    _patch_figure_numbers()
    app.connect("builder-inited", _template_cache)
    # late, after the transforms and handlers that set ids and captions
    app.connect("doctree-read", _record_outline, priority=900)
    app.connect("env-purge-doc", _forget_outline)
    app.connect("env-merge-info", _merge_outlines)
    app.connect("env-before-read-docs", _attach)
    # after sphinxcontrib-bibtex has formatted the reference lists (default priority 500)
    app.connect("env-updated", _prune, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
