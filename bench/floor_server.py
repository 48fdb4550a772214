"""The physical floor for bench/server.py: a bare `websockets` broadcast server.

Clients connect to `ws://HOST:PORT/?group=G`. Each text message a client sends is parsed
as JSON (as Compact parses it); the server then broadcasts one payload of `size` bytes,
shaped like a Compact view (`{"type":"view","game_id":G,"seq":N,...}`), to every member
of the group with `websockets.broadcast` (no per-connection queue, no rendering, no
database), and answers the sender with a small `result`, as Compact does.

Run: .venv/bin/python bench/floor_server.py --port 8765   (prints "ready" when listening)
"""

from __future__ import annotations

import argparse
import asyncio
import json
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

GROUPS: dict[str, set[ServerConnection]] = {}
SEQS: dict[str, int] = {}


def payload(group: str, seq: int, size: int) -> str:
    head = f'{{"type":"view","game_id":"{group}","seq":{seq},"pad":"'
    return head + "x" * max(0, size - len(head) - 2) + '"}'


async def handler(ws: ServerConnection) -> None:
    assert ws.request is not None
    group = parse_qs(urlsplit(ws.request.path).query).get("group", ["0"])[0]
    members = GROUPS.setdefault(group, set())
    members.add(ws)
    seq = SEQS.setdefault(group, 0)
    await ws.send(json.dumps({"type": "welcome", "game_id": group, "seq": seq}))
    await ws.send(payload(group, seq, 1000))  # Compact sends a full view on connect
    try:
        async for raw in ws:
            msg = json.loads(raw)
            seq = SEQS[group] = SEQS[group] + 1
            broadcast(members, payload(group, seq, int(msg.get("size", 1000))))
            reply = {"type": "result", "ok": True, "seq": seq, "request_id": msg.get("request_id")}
            await ws.send(json.dumps(reply))
    finally:
        members.discard(ws)


async def main(host: str, port: int) -> None:
    async with serve(handler, host, port, compression=None, max_size=16 * 1024, backlog=2048):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
