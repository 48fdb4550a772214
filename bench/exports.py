"""How big the exports and the printable report of a finished game are, per shipped
scenario: a game played by bots to its end (the scenario's rounds, --rounds to cut),
then the facilitator's log (JSON), a team's view (JSON), the indicators (CSV) and the
report (HTML), in bytes. Also how long the replay's fold of the whole log takes. Prints
figures, asserts nothing.

One process, the app over ASGI (no sockets), a fresh SQLite file.

Run: .venv/bin/python bench/exports.py [--rounds N] [--scenario mediterranean]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# bench/server.py would shadow the server package: import it from the project's root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
create_app = importlib.import_module("server.app").create_app
upgrade = importlib.import_module("server.db").upgrade
Settings = importlib.import_module("server.settings").Settings
fold_rounds = importlib.import_module("server.replay").fold_rounds
shipped = importlib.import_module("game_rules").shipped_scenarios
load_scenario = importlib.import_module("game_rules").load_scenario


async def one(scenario: str, rounds: int | None, folder: Path) -> dict[str, Any]:
    url = f"sqlite:///{folder / f'{scenario}.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url, games_per_hour=10_000))
    hall = app.state.hall
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as c,
    ):
        spec: dict[str, Any] = {"scenario": scenario, "seed": 7}
        if rounds:
            spec["rounds"] = rounds
        made = (await c.post("/api/games", json=spec)).json()
        gid, auth = made["game_id"], {"Authorization": f"Bearer {made['facilitator_token']}"}
        await c.put(f"/api/games/{gid}/bots", json={"seconds": 0}, headers=auth)
        teams = [t.id for t in load_scenario(scenario).teams]
        for team in teams:
            await c.put(f"/api/games/{gid}/bots/{team}", json={"strategy": "reciprocator"},
                        headers=auth)  # fmt: skip
        seat = (await c.post("/api/join", json={"code": made["join_code"], "name": "S"})).json()
        await c.post(f"/api/games/{gid}/me/team", json={"team": teams[0]},
                     headers={"Authorization": f"Bearer {seat['token']}"})  # fmt: skip
        await c.post(f"/api/games/{gid}/actions", json={"kind": "start_game"}, headers=auth)
        room = await hall.room(gid)
        while room.state.phase.value != "ended":
            await asyncio.sleep(0.05)  # the bots play
        await hall.debrief(room)
        team_auth = {"Authorization": f"Bearer {seat['token']}"}
        out: dict[str, Any] = {"scenario": scenario, "rounds": len(room.state.history),
                               "log_entries": room.seq + 1}  # fmt: skip
        for name, path, who in (
            ("log.json (facilitator)", "export/log.json", auth),
            ("view.json (a team)", "export/log.json", team_auth),
            ("indicators.csv (facilitator)", "export/indicators.csv", auth),
        ):
            out[name] = len((await c.get(f"/api/games/{gid}/{path}", headers=who)).content)
        c.cookies.set(f"compact_facilitator_{gid}", made["facilitator_token"])
        out["report.html (facilitator)"] = len((await c.get(f"/games/{gid}/report")).content)
        started = time.perf_counter()
        fold_rounds(hall.engine, gid)
        out["replay fold ms"] = round((time.perf_counter() - started) * 1000)
        return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--scenario", action="append", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in args.scenario or shipped():
            row = await one(scenario, args.rounds, Path(tmp))
            print("  ".join(f"{k}: {v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
