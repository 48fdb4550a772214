"""The catalogues: every text a person reads is extracted, and translated in every language.

The template (`messages.pot`) is compared with a fresh extraction of the sources, so a new
`_("…")` that nobody extracted fails here too (run `make messages`, then translate).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "n_": (1, 2)}
METHODS = [
    ("web/**.py", "python"),
    ("server/**.py", "python"),
    ("web/templates/**.html", "jinja2"),
]
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_template_holds_exactly_what_the_sources_say() -> None:
    found = {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, _comments, _context in extract_from_dir(
            ROOT, METHODS, keywords=KEYWORDS
        )
        if msg
    }
    pot = ids(read(LOCALE_DIR / "messages.pot"))
    assert not found - pot, f"not extracted yet, run `make messages`: {sorted(found - pot)}"
    assert not pot - found, f"no longer in the sources, run `make messages`: {sorted(pot - found)}"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_each_catalogue_has_every_message_of_the_template(code: str) -> None:
    pot = ids(read(LOCALE_DIR / "messages.pot"))
    po = ids(read(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", code))
    assert pot == po, f"{code}: run `make messages` ({sorted(pot ^ po)[:20]})"


def untranslated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return message.fuzzy or not all(s and s.strip() for s in strings)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated(code: str) -> None:
    po = read(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", code)
    missing = [m.id for m in po if m.id and untranslated(m)]
    assert not missing, f"{len(missing)} messages untranslated in {code}: {missing}"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_translations_keep_the_placeholders(code: str) -> None:
    po = read(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", code)
    wrong = []
    for m in po:
        if not m.id or untranslated(m):
            continue
        if isinstance(m.id, str):
            if placeholders(m.string) != placeholders(m.id):
                wrong.append((m.id, m.string))
        else:
            # A plural form may say "one" or "two" in words instead of {n}, never more.
            allowed = placeholders(m.id[0]) | placeholders(m.id[1])
            needed = allowed - {"n"}
            for form in m.string:
                if not needed <= placeholders(form) <= allowed:
                    wrong.append((m.id[0], form))
    assert not wrong, f"placeholders differ in {code}: {wrong}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_plural_forms_are_the_languages_own(code: str) -> None:
    po = read(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", code)
    for m in po:
        if m.id and not isinstance(m.id, str):
            assert len(m.string) == po.num_plurals, m.id
