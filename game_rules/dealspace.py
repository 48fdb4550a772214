"""The deal space: every deal a set of partners could sign at the scenario's levels, what
each is worth to each team, and the bargaining points of FACTS.md.

Pure (no I/O, no clock). The deal language is the scenario's `deal_levels` (the offers a
facilitator would call sensible); bots and this analysis read the same `issues_between`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from game_rules.actions import TermSpec
from game_rules.scenario import Earmark, Scenario, TeamType, TermLevels, TermType

# --- the deal language ------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One negotiable term between two teams and the amounts on the table.

    `levels[0]` is 0: the term left out of the deal; the others are the declared levels.
    """

    type: TermType
    giver: str
    receiver: str
    levels: tuple[float, ...]
    earmark: Earmark | None = None
    skills_training: bool = False
    third_country: bool = False

    def term(self, amount: float, duration: int) -> TermSpec:
        return TermSpec(
            type=self.type,
            giver=self.giver,
            receiver=self.receiver,
            amount=amount,
            duration=duration,
            earmark=self.earmark,
            skills_training=self.skills_training,
            third_country=self.third_country,
        )


def deal_levels(scenario: Scenario) -> list[TermLevels]:
    """The scenario's declared levels, or for a file that declares none the ones derived
    from its endowments (the levels the bots have always offered)."""
    if scenario.deal_levels is not None:
        return list(scenario.deal_levels)
    return derived_levels(scenario)


def derived_levels(scenario: Scenario) -> list[TermLevels]:
    """Levels for a scenario without a `deal_levels` block, per destination and partner:
    money as shares of the destination's budget, permits of its labour shortage and of
    the host's refugees."""
    out: list[TermLevels] = []

    def add(
        kind: TermType, giver: str, receiver: str, amounts: Sequence[float], **kw: object
    ) -> None:
        levels = sorted({round(x, 6) for x in amounts if x > 0})
        if levels:
            entry = {"type": kind, "giver": giver, "receiver": receiver, "levels": levels, **kw}
            out.append(TermLevels.model_validate(entry))

    for d in scenario.teams:
        if d.type is not TeamType.destination:
            continue
        money = d.endowment.budget
        permits = max(d.endowment.labour_shortage, 20000)
        for o in scenario.teams:
            if o.type is TeamType.origin:
                add(TermType.visa_facilitation, d.id, o.id, (1, 2, 3))
                add(
                    TermType.labour_pathway,
                    d.id,
                    o.id,
                    (permits * 0.15, permits * 0.35),
                    skills_training=True,
                )
                add(
                    TermType.funding,
                    d.id,
                    o.id,
                    (money * 0.05, money * 0.1),
                    earmark=Earmark.reintegration,
                )
                add(TermType.investment, d.id, o.id, (money * 0.1, money * 0.25))
                add(TermType.readmission, o.id, d.id, (50, 75, 95))
            elif o.type is TeamType.transit:
                add(
                    TermType.funding,
                    d.id,
                    o.id,
                    (money * 0.1, money * 0.25),
                    earmark=Earmark.refugee_hosting,
                )
                add(TermType.trade_access, d.id, o.id, (50, 100))
                add(TermType.visa_facilitation, d.id, o.id, (1, 2))
                add(TermType.border_cooperation, o.id, d.id, (50, 75))
                refugees = o.endowment.refugees
                add(TermType.refugee_work_permits, o.id, d.id, (refugees * 0.1, refugees * 0.3))
    return out


def _issues(scenario: Scenario, giver: str, receiver: str) -> list[tuple[int, Issue]]:
    """Each kind of term `giver` can give `receiver`: the most specific entry wins (a
    team's over its type's), keyed by the entry's place in the file."""
    if giver == receiver:
        return []
    g, r = scenario.team(giver), scenario.team(receiver)
    best: dict[TermType, tuple[int, int, TermLevels]] = {}
    for i, lv in enumerate(deal_levels(scenario)):
        if lv.giver not in (g.id, g.type.value) or lv.receiver not in (r.id, r.type.value):
            continue
        rank = lv.specificity()
        if lv.type not in best or best[lv.type][1] < rank:
            best[lv.type] = (i, rank, lv)
    return [
        (
            i,
            Issue(
                type=lv.type,
                giver=giver,
                receiver=receiver,
                levels=(0.0, *lv.levels),
                earmark=lv.earmark,
                skills_training=lv.skills_training,
                third_country=lv.third_country,
            ),
        )
        for i, _rank, lv in best.values()
    ]


def issues_between(scenario: Scenario, a: str, b: str) -> list[Issue]:
    """The deal space of a pair of teams: every term either can give the other, with its
    levels, in the order the scenario declares them."""
    found = _issues(scenario, a, b) + _issues(scenario, b, a)
    return [issue for _i, issue in sorted(found, key=lambda x: (x[0], x[1].giver != a))]


def issues_among(scenario: Scenario, parties: Sequence[str]) -> list[Issue]:
    """The deal space of a set of teams: the issues of every pair among them."""
    out: list[Issue] = []
    for a, b in itertools.combinations(parties, 2):
        out.extend(issues_between(scenario, a, b))
    return out


def negotiating_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """Every pair of teams with something to sign, in team order."""
    ids = [t.id for t in scenario.teams]
    return [(a, b) for a, b in itertools.combinations(ids, 2) if issues_between(scenario, a, b)]
