"""Validation against the shipped schemas (SCDL deliberations and subventions), and reports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import openpyxl
import pytest
from stdnum.fr import siret

from servicielle.catalog.fields import FieldType
from servicielle.catalog.ingest import (
    IngestError,
    ParsedFile,
    ValidationError,
    ValidationReport,
    infer_fields,
    read_file,
    typed_rows,
    validate,
)
from servicielle.catalog.schemas import (
    UnknownSchema,
    get_schema,
    known_schemas,
    load_descriptor,
)
from servicielle.core.i18n import DEFAULT_LOCALE, set_locale

FILES = Path(__file__).parent / "files"
SIRET_ROCHEFORT = "21170299800017"
# A plausible typo of it (9 instead of 8): 14 digits, wrong Luhn key.
SIRET_TYPO = "21170299900016"


@pytest.fixture(autouse=True)
def _french() -> Iterator[None]:
    set_locale("fr")
    yield
    set_locale(DEFAULT_LOCALE)


def test_sample_sirets() -> None:
    assert siret.is_valid(SIRET_ROCHEFORT)
    assert siret.is_valid("78181706900011")
    assert siret.is_valid("42205342100018")
    assert not siret.is_valid(SIRET_TYPO)


# Registry


def test_every_shipped_schema_loads_in_frictionless() -> None:
    infos = known_schemas()
    assert len(infos) == 13
    for info in infos:
        schema = frictionless.Schema.from_descriptor(load_descriptor(info))
        assert schema.fields, info.name
        assert re.fullmatch(
            r"https://schema\.data\.gouv\.fr/schemas/[a-z0-9-]+/[a-z0-9-]+/"
            r"\d+\.\d+\.\d+/[a-z-]+\.json",
            info.url,
        ), info.url
        assert info.url.split("/")[-2] == info.version
        assert info.homepage.startswith("https://")
    titles = [info.title for info in infos]
    assert titles[:5] == [
        "Budget des collectivités et établissements publics locaux",
        "Catalogue simplifié",
        "Composition des plats des menus de la restauration collective",
        "Délibérations",
        "Équipements",
    ]


def test_registry_names_come_from_the_catalogue() -> None:
    deliberations = get_schema("scdl/deliberations")
    assert (deliberations.name, deliberations.version) == ("scdl/deliberations", "2.1.5")
    assert deliberations.url == (
        "https://schema.data.gouv.fr/schemas/scdl/deliberations/2.1.5/schema.json"
    )
    assert get_schema("deliberations") == deliberations
    parking = get_schema("etalab/schema-stationnement")
    assert get_schema("other/schema-stationnement") == parking
    assert parking.path.name == "schema-stationnement.schema.json"
    irve = get_schema("etalab/schema-irve-statique")
    assert irve.url.endswith("/schema-irve-statique/2.3.0/schema-statique.json")


def test_unknown_schema() -> None:
    with pytest.raises(UnknownSchema) as caught:
        get_schema("scdl/marches-publics")
    assert caught.value.detail == "Schéma inconnu : scdl/marches-publics."
    assert caught.value.status == 422


def test_load_descriptor_gives_a_fresh_copy() -> None:
    info = get_schema("scdl/subventions")
    load_descriptor(info)["fields"].clear()
    assert len(load_descriptor(info)["fields"]) == 16


# Deliberations


def deliberations() -> dict[str, Any]:
    return load_descriptor(get_schema("scdl/deliberations"))


def check(path: Path, schema: dict[str, Any]) -> tuple[ParsedFile, ValidationReport]:
    parsed = read_file(path, filename=path.name)
    return parsed, validate(parsed, infer_fields(parsed, schema), schema)


def edited(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = (FILES / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_deliberations() -> None:
    parsed, report = check(FILES / "deliberations-rochefort.csv", deliberations())
    assert report.valid, [e.message for e in report.errors]
    assert (report.row_count, report.error_count, report.warnings) == (4, 0, [])
    assert (report.format, report.encoding, report.delimiter) == ("csv", "utf-8", ";")
    assert report.schema_name == "deliberations"
    assert report.summary() == "Aucune erreur sur 4 lignes"
    fields = infer_fields(parsed, deliberations())
    by_name = {field.name: field for field in fields}
    assert by_name["delib_date"].type is FieldType.DATE
    assert by_name["vote_pour"].type is FieldType.INTEGER
    assert by_name["coll_siret"].type is FieldType.TEXT
    assert by_name["coll_siret"].label == "Code SIRET de la collectivité"
    rows = list(typed_rows(parsed, fields))
    assert rows[2]["delib_objet"].startswith("Convention d'occupation du domaine public\navec")


def test_bad_deliberations(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        "deliberations-rochefort.csv",
        (f"{SIRET_ROCHEFORT};DEL-2024-002", f"{SIRET_TYPO};DEL-2024-002"),
        ("2024-05-16;3.5", "16/05/2024;3.5"),
        (";35;30;25;0;5;", ";35;30;31;0;5;"),
    )
    _parsed, report = check(path, deliberations())
    assert not report.valid
    found = [(e.row, e.field, e.code) for e in report.errors]
    assert found == [
        (3, "COLL_SIRET", "french-siret-value"),
        (4, "DELIB_DATE", "type-error"),
        (4, "VOTE_REEL", "compare-columns-value"),
        (4, "VOTE_REEL", "sum-columns-value"),
    ]
    messages = [e.message for e in report.errors]
    assert messages[0] == (
        "Ligne 3, colonne COLL_SIRET : « 21170299900016 » n'est pas un numéro SIRET valide "
        "(14 chiffres, clé de Luhn)."
    )
    assert messages[1] == (
        "Ligne 4, colonne DELIB_DATE : « 16/05/2024 » n'est pas une date au format AAAA-MM-JJ."
    )
    assert messages[2] == (
        "Ligne 4, colonne VOTE_REEL : la valeur « 30 » devrait être supérieure ou égale à la "
        "valeur de la colonne VOTE_POUR (« 31 »)."
    )
    assert messages[3] == (
        "Ligne 4, colonne VOTE_REEL : « 30 » devrait être égal à la somme des colonnes "
        "VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION (36)."
    )
    assert report.summary() == "4 erreurs sur 4 lignes"
    set_locale("en")
    assert report.errors[1].message == (
        "Row 4, column DELIB_DATE: “16/05/2024” is not a date in the format YYYY-MM-DD."
    )
    assert report.summary() == "4 errors in 4 rows"


def test_missing_required_column_and_extra_column(tmp_path: Path) -> None:
    lines = (FILES / "deliberations-rochefort.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("DELIB_ID;", "").replace("DELIB_URL", "COMMENTAIRE")
    body = "\n".join(
        [
            header,
            "Ville de Rochefort;21170299800017;2024-03-28;7.1;"
            "Finances locales/Budget;Budget primitif;;;;;;;;;;Vu en commission",
        ]
    )
    path = tmp_path / "delib.csv"
    path.write_text(body + "\n", encoding="utf-8")
    _parsed, report = check(path, deliberations())
    headers = [(e.row, e.field, e.code) for e in report.errors]
    assert headers == [
        (None, "COMMENTAIRE", "extra-column"),
        (None, "DELIB_ID", "missing-column"),
        (None, "DELIB_URL", "missing-column"),
    ]
    assert report.errors[1].message == "La colonne DELIB_ID est manquante."
    assert report.errors[0].message == "La colonne COMMENTAIRE n'est pas prévue par le schéma."


def test_constraints_and_ragged_rows(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        "deliberations-rochefort.csv",
        (f"{SIRET_ROCHEFORT};DEL-2024-001", "2117029980001;DEL-2024-001"),
        (";8.4;", ";84;"),
        ("Ville de Rochefort;21170299800017;DEL-2024-004", ";21170299800017;DEL-2024-004"),
        ("2024-05-21;;;;;;", "2024-05-21;;;;"),
    )
    _parsed, report = check(path, deliberations())
    found = [(e.row, e.field, e.code, e.params.get("constraint")) for e in report.errors]
    assert found == [
        (2, "COLL_SIRET", "constraint-error", "pattern"),
        (2, "COLL_SIRET", "french-siret-value", None),
        (5, None, "ragged-row", None),
        (5, "COLL_NOM", "constraint-error", "required"),
        (5, "DELIB_MATIERE_CODE", "constraint-error", "pattern"),
    ]
    assert report.errors[0].message == (
        "Ligne 2, colonne COLL_SIRET : « 2117029980001 » n'a pas le format attendu "
        "(par exemple « 21860194600013 »)."
    )
    # Row 4 spans two lines of the file: rows are counted as a spreadsheet shows them.
    assert report.errors[2].message == "La ligne 5 a 15 cellules, l'en-tête en a 17."
    assert report.errors[3].message == "Ligne 5, colonne COLL_NOM : une valeur est obligatoire."


def test_deliberations_in_a_workbook(tmp_path: Path) -> None:
    lines = (FILES / "deliberations-rochefort.csv").read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(";"), lines[1].split(";")
    path = tmp_path / "deliberations.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Délibérations du conseil municipal de Rochefort"])
    sheet.append([])
    sheet.append(header)
    bad_date = list(first)
    bad_date[3] = "2024-02-30"
    for row in (first, bad_date):
        sheet.append([int(v) if v.isdigit() and len(v) < 4 else v for v in row])
    workbook.save(path)
    # The title row is taken for the header: the file does not match the schema.
    _parsed, report = check(path, deliberations())
    assert report.errors[0].code in ("extra-column", "missing-column")
    sheet.delete_rows(1, 2)
    workbook.save(path)
    _parsed, report = check(path, deliberations())
    assert [(e.row, e.field, e.code) for e in report.errors] == [(3, "DELIB_DATE", "type-error")]


# Subventions


def subventions() -> dict[str, Any]:
    return load_descriptor(get_schema("scdl/subventions"))


def test_valid_subventions_with_decimal_commas() -> None:
    parsed, report = check(FILES / "subventions-rochefort.csv", subventions())
    assert report.valid, [e.message for e in report.errors]
    rows = list(typed_rows(parsed, infer_fields(parsed, subventions())))
    assert [row["montant"] for row in rows] == [12500.5, 4800.0, 350.0]
    assert rows[1]["pourcentagesubvention"] == 0.5
    assert rows[0]["notificationue"] is False


def test_subventions_errors(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        "subventions-rochefort.csv",
        (";W173000456;", ";;"),
        ("aide en nature;", "prêt;"),
        ("2024-04-15;;non;", "2024-04-15;;peut-être;"),
        (";4800;", ";4 800 €;"),
    )
    _parsed, report = check(path, subventions())
    found = [(e.row, e.field, e.code) for e in report.errors]
    assert found == [
        (3, None, "one-of-required"),
        (3, "montant", "type-error"),
        (4, "nature", "constraint-error"),
        (4, "notificationUE", "type-error"),
    ]
    messages = [e.message for e in report.errors]
    assert messages[0] == (
        "Ligne 3 : la colonne idBeneficiaire ou la colonne rnaBeneficiaire doit être renseignée."
    )
    assert messages[1] == (
        "Ligne 3, colonne montant : « 4 800 € » n'est pas un nombre avec une virgule "
        "décimale (par exemple 1234,56)."
    )
    assert messages[2].startswith(
        "Ligne 4, colonne nature : « prêt » ne fait pas partie des valeurs autorisées : "
        "aide en numéraire, aide en nature,"
    )
    assert messages[3] == (
        "Ligne 4, colonne notificationUE : « peut-être » n'est pas une valeur oui/non (oui / non)."
    )


# Reports


def test_errors_are_capped_but_counted(tmp_path: Path) -> None:
    rows = "".join(
        f"Ville de Rochefort;{SIRET_TYPO};D{n};2024-01-0{1 + n % 9}\n" for n in range(50)
    )
    header = "COLL_NOM;COLL_SIRET;DELIB_ID;DELIB_DATE\n"
    path = tmp_path / "d.csv"
    path.write_text(header + rows, encoding="utf-8")
    schema = {
        "fields": [{"name": name, "type": "string"} for name in header.strip().split(";")],
        "custom_checks": [{"name": "french-siret-value", "params": {"column": "COLL_SIRET"}}],
    }
    _parsed, report = check(path, schema)
    assert (report.error_count, len(report.errors)) == (50, 50)
    parsed = read_file(path, filename="d.csv")
    capped = validate(parsed, infer_fields(parsed, schema), schema, max_errors=10)
    assert (capped.error_count, len(capped.errors)) == (50, 10)
    assert [e.row for e in capped.errors] == list(range(2, 12))


def test_report_round_trip_and_summary() -> None:
    parsed, report = check(FILES / "deliberations-rochefort.csv", deliberations())
    report.errors.append(
        ValidationError(row=3, field="COLL_SIRET", value="x" * 500, code="french-siret-value")
    )
    report.error_count, report.valid = 1, False
    data = json.loads(json.dumps(report.to_dict()))
    again = ValidationReport.from_dict(data)
    assert again == report
    assert len(again.errors[0].value or "") == 200
    assert again.summary() == "1 erreur sur 4 lignes"
    big = ValidationReport(valid=False, row_count=1_000_000, error_count=1500)
    assert big.summary() == "1\u202f500 erreurs sur 1\u202f000\u202f000 lignes"
    set_locale("en")
    assert big.summary() == "1,500 errors in 1,000,000 rows"
    assert parsed.row_count == 4


def test_other_constraints_and_keys(tmp_path: Path) -> None:
    schema = {
        "fields": [
            {"name": "id_local", "type": "string", "constraints": {"unique": True}},
            {"name": "capacite", "type": "integer", "constraints": {"minimum": 1, "maximum": 400}},
            {"name": "gestionnaire", "type": "string", "constraints": {"maxLength": 12}},
        ],
        "primaryKey": ["id_local"],
    }
    path = tmp_path / "stationnement.csv"
    path.write_text(
        "id_local;capacite;gestionnaire\n"
        "P-CORDERIE;120;Rochefort\n"
        "P-CORDERIE;450;Rochefort Océan\n"
        ";0;Rochefort\n",
        encoding="utf-8",
    )
    _parsed, report = check(path, schema)
    assert [(e.row, e.field, e.code) for e in report.errors] == [
        (3, None, "primary-key"),
        (3, "id_local", "unique-error"),
        (3, "capacite", "constraint-error"),
        (3, "gestionnaire", "constraint-error"),
        (4, None, "primary-key"),
        (4, "capacite", "constraint-error"),
    ]
    assert [e.message for e in report.errors] == [
        "Ligne 3 : la clé id_local est vide ou figure déjà sur une autre ligne.",
        "Ligne 3, colonne id_local : « P-CORDERIE » figure déjà sur une autre ligne.",
        "Ligne 3, colonne capacite : « 450 » est supérieur au maximum 400.",
        "Ligne 3, colonne gestionnaire : la valeur dépasse 12 caractères.",
        "Ligne 4 : la clé id_local est vide ou figure déjà sur une autre ligne.",
        "Ligne 4, colonne capacite : « 0 » est inférieur au minimum 1.",
    ]


def test_invalid_schema_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("n\n1\n", encoding="utf-8")
    schema = {"fields": [{"name": "n", "type": "integer", "constraints": {"minLength": 2}}]}
    with pytest.raises(IngestError, match="Le schéma est invalide"):
        check(path, schema)
