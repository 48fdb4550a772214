"""The words for the game's keys: term types, earmarks, phases, statuses, team types,
coercive tools, policies and indicators.

The rules engine keeps keys (`visa_facilitation`), never prose; this table says them in
English and marks them for the catalogues (`N_`); `label` reads them in the reader's
language. A key missing here still reads ("Some new key"), and a test names it.
"""

from __future__ import annotations

from web.i18n import N_, _

LABELS: dict[str, str] = {
    # term types
    "readmission": N_("Readmission"),
    "visa_facilitation": N_("Visa facilitation"),
    "labour_pathway": N_("Labour pathway"),
    "funding": N_("Funding"),
    "border_cooperation": N_("Border cooperation"),
    "resettlement": N_("Resettlement"),
    "refugee_work_permits": N_("Refugee work permits"),
    "trade_access": N_("Trade access"),
    "investment": N_("Investment"),
    # earmarks of funding
    "development": N_("Development"),
    "border_management": N_("Border management"),
    "refugee_hosting": N_("Refugee hosting"),
    "reintegration": N_("Reintegration"),
    "training": N_("Training"),
    # visa levels
    "none": N_("None"),
    "facilitated": N_("Facilitated"),
    "multiple-entry": N_("Multiple-entry"),
    "visa-free": N_("Visa-free"),
    # team types
    "destination": N_("Destination"),
    "transit": N_("Transit"),
    "origin": N_("Origin"),
    "organisation": N_("Organisation"),
    # coercive tools
    "visa_sanctions": N_("Visa sanctions"),
    "aid_cuts": N_("Aid cuts"),
    "gate_opening": N_("Gate opening"),
    "readmission_refusal": N_("Readmission refusal"),
    # phases
    "lobby": N_("Lobby"),
    "briefing": N_("Briefing"),
    "negotiation": N_("Negotiation"),
    "implementation": N_("Implementation"),
    "resolution": N_("Resolution"),
    "ended": N_("Ended"),
    # proposal and agreement statuses
    "proposed": N_("Proposed"),
    "countered": N_("Countered"),
    "signed": N_("Signed"),
    "rejected": N_("Rejected"),
    "retracted": N_("Retracted"),
    "expired": N_("Expired"),
    "active": N_("Active"),
    "awaiting_ratification": N_("Awaiting ratification"),
    "completed": N_("Completed"),
    "withdrawn": N_("Withdrawn"),
    "lapsed": N_("Lapsed"),
    # policies
    "border_enforcement": N_("Border enforcement"),
    "development_spending": N_("Development spending"),
    "integration_spending": N_("Integration spending"),
    "return_operations": N_("Return operations"),
    "labour_permits": N_("Labour permits"),
    # indicators
    "border_guard": N_("Border guard"),
    "forced_returns": N_("Forced returns"),
    "funding_received": N_("Funding received"),
    "hosting_burden": N_("Hosting burden"),
    "irregular_arrivals": N_("Irregular arrivals"),
    "labour_filled": N_("Labour filled"),
    "legal_migrants": N_("Legal migrants"),
    "migrant_deaths": N_("Migrant deaths"),
    "refugee_livelihood_mean": N_("Refugee livelihood (mean)"),
    "remittances": N_("Remittances"),
    "return_rate": N_("Return rate"),
    "spending": N_("Spending"),
    "stranded_total": N_("Stranded (total)"),
    "support": N_("Public support"),
    "trade_income": N_("Trade income"),
    "visa_level": N_("Visa level"),
    "youth_opportunity": N_("Youth opportunity"),
}


def label(key: str) -> str:
    """A key as words in the reader's language: `visa_facilitation` → "Visa facilitation"."""
    key = str(key)
    return _(LABELS.get(key) or key.replace("_", " ").capitalize())
