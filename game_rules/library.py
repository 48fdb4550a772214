"""Scenario files on disk. Kept apart from the rules so the rules do no I/O."""

from __future__ import annotations

from pathlib import Path

from game_rules.scenario import Scenario, ScenarioError, parse_scenario_bytes

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by id (`mediterranean`) or a scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ScenarioError(str(name_or_path), [f"{name_or_path}: no such scenario file"])
    return parse_scenario_bytes(path.read_bytes(), str(path))


def shipped_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
