"""The server's configuration, from environment variables with safe defaults.

`DATABASE_URL` has no prefix because every hosting platform spells it that way; the rest
are `COMPACT_*`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


def default_database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    return f"sqlite:///{data_dir / 'compact.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPACT_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "COMPACT_DATABASE_URL"),
        description="sqlite:///path/to/file.db or postgresql+psycopg://user@host/db",
    )
    max_request_bytes: int = Field(default=64 * 1024, description="largest HTTP body accepted")
    ws_max_message_bytes: int = Field(
        default=16 * 1024, description="largest websocket message accepted from a client"
    )
    ws_queue_size: int = Field(
        default=8, description="views waiting for one slow connection before it is resynced"
    )
    ws_send_timeout: float = Field(
        default=15.0, description="seconds one send may take before the connection is dropped"
    )
    ws_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="seconds between the live pages' heartbeats (websocket ping, SSE ping); a "
        "page that hears nothing for 2.5 heartbeats takes its connection for dead and "
        "reconnects, a server that hears nothing from a websocket for 3 closes it",
    )
    chat_max_chars: int = Field(default=500, ge=1, le=4000)
    chat_per_minute: float = Field(
        default=30, gt=0, description="chat messages one seat may send per minute on average"
    )
    chat_burst: int = Field(default=20, ge=1, description="chat messages one seat may send at once")
    actions_per_minute: float = Field(
        default=120, gt=0, description="game actions one seat may take per minute on average"
    )
    actions_burst: int = Field(
        default=20, ge=1, description="game actions one seat may take at once"
    )
    chat_history: int = Field(default=200, description="messages kept in views")
    join_failures_per_minute: int = Field(
        default=10, ge=1, description="wrong join codes one browser may try per minute"
    )
    join_failures_per_address_per_minute: int = Field(
        default=100,
        ge=1,
        description="wrong join codes from one client address per minute before only "
        "browsers the server already knows may still try theirs",
    )
    games_per_hour: int = Field(
        default=30, ge=1, description="new games one client address may create per hour"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses of reverse proxies whose X-Forwarded-For is believed "
        '(JSON list, e.g. ["127.0.0.1"]); limits then count the forwarded client address',
    )
    token_ttl_hours: float = Field(default=72.0, description="lifetime of every token")
    snapshot_every: int = Field(default=50, ge=1, description="actions between snapshots")
    max_players_per_game: int = Field(default=200, ge=1)
    max_games_loaded: int = Field(
        default=500,
        ge=1,
        description="games held in memory; beyond it idle ones (no sockets, no timer running, "
        "no bots) are unloaded, and loaded again (snapshot + log) when someone asks",
    )
    idle_seconds: float = Field(
        default=60.0, ge=0, description="least time unused before an idle game may be unloaded"
    )
    lease_tick: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="PostgreSQL: seconds between two tries to take over the timers and bots "
        "of games no instance drives (a crashed instance's)",
    )
    cookie_secure: bool = Field(default=False, description="send cookies over HTTPS only")
    bot_pace_seconds: float = Field(
        default=8.0, ge=0, le=600, description="least time between two moves of a bot"
    )
    debrief_analysis: bool = Field(
        default=True,
        description="after the end, work out what was left on the table (the deal frontier "
        "of every set of partners: a few CPU-seconds a game)",
    )
    analysis_workers: int = Field(
        default=2,
        ge=0,
        le=64,
        description="processes that value the frontier's deals (0: a thread of the server)",
    )
    public_url: str = Field(default="", description="base URL used in join links")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="other origins whose pages may post with this server's cookies and open "
        'its websockets (JSON list, e.g. ["https://compact.example.org"]); the server\'s own '
        "Host and public_url always may",
    )
