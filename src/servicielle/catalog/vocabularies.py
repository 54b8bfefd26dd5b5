"""Controlled vocabularies: licences, EU data themes and EU update frequencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from servicielle.core.i18n import N_


@dataclass(frozen=True)
class Licence:
    """A licence a dataset may carry; ``id`` follows data.gouv.fr's identifiers."""

    id: str
    title: str
    url: str
    spdx: str
    is_open: bool = True


# Only Licence Ouverte 2.0 and ODbL need no homologation (CRPA L323-2, décret 2017-638).
LICENCES: dict[str, Licence] = {
    lic.id: lic
    for lic in (
        Licence(
            "lov2",
            "Licence Ouverte / Open Licence version 2.0",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "etalab-2.0",
        ),
        Licence(
            "odc-odbl",
            "Open Data Commons Open Database License (ODbL)",
            "https://opendatacommons.org/licenses/odbl/1-0/",
            "ODbL-1.0",
        ),
        Licence(
            "cc-by",
            "Creative Commons Attribution 4.0",
            "https://creativecommons.org/licenses/by/4.0/",
            "CC-BY-4.0",
        ),
        Licence(
            "cc-zero",
            "Creative Commons CC0 1.0",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "CC0-1.0",
        ),
        Licence("notspecified", "Licence non spécifiée", "", "", is_open=False),
    )
}
DEFAULT_LICENCE = "lov2"

# EU data themes (http://publications.europa.eu/resource/authority/data-theme).
THEMES: dict[str, str] = {
    "AGRI": N_("Agriculture, fisheries, forestry and food"),
    "ECON": N_("Economy and finance"),
    "EDUC": N_("Education, culture and sport"),
    "ENER": N_("Energy"),
    "ENVI": N_("Environment"),
    "GOVE": N_("Government and public sector"),
    "HEAL": N_("Health"),
    "INTR": N_("International issues"),
    "JUST": N_("Justice, legal system and public safety"),
    "REGI": N_("Regions and cities"),
    "SOCI": N_("Population and society"),
    "TECH": N_("Science and technology"),
    "TRAN": N_("Transport"),
}
THEME_URI = "http://publications.europa.eu/resource/authority/data-theme/"


@dataclass(frozen=True)
class Frequency:
    """An EU update frequency and how late an update may be before it is flagged."""

    id: str
    label: str
    eu_code: str
    period: dt.timedelta | None


FREQUENCIES: dict[str, Frequency] = {
    f.id: f
    for f in (
        Frequency("continuous", N_("Continuous"), "CONT", dt.timedelta(hours=1)),
        Frequency("hourly", N_("Hourly"), "HOURLY", dt.timedelta(hours=1)),
        Frequency("daily", N_("Daily"), "DAILY", dt.timedelta(days=1)),
        Frequency("weekly", N_("Weekly"), "WEEKLY", dt.timedelta(weeks=1)),
        Frequency("monthly", N_("Monthly"), "MONTHLY", dt.timedelta(days=31)),
        Frequency("quarterly", N_("Quarterly"), "QUARTERLY", dt.timedelta(days=92)),
        Frequency("biannual", N_("Every six months"), "ANNUAL_2", dt.timedelta(days=183)),
        Frequency("annual", N_("Yearly"), "ANNUAL", dt.timedelta(days=366)),
        Frequency("biennial", N_("Every two years"), "BIENNIAL", dt.timedelta(days=731)),
        Frequency("irregular", N_("Irregular"), "IRREG", None),
        Frequency("punctual", N_("Once"), "NEVER", None),
        Frequency("unknown", N_("Unknown"), "UNKNOWN", None),
    )
}
FREQUENCY_URI = "http://publications.europa.eu/resource/authority/frequency/"
# A day of grace before an update counts as late, as data.gouv.fr allows.
LATE_GRACE = dt.timedelta(days=1)

REUSE_TYPES: dict[str, str] = {
    "application": N_("Application"),
    "api": N_("API"),
    "visualization": N_("Visualisation"),
    "news_article": N_("News article"),
    "paper": N_("Paper"),
    "idea": N_("Idea"),
    "post": N_("Blog post"),
    "hardware": N_("Connected object"),
}
