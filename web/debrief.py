"""The debrief (GAME.md §7): what the ended game's screens show, as plain data.

Built from a view of the ended game and the no-agreement report (each team's score, its
score without any agreement, the gain), both passed in: the caller decides whose view it
is (secrecy lives in `game_rules.views`) and computes the report once per state (the
room keeps it with its documents). Nothing is cached here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from web.charts import line_chart
from web.format import fmt
from web.i18n import N_, _, localised, n_

NO_COLOUR = "#555"
HONOURED_IN_FULL = 99.5
"""An average compliance from which commitments count as kept (rounding aside)."""

DISCUSSION = (
    N_("Partnership or pressure: what did coercion buy, and what did it cost in trust?"),
    N_("Quick deals or long-term ones: which agreements were still honoured at the end?"),
    N_(
        "Security bias: how much of what was signed was about stopping people, how much about "
        "legal pathways and livelihoods?"
    ),
    N_("Who carried the cost: the migrants (deaths en route), the refugees, the treasuries?"),
)

UNSIGNED = ("rejected", "expired", "retracted")


@dataclass(frozen=True)
class Kept:
    """How far one party delivered what it gave in an agreement (mean over rounds)."""

    team: str
    true: float
    seen: float


@dataclass(frozen=True)
class AgreementRecord:
    id: str
    parties: list[str]
    status: str
    signed_round: int | None
    terms: list[dict[str, Any]]
    kept: list[Kept]


@dataclass(frozen=True)
class Debrief:
    rows: list[dict[str, Any]]
    """Per team, best score first: id, name, colour, score, batna, gain."""
    total: dict[str, float]
    agreements: list[AgreementRecord]
    kept_share: float | None
    """Mean delivered compliance over every commitment and round (None: none)."""
    order: list[str]
    trust_rows: list[tuple[str, list[float | None]]]
    trust_chart: Markup
    left: list[str]
    """What was left on the table, in sentences."""
    prompts: list[str]
    names: dict[str, str]
    rounds: int


def debrief(v: dict[str, Any], report: dict[str, dict[str, float]]) -> Debrief:
    """The debrief of the ended game `v` (a view document's `view`), with `report`: team
    id → score, batna, gain."""
    v = localised(v)  # the scenario's names in the reader's language
    teams = {t["id"]: t for t in v["teams"]}
    names = {tid: t["name"] for tid, t in teams.items()}
    rows = score_rows(teams, report)
    agreements = [agreement_record(a, names) for a in v["agreements"]]
    delivered = [c.get("true", c["observed"]) for a in v["agreements"] for c in a["compliance"]]
    kept_share = _mean(delivered)
    return Debrief(
        rows=rows,
        total={k: sum(r[k] for r in rows) for k in ("score", "batna", "gain")},
        agreements=agreements,
        kept_share=kept_share,
        order=[names[t] for t in teams],
        trust_rows=trust_rows(v, names),
        trust_chart=trust_chart(v),
        left=[
            *unsigned_proposals(v),
            *neighbours_without_agreement(v),
            *_kept(kept_share),
            *below_batna(rows),
        ],
        prompts=[_(p) for p in DISCUSSION],
        names=names,
        rounds=len(v["history"]),
    )


def score_rows(
    teams: dict[str, dict[str, Any]], report: dict[str, dict[str, float]]
) -> list[dict[str, Any]]:
    rows = [
        {"id": tid, "name": t["name"], "colour": t["colour"], **report[tid]}
        for tid, t in teams.items()
    ]
    return sorted(rows, key=lambda r: -r["score"])


def agreement_record(a: dict[str, Any], names: dict[str, str]) -> AgreementRecord:
    """An agreement with each giver's delivery: true compliance where the view has it,
    else what the others observed."""
    by_giver: dict[str, list[tuple[float, float]]] = {}
    for c in a["compliance"]:
        by_giver.setdefault(c["giver"], []).append((c.get("true", c["observed"]), c["observed"]))
    kept = [
        Kept(names.get(giver, giver), _avg([t for t, _o in vs]), _avg([o for _t, o in vs]))
        for giver, vs in by_giver.items()
    ]
    return AgreementRecord(
        id=a["id"],
        parties=[names.get(p, p) for p in a["parties"]],
        status=a["status"],
        signed_round=a.get("signed_round"),
        terms=a["terms"],
        kept=kept,
    )


def trust_rows(v: dict[str, Any], names: dict[str, str]) -> list[tuple[str, list[float | None]]]:
    """The trust matrix at the end: how much each team (row) trusts each other (column)."""
    order = [t["id"] for t in v["teams"]]
    matrix = v.get("trust") or {}
    return [
        (names[a], [None if a == b else matrix.get(a, {}).get(b) for b in order]) for a in order
    ]


def trust_chart(v: dict[str, Any]) -> Markup:
    """The trust each team received from the others, on average, round by round."""
    series = [
        (t["name"], t["colour"] or NO_COLOUR, [_received(rec, t["id"]) for rec in v["history"]])
        for t in v["teams"]
    ]
    return line_chart(_("Trust received (average of the others), by round"), series)


def _received(record: dict[str, Any], team: str) -> float:
    given = [row.get(team) for a, row in (record.get("trust") or {}).items() if a != team]
    return _mean([x for x in given if x is not None]) or 0.0


def unsigned_proposals(v: dict[str, Any]) -> list[str]:
    unsigned = [p for p in v.get("proposals", []) if p["status"] in UNSIGNED]
    if not unsigned:
        return []
    counts = {st: sum(1 for p in unsigned if p["status"] == st) for st in UNSIGNED}
    return [
        n_(
            "{n} proposal never became an agreement: {r} rejected, {e} expired, {w} withdrawn.",
            "{n} proposals never became an agreement: {r} rejected, {e} expired, {w} withdrawn.",
            len(unsigned),
            r=counts["rejected"],
            e=counts["expired"],
            w=counts["retracted"],
        )
    ]


def neighbours_without_agreement(v: dict[str, Any]) -> list[str]:
    """Each pair of teams on a corridor that signed nothing together, once."""
    names = {t["id"]: t["name"] for t in v["teams"]}
    signed = {
        frozenset((x, y)) for a in v["agreements"] for x in a["parties"] for y in a["parties"]
    }
    seen: set[frozenset[str]] = set()
    out = []
    for c in v["corridors"]:
        stops = [c[k] for k in ("origin", "transit", "destination") if c.get(k) in names]
        for i, x in enumerate(stops):
            for y in stops[i + 1 :]:
                pair = frozenset((x, y))
                if x != y and pair not in signed | seen:
                    seen.add(pair)
                    out.append(
                        _(
                            "No agreement between {a} and {b}, who share the {c} corridor.",
                            a=names[x],
                            b=names[y],
                            c=c["name"],
                        )
                    )
    return out


def _kept(kept_share: float | None) -> list[str]:
    if kept_share is None or kept_share >= HONOURED_IN_FULL:
        return []
    return [
        _(
            "Commitments were honoured at {k} % on average: the rest was promised and "
            "not delivered.",
            k=fmt(kept_share),
        )
    ]


def below_batna(rows: list[dict[str, Any]]) -> list[str]:
    return [
        _("{t} ended {g} points below its no-agreement outcome.", t=r["name"], g=fmt(-r["gain"], 1))
        for r in rows
        if r["gain"] < 0
    ]


def _avg(values: list[float]) -> float:
    return sum(values) / len(values)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
