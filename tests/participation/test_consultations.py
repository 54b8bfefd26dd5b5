"""Consultations through their services: dates, answers, flags, synthesis, counts, open data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, RateLimited
from servicielle.participation.consultations import observations as obs
from servicielle.participation.consultations import service
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.consultations.opendata import CONSULTATION_ANSWERS
from servicielle.participation.consultations.repository import QuestionRepository
from servicielle.participation.consultations.service import QuestionDraft
from servicielle.participation.models import Flag
from tests.conftest import make_user
from tests.participation.factories import make_process

DAY = dt.timedelta(days=1)
QUESTIONS = (
    QuestionDraft("Que pensez-vous du projet ?", "text"),
    QuestionDraft("Êtes-vous favorable ?", "choice", ("Oui", "Non", "Sans avis"), required=True),
    QuestionDraft("Quels usages ?", "choices", ("Vélo", "Marche", "Bus")),
)
DOCUMENT = "Premier paragraphe du projet.\n\nDeuxième paragraphe : le tracé.\n\nTroisième."


def make_consultation(
    db: Session,
    *,
    slug: str = "plan-velo",
    title: str = "Plan vélo 2026",
    state: str = "open",
    questions: Sequence[QuestionDraft] = QUESTIONS,
    observations_public: bool = True,
    published: bool = True,
    process_id: int | None = None,
) -> Consultation:
    """A consultation whose dates make it ``state`` (open, upcoming, closed) now."""
    now = utcnow()
    opens = {"open": now - 5 * DAY, "upcoming": now + 5 * DAY, "closed": now - 40 * DAY}[state]
    consultation = service.create_consultation(
        db,
        slug=slug,
        title=title,
        summary=f"Résumé de {title}",
        document=DOCUMENT,
        opens_at=opens,
        closes_at=opens + 30 * DAY,
        observations_public=observations_public,
        published=published,
        process_id=process_id,
        questions=questions,
    )
    return consultation


def questions_of(db: Session, consultation: Consultation) -> list[ConsultationQuestion]:
    """The consultation's questions in order."""
    return QuestionRepository(db).of(consultation.id)


def answers(db: Session, consultation: Consultation, *values: object) -> dict[str, object]:
    """Answers keyed by question id, in the questions' order."""
    return {str(q.id): v for q, v in zip(questions_of(db, consultation), values, strict=False)}


def person(db: Session, name: str) -> User:
    """A signed-up inhabitant."""
    return make_user(db, f"{name}@example.fr")


def test_state_follows_the_dates(db: Session) -> None:
    for state in ("open", "upcoming", "closed"):
        consultation = make_consultation(db, slug=f"c-{state}", state=state)
        assert service.state_of(consultation) == state


def test_observation_with_valid_answers_is_stored(db: Session) -> None:
    consultation = make_consultation(db)
    anne = person(db, "anne")
    sent = obs.submit_observation(
        db,
        consultation,
        anne,
        body="  Voir le § 2.  ",
        answers=answers(db, consultation, "Plus de pistes", "Oui", ["Bus", "Vélo", "Bus"]),
    )
    q = questions_of(db, consultation)
    assert sent.body == "Voir le § 2."
    # Choices keep the question's order, once each.
    assert sent.answers == {
        str(q[0].id): "Plus de pistes",
        str(q[1].id): "Oui",
        str(q[2].id): ["Vélo", "Bus"],
    }
    # One person may send several observations.
    obs.submit_observation(db, consultation, anne, answers=answers(db, consultation, "", "Non"))
    count = db.scalars(select(Observation).where(Observation.author_id == anne.id)).all()
    assert len(count) == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (("", ""), 1, "Choisissez une réponse"),
        (("", "Peut-être"), 1, "ne fait pas partie des choix"),
        (("", ["Oui", "Non"]), 1, "une seule réponse"),
        (("", "Oui", ["Vélo", "Trottinette"]), 2, "ne fait pas partie des choix"),
        (("x" * 3001, "Oui"), 0, "3000 caractères au plus"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(
    db: Session, values: tuple[object, ...], field: int, message: str
) -> None:
    consultation = make_consultation(db)
    with pytest.raises(InvalidInput) as caught:
        obs.submit_observation(
            db, consultation, person(db, "bob"), answers=answers(db, consultation, *values)
        )
    key = f"q-{questions_of(db, consultation)[field].id}"
    assert message in caught.value.by_field()[key]


def test_body_length_and_empty_observations_are_refused(db: Session) -> None:
    consultation = make_consultation(db, questions=())
    bob = person(db, "bob")
    with pytest.raises(InvalidInput) as caught:
        obs.submit_observation(db, consultation, bob, body="é" * 6001)
    assert "6000" in caught.value.by_field()["body"]
    with pytest.raises(InvalidInput) as caught:
        obs.submit_observation(db, consultation, bob, body=" \x00 ")
    assert "body" in caught.value.by_field()
    assert obs.submit_observation(db, consultation, bob, body="é" * 6000).id


@pytest.mark.parametrize("state", ["upcoming", "closed"])
def test_observations_outside_the_dates_are_refused_naming_them(db: Session, state: str) -> None:
    consultation = make_consultation(db, state=state)
    with pytest.raises(Conflict) as caught:
        obs.submit_observation(db, consultation, person(db, "carl"), body="Trop tôt ou tard")
    assert caught.value.status == 409
    year = str(consultation.closes_at.year)
    assert year in caught.value.detail
    assert ("ouvre le" if state == "upcoming" else "a fermé le") in caught.value.detail


def test_an_eleventh_observation_in_the_hour_is_refused(db: Session) -> None:
    consultation = make_consultation(db, questions=())
    dora = person(db, "dora")
    for index in range(10):
        obs.submit_observation(db, consultation, dora, body=f"Observation {index}")
    with pytest.raises(RateLimited):
        obs.submit_observation(db, consultation, dora, body="Une de trop")
    # An hour later, it goes through.
    later = utcnow() + dt.timedelta(hours=1, minutes=1)
    consultation.closes_at = later + DAY
    assert obs.submit_observation(db, consultation, dora, body="Enfin", now=later).id


def test_flags_hide_after_three_or_the_process_setting(db: Session) -> None:
    consultation = make_consultation(db, questions=())
    observation = obs.submit_observation(db, consultation, person(db, "eve"), body="Pub !")
    flaggers = [person(db, f"f{index}") for index in range(3)]
    assert not obs.flag_observation(db, consultation, observation, flaggers[0], reason="spam")
    with pytest.raises(Conflict):
        obs.flag_observation(db, consultation, observation, flaggers[0], reason="spam")
    with pytest.raises(InvalidInput):
        obs.flag_observation(db, consultation, observation, flaggers[1], reason="boring")
    assert not obs.flag_observation(db, consultation, observation, flaggers[1], reason="spam")
    assert obs.flag_observation(db, consultation, observation, flaggers[2], reason="off_topic")
    assert observation.hidden
    assert observation.flags_count == 3
    flags = db.scalars(select(Flag).where(Flag.target == "observation")).all()
    assert {f.target_id for f in flags} == {observation.id}
    # A moderator restores it: the flags are dealt with.
    obs.set_hidden(db, observation, flaggers[0], hidden=False)
    assert not observation.hidden
    assert all(f.resolved_at is not None for f in flags)

    process = make_process(db, slug="pb-flags", flags_to_hide=1)
    strict = make_consultation(db, slug="strict", questions=(), process_id=process.id)
    other = obs.submit_observation(db, strict, person(db, "gus"), body="Hors sujet")
    assert obs.flag_observation(db, strict, other, flaggers[0], reason="off_topic")


def test_questions_lock_once_observations_exist(db: Session) -> None:
    consultation = make_consultation(db)
    text, choice, choices = questions_of(db, consultation)
    with pytest.raises(InvalidInput):
        service.add_question(db, consultation, QuestionDraft("Un seul choix ?", "choice", ("A",)))
    service.update_question(
        db, consultation, text, QuestionDraft("Nouveau texte", "choice", ("A", "B"))
    )
    obs.submit_observation(
        db, consultation, person(db, "hal"), answers=answers(db, consultation, "A", "Oui")
    )
    with pytest.raises(InvalidInput) as caught:
        service.update_question(db, consultation, choice, QuestionDraft("?", "text"))
    assert "kind" in caught.value.by_field()
    with pytest.raises(InvalidInput) as caught:
        service.update_question(
            db, consultation, choice, QuestionDraft("?", "choice", ("Oui", "Non!"))
        )
    assert "choices" in caught.value.by_field()
    with pytest.raises(Conflict):
        service.delete_question(db, consultation, choices)
    # Rewording and adding a choice stay possible.
    service.update_question(
        db,
        consultation,
        choice,
        QuestionDraft("Favorable ?", "choice", ("Oui", "Non", "Sans avis", "Autre")),
    )
    assert choice.choices[-1] == "Autre"


def test_questions_move_and_delete_before_observations(db: Session) -> None:
    consultation = make_consultation(db)
    first, second, third = questions_of(db, consultation)
    service.move_question(db, consultation, third, -1)
    assert [q.id for q in questions_of(db, consultation)] == [first.id, third.id, second.id]
    service.move_question(db, consultation, first, -1)  # already first: stays
    assert questions_of(db, consultation)[0].id == first.id
    service.delete_question(db, consultation, second)
    assert [q.id for q in questions_of(db, consultation)] == [first.id, third.id]


def test_synthesis_is_published_only_after_closing(db: Session) -> None:
    running = make_consultation(db)
    service.save_synthesis(db, running, "Brouillon")
    assert running.synthesis == "Brouillon"
    assert not service.synthesis_published(running)
    with pytest.raises(Conflict) as caught:
        service.save_synthesis(db, running, "Synthèse", publish=True)
    assert "consultation close" in caught.value.detail
    closed = make_consultation(db, slug="ferme", state="closed")
    with pytest.raises(InvalidInput):
        service.save_synthesis(db, closed, "  ", publish=True)
    service.save_synthesis(db, closed, "Nous retenons le tracé B.", publish=True)
    assert service.synthesis_published(closed)
    service.save_synthesis(db, closed, "Nous retenons le tracé B, motifs…")
    assert service.synthesis_published(closed)
    service.save_synthesis(db, closed, closed.synthesis, publish=False)
    assert not service.synthesis_published(closed)


def test_choice_counts_and_open_data_count_closed_consultations_only(db: Session) -> None:
    consultation = make_consultation(db)
    for index, (choice, several) in enumerate(
        [("Oui", ["Vélo", "Bus"]), ("Oui", ["Vélo"]), ("Non", None), ("Oui", ["Bus"])]
    ):
        obs.submit_observation(
            db,
            consultation,
            person(db, f"p{index}"),
            answers=answers(db, consultation, "", choice, several),
        )
    hidden = db.scalars(
        select(Observation).where(Observation.consultation_id == consultation.id)
    ).all()[3]
    hidden.hidden = True
    db.flush()
    q = questions_of(db, consultation)
    counts = {
        (c.question_id, c.choice): c.count
        for c in QuestionRepository(db).choice_counts(consultation.id)
    }
    assert counts == {
        (q[1].id, "Oui"): 2,
        (q[1].id, "Non"): 1,
        (q[1].id, "Sans avis"): 0,
        (q[2].id, "Vélo"): 2,
        (q[2].id, "Bus"): 1,
        (q[2].id, "Marche"): 0,
    }

    def dataset() -> list[dict[str, object]]:
        source = CONSULTATION_ANSWERS.source()
        return [dict(row._mapping) for row in db.execute(select(source))]

    assert dataset() == []  # still open
    consultation.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.flush()
    rows = dataset()
    assert {(r["question"], r["choix"]): r["reponses"] for r in rows} == {
        ("Êtes-vous favorable ?", "Oui"): 2,
        ("Êtes-vous favorable ?", "Non"): 1,
        ("Êtes-vous favorable ?", "Sans avis"): 0,
        ("Quels usages ?", "Vélo"): 2,
        ("Quels usages ?", "Bus"): 1,
        ("Quels usages ?", "Marche"): 0,
    }
    assert {r["observations"] for r in rows} == {3}
    assert {f.column for f in CONSULTATION_ANSWERS.fields} == set(rows[0])


def test_open_data_leaves_out_private_observations_and_unpublished_processes(
    db: Session,
) -> None:
    hidden_process = make_process(db, slug="brouillon", published=False)
    private = make_consultation(db, slug="privee", observations_public=False)
    drafted = make_consultation(db, slug="dans-brouillon", process_id=hidden_process.id)
    public = make_consultation(db, slug="publique")
    for consultation in (private, drafted, public):
        obs.submit_observation(
            db,
            consultation,
            person(db, consultation.slug),
            answers=answers(db, consultation, "", "Oui"),
        )
        consultation.closes_at = utcnow() - dt.timedelta(minutes=1)
    db.flush()
    source = CONSULTATION_ANSWERS.source()
    slugs = {row._mapping["consultation"] for row in db.execute(select(source))}
    assert slugs == {"publique"}


def test_a_time_the_spring_clock_change_skips_is_refused(db: Session) -> None:
    form = service.ConsultationForm(
        slug="heure-ete",
        title="Heure d'été",
        opens_at="2026-03-29T02:15",  # Paris clocks go from 02:00 to 03:00 that night
        closes_at="2026-05-01T18:00",
    )
    with pytest.raises(InvalidInput) as caught:
        service.save_consultation(db, None, form)
    assert set(caught.value.by_field()) == {"opens_at"}
    form.opens_at = "2026-03-29T03:15"
    saved = service.save_consultation(db, None, form)
    assert saved.opens_at == dt.datetime(2026, 3, 29, 1, 15, tzinfo=dt.UTC)
