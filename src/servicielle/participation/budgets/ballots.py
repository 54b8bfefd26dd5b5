"""Casting, changing, checking and entering ballots, with the secret kept.

A ballot is written in the same transaction as the voter's register line but shares nothing
with it: the register says who voted, the ballot what was chosen. The voter receives a receipt
the platform does not keep; the ballot stores sha256(budget, voter, receipt), so only the
voter, holding the receipt, can find their ballot again to check or change it. The register's
unique (budget, voter) makes simultaneous submissions leave exactly one ballot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import _, in_locale
from servicielle.core.mail.service import queue_mail
from servicielle.core.territory.lookup import locate
from servicielle.core.territory.models import Commune
from servicielle.participation import phases
from servicielle.participation.budgets.ballot_repository import VoteRepository
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
    VoteChannel,
)
from servicielle.participation.budgets.rules import BrokenRule, check_envelope
from servicielle.participation.models import Feature, Phase, Process

# 20 characters of a 32-letter alphabet without look-alikes: 100 bits, read aloud easily.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_LENGTH = 20


@dataclass(frozen=True)
class Residence:
    """Where a voter declares living: decides eligibility and the envelopes they vote in."""

    commune_code: str | None
    geozone_id: int | None


@dataclass(frozen=True)
class Cast:
    """A ballot just recorded, with the receipt to hand to the voter (never stored)."""

    receipt: str
    ballot_id: str


def new_receipt() -> str:
    """A fresh receipt, grouped by four for reading: ``ABCD-EFGH-...``."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt(text: str) -> str | None:
    """A receipt as typed (spaces, lower case, no dashes) in its canonical form, or None."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(raw) != RECEIPT_LENGTH or not set(raw) <= set(RECEIPT_ALPHABET):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_digest(budget_id: int, user_id: int, receipt: str) -> str:
    """What a ballot stores of its receipt: useless without the receipt and the voter."""
    return hashlib.sha256(f"{budget_id}:{user_id}:{receipt}".encode()).hexdigest()


def paper_digest(budget_id: int, token: str) -> str:
    """What a paper ballot stores of its undo token (the token stays in the agent's cookie)."""
    return hashlib.sha256(f"paper:{budget_id}:{token}".encode()).hexdigest()


def vote_started(phases_: Sequence[Phase], now: dt.datetime | None = None) -> bool:
    """Whether a phase that switches the vote on has begun (paper boxes are counted after it)."""
    moment = now or utcnow()
    return any(Feature.VOTE in phase.features and phase.starts_at <= moment for phase in phases_)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``."""
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


class BallotService:
    """The vote of one budget: eligibility, the rules, the register and the box."""

    def __init__(self, session: Session, settings: Settings, budget: Budget) -> None:
        self.session = session
        self.settings = settings
        self.budget = budget
        self.votes = VoteRepository(session)

    # --- what the voter may vote on ------------------------------------------------------

    def process(self) -> Process:
        """The budget's process."""
        process = self.votes.process(self.budget.process_id)
        assert process is not None  # a budget's process is a foreign key
        return process

    def envelopes_for(self, geozone_id: int | None) -> list[Envelope]:
        """The envelopes a resident of ``geozone_id`` votes in: territory-wide, then theirs."""
        return [
            envelope
            for envelope in self.votes.envelopes(self.budget.id)
            if envelope.geozone_id is None or envelope.geozone_id == geozone_id
        ]

    def residence_problem(self, residence: Residence) -> str | None:
        """Why a declared residence does not allow voting here, or None."""
        process = self.process()
        commune = (
            self.session.get(Commune, residence.commune_code) if residence.commune_code else None
        )
        if self.budget.residents_only and commune is None:
            return _(
                "Choose the commune where you live: this vote is for the territory's residents."
            )
        if residence.geozone_id is None:
            if process.scope and self.budget.residents_only:
                return _(
                    "Choose your district: this process is for the residents of some districts."
                )
            return None
        geozone = self.votes.geozone(residence.geozone_id)
        if geozone is None:
            return _("This district does not exist.")
        if process.scope and geozone.slug not in process.scope:
            return _("This process is not open to the residents of {zone}.").format(
                zone=geozone.name
            )
        if commune is not None and not self._commune_in_zone(
            commune, geozone.id, geozone.commune_code
        ):
            return _("{zone} is not in {commune}: check your commune and your district.").format(
                zone=geozone.name, commune=commune.name
            )
        return None

    def _commune_in_zone(self, commune: Commune, zone_id: int, zone_commune: str | None) -> bool:
        # A district of a commune names it; a grouping of communes contains their centres.
        if zone_commune is not None:
            return zone_commune == commune.insee_code
        if commune.centroid_lon is None or commune.centroid_lat is None:
            return False
        zone = self.votes.geozone(zone_id)
        assert zone is not None
        location = locate(self.session, lon=commune.centroid_lon, lat=commune.centroid_lat)
        return any(place.key == zone.slug for place in location.geozones)

    def eligibility_problem(
        self, user: User, birth_date: dt.date | None, residence: Residence
    ) -> str | None:
        """Why this person may not vote, or None."""
        if user.email_confirmed_at is None:
            return _(
                "Confirm your email address before voting: we sent you a link when you signed up."
            )
        if self.budget.min_age:
            if birth_date is None:
                return _(
                    "Give your date of birth: this vote is open from the age of {age}."
                ).format(age=self.budget.min_age)
            if age_on(birth_date, utcnow().date()) < self.budget.min_age:
                return _("This vote is open from the age of {age}.").format(age=self.budget.min_age)
        return self.residence_problem(residence)

    # --- checking a ballot ---------------------------------------------------------------

    def broken_rules(
        self, envelopes: Sequence[Envelope], points: Mapping[int, int]
    ) -> list[BrokenRule]:
        """Every rule the chosen projects break, for the envelopes the voter votes in."""
        allowed = {envelope.id: envelope for envelope in envelopes}
        everywhere = {envelope.id: envelope for envelope in self.votes.envelopes(self.budget.id)}
        projects = {project.id: project for project in self.votes.projects(list(everywhere))}
        broken: list[BrokenRule] = []
        chosen: dict[int, list[Project]] = {envelope_id: [] for envelope_id in allowed}
        for project_id in points:
            project = projects.get(project_id)
            if project is None:
                broken.append(
                    BrokenRule("unknown_project", _("A chosen project is not on this ballot."))
                )
            elif project.envelope_id not in allowed:
                broken.append(
                    BrokenRule(
                        "other_envelope",
                        _(
                            "“{project}” is in the envelope “{envelope}”, which you do not vote in."
                        ).format(
                            project=project.title, envelope=everywhere[project.envelope_id].title
                        ),
                        project.envelope_id,
                    )
                )
            else:
                chosen[project.envelope_id].append(project)
        if not points:
            broken.append(BrokenRule("empty", _("Choose at least one project.")))
        for envelope_id, envelope in allowed.items():
            broken += check_envelope(self.budget, envelope, chosen[envelope_id], points)
        return broken

    def _require_valid(self, envelopes: Sequence[Envelope], points: Mapping[int, int]) -> None:
        broken = self.broken_rules(envelopes, points)
        if broken:
            raise InvalidInput(
                " ".join(rule.message for rule in broken),
                errors=[
                    {
                        "field": f"envelope-{rule.envelope_id}" if rule.envelope_id else "ballot",
                        "code": rule.code,
                        "message": rule.message,
                    }
                    for rule in broken
                ],
            )

    def _require_vote_open(self) -> None:
        phases.require(self.votes.phases(self.budget.process_id), Feature.VOTE)

    # --- the box -------------------------------------------------------------------------

    def _drop(
        self, points: Mapping[int, int], *, digest: str | None, channel: str, station: str = ""
    ) -> Ballot:
        ballot = Ballot(
            id=secrets.token_hex(16),
            budget_id=self.budget.id,
            receipt_digest=digest,
            channel=channel,
            station=station,
        )
        self.session.add(ballot)
        self.session.flush()
        self.session.add_all(
            BallotChoice(ballot_id=ballot.id, project_id=project_id, points=count)
            for project_id, count in points.items()
        )
        self.session.flush()
        return ballot

    def cast(
        self,
        user: User,
        points: Mapping[int, int],
        *,
        residence: Residence,
        birth_date: dt.date | None,
    ) -> Cast:
        """Record a first ballot: register line and ballot together, or nothing at all."""
        self._require_vote_open()
        problem = self.eligibility_problem(user, birth_date, residence)
        if problem:
            raise Forbidden(problem)
        self._require_valid(self.envelopes_for(residence.geozone_id), points)
        voter = BudgetVoter(
            budget_id=self.budget.id,
            user_id=user.id,
            geozone_id=residence.geozone_id,
            commune_code=residence.commune_code,
        )
        try:
            with self.session.begin_nested():
                self.session.add(voter)
                self.session.flush()
        except IntegrityError:
            # Another request of the same voter got there first: theirs is the ballot.
            raise Conflict(
                _("You have already voted in this budget: change your ballot with your receipt.")
            ) from None
        receipt = new_receipt()
        ballot = self._drop(
            points,
            digest=receipt_digest(self.budget.id, user.id, receipt),
            channel=VoteChannel.ONLINE,
        )
        self._send_receipt(user, receipt)
        return Cast(receipt=receipt, ballot_id=ballot.id)

    def change(self, user: User, receipt_text: str, points: Mapping[int, int]) -> Cast:
        """Replace one's ballot until the vote closes; the receipt stays the same."""
        self._require_vote_open()
        voter = self.votes.voter(self.budget.id, user.id)
        if voter is None:
            raise NotFound(_("You have not voted in this budget yet."))
        receipt = normalise_receipt(receipt_text)
        if receipt is None:
            raise InvalidInput(
                _("A receipt has 20 letters and digits, like ABCD-EFGH-JKLM-NPQR-STUV."),
                errors=[
                    {
                        "field": "receipt",
                        "code": "receipt_format",
                        "message": _("A receipt has 20 letters and digits."),
                    }
                ],
            )
        if user.email_confirmed_at is None:
            raise Forbidden(_("Confirm your email address before voting."))
        self._require_valid(self.envelopes_for(voter.geozone_id), points)
        digest = receipt_digest(self.budget.id, user.id, receipt)
        if self.votes.delete_ballot_by_digest(self.budget.id, digest) != 1:
            raise Conflict(_("This receipt matches none of your ballots: check it in your email."))
        ballot = self._drop(points, digest=digest, channel=VoteChannel.ONLINE)
        self.votes.count_change(voter.id)
        self._send_change_notice(user)
        return Cast(receipt=receipt, ballot_id=ballot.id)

    def find(self, user: User, receipt_text: str) -> tuple[Ballot, list[Project]] | None:
        """The ballot one's receipt names, with its projects: proof it is in the box."""
        receipt = normalise_receipt(receipt_text)
        if receipt is None:
            return None
        ballot = self.votes.ballot_by_digest(
            self.budget.id, receipt_digest(self.budget.id, user.id, receipt)
        )
        if ballot is None:
            return None
        chosen = {choice.project_id for choice in self.votes.choices(ballot.id)}
        envelopes = [envelope.id for envelope in self.votes.envelopes(self.budget.id)]
        return ballot, [p for p in self.votes.projects(envelopes) if p.id in chosen]

    def _require_paper_open(self) -> None:
        # Paper boxes are counted from the vote's opening until the results are published.
        if self.budget.results_published_at is not None:
            raise Conflict(_("The results are published: no more ballots can be entered."))
        if not vote_started(self.votes.phases(self.budget.process_id)):
            raise Conflict(
                _("The vote has not opened yet: paper ballots can be entered once it has.")
            )

    def enter_paper(
        self,
        station: str,
        geozone_id: int | None,
        points: Mapping[int, int],
        *,
        undo_token: str | None = None,
    ) -> Ballot:
        """An agent enters one paper ballot of a polling station, under the same rules.

        With ``undo_token``, the ballot keeps its digest so that the agent holding the token,
        and only them, can take this ballot back if it was entered by mistake.
        """
        self._require_paper_open()
        station = station.strip()
        if not station:
            raise InvalidInput(
                _("Name the polling station the ballot comes from."),
                errors=[
                    {
                        "field": "station",
                        "code": "required",
                        "message": _("Name the polling station the ballot comes from."),
                    }
                ],
            )
        self._require_valid(self.envelopes_for(geozone_id), points)
        digest = paper_digest(self.budget.id, undo_token) if undo_token else None
        return self._drop(points, digest=digest, channel=VoteChannel.PAPER, station=station[:120])

    def undo_paper(self, undo_token: str) -> None:
        """Take back the paper ballot entered with ``undo_token``, until results are published."""
        self._require_paper_open()
        if (
            self.votes.delete_paper_ballot(self.budget.id, paper_digest(self.budget.id, undo_token))
            != 1
        ):
            raise Conflict(_("This paper ballot is no longer in the box: nothing was undone."))

    # --- emails ----------------------------------------------------------------------------

    def _send_receipt(self, user: User, receipt: str) -> None:
        process = self.process()
        with in_locale(user.locale):
            subject = _("Your ballot receipt: {title}").format(title=self.budget.title)
            body = _(
                "Hello,\n\nYour ballot for “{title}” is in the box.\n\n"
                "Your receipt: {receipt}\n\n"
                "Keep it: with it, and only with it, you can check your ballot was counted and "
                "change it until the vote closes. We do not keep it: that is what keeps your vote "
                "secret, and why we cannot give it back to you.\n\n{link}\n"
            ).format(
                title=self.budget.title,
                receipt=receipt,
                link=f"{self.settings.base_url}/participation/{process.slug}/budget/recu",
            )
        queue_mail(
            self.session, self.settings, to=user.email, subject=subject, body=body, secret=True
        )

    def _send_change_notice(self, user: User) -> None:
        with in_locale(user.locale):
            subject = _("Your ballot was changed: {title}").format(title=self.budget.title)
            body = _(
                "Hello,\n\nYour ballot for “{title}” was replaced by a new one. Your receipt "
                "stays the same. If you did not do this, write to the authority.\n"
            ).format(title=self.budget.title)
        queue_mail(self.session, self.settings, to=user.email, subject=subject, body=body)
