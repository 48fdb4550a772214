"""The server always starts: a game that cannot be loaded is set aside (logged, its screens
say so) while every other game plays on; a read-only data directory is a 503, not a
traceback at start-up."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from server.db import upgrade
from tests.server.players import Browser

ROOT = Path(__file__).resolve().parents[2]


async def test_a_game_that_fails_to_load_is_set_aside_and_the_others_go_on(
    start_server: Callable[..., Any], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = await start_server()
    good, bad = first.browser(), first.browser()
    await good.create_game(scenario="mediterranean", timers={"briefing": 600})
    await bad.create_game(scenario="mediterranean", timers={"briefing": 600})
    for b in (good, bad):
        await b.act({"kind": "start_game"})  # a running timer: loaded at start-up
    await good.http.aclose()
    await bad.http.aclose()
    await first.stop()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE snapshots SET state = '{\"broken\": true}' WHERE game_id = :g"),
            {"g": bad.game_id},
        )
    engine.dispose()

    caplog.set_level(logging.ERROR, logger="compact.rooms")
    second = await start_server()
    assert any(
        bad.game_id in r.getMessage() and "set aside" in r.getMessage() for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
    good2, bad2 = second.browser(), second.browser()
    good2.token, good2.game_id = good.token, good.game_id
    bad2.token, bad2.game_id = bad.token, bad.game_id
    try:
        assert (await good2.get("/api/games/{g}/view")).status_code == 200
        await good2.act({"kind": "pause_game"})
        r = await bad2.get("/api/games/{g}/view")
        assert r.status_code == 503 and r.json()["error"] == "game_unavailable", r.text
        r = await bad2.http.get(f"/games/{bad.game_id}/console")
        assert r.status_code == 503 and "<html" in r.text.lower(), r.text
    finally:
        await good2.close()
        await bad2.close()


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is needed to drop root")
def test_the_server_starts_on_a_read_only_data_directory() -> None:
    """As root every file is writable: the server runs as nobody, like a locked-down host."""
    folder = Path(tempfile.mkdtemp(prefix="compact-ro-"))
    try:
        url = f"sqlite:///{folder / 'compact.db'}"
        upgrade(url)
        for f in folder.iterdir():
            f.chmod(0o444)
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | 0o005)
        with socket_port() as port:
            env = {**os.environ, "DATABASE_URL": url}
            proc = subprocess.Popen(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 sys.executable, "-m", "uvicorn", "--factory", "server.app:app_from_env",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                            break
                    assert proc.poll() is None, proc.communicate()[0].decode()
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.05)
                r = httpx.post(f"{base}/api/games", json={"scenario": "mediterranean"})
                assert r.status_code == 503, r.text
                assert r.json() == {**r.json(), "error": "database_unavailable", "retryable": True}
            finally:
                proc.terminate()
                out = proc.communicate(timeout=20)[0].decode()
            assert "Traceback" not in out, out
            assert "data directory writable" in out or "cannot be used" in out, out
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def socket_port() -> Any:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield port


__all__ = ["Browser"]
