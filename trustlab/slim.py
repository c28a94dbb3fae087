"""Light pages (issue #17): the built book ships only the theme assets its pages use.

Registered from :mod:`trustlab.sphinxext`. Four things happen:

1. The search scripts (``searchindex.js``, ``searchtools.js``, ``language_data.js``) load only
   on ``search.html``. The theme loads them on every page for its search-as-you-type option,
   which the book does not use: its search field sends the reader to ``search.html``.
   (``templates/layout.html`` drops the three tags from every other page's head.)
2. At the end of a build, the theme's stylesheets lose every rule for classes and ids that
   no built page and no shipped script uses (:func:`purge_css`).
3. The Font Awesome fonts are cut down to the icons that the remaining rules draw and are
   written as WOFF files (:func:`subset_font`); the ``@font-face`` rules point at them.
4. Source maps, their ``sourceMappingURL`` comments and theme files that nothing can load
   are deleted (:func:`unreferenced`). The build log lists what was deleted.

Steps 2-4 run on every build, because Sphinx copies the theme's files afresh each time. The
result is cached under ``_build/.trustlab-slim`` keyed on the digests of everything it was
computed from, so a rebuild in which nothing changed only copies the cached files back.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from . import __version__

LOG = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
CACHE_FORMAT = "3"

SEARCH_SCRIPTS = ("searchtools.js", "language_data.js", "searchindex.js")
_SEARCH_NAMES = "|".join(re.escape(s) for s in SEARCH_SCRIPTS)
_SEARCH_TAG = re.compile(
    rf'[ \t]*<script src="[^"]*(?:{_SEARCH_NAMES})(?:\?[^"]*)?"[^>]*></script>\n?')

FONTAWESOME_STUB = (
    "/* trustlab: the theme's 1.4 MB Font Awesome script (which swaps <i> icons for inline\n"
    "   SVG) is replaced by this stub. The theme's stylesheet already draws the same icons\n"
    "   from the locally served Font Awesome webfont, so nothing is lost. */\n")

# Where the book's own files and MathJax live: never purged or deleted here (MathJax loads
# its parts at run time by names it builds itself; trustlab/sphinxext.py slims it).
PROTECTED_DIRS = ("trustlab", "mathjax")
# Files that pages or scripts load by name at run time.
PROTECTED_FILES = {"documentation_options.js", "searchtools.js", "language_data.js",
                   "doctools.js", "sphinx_highlight.js"}
# Only theme and vendor assets are ever deleted: never images, downloads or data.
ASSET_SUFFIXES = {".css", ".js", ".map", ".woff", ".woff2", ".ttf", ".eot", ".otf", ".txt",
                  ".html", ".mo", ".po"}
_SOURCE_MAP = re.compile(r"\n?(?://[#@] sourceMappingURL=[^\n]*|/\*[#@] sourceMappingURL=[^*]*\*/)")
_WORD = re.compile(r"[\w-]+")
_PLAIN_NAME = re.compile(r"[\w-]+\Z")
# Scripts build some class names from pieces: `bs-${name}-auto`, "btn-" + kind.
_TEMPLATE_PIECE = re.compile(r"([\w-]*)\$\{[^}`]*\}([\w-]*)")
_PREFIX_STRING = re.compile(r"""["']([A-Za-z][\w-]*-)["']\s*\+""")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


# ------------------------------------------------------------------------------------------
# 1. Search scripts only on the search page

def without_search(head: str, pagename: str) -> str:
    """``head`` (the page's extra head HTML) without the search scripts, except on the
    search page, which needs them."""
    if pagename == "search":
        return head
    from markupsafe import Markup

    return Markup(_SEARCH_TAG.sub("", str(head)))


def _add_templates(app: Sphinx, config) -> None:
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path = [*config.templates_path, str(TEMPLATES)]


def _page_context(app, pagename, templatename, context, doctree) -> None:
    context["trustlab_without_search"] = without_search


# ------------------------------------------------------------------------------------------
# 2. Unused CSS rules

class UsedNames:
    """Which class and id names the built book can use: every word in its HTML and scripts,
    plus the prefixes and suffixes scripts join names from."""

    def __init__(self, texts: Iterable[str] = (), scripts: Iterable[str] = ()) -> None:
        self.words: set[str] = set()
        self.prefixes: set[str] = set()
        self.suffixes: set[str] = set()
        for text in texts:
            self.words.update(html_names(text))
        for text in scripts:
            self.add_script(text)

    def add_script(self, text: str) -> None:
        self.words.update(_WORD.findall(text))
        for before, after in _TEMPLATE_PIECE.findall(text):
            if before.endswith("-") and len(before) > 2:
                self.prefixes.add(before)
            if after.startswith("-") and len(after) > 2:
                self.suffixes.add(after)
        self.prefixes.update(p for p in _PREFIX_STRING.findall(text) if len(p) > 2)

    def __contains__(self, name: str) -> bool:
        if name in self.words or not _PLAIN_NAME.match(name):
            return True  # a name with escaped characters is kept: it cannot be looked up
        return name.startswith(tuple(self.prefixes)) or name.endswith(tuple(self.suffixes))


_ATTRIBUTE = re.compile(r"""\s(?:class|id)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*application/json)[^>]*>(.*?)</script>", re.S | re.I)


def html_names(text: str) -> set[str]:
    """The names a page can style with: its class and id attribute values, and every word of
    its inline scripts (which may add classes). Its prose is left out, so a prose edit does not
    change what the stylesheets keep."""
    names: set[str] = set()
    for double, single in _ATTRIBUTE.findall(text):
        names.update(_WORD.findall(double or single))
    for script in _INLINE_SCRIPT.findall(text):
        names.update(_WORD.findall(script))
    return names


def _split_selectors(prelude: list) -> list[list]:
    parts: list[list] = [[]]
    for tok in prelude:
        if tok.type == "literal" and tok.value == ",":
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def selector_names(selector: list) -> set[str]:
    """The class and id names a selector needs on the page. Names inside ``:not()``,
    ``:is()`` and other functions, and attribute tests, do not count."""
    names: set[str] = set()
    dot = False
    for tok in selector:
        if dot and tok.type == "ident":
            names.add(tok.value)
        elif tok.type == "hash" and tok.is_identifier:
            names.add(tok.value)
        dot = tok.type == "literal" and tok.value == "."
    return names


def _strings(tokens: Iterable) -> Iterable[str]:
    for tok in tokens or ():
        if tok.type == "string":
            yield tok.value
        elif hasattr(tok, "arguments"):
            yield from _strings(tok.arguments)
        elif tok.type in ("() block", "[] block", "{} block"):
            yield from _strings(tok.content)


def _purge_rules(rules: list, used: UsedNames, glyphs: set[str]) -> str:
    import tinycss2

    out: list[str] = []
    for rule in rules:
        if rule.type == "comment":
            if rule.value.startswith("!"):  # license notices stay
                out.append(f"/*{rule.value}*/")
        elif rule.type == "qualified-rule":
            kept = [s for s in _split_selectors(rule.prelude)
                    if all(n in used for n in selector_names(s))]
            if kept:
                prelude = ",".join(tinycss2.serialize(s).strip() for s in kept)
                out.append(prelude + "{" + tinycss2.serialize(rule.content) + "}")
                for s in _strings(rule.content):
                    glyphs.update(_PRIVATE_USE.findall(s))
        elif rule.type == "at-rule":
            head = "@" + rule.at_keyword + tinycss2.serialize(rule.prelude)
            if rule.content is None:
                out.append(head.rstrip() + ";")
            elif rule.lower_at_keyword == "media":
                inner = _purge_rules(
                    tinycss2.parse_rule_list(rule.content, skip_whitespace=True), used, glyphs)
                if inner:
                    out.append(head.rstrip() + "{" + inner + "}")
            else:
                out.append(head.rstrip() + "{" + tinycss2.serialize(rule.content) + "}")
    return "".join(out)


def purge_css(css: str, used: UsedNames, glyphs: set[str] | None = None) -> str:
    """``css`` without the style rules (and selectors) that need a class or id the book
    never uses. @font-face, @keyframes, @supports and rules without names stay; @media
    blocks are purged inside and dropped when empty. Private-use characters in the kept
    rules' strings (icon glyphs) are added to ``glyphs``."""
    import tinycss2

    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=False)
    return _purge_rules(rules, used, glyphs if glyphs is not None else set())


# ------------------------------------------------------------------------------------------
# 3. Icon font subsets

_FONT_SRC = re.compile(
    r"""url\(\s*["']?([^)"']*?)(fa-[\w-]+)\.woff2["']?\s*\)\s*format\(\s*["']?woff2["']?\s*\)"""
    r"""\s*,\s*url\(\s*["']?[^)"']*?\2\.ttf["']?\s*\)\s*format\(\s*["']?truetype["']?\s*\)""")


def subset_font(source: Path, target: Path, glyphs: set[str]) -> None:
    """Write the glyphs of ``source`` (a TrueType font) that draw ``glyphs`` to ``target``
    as WOFF, keeping the font's names (its licence notice)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.ignore_missing_unicodes = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(g) for g in glyphs))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def point_fonts_at_woff(css: str, names: set[str]) -> str:
    """Point the ``src`` of each @font-face for a font in ``names`` (woff2 + ttf) at its
    WOFF subset."""
    def swap(m: re.Match) -> str:
        if m.group(2) not in names:
            return m.group(0)
        return f'url({m.group(1)}{m.group(2)}.woff) format("woff")'

    return _FONT_SRC.sub(swap, css)


# ------------------------------------------------------------------------------------------
# 4. Files nothing loads

def deletable(rel: str) -> bool:
    """Whether ``rel`` (a path in the built book) is a theme or vendor asset that may be
    deleted when nothing references it."""
    parts = rel.split("/")
    if parts[0] not in ("_static", "_sphinx_design_static") or len(parts) < 2:
        return False
    if parts[1] in PROTECTED_DIRS or parts[-1] in PROTECTED_FILES:
        return False
    return Path(rel).suffix.lower() in ASSET_SUFFIXES


_SUFFIX_NAMES = "|".join(sorted(sfx.lstrip(".") for sfx in ASSET_SUFFIXES))
_FILE_NAME = re.compile(rf"(?<![\w.-])[\w.-]+\.(?:{_SUFFIX_NAMES})\b")


def mentioned_names(text: str) -> set[str]:
    """The asset file names (last path part) that ``text`` mentions."""
    return set(_FILE_NAME.findall(text))


def unreferenced(texts: dict[str, str], candidates: Iterable[str]) -> list[str]:
    """The ``candidates`` (paths relative to the book) that no text but their own mentions by
    file name, repeated until no more fall away (a file only an unloaded file mentions is
    not loaded either). ``texts`` maps paths to the HTML, CSS and JS of the book."""
    mentions = {rel: mentioned_names(text) for rel, text in texts.items()}
    gone: list[str] = []
    changed = True
    while changed:
        changed = False
        for rel in sorted(set(candidates) - set(gone)):
            name = rel.rsplit("/", 1)[-1]
            if not any(name in names for other, names in mentions.items() if other != rel):
                gone.append(rel)
                mentions.pop(rel, None)
                changed = True
    return sorted(gone)


# ------------------------------------------------------------------------------------------
# The build step

def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Cache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.index_file = root / "index.json"
        try:
            self.index = json.loads(self.index_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.index = {}

    def outputs(self) -> dict[str, dict]:
        return self.index.get("outputs", {})

    def save(self, key: str, outputs: dict[str, tuple[str, bytes]], deleted: list[str],
             **extra: Any) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        (self.root / "files").mkdir(parents=True)
        index = {"key": key, "deleted": deleted, "outputs": {}, **extra}
        for i, (rel, (source_digest, data)) in enumerate(sorted(outputs.items())):
            (self.root / "files" / str(i)).write_bytes(data)
            index["outputs"][rel] = {"file": str(i), "in": source_digest, "out": _digest(data)}
        self.index_file.write_text(json.dumps(index, indent=1), encoding="utf-8")


def _strip_source_maps(out: Path) -> None:
    scripts = out / "_static" / "scripts"
    stub = scripts / "fontawesome.js"
    if stub.is_file():
        stub.write_text(FONTAWESOME_STUB, encoding="utf-8")
    for f in out.rglob("*.map"):
        f.unlink()
    for f in [*(out / "_static").rglob("*.js"), *(out / "_static").rglob("*.css")]:
        rel = f.relative_to(out).parts
        if len(rel) > 1 and rel[1] in PROTECTED_DIRS:
            continue
        text = f.read_text(encoding="utf-8", errors="surrogateescape")
        if "sourceMappingURL" in text:
            f.write_text(_SOURCE_MAP.sub("", text), encoding="utf-8", errors="surrogateescape")


def _text_files(out: Path) -> list[str]:
    """The book's HTML, CSS and JS, but MathJax's (which styles its own output, loads no
    theme file and is a third of the book's text)."""
    return sorted(rel for f in out.rglob("*")
                  if f.suffix in (".html", ".css", ".js") and f.is_file()
                  and not (rel := f.relative_to(out).as_posix()).startswith("_static/mathjax/"))


def _digests(out: Path, files: list[str], cached: dict[str, dict]) -> dict[str, str]:
    """Each file's content digest; a file that holds this module's cached output for it
    counts as the input it was made from (Sphinx does not copy every file afresh)."""
    digests = {}
    for rel in files:
        d = _digest((out / rel).read_bytes())
        entry = cached.get(rel)
        digests[rel] = entry["in"] if entry and entry["out"] == d else d
    return digests


def _font_sizes(out: Path, fonts: list[Path], cached: dict[str, dict]) -> dict[str, int]:
    """The size of each icon font as the theme ships it. On a rebuild in which Sphinx copied
    nothing (no page changed) the fonts are gone and their cached subsets stand in."""
    sizes = {f.name: f.stat().st_size for f in fonts}
    for rel, entry in cached.items():
        woff = out / rel
        ttf = woff.with_suffix(".ttf").name
        if rel.endswith(".woff") and ttf not in sizes and entry["in"].isdigit() \
                and woff.is_file() and _digest(woff.read_bytes()) == entry["out"]:
            sizes[ttf] = int(entry["in"])
    return sizes


def _key(digests: dict[str, str], fonts: dict[str, int], deleted: Iterable[str]) -> str:
    skip = set(deleted)
    key = hashlib.sha256(f"{CACHE_FORMAT} {__version__}\n".encode())
    for rel, d in sorted(digests.items()):
        if rel not in skip:
            key.update(f"{rel} {d}\n".encode())
    for name, size in sorted(fonts.items()):
        key.update(f"{name} {size}\n".encode())
    return key.hexdigest()


def _scan(rel: str, text: str) -> dict[str, list[str]]:
    """What the slimming reads from one file: its words (class and id names), the name pieces
    a script joins, the icon glyphs of a page, and the asset files it mentions."""
    if rel == "searchindex.js":
        # Data, not a script: its words are the pages' words, which the purge does not read
        # (only the files it mentions matter). Scanning them made every prose edit redo the
        # purge (about 1.5 s).
        return {"m": sorted(mentioned_names(text))}
    words = html_names(text) if rel.endswith(".html") else set(_WORD.findall(text))
    found = {"w": sorted(words), "m": sorted(mentioned_names(text))}
    if rel.endswith(".html"):
        found["g"] = sorted(set(_PRIVATE_USE.findall(text)))
    if rel.endswith(".js"):
        pieces = UsedNames()
        pieces.add_script(text)
        found["p"], found["s"] = sorted(pieces.prefixes), sorted(pieces.suffixes)
    return found


def _inputs_key(out: Path, digests: dict[str, str], fonts: dict[str, int],
                scans: dict[str, dict]) -> tuple[str, dict[str, dict]]:
    """A key of everything the slimmed files depend on: the stylesheets and fonts as the theme
    ships them, and what each page and script names. A prose edit changes a page's digest
    but seldom what it names: then the slimmed files made before still hold. Each file is
    scanned again only when its content changed (``scans``: the last build's)."""
    fresh: dict[str, dict] = {}
    key = hashlib.sha256(f"{CACHE_FORMAT} {__version__} inputs\n".encode())
    for rel, d in sorted(digests.items()):
        if rel.endswith(".css"):
            key.update(f"{rel} {d}\n".encode())
            continue
        old = scans.get(rel)
        if old and old.get("d") == d:
            fresh[rel] = old
        else:
            fresh[rel] = dict(_scan(rel, (out / rel).read_text(encoding="utf-8",
                                                                errors="replace")), d=d)
        key.update(json.dumps([rel, {k: v for k, v in fresh[rel].items() if k != "d"}],
                              sort_keys=True).encode())
    for name, size in sorted(fonts.items()):
        key.update(f"{name} {size}\n".encode())
    return key.hexdigest(), fresh


def slim_book(out: Path, cache_dir: Path) -> dict:
    """Slim the built book in ``out`` (see the module's docstring). Returns a summary:
    the deleted files, the purged stylesheets, the subset fonts and whether the cached
    result was used."""
    _strip_source_maps(out)
    cache = _Cache(cache_dir)
    cached = cache.outputs()
    fonts = sorted(out.glob("_static/vendor/fontawesome/webfonts/*.ttf"))
    font_sizes = _font_sizes(out, fonts, cached)
    digests = _digests(out, _text_files(out), cached)
    summary = {"deleted": [], "stylesheets": [], "fonts": [], "cached": False}

    if cache.index.get("key") == _key(digests, font_sizes, cache.index.get("deleted", [])):
        for rel, entry in cached.items():
            (out / rel).write_bytes((cache_dir / "files" / entry["file"]).read_bytes())
        for rel in cache.index.get("deleted", []):
            (out / rel).unlink(missing_ok=True)
        summary.update(deleted=cache.index["deleted"], cached=True,
                       stylesheets=sorted(r for r in cached if r.endswith(".css")),
                       fonts=sorted(Path(r).stem for r in cached if r.endswith(".woff")))
        return summary
    inputs, scans = _inputs_key(out, digests, font_sizes, cache.index.get("scans", {}))
    if cached and cache.index.get("inputs") == inputs:
        # Pages changed, but nothing they name: the slimmed files made before still hold.
        for rel, entry in cached.items():
            (out / rel).write_bytes((cache_dir / "files" / entry["file"]).read_bytes())
        for rel in cache.index.get("deleted", []):
            (out / rel).unlink(missing_ok=True)
        cache.index.update(key=_key(digests, font_sizes, cache.index.get("deleted", [])),
                           scans=scans)
        cache.index_file.write_text(json.dumps(cache.index, indent=1), encoding="utf-8")
        summary.update(deleted=cache.index["deleted"], cached=True,
                       stylesheets=sorted(r for r in cached if r.endswith(".css")),
                       fonts=sorted(Path(r).stem for r in cached if r.endswith(".woff")))
        return summary

    texts = {rel: (out / rel).read_text(encoding="utf-8", errors="replace") for rel in digests}
    others = [f.relative_to(out).as_posix() for f in out.rglob("*")
              if f.suffix not in (".html", ".css", ".js") and f.is_file()
              and "webfonts" not in f.parts]
    deleted = unreferenced(texts, [r for r in [*texts, *others] if deletable(r)])
    for rel in deleted:
        (out / rel).unlink()
        texts.pop(rel, None)

    used = UsedNames(
        (t for r, t in texts.items() if r.endswith(".html")),
        (t for r, t in texts.items() if r.endswith(".js") and r != "searchindex.js"))
    glyphs: set[str] = set()
    for rel, text in texts.items():
        if rel.endswith(".html"):
            glyphs.update(_PRIVATE_USE.findall(text))
    stylesheets = sorted(r for r in texts if r.endswith(".css") and deletable(r))
    slim = {rel: purge_css(texts[rel], used, glyphs) for rel in stylesheets}
    outputs: dict[str, tuple[str, bytes]] = {}
    for f in fonts:
        target = f.with_suffix(".woff")
        subset_font(f, target, glyphs)
        outputs[target.relative_to(out).as_posix()] = (str(font_sizes[f.name]),
                                                       target.read_bytes())
    for rel, css in slim.items():
        css = point_fonts_at_woff(css, {f.stem for f in fonts})
        data = css.encode("utf-8")
        (out / rel).write_bytes(data)
        outputs[rel] = (digests[rel], data)
        texts[rel] = css
    webfonts = [f.relative_to(out).as_posix() for f in fonts]
    webfonts += [r.replace(".ttf", ".woff2") for r in webfonts if (out / r).with_suffix(
        ".woff2").is_file()]
    late = unreferenced(texts, webfonts)
    for rel in late:
        (out / rel).unlink()
    deleted = sorted({*deleted, *late})
    cache.save(_key(digests, font_sizes, deleted), outputs, deleted, inputs=inputs,
               scans=scans)
    summary.update(deleted=deleted, stylesheets=stylesheets, fonts=[f.stem for f in fonts])
    return summary


def describe(paths: list[str]) -> str:
    """``paths`` for the build log: a folder with more than three of them is one entry."""
    folders: dict[str, list[str]] = {}
    for rel in paths:
        parts = rel.split("/")
        folders.setdefault("/".join(parts[:2]) + "/" if len(parts) > 2 else rel, []).append(rel)
    return ", ".join(f"{top} ({len(files)} files)" if len(files) > 3 else ", ".join(files)
                     for top, files in sorted(folders.items())) or "none"


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    start = time.perf_counter()
    out = Path(app.outdir)
    summary = slim_book(out, Path(app.doctreedir).parent / ".trustlab-slim")
    LOG.info("trustlab.slim: %d theme files nothing loads deleted (%s); %d stylesheets "
             "purged; icon fonts subset: %s; %s in %.2f s",
             len(summary["deleted"]), describe(summary["deleted"]),
             len(summary["stylesheets"]),
             ", ".join(summary["fonts"]) or "none to do (already subset)",
             "cache used" if summary["cached"] else "computed",
             time.perf_counter() - start)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_templates)
    app.connect("html-page-context", _page_context)
    # After the other extensions have copied their static files (default priority 500).
    app.connect("build-finished", _build_finished, priority=950)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
