"""The debrief (GAME.md §7): what the ended game's screens show, as plain data.

Built from one audience's document of the ended game: its view and its debrief
(`game_rules.views.debrief`: each team's score, no-agreement score and gain, and what this
audience may see of compliance, trust and proposals — the ended game's secrecy policy is
there, not here). Nothing is cached here.
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
    true: float | None
    """None: this audience may not know it (yet): only `seen` is shown."""
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
    """Per team, best score first: id, name, colour, score (the game's: mean of the
    rounds), last (the last round's score, as the results list shows it), batna, gain."""
    total: dict[str, float]
    agreements: list[AgreementRecord]
    counts: dict[str, int]
    """Agreements by where they stand at the end (`agreement_counts`)."""
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
    truth_revealed: bool = False
    sees_truth: bool = False
    """True compliance and all trust shown (the facilitator, or after the reveal)."""
    offer_reveal: bool = False
    """The facilitator's screen, before the reveal: offer to show everyone the truth."""


def debrief(v: dict[str, Any], d: dict[str, Any], *, facilitator: bool = False) -> Debrief:
    """The debrief of the ended game `v` (a view document's `view`) from `d`, the same
    document's `debrief` (`game_rules.views.debrief`)."""
    v = localised(v)  # the scenario's names in the reader's language
    teams = {t["id"]: t for t in v["teams"]}
    names = {tid: t["name"] for tid, t in teams.items()}
    history = v.get("history") or []
    rows = score_rows(teams, d["outcomes"], (history[-1].get("scores") or {}) if history else {})
    agreements = [agreement_record(a, names) for a in d["agreements"]]
    delivered = [
        k["true"] if k["true"] is not None else k["seen"]
        for a in d["agreements"]
        for k in a["kept"]
    ]
    kept_share = _mean(delivered)
    return Debrief(
        rows=rows,
        total={k: sum(r[k] for r in rows) for k in ("score", "batna", "gain")},
        agreements=agreements,
        counts=agreement_counts(agreements),
        kept_share=kept_share,
        order=[names[t] for t in teams],
        trust_rows=trust_rows(v, d["trust"], names),
        trust_chart=trust_chart(v, d["trust_received"]),
        left=[
            *unsigned_proposals(d["unsigned"]),
            *neighbours_without_agreement(v),
            *_kept(kept_share),
            *below_batna(rows),
        ],
        prompts=[_(p) for p in DISCUSSION],
        names=names,
        rounds=d["rounds"],
        truth_revealed=d["truth_revealed"],
        sees_truth=d["sees_truth"],
        offer_reveal=facilitator and not d["truth_revealed"],
    )


def score_rows(
    teams: dict[str, dict[str, Any]],
    report: dict[str, dict[str, float]],
    last: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Per team its game score (the mean of its round scores, what the BATNA and the gain
    are measured in) beside its last round's score (what the results list shows), so the
    two figures a room sees are both there and labelled (issue 10)."""
    last = last or {}
    rows = [
        {"id": tid, "name": t["name"], "colour": t["colour"], "last": last.get(tid), **report[tid]}
        for tid, t in teams.items()
    ]
    return sorted(rows, key=lambda r: -r["score"])


KEPT_STATUSES = ("active", "completed")
"""Agreements that took effect and still stood at the end (in force or run their course)."""


def agreement_counts(agreements: list[AgreementRecord]) -> dict[str, int]:
    """Signed; of them in force or completed, awaiting a new government's ratification,
    withdrawn or lapsed; and kept: in force or completed with every giver's delivery (as
    this audience may know it) honoured in full. An agreement awaiting ratification is
    signed but not kept (issue 10 counted it as both)."""
    by = {
        st: sum(1 for a in agreements if a.status == st)
        for st in ("active", "completed", "awaiting_ratification", "withdrawn", "lapsed")
    }
    kept = sum(
        1
        for a in agreements
        if a.status in KEPT_STATUSES
        and a.kept
        and all((k.true if k.true is not None else k.seen) >= HONOURED_IN_FULL for k in a.kept)
    )
    return {"signed": len(agreements), "kept": kept, **by}


def agreement_record(a: dict[str, Any], names: dict[str, str]) -> AgreementRecord:
    """An agreement of the debrief document with each giver's delivery (mean over rounds):
    true where this audience may know it, and what the partners observed."""
    kept = [Kept(names.get(k["giver"], k["giver"]), k["true"], k["seen"]) for k in a["kept"]]
    return AgreementRecord(
        id=a["id"],
        parties=[names.get(p, p) for p in a["parties"]],
        status=a["status"],
        signed_round=a.get("signed_round"),
        terms=a["terms"],
        kept=kept,
    )


def trust_rows(
    v: dict[str, Any], matrix: dict[str, dict[str, float]], names: dict[str, str]
) -> list[tuple[str, list[float | None]]]:
    """The trust matrix at the end: how much each team (row) trusts each other (column);
    none if this audience may not see it."""
    if not matrix:
        return []
    order = [t["id"] for t in v["teams"]]
    return [
        (names[a], [None if a == b else matrix.get(a, {}).get(b) for b in order]) for a in order
    ]


def trust_chart(v: dict[str, Any], received: dict[str, list[float]]) -> Markup:
    """The trust each team received from the others, on average, round by round (the
    teams this audience may see it of)."""
    series = [
        (t["name"], t["colour"] or NO_COLOUR, received[t["id"]])
        for t in v["teams"]
        if t["id"] in received
    ]
    if not series:
        return Markup("")
    return line_chart(_("Trust received (average of the others), by round"), series)


def unsigned_proposals(counts: dict[str, int]) -> list[str]:
    """The proposals this audience knew of that were never signed, counted by status."""
    if not sum(counts.get(st, 0) for st in UNSIGNED):
        return []
    return [
        n_(
            "{n} proposal never became an agreement: {r} rejected, {e} expired, {w} withdrawn.",
            "{n} proposals never became an agreement: {r} rejected, {e} expired, {w} withdrawn.",
            sum(counts.get(st, 0) for st in UNSIGNED),
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


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
