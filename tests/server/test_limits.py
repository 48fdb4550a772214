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
