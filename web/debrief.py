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

from web.charts import line_chart, trust_grid
from web.debrief_charts import (
    Charts,
    TermRow,
    collective_chart,
    collective_rows,
    delivery_rows,
    game_charts,
)
from web.debrief_left import LeftSet, left_sets
from web.format import fmt, label
from web.i18n import N_, _, localised, n_

NO_COLOUR = "#555"
HONOURED_IN_FULL = 99.5
"""An average compliance from which commitments count as kept (rounding aside)."""

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
    prompts: list[tuple[str, str]]
    """Discussion prompts from what happened: (what happened, the paper's question)."""
    names: dict[str, str]
    rounds: int
    truth_revealed: bool = False
    sees_truth: bool = False
    """True compliance and all trust shown (the facilitator, or after the reveal)."""
    offer_reveal: bool = False
    """The facilitator's screen, before the reveal: offer to show everyone the truth."""
    left_sets: list[LeftSet] | None = None
    """Left on the table, per set of partners; None while it is being worked out."""
    left_hidden: bool = False
    """This audience sees only its own numbers (or none) until the reveal."""
    charts: Charts | None = None
    deliveries: dict[str, list[TermRow]] | None = None
    """Per agreement id, its terms' delivery round by round."""
    trust_grids: list[Markup] | None = None
    """Trust per round (who sees the truth): one small heat map a round."""
    collective: list[tuple[str, str]] | None = None
    collective_chart: Markup | str = ""
    slide: int = 0
    """The slide projectors show (clamped to the slides there are)."""
    slides: list[Page] | None = None
    controls: bool = False
    """The console: the buttons that step every projector through the slides."""
    sig: str = ""
    """`signature`: a live update reloads the debrief only when this changes."""


def signature(d: dict[str, Any] | None, truth_revealed: bool, stepped: bool) -> str:
    """What the debrief shown depends on: the reveal, the replay and the analysis done,
    and for the screens that follow the slides (console, projector) the slide. The
    placeholder of every screen and the loaded debrief carry it; a live update whose
    signature differs reloads the debrief (compact.js), one that matches leaves it be."""
    sig = "ended" + ("-truth" if truth_revealed else "")
    if d is not None:
        sig += "-r" + ("" if d.get("left_pending") else "-left")
        if stepped:
            sig += f"-s{d.get('slide', 0)}"
    return sig


def debrief(
    v: dict[str, Any], d: dict[str, Any], *, facilitator: bool = False, stepped: bool = False
) -> Debrief:
    """The debrief of the ended game `v` (a view document's `view`) from `d`, the same
    document's `debrief` (`game_rules.views.debrief`); `stepped`: a screen that follows
    the slides (the console and the projector)."""
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
    left = left_sets(d.get("left_on_table"), names)
    slides = pages(agreements, left)
    order = [t["id"] for t in v["teams"]]
    grids = [
        trust_grid(
            _("Round {r}", r=n),
            [names[t] for t in order],
            [[None if a == b else m.get(a, {}).get(b) for b in order] for a in order],
        )
        for n, m in enumerate(d.get("trust_rounds") or [], start=1)
    ]
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
        prompts=prompts(v, d, names, left),
        names=names,
        rounds=d["rounds"],
        truth_revealed=d["truth_revealed"],
        sees_truth=d["sees_truth"],
        offer_reveal=facilitator and not d["truth_revealed"],
        left_sets=left,
        left_hidden=bool((d.get("left_on_table") or {}).get("hidden")),
        charts=game_charts(v, d, rows),
        deliveries={a["id"]: delivery_rows(a, names, d["rounds"]) for a in v.get("agreements", [])},
        trust_grids=grids,
        collective=collective_rows(d),
        collective_chart=collective_chart(d),
        slide=max(0, min(int(d.get("slide", 0)), len(slides) - 1)),
        slides=slides,
        controls=facilitator,
        sig=signature(d, d["truth_revealed"], stepped),
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


# --- discussion prompts from what happened ------------------------------------------------

GAP = 0.8
"""An agreement that captured less than this share of its parties' best joint gain is a
large gap to the frontier."""
SEEN_BROKEN = 90.0
"""Observed delivery below this, in any round, is a broken promise the partners saw."""


def prompts(
    v: dict[str, Any], d: dict[str, Any], names: dict[str, str], left: list[LeftSet] | None
) -> list[tuple[str, str]]:
    """Discussion prompts chosen from what happened, each with the background paper's
    question it opens (in the paper's terms): (what happened, the question)."""
    out: list[tuple[str, str]] = []
    coercions = v.get("coercions") or []
    if coercions:
        c = coercions[0]
        out.append((
            n_("{by} used coercion ({tool}) against {target}.",
               "Coercion was used {n} times, first by {by} ({tool}) against {target}.",
               len(coercions), by=names.get(c["by"], c["by"]), tool=label(c["tool"]).lower(),
               target=names.get(c["target"], c["target"])),
            _("Partnership or pressure? The paper asks whether “partnership” hid political "
              "pressure. What did the pressure buy here, and what did it cost in trust? Did "
              "the weaker side have any option but to give in or leave?"),
        ))  # fmt: skip
    fell = [(r["round"], t) for r in v["history"] for t in r.get("fallen", [])]
    if fell:
        rnd, t = fell[0]
        out.append((
            _("The government of {t} fell in round {r}.", t=names.get(t, t), r=rnd),
            _("Political feasibility: the paper says a partnership must survive each side's "
              "public debate. Which commitment could the public not carry, and how could the "
              "deal have been built to last an election?"),
        ))  # fmt: skip
    suspended = [c for a in v["agreements"] for c in a.get("compliance", []) if c["suspended"]]
    if suspended:
        out.append((
            n_("A conditional term was suspended once.",
               "Conditional terms were suspended {n} times.", len(suspended)),
            _("More-for-more: benefits against conditions fulfilled first. Did the conditions "
              "work as an incentive, or as a reason to stop delivering?"),
        ))  # fmt: skip
    if not v["agreements"]:
        out.append((
            _("No agreement was signed."),
            _("Too much talk, too little action? The paper notes that going it alone no "
              "longer works. What kept every side from any deal?"),
        ))  # fmt: skip
    for ls in left or []:
        for r in ls.rows:
            eff = r.get("efficiency")
            if r["kind"] == "signed" and eff is not None and eff < GAP:
                out.append((
                    _("{a} captured {e} % of the joint gain its parties could have had.",
                      a=r["label"], e=fmt(100 * eff)),
                    _("A partnership should create results no partner reaches alone. Which "
                      "shared goal stayed off the table, and why?"),
                ))  # fmt: skip
                break
    seen = [
        (a["id"], c["giver"], c["observed"])
        for a in v["agreements"]
        for c in a.get("compliance", [])
        if not c["suspended"] and c["observed"] < SEEN_BROKEN
    ]
    if seen:
        ag, giver, observed = min(seen, key=lambda x: x[2])
        out.append((
            _("In {a}, the partners saw {t} deliver {o} % of a promise.",
              a=ag, t=names.get(giver, giver), o=fmt(observed)),
            _("Letter or spirit? The paper asks whether partners lived up to the spirit of "
              "an agreement or only its letter. What did the others do once they saw it?"),
        ))  # fmt: skip
    out.extend(_standing_prompts(v, d, names))
    return out


SECURITY_TERMS = frozenset({"readmission", "border_cooperation"})
PATHWAY_TERMS = frozenset({"labour_pathway", "visa_facilitation", "refugee_work_permits",
                           "resettlement"})  # fmt: skip


def _standing_prompts(
    v: dict[str, Any], d: dict[str, Any], names: dict[str, str]
) -> list[tuple[str, str]]:
    """The two questions every debrief asks, with this game's figures."""
    terms = [t for a in v["agreements"] for t in a["terms"]]
    security = sum(1 for t in terms if t["type"] in SECURITY_TERMS)
    pathways = sum(1 for t in terms if t["type"] in PATHWAY_TERMS)
    out = []
    if terms:
        out.append((
            _("Of the terms signed, {s} were about returns and border control, {p} about legal "
              "pathways and protection.", s=security, p=pathways),
            _("Security bias: whose priorities did the deals serve, and what did the "
              "countries of origin get for readmission?"),
        ))  # fmt: skip
    deaths = sum(r["deaths"] for r in d.get("collective") or [])
    out.append((
        _("{n} people died en route during the game.", n=fmt(deaths)),
        _("Who carried the cost? Solutions should work for those affected most: migrants, "
          "refugees and the communities hosting them. Did the scores reward that?"),
    ))  # fmt: skip
    return out


# --- the slides -----------------------------------------------------------------------------

SLIDES = (
    ("gain", N_("Gain from partnership")),
    ("corridors", N_("Migration, corridor by corridor")),
    ("indicators", N_("The teams, round by round")),
    ("support", N_("Public support and the fall threshold")),
    ("scores", N_("Scores against the BATNA")),
    ("agreements", N_("Promised and delivered")),
    ("trust", N_("Trust, round by round")),
    ("left", N_("Left on the table")),
    ("collective", N_("Individual and collective")),
    ("discuss", N_("To discuss")),
)
"""The debrief's sections, in the order the facilitator steps through them."""


PER_SLIDE = {"agreements": 2, "left": 1}
"""Sections that run over several slides on the projector: so many items a slide."""


@dataclass(frozen=True)
class Page:
    """One slide: its section (`SLIDES`), its title, and for a section spread over
    several slides the items of this one (agreements, or sets of partners)."""

    kind: str
    title: str
    items: list[Any]
    first: bool = True
    """The first slide of its section (a section's general sentences go there)."""


def pages(agreements: list[AgreementRecord], left: list[LeftSet] | None) -> list[Page]:
    """The slides in order; the agreements and the sets of partners a few a slide, so
    that each slide fits a projector in large type."""
    out: list[Page] = []
    for kind, title in SLIDES:
        items: list[Any] = (
            list(agreements) if kind == "agreements" else list(left or []) if kind == "left" else []
        )
        size = PER_SLIDE.get(kind)
        if size is None or len(items) <= size:
            out.append(Page(kind, _(title), items))
            continue
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        for n, chunk in enumerate(chunks, start=1):
            title_n = _("{t} ({n} of {m})", t=_(title), n=n, m=len(chunks))
            out.append(Page(kind, title_n, chunk, first=n == 1))
    return out
