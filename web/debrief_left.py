"""The debrief's "left on the table" as shown: each set of partners' gain charts, the
table of the signed, Nash and KS deals, and the sentences a facilitator reads out, from
`game_rules.frontier.report` as `game_rules.views.debrief` lets this audience see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from web.charts import Mark, gain_chart
from web.format import fmt, label
from web.i18n import _


@dataclass(frozen=True)
class LeftSet:
    """Left on the table by one set of partners (`game_rules.frontier`), as shown."""

    parties: list[str]
    """Their names."""
    agreements: list[str]
    charts: list[Markup]
    """Two parties: one chart of their gains; three or more: one per pair of them."""
    rows: list[dict[str, Any]]
    """Per signed agreement, then the Nash and KS deals: label, gains (one per party,
    None where this audience may not know it), efficiency, distance (None: not shown)."""
    words: list[str]
    best_surplus: float | None


def left_sets(left: dict[str, Any] | None, names: dict[str, str]) -> list[LeftSet] | None:
    """Each set of partners' frontier, points and words (None: still being worked out)."""
    if left is None:
        return None
    return [left_set(s, names) for s in left["sets"]]


def left_set(s: dict[str, Any], names: dict[str, str]) -> LeftSet:
    parties = [names.get(p, p) for p in s["parties"]]
    if s.get("hidden"):
        return LeftSet(parties, list(s["agreements"]), [], [], [], None)
    rows: list[dict[str, Any]] = []
    for deal in s["deals"]:
        if not deal["valued"]:
            continue
        rows.append(
            {
                "label": deal["agreement"],
                "kind": "signed",
                "gains": deal["gains"],
                "efficiency": deal.get("efficiency"),
                "distance": deal.get("distance"),
            }
        )
    for key, name, short in (
        ("nash", _("Nash deal"), _("Nash")),
        ("ks", _("Kalai–Smorodinsky deal"), _("KS")),
    ):
        if s.get(key):
            rows.append({"label": name, "short": short, "kind": key, "gains": s[key]["gains"],
                         "efficiency": None, "distance": None})  # fmt: skip
    charts = []
    if s.get("frontier") or s.get("cloud"):
        pairs = [(i, j) for i in range(len(parties)) for j in range(i + 1, len(parties))]
        for i, j in pairs:
            marks: list[Mark] = [
                (r.get("short", r["label"]), r["kind"], r["gains"][i], r["gains"][j])
                for r in rows
                if r["gains"][i] is not None and r["gains"][j] is not None
            ]
            charts.append(
                gain_chart(
                    _("{a} and {b}: what each deal was worth to each", a=parties[i], b=parties[j]),
                    _("gain of {t}", t=parties[i]),
                    _("gain of {t}", t=parties[j]),
                    [(g[i], g[j]) for g in s["cloud"]],
                    [(p["gains"][i], p["gains"][j]) for p in s["frontier"]],
                    marks,
                )
            )
    return LeftSet(
        parties=parties,
        agreements=list(s["agreements"]),
        charts=charts,
        rows=rows,
        words=left_words(s, names),
        best_surplus=s.get("best_surplus"),
    )


def change_words(c: dict[str, Any], names: dict[str, str]) -> str:
    """One change of terms that would have left every party better off, in words."""
    term = _(
        "{term} from {g} to {r}",
        term=label(c["type"]),
        g=names.get(c["giver"], c["giver"]),
        r=names.get(c["receiver"], c["receiver"]),
    )
    a, b = fmt(c["from"]), fmt(c["to"])
    if not c["from"]:
        return _("add {term} at {b}", term=term, b=b)
    if not c["to"]:
        return _("drop {term} ({a})", term=term, a=a)
    if c["to"] > c["from"]:
        return _("raise {term} from {a} to {b}", term=term, a=a, b=b)
    return _("lower {term} from {a} to {b}", term=term, a=a, b=b)


def _gains_words(parties: list[str], gains: list[float | None]) -> str:
    return ", ".join(
        f"{p} {'+' if g > 0 else ''}{fmt(g, 1)}"
        for p, g in zip(parties, gains, strict=True)
        if g is not None
    )


def left_words(s: dict[str, Any], names: dict[str, str]) -> list[str]:
    """What the room should hear about one set of partners' deal space."""
    parties = [names.get(p, p) for p in s["parties"]]
    together = " · ".join(parties)
    if s["too_large"]:
        return [_("{p}: too many possible deals ({n}) to work out here.", p=together,
                  n=fmt(s["size"]))]  # fmt: skip
    out: list[str] = []
    if "mine" in s:  # a team before the reveal: its own numbers only
        k = s["mine"]
        me = parties[k]
        for d in s["deals"]:
            if d.get("gains") is not None:
                out.append(
                    _("{a} was worth {g} points to {t} over no deal, had it been honoured "
                      "from round 1.", a=d["agreement"], g=_signed(d["gains"][k]), t=me)
                )  # fmt: skip
        if s.get("best_own") is not None:
            out.append(_("The best deal for {t} that its partners could also accept was "
                         "worth {g}.", t=me, g=_signed(s["best_own"])))  # fmt: skip
        return out
    if not s["frontier"]:
        return [_("{p}: no deal at the scenario's levels left every party better off than "
                  "no deal.", p=together)]  # fmt: skip
    if not s["agreements"]:
        out.append(
            _("{p} signed nothing, though {f} of {n} possible deals left every party better "
              "off; the Nash deal: {g}.", p=together, f=fmt(s["feasible"]), n=fmt(s["size"]),
              g=_gains_words(parties, s["nash"]["gains"]))
        )  # fmt: skip
        return out
    for d in s["deals"]:
        if not d["valued"]:
            continue
        eff = d["efficiency"]
        e = fmt(100 * eff) if eff is not None else "–"
        c, b = fmt(d["captured"], 1), fmt(s["best_surplus"], 1)
        below = [p for p, g in zip(parties, d["gains"], strict=True) if g < -0.05]
        if below:
            out.append(_("{a}: {e} % of the best joint gain ({c} of {b} points), but it left "
                         "{t} worse off than no deal.", a=d["agreement"], e=e, c=c, b=b,
                         t=", ".join(below)))  # fmt: skip
        elif d["on_frontier"]:
            out.append(_("{a}: {e} % of the best joint gain ({c} of {b} points), on the "
                         "frontier: no deal was better for one party without being worse "
                         "for another.", a=d["agreement"], e=e, c=c, b=b))  # fmt: skip
        else:
            out.append(_("{a}: {e} % of the best joint gain ({c} of {b} points), {d} points "
                         "inside the frontier.", a=d["agreement"], e=e, c=c, b=b,
                         d=fmt(d["distance"], 1)))  # fmt: skip
        better = d.get("better")
        if better:
            out.append(
                _("Every party of {a} would have gained more with these terms: {c} ({g}).",
                  a=d["agreement"],
                  c="; ".join(change_words(c, names) for c in better["changes"]),
                  g=_gains_words(parties, better["gains"]))
            )  # fmt: skip
        else:
            out.append(_("No deal at the scenario's levels was better for every party "
                         "of {a}.", a=d["agreement"]))  # fmt: skip
    return out


def _signed(x: float) -> str:
    return ("+" if x > 0.05 else "") + fmt(x, 1)
