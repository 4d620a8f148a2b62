"""The catalogs are complete, and the check CI runs fails in each way it promises to.

``check()`` is what ``make lint`` runs (``python -m extension catalogs check``). Each failure
mode is proved once on a copy: a catalog missing a message the code uses, an untranslated or
fuzzy entry (or one whose placeholders differ), and template text outside translation tags.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from extension import catalogs
from extension.catalogs import ROOT, TEMPLATES, check
from extension.i18n import LANGUAGES, LOCALE_DIR, UserLocale, use_locale
from extension.invoicing.invoice_status import InvoiceState
from extension.template_text import untranslated_text
from extension.web.invoice_words import (
    action_label,
    field_label,
    invoice_count,
    section_title,
    status_label,
)

RUSSIAN = UserLocale("ru", "ru_RU", "Europe/Moscow")
FINNISH = UserLocale("fi", "fi_FI", "Europe/Helsinki")


@pytest.fixture
def locale_copy(tmp_path: Path) -> Path:
    """The repository's catalogs, copied (never the real ones) for breaking."""
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    return copy


def _edit(path: Path, language: str, edit) -> None:  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    edit(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0)


def _finnish(root: Path) -> Path:
    return root / "fi" / "LC_MESSAGES" / "messages.po"


def test_the_catalogs_are_complete_and_in_step_with_the_code(locale_copy: Path) -> None:
    assert LANGUAGES == ("en", "fi", "ru")
    assert [str(p) for p in check()] == []
    # `make catalogs` on the committed catalogs changes nothing: they are what the code says.
    before = {p: p.read_bytes() for p in locale_copy.rglob("*.po")}
    catalogs.update(locale_copy)
    assert {p: p.read_bytes() for p in locale_copy.rglob("*.po")} == before


def test_a_message_missing_from_a_catalog_fails_the_check(locale_copy: Path) -> None:
    _edit(_finnish(locale_copy), "fi", lambda c: c.delete("View all invoices"))
    problems = [str(p) for p in check(locale_dir=locale_copy)]
    assert problems == [
        f"{_finnish(locale_copy)}: missing msgid 'View all invoices' (make catalogs)"
    ]


def test_untranslated_fuzzy_and_misplaced_placeholders_fail_the_check(locale_copy: Path) -> None:
    def spoil(catalog) -> None:  # type: ignore[no-untyped-def]
        catalog.get("+ Invoice").string = ""
        catalog.get("Close").flags.add("fuzzy")
        catalog.get("Connected to %(company)s.").string = "Yhdistetty: %(yritys)s."

    _edit(_finnish(locale_copy), "fi", spoil)
    problems = "\n".join(str(p) for p in check(locale_dir=locale_copy))
    assert "untranslated entry '+ Invoice'" in problems
    assert "fuzzy entry 'Close'" in problems
    assert "'Connected to %(company)s.': " in problems  # Babel's python-format checker
    assert len(problems.splitlines()) == 3


def test_russian_needs_all_three_plural_forms(locale_copy: Path) -> None:
    path = locale_copy / "ru" / "LC_MESSAGES" / "messages.po"

    def two_forms(catalog) -> None:  # type: ignore[no-untyped-def]
        message = catalog.get(("%(num)d invoice", "%(num)d invoices"))
        message.string = message.string[:2]

    _edit(path, "ru", two_forms)
    # The third form (5 счетов) reads back empty: an entry not yet translated.
    assert [p.what for p in check(locale_dir=locale_copy)] == [
        "untranslated entry '%(num)d invoice'"
    ]


def test_template_text_outside_translation_tags_fails_the_check(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / "_base.html").write_text(
        (templates / "_base.html").read_text().replace("<body", '<body title="Welcome back"'),
    )
    (templates / "sneaky.html").write_text(
        """{% extends "_base.html" %}
{% import "_shared.html" as shared with context %}
{% block surface %}panel{% endblock %}
{% block body %}
<h2>{{ _("Translated") }}</h2>
<p>{% trans %}Translated with {{ x }}{% endtrans %}</p>
<p class="status" data-error="{{ code }}">Overdue</p>
<dd>{{ "On" if flag else "Off" }}</dd>
<button aria-label="Close the panel">×</button>
{{ shared.loading("Loading invoices…") }}
{% endblock %}
"""
    )
    (templates / "sandbox" / "pipedrive_look_alike.html").write_text("<p>Deals</p>")
    found = [(u.where, u.text) for u in untranslated_text(templates)]
    assert found == [
        ("templates/_base.html", 'title="Welcome back"'),
        ("templates/sneaky.html", "Overdue"),
        ("templates/sneaky.html", "On……Off……"),
        ("templates/sneaky.html", 'aria-label="Close the panel"'),
        ("templates/sneaky.html", "loading(…'Loading invoices…'…)"),
    ]
    # The same finding fails the check CI runs.
    problems = [str(p) for p in check(templates=templates)]
    assert "templates/sneaky.html: text outside translation tags: 'Overdue'" in problems
    # The repository's own templates are clean.
    assert untranslated_text(TEMPLATES) == []


def test_a_new_language_starts_as_one_catalog_still_to_translate(locale_copy: Path) -> None:
    created = catalogs.init("de", locale_copy)
    assert created == locale_copy / "de" / "LC_MESSAGES" / "messages.po"
    problems = [
        p for p in check(locale_dir=locale_copy) if p.where.endswith("de/LC_MESSAGES/messages.po")
    ]
    with created.open("rb") as handle:
        entries = [m for m in read_po(handle) if m.id]
    assert len(problems) == len(entries) > 200
    assert all("untranslated entry" in p.what for p in problems)


def test_russian_plural_forms_and_the_articles_terms() -> None:
    with use_locale(RUSSIAN):
        counts = [invoice_count(n) for n in (1, 2, 5, 11, 21, 22, 25, 101, 112)]
        assert counts == [
            "1 счёт",
            "2 счёта",
            "5 счетов",
            "11 счетов",
            "21 счёт",
            "22 счёта",
            "25 счетов",
            "101 счёт",
            "112 счетов",
        ]
        assert status_label(InvoiceState.OVERDUE) == "Просрочен"
        assert section_title("items") == "Позиции счёта"
        assert (action_label("void"), field_label("to")) == ("Аннулировать", "Кому")
    with use_locale(FINNISH):
        assert [invoice_count(n) for n in (1, 2)] == ["1 lasku", "2 laskua"]
        assert [status_label(s) for s in InvoiceState] == [
            "Avoin",
            "Maksettu",
            "Osittain maksettu",
            "Erääntynyt",
            "Peruutettu",
            "Poistettu",
        ]
        assert section_title("customer") == "Asiakastiedot"
        assert action_label("unlink") == "Poista linkitys kaupasta"
        assert field_label("to") == "Vastaanottaja"
    assert invoice_count(1) == "1 invoice" and invoice_count(3) == "3 invoices"


def test_the_check_reads_the_repository(tmp_path: Path) -> None:
    assert (ROOT / "extension" / "locale" / "babel.cfg").is_file()
    template = catalogs.extract(tmp_path / "messages.pot")
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    # Python (error path, settings, glossary) and templates (panel, settings, install) alike.
    assert {"Pipedrive is busy", "+ Invoice", "Install the app", "%(num)d invoice"} <= ids
