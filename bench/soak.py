"""Soak: games starting and ending for --minutes (at least 10 by default), on one instance
or several sharing PostgreSQL; memory must level off, not grow without bound. Prints
figures, asserts nothing; bounded in time (it stops by itself); loopback only.

--concurrent games are kept going: each is created, filled with 10 participants (sockets
spread over the instances) and a bot team, started, chatted in and advanced phase by phase
by its facilitator (one advance every --phase-seconds) to its end; its sockets then close
and a new game takes its place. The instances run with a small cap on games in memory
(COMPACT_MAX_GAMES_LOADED, default 20 here) so ended games are unloaded as they go idle.

Every 30 s a row: elapsed time, games finished, games loaded (per instance), RSS (MiB, per
instance), errors. At the end: RSS growth over the first and the second half of the run.

Run: .venv/bin/python bench/soak.py --minutes 10 --instances 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PER_GAME, no_cookies, start
from processes import Instance, database, rss_kib


class Soak:
    def __init__(self, instances: list[Instance], phase_seconds: float) -> None:
        self.instances = instances
        self.phase_seconds = phase_seconds
        self.http = [
            httpx.AsyncClient(base_url=i.url, timeout=60, cookies=no_cookies()) for i in instances
        ]
        self.finished = 0
        self.errors = 0
        self.started = 0
        self.notes: list[str] = []

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.notes) < 10:
            self.notes.append(what)

    async def game(self, g: int) -> None:
        http = self.http[g % len(self.http)]
        r = await http.post("/api/games", json={"scenario": "mediterranean", "seed": g})
        if r.status_code != 201:
            self.error(f"create {r.status_code} {r.text[:100]}")
            return
        self.started += 1
        game = r.json()
        gid = game["game_id"]
        fac = {"Authorization": f"Bearer {game['facilitator_token']}"}
        tokens = []
        for m in range(PER_GAME):
            body = {
                "code": game["join_code"],
                "name": f"p{m}",
                "team": ("union", "coastland")[m % 2],
            }
            r = await self.http[m % len(self.http)].post("/api/join", json=body)
            if r.status_code != 200:
                self.error(f"join {r.status_code}")
                return
            tokens.append(r.json()["token"])
        await http.put(f"/api/games/{gid}/bots", json={"seconds": 1.0}, headers=fac)
        await http.put(f"/api/games/{gid}/bots/sahelia", json={"strategy": "conceder"}, headers=fac)
        sockets = []
        for m, token in enumerate(tokens):
            port = self.instances[m % len(self.instances)].port
            sockets.append(
                await connect(
                    f"ws://127.0.0.1:{port}/ws/games/{gid}?token={token}",
                    compression=None,
                    max_size=None,
                    open_timeout=60,
                )
            )
        readers = [asyncio.create_task(self.drain(ws)) for ws in sockets]
        try:
            r = await http.post(
                f"/api/games/{gid}/actions", json={"kind": "start_game"}, headers=fac
            )
            for step in range(80):
                view = (await http.get(f"/api/games/{gid}/view", headers=fac)).json()
                if view["view"]["phase"] == "ended":
                    self.finished += 1
                    return
                if view["view"]["phase"] == "negotiation":
                    for k in range(3):
                        text = f"round {view['view'].get('round')} line {k}"
                        await sockets[(step + k) % PER_GAME].send(
                            json.dumps({"type": "chat", "channel": "plenary", "text": text})
                        )
                await asyncio.sleep(self.phase_seconds)
                r = await http.post(
                    f"/api/games/{gid}/actions", json={"kind": "advance_phase"}, headers=fac
                )
                if r.status_code not in (200, 409, 422):
                    self.error(f"advance {r.status_code} {r.text[:100]}")
            self.error(f"game {gid} did not end in 80 advances")
        finally:
            for ws in sockets:
                with contextlib.suppress(Exception):
                    await ws.close()
            for t in readers:
                t.cancel()

    async def drain(self, ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                if '"type":"error"' in (raw if isinstance(raw, str) else raw.decode()):
                    self.error(f"ws error {str(raw)[:120]}")

    async def keep(self, slot: int, until: float, counter: list[int]) -> None:
        while time.monotonic() < until:
            counter[0] += 1
            try:
                await self.game(counter[0])
            except Exception as exc:
                self.error(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1)

    async def health(self) -> list[dict[str, Any]]:
        out = []
        for h in self.http:
            with contextlib.suppress(Exception):
                out.append((await h.get("/healthz")).json())
                continue
            out.append({})
        return out


async def main_async(args: argparse.Namespace) -> None:
    kind = "postgresql" if args.instances > 1 or args.postgres else "sqlite"
    with tempfile.TemporaryDirectory(prefix="compact-soak-") as tmpdir:
        tmp = Path(tmpdir)
        with database(kind, tmp) as url:
            env = {"COMPACT_MAX_GAMES_LOADED": str(args.cap), "COMPACT_IDLE_SECONDS": "5"}
            instances = [start(url, tmp, n, env) for n in range(args.instances)]
            soak = Soak(instances, args.phase_seconds)
            rows = []
            try:
                t0 = time.monotonic()
                until = t0 + args.minutes * 60
                counter = [0]
                keepers = [
                    asyncio.create_task(soak.keep(i, until, counter))
                    for i in range(args.concurrent)
                ]
                print(
                    f"soak: {args.minutes} min, {args.concurrent} games at a time, "
                    f"{args.instances} instance(s) on {kind}, cap {args.cap} games in memory"
                )
                print("| min | games started / finished | loaded | RSS MiB | errors |")
                print("|---|---|---|---|---|")
                while time.monotonic() < until:
                    await asyncio.sleep(min(30.0, max(0.0, until - time.monotonic())))
                    health = await soak.health()
                    rss = [rss_kib(i.proc.pid) // 1024 for i in instances]
                    rows.append((time.monotonic() - t0, rss))
                    minutes = (time.monotonic() - t0) / 60
                    print(
                        f"| {minutes:.1f} | {soak.started} / {soak.finished} | "
                        f"{' + '.join(str(h.get('games_loaded', '?')) for h in health)} | "
                        f"{' + '.join(map(str, rss))} | {soak.errors} |",
                        flush=True,
                    )
                # The games in flight finish (bounded: at most 2 minutes more).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*keepers), 120)
            finally:
                for h in soak.http:
                    await h.aclose()
                for i in instances:
                    i.stop()
    if len(rows) >= 4:
        half = len(rows) // 2
        first = sum(rows[half - 1][1]) - sum(rows[0][1])
        second = sum(rows[-1][1]) - sum(rows[half][1])
        print(
            f"RSS growth: first half {first:+d} MiB, second half {second:+d} MiB "
            f"(from {sum(rows[0][1])} to {sum(rows[-1][1])} MiB)"
        )
    print(f"games finished: {soak.finished}, errors: {soak.errors}")
    for note in soak.notes:
        print(f"  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--phase-seconds", type=float, default=1.5)
    parser.add_argument("--cap", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
