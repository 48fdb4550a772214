from __future__ import annotations

from tests.server.conftest import LiveServer


async def test_a_game_can_be_created_joined_and_started(server: LiveServer, browsers) -> None:
    fac = browsers()
    game = await fac.create_game(scenario="mediterranean", seed=3)
    p = browsers()
    await p.join(game["join_code"], "Ada", "union")
    tab = await p.open_tab()
    first = await tab.until(lambda m: m["type"] == "view")
    assert first["audience"] == "team:union"
    started = await fac.act({"kind": "start_game"})
    view = await tab.view_at(started["seq"])
    assert view["view"]["phase"] == "briefing"
