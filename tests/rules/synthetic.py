"""Synthetic scenarios of any size, to show nothing assumes the Mediterranean's three teams."""

from __future__ import annotations

from typing import Any

from game_rules.scenario import Scenario
from tests.rules.helpers import med_dict


def _objective(
    indicator: str, weight: float, direction: str, target: float, worst: float
) -> dict[str, Any]:
    return {
        "indicator": indicator,
        "weight": weight,
        "direction": direction,
        "target": target,
        "worst": worst,
    }


MANDATES: dict[str, list[dict[str, Any]]] = {
    "destination": [
        _objective("irregular_arrivals", 0.4, "lower", 50000, 300000),
        _objective("return_rate", 0.3, "higher", 50, 10),
        _objective("labour_filled", 0.3, "higher", 70, 0),
    ],
    "transit": [
        _objective("funding_received", 0.4, "higher", 800, 0),
        _objective("hosting_burden", 0.3, "lower", 200, 1200),
        _objective("trade_income", 0.3, "higher", 500, 0),
    ],
    "origin": [
        _objective("legal_migrants", 0.4, "higher", 50000, 0),
        _objective("remittances", 0.3, "higher", 6000, 1000),
        _objective("forced_returns", 0.3, "lower", 5000, 60000),
    ],
    "organisation": [
        _objective("migrant_deaths", 0.6, "lower", 500, 10000),
        _objective("refugee_livelihood_mean", 0.4, "higher", 60, 0),
    ],
}

ENDOWMENTS: dict[str, dict[str, Any]] = {
    "destination": {
        "budget": 2000,
        "population": 80,
        "development": 40,
        "youth_share": 0.11,
        "return_backlog": 80000,
        "labour_shortage": 60000,
    },
    "transit": {
        "budget": 800,
        "population": 30,
        "development": 10,
        "refugees": 300000,
        "stranded": 40000,
        "trade_value": 500,
    },
    "origin": {
        "budget": 200,
        "population": 25,
        "development": 3,
        "youth_share": 0.33,
        "diaspora": 600000,
        "conflict": 0.1,
    },
    "organisation": {"budget": 50, "population": 0.01, "development": 30},
}

TOOLS = {
    "destination": ["visa_sanctions", "aid_cuts"],
    "transit": ["gate_opening"],
    "origin": ["readmission_refusal"],
    "organisation": [],
}


def _team(tid: str, kind: str, **extra: Any) -> dict[str, Any]:
    mandate = MANDATES[kind]
    return {
        "id": tid,
        "name": tid.replace("_", " ").title(),
        "type": kind,
        "endowment": ENDOWMENTS[kind],
        "mandate": {"objectives": mandate},
        "support": {
            "initial": 60,
            "threshold": 30,
            "responsiveness": 0.3,
            "after_fall": 50,
            "drivers": mandate,
        },
        "coercive_tools": TOOLS[kind],
        **extra,
    }


def _corridor(cid: str, origin: str, transit: str | None, destination: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": cid,
        "origin": origin,
        "transit": transit,
        "destination": destination,
        "base_pressure": 300000,
        "base_death_rate": 0.02,
        "recognition_rate": 0.35,
    }


def _scenario(
    sid: str, teams: list[dict[str, Any]], corridors: list[dict[str, Any]], **kw: Any
) -> Scenario:
    base = med_dict(calm=False)
    return Scenario.model_validate(
        {
            "id": sid,
            "name": sid,
            "description": "synthetic",
            "rounds": kw.pop("rounds", 4),
            "teams": teams,
            "corridors": corridors,
            "model": base["model"],
            "events": kw.pop("events", base["events"] | {"deck": []}),
            **kw,
        }
    )


def bilateral() -> Scenario:
    """Two teams, one direct corridor, no transit state."""
    return _scenario(
        "bilateral",
        [_team("alpina", "destination"), _team("bosna", "origin")],
        [_corridor("direct", "bosna", None, "alpina")],
    )


def full_table() -> Scenario:
    """Seven teams: two destinations, two transits, two origins and a monitoring organisation;
    five corridors, one of them direct."""
    drought = {
        "id": "drought",
        "title": "Drought",
        "news": "Harvests fail in Kora.",
        "effects": [{"target": "kora", "variable": "conflict", "change": 0.2}],
        "duration": 2,
    }
    panic = {
        "id": "panic",
        "title": "Panic",
        "news": "Headlines everywhere.",
        "effects": [{"target": "all", "variable": "support", "change": -3}],
    }
    return _scenario(
        "full_table",
        [
            _team("nordia", "destination"),
            _team("westmark", "destination"),
            _team("porto", "transit"),
            _team("steppe", "transit"),
            _team("kora", "origin"),
            _team("lumo", "origin"),
            _team("watch", "organisation", monitor=True),
        ],
        [
            _corridor("kora_nordia", "kora", "porto", "nordia"),
            _corridor("kora_westmark", "kora", "steppe", "westmark"),
            _corridor("lumo_nordia", "lumo", "steppe", "nordia"),
            _corridor("lumo_westmark", "lumo", "porto", "westmark"),
            _corridor("lumo_air", "lumo", None, "westmark"),
        ],
        events={"draws_per_round": 1, "deck": [drought, panic]},
        rounds=3,
    )
