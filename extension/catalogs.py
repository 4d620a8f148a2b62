"""The translation catalogs' workflow, with Babel's own tools: extract, update, check.

``python -m extension catalogs update`` (``make catalogs``) runs ``pybabel extract`` over our
Python and templates (``extension/locale/babel.cfg``) into a template, then ``pybabel update``
on every catalog under ``extension/locale/``; English, the source language, has each new
entry filled with its own words, so a translator's work is only Finnish, Russian, and whatever
comes next. ``init LANG`` starts a new language's catalog. ``make setup`` compiles them with
``pybabel compile`` (compiled files are not kept in git).

``check`` is what CI runs. It fails when

- a catalog lacks a message the code or templates use (extracted afresh into a temporary
  template and compared),
- an entry is untranslated or fuzzy, or its placeholders differ from the source's,
- a template shows text outside the translation tags (``extension.template_text``).

The same keywords and mapping serve all of these, so what is checked is what is extracted.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from extension.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE
from extension.template_text import untranslated_text

__all__ = [
    "ROOT",
    "Problem",
    "extract",
    "update",
    "init",
    "fill_source_language",
    "check",
    "catalog_problems",
    "main",
]

ROOT = Path(__file__).resolve().parent.parent
MAPPING = LOCALE_DIR / "babel.cfg"
TEMPLATES = ROOT / "templates"
# Babel's default keywords (gettext, ngettext, pgettext, _ …) and our lazy one.
EXTRA_KEYWORDS = ("lazy_gettext",)
# Comments starting with this tag, above a message, reach the translator.
COMMENT_TAG = "Translators:"
# Directories the extraction never walks into (the mapping picks files within the rest).
IGNORED_DIRS = ".* ._ node_modules data test-artifacts build dist"


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _pybabel(*argv: str) -> None:
    status = CommandLineInterface().run(["pybabel", "-q", *argv])  # type: ignore[no-untyped-call]
    if status:
        raise SystemExit(f"pybabel {argv[0]} failed ({status})")


def extract(output: Path, root: Path = ROOT) -> Catalog:
    """``pybabel extract`` of ``root`` into ``output``; returns the template read back."""
    keywords = [arg for word in EXTRA_KEYWORDS for arg in ("-k", word)]
    with contextlib.chdir(root):
        _pybabel(
            "extract",
            "-F",
            str(MAPPING),
            *keywords,
            f"--add-comments={COMMENT_TAG}",
            "--add-location=file",
            "--no-wrap",
            f"--ignore-dirs={IGNORED_DIRS}",
            "--project=qbo-pipedrive",
            "-o",
            str(output),
            ".",
        )
    with output.open("rb") as handle:
        return read_po(handle)


@contextlib.contextmanager
def _template(root: Path = ROOT) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="catalogs-") as folder:
        path = Path(folder) / f"{DOMAIN}.pot"
        extract(path, root)
        yield path


def catalog_paths(locale_dir: Path = LOCALE_DIR) -> dict[str, Path]:
    return {
        path.parent.parent.name: path
        for path in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    }


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, ignore_obsolete=True)


def fill_source_language(path: Path) -> int:
    """English entries read as their msgid unless someone reworded them; returns how many
    were filled (new entries, and reworded sources pybabel marked fuzzy)."""
    catalog = _read(path, SOURCE_LANGUAGE)
    filled = 0
    for message in catalog:
        if not message.id or (not message.fuzzy and _translated(message)):
            continue
        message.string = tuple(message.id) if message.pluralizable else message.id
        message.flags.discard("fuzzy")
        filled += 1
    _write(path, catalog)
    return filled


def update(locale_dir: Path = LOCALE_DIR) -> None:
    """Extract, then bring every catalog up to date with the code (``make catalogs``)."""
    with _template() as template:
        _pybabel(
            "update",
            "-i",
            str(template),
            "-d",
            str(locale_dir),
            "-D",
            DOMAIN,
            "--no-wrap",
            "--ignore-obsolete",
            "--ignore-pot-creation-date",
        )
    source = catalog_paths(locale_dir).get(SOURCE_LANGUAGE)
    if source is not None:
        fill_source_language(source)


def init(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """A new language's catalog, every entry still to translate (``check`` says which)."""
    with _template() as template:
        _pybabel("init", "-i", str(template), "-d", str(locale_dir), "-D", DOMAIN, "-l", language)
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return msgid, message.context


def _strings(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, (list, tuple)):
        return tuple(message.string)
    return (message.string or "",)


def _translated(message: Message) -> bool:
    return all(_strings(message))


def catalog_problems(template: Catalog, path: Path, language: str) -> list[Problem]:
    """What keeps one catalog from being complete against the extracted ``template``."""
    catalog = _read(path, language)
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    problems: list[Problem] = []
    present = {_key(message): message for message in catalog if message.id}
    for wanted in template:
        if not wanted.id:
            continue
        found = present.get(_key(wanted))
        if found is None or (wanted.pluralizable and found.id != wanted.id):
            problems.append(Problem(where, f"missing msgid {_key(wanted)[0]!r} (make catalogs)"))
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(Problem(where, f"fuzzy entry {_key(message)[0]!r}"))
        elif not _translated(message):
            problems.append(Problem(where, f"untranslated entry {_key(message)[0]!r}"))
        if message.pluralizable and len(_strings(message)) != catalog.num_plurals:
            problems.append(
                Problem(where, f"{_key(message)[0]!r} needs {catalog.num_plurals} plural forms")
            )
    # Babel's own checkers: python-format placeholders of every translation match the source.
    for message, errors in catalog.check():
        for error in errors:
            problems.append(Problem(where, f"{_key(message)[0]!r}: {error}"))
    return problems


def check(
    root: Path = ROOT, locale_dir: Path = LOCALE_DIR, templates: Path = TEMPLATES
) -> list[Problem]:
    problems: list[Problem] = []
    with _template(root) as template_path:
        with template_path.open("rb") as handle:
            template = read_po(handle)
        for language, path in catalog_paths(locale_dir).items():
            problems += catalog_problems(template, path, language)
    for found in untranslated_text(templates):
        problems.append(Problem(found.where, f"text outside translation tags: {found.text!r}"))
    return problems


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m extension catalogs")
    commands = parser.add_subparsers(dest="step", required=True)
    commands.add_parser("update", help="extract messages and update every catalog")
    commands.add_parser("check", help="fail on missing, untranslated or fuzzy messages")
    start = commands.add_parser("init", help="start the catalog of a new language")
    start.add_argument("language", help="a locale identifier such as de or pt_BR")
    args = parser.parse_args(argv)
    if args.step == "update":
        update()
        print("catalogs updated: " + ", ".join(catalog_paths()))
    elif args.step == "init":
        print(f"created {init(args.language)}; translate it, then `make setup` compiles it")
    else:
        problems = check()
        for problem in problems:
            print(problem)
        if problems:
            raise SystemExit(f"{len(problems)} translation problem(s); see above")
        print("catalogs complete: " + ", ".join(catalog_paths()))
