"""No input is a 500, and a database that cannot be written is a retryable 503 that
changes nothing, from which the same process recovers by itself."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from game_rules.library import SCENARIO_DIR
from server.db import is_sqlite
from tests.server.conftest import LiveServer
from tests.server.players import Browser, log_length, seat_table

MEDITERRANEAN = (SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8")


async def test_a_scenario_nested_too_deeply_is_a_422(browsers: Callable[[], Browser]) -> None:
    b = browsers()
    r = await b.http.post("/api/games", json={"scenario_file": "[" * 3000})
    assert r.status_code == 422, r.text
    assert "nested too deeply" in r.json()["message"]
    files = {"scenario_file": ("deep.yaml", b"[" * 3000, "application/x-yaml")}
    r = await b.http.post("/start", files=files, data={"scenario": "mediterranean"})
    assert r.status_code == 422 and "nested too deeply" in r.text, r.text


@pytest.mark.parametrize(
    ("old", "new"), [("#", "url(http://example.org/x) #"), ("#", "red; background: #")]
)
async def test_a_scenario_colour_must_be_a_hex_colour(
    browsers: Callable[[], Browser], old: str, new: str
) -> None:
    text = MEDITERRANEAN.replace("colour: '#", f"colour: '{new}", 1).replace(
        'colour: "#', f'colour: "{new}', 1
    )
    assert text != MEDITERRANEAN, "the scenario has a quoted colour to spoil"
    r = await browsers().http.post("/api/games", json={"scenario_file": text})
    assert r.status_code == 422, r.text
    assert "colour" in r.json()["message"]


async def test_nan_and_infinity_are_refused_in_uploads_and_actions(
    browsers: Callable[[], Browser],
) -> None:
    b = browsers()
    for number in (".nan", ".inf", "-.inf"):
        text = MEDITERRANEAN.replace("rounds: ", f"nothing: {number}\nrounds: ", 1)
        spoiled = _spoil_first_number(MEDITERRANEAN, number)
        for t in (text, spoiled):
            r = await b.http.post("/api/games", json={"scenario_file": t})
            assert r.status_code == 422, (number, r.text)
    table = await seat_table(browsers, to_negotiation=False)
    fac, union = table.facilitator, table.teams["union"]
    await fac.act({"kind": "start_game"})
    for _ in range(3):  # to implementation
        await fac.act({"kind": "advance_phase"})
    before = await log_length(fac)
    for bad in (float("nan"), float("inf")):
        body = json.dumps(
            {"kind": "implement", "compliance": {}, "policies": {"border_enforcement": bad}}
        )
        r = await union.http.post(
            f"/api/games/{table.game_id}/actions",
            content=body,
            headers={**union.auth, "content-type": "application/json"},
        )
        assert r.status_code in (400, 422), r.text
    assert await log_length(fac) == before


def _spoil_first_number(text: str, number: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key, sep, value = line.partition(": ")
        if sep and value.strip().replace(".", "", 1).isdigit() and "rounds" not in key:
            lines[i] = f"{key}: {number}"
            return "\n".join(lines)
    raise AssertionError("no number to spoil")


@pytest.mark.parametrize(
    "action",
    [
        {"kind": "set_ready", "ready": "yes"},
        {"kind": "set_ready", "ready": 1},
        {"kind": "set_ready", "ready": True, "expected_version": "1"},
    ],
)
async def test_actions_have_strict_types(
    browsers: Callable[[], Browser], action: dict[str, Any]
) -> None:
    table = await seat_table(browsers)
    union, fac = table.teams["union"], table.facilitator
    before = await log_length(fac)
    r = await union.post("/api/games/{g}/actions", action)
    assert r.status_code == 422, r.text
    tab = await union.open_tab()
    await tab.send({"type": "action", "action": action, "request_id": "x"})
    reply = await tab.until(lambda m: m.get("request_id") == "x")
    assert reply["type"] == "error", reply
    assert await log_length(fac) == before


async def test_the_builder_form_takes_any_numbers(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    table = await seat_table(browsers)
    union = table.teams["union"]
    g = table.game_id
    page = (await union.http.get(f"/games/{g}/play")).text
    token = page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    headers = {"origin": server.url, "x-csrf-token": token}
    for form in (
        {"nterms": "NaN"},
        {"nterms": "1e999", "nconds": "-3"},
        {"nterms": "1", "t0_amount": "inf", "t0_duration": "nan", "nconds": "1"},
        {"nconds": "1", "c0_term": "inf", "c0_requires": "nan", "c0_threshold": "1e400"},
        {"nterms": "²"},  # a digit to Python, not to int()
    ):
        r = await union.http.post(f"/games/{g}/play/builder", data=form, headers=headers)
        assert r.status_code < 500, (form, r.text)
    fac = table.facilitator
    page = (await fac.http.get(f"/games/{g}/console")).text
    ftoken = page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    for minutes in ("inf", "-inf", "nan", "1e400"):
        r = await fac.http.post(
            f"/games/{g}/console/do",
            data={"op": "timer", "minutes": minutes},
            headers={"origin": server.url, "x-csrf-token": ftoken},
        )
        assert r.status_code == 422, (minutes, r.text)


# --- database faults ------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(engine: Engine) -> Iterator[None]:
    """The database refuses every write, as a read-only file or a full disk does; every
    connection opened meanwhile is a read-only one (SQLite keeps a file it could not
    write read-only for good; a PostgreSQL session keeps its read-only default)."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if is_sqlite(str(engine.url)):
            cursor.execute("PRAGMA query_only=1")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # every connection from now on is read-only
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)


async def test_a_read_only_database_is_a_503_that_changes_nothing_and_recovers(
    server: LiveServer, browsers: Callable[[], Browser]
) -> None:
    table = await seat_table(browsers)
    fac, union = table.facilitator, table.teams["union"]
    g = table.game_id
    before = await log_length(fac)
    view_before = (await union.get("/api/games/{g}/view")).json()
    engine = server.app.state.engine
    with read_only(engine):
        for _ in range(2):  # every write, not only the first
            r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "lost"})
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "database_unavailable"
            assert r.json()["retryable"] is True
            assert r.headers.get("retry-after")
        r = await fac.act({"kind": "pause_game"}, expect=503)
        r2 = await browsers().http.post("/api/games", json={"scenario": "mediterranean"})
        assert r2.status_code == 503, r2.text
        # A page says so in words, not JSON.
        page = (await union.http.get(f"/games/{g}/play")).text
        token = page.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
        r3 = await union.http.post(
            f"/games/{g}/play/chat",
            data={"text": "lost"},
            headers={"origin": server.url, "x-csrf-token": token},
        )
        assert r3.status_code == 503 and "try again" in r3.text, r3.text
        assert "<" in r3.text and '"error"' not in r3.text
        r4 = await browsers().http.post("/start", data={"scenario": "mediterranean"})
        assert r4.status_code == 503 and "<html" in r4.text.lower(), r4.text
        # Reading: what memory held may be ahead of the database, so the game is read
        # again from it, which fails too: a 503 as well, never a half-done action.
        r5 = await union.get("/api/games/{g}/view")
        assert r5.status_code == 503 or r5.json()["seq"] == view_before["seq"], r5.text
    # Writable again: the same process takes the next write.
    r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "back"})
    assert r.status_code == 200, r.text
    view = (await union.get("/api/games/{g}/view")).json()
    assert view["seq"] == view_before["seq"] + 1 and not view["view"]["paused"]
    assert [m["text"] for m in view["chat"]][-1] == "back"
    assert await log_length(fac) == before + 1
    assert (await browsers().http.post("/api/games", json={})).status_code == 201
