"""A bot whose move raises is logged with its game and team, its team is handed back to
people with a word on every screen, and the other bots play on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.server.conftest import LiveServer
from tests.server.players import Browser


async def test_a_failing_bot_is_handed_back_and_the_others_go_on(
    server: LiveServer, browsers: Callable[[], Browser], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="compact.bots")
    fac = browsers()
    await fac.create_game(scenario="mediterranean", seed=3, rounds=2)
    r = await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text
    for team in ("union", "sahelia"):
        r = await fac.http.put(
            f"/api/games/{fac.game_id}/bots/{team}",
            json={"strategy": "reciprocator"},
            headers=fac.auth,
        )
        assert r.status_code == 200, r.text
    room = await server.hall.room(fac.game_id)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("an engine bug")

    room.bots["union"].bot.act = broken  # type: ignore[method-assign]
    tab = await fac.open_tab()
    await fac.act({"kind": "start_game"})
    # Union's bot is handed back, with an announcement; Sahelia's bot goes on playing.
    await tab.until(
        lambda m: (
            m.get("type") == "view"
            and "union" not in m["bots"]
            and any(c["channel"] == "announcement" and "error" in c["text"] for c in m["chat"])
        )
    )
    await tab.until(
        lambda m: (
            m.get("type") == "view"
            and any(t["id"] == "sahelia" and t["ready"] for t in m["view"]["teams"])
        )
    )
    # The announcement is a record, said in each reader's language on the pages.
    last_view = [m for m in tab.messages if m.get("type") == "view"][-1]
    lines = [c for c in last_view["chat"] if c["channel"] == "announcement"]
    assert lines[-1]["record"] == {"kind": "bot_handed_back", "team": "union"}, lines
    expected = {
        "en": "stopped after an error:",
        "fr": "s’est arrêté après une erreur :",
        "ar": "توقّف بعد خطأ:",
    }
    for lang, words in expected.items():
        page = (await fac.http.get(f"/games/{fac.game_id}/console?lang={lang}")).text
        assert words in page, (lang, words)
    failed = [r for r in caplog.records if r.name == "compact.bots" and r.exc_info]
    assert failed, [r.getMessage() for r in caplog.records]
    assert fac.game_id in failed[0].getMessage() and "union" in failed[0].getMessage()
    assert "sahelia" in server.hall.rooms[fac.game_id].bots
