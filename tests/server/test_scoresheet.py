"""The scoresheet's routes: only a seated player, of its own team and proposals; the
right phase; malformed terms and decisions a clear 4xx, never a 500; nothing logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.server.players import Browser, deal, log_length, seat_table

# The routes read, they never write: one database suffices (the write path is tested on both).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def builder_form(*terms: dict[str, Any], **extra: str) -> dict[str, Any]:
    form: dict[str, Any] = {"nterms": str(len(terms)), "nconds": "0", "parties": ["sahelia"]}
    for i, t in enumerate(terms):
        for k, v in t.items():
            form[f"t{i}_{k}"] = v
    return form | extra


VISAS = {"type": "visa_facilitation", "giver": "union", "receiver": "sahelia", "amount": "1"}
RETURNS = {"type": "readmission", "giver": "sahelia", "receiver": "union", "amount": "60"}


async def test_the_scoresheet_values_for_the_callers_team_only(
    browsers: Callable[[], Browser],
) -> None:
    table = await seat_table(browsers)
    fac, union, sahelia, coastland = (
        table.facilitator,
        table.teams["union"],
        table.teams["sahelia"],
        table.teams["coastland"],
    )
    g = table.game_id
    await union.act(deal())
    pid = (await union.get("/api/games/{g}/view")).json()["view"]["proposals"][0]["id"]
    before = await log_length(fac)

    # A proposal: each party sees its own sheet; a team not party to it is told it is not there.
    r = await union.get(f"/games/{g}/play/scoresheet/{pid}")
    assert r.status_code == 200 and "Your scoresheet" in r.text and "points" in r.text, r.text
    assert "Irregular arrivals" in r.text  # the Union's own goal, in words
    r = await sahelia.get(f"/games/{g}/play/scoresheet/{pid}")
    assert r.status_code == 200 and "Your scoresheet" in r.text
    assert "Irregular arrivals" not in r.text  # not Sahelia's goal: never the partner's
    assert (await coastland.get(f"/games/{g}/play/scoresheet/{pid}")).status_code == 404
    assert (await union.get(f"/games/{g}/play/scoresheet/p999")).status_code == 404
    # Only a seated player: not the facilitator, not a stranger.
    assert (await fac.get(f"/games/{g}/play/scoresheet/{pid}")).status_code == 401
    stranger = browsers()
    r = await stranger.http.get(f"/games/{g}/play/scoresheet/{pid}", headers={"HX-Request": "1"})
    assert r.status_code == 401

    async def post(b: Browser, path: str, form: dict[str, Any]) -> Any:
        return await b.http.post(path.format(g=g), data=form, headers=b.auth)

    # The builder as it is typed: a term not typed yet is left out, not an error.
    r = await post(union, "/games/{g}/play/scoresheet", builder_form(VISAS, RETURNS))
    assert r.status_code == 200 and "against no agreement" in r.text, r.text
    half = builder_form(VISAS, {**RETURNS, "amount": ""})
    assert (await post(union, "/games/{g}/play/scoresheet", half)).status_code == 200
    r = await post(union, "/games/{g}/play/scoresheet", builder_form())
    assert r.status_code == 200 and "Type an amount" in r.text
    # Malformed or refused terms: a clear 4xx with a sentence, never a 500.
    for bad in (
        builder_form({**VISAS, "amount": "lots"}),
        builder_form({**VISAS, "type": "bribe"}),
        builder_form({**VISAS, "giver": "atlantis"}),
        builder_form({**VISAS, "amount": "-5"}),
        builder_form({**VISAS, "amount": "1e400"}),
        builder_form({**VISAS, "receiver": "union"}),
        builder_form({**RETURNS, "giver": "union", "receiver": "sahelia"}),
        builder_form(VISAS, nterms="many"),
    ):
        r = await post(union, "/games/{g}/play/scoresheet", bad)
        assert 400 <= r.status_code < 500 or (r.status_code == 200 and "nterms" in str(bad)), (
            bad,
            r.status_code,
            r.text,
        )
        assert r.status_code != 500
    # The decision preview belongs to implementation, the builder's sheet to negotiation.
    policies = {"border_enforcement": "30", "development_spending": "0"}
    r = await post(union, "/games/{g}/play/preview", policies)
    assert r.status_code == 409 and "implementation" in r.text, r.text
    # The page's own request on load (quiet) crossing a phase's end is no one's mistake:
    # no content, not an error in the console (the next live update replaces the slot).
    r = await post(union, "/games/{g}/play/preview", {**policies, "quiet": "1"})
    assert r.status_code == 204 and r.text == "", r.text
    assert await log_length(fac) == before  # valuing changes nothing

    await fac.act({"kind": "advance_phase"})
    r = await post(union, "/games/{g}/play/scoresheet", builder_form(VISAS))
    assert r.status_code == 409 and "negotiation" in r.text, r.text
    r = await union.get(f"/games/{g}/play/scoresheet/{pid}?quiet=1")
    assert r.status_code == 204 and r.text == "", r.text
    r = await post(union, "/games/{g}/play/preview", {**policies, "quiet": "1"})
    assert r.status_code == 200 and "They cost" in r.text, r.text  # its phase: valued
    r = await post(union, "/games/{g}/play/preview", policies)
    assert r.status_code == 200 and "They cost" in r.text and "Expected score" in r.text, r.text
    for bad in ({"border_enforcement": "900"}, {"border_enforcement": "x"}, {"c_t9": "50"}):
        r = await post(union, "/games/{g}/play/preview", bad)
        assert 400 <= r.status_code < 500, (bad, r.status_code, r.text)
    r = await post(union, "/games/{g}/play/preview", {"development_spending": "999999"})
    assert r.status_code == 200 and "more than your treasury" in r.text, r.text
