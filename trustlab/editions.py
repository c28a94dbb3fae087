"""The book's two editions: English (the source, ``_build/html``) and Spanish
(``_build/html/es``), built from the same sources through Sphinx's gettext workflow.

For the English build this extension writes each page's messages to
``_build/gettext/<page>.pot`` (what ``make translations`` merges into the catalogues under
``locales/es/LC_MESSAGES/``, marking a changed message fuzzy). For the Spanish build
(``language = "es"``) it

* runs ``trustlab.i18n.use("es")`` first in every translated page that executes code, so its
  charts and glued dates are made in Spanish (the page's code is otherwise the English
  page's: every glued number is computed from the same data);
* shows a notice on each page that is not translated (data labs, exercises, instructor
  notes), and adds "(en inglés)" to every link to such a page;
* marks English passages (a datasheet's prose) with ``lang="en"`` so screen readers
  pronounce them as English.

Both editions link every page to its counterpart in the page header (and in the page's head,
with ``hreflang``).
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util.nodes import extract_messages

from . import i18n

ENGLISH_ONLY = "trustlab-en"   # a container whose text stays English in every edition
EDITION_NAMES = {"en": "English", "es": "Español"}
EDITION_TITLES = {"en": "Read this page in English", "es": "Leer esta página en español"}
USE_CELL = (
    "```{code-cell} python\n:tags: [remove-cell]\n"
    "import trustlab.i18n\ntrustlab.i18n.use(\"{lang}\")\n```\n\n"
)


def language(app: Sphinx) -> str:
    lang = (getattr(app.config, "language", None) or "en").split("_")[0]
    return lang if lang in i18n.LANGUAGES else "en"


class EnglishOnlyBlocks(SphinxTransform):
    """Text inside a ``trustlab-en`` container is not offered for translation (Sphinx's
    Locale transform, priority 20, skips nodes marked ``translatable = False``)."""

    default_priority = 10

    def apply(self, **kwargs: Any) -> None:
        for box in self.document.findall(nodes.container):
            if ENGLISH_ONLY in box.get("classes", []):
                for node in box.findall(nodes.TextElement):
                    node["translatable"] = False


# --- Glued values inside translated text ---------------------------------------------------
# Sphinx parses each translated message as a small document of its own, which does not hold
# the page's executed notebook; myst-nb's glue roles look their value up there. While a page's
# messages are translated, a lookup in such a document is answered from the page's document.

_RENDERERS: dict[str, Any] = {}  # page -> its notebook renderer (holds the glue data)


class _KeepRenderer(dict):
    """A document's attributes that keep myst-nb's renderer when the parser drops it."""

    docname = ""

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        if key == "nb_renderer" and value is not None:
            _RENDERERS.clear()  # one page at a time per process
            _RENDERERS[self.docname] = value
        return value


def _translated(document: nodes.document) -> bool:
    """Whether this is Sphinx's small document for one translated message."""
    return str(document.get("source", "")).endswith("<translated>")


def _patch_glue() -> None:
    from myst_nb import sphinx_ as nbsphinx
    from myst_nb.ext.glue import directives, roles, utils

    original = utils.retrieve_glue_data
    if getattr(original, "_trustlab", False):
        return
    original_parse = nbsphinx.Parser.parse

    def parse(self: Any, inputstring: str, document: nodes.document) -> None:
        env = getattr(document.settings, "env", None)
        if _translated(document):
            # Sphinx underlines a translated title with "=" to parse it as a heading; a title
            # that starts with its number ("3. La evidencia...") would be read as a numbered
            # list instead, and stay untranslated. Escaping the dot keeps it a heading.
            inputstring = re.sub(r"\A(\d+)\.(\s[^\n]*\n=+\s*)\Z", r"\1\\.\2", inputstring)
        elif env is not None and language(env.app) != "en":
            keep = _KeepRenderer(document.attributes)
            keep.docname = env.docname
            document.attributes = keep
        return original_parse(self, inputstring, document)

    def retrieve_glue_data(document: nodes.document, key: str) -> Any:
        # A translated message is parsed as a notebook of its own (no code, no glue data).
        if _translated(document) or "nb_renderer" not in document:
            env = getattr(document.settings, "env", None)
            renderer = _RENDERERS.get(getattr(env, "docname", None))
            if renderer is not None:
                return original({"nb_renderer": renderer}, key)
        return original(document, key)

    retrieve_glue_data._trustlab = True  # type: ignore[attr-defined]
    nbsphinx.Parser.parse = parse
    for module in (utils, roles, directives):
        module.retrieve_glue_data = retrieve_glue_data


# --- English build: the message templates ---------------------------------------------------

def _collect(app: Sphinx, doctree: nodes.document) -> None:
    if language(app) != "en":
        return
    seen: dict[str, None] = {}
    for node, msg in extract_messages(doctree):
        if msg and node.get("translatable", True) is not False:
            seen.setdefault(msg, None)
    if not hasattr(app.env, "trustlab_messages"):
        app.env.trustlab_messages = {}
    app.env.trustlab_messages[app.env.docname] = list(seen)


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "trustlab_messages", {}).pop(docname, None)


def _merge(app: Sphinx, env: Any, docnames: Any, other: Any) -> None:
    if not hasattr(env, "trustlab_messages"):
        env.trustlab_messages = {}
    for doc in docnames:
        if doc in getattr(other, "trustlab_messages", {}):
            env.trustlab_messages[doc] = other.trustlab_messages[doc]


def pot_text(messages: list[str]) -> str:
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    head = ('msgid ""\nmsgstr ""\n"Project-Id-Version: Trust & Enforcement\\n"\n'
            '"MIME-Version: 1.0\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
            '"Content-Transfer-Encoding: 8bit\\n"\n')
    return head + "".join(f"\nmsgid {q(m)}\nmsgstr \"\"\n" for m in messages)


def _write_templates(app: Sphinx, exception: Exception | None) -> None:
    """``_build/gettext/<page>.pot`` for every page, from the English build (only files whose
    content changed are rewritten)."""
    if exception is not None or language(app) != "en" or app.builder.format != "html":
        return
    out = Path(app.outdir).parent / "gettext"
    for doc, messages in sorted(getattr(app.env, "trustlab_messages", {}).items()):
        if doc not in app.env.found_docs:
            continue
        path = out / f"{doc}.pot"
        text = pot_text(messages)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


# --- Spanish build ------------------------------------------------------------------------

def _use_language(app: Sphinx, docname: str, source: list[str]) -> None:
    """A translated page that runs code makes its charts and glued text in the edition's
    language: a hidden first cell (after the front matter) sets it."""
    lang = language(app)
    if lang == "en" or docname not in i18n.TRANSLATED or "{code-cell}" not in source[0]:
        return
    text = source[0]
    m = re.match(r"---\n.*?\n---\n", text, re.S)
    at = m.end() if m else 0
    source[0] = text[:at] + "\n" + USE_CELL.replace("{lang}", lang) + text[at:]


class TranslateTocCaptions(SphinxTransform):
    """sphinx-external-toc inserts the book's toctrees (with their part captions: "Chapter 1")
    at priority 100, after the Locale transform: translate their captions from the page's
    catalogue here."""

    default_priority = 110

    def apply(self, **kwargs: Any) -> None:
        from os import path

        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        if language(self.app) == "en":
            return
        trees = [t for t in self.document.findall(addnodes.toctree) if t.get("caption")]
        if not trees:
            return
        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has = init_locale(dirs, self.config.language, domain)
        if not has:
            return
        for tree in trees:
            tree["caption"] = catalog.gettext(tree["caption"])


class SortTranslatedGlossary(SphinxTransform):
    """A ``:sorted:`` glossary is sorted when it is read, by its English terms; once its terms
    are translated (the Locale transform, priority 20), sort it again by the translated ones,
    as a Spanish reader looks them up (accents and case ignored)."""

    default_priority = 25

    def apply(self, **kwargs: Any) -> None:
        import unicodedata

        if language(self.app) == "en":
            return

        def key(item: nodes.definition_list_item) -> str:
            term = next(iter(item.findall(nodes.term)), None)
            text = term.astext() if term is not None else ""
            plain = unicodedata.normalize("NFKD", text)
            return "".join(c for c in plain if not unicodedata.combining(c)).casefold()

        for glossary in self.document.findall(addnodes.glossary):
            if not glossary.get("sorted"):
                continue
            for dl in glossary.findall(nodes.definition_list):
                dl.children = sorted(dl.children, key=key)


NOTICE = {
    "es": ("Esta página está en inglés", "La edición en español traduce la portada, los cinco "
           "capítulos, el glosario, el programa del curso y los títulos y las descripciones de "
           "los campos del apéndice de datos. Los laboratorios de datos, los ejercicios y las "
           "notas para el instructor están, por ahora, solo en inglés."),
}
IN_ENGLISH = {"es": " (en inglés)"}


class EnglishOnlyPages(SphinxTransform):
    """In a translated edition, a page that is not translated opens with a notice saying it
    is in English (marked ``lang="en"`` for screen readers)."""

    default_priority = 880

    def apply(self, **kwargs: Any) -> None:
        lang = language(self.app)
        if lang == "en" or self.env.docname in i18n.TRANSLATED:
            return
        title, text = NOTICE[lang]
        note = nodes.admonition("", nodes.title("", title), nodes.paragraph("", text),
                                classes=["note", "trustlab-edition-note"])
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None:
            return
        at = section.first_child_matching_class(nodes.title)
        section.insert((at or 0) + 1, note)
        if "trustlab-english-page" not in self.document.get("classes", []):
            self.document["classes"].append("trustlab-english-page")


def _mark_english_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """"(en inglés)" after every link from a translated page to a page that is not."""
    lang = language(app)
    if lang == "en" or docname not in i18n.TRANSLATED:
        return
    for ref in list(doctree.findall(nodes.reference)):
        uri = ref.get("refuri", "")
        if not ref.get("internal") or not uri or uri.startswith("#"):
            continue
        target = app.builder.get_target_uri(docname)
        base = Path(target).parent
        page = (base / uri.split("#")[0]).as_posix() if uri.split("#")[0] else target
        page = posixpath.normpath(re.sub(r"\.html$", "", page))
        if page in app.env.found_docs and page not in i18n.TRANSLATED:
            if isinstance(ref.parent, (nodes.paragraph, nodes.list_item, nodes.entry,
                                       nodes.inline, nodes.strong, nodes.emphasis)):
                ref.parent.insert(ref.parent.index(ref) + 1, nodes.Text(IN_ENGLISH[lang]))


# --- Both: the link to the other edition ---------------------------------------------------

def counterpart(pagename: str, lang: str) -> tuple[str, str]:
    """(language, relative URL) of this page in the other edition."""
    depth = pagename.count("/")
    if lang == "en":
        return "es", "../" * depth + f"es/{pagename}.html"
    return "en", "../" * (depth + 1) + f"{pagename}.html"


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree: Any) -> None:
    lang = language(app)
    other, href = counterpart(pagename, lang)
    context["trustlab_edition"] = {
        "lang": other, "href": href, "name": EDITION_NAMES[other],
        "title": EDITION_TITLES[other]}
    alternate = f'<link rel="alternate" hreflang="{other}" href="{html.escape(href)}">\n'
    context["metatags"] = context.get("metatags", "") + alternate
    if lang != "en" and isinstance(context.get("body"), str):
        if pagename in i18n.TRANSLATED:
            context["body"] = fix_citation_links(context["body"])
        context["body"] = context["body"].replace(
            f'class="{ENGLISH_ONLY} docutils container"',
            f'class="{ENGLISH_ONLY} docutils container" lang="en"')
        if doctree is not None and "trustlab-english-page" in doctree.get("classes", []):
            context["body"] = f'<div lang="en">{context["body"]}</div>'
            context["body"] = re.sub(r'<div class="([^"]*\btrustlab-edition-note\b[^"]*)">',
                                     rf'<div class="\1" lang="{lang}">', context["body"])


_CITE_SPAN = re.compile(r'<span class="bibtex-citation" id="([^"]+)">(.*?)</span>', re.S)
_CITATION = re.compile(r'(<div class="citation" id="([^"]+)"[^>]*>)(.*?)(<p>)', re.S)
_BACKLINK = re.compile(r'<a role="doc-backlink" href="#[^"]*">')


def fix_citation_links(body: str) -> str:
    """A translated paragraph is parsed again, so its citations get new ids (some repeated),
    while the reference list's back-links keep the English page's ids. Give every citation in
    the page a unique id, and point each reference's back-links at the citations of it."""
    to: dict[str, list[str]] = {}
    count = 0

    def span(m: re.Match) -> str:
        nonlocal count
        count += 1
        new = f"cite-{count}"
        for target in re.findall(r'href="#([^"]+)"', m.group(2)):
            to.setdefault(target, [])
            if new not in to[target]:
                to[target].append(new)
        return f'<span class="bibtex-citation" id="{new}">{m.group(2)}</span>'

    body = _CITE_SPAN.sub(span, body)

    def citation(m: re.Match) -> str:
        refs = to.get(m.group(2))
        inner = m.group(3)
        if not refs:
            return m.group(0)
        if '<span class="backrefs">' in inner:
            links = ",".join(f'<a role="doc-backlink" href="#{r}">{i}</a>'
                             for i, r in enumerate(refs, 1))
            inner = re.sub(r'<span class="backrefs">\(.*?\)</span>',
                           lambda _: f'<span class="backrefs">({links})</span>', inner, flags=re.S)
        else:
            inner = _BACKLINK.sub(f'<a role="doc-backlink" href="#{refs[0]}">', inner)
        return m.group(1) + inner + m.group(4)

    body = _CITATION.sub(citation, body)
    # The reference list describes English sources in English (their titles, notes, dates).
    return re.sub(r'<div class="citation" id="([^"]+)" role="([^"]+)">',
                  r'<div class="citation" id="\1" role="\2" lang="en">', body)


def _config(app: Sphinx, config: Any) -> None:
    lang = language(app)
    opts = dict(config.html_theme_options or {})
    header = opts.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(header, str):
        header = [h.strip() for h in header.split(",") if h.strip()]
    if "trustlab-edition.html" not in header:
        opts["article_header_end"] = ["trustlab-edition.html", *header]
    if lang == "es":
        opts["search_bar_text"] = "Buscar en este curso..."
        config.html_title = "Confianza y control migratorio"
        config.project = "Confianza y control migratorio"
    config.html_theme_options = opts


def setup(app: Sphinx) -> dict:
    app.add_transform(EnglishOnlyBlocks)
    _patch_glue()
    app.add_transform(EnglishOnlyPages)
    app.add_transform(SortTranslatedGlossary)
    app.add_transform(TranslateTocCaptions)
    app.connect("config-inited", _config)
    app.connect("source-read", _use_language)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _mark_english_links)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _write_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
