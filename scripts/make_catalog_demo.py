"""Generate the demo open-data catalogue of the Communauté d'agglomération Rochefort Océan.

Every figure written here is fictitious demo data; only the commune facts (names, INSEE codes,
SIRENs, populations, outlines) come from the territory data (IGN Admin Express / INSEE).
The output is deterministic (seeded from 2026): running the script twice writes the same bytes.

    python scripts/make_catalog_demo.py            # write src/servicielle/catalog/demo_data/
    python scripts/make_catalog_demo.py --check    # validate the written files, exit 1 on error
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import re
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "servicielle" / "catalog" / "demo_data"
SCHEMAS = ROOT / "src" / "servicielle" / "catalog" / "schemas"
TERRITORY = ROOT / "src" / "servicielle" / "core" / "territory" / "data"

SEED = 2026
MAX_FILE_SIZE = 300_000
DEMO_HOST = "demo.servicielle.fr"
DOC_HOST = "https://www.agglo-rochefortocean.fr"

# Publishers known to the demo territory (servicielle.core.territory.demo).
ORGANISATION_SLUGS = frozenset(
    {
        "agglomeration",
        "voirie",
        "proprete",
        "mobilites",
        "energie",
        "participation",
        "donnees",
        "rochefort-stationnement",
        "collecte-dechets",
        "eclairage-public",
        "velo-rochefort",
    }
)


def rng_for(name: str) -> random.Random:
    """One generator per file, so that changing a dataset leaves the others untouched."""
    return random.Random(f"{SEED}:{name}")


# ---------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------


def luhn_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    for digit in "0123456789":
        if luhn.is_valid(partial + digit):
            return digit
    raise ValueError(partial)  # pragma: no cover - a Luhn digit always exists


def siret_of(siren: str, first_nic: int = 10) -> str:
    """The first SIRET of ``siren`` whose NIC is >= ``first_nic`` and passes the Luhn check."""
    for nic in range(first_nic, 100_000):
        candidate = f"{siren}{nic:05d}"
        if stdnum_siret.is_valid(candidate):
            return candidate
    raise ValueError(siren)  # pragma: no cover


def fake_siren(rng: random.Random, used: set[str], first: str = "4") -> str:
    """A fictitious but Luhn-valid SIREN, distinct from the ones already used."""
    while True:
        body = first + "".join(rng.choice("0123456789") for _ in range(7))
        candidate = body + luhn_digit(body)
        if candidate not in used:
            used.add(candidate)
            return candidate


EPCI = json.loads((TERRITORY / "epci.json").read_text(encoding="utf-8"))
CARO_NAME = EPCI["nom_usuel"]
CARO_SIREN = EPCI["siren"]
CARO_SIRET = siret_of(CARO_SIREN)

# ---------------------------------------------------------------------------------------------
# Communes (real facts from the territory data) and places inside them
# ---------------------------------------------------------------------------------------------

POSTCODES = {
    "17004": "17123",
    "17036": "17620",
    "17065": "17870",
    "17075": "17430",
    "17083": "17620",
    "17146": "17620",
    "17168": "17450",
    "17184": "17620",
    "17205": "17870",
    "17216": "17430",
    "17237": "17780",
    "17246": "17430",
    "17253": "17430",
    "17299": "17300",
    "17308": "17620",
    "17320": "17430",
    "17329": "17780",
    "17346": "17430",
    "17348": "17620",
    "17353": "17450",
    "17375": "17780",
    "17429": "17780",
    "17449": "17430",
    "17463": "17300",
    "17484": "17730",
}

# Approximate village centres (lat, lon); the others use the outline's centroid.
CENTRES = {
    "17299": (45.9380, -0.9600),
    "17449": (45.9436, -0.8919),
    "17168": (45.9870, -1.0920),
    "17146": (45.8996, -0.9538),
    "17308": (45.8728, -0.9612),
    "17484": (45.9467, -1.0783),
    "17429": (45.9244, -1.0072),
    "17065": (45.9836, -0.9600),
    "17463": (45.9772, -1.0000),
    "17353": (45.9860, -1.0370),
    "17004": (46.0130, -1.1740),
    "17237": (45.8910, -1.0400),
    "17329": (45.9180, -1.0650),
    "17375": (45.9330, -1.0450),
    "17036": (45.8650, -1.0000),
    "17083": (45.8570, -0.9110),
    "17184": (45.8070, -0.9400),
    "17348": (45.8220, -0.9550),
    "17346": (45.9200, -0.8900),
    "17075": (45.9280, -0.8550),
    "17216": (45.9560, -0.8240),
    "17253": (46.0280, -0.8290),
    "17246": (45.9670, -0.8050),
    "17320": (45.9370, -0.7790),
}

# Named sites (lat, lon), snapped inside their commune when the simplified outline cuts them.
SITES = {
    "corderie": ("17299", 45.9403, -0.9550),
    "colbert": ("17299", 45.9368, -0.9610),
    "gare": ("17299", 45.9335, -0.9640),
    "thermes": ("17299", 45.9350, -0.9565),
    "theatre": ("17299", 45.9380, -0.9605),
    "port-plaisance": ("17299", 45.9335, -0.9525),
    "agglo": ("17299", 45.9480, -0.9640),
    "hopital": ("17299", 45.9525, -0.9745),
    "transbordeur-nord": ("17299", 45.9165, -0.9625),
    "beligon": ("17299", 45.9560, -0.9700),
    "fumee": ("17168", 46.0135, -1.1170),
    "fort-vauban": ("17168", 45.9905, -1.0960),
    "grande-plage": ("17168", 45.9845, -1.0880),
    "pont-suspendu": ("17449", 45.9455, -0.8870),
    "transbordeur-sud": ("17146", 45.9105, -0.9620),
    "aix-embarcadere": ("17004", 46.0110, -1.1730),
    "pdb-plage": ("17484", 45.9500, -1.0850),
}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    population: int
    siren: str
    siret: str
    postcode: str
    outline: BaseGeometry
    inner: BaseGeometry
    centre: tuple[float, float]

    @property
    def slug(self) -> str:
        return slugify(self.name)


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def load_communes() -> dict[str, Commune]:
    collection = json.loads((TERRITORY / "communes.geojson").read_text(encoding="utf-8"))
    communes = {}
    for feature in collection["features"]:
        props = feature["properties"]
        outline = shape(feature["geometry"])
        inner = outline.buffer(-0.0004)
        code = props["code_insee"]
        centre = CENTRES.get(code)
        if centre is None or not inner.contains(Point(centre[1], centre[0])):
            point = outline.centroid
            if not inner.contains(point):
                point = inner.representative_point()
            centre = (point.y, point.x)
        communes[code] = Commune(
            code=code,
            name=props["nom"],
            population=props["population"],
            siren=props["siren_commune"],
            siret=siret_of(props["siren_commune"]),
            postcode=POSTCODES[code],
            outline=outline,
            inner=inner,
            centre=centre,
        )
    return communes


COMMUNES = load_communes()
ALL_CODES = sorted(COMMUNES)


def place(code: str, lat: float, lon: float, rng: random.Random, radius_m: float) -> tuple:
    """A point (lat, lon rounded to 6 decimals) near (lat, lon), inside commune ``code``."""
    inner = COMMUNES[code].inner
    metres_lon = 111_320 * math.cos(math.radians(lat))
    for _ in range(300):
        candidate = Point(
            lon + rng.gauss(0, radius_m) / metres_lon, lat + rng.gauss(0, radius_m) / 111_320
        )
        if inner.contains(candidate):
            return round(candidate.y, 6), round(candidate.x, 6)
    snapped = nearest_points(inner, Point(lon, lat))[0]
    return round(snapped.y, 6), round(snapped.x, 6)


def near_centre(code: str, rng: random.Random, radius_m: float | None = None) -> tuple:
    if radius_m is None:
        radius_m = {"17299": 900.0, "17449": 450.0, "17168": 450.0}.get(code, 220.0)
    lat, lon = COMMUNES[code].centre
    return place(code, lat, lon, rng, radius_m)


def near_site(site: str, rng: random.Random, radius_m: float = 40.0) -> tuple:
    code, lat, lon = SITES[site]
    return place(code, lat, lon, rng, radius_m)


STREETS = {
    "17299": [
        "Rue de la République",
        "Avenue Charles de Gaulle",
        "Rue Pierre Loti",
        "Rue Audry de Puyravault",
        "Rue Jean Jaurès",
        "Rue Thiers",
        "Rue Chanzy",
        "Rue Toufaire",
        "Avenue La Fayette",
        "Rue Cochon-Duvivier",
        "Boulevard Pouzet",
        "Avenue du 11 Novembre 1918",
        "Rue du Docteur Peltier",
        "Rue Grimaux",
        "Avenue du Président Wilson",
        "Rue de l'Arsenal",
        "Quai aux Vivres",
        "Rue Lesson",
        "Boulevard Édouard Herriot",
        "Avenue Maurice Chupin",
        "Rue Bazeilles",
        "Cours Roy-Bry",
        "Rue Victor Hugo",
        "Avenue de Béligon",
    ],
    "17449": [
        "Rue de la République",
        "Quai de la Libération",
        "Avenue d'Aunis",
        "Rue Alsace-Lorraine",
        "Rue du Port",
        "Avenue Jean Jaurès",
        "Rue Pasteur",
        "Rue Carnot",
        "Rue du Pont Suspendu",
        "Rue des Écoles",
    ],
    "17168": [
        "Avenue du Bois Vert",
        "Boulevard de Chaterny",
        "Avenue de la Pointe de la Fumée",
        "Rue de la Halle",
        "Avenue du Cadoret",
        "Boulevard Allard",
        "Rue du Général Bruncher",
        "Rue de la Mairie",
        "Rue du Fort Vauban",
    ],
    "17146": [
        "Rue du Pont Transbordeur",
        "Rue de la Mairie",
        "Avenue de l'Europe",
        "Rue des Écoles",
        "Rue du Moulin",
        "Route de Saint-Agnant",
    ],
    "17004": ["Rue Gourgaud", "Place d'Austerlitz", "Rue Napoléon", "Chemin de la Baie"],
    "17484": ["Rue de la Plage", "Avenue de l'Île Madame", "Rue du Port", "Place de l'Église"],
    "17308": ["Avenue de Rochefort", "Rue de la Mairie", "Rue des Écoles", "Route de Marennes"],
    "17429": ["Rue de l'Église", "Rue de la Charente", "Rue des Écoles", "Route de Moëze"],
}
GENERIC_STREETS = [
    "Rue de la Mairie",
    "Place de l'Église",
    "Rue des Écoles",
    "Route de Rochefort",
    "Rue du Stade",
    "Chemin des Marais",
    "Grande Rue",
    "Rue du Moulin",
    "Impasse des Tilleuls",
    "Rue des Acacias",
    "Rue de la Charente",
]


def streets(code: str) -> list[str]:
    return STREETS.get(code, GENERIC_STREETS)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_csv(
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    delimiter: str,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> int:
    count = 0
    with (OUT / name).open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def money(value: float) -> str:
    return f"{value:.2f}"


def iso(day: dt.date) -> str:
    return day.isoformat()


def boolean(value: bool) -> str:
    return "true" if value else "false"


def geopoint(lat: float, lon: float) -> str:
    return f"[{lon},{lat}]"


def table(text: str) -> list[list[Any]]:
    """Rows of a " | "-separated text table; "-" is an empty cell, "#" starts a comment."""
    rows = []
    for line in text.strip().splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([None if c.strip() == "-" else c.strip() for c in line.split("|")])
    return rows


# ---------------------------------------------------------------------------------------------
# 1. Délibérations du conseil communautaire (SCDL deliberations 2.1.5)
# ---------------------------------------------------------------------------------------------

# Nomenclature ACTES, level 2 (code -> "Matière/Sous-matière").
ACTES = {
    "1.1": "Commande publique/Marchés publics",
    "1.2": "Commande publique/Délégation de service public",
    "1.4": "Commande publique/Autres types de contrats",
    "2.1": "Urbanisme/Documents d'urbanisme",
    "2.3": "Urbanisme/Droit de préemption urbain",
    "3.1": "Domaine et patrimoine/Acquisitions",
    "3.2": "Domaine et patrimoine/Aliénations",
    "3.3": "Domaine et patrimoine/Locations",
    "3.5": "Domaine et patrimoine/Autres actes de gestion du domaine public",
    "4.1": "Fonction publique/Personnels titulaires et stagiaires de la F.P.T.",
    "4.2": "Fonction publique/Personnels contractuels",
    "4.5": "Fonction publique/Régime indemnitaire",
    "5.1": "Institutions et vie politique/Election exécutif",
    "5.2": "Institutions et vie politique/Fonctionnement des assemblées",
    "5.3": "Institutions et vie politique/Désignation de représentants",
    "5.4": "Institutions et vie politique/Délégation de fonctions",
    "5.6": "Institutions et vie politique/Exercice des mandats locaux",
    "5.7": "Institutions et vie politique/Intercommunalité",
    "7.1": "Finances locales/Décisions budgétaires",
    "7.2": "Finances locales/Fiscalité",
    "7.3": "Finances locales/Emprunts",
    "7.4": "Finances locales/Interventions économiques",
    "7.5": "Finances locales/Subventions",
    "7.6": "Finances locales/Contributions budgétaires",
    "7.8": "Finances locales/Fonds de concours",
    "7.10": "Finances locales/Divers",
    "8.1": "Domaines de compétences par thèmes/Enseignement",
    "8.2": "Domaines de compétences par thèmes/Aide sociale",
    "8.3": "Domaines de compétences par thèmes/Voirie",
    "8.4": "Domaines de compétences par thèmes/Aménagement du territoire",
    "8.5": "Domaines de compétences par thèmes/Politique de la ville-habitat-logement",
    "8.6": "Domaines de compétences par thèmes/Emploi-formation professionnelle",
    "8.7": "Domaines de compétences par thèmes/Transports",
    "8.8": "Domaines de compétences par thèmes/Environnement",
    "8.9": "Domaines de compétences par thèmes/Culture",
    "9.1": "Autres domaines de compétences/Autres domaines de compétences des communes",
    "9.4": "Autres domaines de compétences/Voeux et motions",
}

SESSIONS = [
    dt.date(2024, 2, 8),
    dt.date(2024, 3, 28),
    dt.date(2024, 5, 23),
    dt.date(2024, 7, 4),
    dt.date(2024, 9, 26),
    dt.date(2024, 11, 14),
    dt.date(2024, 12, 12),
    dt.date(2025, 2, 6),
    dt.date(2025, 3, 27),
    dt.date(2025, 5, 22),
    dt.date(2025, 6, 26),
    dt.date(2025, 9, 25),
    dt.date(2025, 11, 13),
    dt.date(2025, 12, 11),
    dt.date(2026, 2, 5),
    dt.date(2026, 3, 5),
    dt.date(2026, 4, 16),
    dt.date(2026, 5, 28),
    dt.date(2026, 7, 2),
    dt.date(2026, 9, 24),
    dt.date(2026, 10, 22),
]
COUNCIL_SEATS = 55
INSTALLATION = dt.date(2026, 4, 16)

# Decisions that may come up at any session: code | objet | budget | "contesté" when the
# opposition votes against.
DELIB_POOL = table("""
1.1 | Groupement de commandes pour l'achat d'électricité et de gaz avec les communes \
membres - adhésion | - | -
1.1 | Accord-cadre de travaux d'entretien des voiries des parcs d'activités - autorisation \
de signature | Budget principal | -
1.1 | Marché de fourniture de conteneurs d'apport volontaire - autorisation de signature \
| Budget principal | -
1.2 | Délégation de service public du stationnement - avenant n° {n} au contrat | - | contesté
1.4 | Convention d'objectifs avec l'Office de tourisme intercommunal | - | -
2.1 | Avis sur le projet de modification du plan local d'urbanisme de {commune} | - | -
2.3 | Délégation du droit de préemption urbain à la commune de {commune} | - | -
3.1 | Acquisition de parcelles au parc d'activités de Béligon à Rochefort \
| Budget annexe Parcs d'activités | -
3.2 | Cession d'un terrain au parc d'activités de Béligon à une entreprise artisanale \
| Budget annexe Parcs d'activités | -
3.3 | Conventions d'occupation des bureaux de la pépinière d'entreprises - tarifs | - | -
3.5 | Convention d'occupation du domaine public pour l'installation de bornes de recharge à \
{commune} | - | -
4.1 | Modification du tableau des effectifs | - | -
4.2 | Création d'emplois non permanents pour accroissement saisonnier d'activité | - | -
4.5 | Mise à jour du régime indemnitaire (RIFSEEP) | - | -
5.3 | Désignation d'un représentant au conseil d'administration du collège de {commune} | - | -
5.7 | Modification des statuts de la communauté d'agglomération | - | contesté
7.3 | Garantie d'emprunt accordée à un bailleur social pour {k} logements à {commune} | - | -
7.4 | Aide à l'immobilier d'entreprise - entreprise installée à {commune} | Budget principal | -
7.6 | Contribution annuelle au syndicat mixte de gestion des marais | Budget principal | -
7.8 | Attribution d'un fonds de concours à la commune de {commune} pour la rénovation de son \
école | Budget principal | -
7.8 | Attribution d'un fonds de concours à la commune de {commune} pour l'éclairage public \
| Budget principal | -
8.2 | Convention de partenariat avec le centre intercommunal d'action sociale \
| Budget principal | -
8.3 | Programme annuel d'entretien des voiries d'intérêt communautaire | Budget principal | -
8.4 | Opération de revitalisation de territoire - avenant à la convention | - | -
8.5 | Aides à l'amélioration de l'habitat privé - attribution de subventions \
| Budget principal | -
8.6 | Convention avec la mission locale pour l'insertion des jeunes | Budget principal | -
8.7 | Tarification du réseau de transport urbain au 1er septembre | - | contesté
8.7 | Aide à l'achat de vélos à assistance électrique - reconduction du dispositif \
| Budget principal | -
8.7 | Schéma directeur cyclable - programme de travaux | Budget principal | -
8.8 | Programme d'actions de prévention des inondations (PAPI) - avenant | Budget principal | -
8.8 | Redevance spéciale pour les déchets non ménagers - tarifs | - | contesté
8.8 | Plan climat-air-énergie territorial - bilan à mi-parcours | - | -
8.9 | Conservatoire de musique et de danse - tarifs de l'année scolaire | - | -
8.9 | Réseau des médiathèques - règlement intérieur commun | - | -
9.1 | Adhésion à l'association des collectivités pour la transition numérique \
| Budget principal | -
""")


@dataclass
class Delib:
    day: dt.date
    code: str
    objet: str
    budget: str | None = None
    contested: bool = False
    no_vote: bool = False
    delib_id: str = ""


def fixed_delibs(day: dt.date, previous: dt.date | None) -> list[Delib]:
    y = day.year
    items = []
    if previous is not None and day != INSTALLATION:
        items.append(
            Delib(day, "5.2", f"Approbation du procès-verbal de la séance du {fr_date(previous)}")
        )
    if day.month == 2:
        items.append(
            Delib(
                day,
                "7.1",
                f"Rapport d'orientation budgétaire {y} - prise d'acte du débat",
                no_vote=True,
            )
        )
        items.append(
            Delib(
                day,
                "8.8",
                f"Rapport {y} sur la situation en matière de développement durable",
                no_vote=True,
            )
        )
    if (day.month == 3 and y < 2026) or day == dt.date(2026, 3, 5):
        items += [
            Delib(
                day,
                "7.1",
                f"Budget principal - vote du budget primitif {y}",
                "Budget principal",
                contested=True,
            ),
            Delib(
                day,
                "7.1",
                f"Budget annexe Transports - vote du budget primitif {y}",
                "Budget annexe Transports",
            ),
            Delib(day, "7.2", f"Vote des taux de fiscalité directe locale {y}", "Budget principal"),
            Delib(
                day,
                "7.2",
                f"Taxe d'enlèvement des ordures ménagères - taux {y}",
                "Budget principal",
                contested=True,
            ),
            Delib(
                day,
                "7.2",
                f"Taxe pour la gestion des milieux aquatiques et la prévention des"
                f" inondations - produit {y}",
                "Budget principal",
            ),
        ]
    if day.month == 3 and y < 2026:
        items.append(
            Delib(
                day,
                "7.5",
                f"Subventions {y} aux associations sportives et culturelles - première répartition",
                "Budget principal",
            )
        )
    if day.month in (6, 7) and y < 2026 or day == dt.date(2026, 5, 28):
        items.append(
            Delib(
                day,
                "7.1",
                f"Budget principal - approbation du compte financier unique {y - 1}",
                "Budget principal",
            )
        )
    if day == dt.date(2025, 6, 26):
        items.append(
            Delib(
                day,
                "7.5",
                "Subventions 2025 aux associations de solidarité et"
                " d'animation locale - deuxième répartition",
                "Budget principal",
            )
        )
    if day.month == 9:
        items += [
            Delib(
                day,
                "5.7",
                f"Rapport d'activité {y - 1} de la communauté d'agglomération",
                no_vote=True,
            ),
            Delib(
                day,
                "1.2",
                f"Délégation de service public du stationnement - rapport annuel"
                f" {y - 1} du délégataire",
                no_vote=True,
            ),
        ]
    if day == dt.date(2025, 9, 25):
        items.append(
            Delib(
                day,
                "7.5",
                "Subventions 2025 aux associations d'environnement et de"
                " mobilité - troisième répartition",
                "Budget principal",
            )
        )
    if day.month == 11:
        items.append(
            Delib(
                day,
                "7.1",
                f"Budget principal - décision modificative n° 2 de {y}",
                "Budget principal",
            )
        )
    if day.month == 12:
        items += [
            Delib(
                day,
                "7.10",
                f"Tarifs {y + 1} des équipements et services communautaires",
                "Budget principal",
            ),
            Delib(
                day,
                "7.1",
                f"Ouverture de crédits d'investissement avant le vote du budget {y + 1}",
                "Budget principal",
            ),
        ]
    if day == INSTALLATION:
        items += [
            Delib(day, "5.1", "Installation du conseil communautaire et élection du président"),
            Delib(day, "5.1", "Détermination du nombre de vice-présidents"),
            Delib(day, "5.1", "Élection des vice-présidents"),
            Delib(day, "5.4", "Délégations d'attributions du conseil communautaire au président"),
            Delib(
                day,
                "5.6",
                "Indemnités de fonction du président et des vice-présidents",
                "Budget principal",
            ),
            Delib(day, "5.2", "Adoption du règlement intérieur du conseil communautaire"),
        ]
    if day == dt.date(2026, 5, 28):
        items.append(
            Delib(
                day,
                "5.3",
                "Désignation des représentants de la communauté"
                " d'agglomération dans les organismes extérieurs",
            )
        )
    if day == dt.date(2025, 12, 11):
        items.append(
            Delib(
                day,
                "9.4",
                "Motion pour le maintien de la desserte ferroviaire de Rochefort",
            )
        )
    return items


FR_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
)


def fr_date(day: dt.date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {FR_MONTHS[day.month - 1]} {day.year}"


def make_deliberations() -> tuple[list[Delib], dict[str, Delib]]:
    rng = rng_for("deliberations")
    communes = [c.name for c in COMMUNES.values()]
    all_delibs: list[Delib] = []
    previous = None
    avenant = 3
    used_objets: set[tuple[str, int]] = set()
    for day in SESSIONS:
        items = fixed_delibs(day, previous)
        target = rng.randint(5, 7) if day != INSTALLATION else len(items)
        pool = list(DELIB_POOL)
        rng.shuffle(pool)
        for code, objet, budget, vote in pool:
            if len(items) >= target:
                break
            if "{n}" in objet:
                objet = objet.format(n=avenant)
                avenant += 1
            text = objet.format(commune=rng.choice(communes), k=rng.choice((12, 18, 24, 32)))
            if (text, day.year) in used_objets:
                continue
            used_objets.add((text, day.year))
            items.append(Delib(day, code, text, budget, contested=vote == "contesté"))
        all_delibs += items
        previous = day
    counters: Counter[int] = Counter()
    for delib in all_delibs:
        counters[delib.day.year] += 1
        delib.delib_id = f"DL{delib.day.year}_{counters[delib.day.year]:03d}"
    subsidy_decisions = {
        key: next(d for d in all_delibs if d.code == "7.5" and d.day == day)
        for key, day in (
            ("sport-culture", dt.date(2025, 3, 27)),
            ("social-animation", dt.date(2025, 6, 26)),
            ("environnement", dt.date(2025, 9, 25)),
        )
    }
    return all_delibs, subsidy_decisions


def budget_year(delib: Delib) -> str:
    """The budget year a decision applies to (the next one for December tariffs and credits)."""
    if delib.day.month == 12 and delib.code in ("7.10", "7.1"):
        return str(delib.day.year + 1)
    if "compte financier unique" in delib.objet:
        return str(delib.day.year - 1)
    if "Programme d'actions de prévention" in delib.objet:
        return f"{delib.day.year}/{delib.day.year + 1}"
    return str(delib.day.year)


def write_deliberations(delibs: list[Delib]) -> int:
    rng = rng_for("deliberations-votes")
    rows = []
    present_by_day: dict[dt.date, int] = {}
    for delib in delibs:
        present = present_by_day.setdefault(delib.day, rng.randint(41, 53))
        present = max(present - (1 if rng.random() < 0.25 else 0), 30)
        if delib.no_vote:
            votes: list[Any] = [None] * 5
        elif delib.code == "5.1" and "président" in delib.objet and "vice" not in delib.objet:
            blank = rng.randint(1, 4)
            other = rng.randint(8, 14)
            votes = [COUNCIL_SEATS, present, present - other - blank, other, blank]
        else:
            against = rng.randint(3, 9) if delib.contested else (1 if rng.random() < 0.08 else 0)
            abstention = (
                rng.randint(0, 5)
                if delib.contested
                else (rng.randint(1, 3) if rng.random() < 0.12 else 0)
            )
            votes = [COUNCIL_SEATS, present, present - against - abstention, against, abstention]
        pref_date = delib.day + dt.timedelta(days=rng.randint(1, 6))
        budget_annee = budget_year(delib) if delib.budget else None
        rows.append(
            [
                CARO_NAME,
                CARO_SIRET,
                delib.delib_id,
                iso(delib.day),
                delib.code,
                ACTES[delib.code],
                delib.objet,
                budget_annee,
                delib.budget,
                "SPREF0172",
                iso(pref_date),
                *votes,
                f"https://actes.{DEMO_HOST}/caro/deliberations/{delib.day.year}/"
                f"{delib.delib_id}.pdf",
            ]
        )
    header = (
        "COLL_NOM COLL_SIRET DELIB_ID DELIB_DATE DELIB_MATIERE_CODE DELIB_MATIERE_NOM DELIB_OBJET"
        " BUDGET_ANNEE BUDGET_NOM PREF_ID PREF_DATE VOTE_EFFECTIF VOTE_REEL VOTE_POUR VOTE_CONTRE"
        " VOTE_ABSTENTION DELIB_URL"
    ).split()
    return write_csv("deliberations.csv", header, rows, ";")


# ---------------------------------------------------------------------------------------------
# 2. Subventions 2025 aux associations (SCDL subventions 2.1.1)
# ---------------------------------------------------------------------------------------------

# name | commune | category | amount min | max | purpose of the grant
ASSOCIATIONS = table("""
Rochefort Océan Natation | 17299 | sport | 4000 | 15000 | école de natation
Cercle nautique de Fouras | 17168 | sport | 2500 | 9000 | école de voile
Tonnay-Charente Basket Club | 17449 | sport | 2000 | 8000 | équipes de jeunes
US Échillais Football | 17146 | sport | 1500 | 6000 | école de football
Handball Club du Pays Rochefortais | 17299 | sport | 3000 | 12000 | équipes de jeunes
Rochefort Athlétisme Océan | 17299 | sport | 2000 | 7000 | meeting d'athlétisme
Aviron rochefortais | 17299 | sport | 1500 | 6000 | aviron sur la Charente
Tennis Club de Tonnay-Charente | 17449 | sport | 1000 | 4000 | tournoi open
Judo Club de Saint-Agnant | 17308 | sport | 800 | 3000 | activités des jeunes
Les Cyclos du Marais | 17253 | sport | 500 | 1500 | randonnée des marais
Club de voile de Port-des-Barques | 17484 | sport | 1500 | 5000 | stages d'été
Gymnastique volontaire de Soubise | 17429 | sport | 500 | 1500 | sport santé
Pétanque breuillaise | 17065 | sport | 400 | 1200 | concours régional
Rochefort Océan Triathlon | 17299 | sport | 1500 | 5000 | triathlon de Rochefort
Association sportive de Vergeroux | 17463 | sport | 500 | 2000 | activités de loisirs
Escrime Rochefort Océan | 17299 | sport | 1000 | 4000 | escrime handisport
Kayak Club de la Charente | 17375 | sport | 1000 | 3500 | descente de la Charente
Football Club des Marais | 17353 | sport | 1000 | 4000 | école de football
Randonneurs de l'Estuaire | 17484 | sport | 300 | 1000 | balisage des sentiers
Basket Club fourasin | 17168 | sport | 1000 | 4000 | équipes de jeunes
Rugby Club de l'Estuaire | 17449 | sport | 2500 | 9000 | école de rugby
Handisport Rochefort Océan | 17299 | sport | 1000 | 3500 | pratique handisport
Festival des arts de la rue du Pays rochefortais | 17299 | culture | 15000 | 40000 \
| festival des arts de la rue
Chorale Les Voix de la Charente | 17449 | culture | 500 | 1500 | concert annuel
Ciné-club rochefortais | 17299 | culture | 1000 | 3500 | cycle de projections
Compagnie théâtrale du Bout du Quai | 17299 | culture | 2000 | 8000 | création théâtrale
Jazz en Charente | 17449 | culture | 3000 | 12000 | festival de jazz
Les Amis de la Corderie | 17299 | culture | 1000 | 4000 | visites patrimoniales
Association des amis du pont transbordeur | 17146 | culture | 1000 | 3000 \
| journées du patrimoine
École de musique intercommunale des Marais | 17065 | culture | 5000 | 15000 \
| enseignement musical
Photo Club rochefortais | 17299 | culture | 400 | 1200 | exposition annuelle
Atelier Terre et Feu | 17429 | culture | 400 | 1200 | ateliers de céramique
Les Tréteaux de Fouras | 17168 | culture | 800 | 3000 | saison théâtrale
Harmonie de Tonnay-Charente | 17449 | culture | 1500 | 5000 | concerts populaires
Festival Les Nuits de l'Arsenal | 17299 | culture | 10000 | 30000 | festival d'été
Cercle généalogique de l'Estuaire | 17375 | culture | 300 | 900 | numérisation des registres
Lire à Saint-Agnant | 17308 | culture | 400 | 1500 | salon du livre jeunesse
Épicerie solidaire du Pays rochefortais | 17299 | social | 8000 | 25000 | aide alimentaire
Secours solidaire de Tonnay-Charente | 17449 | social | 2000 | 6000 | aide alimentaire
Aide à domicile Rochefort Océan | 17299 | social | 10000 | 35000 | maintien à domicile
Maison des aidants de l'Estuaire | 17146 | social | 3000 | 9000 | soutien aux aidants
Accueil de jour Les Mouettes | 17299 | social | 5000 | 15000 | accueil de jour
Centre social et culturel des Marais | 17253 | social | 8000 | 22000 | animation sociale
Chantiers d'insertion de l'Arsenal | 17299 | social | 10000 | 30000 | chantier d'insertion
Foyer rural de Saint-Hippolyte | 17346 | social | 800 | 2500 | animation rurale
Foyer rural de Champagne | 17083 | social | 500 | 2000 | animation rurale
Les P'tits Loups de Cabariot | 17075 | social | 2000 | 7000 | crèche parentale
Mission emploi jeunes de l'Estuaire | 17299 | social | 8000 | 20000 \
| accompagnement vers l'emploi
Entraide fourasine | 17168 | social | 1000 | 4000 | aide aux familles
Point information jeunesse de Soubise | 17429 | social | 1500 | 5000 | information jeunesse
Les Amis des marais de Rochefort | 17299 | environnement | 1000 | 4000 | sorties nature
Nature Environnement Estuaire | 17484 | environnement | 2000 | 7000 | sensibilisation à l'estran
Observatoire des oiseaux de Moëze | 17237 | environnement | 1500 | 5000 \
| comptages ornithologiques
Rochefort à vélo (démo) | 17299 | environnement | 1500 | 4000 | fête du vélo 2025
Compost'Océan | 17449 | environnement | 1000 | 4000 | compostage partagé
Les Jardiniers de Vergeroux | 17463 | environnement | 400 | 1200 | jardin partagé
Estuaire Propre | 17168 | environnement | 800 | 2500 | ramassage des déchets sur les plages
Conservatoire des races locales des Marais | 17205 | environnement | 1000 | 3500 \
| sauvegarde des races locales
Repair Café du Pays rochefortais | 17299 | environnement | 500 | 1500 | ateliers de réparation
Vergers conservatoires de Saintonge | 17320 | environnement | 500 | 1500 | verger conservatoire
Apiculteurs de l'Estuaire | 17346 | environnement | 300 | 1000 | rucher pédagogique
Pêcheurs à pied de Port-des-Barques | 17484 | environnement | 300 | 1000 | pêche à pied durable
Comité des fêtes de Fouras | 17168 | animation | 2000 | 7000 | fête de la mer
Comité des fêtes de Saint-Nazaire-sur-Charente | 17375 | animation | 500 | 2000 | fête de village
Les Amis de l'île d'Aix | 17004 | animation | 800 | 3000 | animations estivales
Union des commerçants de Rochefort | 17299 | animation | 3000 | 9000 | animations de Noël
Comité de jumelage de Tonnay-Charente | 17449 | animation | 800 | 2500 | échanges européens
Comité des fêtes de Muron | 17253 | animation | 400 | 1500 | fête de village
""")
# Grant decision (session of the conseil communautaire) by category.
DECISION_OF = {
    "sport": "sport-culture",
    "culture": "sport-culture",
    "social": "social-animation",
    "animation": "social-animation",
    "environnement": "environnement",
}
# Functional code (M57) of the budget line that funds each category.
FUNCTION_OF = {
    "sport": "32",
    "culture": "311",
    "social": "42",
    "animation": "024",
    "environnement": "76",
}


@dataclass
class Grant:
    name: str
    commune: str
    category: str
    amount: float


def write_subventions(decisions: dict[str, Delib]) -> tuple[int, list[Grant]]:
    rng = rng_for("subventions")
    used: set[str] = set()
    rows = []
    grants = []
    rna_numbers = rng.sample(range(100_000, 999_999), len(ASSOCIATIONS))
    for index, (name, commune, category, low_text, high_text, purpose) in enumerate(ASSOCIATIONS):
        low, high = int(low_text), int(high_text)
        has_siret = rng.random() < 0.75
        siret = siret_of(fake_siren(rng, used, rng.choice("3457")), rng.randint(10, 40))
        rna = f"W173{rna_numbers[index]:06d}"
        decision = decisions[DECISION_OF[category]]
        lines = [("fonctionnement", purpose)]
        if high >= 5000 and rng.random() < 0.3:
            lines.append(("projet", purpose))
        for kind, text in lines:
            base = rng.uniform(low, high) * (0.35 if kind == "projet" else 1.0)
            amount = round(base / 50) * 50 if base > 1000 else round(base / 10) * 10
            convention = decision.day + dt.timedelta(days=rng.randint(10, 45))
            staggered = amount >= 23000
            objet = (
                f"Subvention de fonctionnement 2025 - {text}"
                if kind == "fonctionnement"
                else f"Subvention de projet 2025 - {text}"
            )
            in_kind = category in ("animation", "culture") and rng.random() < 0.2
            rows.append(
                [
                    CARO_NAME,
                    CARO_SIRET,
                    iso(convention),
                    decision.delib_id,
                    name,
                    siret if has_siret else None,
                    rna if (not has_siret or rng.random() < 0.5) else None,
                    objet,
                    money(amount),
                    "aide en numéraire;aide en nature" if in_kind else "aide en numéraire",
                    "échelonné" if staggered else "unique",
                    (
                        f"{iso(convention)}/2025-12-31"
                        if staggered
                        else iso(convention + dt.timedelta(days=rng.randint(15, 40)))
                    ),
                    None,
                    "non",
                    "1.00",
                    None,
                ]
            )
            grants.append(Grant(name, commune, category, amount))
    header = (
        "nomAttribuant idAttribuant dateConvention referenceDecision nomBeneficiaire"
        " idBeneficiaire rnaBeneficiaire objet montant nature conditionsVersement"
        " datesPeriodeVersement idRAE notificationUE pourcentageSubvention dispositifAide"
    ).split()
    rows.sort(key=lambda row: (row[2], row[4]))
    return write_csv("subventions-2025.csv", header, rows, ";"), grants


# ---------------------------------------------------------------------------------------------
# 3. Équipements collectifs publics (SCDL equipements 0.1.5)
# ---------------------------------------------------------------------------------------------

# type | EQUIP_THEME | 8-digit code (family numbering of the nomenclature; the lower levels
# are illustrative) | ERP type | ERP category | opening hours
EQUIP_TYPES = {
    row[0]: row[1:]
    for row in table("""
Mairie | Equipement administratif | 01010401 | W | 5 | Mo-Fr 08:30-12:00,13:30-17:30
Siège administratif | Equipement administratif | 01010201 | W | 4 \
| Mo-Fr 08:30-12:30,13:30-17:30
Piscine | Equipement sportif et de loisirs | 05010301 | X | 3 \
| Mo-Fr 12:00-14:00,17:00-20:00; Sa,Su 09:00-12:30,14:00-18:00
Piscine de plein air | Equipement sportif et de loisirs | 05010302 | PA | 4 \
| Jun-Aug 10:30-19:00
Gymnase | Equipement sportif et de loisirs | 05010101 | X | 4 | Mo-Su 08:00-22:00
Complexe sportif | Equipement sportif et de loisirs | 05010201 | PA;X | 3 | Mo-Su 08:00-22:00
Médiathèque | Equipement culturel | 08010201 | S | 3 | Tu,Th,Fr 14:00-18:30; We,Sa 10:00-18:00
Bibliothèque | Equipement culturel | 08010202 | S | 5 | We 14:00-18:00; Sa 10:00-12:30
Conservatoire | Equipement culturel | 08020101 | R | 4 | Mo-Fr 13:30-20:30; Sa 09:00-13:00
Théâtre | Equipement culturel | 08030101 | L | 2 | -
École maternelle | Equipement d'enseignement | 06010101 | R | 5 | Mo,Tu,Th,Fr 08:30-16:30
École élémentaire | Equipement d'enseignement | 06010201 | R | 4 | Mo,Tu,Th,Fr 08:30-16:30
Salle des fêtes | Equipement social et d'animation | 04020101 | L | 4 | -
Centre social | Equipement social et d'animation | 04010101 | L;W | 4 \
| Mo-Fr 09:00-12:30,14:00-18:00
Centre de santé | Equipement sanitaire | 03010101 | U | 5 | Mo-Fr 08:00-19:00
Déchèterie | Autre équipement | 10010101 | - | - | Mo-Sa 09:00-12:00,14:00-18:00
Pôle d'échanges multimodal | Equipement de mobilité | 09010101 | GA | 3 | Mo-Su 05:30-22:00
Gare maritime | Equipement de mobilité | 09020101 | GA | 4 | Apr-Oct 07:30-20:00
Capitainerie | Equipement de mobilité | 09020201 | W | 5 | Mo-Sa 08:30-12:00,14:00-18:00
""")
}

# commune | type | name | named site | street | number ("99999": no number); the CARO's own
# facilities and Rochefort first.
EQUIPMENTS = table("""
17299 | Siège administratif | Hôtel d'agglomération Rochefort Océan | agglo \
| Avenue Maurice Chupin | 3
17299 | Mairie | Hôtel de ville de Rochefort | colbert | Rue de la République | 1
17299 | Piscine | Centre aquatique communautaire de Rochefort | - | Boulevard Édouard Herriot | 40
17299 | Médiathèque | Médiathèque de Rochefort | - | Rue Toufaire | 12
17299 | Conservatoire | Conservatoire de musique et de danse Rochefort Océan | - | Rue Lesson | 25
17299 | Théâtre | Théâtre de la Coupe d'Or | theatre | Rue de la République | 101
17299 | Gymnase | Gymnase Jean Jaurès | - | Rue Jean Jaurès | 58
17299 | Gymnase | Gymnase du Polygone | - | Avenue La Fayette | 99
17299 | Complexe sportif | Complexe sportif de Béligon | beligon | Avenue de Béligon | 10
17299 | École élémentaire | École élémentaire de la Libération | - | Avenue du 11 Novembre 1918 | 14
17299 | École élémentaire | École élémentaire Herriot | - | Boulevard Édouard Herriot | 7
17299 | École maternelle | École maternelle Zola | - | Rue Bazeilles | 22
17299 | École maternelle | École maternelle Chanzy | - | Rue Chanzy | 5
17299 | Centre social | Maison de quartier du centre-ville | - | Rue Thiers | 31
17299 | Centre de santé | Centre de santé municipal | - | Rue du Docteur Peltier | 9
17299 | Déchèterie | Déchèterie communautaire de Rochefort | beligon | Avenue de Béligon | 99999
17299 | Pôle d'échanges multimodal | Pôle d'échanges de la gare de Rochefort | gare \
| Avenue du Président Wilson | 2
17299 | Capitainerie | Capitainerie du port de plaisance | port-plaisance | Quai aux Vivres | 1
17449 | Mairie | Mairie de Tonnay-Charente | - | Rue de la République | 50
17449 | Piscine de plein air | Piscine d'été de Tonnay-Charente | - | Rue Pasteur | 18
17449 | Gymnase | Gymnase communautaire de Tonnay-Charente | - | Avenue d'Aunis | 41
17449 | École élémentaire | École élémentaire Jean Jaurès | - | Avenue Jean Jaurès | 12
17449 | Médiathèque | Médiathèque de Tonnay-Charente | pont-suspendu | Quai de la Libération | 8
17449 | Déchèterie | Déchèterie communautaire de Tonnay-Charente | - | Avenue d'Aunis | 99999
17449 | Salle des fêtes | Salle des fêtes de Tonnay-Charente | - | Rue Carnot | 3
17168 | Mairie | Mairie de Fouras | - | Rue de la Mairie | 1
17168 | Médiathèque | Médiathèque de Fouras | - | Rue de la Halle | 6
17168 | Salle des fêtes | Salle des fêtes de Fouras | - | Avenue du Bois Vert | 20
17168 | École élémentaire | École élémentaire de Fouras | - | Avenue du Cadoret | 15
17168 | Gare maritime | Gare maritime de la Pointe de la Fumée | fumee \
| Avenue de la Pointe de la Fumée | 99999
17168 | Déchèterie | Déchèterie communautaire de Fouras | - | Boulevard de Chaterny | 99999
17146 | Mairie | Mairie d'Échillais | - | Rue de la Mairie | 2
17146 | École élémentaire | École élémentaire d'Échillais | - | Rue des Écoles | 4
17146 | Salle des fêtes | Salle des fêtes d'Échillais | - | Avenue de l'Europe | 9
17146 | Gymnase | Gymnase d'Échillais | - | Route de Saint-Agnant | 30
17308 | Mairie | Mairie de Saint-Agnant | - | Rue de la Mairie | 1
17308 | École élémentaire | École élémentaire de Saint-Agnant | - | Rue des Écoles | 6
17308 | Gymnase | Gymnase communautaire de Saint-Agnant | - | Avenue de Rochefort | 27
17308 | Déchèterie | Déchèterie communautaire de Saint-Agnant | - | Route de Marennes | 99999
17484 | Mairie | Mairie de Port-des-Barques | - | Place de l'Église | 1
17484 | École élémentaire | École de Port-des-Barques | - | Rue du Port | 10
17484 | Salle des fêtes | Salle des fêtes de Port-des-Barques | - | Rue de la Plage | 2
17429 | Mairie | Mairie de Soubise | - | Rue de l'Église | 1
17429 | École élémentaire | École de Soubise | - | Rue des Écoles | 3
17429 | Bibliothèque | Bibliothèque de Soubise | - | Rue de la Charente | 7
17065 | Mairie | Mairie de Breuil-Magné | - | Rue de la Mairie | 2
17065 | École élémentaire | École de Breuil-Magné | - | Rue des Écoles | 5
17065 | Salle des fêtes | Salle des fêtes de Breuil-Magné | - | Rue du Stade | 1
17463 | Mairie | Mairie de Vergeroux | - | Rue de la Mairie | 1
17463 | École élémentaire | École de Vergeroux | - | Rue des Écoles | 2
17353 | Mairie | Mairie de Saint-Laurent-de-la-Prée | - | Rue de la Mairie | 1
17353 | École élémentaire | École de Saint-Laurent-de-la-Prée | - | Rue des Écoles | 4
17253 | Mairie | Mairie de Muron | - | Rue de la Mairie | 3
17253 | École élémentaire | École de Muron | - | Rue des Écoles | 6
17253 | Salle des fêtes | Salle des fêtes de Muron | - | Rue du Stade | 2
17346 | Mairie | Mairie de Saint-Hippolyte | - | Rue de la Mairie | 1
17075 | Mairie | Mairie de Cabariot | - | Rue de la Mairie | 1
17216 | Mairie | Mairie de Lussant | - | Grande Rue | 2
17246 | Mairie | Mairie de Moragne | - | Rue de la Mairie | 1
17320 | Mairie | Mairie de Saint-Coutant-le-Grand | - | Place de l'Église | 1
17205 | Mairie | Mairie de Loire-les-Marais | - | Rue de la Mairie | 4
17036 | Mairie | Mairie de Beaugeay | - | Rue de la Mairie | 1
17083 | Mairie | Mairie de Champagne | - | Grande Rue | 5
17184 | Mairie | Mairie de La Gripperie-Saint-Symphorien | - | Place de l'Église | 1
17237 | Mairie | Mairie de Moëze | - | Rue de la Mairie | 2
17329 | Mairie | Mairie de Saint-Froult | - | Rue de la Mairie | 1
17375 | Mairie | Mairie de Saint-Nazaire-sur-Charente | - | Rue de la Charente | 8
""")
# The schema's ADR_COMMUNE pattern rejects apostrophes: Île-d'Aix and Saint-Jean-d'Angle
# (17004, 17348) cannot be written in a valid file, so their facilities are left out.
EQUIPMENT_EXCLUDED_COMMUNES = ("17004", "17348")


@dataclass
class Equipment:
    uid: str
    code: str
    kind: str
    name: str
    street: str
    lat: float
    lon: float


def make_equipments() -> list[Equipment]:
    rng = rng_for("equipements")
    numbering: Counter[tuple[str, str]] = Counter()
    result = []
    for code, kind, name, site, street, _number in EQUIPMENTS:
        if code in EQUIPMENT_EXCLUDED_COMMUNES:
            continue
        code8 = EQUIP_TYPES[kind][1]
        numbering[(code, code8)] += 1
        uid = f"{code}-{code8}-{numbering[(code, code8)]:03d}"
        lat, lon = near_site(site, rng) if site else near_centre(code, rng)
        result.append(Equipment(uid, code, kind, name, street, lat, lon))
    return result


def write_equipements(equipments: list[Equipment]) -> int:
    rng = rng_for("equipements-contact")
    fantoirs: dict[tuple[str, str, bool], str] = {}
    rows = []
    numbers = {(code, name): number for code, _k, name, _s, _st, number in EQUIPMENTS}
    for eq in equipments:
        theme, _code8, erp_type, erp_cat, hours = EQUIP_TYPES[eq.kind]
        commune = COMMUNES[eq.code]
        number = numbers[(eq.code, eq.name)]
        # One FANTOIR-like code per street ("B..." for a lieu-dit without numbers).
        fantoir = fantoirs.setdefault(
            (eq.code, eq.street, number == "99999"),
            f"{rng.randint(10, 2999):04d}" if number != "99999" else f"B{rng.randint(100, 999)}",
        )
        key = f"{eq.code}_{fantoir}_{int(number):05d}"
        rows.append(
            [
                CARO_NAME,
                CARO_SIRET,
                eq.uid,
                theme,
                eq.uid[6:],
                eq.kind,
                eq.name,
                number,
                eq.street,
                commune.postcode,
                commune.name,
                key,
                (
                    f"{eq.code}-{re.sub(r'[^A-Za-z0-9]', '', slugify(eq.street).title())}-{number}"
                    if erp_type
                    else None
                ),
                erp_type,
                erp_cat,
                eq.lat,
                eq.lon,
                hours,
                f"0546{rng.randint(820000, 999999)}",
                f"accueil@{commune.slug}.{DEMO_HOST}",
                None,
            ]
        )
    header = (
        "COLL_NOM COLL_SIRET EQUIP_UID EQUIP_THEME EQUIP_CODE EQUIP_TYPE EQUIP_NOM ADR_NUMERO"
        " ADR_NOMVOIE ADR_CODEPOSTAL ADR_COMMUNE ADR_CLE_INTEROP ERP_ID ERP_TYPE ERP_CATEGORIE"
        " EQUIP_LAT EQUIP_LONG EQUIP_OUVERTURE EQUIP_TEL EQUIP_EMAIL EQUIP_WEB"
    ).split()
    return write_csv("equipements.csv", header, rows, ";")


# ---------------------------------------------------------------------------------------------
# 4. Parkings (etalab/schema-stationnement) and 10. their daily attendance (no schema)
# ---------------------------------------------------------------------------------------------

# number | name | commune | named site | address | places | PMR | EV | bikes | free |
# type_ouvrage | max height | tariff 1 h | tariff 24 h | attendance profile
CAR_PARKS = table("""
1 | Parking de la Corderie Royale | 17299 | corderie | Rue Jean-Baptiste Audebert | 310 | 8 \
| 0 | 20 | non | enclos_en_surface | N/A | 1.2 | 9.0 | tourisme
2 | Parking du Théâtre de la Coupe d'Or | 17299 | theatre | Rue de la République | 185 | 5 \
| 0 | 10 | non | ouvrage | 190 | 1.5 | 14.0 | centre
3 | Parking de la Gare SNCF | 17299 | gare | Avenue du Président Wilson | 240 | 6 | 4 | 30 \
| non | enclos_en_surface | N/A | 1.0 | 6.0 | gare
4 | Parking des Thermes | 17299 | thermes | Rue de l'Arsenal | 160 | 10 | 2 | 8 | non \
| enclos_en_surface | N/A | 1.0 | 7.5 | thermes
5 | Place Colbert | 17299 | colbert | Place Colbert | 64 | 3 | 0 | 12 | non | - | N/A | 1.8 \
| - | centre
6 | Parking du Quai aux Vivres | 17299 | port-plaisance | Quai aux Vivres | 120 | 4 | 0 | 6 \
| oui | enclos_en_surface | N/A | - | - | tourisme
7 | Parking de l'hôpital de Béligon | 17299 | hopital | Avenue de Béligon | 420 | 14 | 0 \
| 16 | oui | enclos_en_surface | N/A | - | - | centre
8 | Cours Roy-Bry | 17299 | - | Cours Roy-Bry | 95 | 3 | 0 | 6 | non | - | N/A | 1.2 | - \
| centre
9 | Parking du Pont transbordeur | 17299 | transbordeur-nord | Rue du Pont Transbordeur | 80 \
| 2 | 0 | 10 | oui | enclos_en_surface | N/A | - | - | tourisme
1 | Parking de la Pointe de la Fumée | 17168 | fumee | Avenue de la Pointe de la Fumée | 520 \
| 10 | 2 | 40 | non | enclos_en_surface | N/A | 2.0 | 12.0 | ile
2 | Parking du Fort Vauban | 17168 | fort-vauban | Rue du Fort Vauban | 140 | 4 | 0 | 20 \
| non | enclos_en_surface | N/A | 1.5 | 9.0 | plage
3 | Parking de la Grande Plage | 17168 | grande-plage | Boulevard Allard | 110 | 3 | 0 | 24 \
| oui | - | N/A | - | - | plage
1 | Parking du Pont suspendu | 17449 | pont-suspendu | Quai de la Libération | 90 | 3 | 0 \
| 10 | oui | enclos_en_surface | N/A | - | - | tourisme
2 | Parking de la mairie de Tonnay-Charente | 17449 | - | Rue de la République | 70 | 3 | 2 \
| 8 | oui | - | N/A | - | - | centre
3 | Parking de la halle de Tonnay-Charente | 17449 | - | Rue Carnot | 55 | 2 | 0 | 6 | oui \
| - | N/A | - | - | centre
""")
# The five car parks with barrier counters.
COUNTED_PARKS = ("17299-P-001", "17299-P-002", "17299-P-003", "17299-P-004", "17168-P-001")


@dataclass
class CarPark:
    park_id: str
    name: str
    code: str
    address: str
    places: int
    ev: int
    profile: str
    lat: float
    lon: float


def make_car_parks(operator_siret: str) -> tuple[list[CarPark], list[list[Any]]]:
    rng = rng_for("stationnement")
    parks = []
    rows = []
    for row in CAR_PARKS:
        number, name, code, site, address = row[:5]
        places, pmr, ev, bikes = (int(value) for value in row[5:9])
        free = row[9] == "oui"
        ouvrage, height, t1h, t24h, profile = row[10:]
        park_id = f"{code}-P-{int(number):03d}"
        lat, lon = near_site(site, rng, 25) if site else near_centre(code, rng, 150)
        parks.append(CarPark(park_id, name, code, address, places, ev, profile, lat, lon))
        commune = COMMUNES[code]
        tariffs: list[float | None] = [None] * 5
        if not free:
            hour = float(t1h)
            day = float(t24h) if t24h else None
            tariffs = [hour, round(hour * 1.8, 1), round(hour * 2.5, 1), round(hour * 3.2, 1), day]
        rows.append(
            [
                park_id,
                name,
                code,
                f"{address}, {commune.postcode}, {commune.name}",
                f"https://stationnement.{DEMO_HOST}/parkings/{park_id.lower()}",
                "tous",
                boolean(free),
                places,
                None,
                pmr,
                ev or None,
                bikes,
                None,
                None,
                rng.choice((None, 4, 6, 8)) if places > 100 else None,
                None,
                height,
                operator_siret,
                lon,
                lat,
                "gratuit",
                *tariffs,
                None if free else 35.0,
                None if free else 55.0,
                ouvrage,
                (
                    "Gratuit le dimanche et les jours fériés"
                    if not free and profile == "centre"
                    else ("Payant d'avril à septembre" if profile == "ile" else None)
                ),
            ]
        )
    return parks, rows


def write_stationnement(rows: list[list[Any]]) -> int:
    header = (
        "id nom insee adresse url type_usagers gratuit nb_places nb_pr nb_pmr"
        " nb_voitures_electriques nb_velo nb_2r_el nb_autopartage nb_2_rm nb_covoit hauteur_max"
        " num_siret Xlong Ylat tarif_pmr tarif_1h tarif_2h tarif_3h tarif_4h tarif_24h abo_resident"
        " abo_non_resident type_ouvrage info"
    ).split()
    return write_csv("stationnement.csv", header, rows, ",")


HOLIDAYS_2025 = {
    dt.date(2025, 1, 1),
    dt.date(2025, 4, 21),
    dt.date(2025, 5, 1),
    dt.date(2025, 5, 8),
    dt.date(2025, 5, 29),
    dt.date(2025, 6, 9),
    dt.date(2025, 7, 14),
    dt.date(2025, 8, 15),
    dt.date(2025, 11, 1),
    dt.date(2025, 11, 11),
    dt.date(2025, 12, 25),
}


def occupancy(profile: str, day: dt.date) -> tuple[float, float]:
    """Mean occupancy (0-1) and daily turnover of a car park of ``profile`` on ``day``."""
    doy = day.timetuple().tm_yday
    summer = math.exp(-(((doy - 212) / 38) ** 2))  # peaks at the end of July
    weekday = day.weekday()
    weekend = weekday >= 5 or day in HOLIDAYS_2025
    if profile == "ile":  # ferry to Île d'Aix: long stays, very seasonal
        rate = 0.12 + 0.83 * summer + (0.12 if weekend else 0)
        return rate, 1.15
    if profile == "thermes":  # thermal season from March to early December
        season = 0.55 if 60 <= doy <= 340 else 0.08
        rate = season + 0.2 * summer - (0.3 if weekday == 6 else 0)
        return rate, 1.6
    if profile == "gare":
        rate = 0.55 + 0.2 * summer - (0.25 if weekend else 0)
        return rate, 1.3
    if profile == "tourisme":
        rate = 0.28 + 0.6 * summer + (0.15 if weekend else 0)
        return rate, 2.4
    rate = 0.5 + 0.15 * summer + (0.1 if weekday == 5 else 0) - (0.3 if weekday == 6 else 0)
    return rate, 3.1


def write_frequentation(parks: list[CarPark]) -> int:
    rng = rng_for("frequentation")
    rows = []
    by_id = {p.park_id: p for p in parks}
    day = dt.date(2025, 1, 1)
    while day.year == 2025:
        for park_id in COUNTED_PARKS:
            park = by_id[park_id]
            rate, turnover = occupancy(park.profile, day)
            rate = min(max(rate + rng.gauss(0, 0.05), 0.03), 0.99)
            entries = round(park.places * rate * turnover * rng.uniform(0.9, 1.1))
            rows.append(
                [
                    day.strftime("%d/%m/%Y"),
                    park.name,
                    park.places,
                    entries,
                    f"{rate * 100:.1f}".replace(".", ","),
                ]
            )
        day += dt.timedelta(days=1)
    header = ["date", "parking", "places", "entrees", "taux_occupation"]
    return write_csv(
        "frequentation-parkings.csv", header, rows, ";", encoding="cp1252", newline="\r\n"
    )


# ---------------------------------------------------------------------------------------------
# 6. Bornes de recharge (etalab/schema-irve-statique)
# ---------------------------------------------------------------------------------------------

# commune | station name | car park id or named site | implantation | points | power kW |
# fast charging | street address
STATIONS = table("""
17299 | Rochefort - Parking de la Gare | 17299-P-003 | Parking public | 4 | 22 | non \
| Avenue du Président Wilson
17299 | Rochefort - Parking des Thermes | 17299-P-004 | Parking public | 2 | 22 | non \
| Rue de l'Arsenal
17299 | Rochefort - Hôtel d'agglomération | agglo | Parking privé à usage public | 2 | 22 \
| non | 3 avenue Maurice Chupin
17299 | Rochefort - Béligon | beligon | Station dédiée à la recharge rapide | 2 | 150 | oui \
| Avenue de Béligon
17449 | Tonnay-Charente - Mairie | 17449-P-002 | Parking public | 2 | 22 | non \
| Rue de la République
17168 | Fouras - Pointe de la Fumée | 17168-P-001 | Parking public | 2 | 22 | non \
| Avenue de la Pointe de la Fumée
17146 | Échillais - Place de la Mairie | - | Voirie | 2 | 22 | non | Rue de la Mairie
17308 | Saint-Agnant - Avenue de Rochefort | - | Voirie | 2 | 22 | non | Avenue de Rochefort
17484 | Port-des-Barques - Rue de la Plage | - | Voirie | 2 | 7.4 | non | Rue de la Plage
""")


def write_irve(parks: list[CarPark]) -> int:
    rng = rng_for("irve")
    by_park = {p.park_id: p for p in parks}
    rows = []
    operator_code = "FRSRO"
    for index, (
        code,
        name,
        where,
        implantation,
        count_text,
        power_text,
        fast_text,
        street,
    ) in enumerate(STATIONS, 1):
        count, power, fast = int(count_text), float(power_text), fast_text == "oui"
        commune = COMMUNES[code]
        if where in by_park:
            park = by_park[where]
            lat, lon = place(code, park.lat, park.lon, rng, 15)
        elif where:
            lat, lon = near_site(where, rng, 20)
        else:
            lat, lon = near_centre(code, rng, 120)
        station_id = f"{operator_code}P{code}{index:03d}"
        commissioning = dt.date(2022, 3, 1) + dt.timedelta(days=rng.randint(0, 900))
        for pdc in range(1, count + 1):
            rows.append(
                [
                    CARO_NAME,
                    CARO_SIREN,
                    f"mobilites@{DEMO_HOST}",
                    "Océan Recharge Services (démo)",
                    f"supervision@recharge.{DEMO_HOST}",
                    "0546000000",
                    "Océan Recharge (démo)",
                    station_id,
                    f"CARO-IRVE-{index:03d}",
                    name,
                    implantation,
                    f"{street}, {commune.postcode} {commune.name}",
                    code,
                    geopoint(lat, lon),
                    count,
                    f"{operator_code}E{code}{index:03d}{pdc}",
                    f"CARO-IRVE-{index:03d}-{pdc}",
                    f"{power:.2f}",
                    boolean(False),
                    boolean(not fast),
                    boolean(fast),
                    boolean(fast and pdc == 2),
                    boolean(False),
                    boolean(False),
                    boolean(True),
                    boolean(True),
                    boolean(True),
                    "0,35 EUR/kWh ; 0,05 EUR/min après 2 h" if not fast else "0,49 EUR/kWh",
                    "Accès libre",
                    boolean(False),
                    "24/7",
                    "Accessible mais non réservé PMR" if pdc > 1 else "Réservé PMR",
                    "Aucune restriction" if implantation == "Voirie" else "Inconnu",
                    boolean(False),
                    "Direct",
                    f"{rng.randint(10**13, 10**14 - 1)}",
                    iso(commissioning),
                    None,
                    "2026-11-09",
                    boolean(False),
                ]
            )
    header = (
        "nom_amenageur siren_amenageur contact_amenageur nom_operateur contact_operateur"
        " telephone_operateur nom_enseigne id_station_itinerance id_station_local nom_station"
        " implantation_station adresse_station code_insee_commune coordonneesXY nbre_pdc"
        " id_pdc_itinerance id_pdc_local puissance_nominale prise_type_ef prise_type_2"
        " prise_type_combo_ccs prise_type_chademo prise_type_autre gratuit paiement_acte"
        " paiement_cb paiement_autre tarification condition_acces reservation horaires"
        " accessibilite_pmr restriction_gabarit station_deux_roues raccordement num_pdl"
        " date_mise_en_service observations date_maj cable_t2_attache"
    ).split()
    return write_csv("irve.csv", header, rows, ",")


# ---------------------------------------------------------------------------------------------
# 7. Aires de covoiturage (etalab/schema-lieux-covoiturage)
# ---------------------------------------------------------------------------------------------

# commune | name | street | named site | type | places | PMR places | owner | lit | comment
CARPOOL = table("""
17449 | Échangeur A837 de Tonnay-Charente | Avenue d'Aunis | - | Aire de covoiturage | 60 | 2 \
| Département de la Charente-Maritime | oui | Abri voyageurs et arrêt de bus à proximité
17299 | Gare de Rochefort | Avenue du Président Wilson | gare | Parking relais | 20 | 1 \
| Communauté d'agglomération Rochefort Océan | oui | Places réservées dans le parking de la gare
17146 | Pont transbordeur - Martrou | Rue du Pont Transbordeur | transbordeur-sud \
| Aire de covoiturage | 24 | 1 | Communauté d'agglomération Rochefort Océan | non | -
17308 | Rond-point de Saint-Agnant | Route de Marennes | - | Aire de covoiturage | 30 | 1 \
| Département de la Charente-Maritime | oui | -
17168 | Entrée de Fouras | Avenue du Bois Vert | - | Aire de covoiturage | 18 | 1 \
| Communauté d'agglomération Rochefort Océan | non | Saturée les week-ends d'été
17065 | Breuil-Magné - Route de Rochefort | Route de Rochefort | - | Aire de covoiturage | 16 \
| 1 | Communauté d'agglomération Rochefort Océan | non | -
17253 | Muron - Salle des fêtes | Rue du Stade | - | Parking | 10 | 0 | - | non \
| Parking de la salle des fêtes, libre hors manifestations
17346 | Saint-Hippolyte - Bourg | Rue de la Mairie | - | Parking | 8 | 0 | - | non | -
""")


def write_covoiturage() -> tuple[int, set[str]]:
    rng = rng_for("covoiturage")
    rows = []
    for index, (code, name, street, site, kind, places, pmr, owner, lit, comment) in enumerate(
        CARPOOL, 1
    ):
        commune = COMMUNES[code]
        if site:
            lat, lon = near_site(site, rng, 60)
        else:
            lat, lon = near_centre(code, rng, 500 if code == "17449" else 300)
        rows.append(
            [
                f"CARO-COV-{index:02d}",
                name,
                street,
                commune.name,
                code,
                kind,
                "2025-09-30",
                "true",
                CARO_SIREN,
                lon,
                lat,
                places,
                pmr,
                None,
                "24/7",
                owner or f"Commune de {commune.name}",
                "true" if lit == "oui" else "false",
                comment,
            ]
        )
    header = (
        "id_local nom_lieu ad_lieu com_lieu insee type date_maj ouvert source Xlong Ylat nbre_pl"
        " nbre_pmr duree horaires proprio lumiere comm"
    ).split()
    return write_csv("covoiturage.csv", header, rows, ","), {c[0] for c in CARPOOL}


# ---------------------------------------------------------------------------------------------
# 5. Stationnement vélo (etalab/schema-stationnement-cyclable) and 13. the citizens' survey
# ---------------------------------------------------------------------------------------------

# Racks per commune around facilities and named sites (the island lives by bike).
RACK_PLAN = {
    "17299": 40,
    "17449": 8,
    "17168": 9,
    "17004": 5,
    "17146": 4,
    "17484": 4,
    "17308": 3,
    "17429": 2,
    "17065": 2,
    "17463": 1,
    "17353": 1,
    "17375": 1,
}
EXTRA_RACK_SITES = {
    "17004": ["aix-embarcadere", "aix-embarcadere", None, None, None],
    "17168": ["fumee", "fort-vauban", "grande-plage"],
    "17299": ["corderie", "colbert", "gare", "thermes", "port-plaisance", "transbordeur-nord"],
    "17484": ["pdb-plage"],
}
AIX_PLACES = ["Embarcadère", "Place d'Austerlitz", "Musée Napoléon", "Fort de la Rade", "Bourg"]


@dataclass
class Rack:
    rack_id: str
    code: str
    place: str
    lat: float
    lon: float
    capacity: int
    furniture: str


def make_racks(equipments: list[Equipment]) -> list[Rack]:
    rng = rng_for("stationnement-cyclable")
    racks: list[Rack] = []
    by_commune: dict[str, list[Equipment]] = defaultdict(list)
    for eq in equipments:
        by_commune[eq.code].append(eq)
    site_labels = {
        "corderie": "Corderie Royale",
        "colbert": "Place Colbert",
        "gare": "Gare SNCF",
        "thermes": "Thermes",
        "port-plaisance": "Port de plaisance",
        "transbordeur-nord": "Pont transbordeur",
        "fumee": "Pointe de la Fumée",
        "fort-vauban": "Fort Vauban",
        "grande-plage": "Grande Plage",
        "pdb-plage": "Plage de Port-des-Barques",
        "aix-embarcadere": "Embarcadère",
    }
    for code, count in RACK_PLAN.items():
        anchors: list[tuple[str, float, float]] = []
        for index, site in enumerate(EXTRA_RACK_SITES.get(code, [])):
            if site is None:
                lat, lon = near_centre(code, rng, 250)
                anchors.append((AIX_PLACES[index], lat, lon))
            else:
                _c, lat, lon = SITES[site]
                label = AIX_PLACES[index] if code == "17004" else site_labels[site]
                anchors.append((label, lat, lon))
        anchors += [(eq.name, eq.lat, eq.lon) for eq in by_commune.get(code, [])]
        if not anchors:
            lat, lon = COMMUNES[code].centre
            anchors.append((f"Bourg de {COMMUNES[code].name}", lat, lon))
        for n in range(count):
            if n < len(anchors):
                label, lat, lon = anchors[n]
                rlat, rlon = place(code, lat, lon, rng, 35)
            else:  # more racks than facilities: along the main streets
                label = streets(code)[n % len(streets(code))]
                rlat, rlon = near_centre(code, rng)
            furniture = "ARCEAU"
            if code == "17004" and n < 2:
                furniture = "RATELIER"
            elif rng.random() < 0.08:
                furniture = rng.choice(("RATELIER", "POTELET", "ARCEAU VELO GRANDE TAILLE"))
            capacity = rng.choice((4, 6, 8, 10, 12)) if furniture != "RATELIER" else 20
            if code == "17004":
                capacity *= 2
            racks.append(Rack("", code, label, rlat, rlon, capacity, furniture))
    racks.sort(key=lambda r: (r.code != "17299", r.code, r.lat))
    for number, rack in enumerate(racks, 1):
        rack.rack_id = f"CARO-SC-{number:04d}"
    # One secure bike shelter at the station, by subscription.
    lat, lon = near_site("gare", rng, 20)
    shelter_id = f"CARO-SC-{len(racks) + 1:04d}"
    racks.append(Rack(shelter_id, "17299", "Consigne vélo de la gare", lat, lon, 40, "box"))
    return racks


def write_stationnement_cyclable(racks: list[Rack]) -> int:
    rng = rng_for("stationnement-cyclable-attributes")
    rows = []
    for rack in racks:
        commune = COMMUNES[rack.code]
        shelter = rack.furniture == "box"
        owner = "Ville de Rochefort" if rack.code == "17299" else f"Commune de {commune.name}"
        rows.append(
            [
                rack.rack_id,
                None,
                rack.code,
                geopoint(rack.lat, rack.lon),
                rack.capacity,
                (4 if shelter else (2 if rack.furniture == "ARCEAU VELO GRANDE TAILLE" else 0)),
                "CADRE ET ROUE"
                if rack.furniture in ("ARCEAU", "ARCEAU VELO GRANDE TAILLE", "box")
                else "ROUE",
                "RACK DOUBLE ETAGE" if shelter else rack.furniture,
                "ABONNEMENT OU INSCRIPTION PREALABLE" if shelter else "LIBRE ACCES",
                "false" if shelter else "true",
                "CONSIGNE COLLECTIVE FERMEE" if shelter else "STATIONNEMENT NON FERME",
                "true" if shelter or rng.random() < 0.1 else "false",
                "true" if shelter else "false",
                "true" if shelter or rng.random() < 0.5 else "false",
                f"https://velo.{DEMO_HOST}/consigne-gare" if shelter else None,
                rng.randint(2012, 2025) if not shelter else 2023,
                CARO_NAME,
                owner,
                CARO_NAME if shelter else owner,
                "2026-09-29",
                (
                    "Consigne sécurisée accessible avec la carte de transport"
                    if shelter
                    else rack.place
                ),
            ]
        )
    header = (
        "id_local id_osm code_com coordonneesxy capacite capacite_cargo type_accroche mobilier"
        " acces gratuit protection couverture surveillance lumiere url_info d_service source"
        " proprietaire gestionnaire date_maj commentaires"
    ).split()
    return write_csv("stationnement-cyclable.csv", header, rows, ",")


CONDITIONS = [
    ("bon", None),
    ("bon", None),
    ("bon", None),
    ("bon", "Très utilisé, souvent complet le samedi"),
    ("usé", "Peinture écaillée, à repeindre"),
    ("usé", "Un arceau tordu"),
    ("abîmé", "Arceau descellé, risque de vol"),
    ("abîmé", "Deux arceaux manquants"),
    ("sous-dimensionné", "Vélos accrochés aux grilles voisines"),
    ("encombré", "Occupé par des vélos-épaves depuis plusieurs mois"),
]


# Racks the association found missing from the inventory: commune | named site | place |
# usable places | state | comment
MISSING_RACKS = table("""
17299 | colbert | Marché de la place Colbert | 6 | bon | Absent de l'inventaire
17299 | corderie | Jardin des Retours | 8 | bon | Absent de l'inventaire
17299 | theatre | Rue de la République (cinéma) | 4 | usé | Absent de l'inventaire
17449 | pont-suspendu | Pont suspendu (rive gauche) | 0 | manquant \
| Aucun arceau : besoin signalé par les usagers de la Flow Vélo
17168 | fumee | Pointe de la Fumée (parking nord) | 0 | manquant \
| Aucun arceau : vélos attachés aux barrières les jours d'affluence
17146 | transbordeur-sud | Pont transbordeur (rive gauche) | 6 | bon | Absent de l'inventaire
17299 | gare | Gare SNCF (côté voies) | 10 | abîmé | Absent de l'inventaire
17299 | hopital | Hôpital de Béligon | 0 | manquant | Demande du personnel
""")


def write_community_survey(racks: list[Rack]) -> tuple[int, set[str]]:
    rng = rng_for("releve-association")
    official = [r for r in racks if r.code in ("17299", "17449", "17168", "17146")]
    surveyed = rng.sample(official, 42)
    surveyed.sort(key=lambda r: r.rack_id)
    rows = []
    start = dt.date(2026, 9, 5)
    for index, rack in enumerate(surveyed, 1):
        state, note = rng.choice(CONDITIONS)
        counted = rack.capacity if rng.random() < 0.75 else max(rack.capacity - 2, 2)
        lat, lon = place(rack.code, rack.lat, rack.lon, rng, 4)
        rows.append(
            [
                f"RAV-{index:03d}",
                rack.rack_id,
                COMMUNES[rack.code].name,
                rack.code,
                rack.place,
                lat,
                lon,
                counted,
                state,
                "non",
                note,
                iso(start + dt.timedelta(days=rng.randint(0, 45))),
            ]
        )
    # Racks missing from the agglomeration's inventory, or wished for.
    for offset, (code, site, label, counted, state, note) in enumerate(
        MISSING_RACKS, len(rows) + 1
    ):
        lat, lon = near_site(site, rng, 60)
        rows.append(
            [
                f"RAV-{offset:03d}",
                None,
                COMMUNES[code].name,
                code,
                label,
                lat,
                lon,
                int(counted),
                state,
                "non",
                note,
                iso(start + dt.timedelta(days=rng.randint(0, 45))),
            ]
        )
    header = (
        "id_releve ref_agglo commune code_insee lieu lat lon nb_places_constatees etat abrite"
        " commentaire date_releve"
    ).split()
    count = write_csv("releve-arceaux-velo-association.csv", header, rows, ",")
    return count, {row[3] for row in rows}


# ---------------------------------------------------------------------------------------------
# 11. Points d'apport volontaire (GeoJSON, operator collecte-dechets)
# ---------------------------------------------------------------------------------------------

PAV_SPOTS = [
    "Parking de la salle des fêtes",
    "Parking du cimetière",
    "Parking du stade",
    "Place de l'Église",
    "Parking de la mairie",
    "Entrée du lotissement",
    "Parking du supermarché",
    "Aire de loisirs",
]
PAV_VOLUMES = {"Verre": (3000, 4000), "Papier": (4000, 5000), "Textile": (2500,)}


def allocate(total: int, minimum: int) -> dict[str, int]:
    """Split ``total`` points between communes: ``minimum`` each, the rest by population."""
    counts = {code: minimum for code in ALL_CODES}
    rest = total - minimum * len(ALL_CODES)
    population = sum(c.population for c in COMMUNES.values())
    shares = {code: rest * COMMUNES[code].population / population for code in ALL_CODES}
    for code, share in shares.items():
        counts[code] += int(share)
    leftovers = sorted(ALL_CODES, key=lambda c: shares[c] - int(shares[c]), reverse=True)
    for code in leftovers[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


def write_pav() -> tuple[int, set[str]]:
    rng = rng_for("points-apport-volontaire")
    features = []
    for code, count in allocate(120, 2).items():
        commune = COMMUNES[code]
        for n in range(1, count + 1):
            kind = "Verre" if n % 2 == 1 else ("Papier" if n % 4 == 2 or count < 6 else "Textile")
            if kind == "Textile" and commune.population < 2500:
                kind = "Papier"
            lat, lon = near_centre(code, rng)
            street = rng.choice(streets(code))
            spot = rng.choice(PAV_SPOTS)
            installed = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 6500))
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {
                        "id": f"PAV-{code}-{n:03d}",
                        "type": kind,
                        "commune": commune.name,
                        "code_insee": code,
                        "adresse": (
                            f"{spot}, {commune.postcode} {commune.name}"
                            if spot.startswith("Place")
                            else f"{spot}, {street}, {commune.postcode} {commune.name}"
                        ),
                        "volume_litres": rng.choice(PAV_VOLUMES[kind]),
                        "date_installation": iso(installed),
                    },
                }
            )
    collection = {
        "type": "FeatureCollection",
        "name": "points-apport-volontaire",
        "features": features,
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    # One feature per line: small, and still readable in a diff.
    text = text.replace(',{"type":"Feature"', ',\n{"type":"Feature"')
    (OUT / "points-apport-volontaire.geojson").write_text(text + "\n", encoding="utf-8")
    return len(features), {f["properties"]["code_insee"] for f in features}


# ---------------------------------------------------------------------------------------------
# 8. Budget primitif 2025 (SCDL budget 0.8.3, nomenclature M57)
# ---------------------------------------------------------------------------------------------

CHAPTERS = {
    "011": "Charges à caractère général",
    "012": "Charges de personnel et frais assimilés",
    "014": "Atténuations de produits",
    "65": "Autres charges de gestion courante",
    "66": "Charges financières",
    "67": "Charges spécifiques",
    "68": "Dotations aux amortissements, dépréciations et provisions",
    "023": "Virement à la section d'investissement",
    "042": "Opérations d'ordre de transfert entre sections",
    "013": "Atténuations de charges",
    "70": "Produits des services, du domaine et ventes diverses",
    "731": "Fiscalité locale",
    "73": "Impôts et taxes",
    "74": "Dotations et participations",
    "75": "Autres produits de gestion courante",
    "77": "Produits spécifiques",
    "20": "Immobilisations incorporelles",
    "204": "Subventions d'équipement versées",
    "21": "Immobilisations corporelles",
    "23": "Immobilisations en cours",
    "16": "Emprunts et dettes assimilées",
    "10": "Dotations, fonds divers et réserves",
    "13": "Subventions d'investissement",
    "024": "Produits des cessions d'immobilisations",
    "021": "Virement de la section de fonctionnement",
    "040": "Opérations d'ordre de transfert entre sections",
}
FUNCTIONS = {
    "01": "Opérations non ventilables",
    "020": "Administration générale de la collectivité",
    "021": "Assemblée locale",
    "023": "Information, communication, publicité",
    "024": "Fêtes et cérémonies",
    "311": "Activités artistiques, actions et manifestations culturelles",
    "313": "Bibliothèques et médiathèques",
    "32": "Sports",
    "323": "Piscines",
    "42": "Action sociale",
    "55": "Habitat (logement)",
    "61": "Interventions économiques transversales",
    "721": "Collecte et traitement des déchets",
    "74": "Politique de l'eau",
    "75": "Politique de l'énergie",
    "76": "Patrimoine naturel",
    "82": "Transports publics de voyageurs",
    "84": "Voirie",
}

# section (F: fonctionnement, I: investissement) | D: dépense, R: recette | réel or ordre |
# chapter | nature | nature label | function=amount ... (euros); 6574 is computed from the grants.
BUDGET_LINES = table("""
F | D | réel | 011 | 60611 | Eau et assainissement | 020=38000 323=96000
F | D | réel | 011 | 60612 | Énergie - Électricité | 020=185000 323=240000 313=42000 721=61000
F | D | réel | 011 | 60621 | Combustibles | 323=310000 020=52000
F | D | réel | 011 | 60622 | Carburants | 721=48000 020=36000
F | D | réel | 011 | 60631 | Fournitures d'entretien | 020=24000 323=31000
F | D | réel | 011 | 60632 | Fournitures de petit équipement | 020=45000 323=18000 721=22000
F | D | réel | 011 | 6064 | Fournitures administratives | 020=26000
F | D | réel | 011 | 6065 | Livres, disques, cassettes | 313=68000
F | D | réel | 011 | 611 | Contrats de prestations de services \
| 721=6350000 82=180000 020=95000 76=64000
F | D | réel | 011 | 6132 | Locations immobilières | 020=142000
F | D | réel | 011 | 6135 | Locations mobilières | 020=58000 721=36000
F | D | réel | 011 | 615221 | Entretien et réparations - bâtiments publics \
| 020=120000 323=165000 313=28000
F | D | réel | 011 | 615231 | Entretien et réparations - voiries | 84=390000
F | D | réel | 011 | 6156 | Maintenance | 020=210000 323=88000
F | D | réel | 011 | 6161 | Primes d'assurances multirisques | 020=135000
F | D | réel | 011 | 6184 | Versements à des organismes de formation | 020=92000
F | D | réel | 011 | 6226 | Honoraires | 020=80000 55=45000
F | D | réel | 011 | 6231 | Annonces et insertions | 020=22000
F | D | réel | 011 | 6236 | Catalogues et imprimés | 023=65000
F | D | réel | 011 | 6251 | Voyages et déplacements | 020=18000
F | D | réel | 011 | 6262 | Frais de télécommunications | 020=74000
F | D | réel | 011 | 6283 | Frais de nettoyage des locaux | 020=118000
F | D | réel | 011 | 63512 | Taxes foncières | 020=46000
F | D | réel | 012 | 64111 | Rémunération principale des titulaires \
| 020=3350000 313=610000 323=720000 721=1280000 84=420000 61=210000 55=160000
F | D | réel | 012 | 64112 | NBI, supplément familial et indemnité de résidence \
| 020=96000 721=42000
F | D | réel | 012 | 64118 | Autres indemnités des titulaires \
| 020=820000 313=120000 323=150000 721=290000
F | D | réel | 012 | 64131 | Rémunérations des contractuels \
| 020=640000 323=260000 721=180000 313=90000
F | D | réel | 012 | 6451 | Cotisations à l'URSSAF | 020=1650000
F | D | réel | 012 | 6453 | Cotisations aux caisses de retraite | 020=2180000
F | D | réel | 012 | 6475 | Médecine du travail, pharmacie | 020=38000
F | D | réel | 014 | 739211 | Attributions de compensation | 01=9120000
F | D | réel | 014 | 739223 | Fonds de péréquation des ressources communales et \
intercommunales | 01=455000
F | D | réel | 65 | 6531 | Indemnités des élus | 021=468000
F | D | réel | 65 | 6533 | Cotisations de retraite des élus | 021=32000
F | D | réel | 65 | 6554 | Contributions aux organismes de regroupement | 74=880000 76=245000
F | D | réel | 65 | 657362 | Subventions de fonctionnement au CIAS | 42=940000
F | D | réel | 65 | 657364 | Subventions de fonctionnement aux budgets annexes et \
établissements à caractère industriel et commercial | 82=2260000 61=1320000
F | D | réel | 65 | 6574 | Subventions de fonctionnement aux associations et autres \
personnes de droit privé | -
F | D | réel | 66 | 66111 | Intérêts réglés à l'échéance | 01=742000
F | D | réel | 67 | 673 | Titres annulés sur exercices antérieurs | 01=45000
F | D | réel | 68 | 6817 | Dotations aux dépréciations des actifs circulants | 01=60000
F | D | ordre | 042 | 6811 | Dotations aux amortissements des immobilisations | 01=3240000
F | R | réel | 013 | 6419 | Remboursements sur rémunérations du personnel | 020=240000
F | R | réel | 70 | 7062 | Redevances et droits des services à caractère culturel | 313=42000
F | R | réel | 70 | 70631 | Redevances et droits des services à caractère sportif | 323=560000
F | R | réel | 70 | 70846 | Mise à disposition de personnel facturée aux communes membres \
| 020=910000
F | R | réel | 70 | 70872 | Remboursements de frais par les budgets annexes | 020=760000
F | R | réel | 70 | 7088 | Autres produits d'activités annexes (redevance spéciale) | 721=350000
F | R | réel | 731 | 73111 | Impôts directs locaux | 01=14480000
F | R | réel | 731 | 73113 | Taxe sur les surfaces commerciales | 01=905000
F | R | réel | 731 | 73114 | Imposition forfaitaire sur les entreprises de réseau | 01=352000
F | R | réel | 731 | 7331 | Taxe d'enlèvement des ordures ménagères | 721=9820000
F | R | réel | 731 | 7346 | Taxe pour la gestion des milieux aquatiques et la prévention des \
inondations | 74=948000
F | R | réel | 73 | 7382 | Fraction de taxe sur la valeur ajoutée | 01=8210000
F | R | réel | 74 | 74124 | Dotation d'intercommunalité | 01=3120000
F | R | réel | 74 | 74126 | Dotation de compensation des groupements de communes | 01=4580000
F | R | réel | 74 | 74718 | Autres participations de l'État | 55=180000 76=220000
F | R | réel | 74 | 7473 | Participations des départements | 42=160000 82=140000
F | R | réel | 74 | 7478 | Participations d'autres organismes | 42=590000
F | R | réel | 74 | 74834 | Compensation au titre des exonérations des taxes foncières \
| 01=1610000
F | R | réel | 75 | 752 | Revenus des immeubles | 61=390000
F | R | réel | 75 | 7588 | Autres produits divers de gestion courante | 020=62000
F | R | réel | 77 | 7788 | Produits spécifiques divers | 01=50000
F | R | ordre | 042 | 777 | Quote-part des subventions d'investissement transférées au \
compte de résultat | 01=420000
I | D | réel | 20 | 2031 | Frais d'études | 020=180000 84=240000 74=160000
I | D | réel | 20 | 2051 | Concessions et droits similaires (logiciels) | 020=310000
I | D | réel | 204 | 2041412 | Subventions d'équipement aux communes membres - bâtiments et \
installations | 020=1450000
I | D | réel | 204 | 20422 | Subventions d'équipement aux personnes de droit privé - \
bâtiments et installations | 55=960000 75=240000
I | D | réel | 21 | 2111 | Terrains nus | 61=420000
I | D | réel | 21 | 2128 | Autres agencements et aménagements de terrains | 76=260000
I | D | réel | 21 | 21318 | Autres bâtiments publics | 020=480000 313=150000
I | D | réel | 21 | 2151 | Réseaux de voirie | 84=1180000
I | D | réel | 21 | 2152 | Installations de voirie | 84=420000
I | D | réel | 21 | 21578 | Autre matériel et outillage de voirie | 721=190000
I | D | réel | 21 | 2182 | Matériel de transport | 721=520000 020=85000
I | D | réel | 21 | 21838 | Autre matériel informatique | 020=230000
I | D | réel | 21 | 21848 | Autres matériels de bureau et mobiliers | 020=60000
I | D | réel | 21 | 2188 | Autres immobilisations corporelles | 721=310000 323=95000
I | D | réel | 23 | 2313 | Constructions en cours | 323=6200000 020=650000 313=420000
I | D | réel | 23 | 2315 | Installations, matériel et outillage techniques en cours \
| 84=1350000 74=780000
I | D | réel | 16 | 1641 | Emprunts en euros (remboursement du capital) | 01=2930000
I | D | ordre | 040 | 13918 | Subventions d'équipement transférées au compte de résultat \
| 01=420000
I | R | réel | 10 | 10222 | Fonds de compensation de la TVA | 01=1620000
I | R | réel | 13 | 1321 | Subventions d'équipement de l'État | 323=1500000 74=310000
I | R | réel | 13 | 1322 | Subventions d'équipement des régions | 323=900000 84=250000
I | R | réel | 13 | 1323 | Subventions d'équipement des départements | 323=600000 84=320000
I | R | réel | 13 | 1328 | Autres subventions d'équipement | 74=420000
I | R | réel | 024 | 024 | Produits des cessions d'immobilisations | 61=580000
I | R | ordre | 040 | 28031 | Amortissements des frais d'études | 01=260000
I | R | ordre | 040 | 28051 | Amortissements des concessions et droits similaires | 01=310000
I | R | ordre | 040 | 281318 | Amortissements des autres bâtiments publics | 01=1120000
I | R | ordre | 040 | 28182 | Amortissements du matériel de transport | 01=420000
I | R | ordre | 040 | 28183 | Amortissements du matériel informatique | 01=230000
I | R | ordre | 040 | 2804 | Amortissements des subventions d'équipement versées | 01=900000
""")
FON, INV = "fonctionnement", "investissement"
DEP, REC = "dépense", "recette"
SECTIONS = {"F": FON, "I": INV}
SENSES = {"D": DEP, "R": REC}


def write_budget(grants: list[Grant]) -> int:
    rng = rng_for("budget")
    # The associations' credit per function covers the grants of subventions-2025.csv.
    granted: Counter[str] = Counter()
    for grant in grants:
        granted[FUNCTION_OF[grant.category]] += grant.amount
    lines = []
    for section, sens, op, chapter, nature, label, amounts in BUDGET_LINES:
        if nature == "6574":
            split = {f: math.ceil(v * 1.06 / 1000) * 1000 for f, v in sorted(granted.items())}
        else:
            split = dict(item.split("=") for item in amounts.split())
        for function, amount in split.items():
            lines.append(
                [
                    SECTIONS[section],
                    SENSES[sens],
                    op,
                    chapter,
                    nature,
                    label,
                    function,
                    float(amount),
                ]
            )
    totals: Counter[tuple[str, str]] = Counter()
    for line in lines:
        totals[(line[0], line[1])] += line[7]
    transfer = totals[(FON, REC)] - totals[(FON, DEP)]
    if transfer <= 0:
        raise ValueError("the operating section must leave a transfer to investment")
    lines.append([FON, DEP, "ordre", "023", "023", CHAPTERS["023"], "01", transfer])
    lines.append([INV, REC, "ordre", "021", "021", CHAPTERS["021"], "01", transfer])
    loan = totals[(INV, DEP)] - totals[(INV, REC)] - transfer
    if loan <= 0:
        raise ValueError("the investment section must need a loan")
    lines.append([INV, REC, "réel", "16", "1641", "Emprunts en euros", "01", loan])
    rows = []
    for section, sens, op, chapter, nature, label, function, amount in lines:
        previous = (
            round(amount * rng.uniform(0.86, 1.07), -2) if nature not in ("023", "021") else (None)
        )
        rows.append(
            [
                "budget primitif",
                "2025",
                CARO_SIRET,
                CARO_NAME,
                chapter,
                CHAPTERS[chapter],
                nature,
                label,
                function,
                FUNCTIONS[function],
                None,
                section,
                op,
                sens,
                None,
                None if previous is None else money(previous),
                None,
                money(amount),
                money(amount),
                None,
                None,
                "non spécialisé",
            ]
        )
    header = (
        "BGT_NATDEC BGT_ANNEE BGT_SIRET BGT_NOM BGT_CONTNAT BGT_CONTNAT_LABEL BGT_NATURE"
        " BGT_NATURE_LABEL BGT_FONCTION BGT_FONCTION_LABEL BGT_OPERATION BGT_SECTION BGT_OPBUDG"
        " BGT_CODRD BGT_MTREAL BGT_MTBUDGPREC BGT_MTRARPREC BGT_MTPROPNOUV BGT_MTPREV BGT_CREDOUV"
        " BGT_MTRAR3112 BGT_ARTSPE"
    ).split()
    return write_csv("budget-2025.csv", header, rows, ";")


# ---------------------------------------------------------------------------------------------
# 9. Prénoms des enfants nés à Rochefort (SCDL prenoms 1.1.6)
# ---------------------------------------------------------------------------------------------

GIRLS = (
    "Jade Louise Emma Ambre Alice Rose Anna Alba Romy Mia Lina Léa Chloé Mila Julia Lou Inès"
    " Agathe Léna Juliette Zoé Iris Jeanne Eva Nina Manon Camille Lucie Victoire Margaux"
    " Clémence Apolline Charlotte Sarah Lola Maëlys Capucine Adèle Victoria Olivia Héloïse"
    " Gabrielle Lya Elena Thaïs Louna Livia Giulia Nour Margot Anaïs Lana Mya Romane Salomé"
    " Valentine Clara Léonie Mathilde Constance Suzanne Lise Céleste Éléonore Nora Bérénice"
    " Maëlle Océane Marine Lilou Ninon Joséphine Luna Aya Maya Élise Léana Kiara Emy Lyna"
    " Anaëlle Soline Calie Yuna Marceline Aurore Alix Rosalie Hanna Elsa Noélie Marie-Lou"
).split()
BOYS = (
    "Gabriel Léo Raphaël Louis Arthur Jules Maël Lucas Adam Hugo Noah Liam Sacha Gabin Nathan"
    " Aaron Paul Tiago Léon Théo Martin Nolan Marius Axel Timéo Ethan Noé Isaac Naël Victor"
    " Mathis Lyam Malo Tom Robin Valentin Eliott Mathéo Côme Augustin Antoine Baptiste Clément"
    " Gaspard Simon Lenny Kylian Léandre Nino Esteban Enzo Lorenzo Oscar Milo Ayden Eden Lino"
    " Soan Nathéo Elio Ambroise Marceau Evan Owen Basile Mathys Titouan Corentin Yanis Ilyes"
    " Loïc Killian Jean Pierre Alexis Thomas Samuel Matteo Rayan Mylan Timothée Jean-Baptiste"
    " Aloïs Andrea Ewen Louka"
).split()
BIRTHS = {2020: 612, 2021: 628, 2022: 605, 2023: 583, 2024: 571, 2025: 566}


def write_prenoms() -> int:
    rng = rng_for("prenoms")
    rows = []
    for year, births in BIRTHS.items():
        for sex, names in (("F", GIRLS), ("M", BOYS)):
            order = list(names)
            # Fashion moves a little from one year to the next.
            order.sort(key=lambda name, y=year: names.index(name) + rng.gauss(0, 4 + (y - 2020)))
            weights = [1 / (rank + 14) ** 1.2 for rank in range(len(order))]
            total = births * (0.485 if sex == "F" else 0.515)
            counts: Counter[str] = Counter(rng.choices(order, weights, k=round(total * 0.86)))
            # The long tail: names given once or twice a year in the town.
            for _ in range(round(total * 0.14)):
                counts[rng.choice(order[len(order) // 2 :])] += 1
            for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append(["Rochefort", "17299", sex, name, count, year])
    header = ("COMMUNE_NOM COLL_INSEE ENFANT_SEXE ENFANT_PRENOM NOMBRE_OCCURRENCES ANNEE").split()
    return write_csv("prenoms-rochefort.csv", header, rows, ";")


# ---------------------------------------------------------------------------------------------
# 12. Consommations d'énergie des bâtiments communautaires (XLSX, no schema)
# ---------------------------------------------------------------------------------------------

# id | name | commune | address | surface m2 | built | electricity kWh/year | gas kWh/year |
# profile
BUILDINGS = table("""
B01 | Hôtel d'agglomération | 17299 | 3 avenue Maurice Chupin | 4200 | 1992 | 520000 | 380000 \
| bureaux
B02 | Centre aquatique communautaire | 17299 | 40 boulevard Édouard Herriot | 5600 | 2004 \
| 1650000 | 2900000 | piscine
B03 | Piscine d'été de Tonnay-Charente | 17449 | 18 rue Pasteur | 900 | 1975 | 160000 | 420000 \
| ete
B04 | Médiathèque de Rochefort | 17299 | 12 rue Toufaire | 2300 | 1998 | 290000 | 210000 \
| bureaux
B05 | Conservatoire de musique et de danse | 17299 | 25 rue Lesson | 1900 | 1885 | 120000 \
| 260000 | bureaux
B06 | Pépinière d'entreprises | 17299 | 10 avenue de Béligon | 1400 | 2012 | 210000 | 0 \
| bureaux
B07 | Centre technique communautaire | 17449 | 41 avenue d'Aunis | 2600 | 1988 | 180000 \
| 240000 | atelier
B08 | Déchèterie de Rochefort | 17299 | Avenue de Béligon | 300 | 2006 | 42000 | 0 | atelier
B09 | Déchèterie de Saint-Agnant | 17308 | Route de Marennes | 220 | 2010 | 28000 | 0 | atelier
B10 | Office de tourisme de Fouras | 17168 | Rue de la Halle | 350 | 2015 | 61000 | 0 | tourisme
B11 | Maison de la petite enfance | 17146 | Avenue de l'Europe | 780 | 2009 | 88000 | 96000 \
| bureaux
B12 | Gymnase communautaire de Saint-Agnant | 17308 | 27 avenue de Rochefort | 1800 | 1996 \
| 74000 | 185000 | gymnase
B13 | Gymnase communautaire de Tonnay-Charente | 17449 | 41 avenue d'Aunis | 2100 | 1983 \
| 82000 | 230000 | gymnase
B14 | Gare maritime de la Pointe de la Fumée | 17168 | Avenue de la Pointe de la Fumée | 260 \
| 2018 | 54000 | 0 | tourisme
B15 | Maison des marais | 17353 | Rue de la Mairie | 420 | 2001 | 36000 | 41000 | tourisme
""")
HEATING = [0.19, 0.16, 0.13, 0.08, 0.04, 0.01, 0.0, 0.0, 0.02, 0.07, 0.12, 0.18]


def monthly_share(profile: str, energy: str, month: int) -> float:
    if energy == "gaz":
        if profile == "piscine":
            return 0.05 + 0.4 * HEATING[month - 1] / sum(HEATING)
        if profile == "ete":
            return {5: 0.12, 6: 0.28, 7: 0.3, 8: 0.26, 9: 0.04}.get(month, 0.0)
        return HEATING[month - 1] / sum(HEATING)
    if profile == "ete":
        return {5: 0.1, 6: 0.22, 7: 0.28, 8: 0.26, 9: 0.06}.get(month, 0.08 / 7)
    if profile == "tourisme":
        return [0.05, 0.05, 0.07, 0.09, 0.1, 0.11, 0.14, 0.14, 0.09, 0.07, 0.05, 0.04][month - 1]
    return [0.1, 0.095, 0.09, 0.08, 0.075, 0.07, 0.06, 0.055, 0.075, 0.085, 0.1, 0.115][month - 1]


def write_consommations() -> tuple[int, set[str]]:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rng = rng_for("consommations")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Consommations"
    header = (
        "annee mois batiment_id batiment commune code_insee energie consommation_kwh index_estime"
    ).split()
    sheet.append(header)
    count = 0
    for year in (2024, 2025):
        # 2025 benefits from the heating set-point decrease and LED relamping.
        factor = 1.0 if year == 2024 else 0.93
        for month in range(1, 13):
            for bid, name, code, _addr, _surf, _built, elec, gas, profile in BUILDINGS:
                for energy, annual_text in (("électricité", elec), ("gaz", gas)):
                    annual = int(annual_text)
                    if not annual:
                        continue
                    share = monthly_share(profile, energy, month)
                    value: int | None = round(annual * factor * share * rng.uniform(0.92, 1.08))
                    estimated = rng.random() < 0.04
                    if (bid, energy, year, month) == ("B05", "gaz", 2025, 3):
                        value, estimated = None, False  # gas meter replaced: no reading
                    sheet.append(
                        [
                            year,
                            month,
                            bid,
                            name,
                            COMMUNES[code].name,
                            code,
                            energy,
                            value,
                            "oui" if estimated else "non",
                        ]
                    )
                    count += 1
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (8, 6, 11, 40, 26, 11, 13, 18, 13), strict=True):
        sheet.column_dimensions[column].width = width

    buildings = workbook.create_sheet("Bâtiments")
    buildings.append(
        [
            "batiment_id",
            "batiment",
            "commune",
            "code_insee",
            "adresse",
            "surface_m2",
            "annee_construction",
            "chauffage",
        ]
    )
    for bid, name, code, addr, surface, built, _elec, gas, _profile in BUILDINGS:
        heating = "gaz" if int(gas) else "pompe à chaleur"
        buildings.append(
            [bid, name, COMMUNES[code].name, code, addr, int(surface), int(built), heating]
        )
    for cell in buildings[1]:
        cell.font = Font(bold=True)

    notes = workbook.create_sheet("Notes")
    for line in (
        [
            "Consommations mensuelles d'énergie des bâtiments communautaires (données fictives"
            " de démonstration)."
        ],
        [
            "Source : relevés des compteurs transmis par les fournisseurs, consolidés par la"
            " direction de l'énergie et des bâtiments."
        ],
        [
            "Unité : kWh (gaz en kWh PCS). index_estime = oui lorsque le fournisseur a estimé"
            " l'index."
        ],
        ["Mars 2025, conservatoire, gaz : pas de relevé (remplacement du compteur)."],
    ):
        notes.append(line)

    workbook.properties.creator = "Servicielle (démo)"
    fixed = dt.datetime(2026, 1, 15, 9, 0, 0)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Re-pack with fixed timestamps so that the file is byte-for-byte reproducible.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(OUT / "consommations-batiments.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            fixed_info = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 15, 9, 0, 0))
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-15T09:00:00Z", content
                )
            out.writestr(fixed_info, content)
    return count, {b[2] for b in BUILDINGS}


# ---------------------------------------------------------------------------------------------
# 14. Marchés publics (contracts, no schema) and profils d'acheteurs (etalab/schema-decp-dpa)
# ---------------------------------------------------------------------------------------------

# objet | nature | procédure | CPV | price form | amount min | max (HT) | months | holder |
# place of performance (INSEE, "-" for the whole territory)
CONTRACTS = table("""
Collecte des déchets ménagers et assimilés et des points d'apport volontaire | Marché \
| Appel d'offres ouvert | 90511000-2 | Mixte | 9800000 | 9800000 | 72 \
| Océan Collecte Services (démo) | -
Marché global de performance pour l'éclairage public des parcs d'activités | Marché \
| Appel d'offres ouvert | 50232100-1 | Mixte | 2350000 | 2350000 | 96 \
| Lumière Atlantique Maintenance (démo) | -
Travaux d'entretien des voiries des parcs d'activités | Accord-cadre | Appel d'offres ouvert \
| 45233141-9 | Unitaire | 600000 | 1200000 | 48 | Travaux Publics de l'Estuaire (démo) | 17299
Fourniture de conteneurs d'apport volontaire | Accord-cadre | Appel d'offres ouvert \
| 34928480-6 | Unitaire | 250000 | 420000 | 48 | Conteneurs de l'Ouest (démo) | -
Fourniture d'électricité pour les bâtiments et l'éclairage public (groupement de commandes) \
| Accord-cadre | Appel d'offres ouvert | 09310000-5 | Unitaire | 3100000 | 3100000 | 36 \
| Énergie Atlantique Fourniture (démo) | -
Fourniture de gaz naturel (groupement de commandes) | Accord-cadre | Appel d'offres ouvert \
| 09123000-7 | Unitaire | 1400000 | 1400000 | 36 | Gaz Océan Fourniture (démo) | -
Maîtrise d'oeuvre pour la rénovation du centre aquatique communautaire | Marché \
| Procédure avec négociation | 71000000-8 | Forfaitaire | 620000 | 620000 | 48 \
| Atelier d'architecture du Littoral (démo) | 17299
Rénovation du centre aquatique - lot 1 gros oeuvre | Marché | Appel d'offres ouvert \
| 45212212-5 | Forfaitaire | 2100000 | 2100000 | 20 | Bâtiment Charentais (démo) | 17299
Rénovation du centre aquatique - lot 5 traitement de l'eau | Marché | Appel d'offres ouvert \
| 45232430-5 | Forfaitaire | 780000 | 780000 | 14 | Hydro Process Atlantique (démo) | 17299
Aménagement de pistes cyclables du schéma directeur | Accord-cadre | Appel d'offres ouvert \
| 45233162-2 | Unitaire | 400000 | 900000 | 48 | Travaux Publics de l'Estuaire (démo) | -
Fourniture et pose d'arceaux et d'abris vélos | Marché | Procédure adaptée | 34928400-2 \
| Unitaire | 60000 | 140000 | 36 | Mobilier Urbain Saintonge (démo) | -
Fourniture de bornes de recharge pour véhicules électriques | Marché | Procédure adaptée \
| 31158100-9 | Forfaitaire | 150000 | 260000 | 12 | Océan Recharge Services (démo) | -
Entretien des espaces verts des parcs d'activités | Accord-cadre | Procédure adaptée \
| 77313000-7 | Unitaire | 80000 | 180000 | 36 | Espaces Verts des Marais (démo) | -
Nettoyage des locaux communautaires | Marché | Procédure adaptée | 90919200-4 | Forfaitaire \
| 120000 | 240000 | 36 | Propreté Rochefortaise (démo) | 17299
Prestations de services informatiques - infogérance | Marché | Appel d'offres ouvert \
| 72000000-5 | Mixte | 450000 | 700000 | 48 | Numérique Atlantique (démo) | 17299
Impression des supports de communication | Accord-cadre | Procédure adaptée | 79810000-5 \
| Unitaire | 40000 | 110000 | 36 | Imprimerie de l'Arsenal (démo) | -
Assurances - dommages aux biens | Marché | Appel d'offres ouvert | 66515200-5 | Forfaitaire \
| 220000 | 320000 | 60 | Mutuelle des Collectivités (démo) | -
Étude de réduction de la vulnérabilité aux submersions marines | Marché | Procédure adaptée \
| 71313000-5 | Forfaitaire | 60000 | 150000 | 18 | Bureau d'études Littoral Conseil (démo) | -
Travaux de confortement de digues (PAPI) | Marché | Appel d'offres ouvert | 45246000-3 \
| Unitaire | 900000 | 1600000 | 14 | Génie Côtier Atlantique (démo) | 17484
Acquisition de bennes à ordures ménagères | Marché | Appel d'offres ouvert | 34144510-6 \
| Forfaitaire | 280000 | 560000 | 6 | Véhicules Industriels Océan (démo) | -
Location et maintenance de photocopieurs | Marché | Procédure adaptée | 30120000-6 \
| Forfaitaire | 50000 | 90000 | 48 | Bureautique Charentaise (démo) | -
Fourniture de livres et documents pour les médiathèques | Accord-cadre | Procédure adaptée \
| 22113000-5 | Unitaire | 60000 | 120000 | 48 | Librairie de la Corderie (démo) | 17299
Accompagnement à l'élaboration du programme local de l'habitat | Marché | Procédure adaptée \
| 79311400-1 | Forfaitaire | 45000 | 85000 | 18 | Habitat et Territoires Conseil (démo) | -
Animation de l'opération programmée d'amélioration de l'habitat | Marché \
| Appel d'offres ouvert | 71241000-9 | Mixte | 280000 | 420000 | 60 \
| Habitat et Territoires Conseil (démo) | -
Transport des élèves vers les équipements aquatiques | Accord-cadre | Procédure adaptée \
| 60130000-8 | Unitaire | 70000 | 130000 | 48 | Autocars de l'Aunis (démo) | -
Contrôle et maintenance des aires de jeux et équipements sportifs | Marché \
| Procédure adaptée | 50870000-4 | Unitaire | 25000 | 60000 | 36 \
| Sécurité Loisirs Contrôle (démo) | -
Travaux d'aménagement de la gare maritime de la Pointe de la Fumée | Marché \
| Procédure adaptée | 45241000-0 | Forfaitaire | 380000 | 620000 | 10 \
| Bâtiment Charentais (démo) | 17168
Signalétique des parcs d'activités | Marché | Procédure adaptée | 34928470-3 | Forfaitaire \
| 45000 | 90000 | 8 | Atlantique Signalisation (démo) | -
Vérifications périodiques réglementaires des bâtiments | Accord-cadre | Procédure adaptée \
| 71631000-0 | Unitaire | 40000 | 80000 | 48 | Contrôle Technique Océan (démo) | -
Fourniture de vélos à assistance électrique en location longue durée | Marché \
| Appel d'offres ouvert | 34430000-0 | Unitaire | 180000 | 320000 | 48 \
| Cycles de l'Estuaire (démo) | -
Assistance à maîtrise d'ouvrage pour le renouvellement de la délégation du stationnement \
| Marché | Procédure adaptée | 79411000-8 | Forfaitaire | 35000 | 70000 | 18 \
| Conseil Mobilités Ouest (démo) | -
Évaluation du plan climat-air-énergie territorial | Marché | Procédure adaptée | 90713000-8 \
| Forfaitaire | 40000 | 75000 | 12 | Climat Territoires Conseil (démo) | -
Travaux de rénovation énergétique du conservatoire | Marché | Appel d'offres ouvert \
| 45321000-3 | Forfaitaire | 520000 | 900000 | 12 | Bâtiment Charentais (démo) | 17299
Maintenance des installations de chauffage, ventilation et climatisation | Marché \
| Appel d'offres ouvert | 50720000-8 | Mixte | 160000 | 260000 | 48 \
| Thermique Atlantique Services (démo) | -
Traitement des déchets verts des déchèteries | Accord-cadre | Appel d'offres ouvert \
| 90513000-6 | Unitaire | 350000 | 600000 | 48 | Compostage des Marais (démo) | -
Transport et traitement des encombrants des déchèteries | Accord-cadre \
| Appel d'offres ouvert | 90512000-9 | Unitaire | 500000 | 900000 | 48 \
| Océan Collecte Services (démo) | -
Prestations de gardiennage des déchèteries | Marché | Procédure adaptée | 79713000-5 \
| Forfaitaire | 90000 | 150000 | 36 | Surveillance Charente (démo) | -
Mobilier pour la médiathèque de Tonnay-Charente | Marché | Procédure adaptée | 39100000-3 \
| Forfaitaire | 35000 | 70000 | 4 | Mobilier Urbain Saintonge (démo) | 17449
Restauration de la toiture de la maison des marais | Marché | Procédure adaptée | 45261000-4 \
| Forfaitaire | 60000 | 140000 | 6 | Charpentes de Saintonge (démo) | 17353
Diagnostic de l'accessibilité des arrêts de bus | Marché | Procédure adaptée | 71311000-1 \
| Forfaitaire | 25000 | 55000 | 8 | Conseil Mobilités Ouest (démo) | -
""")


def write_marches() -> tuple[int, set[str]]:
    rng = rng_for("marches-publics")
    used: set[str] = set()
    holders: dict[str, str] = {}
    rows = []
    start = dt.date(2023, 1, 9)
    span = (dt.date(2026, 9, 30) - start).days
    notified = sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in CONTRACTS)
    counters: Counter[int] = Counter()
    places: set[str] = set()
    for day, (
        objet,
        nature,
        procedure,
        cpv,
        price,
        low_text,
        high_text,
        months,
        holder,
        where,
    ) in zip(notified, CONTRACTS, strict=True):
        low, high = int(low_text), int(high_text)
        if holder not in holders:
            holders[holder] = siret_of(
                fake_siren(rng, used, rng.choice("3458")), rng.randint(10, 60)
            )
        counters[day.year] += 1
        amount = round(rng.uniform(low, high), -2) if low != high else float(low)
        place_code = where or "17299"
        places.add(place_code)
        rows.append(
            [
                f"{day.year}CARO{counters[day.year]:03d}",
                CARO_SIRET,
                CARO_NAME,
                objet,
                nature,
                procedure,
                cpv,
                place_code,
                "Code commune" if where else "Code commune (siège de l'acheteur)",
                price,
                money(amount),
                iso(day),
                iso(day + dt.timedelta(days=rng.randint(5, 40))),
                months,
                holder,
                holders[holder],
            ]
        )
    header = (
        "id acheteur_siret acheteur_nom objet nature procedure code_cpv lieu_execution_code"
        " lieu_execution_type forme_prix montant_ht date_notification date_publication_donnees"
        " duree_mois titulaire_denomination titulaire_siret"
    ).split()
    return write_csv("marches-publics.csv", header, rows, ";"), places


def write_profils_acheteurs() -> int:
    rows = [
        [
            CARO_SIRET,
            f"https://marches.{DEMO_HOST}/acheteur/{CARO_SIREN}",
            f"https://marches.{DEMO_HOST}/dcat/{CARO_SIREN}.ttl",
            f"Service de la commande publique, {CARO_NAME}, 3 avenue Maurice Chupin, 17300"
            " Rochefort",
        ]
    ]
    for code in ALL_CODES:
        commune = COMMUNES[code]
        rows.append(
            [
                commune.siret,
                f"https://marches.{DEMO_HOST}/acheteur/{commune.siren}",
                None,
                f"Mairie de {commune.name}, {commune.postcode} {commune.name}",
            ]
        )
    header = ["siretAcheteur", "urlProfilAcheteur", "urlDCAT", "coordonnees"]
    return write_csv("profils-acheteurs.csv", header, rows, ",")


# ---------------------------------------------------------------------------------------------
# Metadata: datasets.json
# ---------------------------------------------------------------------------------------------

SCHEMA_FILES = {
    "scdl/deliberations": ("scdl/deliberations-2.1.5.schema.json", "2.1.5"),
    "scdl/subventions": ("scdl/subventions-2.1.1.schema.json", "2.1.1"),
    "scdl/equipements": ("scdl/equipements-0.1.5.schema.json", "0.1.5"),
    "scdl/budget": ("scdl/budget-0.8.3.schema.json", "0.8.3"),
    "scdl/prenoms": ("scdl/prenoms-1.1.6.schema.json", "1.1.6"),
    "etalab/schema-stationnement": ("other/schema-stationnement.schema.json", "0.1.5"),
    "etalab/schema-stationnement-cyclable": (
        "other/schema-stationnement-cyclable.schema.json",
        "1.1.1",
    ),
    "etalab/schema-irve-statique": ("other/schema-irve-statique.schema.json", "2.3.0"),
    "etalab/schema-lieux-covoiturage": ("other/schema-lieux-covoiturage.schema.json", "0.3.0"),
    "etalab/schema-decp-dpa": ("other/schema-decp-dpa.schema.json", "1.0.0"),
}
DELIMITERS = {
    "deliberations.csv": ";",
    "subventions-2025.csv": ";",
    "equipements.csv": ";",
    "budget-2025.csv": ";",
    "prenoms-rochefort.csv": ";",
    "marches-publics.csv": ";",
    "frequentation-parkings.csv": ";",
}
FAKE = (
    "\n\n*Données fictives de démonstration : seules les communes (noms, codes INSEE, SIREN,"
    " contours) sont réelles.*"
)


def resource(title: str, file: str, fmt: str, description: str, schema: str | None = None):
    item: dict[str, Any] = {"title": title, "file": file, "format": fmt}
    if schema:
        item["schema"] = schema
        item["schema_version"] = SCHEMA_FILES[schema][1]
    item["description"] = description
    return item


def documentation(title: str, url: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "url": url,
        "format": "html",
        "kind": "documentation",
        "description": description,
    }


def contact(name: str, local: str) -> dict[str, str]:
    return {"name": name, "email": f"{local}@{DEMO_HOST}"}


def build_metadata(stats: dict[str, tuple[int, set[str]]]) -> list[dict[str, Any]]:
    def communes(file: str) -> list[str]:
        codes = stats[file][1]
        return ALL_CODES if set(ALL_CODES) <= codes else sorted(codes)

    def rows(file: str) -> int:
        return stats[file][0]

    def dataset(slug: str, title: str, description: str, **fields: Any) -> dict[str, Any]:
        item = {"slug": slug, "title": title, "description": description + FAKE}
        item.update(
            {
                "organisation": fields.pop("organisation"),
                "community": fields.pop("community", None),
                "licence": fields.pop("licence", "lov2"),
                "themes": fields.pop("themes"),
                "keywords": fields.pop("keywords"),
                "frequency": fields.pop("frequency"),
                "temporal": fields.pop("temporal", None),
                "communes": fields.pop("communes"),
                "contact": fields.pop("contact"),
                "status": fields.pop("status", "public"),
                "modified_days_ago": fields.pop("modified_days_ago"),
                "resources": fields.pop("resources"),
            }
        )
        if fields:
            raise TypeError(f"unexpected fields {sorted(fields)}")
        return item

    def period(start: str, end: str) -> dict[str, str]:
        return {"start": start, "end": end}

    return [
        dataset(
            "deliberations-conseil-communautaire",
            "Délibérations du conseil communautaire",
            "Liste des délibérations adoptées par le conseil communautaire de la Communauté"
            " d'agglomération Rochefort Océan depuis janvier 2024, au format du Socle commun des"
            " données locales (SCDL). Chaque ligne donne l'objet, la matière de la nomenclature"
            " ACTES, la date de transmission au contrôle de légalité (sous-préfecture de"
            " Rochefort) et le détail des votes. Le fichier est complété après chaque séance par"
            " le service des assemblées. Les prises d'acte (rapports, débat d'orientation"
            " budgétaire) n'ont pas de décompte de votes.",
            organisation="agglomeration",
            themes=["GOVE"],
            keywords=["délibérations", "conseil communautaire", "SCDL", "actes administratifs"],
            frequency="monthly",
            temporal=period("2024-01-01", "2026-10-31"),
            communes=ALL_CODES,
            contact=contact("Service des assemblées", "assemblees"),
            modified_days_ago=24,
            resources=[
                resource(
                    "Délibérations 2024-2026",
                    "deliberations.csv",
                    "csv",
                    f"{rows('deliberations.csv')} délibérations, séparateur point-virgule, UTF-8.",
                    "scdl/deliberations",
                ),
                documentation(
                    "Ordres du jour et procès-verbaux des séances",
                    f"{DOC_HOST}/conseil-communautaire",
                    "Page des séances du conseil communautaire sur le site de l'agglomération.",
                ),
            ],
        ),
        dataset(
            "subventions-associations-2025",
            "Subventions aux associations 2025",
            "Subventions attribuées en 2025 par la Communauté d'agglomération Rochefort Océan aux"
            " associations du territoire (sport, culture, solidarité, environnement, animation"
            " locale). Les montants sont en euros ; la colonne referenceDecision renvoie à la"
            " délibération d'attribution publiée dans le jeu « Délibérations du conseil"
            " communautaire ». Publication annuelle au titre de l'obligation de transparence"
            " des aides de plus de 23 000 euros, étendue ici à toutes les subventions.",
            organisation="agglomeration",
            themes=["GOVE", "SOCI"],
            keywords=["subventions", "associations", "SCDL", "transparence"],
            frequency="annual",
            temporal=period("2025-01-01", "2025-12-31"),
            communes=communes("subventions-2025.csv"),
            contact=contact("Direction des finances", "finances"),
            modified_days_ago=262,
            resources=[
                resource(
                    "Subventions attribuées en 2025",
                    "subventions-2025.csv",
                    "csv",
                    f"{rows('subventions-2025.csv')} subventions, séparateur point-virgule,"
                    " montants avec un point décimal.",
                    "scdl/subventions",
                )
            ],
        ),
        dataset(
            "equipements-publics",
            "Équipements collectifs publics",
            "Inventaire des équipements publics du territoire : mairies, écoles, gymnases,"
            " piscines, médiathèques, salles des fêtes, déchèteries, pôles d'échanges. Les"
            " coordonnées sont en WGS 84. Limite connue : le motif du champ ADR_COMMUNE du"
            " schéma SCDL 0.1.5 refuse l'apostrophe, si bien que les équipements d'Île-d'Aix et"
            " de Saint-Jean-d'Angle n'y figurent pas encore. Mise à jour annuelle par la"
            " direction des données.",
            organisation="donnees",
            themes=["REGI", "SOCI"],
            keywords=["équipements", "services publics", "SCDL", "géolocalisation"],
            frequency="annual",
            communes=communes("equipements.csv"),
            contact=contact("Direction des données et du numérique", "donnees"),
            modified_days_ago=431,
            resources=[
                resource(
                    "Équipements publics",
                    "equipements.csv",
                    "csv",
                    f"{rows('equipements.csv')} équipements géolocalisés, séparateur"
                    " point-virgule.",
                    "scdl/equipements",
                ),
                documentation(
                    "Schéma SCDL des équipements collectifs publics",
                    "https://schema.data.gouv.fr/scdl/equipements/",
                    "Documentation du schéma sur schema.data.gouv.fr.",
                ),
            ],
        ),
        dataset(
            "parkings",
            "Parkings de Rochefort, Fouras et Tonnay-Charente",
            "Parkings publics gérés par le délégataire du stationnement : capacité, places PMR,"
            " bornes de recharge, tarifs horaires et abonnements. Données transmises par"
            " l'opérateur au titre du contrat de délégation de service public. La mise à jour"
            " trimestrielle prévue au contrat n'a pas été faite depuis le printemps : les tarifs"
            " 2026 n'y figurent pas encore.",
            organisation="rochefort-stationnement",
            themes=["TRAN"],
            keywords=["stationnement", "parkings", "tarifs", "délégation de service public"],
            frequency="quarterly",
            communes=communes("stationnement.csv"),
            contact=contact("Opérateur de stationnement", "stationnement"),
            modified_days_ago=148,
            resources=[
                resource(
                    "Parkings publics",
                    "stationnement.csv",
                    "csv",
                    f"{rows('stationnement.csv')} parkings, séparateur virgule.",
                    "etalab/schema-stationnement",
                )
            ],
        ),
        dataset(
            "frequentation-parkings-2025",
            "Fréquentation journalière des parkings en 2025",
            "Nombre d'entrées et taux d'occupation moyen par jour des cinq parkings équipés de"
            " barrières de comptage (Corderie Royale, Théâtre de la Coupe d'Or, gare, thermes,"
            " Pointe de la Fumée). Export brut du logiciel de péage de l'opérateur : séparateur"
            " point-virgule, virgule décimale, dates jj/mm/aaaa et encodage Windows-1252. Le"
            " taux d'occupation est en pourcentage de la capacité.",
            organisation="rochefort-stationnement",
            themes=["TRAN"],
            keywords=["stationnement", "fréquentation", "comptages", "tourisme"],
            frequency="annual",
            temporal=period("2025-01-01", "2025-12-31"),
            communes=communes("frequentation-parkings.csv"),
            contact=contact("Opérateur de stationnement", "stationnement"),
            modified_days_ago=298,
            resources=[
                resource(
                    "Fréquentation journalière 2025",
                    "frequentation-parkings.csv",
                    "csv",
                    f"{rows('frequentation-parkings.csv')} lignes (5 parkings x 365 jours),"
                    " export Windows-1252.",
                )
            ],
        ),
        dataset(
            "stationnement-velo",
            "Stationnement vélo",
            "Arceaux, râteliers et consigne sécurisée pour vélos installés sur le territoire,"
            " avec leur capacité, le type de mobilier et le gestionnaire. L'inventaire a été"
            " complété à partir d'OpenStreetMap, d'où la licence ODbL. Mis à jour chaque"
            " trimestre par la direction des mobilités ; les signalements de l'association"
            " Rochefort à vélo sont intégrés au fil de l'eau.",
            organisation="mobilites",
            licence="odc-odbl",
            themes=["TRAN"],
            keywords=["vélo", "stationnement cyclable", "arceaux", "mobilités douces"],
            frequency="quarterly",
            communes=communes("stationnement-cyclable.csv"),
            contact=contact("Direction des mobilités", "mobilites"),
            modified_days_ago=53,
            resources=[
                resource(
                    "Emplacements de stationnement vélo",
                    "stationnement-cyclable.csv",
                    "csv",
                    f"{rows('stationnement-cyclable.csv')} emplacements, séparateur virgule,"
                    " coordonnées [longitude,latitude].",
                    "etalab/schema-stationnement-cyclable",
                )
            ],
        ),
        dataset(
            "bornes-recharge-vehicules-electriques",
            "Bornes de recharge pour véhicules électriques",
            "Points de recharge ouverts au public dont la Communauté d'agglomération est"
            " aménageur : localisation, puissance, types de prise, tarifs et accessibilité. Le"
            " fichier suit le schéma IRVE statique pour être agrégé dans la base nationale"
            " publiée sur transport.data.gouv.fr. Une ligne par point de charge.",
            organisation="mobilites",
            themes=["TRAN", "ENER"],
            keywords=["IRVE", "recharge", "véhicules électriques", "mobilité"],
            frequency="monthly",
            communes=communes("irve.csv"),
            contact=contact("Direction des mobilités", "mobilites"),
            modified_days_ago=12,
            resources=[
                resource(
                    "Points de recharge",
                    "irve.csv",
                    "csv",
                    f"{rows('irve.csv')} points de charge, séparateur virgule.",
                    "etalab/schema-irve-statique",
                )
            ],
        ),
        dataset(
            "aires-covoiturage",
            "Aires de covoiturage",
            "Aires et parkings de covoiturage du territoire, avec leur capacité et leur"
            " éclairage. Jeu archivé : les aires sont désormais publiées dans la base nationale"
            " consolidée des lieux de covoiturage, alimentée par le Département.",
            organisation="mobilites",
            themes=["TRAN"],
            keywords=["covoiturage", "aires", "mobilité"],
            frequency="irregular",
            communes=communes("covoiturage.csv"),
            contact=contact("Direction des mobilités", "mobilites"),
            status="archived",
            modified_days_ago=417,
            resources=[
                resource(
                    "Lieux de covoiturage",
                    "covoiturage.csv",
                    "csv",
                    f"{rows('covoiturage.csv')} lieux, séparateur virgule.",
                    "etalab/schema-lieux-covoiturage",
                )
            ],
        ),
        dataset(
            "budget-primitif-2025",
            "Budget primitif 2025 - budget principal",
            "Budget primitif 2025 du budget principal de la Communauté d'agglomération"
            " Rochefort Océan, voté le 27 mars 2025, par chapitre, article (nomenclature M57) et"
            " fonction. Les sections sont équilibrées ; les crédits de l'article 6574 couvrent"
            " les subventions aux associations publiées par ailleurs. Les budgets annexes"
            " (transports, parcs d'activités, assainissement) ne sont pas inclus.",
            organisation="agglomeration",
            themes=["GOVE", "ECON"],
            keywords=["budget", "finances", "M57", "SCDL"],
            frequency="punctual",
            temporal=period("2025-01-01", "2025-12-31"),
            communes=ALL_CODES,
            contact=contact("Direction des finances", "finances"),
            modified_days_ago=590,
            resources=[
                resource(
                    "Budget primitif 2025",
                    "budget-2025.csv",
                    "csv",
                    f"{rows('budget-2025.csv')} lignes budgétaires, montants en euros,"
                    " séparateur point-virgule.",
                    "scdl/budget",
                )
            ],
        ),
        dataset(
            "prenoms-rochefort",
            "Prénoms des enfants nés à Rochefort",
            "Nombre d'enfants nés à Rochefort par prénom, sexe et année de naissance, de 2020 à"
            " 2025, extrait des registres de l'état civil de la Ville de Rochefort (naissances"
            " enregistrées à la maternité du centre hospitalier, quel que soit le domicile des"
            " parents). Publication annuelle en janvier par la direction des données"
            " mutualisée.",
            organisation="donnees",
            themes=["SOCI"],
            keywords=["prénoms", "naissances", "état civil", "SCDL"],
            frequency="annual",
            temporal=period("2020-01-01", "2025-12-31"),
            communes=["17299"],
            contact=contact("Direction des données et du numérique", "donnees"),
            modified_days_ago=305,
            resources=[
                resource(
                    "Prénoms 2020-2025",
                    "prenoms-rochefort.csv",
                    "csv",
                    f"{rows('prenoms-rochefort.csv')} lignes, séparateur point-virgule.",
                    "scdl/prenoms",
                )
            ],
        ),
        dataset(
            "points-apport-volontaire",
            "Points d'apport volontaire (verre, papier, textile)",
            "Conteneurs d'apport volontaire pour le verre, les papiers et les textiles, avec leur"
            " volume et leur date d'installation. Données tenues par l'opérateur de collecte dans"
            " le cadre du marché de collecte et publiées chaque trimestre.",
            organisation="collecte-dechets",
            themes=["ENVI"],
            keywords=["déchets", "tri", "verre", "apport volontaire", "collecte"],
            frequency="quarterly",
            communes=communes("points-apport-volontaire.geojson"),
            contact=contact("Opérateur de collecte des déchets", "collecte"),
            modified_days_ago=19,
            resources=[
                resource(
                    "Points d'apport volontaire",
                    "points-apport-volontaire.geojson",
                    "geojson",
                    f"{rows('points-apport-volontaire.geojson')} conteneurs (points, WGS 84).",
                )
            ],
        ),
        dataset(
            "consommations-energetiques-batiments",
            "Consommations d'énergie des bâtiments communautaires",
            "Consommations mensuelles d'électricité et de gaz (kWh) de quinze bâtiments"
            " communautaires en 2024 et 2025, issues des relevés des fournisseurs. Le classeur"
            " contient aussi la liste des bâtiments (surface, année de construction, mode de"
            " chauffage). Jeu en cours de vérification avant publication : un relevé de gaz"
            " manque en mars 2025 et certains index sont estimés.",
            organisation="energie",
            themes=["ENER", "ENVI"],
            keywords=["énergie", "consommations", "bâtiments publics", "décret tertiaire"],
            frequency="annual",
            temporal=period("2024-01-01", "2025-12-31"),
            communes=communes("consommations-batiments.xlsx"),
            contact=contact("Direction de l'énergie et des bâtiments", "energie"),
            status="private",
            modified_days_ago=8,
            resources=[
                resource(
                    "Consommations mensuelles 2024-2025",
                    "consommations-batiments.xlsx",
                    "xlsx",
                    f"Classeur Excel : {rows('consommations-batiments.xlsx')} lignes dans"
                    " l'onglet Consommations, plus les onglets Bâtiments et Notes.",
                )
            ],
        ),
        dataset(
            "releve-citoyen-arceaux-velo",
            "Relevé citoyen des arceaux vélo",
            "Relevé de terrain des arceaux vélo de Rochefort, Tonnay-Charente, Fouras et"
            " Échillais mené par les bénévoles de l'association à l'automne 2026 : état constaté,"
            " nombre de places utilisables et emplacements manquants. La colonne ref_agglo"
            " renvoie à l'identifiant du jeu « Stationnement vélo » de l'agglomération ; les"
            " lignes sans référence signalent des arceaux absents de l'inventaire ou souhaités.",
            organisation=None,
            community={
                "author": "Rochefort à vélo (démo)",
                "kind": "association",
                "moderation": "approved",
            },
            licence="cc-by",
            themes=["TRAN", "SOCI"],
            keywords=["vélo", "arceaux", "contribution citoyenne", "signalement"],
            frequency="irregular",
            temporal=period("2026-09-01", "2026-10-31"),
            communes=communes("releve-arceaux-velo-association.csv"),
            contact={"name": "Rochefort à vélo (démo)", "email": f"velo@{DEMO_HOST}"},
            modified_days_ago=14,
            resources=[
                resource(
                    "Relevé de l'automne 2026",
                    "releve-arceaux-velo-association.csv",
                    "csv",
                    f"{rows('releve-arceaux-velo-association.csv')} emplacements relevés,"
                    " séparateur virgule, colonnes lat et lon en WGS 84.",
                )
            ],
        ),
        dataset(
            "marches-publics",
            "Marchés publics de la Communauté d'agglomération",
            "Principaux marchés notifiés par la Communauté d'agglomération Rochefort Océan depuis"
            " 2023 : objet, procédure, code CPV, montant hors taxes, durée et titulaire. Le"
            " fichier des marchés reprend les champs essentiels des données de la commande"
            " publique sous une forme tabulaire simplifiée ; le fichier des profils d'acheteurs"
            " suit le schéma national de déclaration de profil d'acheteur pour l'agglomération"
            " et ses 25 communes.",
            organisation="agglomeration",
            themes=["GOVE", "ECON"],
            keywords=["marchés publics", "commande publique", "DECP", "achats"],
            frequency="quarterly",
            temporal=period("2023-01-01", "2026-09-30"),
            communes=communes("marches-publics.csv"),
            contact=contact("Service de la commande publique", "marches"),
            modified_days_ago=46,
            resources=[
                resource(
                    "Marchés notifiés 2023-2026",
                    "marches-publics.csv",
                    "csv",
                    f"{rows('marches-publics.csv')} marchés, séparateur point-virgule, montants"
                    " hors taxes en euros.",
                ),
                resource(
                    "Profils d'acheteurs du territoire",
                    "profils-acheteurs.csv",
                    "csv",
                    f"{rows('profils-acheteurs.csv')} acheteurs (agglomération et communes),"
                    " séparateur virgule.",
                    "etalab/schema-decp-dpa",
                ),
            ],
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


def generate() -> dict[str, tuple[int, set[str]]]:
    OUT.mkdir(parents=True, exist_ok=True)
    stats: dict[str, tuple[int, set[str]]] = {}
    delibs, decisions = make_deliberations()
    stats["deliberations.csv"] = (write_deliberations(delibs), set(ALL_CODES))
    count, grants = write_subventions(decisions)
    stats["subventions-2025.csv"] = (count, {grant.commune for grant in grants})
    equipments = make_equipments()
    stats["equipements.csv"] = (write_equipements(equipments), {e.code for e in equipments})
    operator_siret = siret_of(fake_siren(rng_for("operator"), set(), "8"), 17)
    parks, park_rows = make_car_parks(operator_siret)
    stats["stationnement.csv"] = (write_stationnement(park_rows), {p.code for p in parks})
    counted = {p.code for p in parks if p.park_id in COUNTED_PARKS}
    stats["frequentation-parkings.csv"] = (write_frequentation(parks), counted)
    stats["irve.csv"] = (write_irve(parks), {station[0] for station in STATIONS})
    stats["covoiturage.csv"] = write_covoiturage()
    racks = make_racks(equipments)
    stats["stationnement-cyclable.csv"] = (
        write_stationnement_cyclable(racks),
        {rack.code for rack in racks},
    )
    stats["releve-arceaux-velo-association.csv"] = write_community_survey(racks)
    stats["points-apport-volontaire.geojson"] = write_pav()
    stats["budget-2025.csv"] = (write_budget(grants), set(ALL_CODES))
    stats["prenoms-rochefort.csv"] = (write_prenoms(), {"17299"})
    stats["consommations-batiments.xlsx"] = write_consommations()
    stats["marches-publics.csv"] = write_marches()
    stats["profils-acheteurs.csv"] = (write_profils_acheteurs(), set(ALL_CODES))
    metadata = build_metadata(stats)
    (OUT / "datasets.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return stats


# ---------------------------------------------------------------------------------------------
# Check (--check): frictionless for the schemas, plus the SCDL custom checks it ignores
# ---------------------------------------------------------------------------------------------

ACTES_PREFIXES = {
    "commande publique",
    "urbanisme",
    "domaine et patrimoine",
    "fonction publique",
    "institutions et vie politique",
    "libertes publiques et pouvoirs de police",
    "finances locales",
    "domaines de competences par themes",
    "autres domaines de competences",
}
OPENING_HOURS = re.compile(
    r"^(24/7|((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(-(Jan|Feb|Mar|Apr|May|Jun|Jul"
    r"|Aug|Sep|Oct|Nov|Dec))? )?((Mo|Tu|We|Th|Fr|Sa|Su)([-,](Mo|Tu|We|Th|Fr|Sa|Su))* )?"
    r"\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*"
    r"(; ((Mo|Tu|We|Th|Fr|Sa|Su)([-,](Mo|Tu|We|Th|Fr|Sa|Su))* )?"
    r"\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*)*)$"
)


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # ISO dates compare as strings


def custom_check(check: dict[str, Any], rows: list[dict[str, str]]) -> list[str]:
    """Re-implementation of the Validata checks the SCDL schemas declare."""
    name, params = check["name"], check.get("params", {})
    errors = []
    for line, row in enumerate(rows, start=2):
        column = params.get("column")
        value = row.get(column, "") if column else ""
        problem = None
        if name == "french-siret-value" and value and not stdnum_siret.is_valid(value):
            problem = f"{column}={value!r} is not a valid SIRET"
        elif name == "french-siren-value" and value and not stdnum_siren.is_valid(value):
            problem = f"{column}={value!r} is not a valid SIREN"
        elif name == "compare-columns-value":
            other = row.get(params["column2"], "")
            if value and other:
                left, right = number(value), number(other)
                ops: dict[str, Callable[[Any, Any], bool]] = {
                    ">=": lambda a, b: a >= b,
                    ">": lambda a, b: a > b,
                    "<=": lambda a, b: a <= b,
                    "<": lambda a, b: a < b,
                    "==": lambda a, b: a == b,
                }
                if not ops[params["op"]](left, right):
                    problem = f"{column} {params['op']} {params['column2']} fails"
        elif name == "sum-columns-value":
            parts = [row.get(c, "") for c in params["columns"]]
            if value and all(parts) and int(value) != sum(int(p) for p in parts):
                problem = f"{column} != sum of {params['columns']}"
        elif name == "cohesive-columns-value":
            filled = [bool(row.get(c, "")) for c in [column, *params["othercolumns"]]]
            if any(filled) and not all(filled):
                problem = f"{column} and {params['othercolumns']} are not all filled or empty"
        elif name == "year-interval-value" and value:
            match = re.fullmatch(r"(\d{4})(?:/(\d{4}))?", value)
            if not match or (match.group(2) and int(match.group(2)) <= int(match.group(1))):
                problem = f"{column}={value!r} is not a year or a year interval"
        elif name == "nomenclature-actes-value" and value:
            prefix = value.split("/", 1)[0]
            if "/" not in value or "/ " in value or plain(prefix) not in ACTES_PREFIXES:
                problem = f"{column}={value!r} is not in the ACTES nomenclature"
        elif name == "one-of-required":
            if not row.get(params["column1"]) and not row.get(params["column2"]):
                problem = f"neither {params['column1']} nor {params['column2']}"
        elif name == "opening-hours-value" and value and not OPENING_HOURS.match(value):
            problem = f"{column}={value!r} is not a simple opening_hours value"
        if problem:
            errors.append(f"row {line}: {problem}")
    return errors


def read_rows(path: Path, delimiter: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def inside(code: str, lat: float, lon: float) -> bool:
    return COMMUNES[code].outline.contains(Point(lon, lat))


def extra_checks(file: str, rows: list[dict[str, str]]) -> list[str]:
    """Consistency checks of this demo: coordinates in the right commune, cross references."""
    errors = []

    def located(code: str, lat: str | float, lon: str | float, where: str) -> None:
        if not inside(code, float(lat), float(lon)):
            errors.append(f"{where}: ({lat}, {lon}) is outside commune {code}")

    for line, row in enumerate(rows, start=2):
        where = f"row {line}"
        if file == "deliberations.csv":
            if ACTES.get(row["DELIB_MATIERE_CODE"]) != row["DELIB_MATIERE_NOM"]:
                errors.append(f"{where}: DELIB_MATIERE_CODE does not match DELIB_MATIERE_NOM")
        elif file == "equipements.csv":
            located(row["EQUIP_UID"][:5], row["EQUIP_LAT"], row["EQUIP_LONG"], where)
        elif file in ("stationnement.csv", "covoiturage.csv"):
            located(row["insee"], row["Ylat"], row["Xlong"], where)
        elif file == "irve.csv":
            lon, lat = json.loads(row["coordonneesXY"])
            located(row["code_insee_commune"], lat, lon, where)
        elif file == "stationnement-cyclable.csv":
            lon, lat = json.loads(row["coordonneesxy"])
            located(row["code_com"], lat, lon, where)
        elif file == "releve-arceaux-velo-association.csv":
            located(row["code_insee"], row["lat"], row["lon"], where)
    return errors


def cross_checks() -> list[str]:
    """References between files: decisions, rack ids, car park capacities."""
    errors = []
    delibs = read_rows(OUT / "deliberations.csv", ";")
    grant_decisions = {r["DELIB_ID"] for r in delibs if r["DELIB_MATIERE_CODE"] == "7.5"}
    for row in read_rows(OUT / "subventions-2025.csv", ";"):
        if row["referenceDecision"] not in grant_decisions:
            errors.append(f"subvention decision {row['referenceDecision']} is not a 7.5 delib")
    racks = {r["id_local"] for r in read_rows(OUT / "stationnement-cyclable.csv", ",")}
    for row in read_rows(OUT / "releve-arceaux-velo-association.csv", ","):
        if row["ref_agglo"] and row["ref_agglo"] not in racks:
            errors.append(f"survey {row['id_releve']} refers to unknown rack {row['ref_agglo']}")
    capacity = {r["nom"]: r["nb_places"] for r in read_rows(OUT / "stationnement.csv", ",")}
    for row in read_rows(OUT / "frequentation-parkings.csv", ";", "cp1252"):
        if capacity.get(row["parking"]) != row["places"]:
            errors.append(f"{row['parking']}: capacity differs from stationnement.csv")
            break
    return errors


def check_budget(rows: list[dict[str, str]]) -> list[str]:
    totals: Counter[tuple[str, str]] = Counter()
    for row in rows:
        totals[(row["BGT_SECTION"], row["BGT_CODRD"])] += round(float(row["BGT_MTPREV"]) * 100)
    return [
        f"section {section} is not balanced"
        for section in ("fonctionnement", "investissement")
        if totals[(section, "dépense")] != totals[(section, "recette")]
    ]


def check_metadata(datasets: list[dict[str, Any]]) -> list[str]:
    errors = []
    catalogue = json.loads((SCHEMAS / "schemas-catalog.json").read_text(encoding="utf-8"))
    known_schemas = {s["name"] for s in catalogue["schemas"]}
    licences = {"lov2", "odc-odbl", "cc-by", "cc-zero", "notspecified"}
    themes = set("AGRI ECON EDUC ENER ENVI GOVE HEAL INTR JUST REGI SOCI TECH TRAN".split())
    frequencies = set(
        "continuous hourly daily weekly monthly quarterly biannual annual biennial irregular"
        " punctual unknown".split()
    )
    slugs = set()
    for ds in datasets:
        slug = ds["slug"]
        if slug in slugs or not re.fullmatch(r"[a-z0-9-]{1,100}", slug):
            errors.append(f"{slug}: bad or duplicate slug")
        slugs.add(slug)
        org, community = ds["organisation"], ds["community"]
        if (org is None) == (community is None):
            errors.append(f"{slug}: exactly one of organisation and community must be set")
        if org is not None and org not in ORGANISATION_SLUGS:
            errors.append(f"{slug}: unknown organisation {org}")
        if ds["licence"] not in licences or ds["frequency"] not in frequencies:
            errors.append(f"{slug}: unknown licence or frequency")
        if not set(ds["themes"]) <= themes or not set(ds["communes"]) <= set(ALL_CODES):
            errors.append(f"{slug}: unknown theme or commune")
        if ds["status"] not in ("public", "private", "archived"):
            errors.append(f"{slug}: unknown status")
        for res in ds["resources"]:
            if "file" in res and not (OUT / res["file"]).is_file():
                errors.append(f"{slug}: missing file {res['file']}")
            if "schema" in res and res["schema"] not in known_schemas | set(SCHEMA_FILES):
                errors.append(f"{slug}: schema {res['schema']} is not in the catalogue")
    return errors


def check() -> bool:
    import frictionless
    from frictionless import formats
    from openpyxl import load_workbook

    echo = click.echo
    datasets = json.loads((OUT / "datasets.json").read_text(encoding="utf-8"))
    failures = 0
    problems = check_metadata(datasets)
    echo(f"datasets.json: {len(datasets)} datasets, {'OK' if not problems else 'FAILED'}")
    for problem in problems:
        echo(f"    {problem}")
    failures += bool(problems)
    for ds in datasets:
        for res in ds["resources"]:
            file = res.get("file")
            if not file:
                continue
            path = OUT / file
            size = path.stat().st_size
            problems = [f"{size} bytes > {MAX_FILE_SIZE}"] if size > MAX_FILE_SIZE else []
            detail = ""
            schema_name = res.get("schema")
            delimiter = DELIMITERS.get(file, ",")
            if schema_name:
                descriptor = json.loads(
                    (SCHEMAS / SCHEMA_FILES[schema_name][0]).read_text(encoding="utf-8")
                )
                custom = descriptor.pop("custom_checks", [])
                control = formats.CsvControl(delimiter=delimiter)
                report = frictionless.Resource(
                    path=file,
                    basepath=str(OUT),
                    schema=frictionless.Schema.from_descriptor(descriptor),
                    dialect=frictionless.Dialect(controls=[control]),
                ).validate()
                task = report.tasks[0]
                detail = f"frictionless {'valid' if report.valid else 'INVALID'}"
                problems += [error.message for error in task.errors[:10]]
                rows = read_rows(path, delimiter)
                for check_ in custom:
                    problems += custom_check(check_, rows)[:10]
                detail += f", {len(custom)} custom checks, {task.stats['rows']} rows"
                problems += extra_checks(file, rows)[:10]
                if file == "budget-2025.csv":
                    problems += check_budget(rows)
            elif file.endswith(".csv"):
                encoding = "cp1252" if file == "frequentation-parkings.csv" else "utf-8"
                rows = read_rows(path, delimiter, encoding)
                detail = f"no schema, {len(rows)} rows ({encoding})"
                problems += extra_checks(file, rows)[:10]
                if file == "frequentation-parkings.csv":
                    raw = path.read_bytes()
                    try:
                        raw.decode("utf-8")
                        problems.append("expected a CP1252 file that is not valid UTF-8")
                    except UnicodeDecodeError:
                        pass
                    if not all("," in row["taux_occupation"] for row in rows):
                        problems.append("taux_occupation must use a decimal comma")
            elif file.endswith(".geojson"):
                collection = json.loads(path.read_text(encoding="utf-8"))
                features = collection["features"]
                detail = f"GeoJSON, {len(features)} features"
                for feature in features:
                    lon, lat = feature["geometry"]["coordinates"]
                    code = feature["properties"]["code_insee"]
                    if not inside(code, lat, lon):
                        problems.append(f"{feature['properties']['id']} outside {code}")
            elif file.endswith(".xlsx"):
                workbook = load_workbook(path, read_only=True)
                sheet = workbook["Consommations"]
                detail = f"XLSX, {sheet.max_row - 1} rows, sheets {workbook.sheetnames}"
            ok = not problems
            failures += not ok
            echo(f"{file}: {'OK' if ok else 'FAILED'} - {detail}, {size / 1000:.1f} kB")
            for problem in problems:
                echo(f"    {problem}")
    problems = cross_checks()
    echo(f"cross references: {'OK' if not problems else 'FAILED'}")
    for problem in problems:
        echo(f"    {problem}")
    failures += bool(problems)
    echo("All checks passed." if not failures else f"{failures} check(s) failed.")
    return not failures


@click.command()
@click.option("--check", "check_only", is_flag=True, help="Validate the files, do not write.")
def main(check_only: bool) -> None:
    """Write (or, with --check, validate) the demo catalogue of CA Rochefort Océan."""
    if check_only:
        sys.exit(0 if check() else 1)
    stats = generate()
    for file, (count, codes) in stats.items():
        size = (OUT / file).stat().st_size
        click.echo(f"{file}: {count} rows, {len(codes)} communes, {size / 1000:.1f} kB")
    click.echo(f"datasets.json written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
