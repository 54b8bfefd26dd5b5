"""The ``servicielle`` command: serve, migrate, demo, createuser, check, budgets."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from servicielle import __version__
from servicielle.config import DEV_SECRET_KEY, Settings, get_settings
from servicielle.core.db import create_db_engine
from servicielle.core.errors import ServicielleError
from servicielle.core.modules import get_registry
from servicielle.core.session import session_scope


def _settings() -> Settings:
    settings = get_settings()
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return settings


def _factory(settings: Settings) -> sessionmaker[Any]:
    registry = get_registry()
    registry.import_models()
    from servicielle.core.audit import listener

    listener.install()
    return sessionmaker(create_db_engine(settings.database_url), expire_on_commit=False)


def _log_to_stderr() -> None:
    """Background commands report progress through logging: show it."""
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group()
@click.version_option(__version__, prog_name="servicielle")
def main() -> None:
    """Servicielle: données du territoire, open data et services co-produits."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    _settings()
    click.echo(f"Servicielle {__version__} sur http://{host}:{port}")
    uvicorn.run(
        "servicielle.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_level="info",
    )


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest revision."""
    from servicielle.core.migrations import upgrade

    settings = _settings()
    click.echo(f"Migration de {_safe_url(settings.database_url)}…")
    upgrade(settings.database_url)
    click.echo("Schéma à jour.")
    registry = get_registry()
    if any(m.name == "catalog" for m in registry.manifests):
        from servicielle.catalog.published import sync_published

        with session_scope(_factory(settings), via="migrate") as session:
            count = sync_published(session, registry)
        click.echo(f"{count} jeux de données publiés par les modules.")


@main.command()
@click.option("--reset", is_flag=True, help="Delete the demo data first, then load it again.")
def demo(reset: bool) -> None:
    """Load the demo territory, organisations, accounts and module data."""
    from servicielle.core.territory.models import Commune

    settings = _settings()
    factory = _factory(settings)
    registry = get_registry()
    seeds = [(m.name, m.demo) for m in registry.manifests if m.demo is not None]
    with session_scope(factory, via="demo") as session:
        loaded = session.scalar(select(func.count()).select_from(Commune)) or 0
        if loaded and not reset:
            click.echo(
                "Les données de démonstration sont déjà chargées "
                "(utilisez --reset pour les recharger)."
            )
            return
        if reset:
            with click.progressbar(list(reversed(seeds)), label="Suppression") as bar:
                for _name, seed in bar:
                    seed.clear(session)
            session.flush()
        for name, seed in seeds:
            click.echo(f"  [{name}] {seed.load(session)}")
    click.echo("Démonstration chargée.")


@main.command()
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Nom affiché")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option(
    "--organisation", "organisation_slug", default=None, help="Slug of an organisation to join."
)
def createuser(
    email: str, display_name: str, password: str, admin: bool, organisation_slug: str | None
) -> None:
    """Create a confirmed account (an administrator with --admin)."""
    from servicielle.core.accounts.service import add_membership, create_user
    from servicielle.core.territory.repository import OrganisationRepository

    factory = _factory(_settings())
    try:
        with session_scope(factory) as session:
            user = create_user(
                session,
                email=email,
                password=password,
                display_name=display_name,
                is_admin=admin,
                confirmed=True,
            )
            if organisation_slug:
                organisation = OrganisationRepository(session).by_slug(organisation_slug)
                if organisation is None:
                    raise click.BadParameter(f"aucune organisation « {organisation_slug} »")
                add_membership(session, user=user, organisation_id=organisation.id)
    except ServicielleError as exc:
        for error in exc.errors or [{"field": "", "message": exc.detail}]:
            click.echo(f"Erreur {error['field']}: {error['message']}", err=True)
        sys.exit(1)
    click.echo(f"Compte créé : {user.email}{' (administrateur)' if admin else ''}")


@main.group()
def ingest() -> None:
    """Feed the real-time hub from outside sources."""


@ingest.command("mqtt")
@click.option("--broker", default="mqtt://127.0.0.1:1883", show_default=True)
@click.option("--topic", default="servicielle/observations", show_default=True)
@click.option("--client-id", default=None, help="Persistent session id (default: derived).")
@click.option(
    "--share",
    default=None,
    help="Shared subscription group: several workers split the messages ($share/<group>/...).",
)
def ingest_mqtt(broker: str, topic: str, client_id: str | None, share: str | None) -> None:
    """Subscribe (QoS 1, persistent session) and store every observation received."""
    from servicielle.sensors.mqtt import run_mqtt_ingest

    settings = _settings()
    run_mqtt_ingest(
        _factory(settings), broker=broker, topic=topic, client_id=client_id, share=share
    )


@main.command()
@click.option("--once", is_flag=True, help="Do what is due, then stop.")
def worker(once: bool) -> None:
    """Deliver subscription notifications, apply retention: the background work."""
    from servicielle.sensors.worker import run_worker

    _log_to_stderr()
    settings = _settings()
    run_worker(_factory(settings), settings, once=once)


@main.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--history-days", default=7, show_default=True, type=click.IntRange(0, 60))
@click.option("--interval", default=60.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Send the history and one round, then stop.")
def simulate(url: str, history_days: int, interval: float, once: bool) -> None:
    """Feed the demo territory's sensors through the public ingest path."""
    from servicielle.sensors.simulator import run_simulator

    settings = _settings()
    run_simulator(
        _factory(settings), url=url, history_days=history_days, interval=interval, once=once
    )


@main.command()
def check() -> None:
    """Print the configuration, database reachability and migration state; fail if not ready."""
    from servicielle.core.health import migration_state

    settings = _settings()
    problems: list[str] = []
    click.echo(f"Servicielle {__version__}")
    click.echo(f"  base de données : {_safe_url(settings.database_url)}")
    click.echo(f"  URL publique    : {settings.base_url}")
    mail = (
        f"SMTP {settings.smtp_host}" if settings.smtp_configured else "boîte d’envoi (pas de SMTP)"
    )
    click.echo(f"  courriel        : {mail}")
    click.echo(f"  fond de carte   : {settings.map_tile_url or 'aucun (hors ligne)'}")
    modules = ", ".join(m.name for m in get_registry().manifests)
    click.echo(f"  modules         : {modules}")
    engine = create_db_engine(settings.database_url)
    state = migration_state(engine)
    engine.dispose()
    if state["database"] != "ok":
        problems.append(f"base injoignable : {state.get('error')}")
        click.echo("  connexion       : ÉCHEC")
    else:
        click.echo("  connexion       : ok")
        current = ", ".join(state["current"]) or "aucune (base vide)"
        click.echo(f"  migration       : {current} (dernière : {', '.join(state['head'])})")
        if not state["at_head"]:
            problems.append("le schéma n’est pas à jour : lancez « servicielle migrate »")
    if settings.secret_key.get_secret_value() == DEV_SECRET_KEY:
        click.echo("  avertissement   : SERVICIELLE_SECRET_KEY garde sa valeur de développement")
    for problem in problems:
        click.echo(f"PROBLÈME : {problem}", err=True)
    sys.exit(1 if problems else 0)


@main.group()
def budgets() -> None:
    """Participatory budgets: tallies of Pabulib (.pb) files."""


@budgets.command("tally")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--rule", required=True, type=click.Choice(["greedy", "mes", "mes-add1"]), help="Tally rule."
)
@click.option(
    "--complete",
    type=click.Choice(["greedy"]),
    default=None,
    help="Spend what the rule left, most votes first.",
)
@click.option(
    "--threshold",
    type=click.Choice(["swiecie"]),
    default=None,
    help="Leave out projects whose share of voters is below cost / (3 × budget).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def budgets_tally(
    file: str, rule: str, complete: str | None, threshold: str | None, as_json: bool
) -> None:
    """Print the ids of the projects a rule funds, in the order it funds them."""
    import json

    from servicielle.core.i18n import gettext
    from servicielle.participation.tally import PabulibError, read, tally

    try:
        instance = read(file)
    except PabulibError as exc:
        click.echo(f"{file}: {exc}", err=True)
        sys.exit(1)
    if instance.vote_type not in ("approval", "choose-1"):
        click.echo(
            gettext(
                "Note: %(type)s ballots are counted as approvals of the projects they list, "
                "as pabutools' cost satisfaction does."
            )
            % {"type": instance.vote_type},
            err=True,
        )
    outcome = tally(instance, rule, complete=complete, threshold=threshold)
    if as_json:
        spent = outcome.spent
        click.echo(
            json.dumps(
                {
                    "selected": list(outcome.selected),
                    "rule": rule,
                    "spent": int(spent) if spent.denominator == 1 else float(spent),
                    "complete": complete,
                    "threshold": threshold,
                    "excluded": list(outcome.excluded),
                },
                ensure_ascii=False,
            )
        )
        return
    for project_id in outcome.selected:
        click.echo(project_id)
