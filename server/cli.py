"""The `compact` program: the rules' commands (`play`, `balance`, `scenario …`, from
`game_rules.cli`) and the server's own (`serve`, `db upgrade`).

The entry point lives here, a layer above the rules, so that the rules package never
imports the server (ARCHITECTURE: imports run one way). `python -m server.cli …` runs the
same program.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer

from game_rules.cli import app as rules_app
from server.db import current_revision, is_sqlite, make_engine, upgrade
from server.settings import Settings

app = typer.Typer(
    help="Compact: a negotiation game on migration partnerships.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(rules_app)  # no name: the rules' commands sit at the top level
db_app = typer.Typer(help="The game database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def db_upgrade() -> None:
    """Apply every database migration to DATABASE_URL (default: the SQLite file)."""
    url = Settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        typer.echo(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()


def serve(host: str = "127.0.0.1", port: int = 8000, reload: bool = False) -> None:
    """Run the server. On SQLite, migrations are applied first; PostgreSQL deployments run
    `compact db upgrade` as a separate, deliberate step."""
    import uvicorn

    settings = Settings()
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    # Measured (bench/server.py, docs/operations.md): full collections of the default
    # thresholds paused every game at once for 200-300 ms under load. Objects alive now
    # (modules, scenarios) never need collecting; the young generation may grow larger.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    uvicorn.run(
        "server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        # the web's templates are read once (web/render.py): an edit restarts the server
        reload_includes=["*.html", "*.po"] if reload else None,
        # Measured: deflate more than doubles the per-socket cost of a push (ARCHITECTURE).
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_message_bytes,
        proxy_headers=False,
        log_level="info",
    )


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    reload: Annotated[bool, typer.Option(help="restart on code changes (development)")] = False,
) -> None:
    """Run the game server (on SQLite it applies the migrations first; on PostgreSQL run
    `compact db upgrade`)."""
    serve(host=host, port=port, reload=reload)


@db_app.command("upgrade")
def db_upgrade_command() -> None:
    """Apply database migrations to DATABASE_URL (default: the SQLite file)."""
    db_upgrade()


@db_app.command("import")
def db_import_command(
    path: Annotated[Path, typer.Argument(help="a facilitator's export/log.json")],
) -> None:
    """Import a facilitator's log export into DATABASE_URL as a new game (same state
    digest), and print its id, join code and new tokens."""
    import json

    from server.db import check_migrated
    from server.export import ImportRefused, import_game

    settings = Settings()
    engine = make_engine(settings.database_url)
    try:
        check_migrated(engine)
        made = import_game(engine, json.loads(path.read_text(encoding="utf-8")))
    except ImportRefused as exc:
        typer.echo(f"not imported: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    for key, value in made.items():
        typer.echo(f"{key}: {value}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
