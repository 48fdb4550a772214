"""How numbers, labels, terms and conditions read on a screen.

Plain functions of the view document's values: the templates, the charts and the screen
models all call them, and they are tested without a browser.
"""

from __future__ import annotations

from typing import Any

from game_rules.actions import VISA_LEVELS
from web.i18n import N_, _, isolated, n_
from web.labels import label


def fmt(value: Any, digits: int = 0) -> str:
    """A number as a person reads it on a small screen: 208 k, 1.2 M, 43.9."""
    if value is None:
        return "–"
    if not isinstance(value, int | float):
        return str(value)
    x = float(value)
    if abs(x) >= 1_000_000:
        return isolated(f"{x / 1_000_000:.1f} M")  # in Arabic too: "1.2 M", not "M 1.2"
    if abs(x) >= 10_000:
        return isolated(f"{x / 1000:.0f} k")
    if digits == 0 and abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{max(digits, 1 if x != int(x) else 0)}f}"


AMOUNT_HINTS = {
    # English here, marked for the catalogues; the builder shows them through `_`.
    "readmission": N_("cooperation level, 0–100 %"),
    "visa_facilitation": N_("level 0–3: none, facilitated, multiple-entry, visa-free"),
    "labour_pathway": N_("work permits per round"),
    "funding": N_("€m per round (choose an earmark)"),
    "border_cooperation": N_("enforcement level, 0–100"),
    "resettlement": N_("refugees per round taken from the receiver"),
    "refugee_work_permits": N_("permits per round for refugees"),
    "trade_access": N_("tariff preference, 0–100 %"),
    "investment": N_("€m per round of private investment"),
}


def condition_text(c: dict[str, Any]) -> str:
    """Proposals number their terms (indexes); agreements name them (term ids)."""

    def which(ref: Any) -> str:
        return _("term {n}", n=ref + 1) if isinstance(ref, int) else _("term {n}", n=ref)

    text = _(
        "{a} only while {b} is honoured at ≥ {x} %",
        a=which(c["term"]),
        b=which(c["requires"]),
        x=fmt(c["threshold"]),
    )
    return text[0].upper() + text[1:]


def term_text(term: dict[str, Any], names: dict[str, str]) -> str:
    kind = term["type"]
    amount = term["amount"]
    # lower(): a label inside a sentence (French and English; Arabic has no case).
    what = label(kind).lower()
    if kind == "visa_facilitation":
        level = int(amount) if 0 <= amount < len(VISA_LEVELS) else None
        what = (
            _("visas: {level}", level=label(VISA_LEVELS[level]).lower())
            if level is not None
            else _("visas {amount}", amount=fmt(amount))
        )
    elif kind in ("readmission", "trade_access"):
        what = _("{what} {amount} %", what=what, amount=fmt(amount))
    elif kind in ("funding", "investment"):
        what = _("{what} €{amount}m", what=what, amount=fmt(amount))
        if term.get("earmark"):
            what = _("{what} ({earmark})", what=what, earmark=label(term["earmark"]).lower())
    else:
        what = _("{what} {amount}", what=what, amount=fmt(amount))
    if term.get("skills_training"):
        what = _("{what}, with skills training", what=what)
    if term.get("third_country"):
        what = _("{what}, third-country nationals too", what=what)
    giver = names.get(term["giver"], term["giver"])
    receiver = names.get(term["receiver"], term["receiver"])
    rounds = term.get("rounds_left", term.get("duration"))
    span = _("ended") if rounds == 0 else n_("{n} round", "{n} rounds", int(rounds or 0))
    return _(
        "{giver} → {receiver}: {what}, {span}", giver=giver, receiver=receiver, what=what, span=span
    )
