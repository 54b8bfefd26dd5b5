"""Consultations in Chromium: axe-core on the public pages, the form (also with its errors),
and the back office's list, settings, observations and synthesis pages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import sessionmaker

from servicielle.core.accounts.repository import UserRepository
from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.session import session_scope
from servicielle.participation.consultations import observations, service
from servicielle.participation.consultations.repository import QuestionRepository
from servicielle.participation.consultations.service import QuestionDraft
from tests.browser.conftest import browser, playwright  # noqa: F401  (fixtures)
from tests.browser.test_pages import assert_accessible, new_page, sign_in, submit, visit
from tests.conftest import LiveSite

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.browser]
ADMIN = "admin@demo.servicielle.fr"
INHABITANT = "habitant@demo.servicielle.fr"


@dataclass(frozen=True)
class LiveConsultation:
    """The consultation the test created in the live database."""

    id: int
    slug: str


@pytest.fixture(scope="session")
def live_consultation(live_site: LiveSite) -> Iterator[LiveConsultation]:
    """An open consultation with a document, three kinds of question and one observation."""
    engine = create_db_engine(live_site.database_url)
    slug = f"essai-{uuid.uuid4().hex[:6]}"
    try:
        with session_scope(sessionmaker(bind=engine), via="test") as session:
            consultation = service.create_consultation(
                session,
                slug=slug,
                title="Aménagement des quais (essai)",
                summary="Le projet d'aménagement des quais soumis à la participation du public.",
                document="Le projet prévoit une promenade.\n\nLes arbres existants sont gardés.",
                opens_at=utcnow() - dt.timedelta(days=2),
                closes_at=utcnow() + dt.timedelta(days=30),
                questions=(
                    QuestionDraft("Votre avis sur la promenade", "text"),
                    QuestionDraft("Êtes-vous favorable ?", "choice", ("Oui", "Non"), True),
                    QuestionDraft("Vos usages", "choices", ("Marche", "Vélo")),
                ),
            )
            author = UserRepository(session).by_email(INHABITANT)
            assert author is not None
            observations.submit_observation(
                session,
                consultation,
                author,
                body="Voir le § 2 : bonne idée.",
                answers={str(QuestionRepository(session).of(consultation.id)[1].id): "Oui"},
            )
            found = LiveConsultation(consultation.id, slug)
        yield found
    finally:
        engine.dispose()


def test_consultation_pages_are_accessible(
    browser: Browser,  # noqa: F811
    live_server: str,
    live_consultation: LiveConsultation,
) -> None:
    page = new_page(browser, live_server, "fr")
    visit(page, "/consultations", "consultations list")
    assert page.locator(f'a[href="/consultations/{live_consultation.slug}"]').count() == 1
    sign_in(page, INHABITANT)
    path = f"/consultations/{live_consultation.slug}"
    visit(page, path, "consultation with its form")
    assert page.locator("fieldset legend").count() == 2
    # Sent without the required choice: the errors are tied to their fields.
    submit(page, "#observer form button[type=submit]")
    assert page.locator("#error-summary").count() == 1
    assert_accessible(page, "consultation form with errors")
    page.get_by_label("Oui").check()
    page.fill("#body", "Une observation envoyée depuis le navigateur.")
    submit(page, "#observer form button[type=submit]")
    assert "envoye=1" in page.url
    assert page.get_by_text("Une observation envoyée depuis le navigateur.").count() == 1
    page.context.close()

    staff = new_page(browser, live_server, "fr")
    sign_in(staff, ADMIN)
    base = f"/admin/participation/consultations/{live_consultation.id}"
    visit(staff, "/admin/participation/consultations", "consultations back office")
    visit(staff, base, "consultation settings")
    visit(staff, f"{base}/questions/nouvelle", "new question")
    visit(staff, f"{base}/observations", "observations back office")
    assert staff.get_by_text("Une observation envoyée depuis le navigateur.").count() == 1
    visit(staff, f"{base}/synthese", "synthesis editor")
    staff.context.close()
