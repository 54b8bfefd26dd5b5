"""Reports fixtures: the demo territory, categories routed to its departments and operators."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.permissions import ANONYMOUS, Principal
from servicielle.core.territory import demo as territory_demo
from servicielle.core.territory.models import Organisation
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports.models import CategoryQuestion, Report, ReportCategory, RoutingRule
from servicielle.reports.notifications import CONFIRM_REPORT, token
from servicielle.reports.schemas import ReportDraft
from servicielle.reports.service import confirm_report, submit_report
from tests.conftest import make_user

# Points of the demo territory (WGS84).
ROCHEFORT = (45.9369, -0.9613)  # centre of Rochefort
FOURAS = (45.9876, -1.0905)
OCEAN = (46.2, -1.6)  # in the sea off the Île d'Oléron: outside the territory


@dataclass
class Territory:
    """The organisations and categories the tests route reports to."""

    voirie: Organisation
    proprete: Organisation
    eclairage: Organisation
    agglomeration: Organisation
    pothole: ReportCategory
    dumping: ReportCategory
    lighting: ReportCategory


def make_category(
    db: Session, code: str, name: str, *, group: str = "Voirie", target_days: int | None = None
) -> ReportCategory:
    """A category with no question."""
    category = ReportCategory(code=code, name=name, group=group, target_days=target_days)
    db.add(category)
    db.flush()
    return category


@pytest.fixture
def territory(db: Session) -> Territory:
    """The demo territory with three categories and their routing rules."""
    territory_demo.load(db)
    organisations = OrganisationRepository(db)

    def org(slug: str) -> Organisation:
        found = organisations.by_slug(slug)
        assert found is not None
        return found

    pothole = make_category(db, "nid-de-poule", "Nid-de-poule", target_days=15)
    db.add_all(
        [
            CategoryQuestion(
                category_id=pothole.id,
                code="taille",
                datatype="singlevaluelist",
                required=True,
                order=1,
                description="Taille du trou",
                values=[
                    {"key": "petit", "name": "Moins de 20 cm"},
                    {"key": "grand", "name": "Plus de 20 cm"},
                ],
            ),
            CategoryQuestion(
                category_id=pothole.id,
                code="securite",
                datatype="string",
                variable=False,
                order=2,
                description="En cas de danger immédiat, appelez le 112.",
            ),
        ]
    )
    dumping = make_category(db, "depot-sauvage", "Dépôt sauvage", group="Propreté")
    lighting = make_category(db, "eclairage-panne", "Lampadaire éteint", group="Éclairage")
    result = Territory(
        voirie=org("voirie"),
        proprete=org("proprete"),
        eclairage=org("eclairage-public"),
        agglomeration=org("agglomeration"),
        pothole=pothole,
        dumping=dumping,
        lighting=lighting,
    )
    db.add_all(
        [
            RoutingRule(organisation_id=result.agglomeration.id),  # fallback
            RoutingRule(category_id=pothole.id, organisation_id=result.voirie.id),
            RoutingRule(category_id=dumping.id, organisation_id=result.proprete.id),
            RoutingRule(category_id=lighting.id, organisation_id=result.eclairage.id),
            # Dumping in Fouras goes to the agglomeration's own teams (a geozone rule).
            RoutingRule(
                category_id=dumping.id,
                geozone_slug="littoral-et-iles",
                organisation_id=result.agglomeration.id,
            ),
        ]
    )
    db.flush()
    return result


def staff(db: Session, email: str, organisation: Organisation) -> Principal:
    """The principal of a new member of ``organisation``."""
    make_user(db, email, organisation=organisation)
    user = UserRepository(db).by_email(email)
    assert user is not None
    return principal_for_user(user)


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), **save: Any) -> bytes:
    """A real image in ``fmt``."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buffer, fmt, **save)
    return buffer.getvalue()


def report(
    db: Session,
    settings: Settings,
    principal: Principal,
    *,
    category: str = "nid-de-poule",
    at: tuple[float, float] = ROCHEFORT,
    **fields: Any,
) -> Report:
    """Submit a report through the service."""
    answers = fields.pop("answers", {"taille": "grand"} if category == "nid-de-poule" else {})
    draft = ReportDraft(
        category_code=category,
        lat=at[0],
        lon=at[1],
        description=fields.pop("description", "Un trou profond devant l'école."),
        answers=answers,
        **fields,
    )
    return submit_report(db, settings, draft, principal)


def confirmed_report(db: Session, settings: Settings, email: str, **fields: Any) -> Report:
    """An anonymous report its reporter confirmed from the emailed link (so they follow it)."""
    created = report(db, settings, ANONYMOUS, reporter_email=email, **fields)
    return confirm_report(db, settings, token(settings, CONFIRM_REPORT, {"r": created.id}))
