"""The commit path of one game with web screens attached: how long each action holds the
game's lock, its latency and the server's CPU per action. Prints figures, asserts nothing.

One process, the app over ASGI (no sockets, no uvicorn), a fresh SQLite file. A
Mediterranean game with one seat per team; 10 tabs per audience (each team, the
facilitator, the projector) attached in the web's `html` format, so each action renders
five screens with Jinja and SVG; then --actions plenary chat messages, one at a time; then
the game is played to its end (--rounds) and the ending action is timed apart, because the
debrief's no-agreement replay starts there.

Run: .venv/bin/python bench/commit.py [--actions 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
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
live = importlib.import_module("server.live")
Settings = importlib.import_module("server.settings").Settings
Connection = live.Connection

TABS = 10


class Quiet:
    async def send_text(self, data: str) -> None:
        return None

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        return None


class TimedLock(asyncio.Lock):
    """The game's lock, timing how long each holder keeps it."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[float] = []
        self._since = 0.0

    async def acquire(self) -> bool:
        await super().acquire()
        self._since = time.perf_counter()
        return True

    def release(self) -> None:
        self.held.append(time.perf_counter() - self._since)
        super().release()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))] * 1000


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="compact-commit-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'compact.db'}"
        upgrade(url)
        # One seat sends the whole burst: the per-seat chat limit is lifted for the bench.
        app = create_app(Settings(database_url=url, chat_per_minute=1e6, chat_burst=10**6))
        hall = app.state.hall
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            r = await http.post(
                "/api/games", json={"scenario": "mediterranean", "seed": 1, "rounds": args.rounds}
            )
            game = r.json()
            gid, fac = game["game_id"], {"Authorization": f"Bearer {game['facilitator_token']}"}
            seats = {}
            for team in ("union", "coastland", "sahelia"):
                r = await http.post(
                    "/api/join", json={"code": game["join_code"], "name": team, "team": team}
                )
                seats[team] = {"Authorization": f"Bearer {r.json()['token']}"}
            for kind in ("start_game", "advance_phase"):
                await http.post(f"/api/games/{gid}/actions", json={"kind": kind}, headers=fac)
            room = await hall.room(gid)
            lock = TimedLock()
            room.lock = lock
            fmt = live.spoken("html", "en") if hasattr(live, "spoken") else "html"
            keys = ["team:union", "team:coastland", "team:sahelia", "facilitator", "projector"]
            for key in keys:
                for _ in range(TABS):
                    conn = Connection(Quiet(), gid, key, fmt, None, queue_size=64)
                    conn.start()
                    await hall.attach(room, conn)
            lock.held.clear()
            latencies, cpu0 = [], time.process_time()
            for i in range(args.actions):
                t = time.perf_counter()
                r = await http.post(
                    f"/api/games/{gid}/chat",
                    json={"channel": "plenary", "text": f"message {i}"},
                    headers=seats["union"],
                )
                assert r.status_code == 200, r.text
                latencies.append(time.perf_counter() - t)
            await asyncio.sleep(0.2)  # let the last views encode
            cpu = (time.process_time() - cpu0) / args.actions
            held = list(lock.held)
            print(
                f"chat, {args.actions} actions, {len(keys)} audiences x {TABS} html tabs: "
                f"latency p50 {pct(latencies, 0.5):.1f} ms p99 {pct(latencies, 0.99):.1f} ms; "
                f"lock held p50 {pct(held, 0.5):.1f} ms p99 {pct(held, 0.99):.1f} ms; "
                f"CPU {cpu * 1000:.2f} ms per action"
            )
            # To the last round, then the ending action (the debrief's replay begins there).
            phase = ""
            while True:
                view: dict[str, Any] = (
                    await http.get(f"/api/games/{gid}/view", headers=fac)
                ).json()["view"]
                phase = view["phase"]
                if view["round"] >= args.rounds and phase == "resolution":
                    break
                await http.post(
                    f"/api/games/{gid}/actions", json={"kind": "advance_phase"}, headers=fac
                )
            lock.held.clear()
            t = time.perf_counter()
            r = await http.post(f"/api/games/{gid}/actions", json={"kind": "end_game"}, headers=fac)
            assert r.status_code == 200, r.text
            ended = time.perf_counter() - t
            print(
                f"end_game after {args.rounds} rounds: latency {ended * 1000:.1f} ms, "
                f"lock held {max(lock.held) * 1000:.1f} ms (longest hold), "
                f"mean chat hold {statistics.fmean(held) * 1000:.1f} ms"
            )
            await asyncio.sleep(0.5)
            await hall.close()
            for conn in list(hall.hub.connections_all()):
                await conn.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
