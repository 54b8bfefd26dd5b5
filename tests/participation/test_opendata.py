"""Participation's open datasets: no author, no hidden proposal, votes only once published."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.opendata import PublishedDataset
from servicielle.participation.accountability import service
from servicielle.participation.budgets import tallying
from servicielle.participation.models import PhaseKind, Proposal
from servicielle.participation.opendata import BUDGET_VOTES, DATASETS, PROPOSALS, RESULTS
from tests.conftest import make_user
from tests.participation.factories import make_category, make_process
from tests.participation.test_tallying import voted_budget


def rows(db: Session, dataset: PublishedDataset) -> list[dict[str, Any]]:
    """The dataset's rows as the catalog reads them."""
    source = dataset.source()
    return [dict(row._mapping) for row in db.execute(select(source))]


def test_every_field_is_a_column_of_its_source(db: Session) -> None:
    for dataset in DATASETS:
        columns = set(dataset.source().columns.keys())
        for field in dataset.fields:
            names = (
                {f"{field.column}_lon", f"{field.column}_lat"} if field.is_geo else {field.column}
            )
            assert names <= columns, (dataset.key, field.name)


def test_proposals_are_published_without_author_and_hidden_ones(db: Session) -> None:
    process = make_process(db)
    category = make_category(db)
    author = make_user(db, "secret.auteur@example.fr")
    for title, hidden in (("Plus d'arbres", False), ("Masquée", True)):
        db.add(
            Proposal(
                process_id=process.id,
                title=title,
                body="Texte privé de l'auteur",
                category_id=category.id,
                author_id=author.id,
                hidden=hidden,
                latitude=45.123456,
                longitude=-0.987654,
            )
        )
    db.flush()
    found = rows(db, PROPOSALS)
    assert [r["titre"] for r in found] == ["Plus d'arbres"]
    assert found[0]["categorie"] == "Nature en ville"
    assert found[0]["geo_point_2d_lat"] == 45.1235
    flat = repr(found)
    assert "secret.auteur" not in flat
    assert "Texte privé" not in flat


def test_vote_totals_appear_once_results_are_published(db: Session) -> None:
    _process, budget, wide, _zone = voted_budget(db, phase=PhaseKind.IMPLEMENTATION)
    tallying.compute(db, budget)
    assert rows(db, BUDGET_VOTES) == []
    tallying.publish(db, budget)
    found = {r["projet"]: r for r in rows(db, BUDGET_VOTES)}
    assert len(found) == 8
    first = found[f"Projet {wide.title} 1"]
    assert (first["voix"], first["retenu"], first["cout"]) == (7, True, 40_000)
    service.create_from_winners(db, budget)
    results = rows(db, RESULTS)
    assert {r["statut"] for r in results} == {"planned"}
    assert all(r["avancement"] == 0 for r in results)


def test_nothing_of_an_unpublished_process_is_published(db: Session) -> None:
    process, budget, _wide, _zone = voted_budget(db, phase=PhaseKind.IMPLEMENTATION)
    tallying.publish(db, budget)
    service.create_from_winners(db, budget)
    db.add(Proposal(process_id=process.id, title="Brouillon de démarche", body="Texte"))
    process.published = False
    db.flush()
    assert rows(db, PROPOSALS) == []
    assert rows(db, BUDGET_VOTES) == []
    assert rows(db, RESULTS) == []
