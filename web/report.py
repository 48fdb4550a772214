"""The printable report and the replayed round: plain data for their templates, built from
one audience's view document (secrecy is `game_rules.views`'s; nothing is added here).

The report (`report`) is what a facilitator hands out after the session: the outcome
against each team's no-agreement score, the agreements and how they were kept, the
indicators round by round, trust, and what happened when. A team's report is built from
its own view, the facilitator's from the full one. A replayed round (`frame`) is the map,
the agreements and the indicators at the end of one round, as its audience saw them then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from web.charts import corridor_map
from web.debrief import Debrief, debrief
from web.format import term_text
from web.i18n import _, localised
from web.words import words

Doc = dict[str, Any]


@dataclass(frozen=True)
class IndicatorTable:
    """One round's indicators: a row per indicator, a column per team (None: not seen)."""

    round: int
    year: int
    teams: list[str]
    rows: list[tuple[str, list[float | None]]]


@dataclass(frozen=True)
class AgreementLine:
    id: str
    parties: list[str]
    status: str
    signed_round: int | None
    terms: list[str]


@dataclass(frozen=True)
class Report:
    title: str
    scenario: str
    audience: str
    """facilitator, projector, or a team's name: whose view this report is"""
    phase: str
    rounds_played: int
    rounds: int | None
    teams: list[dict[str, Any]]
    names: dict[str, str]
    debrief: Debrief | None
    agreements: list[AgreementLine]
    indicators: list[IndicatorTable]
    timeline: list[tuple[int, list[str]]]
    fallen: list[tuple[int, list[str]]] = field(default_factory=list)


def indicator_tables(v: dict[str, Any], names: dict[str, str]) -> list[IndicatorTable]:
    order = [t["id"] for t in v["teams"]]
    out = []
    for rec in v["history"]:
        keys: list[str] = []
        for tid in order:
            for k in rec["indicators"].get(tid, {}):
                if k not in keys:
                    keys.append(k)
        rows = [(k, [rec["indicators"].get(tid, {}).get(k) for tid in order]) for k in sorted(keys)]
        if "support" not in keys:
            rows.append(("support", [rec["support"].get(tid) for tid in order]))
        scores = rec.get("scores") or {}
        if scores:
            rows.append(("score", [scores.get(tid) for tid in order]))
        out.append(IndicatorTable(rec["round"], rec["year"], [names[t] for t in order], rows))
    return out


def agreement_lines(v: dict[str, Any], names: dict[str, str]) -> list[AgreementLine]:
    return [
        AgreementLine(
            id=a["id"],
            parties=[names.get(p, p) for p in a["parties"]],
            status=a["status"],
            signed_round=a.get("signed_round"),
            terms=[term_text(t, names) for t in a["terms"]],
        )
        for a in v["agreements"]
    ]


def timeline(v: dict[str, Any], names: dict[str, str]) -> list[tuple[int, list[str]]]:
    """The news this audience read, round by round."""
    by_round: dict[int, list[str]] = {}
    for n in v["news"]:
        by_round.setdefault(int(n.get("round") or 0), []).append(words(n, names))
    return sorted(by_round.items())


def report(doc: Doc, *, audience: str = "") -> Report:
    """The report of one audience's document (`GameRoom.document`, or an export's view)."""
    v = localised(doc["view"])
    names = {t["id"]: t["name"] for t in v["teams"]}
    d = doc.get("debrief")
    key = doc.get("audience", "")
    if audience:
        who = audience
    elif key.startswith("team:"):
        who = str(names.get(key[5:], key))
    else:
        who = _("Facilitator") if key == "facilitator" else _("Projector")
    return Report(
        title=doc.get("title") or v["scenario"]["name"],
        scenario=v["scenario"]["name"],
        audience=who,
        phase=v["phase"],
        rounds_played=len(v["history"]),
        rounds=v.get("rounds"),
        teams=v["teams"],
        names=names,
        debrief=debrief(v, d) if d else None,
        agreements=agreement_lines(v, names),
        indicators=indicator_tables(v, names),
        timeline=timeline(v, names),
        fallen=[
            (rec["round"], [names.get(t, t) for t in rec["fallen"]])
            for rec in v["history"]
            if rec.get("fallen")
        ],
    )


# --- a replayed round -------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """The game at the end of one round (0: the start), as one audience saw it then."""

    game_id: str
    number: int
    last: int
    """the last round that can be replayed"""
    year: int
    map: Markup
    teams: list[dict[str, Any]]
    agreements: list[AgreementLine]
    indicators: IndicatorTable | None
    news: list[str]
    names: dict[str, str]


PROJECTOR_ROWS = (
    "irregular_arrivals",
    "legal_migrants",
    "effective_returns",
    "migrant_deaths",
    "refugees",
    "support",
    "score",
)
"""What a replayed round shows on the projector: a few rows read across a room, so that
the round fits 1920×1080 (the console's replay shows every indicator)."""


def frame(doc: Doc, last: int, rows: tuple[str, ...] | None = None) -> Frame:
    """Round `doc["replay"]` of the game from a replay document; `rows`: only these
    indicators (None: every one the audience may see)."""
    v = localised(doc["view"])
    names = {t["id"]: t["name"] for t in v["teams"]}
    number = int(doc["replay"])
    tables = indicator_tables(v, names)
    if rows is not None:
        tables = [
            IndicatorTable(t.round, t.year, t.teams, [r for r in t.rows if r[0] in rows])
            for t in tables
        ]
    return Frame(
        game_id=doc["game_id"],
        number=number,
        last=last,
        year=v["year"],
        map=corridor_map(v),
        teams=v["teams"],
        agreements=agreement_lines(v, names),
        indicators=tables[-1] if tables else None,
        # The projector's own ticker tells the news: its replay keeps to the round's state.
        news=[]
        if rows is not None
        else [words(n, names) for n in v["news"] if n.get("round") == number][-12:],
        names=names,
    )
