"""Floods are limited per seat: a seat that sends chat faster than people type gets a 429
with a clear message and a Retry-After; other seats are not slowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
