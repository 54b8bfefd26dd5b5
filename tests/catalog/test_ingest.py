"""Reading uploaded tables, inferring their fields and converting their rows."""

from __future__ import annotations

import datetime as dt
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from shapely.geometry import Point, shape

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.ingest import (
    IngestError,
    ParsedFile,
    identifier,
    infer_fields,
    read_file,
    typed_rows,
    validate,
)
from servicielle.core.i18n import DEFAULT_LOCALE, set_locale

ROCHEFORT = "Ville de Rochefort"


@pytest.fixture(autouse=True)
def _french() -> Iterator[None]:
    set_locale("fr")
    yield
    set_locale(DEFAULT_LOCALE)


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def read(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> ParsedFile:
    return read_file(write(tmp_path, name, content, encoding), filename=name)


def types(fields: list[Field]) -> dict[str, FieldType]:
    return {field.name: field.type for field in fields}


# Encodings


def test_utf8_without_bom(tmp_path: Path) -> None:
    parsed = read(
        tmp_path, "lieux.csv", "commune;quartier\nRochefort;Le Faubourg\nÎle-d'Aix;Bourg\n"
    )
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ";")
    assert list(parsed.rows()) == [["Rochefort", "Le Faubourg"], ["Île-d'Aix", "Bourg"]]


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    parsed = read(tmp_path, "lieux.csv", "\ufeffcommune;code_postal\nÉchillais;17620\n")
    assert parsed.encoding == "utf-8"
    assert parsed.headers == ["commune", "code_postal"]
    assert next(parsed.rows()) == ["Échillais", "17620"]


def test_cp1252_with_accents_and_euro(tmp_path: Path) -> None:
    content = "libellé;montant\nFête de la Mer à Rochefort;1 500 €\n"
    parsed = read(tmp_path, "budget.csv", content, encoding="cp1252")
    assert parsed.encoding == "cp1252"
    assert parsed.headers == ["libellé", "montant"]
    assert next(parsed.rows()) == ["Fête de la Mer à Rochefort", "1 500 €"]


def test_latin1_is_read_without_mojibake(tmp_path: Path) -> None:
    parsed = read(
        tmp_path,
        "communes.csv",
        "commune;canton\nSaint-Agnant;Marennes\nÎle-d'Aix;Rochefort\n",
        "latin-1",
    )
    assert parsed.encoding in ("cp1252", "latin-1")  # identical for these letters
    assert list(parsed.rows())[1] == ["Île-d'Aix", "Rochefort"]
    # 0x81 is undefined in cp1252: only latin-1 reads it
    parsed = read(tmp_path, "odd.csv", b"nom;code\nGen\xe8ve\x81;1\n")
    assert parsed.encoding == "latin-1"
    assert next(parsed.rows())[0] == "Genève\x81"


def test_utf8_is_checked_beyond_the_first_lines(tmp_path: Path) -> None:
    lines = ["nom;ville"] + [f"agent {n};Rochefort" for n in range(20_000)]
    content = ("\n".join(lines) + "\nHélène;Tonnay-Charente\n").encode("cp1252")
    parsed = read(tmp_path, "agents.csv", content)
    assert parsed.encoding == "cp1252"
    assert list(parsed.rows())[-1] == ["Hélène", "Tonnay-Charente"]


# Delimiters and quoting


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = ["commune", "code_insee", "population"], ["Rochefort", "17299", "23583"]
    content = "\n".join(delimiter.join(line) for line in lines) + "\n"
    parsed = read(tmp_path, "communes.csv", content)
    assert parsed.delimiter == delimiter
    assert parsed.headers == ["commune", "code_insee", "population"]


def test_quoted_delimiters_and_newlines(tmp_path: Path) -> None:
    content = (
        "nom,adresse,note\n"
        '"Corderie royale","Rue Jean-Baptiste Audebert, 17300 Rochefort","Ouverte\nle dimanche"\n'
        '"Musée Hèbre","63 avenue Charles de Gaulle, Rochefort",\n'
    )
    parsed = read(tmp_path, "sites.csv", content)
    assert parsed.delimiter == ","
    rows = list(parsed.rows())
    assert rows[0] == [
        "Corderie royale",
        "Rue Jean-Baptiste Audebert, 17300 Rochefort",
        "Ouverte\nle dimanche",
    ]
    assert rows[1][1] == "63 avenue Charles de Gaulle, Rochefort"


def test_row_numbers_count_records_not_lines(tmp_path: Path) -> None:
    content = 'nom;note\n"A";"sur\ndeux lignes"\n\n"B";"x"\n"C"\n'
    parsed = read(tmp_path, "notes.csv", content)
    assert [number for number, _cells in parsed.numbered_rows()] == [2, 4, 5]
    report = validate(parsed, infer_fields(parsed))
    assert [(e.row, e.code) for e in report.errors] == [(5, "ragged-row")]


def test_blank_rows_and_trailing_delimiters(tmp_path: Path) -> None:
    parsed = read(tmp_path, "t.csv", "commune;population;\nRochefort;23583;\n;;\n\nFouras;4112;\n")
    assert parsed.headers == ["commune", "population"]
    assert list(parsed.rows()) == [["Rochefort", "23583", ""], ["Fouras", "4112", ""]]
    assert validate(parsed, infer_fields(parsed)).valid


def test_rows_are_re_iterable_and_counted(tmp_path: Path) -> None:
    parsed = read(tmp_path, "c.csv", "commune\nRochefort\nFouras\n")
    assert parsed.row_count is None
    assert list(parsed.rows()) == list(parsed.rows()) == [["Rochefort"], ["Fouras"]]
    assert parsed.row_count == 2


def test_headers_blank_and_duplicate(tmp_path: Path) -> None:
    parsed = read(tmp_path, "h.csv", " nom ;;nom;date\na;b;c;d\n")
    assert parsed.headers == ["nom", "column_2", "nom_2", "date"]


# Unreadable files


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        read(tmp_path, "vide.csv", b"")
    assert caught.value.detail == "Le fichier est vide."
    assert caught.value.status == 422


def test_header_only(tmp_path: Path) -> None:
    parsed = read(tmp_path, "entete.csv", "COLL_NOM;COLL_SIRET\n")
    fields = infer_fields(parsed)
    assert types(fields) == {"coll_nom": FieldType.TEXT, "coll_siret": FieldType.TEXT}
    report = validate(parsed, fields)
    assert (report.valid, report.row_count) == (True, 0)
    assert list(typed_rows(parsed, fields)) == []


def test_binary_garbage_with_csv_extension(tmp_path: Path) -> None:
    garbage = random.Random(17300).randbytes(8192)
    with pytest.raises(IngestError, match="pas un fichier texte"):
        read(tmp_path, "donnees.csv", garbage)


def test_binary_garbage_without_nul_bytes(tmp_path: Path) -> None:
    garbage = bytes(b for b in random.Random(17).randbytes(8192) if b)
    with pytest.raises(IngestError):
        read(tmp_path, "donnees.csv", garbage)


def test_workbook_uploaded_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "tableau.xlsx"
    workbook = openpyxl.Workbook()
    workbook.save(path)
    with pytest.raises(IngestError, match="classeur"):
        read_file(path, filename="tableau.csv")


def test_unsupported_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "vieux.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(IngestError, match="XLS"):
        read_file(path, filename="vieux.xls")
    with pytest.raises(IngestError, match="XLS"):
        read_file(path, filename="sans-extension")
    with pytest.raises(IngestError, match="inconnu"):
        read_file(path, filename="x", declared_format="pdf")


def test_too_many_columns(tmp_path: Path) -> None:
    content = ";".join(f"c{n}" for n in range(8)) + "\n" + ";".join("1" * 8) + "\n"
    with pytest.raises(IngestError, match="8 colonnes"):
        read_file(write(tmp_path, "large.csv", content), filename="large.csv", max_columns=5)


# XLSX


def make_workbook(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path / "equipements.xlsx",
        [
            ["Équipement", "Code postal", "Places", "Ouverture", "Accessible", "Tarif"],
            ["Médiathèque", "17300", 120, dt.datetime(2019, 9, 14), True, 2.5],
            [],
            ["Piscine Pierre-Loti", "17300", 300, dt.datetime(2008, 6, 1, 9, 30), False, 4],
        ],
    )
    parsed = read_file(path, filename="equipements.xlsx")
    assert (parsed.format, parsed.encoding, parsed.delimiter) == ("xlsx", None, None)
    assert list(parsed.numbered_rows()) == [
        (2, ["Médiathèque", "17300", "120", "2019-09-14", "true", "2.5"]),
        (4, ["Piscine Pierre-Loti", "17300", "300", "2008-06-01T09:30:00", "false", "4"]),
    ]
    fields = infer_fields(parsed)
    assert types(fields) == {
        "equipement": FieldType.TEXT,
        "code_postal": FieldType.TEXT,
        "places": FieldType.INTEGER,
        "ouverture": FieldType.DATETIME,
        "accessible": FieldType.BOOLEAN,
        "tarif": FieldType.DOUBLE,
    }
    first = next(typed_rows(parsed, fields))
    assert first["ouverture"] == dt.datetime(2019, 9, 14)
    assert (first["places"], first["accessible"], first["tarif"]) == (120, True, 2.5)


def test_xlsx_header_below_a_blank_row_keeps_sheet_row_numbers(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "t.xlsx", [[None], ["commune", "population"], ["Fouras", 4112]])
    parsed = read_file(path, filename="t.xlsx")
    assert parsed.headers == ["commune", "population"]
    assert list(parsed.numbered_rows()) == [(3, ["Fouras", "4112"])]


def test_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="XLSX"):
        read(tmp_path, "faux.xlsx", "commune;population\nRochefort;23583\n")


def test_xlsx_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range(300):  # 300 MB of zeros, about 1.4 MB on disk
                member.write(zeros)
    assert path.stat().st_size < 5_000_000
    with pytest.raises(IngestError, match="trop volumineux"):
        read_file(path, filename="bombe.xlsx")
    with pytest.raises(IngestError, match="bombe"):
        read_file(path, filename="bombe.xlsx", max_xlsx_uncompressed=10**9)


def test_xlsx_uncompressed_limit(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "petit.xlsx", [["commune"], ["Rochefort"]])
    with pytest.raises(IngestError, match="trop volumineux"):
        read_file(path, filename="petit.xlsx", max_xlsx_uncompressed=1000)


# JSON and GeoJSON


def test_json_list_of_objects(tmp_path: Path) -> None:
    records = [
        {"commune": "Rochefort", "population": 23583, "littoral": False},
        {"commune": "Fouras", "population": 4112, "littoral": True, "ports": ["Sud", "Nord"]},
    ]
    parsed = read(tmp_path, "communes.json", json.dumps({"records": records}))
    assert parsed.format == "json"
    assert parsed.headers == ["commune", "population", "littoral", "ports"]
    assert list(parsed.rows()) == [
        ["Rochefort", "23583", "false", None],
        ["Fouras", "4112", "true", '["Sud","Nord"]'],
    ]
    fields = infer_fields(parsed)
    assert types(fields)["population"] is FieldType.INTEGER
    assert types(fields)["littoral"] is FieldType.BOOLEAN


@pytest.mark.parametrize(
    "content", ['{"commune": "Rochefort"}', "[1, 2, 3]", '[{"a": 1}, "b"]', "{not json", "[]"]
)
def test_json_that_is_not_a_list_of_objects(tmp_path: Path, content: str) -> None:
    with pytest.raises(IngestError):
        read(tmp_path, "x.json", content)


POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [[-0.98, 45.93], [-0.94, 45.93], [-0.94, 45.96], [-0.98, 45.96], [-0.98, 45.93]]
    ],
}


def feature_collection(**extra: object) -> str:
    features = [
        {"type": "Feature", "properties": {"nom": "Parc de la Corderie"}, "geometry": POLYGON},
        {
            "type": "Feature",
            "properties": {"nom": "Pont transbordeur", "hauteur": 66},
            "geometry": {"type": "Point", "coordinates": [-0.9622, 45.9117]},
        },
        {"type": "Feature", "properties": {"nom": "Sans lieu"}, "geometry": None},
    ]
    return json.dumps({"type": "FeatureCollection", "features": features, **extra})


def test_geojson(tmp_path: Path) -> None:
    parsed = read(tmp_path, "lieux.geojson", feature_collection())
    assert parsed.format == "geojson"
    assert parsed.headers == ["nom", "hauteur", "geometry"]
    fields = infer_fields(parsed)
    assert types(fields) == {
        "nom": FieldType.TEXT,
        "hauteur": FieldType.INTEGER,
        "geo_shape": FieldType.GEO_SHAPE,
        "geo_point_2d": FieldType.GEO_POINT,
    }
    assert validate(parsed, fields).valid
    park, bridge, nowhere = typed_rows(parsed, fields)
    assert json.loads(park["geo_shape"]) == POLYGON
    inside = Point(park["geo_point_2d_lon"], park["geo_point_2d_lat"])
    assert shape(POLYGON).contains(inside)
    assert (bridge["geo_point_2d_lon"], bridge["geo_point_2d_lat"]) == (-0.9622, 45.9117)
    assert nowhere["geo_shape"] is None
    assert nowhere["geo_point_2d_lat"] is None


def test_geojson_json_extension_and_lambert_crs(tmp_path: Path) -> None:
    assert read(tmp_path, "lieux.json", feature_collection()).format == "geojson"
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    with pytest.raises(IngestError, match="WGS 84"):
        read(tmp_path, "lambert.geojson", feature_collection(crs=crs))


def test_geojson_bad_geometry_is_reported(tmp_path: Path) -> None:
    bad = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}
    content = json.dumps(
        {"type": "FeatureCollection", "features": [{"properties": {}, "geometry": bad}]}
    )
    parsed = read(tmp_path, "bad.geojson", content)
    report = validate(parsed, infer_fields(parsed))
    assert [(e.row, e.field, e.code) for e in report.errors] == [(2, "geometry", "type-error")]
    assert report.errors[0].message.endswith("n'est pas une géométrie GeoJSON.")


# Type inference


def test_every_value_is_read_before_choosing_a_type(tmp_path: Path) -> None:
    values = [str(n) for n in range(6000)]
    values[4998] = "abc"  # row 5000
    parsed = read(tmp_path, "n.csv", "mesure;autre\n" + "".join(f"{v};1\n" for v in values))
    assert types(infer_fields(parsed)) == {"mesure": FieldType.TEXT, "autre": FieldType.INTEGER}


def test_codes_stay_text(tmp_path: Path) -> None:
    content = (
        "commune;cp;insee_com;siret;numero;tel\n"
        "Rochefort;17300;17299;21170299800017;17300;0546826500\n"
        "Bourg-en-Bresse;01000;01053;42205342100018;01000;0474455000\n"
    )
    fields = infer_fields(read(tmp_path, "codes.csv", content))
    assert set(types(fields).values()) == {FieldType.TEXT}
    # Without the leading zeros, the names and SIRET widths still say "code".
    content = "code_postal;siret_etab;population\n17300;21170299800017;23583\n"
    fields = infer_fields(read(tmp_path, "codes2.csv", content))
    assert types(fields) == {
        "code_postal": FieldType.TEXT,
        "siret_etab": FieldType.TEXT,
        "population": FieldType.INTEGER,
    }


def test_numbers_dates_booleans_and_nulls(tmp_path: Path) -> None:
    content = (
        "effectif;taux;montant;ouvert;flag;debut;maj;remarque\n"
        "1 200;3,5;1\u202f234,50;oui;1;2024-03-28;2024-03-28T10:15:00+01:00;NA\n"
        "NA;-;12;Non;0;28/03/2024;2024-03-29 08:00;\n"
        "35;0,25;N/A;VRAI;1;;null;ok\n"
    )
    parsed = read(tmp_path, "mix.csv", content)
    fields = infer_fields(parsed)
    assert types(fields) == {
        "effectif": FieldType.INTEGER,
        "taux": FieldType.DOUBLE,
        "montant": FieldType.DOUBLE,
        "ouvert": FieldType.BOOLEAN,
        "flag": FieldType.INTEGER,
        "debut": FieldType.DATE,
        "maj": FieldType.DATETIME,
        "remarque": FieldType.TEXT,
    }
    first, second, _third = typed_rows(parsed, fields)
    assert first == {
        "effectif": 1200,
        "taux": 3.5,
        "montant": 1234.5,
        "ouvert": True,
        "flag": 1,
        "debut": dt.date(2024, 3, 28),
        "maj": dt.datetime(2024, 3, 28, 9, 15),
        "remarque": "NA",
    }
    assert (second["effectif"], second["taux"], second["debut"]) == (
        None,
        None,
        dt.date(2024, 3, 28),
    )
    assert second["remarque"] is None


def test_decimal_comma_is_not_a_number_in_a_comma_separated_file(tmp_path: Path) -> None:
    parsed = read(tmp_path, "c.csv", 'nom,taux,prix\nA,"3,5",3.5\nB,"4,25",4\n')
    assert types(infer_fields(parsed)) == {
        "nom": FieldType.TEXT,
        "taux": FieldType.TEXT,
        "prix": FieldType.DOUBLE,
    }


def test_latitude_longitude_pair(tmp_path: Path) -> None:
    content = (
        "nom;EQUIP_LAT;EQUIP_LONG\n"
        "Corderie royale;45,9406;-0,9553\n"
        "Gare de Rochefort;45,9394;-0,9664\n"
    )
    parsed = read(tmp_path, "lieux.csv", content)
    fields = infer_fields(parsed)
    assert types(fields) == {
        "nom": FieldType.TEXT,
        "equip_lat": FieldType.DOUBLE,
        "equip_long": FieldType.DOUBLE,
        "geo_point_2d": FieldType.GEO_POINT,
    }
    row = next(typed_rows(parsed, fields))
    assert (row["geo_point_2d_lon"], row["geo_point_2d_lat"]) == (-0.9553, 45.9406)
    assert row["equip_lat"] == 45.9406


def test_projected_x_y_are_not_a_point(tmp_path: Path) -> None:
    parsed = read(tmp_path, "l93.csv", "nom;x;y\nCorderie;405123.5;6541234.2\n")
    assert FieldType.GEO_POINT not in types(infer_fields(parsed)).values()


def test_identifiers() -> None:
    assert identifier("Date de la délibération") == "date_de_la_deliberation"
    assert identifier("Œuvre n°") == "oeuvre_n"
    assert identifier("2024 montant (€)") == "f_2024_montant"
    assert len(identifier("x" * 100)) == 60


def test_field_names_are_unique(tmp_path: Path) -> None:
    parsed = read(tmp_path, "u.csv", "Nom;nom_2;NOM;Résumé;resume;€\na;b;c;d;e;f\n")
    names = [field.name for field in infer_fields(parsed)]
    assert names == ["nom", "nom_2", "nom_3", "resume", "resume_2", "column_6"]
    assert [field.label for field in infer_fields(parsed)][:3] == ["Nom", "nom_2", "NOM"]


def test_typed_rows_decimal_char(tmp_path: Path) -> None:
    parsed = read(tmp_path, "d.csv", "montant\n1234,50\n")
    fields = [Field("montant", FieldType.DOUBLE, "montant")]
    assert next(typed_rows(parsed, fields, decimal_char=","))["montant"] == 1234.5
    with pytest.raises(ValueError, match="1234,50"):
        next(typed_rows(parsed, fields, decimal_char="."))


def test_user_chosen_type_that_does_not_fit_is_reported(tmp_path: Path) -> None:
    parsed = read(tmp_path, "p.csv", "code_postal\n17300\n2A004\n")
    fields = [Field("code_postal", FieldType.INTEGER, "code_postal", label="code_postal")]
    report = validate(parsed, fields)
    assert [(e.row, e.field, e.value, e.code) for e in report.errors] == [
        (3, "code_postal", "2A004", "type-error")
    ]
    assert report.errors[0].message == (
        "Ligne 3, colonne code_postal : « 2A004 » n'est pas un nombre entier."
    )
