"""Browser tests: a real uvicorn server (subprocess, temp SQLite) and Debian's Chromium.

Playwright's own browser download does not work here, so the tests drive the system
`chromium` (scripts/install-browser-deps installs it) and skip, saying why, without it.
Screenshots of every screen go to tests/web/artifacts/ (gitignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import upgrade

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "axe-4.14.1.min.js"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a free port, as `make run` starts it, on a fresh SQLite file."""
    folder = tmp_path_factory.mktemp("web")
    db_url = f"sqlite:///{folder / 'compact.db'}"
    upgrade(db_url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "COMPACT_JOIN_FAILURES_PER_MINUTE": "100",
        "COMPACT_GAMES_PER_HOUR": "10000",
        # Short heartbeats: a dead connection is found in 5 s, not 12.5 (tests/web/test_transport).
        "COMPACT_WS_HEARTBEAT_SECONDS": "2",
    }
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "--factory", "server.app:app_from_env",
            "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
            "--ws-per-message-deflate", "false", "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a loaded 2-core machine can take 20 s to import
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {folder / 'server.log'}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip(
            "chromium is not installed: run scripts/install-browser-deps "
            "(the browser tests drive Debian's chromium, not Playwright's download)"
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    # An assertion waits for its condition up to this long, as an action does (the
    # contexts' default below). Playwright's own 5 s was short for a round's resolution
    # on a CI machine running the server's tests on the other core: a clean-clone run
    # failed once in the Mediterranean game's later steps.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_context(browser: Any, base_url: str) -> Iterator[Any]:
    """Fresh browser contexts (each its own cookies: one person each), closed afterwards."""
    made: list[Any] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        ctx = browser.new_context(base_url=base_url, viewport={"width": width, "height": height})
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def check_accessibility(page: Any, screen: str) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the devtools protocol: the pages' CSP (scripts from /static
        # only) refuses an injected <script>, as it should.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{screen}: accessibility violations: {bad}"


def screenshots(page: Any, screen: str) -> None:
    """The screen at phone (360 px) and laptop (1280 px) widths, full page."""
    ARTIFACTS.mkdir(exist_ok=True)
    original = page.viewport_size
    # From the top: a page scrolled to the last button clicked would draw its sticky
    # header where the viewport was, leaving a blank band at the top of the picture.
    page.evaluate("() => window.scrollTo(0, 0)")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"{screen}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .filter(e => !e.parentElement.closest('.table-wrap, .chat-log'))
                .slice(0, 6).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
        )
        assert overflow <= 1, f"{screen} scrolls sideways at {width} px by {overflow} px: {wide}"
    if original:
        page.set_viewport_size(original)
