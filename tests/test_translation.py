"""The Spanish edition (issue #20): complete catalogues, the gettext workflow, the built pages.

The browser, accessibility, small-screen and offline tests visit every page of the built book,
the Spanish pages under es/ included (tests/test_build.html_pages finds them all)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from trustlab import i18n, translations

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales" / "es" / "LC_MESSAGES"
ENGLISH_WORDS = re.compile(r"\b(the|and|with|which|shows|were|chart|Source|Data table|"
                           r"Text description|per cent|percent)\b")


def text_of(html: str) -> str:
    import html as h

    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return h.unescape(re.sub(r"<[^>]+>", " ", html))


def test_every_message_of_the_translated_pages_is_translated(built_book):
    """100% translated and none fuzzy, measured against the English pages as built now: the
    test names the catalogue, the line and the message otherwise."""
    problems = translations.check(ROOT)
    assert not problems, f"{len(problems)} translation problem(s):\n" + "\n".join(problems[:30])


def test_the_package_messages_are_all_in_their_catalogues():
    """Every chart message (and every shown data value) has a Spanish translation."""
    templates = translations.package_templates(ROOT)
    assert {"trustlab/charts-base", "trustlab/sphinxext"} <= set(templates)
    for name, messages in templates.items():
        assert not i18n.catalog_problems(LOCALES / f"{name}.po", messages), name


def test_an_english_edit_marks_its_translation_fuzzy(tmp_path):
    """make translations: a changed English message keeps its old translation, flagged fuzzy,
    and the check then names the catalogue, line and message."""
    po = tmp_path / "glossary.po"
    shutil.copy(LOCALES / "book" / "glossary.po", po)
    entries = i18n.read_po(po)
    first = next(e for e in entries if len(e.msgid) > 60)
    messages = [e.msgid for e in entries]
    edited = first.msgid.replace(" ", "  ", 1).replace("  ", " a ", 1)
    messages[messages.index(first.msgid)] = edited
    new, fuzzy = translations.merge(po, messages)
    assert fuzzy == 1
    after = {e.msgid: e for e in i18n.read_po(po)}
    assert after[edited].fuzzy and after[edited].msgstr == first.msgstr
    problems = i18n.catalog_problems(po, messages)
    assert len(problems) == 1 and "fuzzy" in problems[0] and str(po) in problems[0]
    assert "line " in problems[0]


def test_a_catalogue_already_in_step_is_left_untouched(tmp_path):
    """make translations rewrites only catalogues whose messages changed (no date churn)."""
    po = tmp_path / "syllabus.po"
    shutil.copy(LOCALES / "book" / "syllabus.po", po)
    before = po.read_bytes()
    assert translations.merge(po, [e.msgid for e in i18n.read_po(po)]) == (0, 0)
    assert po.read_bytes() == before


def test_a_new_english_message_is_reported_missing(tmp_path):
    po = tmp_path / "intro.po"
    shutil.copy(LOCALES / "book" / "intro.po", po)
    expected = [e.msgid for e in i18n.read_po(po)] + ["A brand new paragraph."]
    problems = i18n.catalog_problems(po, expected)
    assert problems and "A brand new paragraph." in problems[-1]
    assert "make translations" in problems[-1]


def test_a_translation_that_loses_a_glued_number_is_caught(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n\nmsgid "About {glue:text}`n:,` people {cite:p}`a`."\n'
                  'msgstr "Unas 1,200 personas {cite:p}`a`."\n', encoding="utf-8")
    (problem,) = i18n.catalog_problems(po)
    assert "glue:text" in problem and "x.po, line 4" in problem


def test_a_malformed_catalogue_is_named_with_its_line(tmp_path):
    po = tmp_path / "bad.po"
    po.write_text('msgid "One"\nmsgstr "Uno"\nmsgid "Two"\nthis is not po\n', encoding="utf-8")
    (problem,) = i18n.catalog_problems(po)
    assert "bad.po, line 4" in problem


def test_spanish_dates_and_numbers():
    assert i18n.date("2025-07-18", lang="es") == "18 de julio de 2025"
    assert i18n.date("2025-07-18", "month", lang="es") == "julio de 2025"
    assert i18n.date("2025-07-18", lang="en") == "18 July 2025"
    assert i18n.gettext("Source:", "es") == "Fuente:"
    with pytest.raises(ValueError):
        i18n.use("fr")


def test_every_page_has_a_spanish_counterpart_linked_both_ways(built_book):
    from test_build import html_pages

    english = [p for p in html_pages(built_book) if not p.relative_to(built_book).as_posix()
               .startswith("es/") and not p.read_text(encoding="utf-8").startswith("<meta")]
    assert len(english) > 20
    for page in english:
        rel = page.relative_to(built_book).as_posix()
        es = built_book / "es" / rel
        assert es.is_file(), f"{rel} has no Spanish page"
        text, es_text = page.read_text(encoding="utf-8"), es.read_text(encoding="utf-8")
        link = re.search(r'<a class="[^"]*trustlab-edition-link[^"]*" href="([^"]+)" '
                         r'hreflang="es"', text)
        assert link and (page.parent / link.group(1)).resolve() == es.resolve(), rel
        back = re.search(r'<a class="[^"]*trustlab-edition-link[^"]*" href="([^"]+)" '
                         r'hreflang="en"', es_text)
        assert back and (es.parent / back.group(1)).resolve() == page.resolve(), rel
        assert '<html lang="es"' in es_text and '<html lang="en"' in text


def test_translated_pages_are_spanish_with_their_numbers(built_book):
    linked_english: set[str] = set()
    for doc in i18n.TRANSLATED:
        es = (built_book / "es" / f"{doc}.html").read_text(encoding="utf-8")
        en = (built_book / f"{doc}.html").read_text(encoding="utf-8")
        main = es[es.index("<main"):]
        assert main.count('role="listitem" lang="en"') == main.count('<div class="citation"')
        # (the reference list describes English sources in English: marked lang="en")
        # (so are a datasheet's prose passages: lang="en" too)
        main_es = re.sub(r'<div class="trustlab-en[^"]*" lang="en">.*?</div>', " ", main,
                         flags=re.S)
        body = text_of(re.sub(r'<div class="citation".*?</div>', " ", main_es, flags=re.S))
        # every glued value of the English page is in the Spanish page too
        for value in re.findall(r'<span class="pasted-text">([^<]+)</span>', en):
            if re.search(r"[A-Za-z]{3}", value):
                continue  # glued words (dates, ranks) are written in Spanish there
            assert value in es, f"es/{doc}: glued value {value!r} is missing"
        h1 = re.search(r"<h1>(.*?)</h1>", es, re.S).group(1)
        assert h1 != re.search(r"<h1>(.*?)</h1>", en, re.S).group(1), f"es/{doc}: English title"
        months = re.findall(r"\b\d{1,2} (January|February|March|April|June|July|August|"
                            r"September|October|November|December) \d{4}\b", body)
        assert not months, f"es/{doc}: English dates {months[:3]}"
        # every link from the article to a page that is not translated says so
        article = es[es.index("<article"):es.index("</article>")]
        for m in re.finditer(r'<a class="reference internal" href="([^"#]+)[^"]*">.*?</a>(.{0,13})',
                             article, re.S):
            target = (Path(doc).parent / m.group(1)).as_posix()
            target = re.sub(r"\.html$", "", str(Path(target)))
            parts: list[str] = []
            for p in target.split("/"):
                parts = parts[:-1] if p == ".." else [*parts, p]
            target = "/".join(parts)
            if target not in i18n.TRANSLATED and not target.endswith((".ipynb", ".py")):
                assert m.group(2).startswith(" (en inglés)"), f"es/{doc}: link to {target}"
                linked_english.add(doc)
    assert "book/03-crime/index" in linked_english, "the check of links found none to test"


def test_the_spanish_sidebar_and_glossary_read_in_spanish(built_book):
    """The book's part captions (inserted by sphinx-external-toc after Sphinx translates a
    page) are translated; the glossary is sorted by its Spanish terms."""
    page = (built_book / "es" / "book" / "syllabus.html").read_text(encoding="utf-8")
    captions = re.findall(r'<p aria-level="2" class="caption" role="heading">'
                          r'<span class="caption-text">([^<]+)</span>', page)
    assert "Capítulo 1" in captions and not {"Chapter 1", "Reference"} & set(captions), captions
    glossary = (built_book / "es" / "book" / "glossary.html").read_text(encoding="utf-8")
    terms = [text_of(t).strip() for t in re.findall(r"<dt[^>]*>(.*?)</dt>", glossary, re.S)]
    assert len(terms) > 20 and "Orden de retención (detainer)" in " ".join(terms)

    def plain(t: str) -> str:
        import unicodedata
        return "".join(c for c in unicodedata.normalize("NFKD", t)
                       if not unicodedata.combining(c)).casefold()
    assert [plain(t) for t in terms] == sorted(plain(t) for t in terms)


def test_pages_that_stay_english_say_so(built_book):
    lab = (built_book / "es" / "notebooks" / "03-crime-lab.html").read_text(encoding="utf-8")
    assert "Esta página está en inglés" in lab
    assert re.search(r'<div class="[^"]*trustlab-edition-note[^"]*" lang="es">', lab)
    assert '<div lang="en">' in lab
    chapter = (built_book / "es" / "book" / "03-crime" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"03-crime-lab\.html[^>]*>.*?</a>\s*\(en inglés\)", chapter, re.S)


def test_spanish_charts_are_made_in_spanish(built_book):
    """Every chart of a translated page: its title, description and the labels around it are
    Spanish (the chart was built with trustlab.i18n.use("es"))."""
    checked = 0
    for doc in i18n.TRANSLATED:
        es = (built_book / "es" / f"{doc}.html").read_text(encoding="utf-8")
        for chart in es.split('<div class="trustlab-chart" ')[1:]:
            checked += 1
            assert "Descripción en texto" in chart and "Text description" not in chart, doc
            title = re.search(r'data-title="([^"]*)"', chart).group(1)
            desc = text_of(re.search(r'<p id="[^"]+-desc">(.*?)</p>', chart, re.S).group(1))
            for text in (title, desc):
                assert not ENGLISH_WORDS.search(text), f"es/{doc}: English in a chart: {text[:150]}"
            if "trustlab-chart-table" in chart:
                assert "Tabla de datos (" in chart, doc
    assert checked >= 10
