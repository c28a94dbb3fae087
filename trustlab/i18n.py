"""The course's two languages: English (the source) and Spanish (the translated edition).

* :func:`use` and :func:`current` set and read the language that chart builders and glued
  text use. The Spanish build of a chapter runs ``trustlab.i18n.use("es")`` in a hidden first
  cell (``trustlab/editions.py`` adds it), so its charts and glued dates come out in Spanish;
  everything else (data labs, exercises, a student's own notebook) stays in English.
* :func:`gettext` (``_``) translates one of the package's own strings (chart titles, axis
  titles, descriptions, live summaries) from the message catalogues
  ``locales/<lang>/LC_MESSAGES/trustlab/*.po``; English is the message itself.
* :func:`date` writes a date the chosen way for each language ("18 July 2025",
  "18 de julio de 2025").
* :func:`catalog_problems` is what the tests and ``python -m trustlab translations check``
  use to find a message that is untranslated, fuzzy, or whose translation lost a piece of
  MyST markup (a glued number, a citation, a cross-reference, a link, inline code).

Numbers. The Spanish edition writes numbers as U.S. Spanish-language newsrooms and Mexico do:
a decimal point and a comma between thousands ("3.5", "12,345"), and the percent sign
attached ("25%"). The same digits as the English edition, so a glued number needs no second
format and a screen reader's Spanish voice reads it as a U.S. reader expects. Dates are written
in full: "18 de julio de 2025" (month in lower case, as Spanish writes it).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT = "en"

# The pages of the Spanish edition that are translated (their catalogues must be complete);
# every other page of the Spanish edition is shown in English under a notice saying so.
TRANSLATED = (
    "book/intro",
    "book/01-history/index",
    "book/02-program/index",
    "book/03-crime/index",
    "book/04-trust/index",
    "book/05-practices/index",
    "book/glossary",
    "book/syllabus",
    "book/appendix/data",
)

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
}

_current = os.environ.get("TRUSTLAB_LANG", DEFAULT)


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"the course is written in {', '.join(LANGUAGES)}; not {lang!r}")
    return lang


def use(lang: str) -> None:
    """Make ``lang`` the language of every chart and glued text made from now on."""
    global _current
    _current = _check(lang)


def current() -> str:
    return _check(_current)


def resolve(lang: str | None) -> str:
    """``lang``, or the current language when it is None (what a builder's ``lang=None`` means)."""
    return current() if lang is None else _check(lang)


def date(value, precision: str = "day", lang: str | None = None) -> str:
    """A date as precisely as its source gave it, in ``lang``: "2012", "May 2012" or
    "4 May 2012"; "mayo de 2012" or "4 de mayo de 2012"."""
    import pandas as pd

    lang = resolve(lang)
    ts = pd.Timestamp(value)
    if precision == "year":
        return f"{ts.year}"
    month = MONTHS[lang][ts.month - 1]
    if lang == "es":
        return f"{month} de {ts.year}" if precision == "month" else \
            f"{ts.day} de {month} de {ts.year}"
    return f"{month} {ts.year}" if precision == "month" else f"{ts.day} {month} {ts.year}"


# --- The package's own messages -------------------------------------------------------------

def locales_dir() -> Path | None:
    from .paths import find_course

    root = find_course()
    return root / "locales" if root is not None else None


@cache
def _catalogues(lang: str) -> dict[str, dict[str, str]]:
    """Catalogue name (``trustlab/charts-history``) -> msgid -> msgstr, for every translated,
    non-fuzzy message of the package's catalogues in ``lang``."""
    base = locales_dir()
    folder = base / lang / "LC_MESSAGES" / "trustlab" if base is not None else None
    if folder is None or not folder.is_dir():
        raise FileNotFoundError(
            f"The {lang!r} chart catalogues were not found (looked for "
            f"{folder or 'locales/' + lang + '/LC_MESSAGES/trustlab'}). Charts in {lang!r} need "
            "the course folder: run from it, or set TRUSTLAB_COURSE to it.")
    return {f"trustlab/{po.stem}": {e.msgid: e.msgstr for e in read_po(po)
                                    if e.msgstr and not e.fuzzy}
            for po in sorted(folder.glob("*.po"))}


def catalogue_name(module: str) -> str:
    """The catalogue of a module of the package: ``trustlab.charts.crime`` ->
    ``trustlab/charts-crime`` (what trustlab/translations.py extracts it to)."""
    return "trustlab/" + "-".join(module.split(".")[1:])


def gettext(message: str, lang: str | None = None, module: str | None = None) -> str:
    """``message`` in ``lang`` (the current language by default). English is the message
    itself. The translation in ``module``'s own catalogue comes first (a short word such as
    "All" may need a different Spanish form in two charts), then any catalogue's; a message
    with no Spanish translation stays English (the tests make sure every one has one)."""
    lang = resolve(lang)
    if lang == "en":
        return message
    catalogues = _catalogues(lang)
    if module is not None:
        own = catalogues.get(catalogue_name(module), {})
        if message in own:
            return own[message]
    for messages in catalogues.values():
        if message in messages:
            return messages[message]
    return message


_ = gettext


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (translated where it is used)."""
    return message


# --- Reading catalogues ---------------------------------------------------------------------

class Entry:
    __slots__ = ("msgid", "msgstr", "fuzzy", "line")

    def __init__(self, msgid: str, msgstr: str, fuzzy: bool, line: int):
        self.msgid, self.msgstr, self.fuzzy, self.line = msgid, msgstr, fuzzy, line


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str, path: Path, lineno: int) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError(f"{path}, line {lineno}: expected a quoted string, found {s[:40]!r}")
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


def read_po(path: Path) -> list[Entry]:
    """The messages of a ``.po`` file (the header entry and obsolete ``#~`` entries left
    out). A malformed file raises ValueError naming the file and line."""
    path = Path(path)
    entries: list[Entry] = []
    msgid = msgstr = None
    field = None
    fuzzy = False
    start = 0

    def flush():
        nonlocal msgid, msgstr, fuzzy, field
        if msgid is not None:
            if msgstr is None:
                raise ValueError(f"{path}, line {start}: msgid without msgstr")
            if msgid:
                entries.append(Entry(msgid, msgstr, fuzzy, start))
        msgid = msgstr = None
        fuzzy = False
        field = None

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if msgstr is not None:
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith("msgctxt"):
            continue
        if line.startswith("msgid "):
            if msgstr is not None:
                keep = fuzzy if msgid is None else False
                flush()
                fuzzy = keep
            msgid, field, start = _unquote(line[6:], path, lineno), "msgid", lineno
        elif line.startswith("msgstr "):
            if msgid is None:
                raise ValueError(f"{path}, line {lineno}: msgstr without msgid")
            msgstr, field = _unquote(line[7:], path, lineno), "msgstr"
        elif line.startswith('"'):
            if field == "msgid":
                msgid += _unquote(line, path, lineno)
            elif field == "msgstr":
                msgstr += _unquote(line, path, lineno)
            else:
                raise ValueError(f"{path}, line {lineno}: a string outside msgid or msgstr")
        else:
            raise ValueError(f"{path}, line {lineno}: cannot read {line[:40]!r}")
    flush()
    return entries


# --- Checking a translation -------------------------------------------------------------------

_ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
_CODE = re.compile(r"(?<![`}])`([^`]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FOOT = re.compile(r"\[\^([^\]]+)\]")
_MATH = re.compile(r"\$[^$]+\$")


def _target(text: str) -> str:
    m = re.search(r"<([^<>]+)>\s*$", text)
    return (m.group(1) if m else text).strip()


def markup(text: str) -> list[str]:
    """The pieces of MyST markup in a message that its translation must keep: glued values,
    citations, cross-references (their targets), inline code, link addresses, footnotes,
    maths. Sorted, so that a translation may reorder them."""
    parts: list[str] = []
    for role, body in _ROLE.findall(text):
        if role.startswith(("glue", "cite", "eq", "math")):
            parts.append(f"{{{role}}}`{body}`")
        else:
            parts.append(f"{{{role}}}→{_target(body)}")
    stripped = _ROLE.sub("", text)
    parts += [f"`{c}`" for c in _CODE.findall(stripped)]
    parts += [f"link {u}" for u in _LINK.findall(text)]
    parts += [f"footnote {f}" for f in _FOOT.findall(text)]
    parts += _MATH.findall(stripped)
    return sorted(parts)


def catalog_problems(path: Path, expected: list[str] | None = None) -> list[str]:
    """What is wrong with a catalogue, one line per problem naming the file, line and message:
    a message untranslated or fuzzy, a translation that lost or changed markup, and (given
    ``expected``, the messages of the current English page) a message of the page that the
    catalogue lacks."""
    path = Path(path)
    try:
        entries = read_po(path)
    except (OSError, ValueError) as e:
        return [str(e)]
    problems: list[str] = []

    def short(s: str) -> str:
        s = " ".join(s.split())
        return s if len(s) <= 90 else s[:87] + "..."

    for e in entries:
        where = f"{path}, line {e.line}: {short(e.msgid)!r}"
        if not e.msgstr.strip():
            problems.append(f"{where} is not translated")
        elif e.fuzzy:
            problems.append(f"{where} is fuzzy (its English changed): check the translation, "
                            "then delete the '#, fuzzy' line")
        else:
            want, got = markup(e.msgid), markup(e.msgstr)
            if want != got:
                lost = sorted(set(want) - set(got)) or want
                extra = sorted(set(got) - set(want))
                problems.append(f"{where}: the translation must keep the same markup; "
                                f"missing {lost[:4]}"
                                + (f", unexpected {extra[:4]}" if extra else ""))
    if expected is not None:
        have = {e.msgid for e in entries}
        for msg in expected:
            if msg not in have:
                problems.append(f"{path}: the English page has a message the catalogue lacks "
                                f"(run `make translations`, then translate it): {short(msg)!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    import sys

    files = argv if argv is not None else sys.argv[1:]
    bad = 0
    for f in files:
        for p in catalog_problems(Path(f)):
            print(p)
            bad += 1
    print(f"{bad} problem(s) in {len(files)} catalogue(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())


def edition_problems(root: Path, lang: str = "es") -> list[str]:
    """Every problem of the ``lang`` catalogues of the translated pages, measured against the
    English build's message templates (``_build/gettext``): a message missing, untranslated,
    fuzzy or with broken markup. Empty when the edition is complete."""
    root = Path(root)
    out: list[str] = []
    for doc in TRANSLATED:
        po = root / "locales" / lang / "LC_MESSAGES" / f"{doc}.po"
        pot = root / "_build" / "gettext" / f"{doc}.pot"
        expected = [e.msgid for e in read_po(pot)] if pot.is_file() else None
        if not po.is_file():
            out.append(f"{po}: missing (run `make translations` to start it)")
            continue
        out += catalog_problems(po, expected)
    return out


def translator(lang: str | None = None, module: str | None = None):
    """A function translating the package's messages into ``lang`` (the current language
    when None), for a chart builder: ``t = translator(lang)``, then ``t("Year")``. Builders
    write a message with numbers as ``t("{n} of {total} shown").format(n=..., total=...)``
    so that the message, not its numbers, is what is translated. Messages are looked up in
    the calling module's catalogue first (``module``: the caller's by default)."""
    import sys

    lang = resolve(lang)
    if module is None:
        module = sys._getframe(1).f_globals.get("__name__", "")
    return lambda message: gettext(message, lang, module)
