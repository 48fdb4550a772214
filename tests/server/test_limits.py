"""Floods are limited per seat: a seat that sends chat faster than people type gets a 429
with a clear message and a Retry-After; other seats are not slowed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import upgrade
from server.limits import JoinLimiter
from server.security import BROWSER_COOKIE
from server.settings import Settings
from tests.server.conftest import LiveServer
from tests.server.players import seat_table


async def test_a_chat_flood_is_refused_with_429_and_others_go_on(
    start_server: Callable[..., Any],
) -> None:
    server: LiveServer = await start_server(chat_burst=5, chat_per_minute=6)
    made = []

    def make() -> Any:
        b = server.browser()
        made.append(b)
        return b

    try:
        table = await seat_table(make)
        union, coast = table.teams["union"], table.teams["coastland"]
        statuses = []
        for i in range(12):
            r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"spam {i}"})
            statuses.append(r.status_code)
        assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}, statuses
        r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "again"})
        assert r.json()["error"] == "too_many_messages" and "wait" in r.json()["message"]
        assert int(r.headers["retry-after"]) >= 1
        tab = await union.open_tab()
        await tab.send({"type": "chat", "channel": "plenary", "text": "ws", "request_id": "w"})
        reply = await tab.until(lambda m: m.get("request_id") == "w")
        assert reply["type"] == "error" and reply["status"] == 429
        r = await coast.post("/api/games/{g}/chat", {"channel": "plenary", "text": "hello"})
        assert r.status_code == 200, r.text
        chat = (await coast.get("/api/games/{g}/chat")).json()["messages"]
        assert sum(1 for m in chat if m["text"].startswith("spam")) == 5
    finally:
        for b in made:
            await b.close()


async def test_game_creation_is_limited_per_address_behind_a_trusted_proxy(
    start_server: Callable[..., Any],
) -> None:
    server: LiveServer = await start_server(games_per_hour=3, trusted_proxies=["127.0.0.1"])
    b = server.browser()
    try:

        async def create(address: str) -> int:
            r = await b.http.post(
                "/api/games", json={}, headers={"x-forwarded-for": f"6.6.6.6, {address}"}
            )
            return r.status_code

        assert [await create("10.0.0.1") for _ in range(4)] == [201, 201, 201, 429]
        r = await b.http.post("/api/games", json={}, headers={"x-forwarded-for": "10.0.0.1"})
        assert r.json()["error"] == "too_many_games" and r.headers["retry-after"]
        # Another client behind the same proxy is not blocked by the first one's games;
        # a forged first entry does not count (only what the proxy added).
        assert await create("10.0.0.2") == 201
        r = await b.http.post(
            "/start", data={"scenario": "mediterranean"}, headers={"x-forwarded-for": "10.0.0.1"}
        )
        assert r.status_code in (422, 429) and "too many new games" in r.text, r.text
    finally:
        await b.close()


def test_forwarded_addresses_are_believed_only_from_trusted_proxies() -> None:
    from starlette.requests import Request

    from server.security import client_address

    def request(peer: str, forwarded: str) -> Request:
        headers = [(b"x-forwarded-for", forwarded.encode())]
        return Request({"type": "http", "client": (peer, 1234), "headers": headers})

    trusted = ["10.1.1.1"]
    assert client_address(request("6.6.6.6", "1.2.3.4"), trusted) == "6.6.6.6"
    assert client_address(request("10.1.1.1", "1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(request("10.1.1.1", "9.9.9.9, 1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(request("10.1.1.1", "1.2.3.4, 10.1.1.1"), trusted) == "1.2.3.4"


# --- join codes: per browser, and per address with a much higher ceiling ---------------------


@pytest.fixture
async def one_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server on SQLite only: the join limits never touch the database's kind."""
    url = f"sqlite:///{tmp_path / 'compact.db'}"
    upgrade(url)
    server = await LiveServer(Settings(database_url=url)).start()
    yield server
    await server.stop()


async def test_wrong_codes_from_one_browser_do_not_lock_another_out(
    one_server: LiveServer,
) -> None:
    """A conference behind one NAT is one address: one person's typos (10, the browser's
    whole budget) leave everyone else's right code working."""
    fac = one_server.browser()
    code = (await fac.create_game())["join_code"]
    typist, other, third = (one_server.browser() for _ in range(3))
    for i in range(10):
        r = await typist.http.get(f"/api/join/ZZZZ{i:02d}")
        assert r.status_code == 404, r.text
    r = await typist.http.post("/api/join", json={"code": code, "name": "Typist"})
    assert r.status_code == 429, r.text  # its own mistakes: it waits, right code or not
    r = await other.http.post("/api/join", json={"code": code, "name": "Bea"})
    assert r.status_code == 200, r.text
    page = await third.http.get(f"/join/{code}")
    assert page.status_code == 200, page.text
    r = await third.http.post("/join", data={"code": code, "name": "Cy"})
    assert r.status_code == 303 and r.headers["location"].endswith("/play"), r.text
    for b in (fac, typist, other, third):
        await b.close()


async def test_brute_force_from_one_address_is_still_stopped(one_server: LiveServer) -> None:
    server = one_server
    now = [1000.0]
    per_address = 8
    server.app.state.join_limiter = JoinLimiter(10, per_address, clock=lambda: now[0])
    owner, regular = server.browser(), server.browser()
    async with httpx.AsyncClient(base_url=server.url) as guesser:
        code = (await owner.create_game())["join_code"]
        await regular.http.get("/join")  # opened the join page a while ago
        # Ids made in advance: only the first `per_address` of a window earn standing.
        hoard = []
        for _ in range(per_address + 3):
            guesser.cookies.clear()
            await guesser.get("/join")
            hoard.append(guesser.cookies[BROWSER_COOKIE])
        now[0] += 61
        statuses = []
        for i in range(per_address + 4):  # a fresh cookie every guess: the address tier
            guesser.cookies.clear()
            statuses.append((await guesser.get(f"/api/join/ZZZZ{i:02d}")).status_code)
        assert statuses == [404] * per_address + [429] * 4, statuses
        guesser.cookies.clear()
        r = await guesser.get(f"/api/join/{code}")
        assert r.status_code == 429, "a new browser is not even asked for its code now"
        # The hoard gives each of its known ids one guess over the ceiling, then none.
        looked_up = 0
        for browser in hoard:
            for i in range(2):
                guesser.cookies.clear()
                guesser.cookies.set(BROWSER_COOKIE, browser)
                looked_up += (await guesser.get(f"/api/join/YYYY{i:02d}")).status_code == 404
        assert looked_up <= per_address - 1, looked_up  # `regular` took one of the ids
        # Whoever the server knew before gets in with the right code all the same.
        r = await regular.http.post("/api/join", json={"code": code, "name": "Regular"})
        assert r.status_code == 200, r.text
        now[0] += 61  # the window passes: new browsers try again
        guesser.cookies.clear()
        assert (await guesser.get(f"/api/join/{code}")).status_code == 200
    await owner.close()
    await regular.close()
