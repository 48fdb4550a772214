"""Bytes per update per participant: whole screens (before issue 13) against only the
sections that changed (now). Prints figures, asserts nothing.

One 10-person Mediterranean game (3 teams) on an in-process server and a fresh SQLite
file, in negotiation. Every participant opens two websockets, as a browser page would:
`format=html` (what the pages use now: each connection gets only the sections of its
screen whose HTML changed since its last frame, a chat line as its line) and a format
`html-whole` registered here that sends the whole screen after every action, as the
`html` format did before. Then --lines plenary chat lines are said (each by the next
member, over HTTP) and, after every line, each socket's frame is awaited and counted.
The first frame (the full screen on connect) is reported apart.

Run: .venv/bin/python bench/bytes_per_update.py [--lines 20] [--players 10]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import socket
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

# bench/server.py would shadow the server package: import it from the project's root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
create_app = importlib.import_module("server.app").create_app
upgrade = importlib.import_module("server.db").upgrade
register_renderer = importlib.import_module("server.live").register_renderer
Settings = importlib.import_module("server.settings").Settings
render = importlib.import_module("web.render")
HEAD_END, SEP, render_live = render.HEAD_END, render.SEP, render.render_live

TEAMS = ("union", "coastland", "sahelia")


def whole(document: dict[str, Any], key: str, context: dict[str, Any]) -> str:
    """The html format as it was: the whole screen, no head, no cuts (so sent as it is)."""
    text = render_live(document, key, context)
    return text.partition(HEAD_END)[2].replace(SEP, "") if text.startswith("<!--") else text


async def frames(ws: ClientConnection, sizes: list[int], arrived: asyncio.Event) -> None:
    async for raw in ws:
        if isinstance(raw, str) and not raw.startswith("{"):
            sizes.append(len(raw.encode()))
            arrived.set()


async def run(lines: int, players: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="compact-bytes-"))
    url = f"sqlite:///{folder / 'compact.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, chat_per_minute=10_000, chat_burst=10_000, games_per_hour=1000
    )
    app = create_app(settings)
    register_renderer("html-whole", whole)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        game = (await http.post("/api/games", json={"scenario": "mediterranean", "seed": 5})).json()
        fac = {"Authorization": f"Bearer {game['facilitator_token']}"}
        gid = game["game_id"]
        tokens = []
        for i in range(players):
            r = await http.post(
                "/api/join",
                json={"code": game["join_code"], "name": f"P{i}", "team": TEAMS[i % 3]},
            )
            tokens.append(r.json()["token"])
        for kind in ("start_game", "advance_phase"):
            await http.post(f"/api/games/{gid}/actions", json={"kind": kind}, headers=fac)
        sizes: dict[str, list[list[int]]] = {"html-whole": [], "html": []}
        events: dict[str, list[asyncio.Event]] = {"html-whole": [], "html": []}
        readers = []
        sockets = []
        for token in tokens:
            for fmt in sizes:
                ws = await connect(
                    f"ws://127.0.0.1:{port}/ws/games/{gid}?format={fmt}&token={token}",
                    compression=None,
                    max_size=None,
                )
                got: list[int] = []
                arrived = asyncio.Event()
                sizes[fmt].append(got)
                events[fmt].append(arrived)
                sockets.append(ws)
                readers.append(asyncio.create_task(frames(ws, got, arrived)))
        for fmt in sizes:
            for got, arrived in zip(sizes[fmt], events[fmt], strict=True):
                while not got:
                    arrived.clear()
                    await arrived.wait()
        counts = {fmt: [len(g) for g in sizes[fmt]] for fmt in sizes}
        for n in range(lines):
            token = tokens[n % players]
            await http.post(
                f"/api/games/{gid}/chat",
                json={"channel": "plenary", "text": f"line {n}: shall we talk about the quota?"},
                headers={"Authorization": f"Bearer {token}"},
            )
            for fmt in sizes:
                for i, (got, arrived) in enumerate(zip(sizes[fmt], events[fmt], strict=True)):
                    while len(got) < counts[fmt][i] + 1:
                        arrived.clear()
                        await arrived.wait()
                    counts[fmt][i] = len(got)
        for ws in sockets:
            await ws.close()
        for r in readers:
            r.cancel()
    server.should_exit = True
    await task

    print(f"{players} participants in one game, {lines} plenary chat lines (bytes of text frames)")
    print(f"{'':34}{'first frame':>12}{'per update':>12}{'p50':>8}{'max':>8}{'all updates':>13}")
    rows = {"before (whole screen)": "html-whole", "now (changed sections)": "html"}
    totals = {}
    for label, fmt in rows.items():
        first = statistics.mean(g[0] for g in sizes[fmt])
        updates = [s for g in sizes[fmt] for s in g[1:]]
        per_participant = statistics.mean(sum(g[1:]) for g in sizes[fmt])
        totals[fmt] = per_participant
        print(
            f"{label:34}{first:>12.0f}{statistics.mean(updates):>12.0f}"
            f"{statistics.median(updates):>8.0f}{max(updates):>8}{per_participant:>13.0f}"
        )
    print(
        f"per participant, {lines} updates: {totals['html-whole'] / 1024:.1f} KiB before, "
        f"{totals['html'] / 1024:.1f} KiB now ({totals['html-whole'] / totals['html']:.0f}x less)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--players", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.lines, args.players))


if __name__ == "__main__":
    main()
