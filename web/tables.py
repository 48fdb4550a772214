"""Parallel tables compared (the session's console and debrief): plain data from each
table's facilitator document (`GameRoom.document("facilitator")`).

Harborco's most used debrief move: the same game at several tables, side by side. Per
table: what it signed, each team's gain against its no-agreement outcome, trust at the
end, whose government fell, and the efficiency of its signed deals against the deal
frontier (the debrief's analysis, `left_on_table`, once it is ready).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web.i18n import localised

Doc = dict[str, Any]


@dataclass(frozen=True)
class TableRow:
    number: int
    game_id: str
    join_code: str
    phase: str
    round: int
    rounds: int | None
    waiting_for: list[str]
    players: int
    bots: int
    agreements: int
    """agreements signed (whatever became of them)"""
    active: int
    gains: dict[str, float | None]
    """per team id: score minus the no-agreement score (None until the debrief is ready)"""
    total_gain: float | None
    efficiency: float | None
    trust: float | None
    """mean trust between all teams at the end of the last round played"""
    fallen: list[str]
    """the names of teams whose government fell, in the order they fell"""


@dataclass(frozen=True)
class Comparison:
    teams: list[dict[str, Any]]
    rows: list[TableRow]
    names: dict[str, str]

    @property
    def any_gains(self) -> bool:
        return any(r.total_gain is not None for r in self.rows)

    @property
    def any_efficiency(self) -> bool:
        return any(r.efficiency is not None for r in self.rows)


def table_row(number: int, doc: Doc, waiting: list[str]) -> TableRow:
    v = localised(doc["view"])
    names = {t["id"]: t["name"] for t in v["teams"]}
    d = doc.get("debrief") or {}
    outcomes = d.get("outcomes") or {}
    gains = {t: (outcomes[t]["gain"] if t in outcomes else None) for t in names}
    known = [g for g in gains.values() if g is not None]
    matrix = v.get("trust") or {}
    cells = [x for a, row in matrix.items() for b, x in row.items() if a != b]
    fallen = [names.get(t, t) for rec in v["history"] for t in rec.get("fallen", [])]
    return TableRow(
        number=number,
        game_id=doc["game_id"],
        join_code=doc.get("join_code") or "",
        phase=v["phase"],
        round=v["round"],
        rounds=v.get("rounds"),
        waiting_for=[names.get(t, t) for t in waiting],
        players=len(doc.get("players") or []),
        bots=len(doc.get("bots") or {}),
        agreements=len(v["agreements"]),
        active=sum(1 for a in v["agreements"] if a["status"] == "active"),
        gains=gains,
        total_gain=round(sum(known), 1) if known and len(known) == len(gains) else None,
        efficiency=efficiency(d),
        trust=round(sum(cells) / len(cells), 1) if cells else None,
        fallen=fallen,
    )


def efficiency(d: dict[str, Any]) -> float | None:
    """The mean efficiency (captured / best achievable joint gain) of the table's signed
    deals, from the debrief's frontier analysis (`left_on_table`); None until it is
    ready, or when no signed deal could be valued."""
    left = d.get("left_on_table") or {}
    values = [
        deal["efficiency"]
        for s in left.get("sets", [])
        for deal in s.get("deals", [])
        if deal.get("efficiency") is not None
    ]
    return round(sum(values) / len(values), 3) if values else None


def compare(tables: list[tuple[int, Doc, list[str]]]) -> Comparison:
    """The tables side by side: (number, facilitator document, teams waited for) each."""
    rows = [table_row(n, doc, waiting) for n, doc, waiting in tables]
    first = localised(tables[0][1]["view"]) if tables else {"teams": []}
    return Comparison(
        teams=first["teams"],
        rows=rows,
        names={t["id"]: t["name"] for t in first["teams"]},
    )
