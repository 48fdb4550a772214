"""Limits at the edge: request body size, and how fast one address may guess join codes."""

from __future__ import annotations

import json
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestSizeLimit:
    """Answer 413 to a body over `max_bytes`, whether announced by Content-Length or not.

    The body is read (up to `max_bytes`) before the app sees the request: an error raised
    from inside the app's `receive` would reach FastAPI's body parser, which turns every
    exception there into a 400 "error parsing the body".
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def buffered_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, buffered_receive, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": "too_large", "message": f"the request body is over {self.max_bytes} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class GuessLimiter:
    """At most `per_minute` wrong join codes per client address in any 60 seconds."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._misses: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        misses = self._misses.setdefault(client, deque())
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        return misses

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may guess again; 0 if it may now."""
        now = time.monotonic()
        misses = self._recent(client, now)
        if len(misses) < self.per_minute:
            return 0.0
        return max(0.1, misses[0] + self.window - now)

    def miss(self, client: str) -> None:
        now = time.monotonic()
        self._recent(client, now).append(now)
        if len(self._misses) > 10_000:  # forget idle addresses so memory stays bounded
            for key in [k for k, v in self._misses.items() if not v][:5_000]:
                del self._misses[key]


class SeatLimiter:
    """A token bucket per seat and kind (chat, actions): `burst` at once, then
    `per_minute` on average. One seat flooding the chat pushed a view to every socket per
    message; now the flood gets 429s and everyone else's history stays."""

    def __init__(self, per_minute: dict[str, float], burst: dict[str, float]) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, seat: str, kind: str) -> float:
        """Take one token for `seat`; 0 if it may act now, else the seconds to wait."""
        rate = self.per_minute[kind] / 60.0
        burst = self.burst[kind]
        now = time.monotonic()
        tokens, at = self._buckets.get((seat, kind), (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[(seat, kind)] = (tokens, now)
            return (1.0 - tokens) / rate if rate > 0 else 60.0
        self._buckets[(seat, kind)] = (tokens - 1.0, now)
        if len(self._buckets) > 50_000:  # full buckets hold nothing worth keeping
            for key in [k for k, (t, _) in self._buckets.items() if t >= self.burst[k[1]] - 1][
                :25_000
            ]:
                del self._buckets[key]
        return 0.0
