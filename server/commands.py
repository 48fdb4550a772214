"""The server's commands: everything a facilitator, a participant, a bot or the timer can
do to a game, as plain functions the routes (HTTP, pages, websocket) and the bots call.

A command authorises its caller, then commits a *check* through `GameHall.commit`: a
function of the room that says which log entry the command makes (or refuses it with a
4xx) and changes nothing; folding that entry (`server.room.fold`) is what changes the game.
The rules engine's own actions need no check of the server's: `rules.perform` verifies
them as they are folded.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from game_rules import load_scenario, shipped_scenarios
from game_rules.actions import FACILITATOR_ACTIONS, Action, Actor
from game_rules.bots import STRATEGIES
from game_rules.scenario import YAML_LOADER, Scenario, ScenarioError, parse_scenario_text
from game_rules.state import Phase
from server.errors import ApiError, forbidden, not_found
from server.limits import JoinLimiter
from server.room import (
    BOT_PREFIX,
    BotSeat,
    Check,
    GameRoom,
    LogEntry,
    Outcome,
    Principal,
    Seat,
    new_token,
    token_hash,
)
from server.rooms import GameHall, engine_check
from server.security import check_name_free, display_name

# --- who may -----------------------------------------------------------------------------


def require_facilitator(who: Principal) -> None:
    if who.role != "facilitator":
        raise forbidden("only the facilitator can do that")


def require_seat(who: Principal) -> Seat:
    if who.role != "player" or who.seat is None:
        raise forbidden("only a participant with a seat can do that")
    return who.seat


def clean_text(text: str, limit: int) -> str:
    """A chat message or a name as stored: newlines and tabs kept, other control
    characters dropped; refused when empty or longer than `limit`."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\n\t").strip()
    if not cleaned:
        raise ApiError(422, "invalid", "the message is empty")
    if len(cleaned) > limit:
        raise ApiError(422, "too_long", f"a message has at most {limit} characters")
    return cleaned


def _team_of_game(room: GameRoom, team: str | None) -> None:
    if team is not None and team not in room.state.teams:
        raise ApiError(404, "not_found", f"there is no team {team!r} in this game")


# --- games ---------------------------------------------------------------------------------


@dataclass
class NewGame:
    room: GameRoom
    facilitator_token: str
    projector_token: str


def uploaded_scenario(text: str, source: str = "uploaded scenario") -> Scenario:
    """A facilitator's own scenario file, refused with the CLI's messages when invalid."""
    try:
        # Aliases let a few lines of YAML stand for a huge tree: not from strangers.
        if any(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text, Loader=YAML_LOADER)):
            raise ApiError(
                422,
                "invalid_scenario",
                f"{source}: YAML aliases (*name) are not accepted in uploads; write the values out",
            )
    except yaml.YAMLError:
        pass  # parse_scenario_text reports where the YAML is broken
    try:
        scenario = parse_scenario_text(text, source)
    except RecursionError:
        # The YAML parser recurses once per level of nesting: `[[[[…` has no end.
        raise ApiError(
            422, "invalid_scenario", f"{source}: the YAML is nested too deeply to read"
        ) from None
    except ScenarioError as exc:
        raise ApiError(
            422,
            "invalid_scenario",
            f"{source}: {len(exc.problems)} problem(s): " + "; ".join(exc.problems),
            problems=exc.problems,
        ) from None
    bad = [t.colour for t in scenario.teams if t.colour and not HEX_COLOUR.fullmatch(t.colour)]
    if bad:
        # A colour goes into a style attribute: `url(http://…)` would fetch from outside.
        raise ApiError(
            422,
            "invalid_scenario",
            f"{source}: a team's colour is a hex colour like #1f77b4, not {bad[0]!r}",
        )
    return scenario


HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def game_scenario(
    scenario: str = "mediterranean",
    scenario_file: str | None = None,
    teams: list[str] | None = None,
    rounds: int | None = None,
) -> Scenario:
    """The scenario a new game plays: shipped or uploaded, cut to `teams` and `rounds`."""
    if scenario_file is None and scenario not in shipped_scenarios():
        raise ApiError(
            404, "not_found", f"no scenario {scenario!r} ({', '.join(shipped_scenarios())})"
        )
    try:
        chosen = uploaded_scenario(scenario_file) if scenario_file else load_scenario(scenario)
        if teams is not None:
            chosen = chosen.restricted_to(list(dict.fromkeys(teams)))
        if rounds is not None:
            chosen = chosen.model_copy(update={"rounds": rounds})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(
            422, "invalid_teams", f"the scenario cannot be played with these teams: {problems}"
        ) from None
    except (ScenarioError, ValueError) as exc:
        raise ApiError(422, "invalid_teams", str(exc)) from None
    return chosen


async def create_game(
    hall: GameHall,
    *,
    scenario: str = "mediterranean",
    scenario_file: str | None = None,
    teams: list[str] | None = None,
    rounds: int | None = None,
    seed: int | None = None,
    title: str = "",
    timers: dict[str, float] | None = None,
) -> NewGame:
    """A new game in the lobby; its facilitator's and projector's tokens."""
    chosen = game_scenario(scenario, scenario_file, teams, rounds)
    room, fac, proj = await hall.create(
        chosen,
        seed=seed if seed is not None else secrets.randbelow(2**31),
        title=title or chosen.name,
        timers={k: v for k, v in (timers or {}).items() if v},
    )
    return NewGame(room, fac, proj)


async def find_game(
    hall: GameHall, limiter: JoinLimiter, address: str, browser: str, code: str
) -> GameRoom:
    """The game of a join code. Wrong codes are limited per browser and per address; a
    browser the server knows has its code looked up before the address's limit decides,
    so others' wrong codes at the same address never lock it out (`JoinLimiter`)."""
    limiter.register(browser, address)
    wait = limiter.before_lookup(browser, address)
    if wait:
        exc = ApiError(429, "too_many_attempts", f"too many wrong codes: wait {wait:.0f} s")
        exc.retry_after = wait
        raise exc
    room = await hall.find_by_code(code)
    if room is None:
        limiter.wrong(browser, address)
        raise not_found("game with that code")
    return room


# --- seats ---------------------------------------------------------------------------------


@dataclass
class Joined:
    seat: Seat
    token: str
    rejoined: bool = False

    @property
    def waiting(self) -> bool:
        """Joined after the start: the seat waits for the facilitator to place it."""
        return not self.rejoined and self.seat.team is None


async def join(
    hall: GameHall, room: GameRoom, *, name: str, team: str | None = None, token: str | None = None
) -> Joined:
    """Take a seat; with the `token` of a seat this browser already has here, get it back.
    After the start a newcomer waits without a team until the facilitator places it:
    otherwise anyone with the code could open a second seat on another team."""
    if token:
        seat = room.by_token.get(token_hash(token))
        if seat is not None and seat.removed:
            # The removed seat's cookie is kept (not cleared) so that this browser is
            # recognised: it does not come back by joining again.
            raise forbidden("the facilitator removed you from this game")
        if seat is not None:
            return Joined(seat, token, rejoined=True)
    name = display_name(name)
    token = new_token()
    player_id = secrets.token_hex(8)
    most = hall.settings.max_players_per_game

    def check(room: GameRoom, now: float) -> LogEntry:
        if room.state.phase is Phase.ended:
            raise ApiError(409, "ended", "this game has ended")
        _team_of_game(room, team)
        if len(room.active_seats()) >= most:
            raise ApiError(409, "full", "this game is full")
        check_name_free(room, name)
        seated = team if _chooses_own_team(room) else None
        payload = {"name": name, "team": seated, "token_hash": token_hash(token)}
        return LogEntry("join", "player", payload, seated, player_id)

    await hall.commit(room.id, check, seen_seq=None)
    # the room may have left memory and come back while we waited: read the seat from the
    # one the entry went into
    room = await hall.room(room.id)
    return Joined(room.seats[player_id], token)


async def change_team(
    hall: GameHall, room: GameRoom, by: Principal, player_id: str, team: str | None
) -> Outcome:
    """Put a seat in `team` (None: no team). A participant chooses for their own seat in
    the lobby only; the facilitator moves anyone at any time."""
    if by.role != "facilitator" and (by.seat is None or by.seat.id != player_id):
        raise forbidden("only the facilitator can move another participant")

    def check(room: GameRoom, now: float) -> LogEntry:
        seat = room.seats.get(player_id)
        if seat is None or seat.removed:
            raise not_found(f"player {player_id}")
        _team_of_game(room, team)
        if by.role == "player" and room.state.phase is not Phase.lobby:
            raise ApiError(
                409,
                "teams_fixed",
                "teams are fixed once the game has started: the facilitator places you",
            )
        if by.role == "player" and not _chooses_own_team(room):
            raise ApiError(
                409,
                "admission_approval",
                "in this game the facilitator places every new participant: wait a moment",
            )
        return LogEntry(
            "team_change",
            by.role,
            {"player_id": seat.id, "from": seat.team, "to": team},
            by.seat.team if by.seat else None,
            by.seat.id if by.seat else None,
        )

    outcome = await hall.commit(room.id, check, seen_seq=None)
    room = await hall.room(room.id)  # the one the entry went into (see join)
    await follow_seat(hall, room, room.seats[player_id])
    return outcome


def _chooses_own_team(room: GameRoom) -> bool:
    """In the lobby, unless the facilitator lets nobody in without placing them."""
    return room.state.phase is Phase.lobby and room.admission == "open"


def waiting_seats(room: GameRoom) -> list[Seat]:
    """Seats without a team that wait for the facilitator to place them: after the start,
    or in the lobby once the facilitator places every newcomer."""
    if _chooses_own_team(room):
        return []
    return [s for s in room.active_seats() if s.team is None]


def lightest_team(room: GameRoom) -> str:
    """The team with the fewest people (teams a bot plays come last), in scenario order."""
    counts = {t: 0 for t in room.state.teams}
    for s in room.active_seats():
        if s.team in counts:
            counts[s.team] += 1
    return min(counts, key=lambda t: (t in room.bots, counts[t]))


async def place_waiting(hall: GameHall, room: GameRoom, by: Principal) -> list[Seat]:
    """Give every waiting seat a team, one at a time to the team with the fewest people."""
    require_facilitator(by)
    placed = []
    for seat in waiting_seats(room):
        if seat.team is not None or seat.removed:
            continue  # placed by hand in the meantime
        await change_team(hall, room, by, seat.id, lightest_team(room))
        placed.append(seat)
    return placed


async def remove_player(hall: GameHall, room: GameRoom, by: Principal, player_id: str) -> Outcome:
    """Remove a seat: its token stops working and its tabs are disconnected."""
    require_facilitator(by)

    def check(room: GameRoom, now: float) -> LogEntry:
        seat = room.seats.get(player_id)
        if seat is None or seat.removed:
            raise not_found(f"player {player_id}")
        return LogEntry("player_removed", "facilitator", {"player_id": seat.id})

    outcome = await hall.commit(room.id, check, seen_seq=None)
    room = await hall.room(room.id)  # the one the entry went into (see join)
    await follow_seat(hall, room, room.seats[player_id])
    return outcome


async def set_admission(hall: GameHall, room: GameRoom, by: Principal, mode: str) -> Outcome:
    """ "approval": every new seat waits for the facilitator (a removal sets it, so the
    removed cannot walk back in from another window); "open": newcomers choose their team
    in the lobby again."""
    require_facilitator(by)
    if mode not in ("open", "approval"):
        raise ApiError(422, "invalid", "admission is 'open' or 'approval'")

    def check(room: GameRoom, now: float) -> LogEntry:
        if room.state.phase is Phase.ended:
            raise ApiError(409, "ended", "this game has ended")
        return LogEntry("admission", "facilitator", {"mode": mode})

    return await hall.commit(room.id, check, seen_seq=None)


async def follow_seat(hall: GameHall, room: GameRoom, seat: Seat) -> None:
    """Connections of a seat that changed team (or left) follow it."""
    for conn in list(hall.hub.connections(room.id)):
        if conn.player_id != seat.id:
            continue
        if seat.removed:
            await conn.socket.close(4403, "removed from the game")
            continue
        if conn.audience_key != seat.audience_key:
            hall.hub.remove(conn)
            conn.audience_key = seat.audience_key
            await hall.attach(room, conn)


# --- the rules engine's actions --------------------------------------------------------------


ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)


def strict_action(raw: str | bytes) -> Action:
    """An action from JSON, with strict types: `"ready": "yes"` or `"expected_version":
    "1"` is refused, not guessed at (a client that sends them has a bug to see)."""
    try:
        return ACTIONS.validate_json(raw, strict=True)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'action'}: {e['msg']}" for e in exc.errors()
        ]
        raise ApiError(422, "invalid", "; ".join(problems), problems=problems) from None


def refuse_non_finite(node: Any, where: str = "action") -> None:
    """NaN and infinities are no amount: a state holding one can never be saved as JSON
    and loaded again."""
    if isinstance(node, float) and not math.isfinite(node):
        raise ApiError(422, "invalid", f"{where}: {node} is not a number this game can use")
    if isinstance(node, dict):
        for k, v in node.items():
            refuse_non_finite(v, f"{where}.{k}")
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            refuse_non_finite(v, f"{where}.{i}")


def slow_down(hall: GameHall, seat_id: str, kind: str) -> None:
    wait = hall.seat_limits.take(seat_id, kind)
    if wait:
        what = "messages" if kind == "chat" else "actions"
        exc = ApiError(
            429, f"too_many_{what}", f"too many {what} in a short time: wait {wait:.0f} s"
        )
        exc.retry_after = wait
        raise exc


class Repeated(Exception):
    """This sender's entry with this client id is already in the log (at `seq`)."""

    def __init__(self, seq: int) -> None:
        self.seq = seq


def once(check: Check, sender: str, client_id: str | None) -> Check:
    """`check`, refused as Repeated when the sender already did `client_id`. Checked under
    the game's lock, so a retry racing its original is still done once."""
    if client_id is None:
        return check

    def checked(room: GameRoom, now: float) -> LogEntry:
        seq = room.done_by(sender, client_id)
        if seq is not None:
            raise Repeated(seq)
        entry = check(room, now)
        entry.client_id = client_id
        return entry

    return checked


async def _commit_once(
    hall: GameHall, room: GameRoom, check: Check, sender: str, client_id: str | None, **kw: Any
) -> Outcome:
    try:
        return await hall.commit(room.id, once(check, sender, client_id), **kw)
    except Repeated as done:
        # Not an error: the sender's first try landed (its answer was lost). Nothing new.
        return Outcome(done.seq, LogEntry("repeat", "player", {"client_id": client_id}))


async def act(
    hall: GameHall, room: GameRoom, who: Principal, action: Action, client_id: str | None = None
) -> Outcome:
    """Any action of the rules engine, for the caller's team (or as the facilitator).
    With a `client_id`, a retry of an action already taken does nothing again."""
    if action.kind in FACILITATOR_ACTIONS and who.role != "facilitator":
        raise forbidden("only the facilitator can do that")
    refuse_non_finite(action.model_dump(mode="python"))
    if who.seat is not None and (client_id is None or room.done_by(who.seat.id, client_id) is None):
        slow_down(hall, who.seat.id, "action")
    check = engine_check(who.actor(), action, who.seat.id if who.seat else None)
    sender = who.seat.id if who.seat else who.role
    return await _commit_once(hall, room, check, sender, client_id, seen_seq=room.seq)


def bot_check(seat: BotSeat, action: Action) -> Check:
    """A bot's move, refused if the bot lost its team while it was deciding."""
    move = engine_check(Actor.of_team(seat.team), action, f"{BOT_PREFIX}{seat.strategy}")

    def check(room: GameRoom, now: float) -> LogEntry:
        still_seated(room, seat)
        return move(room, now)

    return check


def still_seated(room: GameRoom, seat: BotSeat) -> None:
    """A bot decides outside the game's lock: the facilitator may have taken its team back
    (or given it another strategy) before its move reaches the log."""
    if room.bots.get(seat.team) is not seat:
        raise ApiError(409, "conflict", f"the bot no longer plays {seat.team}")


# --- chat and announcements ----------------------------------------------------------------


def chat_check(
    channel: str,
    text: str,
    to_team: str | None = None,
    *,
    seat: Seat | None = None,
    bot: BotSeat | None = None,
) -> Check:
    """A message of a seated participant (`seat`) or of a bot (`bot`), in the plenary, to
    the speaker's own team, or to one other team (bilateral)."""

    def check(room: GameRoom, now: float) -> LogEntry:
        team: str | None
        if bot is not None:
            still_seated(room, bot)
            team, role, speaker = bot.team, "bot", f"{BOT_PREFIX}{bot.strategy}"
        else:
            assert seat is not None
            team, role, speaker = seat.team, "player", seat.id
        if channel != "plenary" and team is None:
            raise forbidden("choose a team first")
        other = None
        if channel == "bilateral":
            if to_team is None or to_team not in room.state.teams:
                raise ApiError(404, "not_found", "name another team of this game in to_team")
            if to_team == team:
                raise ApiError(422, "invalid", "use the team channel to talk to your own team")
            other = to_team
        payload = {"channel": channel, "to_team": other, "text": text}
        return LogEntry("chat", role, payload, team, speaker)

    return check


async def chat(
    hall: GameHall,
    room: GameRoom,
    who: Principal,
    *,
    channel: str,
    text: str,
    to_team: str | None = None,
    client_id: str | None = None,
) -> Outcome:
    """Say something in the plenary, to your own team, or to one other team. With a
    `client_id`, a retry of a message already said is not said again."""
    seat = require_seat(who)
    if channel not in ("plenary", "team", "bilateral"):
        raise ApiError(422, "invalid", f"no channel {channel!r}")
    text = clean_text(text, hall.settings.chat_max_chars)
    if client_id is None or room.done_by(seat.id, client_id) is None:
        slow_down(hall, seat.id, "chat")
    check = chat_check(channel, text, to_team, seat=seat)
    return await _commit_once(hall, room, check, seat.id, client_id, seen_seq=None)


async def announce(
    hall: GameHall,
    room: GameRoom,
    who: Principal,
    text: str,
    record: dict[str, Any] | None = None,
) -> Outcome:
    """A message from the facilitator to every screen. The server's own announcements
    carry a `record` (data the web layer says in each reader's language) beside `text`,
    their English for API clients."""
    require_facilitator(who)
    text = clean_text(text, hall.settings.chat_max_chars)
    payload: dict[str, Any] = {"text": text} if record is None else {"text": text, "record": record}

    def check(room: GameRoom, now: float) -> LogEntry:
        return LogEntry("announcement", "facilitator", payload)

    return await hall.commit(room.id, check, seen_seq=None)


# --- the phase timer -----------------------------------------------------------------------


async def change_timer(hall: GameHall, room: GameRoom, who: Principal, add_seconds: int) -> Outcome:
    """Extend (positive) or shorten (negative) the current phase's timer; with no timer
    running, a positive change starts one. Shortening to zero ends the phase now."""
    require_facilitator(who)

    def check(room: GameRoom, now: float) -> LogEntry:
        state = room.state
        if state.phase is Phase.lobby or state.phase is Phase.ended:
            raise ApiError(409, "wrong_phase", "there is no phase timer before start or after end")
        deadline, paused_remaining = room.deadline, room.paused_remaining
        if deadline is not None:
            deadline = max(now, deadline + add_seconds)
        elif paused_remaining is not None:
            paused_remaining = max(0.0, paused_remaining + add_seconds)
        elif add_seconds > 0:
            if state.paused:
                paused_remaining = float(add_seconds)
            else:
                deadline = now + add_seconds
        else:
            raise ApiError(409, "no_timer", "no timer is running to shorten")
        payload = {
            "add_seconds": add_seconds,
            "deadline": deadline,
            "paused_remaining": paused_remaining,
        }
        return LogEntry("timer", "facilitator", payload)

    return await hall.commit(room.id, check, seen_seq=None)


# --- bots ----------------------------------------------------------------------------------


def _bot_entry(kind: str, payload: dict[str, Any]) -> LogEntry:
    return LogEntry(kind, "facilitator", payload)


async def seat_bot(
    hall: GameHall, room: GameRoom, who: Principal, team: str, strategy: str
) -> Outcome:
    """Give `team` to a bot playing `strategy` (also to change a bot's strategy)."""
    require_facilitator(who)
    if team not in room.state.teams:
        raise ApiError(404, "not_found", f"no team {team!r} in this game")
    if strategy not in STRATEGIES:
        raise ApiError(
            422,
            "invalid",
            f"unknown strategy {strategy!r}; choose from {', '.join(sorted(STRATEGIES))}",
        )

    def check(room: GameRoom, now: float) -> LogEntry:
        if room.state.phase is Phase.ended:
            raise ApiError(409, "wrong_phase", "the game has ended")
        return _bot_entry("bot_seat", {"team": team, "strategy": strategy})

    return await hall.commit(room.id, check, seen_seq=None)


async def unseat_bot(hall: GameHall, room: GameRoom, who: Principal, team: str) -> Outcome:
    """Take `team` back from its bot: people play it from the next move on."""
    require_facilitator(who)

    def check(room: GameRoom, now: float) -> LogEntry:
        if team not in room.bots:
            raise ApiError(404, "not_found", f"no bot plays {team!r}")
        return _bot_entry("bot_seat", {"team": team, "strategy": None})

    return await hall.commit(room.id, check, seen_seq=None)


async def set_bot_pace(hall: GameHall, room: GameRoom, who: Principal, seconds: float) -> Outcome:
    """How human the bots' pace is: the least time between two moves of one bot."""
    require_facilitator(who)

    def check(room: GameRoom, now: float) -> LogEntry:
        return _bot_entry("bot_pace", {"seconds": seconds})

    return await hall.commit(room.id, check, seen_seq=None)
