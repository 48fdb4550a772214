"""Words: the one translation function every string a person reads goes through.

The reader's language is a context variable, set once per request (or per websocket
connection, or per live fragment being rendered) by `LanguageMiddleware` / `speaking()`;
`_` looks the text up in that language's catalogue and fills in `{named}` placeholders
with `str.format`, the same style in Python and in the templates.

Catalogues are the gettext `.po` files under `web/locale/<lang>/LC_MESSAGES/`, read with
Babel when first needed: there is no compile step and no `.mo` that can drift from its
`.po` (a translator edits the `.po`, restarts, and sees the change). Reading the three
files takes a few milliseconds, once per process. Fuzzy or empty entries fall back to
the English text, as msgfmt would.

Re-extract and update the catalogues with `make messages` (pybabel, `babel.cfg`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from gettext import c2py
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
COOKIE = "lang"
QUERY = "lang"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    """Its own name for itself, as the switch shows it."""
    dir: str = "ltr"


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English"),
    "fr": Language("fr", "Français"),
    "ar": Language("ar", "العربية", "rtl"),
}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def N_(text: str) -> str:
    """Mark a text for extraction where it is defined; `_` translates it where it is read
    (tables of labels, titles by status code)."""
    return text


@dataclass(frozen=True)
class Catalogue:
    singular: dict[str, str]
    """msgid → msgstr, translated entries only."""
    plural: dict[str, tuple[str, ...]]
    """singular msgid → the language's plural forms."""
    plural_form: Callable[[int], int]
    """n → which of the plural forms."""


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


@cache
def catalogue(code: str) -> Catalogue:
    """One language's catalogue, read from its `.po` the first time it is needed."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Catalogue({}, {}, _english_plural)
    from babel.messages.pofile import read_po  # only here: importing Babel is not free

    with path.open("rb") as f:
        cat = read_po(f, locale=code)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for message in cat:
        if not message.id or message.fuzzy:
            continue
        text, translation = message.id, message.string
        if isinstance(text, str) and isinstance(translation, str) and translation:
            singular[text] = translation
        elif isinstance(translation, tuple | list) and all(translation):
            plural[text[0]] = tuple(translation)
    return Catalogue(singular, plural, c2py(cat.plural_expr))


def language() -> str:
    """The reader's language code."""
    return _current.get()


def current() -> Language:
    return LANGUAGES[_current.get()]


@contextlib.contextmanager
def speaking(code: str | None) -> Iterator[Language]:
    """Render in `code` (unknown or None: English) for the duration of the block."""
    token = _current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield current()
    finally:
        _current.reset(token)


FSI, PDI = "\u2068", "\u2069"
"""Unicode's first-strong isolate and its end (what HTML's <bdi> does, in plain text)."""


def isolated(text: str) -> str:
    """`text` kept in its own direction inside a right-to-left page ("120 k" would read
    "k 120"); unchanged in a left-to-right one."""
    return f"{FSI}{text}{PDI}" if LANGUAGES[_current.get()].dir == "rtl" else text


def _fill(translated: str, original: str, values: dict[str, Any]) -> str:
    if not values:
        return translated
    if LANGUAGES[_current.get()].dir == "rtl":
        # In a right-to-left sentence a Latin name or a number must not merge with its
        # neighbours: "Northern Union ← Sahelia" would read as one left-to-right run and
        # its arrow would point the wrong way. Each value keeps its own direction.
        values = {k: f"{FSI}{v}{PDI}" for k, v in values.items()}
    try:
        return translated.format(**values)
    except (KeyError, IndexError, ValueError):
        # A translation with a broken placeholder must not break the page (the catalogue
        # tests catch it first): fall back to the English text.
        return original.format(**values)


def _(text: str, **values: Any) -> str:
    """The text in the reader's language, with `values` filled in."""
    found = catalogue(_current.get()).singular.get(text, text) if text else text
    return _fill(found, text, values)


def n_(singular: str, plural: str, n: int, **values: Any) -> str:
    """The text for `n` things in the reader's language (Arabic has six plural forms);
    `n` is also available to the text as `{n}`."""
    cat = catalogue(_current.get())
    forms = cat.plural.get(singular)
    english = singular if n == 1 else plural
    if forms:
        index = cat.plural_form(n)
        found = forms[index] if 0 <= index < len(forms) else english
    else:
        found = english
    return _fill(found, english, {"n": n, **values})


def translated(translations: dict[str, dict[str, str]], text: str) -> str:
    """One of a scenario's texts in the reader's language (its `translations`), or as the
    scenario wrote it."""
    return (translations.get(_current.get()) or {}).get(text) or text


# --- negotiation -------------------------------------------------------------------------


def from_accept_language(header: str | None) -> str | None:
    """The best language we speak from an `Accept-Language` header (q-values honoured,
    `fr-CA` counts as `fr`), or None."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _eq, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, code)
    return best[2] if best else None


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The switch (query, then its cookie) wins over the browser's wish."""
    for code in (query, cookie):
        if code is not None and code in LANGUAGES:
            return code
    return from_accept_language(accept_language) or DEFAULT


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def language_of_scope(scope: dict[str, Any]) -> tuple[str, bool]:
    """(language, whether the switch asked for it in this request's query)."""
    headers = _headers(scope)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(QUERY, [None])[0]
    cookie = None
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        with contextlib.suppress(Exception):
            jar.load(headers["cookie"])
        if COOKIE in jar:
            cookie = jar[COOKIE].value
    code = choose(query, cookie, headers.get("accept-language"))
    return code, query in LANGUAGES and query != cookie


class LanguageMiddleware:
    """Sets the reader's language for each HTTP request and websocket (pure ASGI, so the
    context variable is set in the task that runs the route). `?lang=fr` — the switch —
    also stores the choice in a cookie, so every later page, form and socket of this
    browser follows it; the seat's own cookies are untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        code, switched = language_of_scope(scope)
        scope.setdefault("state", {})["language"] = code

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if switched:
                    cookie = f"{COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Lax"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    # Words differ by language: a cache must not hand French to Arabic.
                    headers.append((b"content-language", code.encode("latin-1")))
                    headers.append((b"vary", b"Accept-Language, Cookie"))
                message = {**message, "headers": headers}
            await send(message)

        token = _current.set(code)
        try:
            await self.app(scope, receive, send_with_cookie if scope["type"] == "http" else send)
        finally:
            _current.reset(token)


def switch_links(path: str, query: str) -> list[dict[str, Any]]:
    """The language switch: one link per language to this very page (its other query
    parameters kept), marked with the language it is in."""
    params = [(k, v) for k, vs in parse_qs(query).items() if k != QUERY for v in vs]
    out = []
    for lang in LANGUAGES.values():
        href = path + "?" + urlencode([*params, (QUERY, lang.code)])
        out.append(
            {
                "code": lang.code,
                "name": lang.name,
                "href": href,
                "current": lang.code == _current.get(),
            }
        )
    return out


def install(env: Any) -> None:
    """Give a Jinja environment the words: `jinja2.ext.i18n` with our callables (so
    `_`, `gettext` and `ngettext` in a template are `_`/`n_` here, `{named}` placeholders
    filled by keyword), plus `language()` and the switch for `base.html`."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=_, ngettext=n_, newstyle=False)
    env.globals.update(_=_, n_=n_, language=current, switch_links=switch_links)
    env.filters["scenario_words"] = scenario_words


def scenario_words(text: str, view: dict[str, Any]) -> str:
    """A text that may be one of the scenario's (a game's title is its scenario's name
    unless the facilitator chose one) in the reader's language, from the view's
    translations."""
    tables = (view.get("scenario") or {}).get("translations") or {}
    return str((tables.get(_current.get()) or {}).get(text, text))


def localised(document: dict[str, Any]) -> dict[str, Any]:
    """The view document with the scenario's own texts (names, descriptions, events) in
    the reader's language where the scenario translates them (`translations` in its
    file); every other text is left as it is. The document itself is not changed."""
    tables = (document.get("scenario") or {}).get("translations") or {}
    table: dict[str, str] = tables.get(_current.get()) or {}
    if not table:
        return document

    def walk(x: Any) -> Any:
        if isinstance(x, str):
            return table.get(x, x)
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    out: dict[str, Any] = walk(document)
    return out
