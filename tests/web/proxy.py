"""A small TCP proxy in front of the test server, to play a bad network for the browser.

It forwards HTTP and websockets byte for byte, and can: refuse every websocket upgrade
(a corporate proxy), delay what it forwards (a slow link), and freeze the websockets open
now — their bytes stop both ways and nothing is closed (a NAT or access point that dropped
the connection silently). It runs its own event loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

REFUSAL = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(eq=False)
class _Link:
    websocket: bool = False
    flowing: asyncio.Event = field(default_factory=asyncio.Event)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


class Proxy:
    def __init__(self, upstream_port: int, *, refuse_websockets: bool = False) -> None:
        self.upstream_port = upstream_port
        self.refuse_websockets = refuse_websockets
        self.delay = 0.0
        self.refused = 0
        self._links: list[_Link] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Proxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def freeze_websockets(self) -> int:
        """Stop the bytes of every open websocket, closing nothing; how many were frozen."""

        def freeze() -> int:
            links = [link for link in self._links if link.websocket]
            for link in links:
                link.flowing.clear()
            return len(links)

        return asyncio.run_coroutine_threadsafe(_call(freeze), self._loop).result(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in self._links:
            for w in link.writers:
                w.close()
            link.flowing.set()
        # Let every pipe see its closed ends and finish (a cancelled one logs an error).
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=5)
            for t in pending:
                t.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link()
        link.flowing.set()
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        link.writers = [writer, up_writer]
        self._links.append(link)
        await asyncio.gather(
            self._pipe(reader, up_writer, link, inspect=True),
            self._pipe(up_reader, writer, link, inspect=False),
            return_exceptions=True,
        )
        self._links.remove(link)

    async def _pipe(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        link: _Link,
        *,
        inspect: bool,
    ) -> None:
        try:
            while data := await src.read(65536):
                if inspect and b"upgrade: websocket" in data.lower():
                    if self.refuse_websockets:
                        self.refused += 1
                        link.writers[0].write(REFUSAL)
                        await link.writers[0].drain()
                        break
                    link.websocket = True
                if self.delay:
                    await asyncio.sleep(self.delay)  # the link's latency, not a test's wait
                await link.flowing.wait()  # frozen: hold the bytes, close nothing
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if link.flowing.is_set():
                for w in link.writers:
                    with contextlib.suppress(Exception):
                        w.close()


async def _call(fn: Any) -> Any:
    return fn()
