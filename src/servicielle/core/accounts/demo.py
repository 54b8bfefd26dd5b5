"""Demo accounts: one per role, with a password printed by ``make demo``."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import ApiToken, LoginAttempt, Membership, User, UserSession
from servicielle.core.accounts.service import add_membership, create_user
from servicielle.core.modules import DemoSeed
from servicielle.core.territory.repository import OrganisationRepository

DEMO_PASSWORD = "Demo-Servicielle-2026"
DEMO_ACCOUNTS = (
    # email, name, organisation slug or None, administrator
    ("admin@demo.servicielle.fr", "Camille Administratrice", None, True),
    ("agent.voirie@demo.servicielle.fr", "Karim Agent voirie", "voirie", False),
    (
        "operateur.stationnement@demo.servicielle.fr",
        "Léa Opératrice stationnement",
        "rochefort-stationnement",
        False,
    ),
    ("habitant@demo.servicielle.fr", "Jeanne Habitante", None, False),
)


def load(session: Session) -> str:
    """Create the demo accounts."""
    organisations = OrganisationRepository(session)
    for email, name, organisation_slug, is_admin in DEMO_ACCOUNTS:
        user = create_user(
            session,
            email=email,
            password=DEMO_PASSWORD,
            display_name=name,
            is_admin=is_admin,
            confirmed=True,
        )
        if organisation_slug:
            organisation = organisations.by_slug(organisation_slug)
            assert organisation is not None, organisation_slug
            add_membership(session, user=user, organisation_id=organisation.id)
    return f"{len(DEMO_ACCOUNTS)} comptes de démonstration (mot de passe : {DEMO_PASSWORD})"


def clear(session: Session) -> None:
    """Remove every account and what hangs on it."""
    for model in (ApiToken, UserSession, Membership, LoginAttempt, User):
        session.execute(delete(model))


demo = DemoSeed(load=load, clear=clear)
