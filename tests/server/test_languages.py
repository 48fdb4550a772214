"""The reader's language: from the browser, the switch on every screen, and live fragments
that arrive over the websocket in each connection's own language."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from server.live import register_renderer
from tests.server.conftest import LiveServer
from tests.server.players import Browser, seat_table


async def get(b: Browser, path: str, accept_language: str | None = None) -> httpx.Response:
    headers = {**b.auth, **({"Accept-Language": accept_language} if accept_language else {})}
    return await b.http.get(path.format(g=b.game_id), headers=headers)


def html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found is not None
    return found.group(0)


async def test_a_page_asked_for_in_french_is_in_french(browsers) -> None:
    b = browsers()
    r = await get(b, "/join", "fr-CA,fr;q=0.9,en;q=0.5")
    assert r.status_code == 200
    assert 'lang="fr"' in html_tag(r.text) and 'dir="ltr"' in html_tag(r.text)
    assert "Aller au contenu" in r.text and "Skip to content" not in r.text
    assert r.headers["content-language"] == "fr"


async def test_an_unknown_language_gets_english(browsers) -> None:
    r = await get(browsers(), "/join", "de-DE,de;q=0.9")
    assert 'lang="en"' in html_tag(r.text) and "Skip to content" in r.text


async def test_the_switch_sets_arabic_right_to_left_and_the_browser_keeps_it(browsers) -> None:
    b = browsers()
    r = await get(b, "/join?lang=ar", "fr")
    assert 'lang="ar"' in html_tag(r.text) and 'dir="rtl"' in html_tag(r.text)
    assert "lang=ar" in r.headers["set-cookie"]
    # The cookie wins over the browser's wish from now on, on every screen.
    again = await get(b, "/", "fr")
    assert 'lang="ar"' in html_tag(again.text)
    back = await b.get("/?lang=en")
    assert 'lang="en"' in html_tag(back.text)


async def test_the_switch_keeps_the_page_and_its_seat(browsers) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    play = f"/games/{table.game_id}/play"
    r = await union.get(play)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang', r.text))
    by_lang = {lang: href.replace("&amp;", "&") for href, lang in links.items()}
    assert set(by_lang) == {"en", "fr", "ar"}
    assert by_lang["fr"] == f"{play}?lang=fr"
    french = await union.get(by_lang["fr"])
    # Still this player's seat in its team, now in French.
    assert french.status_code == 200 and 'lang="fr"' in html_tag(french.text)
    assert "union delegate" in french.text and 'name="team"' not in french.text
    links_fr = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang', french.text)
    assert all("lang=fr&" not in h for h, _ in links_fr)  # the old choice is replaced


async def test_live_fragments_arrive_in_each_connections_language(
    browsers, server: LiveServer
) -> None:
    calls: list[tuple[str, str | None]] = []

    def speaking(doc: dict[str, Any], key: str, context: dict[str, Any]) -> str:
        calls.append((key, context.get("language")))
        return json.dumps({"type": doc["type"], "seq": doc.get("seq"), "lang": context["language"]})

    register_renderer("spoken", speaking)
    table = await seat_table(browsers)
    union = table.teams["union"]
    tabs = {
        lang: [await union.open_tab(f"format=spoken&lang={lang}") for _ in range(2)]
        for lang in ("en", "fr", "ar")
    }
    for lang, some in tabs.items():
        for tab in some:
            assert (await tab.until(lambda m: m["type"] == "view"))["lang"] == lang
    calls.clear()
    r = await union.post("/api/games/{g}/chat", {"channel": "team", "text": "salut"})
    seq = r.json()["seq"]
    for lang, some in tabs.items():
        for tab in some:
            assert (await tab.view_at(seq))["lang"] == lang
    # Rendered once per (audience, language), not once per connection.
    assert sorted(c for c in calls if c[0] == "team:union") == [
        ("team:union", "ar"),
        ("team:union", "en"),
        ("team:union", "fr"),
    ]


async def test_no_english_sentence_is_left_on_a_french_or_arabic_screen(browsers) -> None:
    """Every catalogued English sentence (placeholders aside) is gone from the start and
    join pages, a seated player's, the console and the projector in French or Arabic."""
    from web.i18n import catalogue

    english = [
        text
        for text, tr in catalogue("fr").singular.items()
        if len(text) >= 12 and "{" not in text and tr != text
    ]
    assert len(english) > 100
    table = await seat_table(browsers)
    union = table.teams["union"]
    for lang in ("fr", "ar"):
        for who, path in (
            (union, "/"),
            (union, "/join"),
            (union, f"/games/{table.game_id}/play"),
            (table.facilitator, f"/games/{table.game_id}/console"),
            (table.facilitator, f"/games/{table.game_id}/projector"),
        ):
            r = await get(who, f"{path}?lang={lang}")
            assert r.status_code == 200, (path, r.status_code)
            text = re.sub(r"<[^>]+>", " ", r.text)
            left = [e for e in english if e in text]
            assert not left, (lang, path, left)
