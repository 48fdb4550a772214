"""Requests a browser makes from a page of another origin (another site, or another port
of the same host) with this server's cookies are refused: form posts, API calls and the
websocket. Bearer-token clients and same-origin pages are unaffected."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from websockets.asyncio.client import connect

from tests.server.conftest import LiveServer
from tests.server.players import WAIT, Browser, Tab, log_length, seat_table

EVIL = "http://127.0.0.1:1"  # another port of the same host: same site, other origin


def _cookie_only(b: Browser) -> dict[str, str]:
    return {"cookie": "; ".join(f"{c.name}={c.value}" for c in b.http.cookies.jar)}


async def test_form_posts_from_another_origin_are_refused(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    table = await seat_table(browsers)
    fac, union = table.facilitator, table.teams["union"]
    g = table.game_id
    before = await log_length(fac)
    attempts = [
        (union, f"/games/{g}/play/chat", {"to": "plenary", "text": "forged"}),
        (union, f"/games/{g}/play/act", {"kind": "set_ready", "ready": "1"}),
        (fac, f"/games/{g}/console/do", {"op": "pause"}),
        (fac, f"/games/{g}/console/place", {}),
    ]
    for who, path, form in attempts:
        for origin in ({"origin": EVIL}, {"referer": f"{EVIL}/page"}, {"origin": "null"}):
            r = await who.http.post(path, data=form, headers=origin)
            assert r.status_code == 403, (path, origin, r.text)
    # The JSON API by cookie too.
    r = await union.http.post(
        f"/api/games/{g}/chat",
        json={"channel": "plenary", "text": "forged"},
        headers={"origin": EVIL},
    )
    assert r.status_code == 403, r.text
    assert await log_length(fac) == before


async def test_a_form_post_needs_its_pages_csrf_token(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    table = await seat_table(browsers)
    fac, union = table.facilitator, table.teams["union"]
    g = table.game_id
    before = await log_length(fac)
    same = {"origin": server.url}
    r = await union.http.post(f"/games/{g}/play/chat", data={"text": "no token"}, headers=same)
    assert r.status_code == 403 and "reload" in r.text, r.text
    r = await union.http.post(
        f"/games/{g}/play/chat",
        data={"text": "wrong token"},
        headers={**same, "x-csrf-token": "0" * 32},
    )
    assert r.status_code == 403, r.text
    assert await log_length(fac) == before
    # The play page carries the token; with it the same post goes through.
    page = (await union.http.get(f"/games/{g}/play")).text
    token = page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    r = await union.http.post(
        f"/games/{g}/play/chat", data={"text": "hello"}, headers={**same, "x-csrf-token": token}
    )
    assert r.status_code == 200, r.text
    r = await union.http.post(
        f"/games/{g}/play/chat", data={"text": "hi", "csrf_token": token}, headers=same
    )
    assert r.status_code == 200, r.text
    # One seat's token is not another's.
    r = await table.teams["coastland"].http.post(
        f"/games/{g}/play/chat", data={"text": "hi", "csrf_token": token}, headers=same
    )
    assert r.status_code == 403, r.text
    assert await log_length(fac) == before + 2


async def test_bearer_clients_and_same_origin_pages_are_unaffected(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    # A bearer token with a foreign Origin: a browser never sends it on its own.
    r = await union.post(
        "/api/games/{g}/chat", {"channel": "plenary", "text": "bearer"}, headers={"origin": EVIL}
    )
    assert r.status_code == 200, r.text
    r = await union.http.post(
        f"/api/games/{table.game_id}/chat",
        json={"channel": "plenary", "text": "cookie, same origin"},
        headers={"origin": server.url},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("who", ["union", "facilitator"])
async def test_the_websocket_refuses_another_origin(
    server: LiveServer, browsers: Callable[[], Browser], who: str
) -> None:
    table = await seat_table(browsers)
    b = table.facilitator if who == "facilitator" else table.teams[who]
    url = f"{server.ws_url}/ws/games/{table.game_id}"
    ws = await connect(
        url,
        additional_headers={**_cookie_only(b), "origin": EVIL},
        compression=None,
        open_timeout=WAIT,
    )
    tab = Tab(ws)
    await tab.wait_closed()
    assert not tab.views(), "a foreign page read a view"
    assert any(m.get("error") == "cross_site" for m in tab.messages)
    await tab.close()
    # The same cookie from the server's own pages connects.
    ws = await connect(
        url,
        additional_headers={**_cookie_only(b), "origin": server.url},
        compression=None,
        open_timeout=WAIT,
    )
    tab = Tab(ws)
    await tab.until(lambda m: m.get("type") == "view")
    await tab.close()


async def test_the_facilitator_cookie_is_strict_and_seats_lax(
    browsers: Callable[[], Browser],
) -> None:
    fac = browsers()
    r = await fac.http.post("/api/games", json={"scenario": "mediterranean"})
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie and "httponly" in cookie
    b = browsers()
    r = await b.http.post("/api/join", json={"code": r.json()["join_code"], "name": "Ana"})
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=lax" in cookie and "httponly" in cookie
