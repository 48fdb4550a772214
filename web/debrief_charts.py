"""The debrief's charts and tables by round: the game in charts (corridors, indicators,
support against the fall threshold, score against the BATNA), promised vs delivered per
term, and individual vs collective outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from web.charts import line_chart
from web.format import fmt, term_text
from web.i18n import N_, _

NO_COLOUR = "#555"


# --- the game in charts -------------------------------------------------------------------

CORRIDOR_SERIES = (
    ("arrived", N_("arrived irregularly"), "#c0392b"),
    ("legal", N_("legal migrants"), "#1e8449"),
    ("returns", N_("returned"), "#7d3c98"),
    ("blocked", N_("stopped en route"), "#b9770e"),
    ("died", N_("died en route"), "#111111"),
)
"""A corridor's flows per round: what each line is, and its colour."""

TEAM_INDICATORS = (
    ("irregular_arrivals", N_("Irregular arrivals")),
    ("legal_migrants", N_("Legal migration")),
    ("effective_returns", N_("Returns")),
    ("stranded", N_("Stranded migrants")),
    ("deaths", N_("Deaths en route")),
    ("refugees", N_("Refugees hosted")),
    ("remittances", N_("Remittances")),
    ("development", N_("Development")),
    ("treasury", N_("Budget (treasury)")),
)
"""The indicators charted per team, one chart each (a team's line where this audience
may see it: private ones, like the treasury, for the facilitator and the team itself)."""


@dataclass(frozen=True)
class Charts:
    corridors: list[Markup]
    indicators: list[Markup]
    support: list[Markup]
    scores: list[Markup]


def game_charts(v: dict[str, Any], d: dict[str, Any], rows: list[dict[str, Any]]) -> Charts:
    """Per round, every corridor's flows, each team's indicators, support against the fall
    threshold and score against the BATNA (the mean of the no-agreement run's rounds)."""
    history = v["history"]
    teams = v["teams"]
    corridors = []
    for c in v["corridors"]:
        series = [
            (_(name), colour, [float(r["corridors"].get(c["id"], {}).get(k, 0)) for r in history])
            for k, name, colour in CORRIDOR_SERIES
        ]
        corridors.append(line_chart(c["name"], series))
    indicators = []
    for key, title in TEAM_INDICATORS:
        series = [
            (t["name"], t["colour"] or NO_COLOUR, [r["indicators"][t["id"]][key] for r in history])
            for t in teams
            if all(key in r["indicators"].get(t["id"], {}) for r in history)
        ]
        if series and any(any(values) for _n, _c, values in series):
            indicators.append(line_chart(_(title), series))
    support = []
    scores = []
    batna = {r["id"]: r["batna"] for r in rows}
    for t in teams:
        colour = t["colour"] or NO_COLOUR
        values = [r["support"][t["id"]] for r in history if t["id"] in r.get("support", {})]
        if values:
            refs = []
            if t["id"] in d.get("thresholds", {}):
                refs.append((_("fall threshold"), "#c0392b", d["thresholds"][t["id"]]))
            fell = [r["round"] for r in history if t["id"] in r.get("fallen", [])]
            title = _("{t}: public support", t=t["name"])
            if fell:
                title = _("{t}: public support (government fell in round {r})", t=t["name"],
                          r=", ".join(str(x) for x in fell))  # fmt: skip
            support.append(line_chart(title, [(_("support"), colour, values)], refs=refs))
        mine = [r["scores"][t["id"]] for r in history if t["id"] in (r.get("scores") or {})]
        if mine:
            scores.append(
                line_chart(
                    _("{t}: score by round", t=t["name"]),
                    [(_("score"), colour, mine)],
                    refs=[(_("BATNA (no agreement)"), "#555", batna.get(t["id"], 0.0))],
                )
            )
    return Charts(corridors, indicators, support, scores)


# --- promised vs delivered, round by round --------------------------------------------------


@dataclass(frozen=True)
class TermRow:
    text: str
    giver: str
    condition: str
    """The condition this term is released under, in words; "" if unconditional."""
    cells: list[dict[str, Any]]
    """Per round of the game: value (delivered %, None: not due), seen (what partners
    observed), suspended, released (released again after a suspension)."""


def delivery_rows(a: dict[str, Any], names: dict[str, str], rounds: int) -> list[TermRow]:
    """Each term of an agreement (from the view) with its delivery per round: true where
    this audience may know it, else what the partners observed."""
    by_term: dict[str, dict[int, dict[str, Any]]] = {}
    for c in a.get("compliance", []):
        by_term.setdefault(c["term_id"], {})[c["round"]] = c
    conditions = {c["term"]: c for c in a.get("conditions", [])}
    index = {t["id"]: n for n, t in enumerate(a["terms"])}
    out = []
    for t in a["terms"]:
        cond = conditions.get(t["id"])
        words = ""
        if cond is not None:
            words = _("released while term {n} is honoured at {p} % or more",
                      n=index.get(cond["requires"], 0) + 1, p=fmt(cond["threshold"]))  # fmt: skip
        cells = []
        was_suspended = False
        for rnd in range(1, rounds + 1):
            c = by_term.get(t["id"], {}).get(rnd)
            if c is None:
                cells.append({"value": None, "seen": None, "suspended": False, "released": False})
                continue
            value = c.get("true", c["observed"])
            cells.append(
                {
                    "value": value,
                    "seen": c["observed"],
                    "true_known": "true" in c,
                    "suspended": c["suspended"],
                    "released": was_suspended and not c["suspended"],
                }
            )
            was_suspended = c["suspended"]
        out.append(TermRow(term_text(t, names), names.get(t["giver"], t["giver"]), words, cells))
    return out


# --- individual vs collective ---------------------------------------------------------------


def collective_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """What the game did for everyone at once: the migrants' safety, the refugees'
    livelihoods, legal pathways."""
    rounds = d.get("collective") or []
    if not rounds:
        return []
    last = rounds[-1]
    return [
        (_("Deaths en route, all rounds"), fmt(sum(r["deaths"] for r in rounds))),
        (_("Legal migrants, all rounds"), fmt(sum(r["legal"] for r in rounds))),
        (_("Irregular arrivals, all rounds"), fmt(sum(r["arrived"] for r in rounds))),
        (_("Migrants stranded at the end"), fmt(last["stranded"])),
        (_("Refugees hosted at the end"), fmt(last["refugees"])),
        (_("Refugees' livelihoods at the end (mean of the hosts, 0–100)"),
         fmt(last["livelihood"], 1)),
    ]  # fmt: skip


def collective_chart(d: dict[str, Any]) -> Markup:
    rounds = d.get("collective") or []
    if not rounds:
        return Markup("")
    # Two charts: deaths count in thousands, livelihoods on 0–100; one axis would flatten one.
    return Markup(
        line_chart(
            _("Migrant safety and refugee livelihoods, by round"),
            [(_("deaths en route"), "#111111", [r["deaths"] for r in rounds])],
        )
        + line_chart(
            _("Refugees' livelihoods (mean of the hosts, 0–100), by round"),
            [(_("refugees' livelihoods (0–100)"), "#1e8449", [r["livelihood"] for r in rounds])],
        )
    )
