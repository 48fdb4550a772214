"""Limits at the edge: request body size, and how fast one browser or address may guess join
codes."""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Callable

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

    def __init__(
        self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._misses: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        misses = self._misses.setdefault(client, deque())
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        return misses

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may guess again; 0 if it may now."""
        now = self.clock()
        misses = self._recent(client, now)
        if len(misses) < self.per_minute:
            return 0.0
        return max(0.1, misses[0] + self.window - now)

    def miss(self, client: str) -> None:
        now = self.clock()
        self._recent(client, now).append(now)
        if len(self._misses) > 10_000:  # forget idle addresses so memory stays bounded
            for key in [k for k, v in self._misses.items() if not v][:5_000]:
                del self._misses[key]


class JoinLimiter:
    """Wrong join codes, counted per browser and, with a much higher ceiling, per address.

    A conference behind one NAT is one address: with one budget per address a few typos
    locked everyone out of the right code. Now the tiers are:

    - per browser (an anonymous random id in a cookie, `compact_client`, or an API
      client's own): `per_browser` wrong codes in `window` seconds, then that browser
      gets 429 for every code, the right one too: it is its own mistakes it waits for;
    - per address: `per_address` wrong codes in `window`, then codes from browsers the
      server does not know yet are refused before they are looked up (a brute force
      sheds its cookie every guess). A browser it knows is still asked for its code
      first, so the right one gets in whatever others mistyped. A browser is known when
      its id was issued at least `window` seconds ago, and was among the first
      `per_address` ids issued to its address in a window; it stops being known at its
      first wrong code while its address is over the ceiling. So a guesser gains at most
      `per_address` guesses a window from ids it made beforehand, on top of the
      `per_address` wrong codes of the tier itself (docs/operations.md has the figures).
    """

    def __init__(
        self,
        per_browser: int,
        per_address: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.clock = clock
        self.browsers = GuessLimiter(per_browser, window, clock)
        self.addresses = GuessLimiter(per_address, window, clock)
        self._new_ids = GuessLimiter(per_address, window, clock)
        self._known_from: dict[str, float] = {}
        """browser id → when it is known (monotonic); inf: never (over the mint budget)."""

    def register(self, browser: str, address: str) -> None:
        """The first time this process sees `browser` (issued now, or sent by a client)."""
        if browser in self._known_from:
            return
        now = self.clock()
        if self._new_ids.retry_after(address):
            self._known_from[browser] = math.inf  # ids made in bulk earn no standing
        else:
            self._new_ids.miss(address)
            self._known_from[browser] = now + self.window
        if len(self._known_from) > 100_000:  # bounded memory: the oldest ids go first
            for key in list(self._known_from)[:50_000]:
                del self._known_from[key]

    def known(self, browser: str) -> bool:
        return self._known_from.get(browser, math.inf) <= self.clock()

    def before_lookup(self, browser: str, address: str) -> float:
        """Seconds to wait before this browser may try a code at all; 0 if it may now."""
        wait = self.browsers.retry_after(browser)
        if wait:
            return wait
        if self.known(browser):
            return 0.0  # its code is looked up first; a wrong one is counted then
        return self.addresses.retry_after(address)

    def wrong(self, browser: str, address: str) -> None:
        """Count a wrong code against the browser and its address."""
        if self.addresses.retry_after(address):
            self._known_from[browser] = math.inf  # a guess made over the ceiling: no more
        self.browsers.miss(browser)
        self.addresses.miss(address)


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
