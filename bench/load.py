"""Load: N participants over real websockets and HTTP, on one instance or several. Prints
figures, asserts nothing; bounded in time; loopback only.

N/10 games of the Mediterranean scenario, 10 participants each (5 union, 5 coastland) and
sahelia played by a bot (seated through the public API, `PUT /api/games/{id}/bots/…`,
its pace --bot-pace). With --instances K (K > 1 needs PostgreSQL: a fresh database on
--postgres is created and dropped), K `compact serve` processes share the database;
game g is created on instance g % K and member m of every game opens its websocket on
instance m % K, so with two instances every game has sockets on both and every action
crosses between them (LISTEN/NOTIFY, server/notify.py).

Load, for --seconds: each game sends plenary chat at --rate messages per second, from its
members in turn: nine in ten over the member's websocket, one in ten over HTTP
(`POST /api/games/{id}/chat`) on the member's instance; the bot's moves come on top.

Printed: latency from send to the last of the game's 10 members holding a view at least as
new as the message's seq (p50/p95/p99), views/s delivered to all sockets, bytes received
per participant (total and per view), errors (error replies, failed requests, sockets
closed), and server memory per game (RSS growth of every instance over the games / games).

Run: .venv/bin/python bench/load.py --participants 1000 --instances 1
     .venv/bin/python bench/load.py --participants 1000 --instances 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import Instance, cpu_seconds, database, rss_kib, start_instance

PER_GAME = 10
TEXT = "We can offer two more visa appointments a week if readmission requests get an answer."
TYPE = re.compile(rb'"type": ?"(\w+)"')
SEQ = re.compile(rb'"seq": ?(\d+)')


def start(url: str, tmp: Path, n: int, extra_env: dict[str, str]) -> Instance:
    # Deeper per-socket queues than the default 8: a burst on a loaded machine is then
    # delivered, not resynced (the figures count views).
    return start_instance(url, tmp, n, {"COMPACT_WS_QUEUE_SIZE": "64", **extra_env})


def no_cookies() -> http.cookiejar.CookieJar:
    # A join from a client holding the game's seat cookie gets that seat back: keep none.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


@dataclass
class Member:
    instance: int
    token: str
    ws: ClientConnection | None = None
    latest: int = -1
    views: int = 0
    bytes: int = 0


@dataclass
class Game:
    index: int
    game_id: str
    members: list[Member]
    waiting: list[tuple[int, float]] = field(default_factory=list)
    """(seq, time sent) of messages not yet seen by every member"""
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    pending: dict[str, float] = field(default_factory=dict)
    why: dict[str, int] = field(default_factory=dict)
    """errors by kind: the refusal's code, `closed` for a socket that closed"""

    def error(self, kind: str) -> None:
        self.errors += 1
        self.why[kind] = self.why.get(kind, 0) + 1

    def seen(self) -> None:
        low = min(m.latest for m in self.members)
        now = time.perf_counter()
        keep = []
        for seq, sent in self.waiting:
            if seq <= low:
                self.latencies.append(now - sent)
            else:
                keep.append((seq, sent))
        self.waiting = keep


async def setup(
    instances: list[Instance], games: int, bot_pace: float, timers: dict[str, float]
) -> list[Game]:
    clients = [
        httpx.AsyncClient(base_url=i.url, timeout=120, cookies=no_cookies()) for i in instances
    ]
    limit = asyncio.Semaphore(8)

    async def one(g: int) -> Game:
        async with limit:
            http = clients[g % len(clients)]
            r = await http.post(
                "/api/games", json={"scenario": "mediterranean", "seed": g, "timers": timers}
            )
            r.raise_for_status()
            game = r.json()
            gid = game["game_id"]
            fac = {"Authorization": f"Bearer {game['facilitator_token']}"}
            members = []
            for m in range(PER_GAME):
                body = {
                    "code": game["join_code"],
                    "name": f"p{m}",
                    "team": ("union", "coastland")[m % 2],
                }
                r = await clients[m % len(clients)].post("/api/join", json=body)
                r.raise_for_status()
                members.append(Member(m % len(clients), r.json()["token"]))
            r = await http.put(f"/api/games/{gid}/bots", json={"seconds": bot_pace}, headers=fac)
            r.raise_for_status()
            r = await http.put(
                f"/api/games/{gid}/bots/sahelia", json={"strategy": "reciprocator"}, headers=fac
            )
            r.raise_for_status()
            for kind in ("start_game", "advance_phase"):
                r = await http.post(f"/api/games/{gid}/actions", json={"kind": kind}, headers=fac)
                r.raise_for_status()
            return Game(g, gid, members)

    try:
        return list(await asyncio.gather(*(one(g) for g in range(games))))
    finally:
        for c in clients:
            await c.aclose()


async def receive(game: Game, member: Member) -> None:
    assert member.ws is not None
    try:
        async for data in member.ws:
            raw = data if isinstance(data, bytes) else data.encode()
            member.bytes += len(raw)
            m = TYPE.search(raw, 0, 40)
            kind = m.group(1) if m else b""
            if kind in (b"view", b"changes"):
                s = SEQ.search(raw, 0, 200)
                member.views += 1
                member.latest = max(member.latest, int(s.group(1)) if s else -1)
                game.seen()
            elif kind == b"result":
                reply = json.loads(raw)
                sent = game.pending.pop(reply.get("request_id") or "", None)
                if sent is not None:
                    game.waiting.append((reply["seq"], sent))
                    game.seen()
            elif kind == b"error":
                reply = json.loads(raw)
                game.error(str(reply.get("error")))
                game.pending.pop(reply.get("request_id") or "", None)
    except Exception:
        game.error("closed")  # a socket closed under load


async def run(
    instances: list[Instance], games: list[Game], rate: float, seconds: float
) -> dict[str, Any]:
    limit = asyncio.Semaphore(32)

    async def open_ws(game: Game, member: Member) -> None:
        inst = instances[member.instance]
        url = f"ws://127.0.0.1:{inst.port}/ws/games/{game.game_id}?token={member.token}"
        url += "&changes=1"  # JSON changes after the first view, as a lean client takes them
        async with limit:
            member.ws = await connect(
                url, compression=None, max_size=None, open_timeout=120, ping_interval=None
            )

    await asyncio.gather(*(open_ws(g, m) for g in games for m in g.members))
    readers = [asyncio.create_task(receive(g, m)) for g in games for m in g.members]
    deadline = time.monotonic() + 120
    while any(m.latest < 0 for g in games for m in g.members):
        if time.monotonic() > deadline:
            raise RuntimeError("not every socket got its first view within 120 s")
        await asyncio.sleep(0.1)
    rss_before = [rss_kib(i.proc.pid) for i in instances]
    cpu_before = [cpu_seconds(i.proc.pid) for i in instances]
    views0 = sum(m.views for g in games for m in g.members)
    bytes0 = sum(m.bytes for g in games for m in g.members)
    https = [httpx.AsyncClient(base_url=i.url, timeout=30) for i in instances]
    http_errors: dict[str, int] = {}

    async def by_http(game: Game, member: Member, k: int) -> None:
        nonlocal http_errors
        sent = time.perf_counter()
        try:
            r = await https[member.instance].post(
                f"/api/games/{game.game_id}/chat",
                json={"channel": "plenary", "text": f"{TEXT} ({k})"},
                headers={"Authorization": f"Bearer {member.token}"},
            )
            if r.status_code != 200:
                http_errors[f"HTTP {r.status_code}"] = (
                    http_errors.get(f"HTTP {r.status_code}", 0) + 1
                )
                return
            game.waiting.append((r.json()["seq"], sent))
            game.seen()
        except httpx.HTTPError as exc:
            http_errors[type(exc).__name__] = http_errors.get(type(exc).__name__, 0) + 1

    t0 = time.perf_counter()
    schedule = []
    for g in games:
        offset = g.index / (len(games) * rate)
        k = 0
        while offset + k / rate < seconds:
            schedule.append((t0 + offset + k / rate, g, k))
            k += 1
    schedule.sort(key=lambda item: item[0])
    tasks = []
    for at, g, k in schedule:
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        member = g.members[k % PER_GAME]
        if k % 10 == 9:
            tasks.append(asyncio.create_task(by_http(g, member, k)))
            continue
        rid = f"{g.index}-{k}"
        g.pending[rid] = time.perf_counter()
        msg = {"type": "chat", "channel": "plenary", "text": f"{TEXT} ({k})", "request_id": rid}
        assert member.ws is not None
        try:
            await member.ws.send(json.dumps(msg))
        except Exception:
            g.error("send failed")
    await asyncio.sleep(max(0.0, t0 + seconds - time.perf_counter()))
    elapsed = time.perf_counter() - t0
    views = sum(m.views for g in games for m in g.members) - views0
    received = sum(m.bytes for g in games for m in g.members) - bytes0
    cpu = [cpu_seconds(i.proc.pid) - c for i, c in zip(instances, cpu_before, strict=True)]
    # Drain: what was sent reaches every member (up to 30 s).
    await asyncio.gather(*tasks)
    drain = time.monotonic() + 30
    while any(g.waiting or g.pending for g in games) and time.monotonic() < drain:
        await asyncio.sleep(0.1)
    lost = sum(len(g.waiting) + len(g.pending) for g in games)
    rss_after = [rss_kib(i.proc.pid) for i in instances]
    for r in readers:
        r.cancel()
    for g in games:
        for m in g.members:
            if m.ws is not None:
                with contextlib.suppress(Exception):
                    await m.ws.close()
    for c in https:
        await c.aclose()
    lat = sorted(x for g in games for x in g.latencies)
    participants = len(games) * PER_GAME
    return {
        "latency": lat,
        "views_per_s": views / elapsed,
        "bytes_per_participant": received / participants,
        "bytes_per_view": received / max(views, 1),
        "errors": sum(g.errors for g in games) + sum(http_errors.values()),
        "why": _sum_why([g.why for g in games] + [http_errors]),
        "unanswered": lost,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "cpu": cpu,
        "elapsed": elapsed,
        "messages": len(schedule),
    }


def _sum_why(parts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for k, v in part.items():
            out[k] = out.get(k, 0) + v
    return out


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


async def main_async(args: argparse.Namespace) -> None:
    kind = "postgresql" if args.instances > 1 or args.postgres else "sqlite"
    games_n = args.participants // PER_GAME
    with tempfile.TemporaryDirectory(prefix="compact-load-") as tmpdir:
        tmp = Path(tmpdir)
        with database(kind, tmp) as url:
            instances = [
                start(url, tmp, n, {"COMPACT_MAX_GAMES_LOADED": str(games_n + 10)})
                for n in range(args.instances)
            ]
            try:
                rss_empty = [rss_kib(i.proc.pid) for i in instances]
                t = time.perf_counter()
                games = await setup(instances, games_n, args.bot_pace, {})
                print(f"set up {games_n} games in {time.perf_counter() - t:.1f} s", flush=True)
                out = await run(instances, games, args.rate, args.seconds)
            finally:
                for i in instances:
                    i.stop()
    lat = out["latency"]
    mem = sum(out["rss_after"]) - sum(rss_empty)
    print()
    print(
        f"{args.participants} participants, {games_n} games of {PER_GAME} (+1 bot team each), "
        f"{args.instances} instance(s) on {kind}, {out['messages']} chat messages over "
        f"{out['elapsed']:.0f} s ({args.rate}/s a game, 1 in 10 over HTTP)"
    )
    print("| figure | value |")
    print("|---|---|")
    print(
        f"| latency p50 / p95 / p99 (ms) | {pct(lat, 50):.1f} / {pct(lat, 95):.1f} / "
        f"{pct(lat, 99):.1f} (n={len(lat)}) |"
    )
    print(f"| views/s delivered | {out['views_per_s']:.0f} |")
    print(
        f"| bytes per participant | {out['bytes_per_participant'] / 1024:.0f} KiB "
        f"({out['bytes_per_view']:.0f} B a view) |"
    )
    why = ", ".join(f"{k} {v}" for k, v in sorted(out["why"].items())) or "none"
    print(f"| errors / unanswered after 30 s | {out['errors']} ({why}) / {out['unanswered']} |")
    print(
        f"| server memory per game | {mem / games_n / 1024:.2f} MiB "
        f"(RSS {' + '.join(f'{r // 1024}' for r in out['rss_after'])} MiB) |"
    )
    print(
        f"| server CPU | {' + '.join(f'{c:.1f}' for c in out['cpu'])} s "
        f"over {out['elapsed']:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL even for one")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=0.5, help="chat messages/s a game")
    parser.add_argument("--bot-pace", type=float, default=4.0)
    args = parser.parse_args()
    if args.participants < PER_GAME:
        sys.exit("--participants: at least one game of 10")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
