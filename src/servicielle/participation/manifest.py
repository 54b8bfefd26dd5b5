"""Manifest of participation: processes, proposals, consultations, budgets, accountability."""

from __future__ import annotations

from servicielle.core.i18n import N_
from servicielle.core.modules import ModuleManifest, NavEntry, PeriodicTask
from servicielle.core.permissions import ADMINS, STAFF, Permission
from servicielle.participation.accountability import backoffice as accountability_backoffice
from servicielle.participation.accountability import views as accountability_views
from servicielle.participation.budgets import backoffice as budgets_backoffice
from servicielle.participation.budgets import paper, results, results_backoffice, secrecy
from servicielle.participation.budgets import views as budgets_views
from servicielle.participation.consultations import backoffice as consultations_backoffice
from servicielle.participation.consultations import views as consultations_views
from servicielle.participation.consultations.opendata import CONSULTATION_ANSWERS
from servicielle.participation.demo import demo
from servicielle.participation.notifications import digests
from servicielle.participation.notifications import views as notifications_views
from servicielle.participation.opendata import DATASETS
from servicielle.participation.processes import backoffice as processes_backoffice
from servicielle.participation.processes import views as processes_views
from servicielle.participation.proposals import backoffice as proposals_backoffice
from servicielle.participation.proposals import tasks
from servicielle.participation.proposals import views as proposals_views

manifest = ModuleManifest(
    name="participation",
    label=N_("Participation"),
    requires=("core", "accounts", "territory"),
    models=(
        "servicielle.participation.models",
        "servicielle.participation.budgets.models",
        "servicielle.participation.consultations.models",
        "servicielle.participation.accountability.models",
    ),
    templates="servicielle.participation",
    pages=(
        notifications_views.router,
        consultations_views.router,
        proposals_views.router,
        budgets_views.router,
        results.router,
        accountability_views.router,
        processes_views.router,
    ),
    admin=(
        processes_backoffice.router,
        proposals_backoffice.router,
        consultations_backoffice.router,
        budgets_backoffice.router,
        paper.router,
        results_backoffice.router,
        accountability_backoffice.router,
    ),
    demo=demo,
    datasets=(*DATASETS, CONSULTATION_ANSWERS),
    tasks=(
        PeriodicTask("participation.digests", 300, digests.run_due),
        PeriodicTask("participation.reshuffle_ballots", 600, secrecy.run),
        PeriodicTask("participation.expire_supports", 3600, tasks.expire_all_supports),
    ),
    nav=(
        NavEntry(
            N_("Participate"),
            "/participation",
            N_("Propose, discuss, vote on part of the budget, and see what became of it."),
        ),
        NavEntry(
            N_("Consultations"),
            "/consultations",
            N_("Give your observations on the authority's projects before it decides."),
        ),
    ),
    admin_nav=(
        NavEntry(N_("Participation"), "/admin/participation", permission="participation.admin"),
        NavEntry(
            N_("Proposals to answer"),
            "/admin/participation/propositions",
            permission="participation.answer",
        ),
        NavEntry(
            N_("Projects being made"),
            "/admin/participation/realisations",
            permission="participation.accountability",
        ),
        NavEntry(
            N_("Paper ballots"),
            "/admin/participation/bulletins-papier",
            permission="participation.paper_ballots",
        ),
    ),
    permissions=(
        Permission(
            "participation.admin",
            "Configure processes, phases, categories, budgets, envelopes, projects and "
            "consultations; compute and publish results",
            ADMINS,
        ),
        Permission(
            "participation.answer",
            "Answer proposals officially, merge duplicates, act in bulk",
            STAFF,
        ),
        Permission(
            "participation.moderate",
            "Hide or restore flagged proposals, comments and observations",
            STAFF,
        ),
        Permission(
            "participation.paper_ballots",
            "Enter the paper ballots of a polling station",
            STAFF,
        ),
        Permission(
            "participation.accountability",
            "Update the results being made: status, progress, money spent, milestones",
            STAFF,
        ),
    ),
)
