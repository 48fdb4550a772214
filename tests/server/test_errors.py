"""Every kind of rules error, provoked through the HTTP API: the status a client gets, the
error code it can branch on, and nothing changed in the game or its log."""

from __future__ import annotations

from typing import Any

from game_rules.errors import (
    InvalidTerm,
    NotAllowed,
    NotAParty,
    OverBudget,
    RuleError,
    StaleVersion,
    UnknownObject,
    WrongPhase,
)
from tests.server.players import Browser, Table, deal, seat_table


async def _refused(
    table: Table, b: Browser, action: dict[str, Any], status: int, error: type[RuleError]
) -> None:
    before = (await table.facilitator.get("/api/games/{g}/export")).json()
    r = await b.post("/api/games/{g}/actions", action)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == error.code and body["message"]
    after = (await table.facilitator.get("/api/games/{g}/export")).json()
    assert after["state"] == before["state"] and len(after["log"]) == len(before["log"])


async def test_each_rules_error_reaches_the_client_as_its_status_and_changes_nothing(
    browsers,
) -> None:
    table = await seat_table(browsers, to_negotiation=False)
    fac, t = table.facilitator, table.teams
    await fac.act({"kind": "start_game"})
    await _refused(table, t["union"], deal(), 409, WrongPhase)  # no proposals in briefing

    await fac.act({"kind": "advance_phase"})
    version = (await t["union"].get("/api/games/{g}/view")).json()["view"]["version"]
    await t["union"].act(deal())
    stale = {**deal(), "expected_version": version}
    await _refused(table, t["union"], stale, 409, StaleVersion)
    for_others = {**deal(), "parties": ["union", "sahelia"]}
    await _refused(table, t["coastland"], for_others, 403, NotAParty)
    retract = {"kind": "retract", "proposal_id": "p1"}
    await _refused(table, t["sahelia"], retract, 403, NotAllowed)
    await _refused(table, t["union"], {"kind": "accept", "proposal_id": "p42"}, 404, UnknownObject)
    origin_visas = {
        "kind": "propose",
        "parties": ["union", "sahelia"],
        "terms": [
            {"type": "visa_facilitation", "giver": "sahelia", "receiver": "union", "amount": 1}
        ],
    }
    await _refused(table, t["sahelia"], origin_visas, 422, InvalidTerm)

    await fac.act({"kind": "advance_phase"})
    me = (await t["sahelia"].get("/api/games/{g}/view")).json()["view"]["me"]
    lavish = {**me["policies"], "development_spending": 900000}
    spend = {"kind": "implement", "compliance": {}, "policies": lavish}
    await _refused(table, t["sahelia"], spend, 422, OverBudget)
