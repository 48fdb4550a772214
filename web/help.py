"""The How-to-play page's worked example and rules, in a shipped scenario's own teams,
words and figures (a page without a game: no view document behind it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from game_rules import load_scenario, shipped_scenarios
from web.format import condition_text, term_text
from web.i18n import translated


@dataclass(frozen=True)
class HelpExample:
    """The How-to-play page's worked example, in a scenario's own teams and words."""

    scenario: str
    giver: str
    taker: str
    terms: list[str]
    condition: str
    tranche: float
    """% of the money, market access and mobility a term gives that is paid against
    delivery (0: none)"""
    tranche_bar: float


def help_example(scenario_id: str) -> HelpExample:
    """A deal the scenario's destination could offer its origin country: visas for
    readmission, the visas only while readmission is honoured (a shipped scenario;
    the Mediterranean if the id is not one)."""
    if scenario_id not in shipped_scenarios():
        scenario_id = "mediterranean"
    sc = load_scenario(scenario_id)

    def name(t: Any) -> str:
        return translated(sc.translations, t.name)

    by_type = {t.type.value: t for t in reversed(sc.teams)}
    dest = by_type.get("destination", sc.teams[0])
    origin = by_type.get("origin") or by_type.get("transit") or sc.teams[-1]
    names = {dest.id: name(dest), origin.id: name(origin)}
    terms = [
        {"type": "visa_facilitation", "giver": dest.id, "receiver": origin.id, "amount": 1,
         "duration": 3},
        {"type": "readmission", "giver": origin.id, "receiver": dest.id, "amount": 60,
         "duration": 3},
    ]  # fmt: skip
    return HelpExample(
        scenario=translated(sc.translations, sc.name),
        giver=names[dest.id],
        taker=names[origin.id],
        terms=[term_text(t, names) for t in terms],
        condition=condition_text({"term": 0, "requires": 1, "threshold": 50}),
        tranche=round(sc.model.variable_tranche * 100),
        tranche_bar=sc.model.tranche_bar,
    )
