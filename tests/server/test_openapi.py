"""The API as its OpenAPI document describes it, fuzzed by schemathesis: no 5xx, ever.

A real server (uvicorn in a thread, on SQLite and on PostgreSQL) holds a game with a
facilitator and a seated player; generated requests aim at that game (its id, a real
player id, a real team and its join code replace the generated path parameters) so they
reach the code behind the authentication, and each is sent with the facilitator's token
and with the player's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from server.app import create_app
from server.db import upgrade
from server.settings import Settings
from tests.server.conftest import free_socket


class ThreadedServer:
    def __init__(self, url: str) -> None:
        self.app = create_app(Settings(database_url=url))
        self.sock = free_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(
            self.app, log_level="warning", ws_per_message_deflate=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "no server"
            time.sleep(0.01)  # waiting for a condition: the server says it started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'compact.db'}"
        upgrade(url)
    with ThreadedServer(url) as server:
        with httpx.Client(base_url=server.url) as client:
            game = client.post("/api/games", json={"scenario": "mediterranean", "seed": 3})
            assert game.status_code == 201, game.text
            g = game.json()
            seat = client.post(
                "/api/join", json={"code": g["join_code"], "name": "Fuzz", "team": "union"}
            ).json()
            fac = {"Authorization": f"Bearer {g['facilitator_token']}"}
            r = client.post(
                f"/api/games/{g['game_id']}/actions", json={"kind": "start_game"}, headers=fac
            )
            assert r.status_code == 200, r.text
        yield {
            "url": server.url,
            "game_id": g["game_id"],
            "player_id": seat["player_id"],
            "team": "sahelia",
            "code": g["join_code"],
            "tokens": [g["facilitator_token"], seat["token"]],
        }


OPERATIONS_AT_LEAST = 15
"""The API has more operations than this: fewer means the schema was not read whole."""


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_operation_answers_with_a_server_error(
    live: dict[str, Any], mode: GenerationMode
) -> None:
    """Valid (positive) and invalid (negative) requests alike get answers below 500."""
    schema = schemathesis.openapi.from_url(f"{live['url']}/openapi.json")
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/"):
            continue  # the pages are HTML for browsers, with their own tests
        tried += 1
        fixed = {
            name: live[name]
            for name in ("game_id", "player_id", "team", "code")
            if any(p.name == name for p in operation.path_parameters)
        }

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            for token in live["tokens"]:
                case.call_and_validate(
                    base_url=live["url"],
                    headers={"Authorization": f"Bearer {token}"},
                    checks=[not_a_server_error],
                )

        try:
            run()
        except Unsatisfiable:
            pass  # nothing of this operation can be made invalid (negative mode)
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {exc}")
    assert tried >= OPERATIONS_AT_LEAST
    assert not failures, "\n\n".join(failures)
