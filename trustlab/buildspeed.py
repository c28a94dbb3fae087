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
    _PATCHED["done"] = True


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


def setup(app: Sphinx) -> dict:
    _patch_pybtex()
    app.connect("env-before-read-docs", _attach)
    # after sphinxcontrib-bibtex has formatted the reference lists (default priority 500)
    app.connect("env-updated", _prune, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}
