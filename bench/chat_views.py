"""What a chat line costs the JSON screens of a game as its chat grows. Prints figures,
asserts nothing.

One process, no sockets: a Mediterranean room whose chat already holds --lines plenary
lines; then --messages more lines, one at a time, each followed by what a commit does for
the five audiences (facilitator, projector, three teams): build the audience's document,
encode it as JSON (`render_json`) and make the changes frame a connection with
`?changes=1` is sent (`JsonFrames.diff`). The chat window a view shows is `chat_history`
(200) lines, so past 200 lines the cost should stop growing.

An A/B against another checkout, in the same shell and minutes:
    PYTHONPATH=DIR .venv/bin/python bench/chat_views.py     # DIR: git archive REV | tar -x -C DIR
    .venv/bin/python bench/chat_views.py

Run: .venv/bin/python bench/chat_views.py [--lines 0,200,800] [--messages 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

# bench/server.py would shadow the server package: this folder leaves the path, and the
# project's root takes its place unless PYTHONPATH names another checkout to measure.
sys.path.pop(0)
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

new_game = importlib.import_module("game_rules").new_game
load_scenario = importlib.import_module("game_rules.library").load_scenario
room_module = importlib.import_module("server.room")
live = importlib.import_module("server.live")
models = importlib.import_module("server.models")
replay = importlib.import_module("server.replay")

AUDIENCES = ["facilitator", "projector", "team:union", "team:sahelia", "team:coastland"]


def line(seq: int) -> object:
    text = f"line {seq}: readmission at 75 % against 20,000 work permits?"
    return room_module.ChatLine(seq, "plenary", "union", None, "Ana", text, float(seq))


def room_with(lines: int) -> object:
    game = models.Game(id="g1", join_code="ABC123", scenario_id="mediterranean",
                       facilitator_token_hash="f", projector_token_hash="p",
                       tokens_expire_at=0.0)  # fmt: skip
    room = replay.bare_room(game, new_game(load_scenario("mediterranean"), 1), chat_history=200)
    for seq in range(1, lines + 1):
        room.chat.append(line(seq))
    room.seq = lines
    return room


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="0,200,800", help="chat lines before, comma-separated")
    parser.add_argument("--messages", type=int, default=200, help="lines added a round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"server package: {Path(room_module.__file__).resolve().parent}")
    for lines in (int(x) for x in args.lines.split(",")):
        room = room_with(lines)
        frames = {k: live.JsonFrames() for k in AUDIENCES}
        for k in AUDIENCES:
            frames[k].diff(live.render_json(room.document(k), k, {}))
        seq, per_message = lines, []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(args.messages):
                seq += 1
                room.chat.append(line(seq))
                room.seq = seq
                for k in AUDIENCES:
                    frames[k].diff(live.render_json(room.document(k), k, {}))
            per_message.append((time.perf_counter() - start) / args.messages * 1e6)
        print(
            f"chat of {lines:4d} lines (+{args.messages} a round): median "
            f"{statistics.median(per_message):7.1f} us a line for 5 audiences "
            f"(min {min(per_message):.1f}, max {max(per_message):.1f}, {args.rounds} rounds)"
        )


if __name__ == "__main__":
    main()
