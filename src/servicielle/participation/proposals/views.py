"""Public pages of proposals: the list and its map, writing one, one proposal's page.

The sub-routers are included in this order so that ``nouvelle``, ``similaires`` and
``carte.json`` are never read as a proposal's id.
"""

from __future__ import annotations

from fastapi import APIRouter

from servicielle.participation.proposals import views_list, views_new, views_proposal

router = APIRouter()
router.include_router(views_list.router)
router.include_router(views_new.router)
router.include_router(views_proposal.router)
