"""Settings of citizen reports: categories, their questions, routing rules, reply templates.

The forms give strings; these functions check them all, name every bad field, and flush.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.errors import Conflict, Forbidden, InvalidInput
from servicielle.core.i18n import _
from servicielle.core.ids import MAX_ID, whole_number
from servicielle.core.permissions import Principal
from servicielle.core.territory.models import Organisation
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.core.text import plain
from servicielle.reports import routing
from servicielle.reports.lifecycle import AGENT_STATUSES
from servicielle.reports.models import CategoryQuestion, ReplyTemplate, ReportCategory, RoutingRule
from servicielle.reports.questions import DATATYPES
from servicielle.reports.routing import Placement, place_point, route
from servicielle.reports.settings_repository import SettingsRepository

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
MAX_TEXT = 4000
MAX_TARGET_DAYS = 3650


class _Form:
    """Reads a form's strings, collecting one message per bad field."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def text(self, name: str, limit: int, *, required: bool = False, lines: bool = False) -> str:
        # plain(): PostgreSQL refuses NUL; one line unless ``lines``: a category's name goes
        # into email subjects, where a line break would start a header.
        value = plain(str(self.values.get(name, "")).replace("\r\n", "\n"))
        if required and not value:
            self.errors[name] = _("This field is required.")
        elif len(value) > limit:
            self.errors[name] = _("At most %(n)d characters.") % {"n": limit}
        elif not lines and len(value.splitlines()) > 1:
            self.errors[name] = _("Write this on one line.")
        return value

    def code(self, name: str) -> str:
        value = self.text(name, 64, required=True)
        if value and name not in self.errors and not CODE.match(value):
            self.errors[name] = _(
                "Letters without accents, digits, dashes, dots and underscores only."
            )
        return value

    def integer(self, name: str, *, low: int, high: int, required: bool = False) -> int | None:
        raw = str(self.values.get(name, "")).strip()
        if not raw:
            if required:
                self.errors[name] = _("This field is required.")
            return None
        negative = raw.startswith("-")
        number = whole_number(raw[1:] if negative else raw)
        if number is None:
            self.errors[name] = _("Give a whole number.")
            return None
        number = -number if negative else number
        if not low <= number <= high:
            self.errors[name] = _("Give a number between %(low)d and %(high)d.") % {
                "low": low,
                "high": high,
            }
            return None
        return number

    def flag(self, name: str) -> bool:
        return str(self.values.get(name, "")) in ("1", "on", "true")

    def check(self) -> None:
        if self.errors:
            raise InvalidInput.on_fields(_("Some fields need correcting."), self.errors)


# ---------- Categories ----------


def save_category(
    session: Session, category: ReportCategory | None, values: Mapping[str, str]
) -> ReportCategory:
    """Create a category (``category`` None) or update it from the form's values."""
    form = _Form(values)
    code = form.code("code")
    fields: dict[str, Any] = {
        "code": code,
        "name": form.text("name", 200, required=True),
        "group": form.text("group", 120),
        "description": form.text("description", MAX_TEXT, lines=True),
        "keywords": form.text("keywords", 300),
        "notice": form.text("notice", MAX_TEXT, lines=True),
        "target_days": form.integer("target_days", low=1, high=MAX_TARGET_DAYS),
        "position": form.integer("position", low=-10_000, high=10_000) or 0,
        "active": form.flag("active"),
    }
    existing = SettingsRepository(session).category_by_code(code) if code else None
    if existing is not None and (category is None or existing.id != category.id):
        form.errors["code"] = _("Another category already has this code.")
    form.check()
    if category is None:
        category = ReportCategory(**fields)
        session.add(category)
    else:
        for name, value in fields.items():
            setattr(category, name, value)
    session.flush()
    return category


def retire_category(session: Session, category: ReportCategory) -> bool:
    """Delete a category nobody reported in; otherwise deactivate it. True when deleted."""
    if SettingsRepository(session).reports_in_category(category.id):
        category.active = False
        session.flush()
        return False
    session.delete(category)
    session.flush()
    return True


# ---------- Questions ----------


def parse_values(text: str) -> list[dict[str, str]]:
    """``key=Name`` lines as Open311 values; ValueError names the first bad line."""
    found: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, name = line.partition("=")
        key, name = key.strip(), name.strip()
        if not sep or not key or not name:
            raise ValueError(_("Line %(n)d: write key=Name.") % {"n": number})
        if len(key) > 64 or len(name) > 200:
            raise ValueError(_("Line %(n)d is too long.") % {"n": number})
        if any(v["key"] == key for v in found):
            raise ValueError(
                _("Line %(n)d: the key %(key)s is repeated.") % {"n": number, "key": key}
            )
        found.append({"key": key, "name": name})
    return found


def values_text(values: Sequence[Mapping[str, Any]]) -> str:
    """Open311 values back as ``key=Name`` lines."""
    return "\n".join(f"{v.get('key', '')}={v.get('name', '')}" for v in values)


def save_question(
    session: Session,
    category: ReportCategory,
    question: CategoryQuestion | None,
    values: Mapping[str, str],
) -> CategoryQuestion:
    """Create or update one of the category's questions (an Open311 attribute)."""
    form = _Form(values)
    code = form.code("code")
    datatype = str(values.get("datatype", "")).strip()
    if datatype not in DATATYPES:
        form.errors["datatype"] = _("Choose a type.")
    order = form.integer("order", low=1, high=1000, required=True)
    choices: list[dict[str, str]] = []
    try:
        choices = parse_values(plain(str(values.get("values", ""))))
    except ValueError as exc:
        form.errors["values"] = str(exc)
    if datatype in LIST_DATATYPES and not choices and "values" not in form.errors:
        form.errors["values"] = _("A list question needs at least one value.")
    if datatype not in LIST_DATATYPES and choices:
        form.errors["values"] = _("Only list questions have values.")
    fields: dict[str, Any] = {
        "code": code,
        "datatype": datatype,
        "required": form.flag("required"),
        "variable": form.flag("variable"),
        "order": order,
        "description": form.text("description", MAX_TEXT, required=True, lines=True),
        "datatype_description": form.text("datatype_description", 300),
        "values": choices,
    }
    repository = SettingsRepository(session)
    own_id = question.id if question is not None else None
    if code and repository.question_clash(category.id, own_id, code=code):
        form.errors["code"] = _("Another question of this category has this code.")
    if order is not None and repository.question_clash(category.id, own_id, order=order):
        form.errors["order"] = _("Another question of this category has this order.")
    form.check()
    if question is None:
        question = CategoryQuestion(category_id=category.id, **fields)
        session.add(question)
    else:
        for name, value in fields.items():
            setattr(question, name, value)
    session.flush()
    return question


def delete_question(session: Session, question: CategoryQuestion) -> None:
    """Remove a question; answers already given stay on their reports."""
    session.delete(question)
    session.flush()


# ---------- Routing ----------


@dataclass(frozen=True)
class RankedRule:
    """A rule in the order routing tries them; ``shadowed_by``: an older rule, same criteria."""

    rule: RoutingRule
    specificity: int
    shadowed_by: int | None


def ranked_rules(rules: Sequence[RoutingRule]) -> list[RankedRule]:
    """Rules most specific first, oldest first among equals: the first that matches wins."""
    ordered = sorted(rules, key=lambda r: (-routing.specificity(r), r.id))
    seen: dict[tuple[int | None, str | None, str | None], int] = {}
    ranked = []
    for rule in ordered:
        key = (rule.category_id, rule.commune_code, rule.geozone_slug)
        ranked.append(RankedRule(rule, routing.specificity(rule), seen.get(key)))
        seen.setdefault(key, rule.id)
    return ranked


def save_rule(session: Session, rule: RoutingRule | None, values: Mapping[str, str]) -> RoutingRule:
    """Create or update a routing rule; empty criteria match anything."""
    form = _Form(values)
    repository = SettingsRepository(session)
    category_id = form.integer("category", low=1, high=MAX_ID)
    if category_id is not None and repository.category(category_id) is None:
        form.errors["category"] = _("Choose a category.")
    commune = plain(str(values.get("commune", "")))
    territory = TerritoryRepository(session)
    if commune and (len(commune) > 5 or territory.commune(commune) is None):
        form.errors["commune"] = _("Choose one of the territory's communes.")
    geozone = plain(str(values.get("geozone", "")))
    if geozone and (len(geozone) > 120 or territory.geozone_by_slug(geozone) is None):
        form.errors["geozone"] = _("Choose one of the territory's zones.")
    organisation_id = form.integer("organisation", low=1, high=MAX_ID)
    if organisation_id is None or OrganisationRepository(session).get(organisation_id) is None:
        form.errors["organisation"] = _("Choose an organisation.")
    form.check()
    clash = repository.same_rule(
        category_id, commune or None, geozone or None, rule.id if rule else None
    )
    if clash is not None:
        raise Conflict.on_field(
            "category",
            _("Rule no. %(id)d already has these criteria: change it instead.") % {"id": clash},
        )
    if rule is None:
        rule = RoutingRule()
        session.add(rule)
    rule.category_id = category_id
    rule.commune_code = commune or None
    rule.geozone_slug = geozone or None
    assert organisation_id is not None
    rule.organisation_id = organisation_id
    session.flush()
    return rule


def try_route(
    session: Session, values: Mapping[str, str]
) -> tuple[Placement, Organisation, ReportCategory]:
    """Where a point lies and who would receive a report of the category there."""
    form = _Form(values)
    category_id = form.integer("category", low=1, high=MAX_ID, required=True)
    category = SettingsRepository(session).category(category_id) if category_id else None
    if category is None and "category" not in form.errors:
        form.errors["category"] = _("Choose a category.")
    coordinates: list[float] = []
    for name in ("lat", "lon"):
        raw = str(values.get(name, "")).strip().replace(",", ".")
        try:
            coordinates.append(float(raw))
        except ValueError:
            form.errors[name] = _("Give a number, such as 45.9369.")
    form.check()
    assert category is not None
    try:
        placement = place_point(session, coordinates[0], coordinates[1])
    except InvalidInput as exc:
        # routing names Open311's field ("long"); the form calls it "lon".
        raise InvalidInput.on_field("lat", exc.detail) from None
    try:
        organisation = route(session, category, placement)
    except InvalidInput as exc:
        raise InvalidInput.on_field("category", exc.detail) from None
    return placement, organisation, category


# ---------- Reply templates ----------


def check_template_owner(principal: Principal, template: ReplyTemplate) -> None:
    """Agents manage their organisations' templates; templates for all are for administrators."""
    if not principal.is_admin and template.organisation_id not in principal.organisation_ids:
        raise Forbidden(_("This reply template belongs to another organisation."))


def save_template(
    session: Session,
    principal: Principal,
    template: ReplyTemplate | None,
    values: Mapping[str, str],
) -> ReplyTemplate:
    """Create or update a reply template the principal may manage."""
    if template is not None:
        check_template_owner(principal, template)
    form = _Form(values)
    title = form.text("title", 200, required=True)
    body = form.text("body", MAX_TEXT, required=True, lines=True)
    status = str(values.get("status", "")).strip()
    if status and status not in AGENT_STATUSES:
        form.errors["status"] = _("Choose a status.")
    organisation_id = form.integer("organisation", low=1, high=MAX_ID)
    if organisation_id is None and str(values.get("organisation", "")).strip() == "":
        if not principal.is_admin:
            form.errors["organisation"] = _("Choose your organisation.")
    elif organisation_id is None or OrganisationRepository(session).get(organisation_id) is None:
        form.errors["organisation"] = _("Choose an organisation.")
    elif not principal.acts_for(organisation_id):
        form.errors["organisation"] = _("Choose one of your organisations.")
    form.check()
    if template is None:
        template = ReplyTemplate(title=title, body=body)
        session.add(template)
    template.title, template.body = title, body
    template.status = status or None
    template.organisation_id = organisation_id
    session.flush()
    return template


def delete_rule(session: Session, rule: RoutingRule) -> None:
    """Remove a routing rule."""
    session.delete(rule)
    session.flush()


def delete_template(session: Session, principal: Principal, template: ReplyTemplate) -> None:
    """Delete a reply template the principal may manage."""
    check_template_owner(principal, template)
    session.delete(template)
    session.flush()
