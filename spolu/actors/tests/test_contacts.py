"""The contact directory outside Spolu: exports, vCards and the import of people."""

import csv
import datetime
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.utils import translation
from django_scopes import scope

from spolu.actors.contacts import (
    OrganisationExporter,
    PeopleExporter,
    do_import_people,
    parse_people_file,
    person_vcard,
    vcard_response,
)
from spolu.actors.models import EducationLevel, Organisation, OrganisationKind, Person, Position
from spolu.core.audit import entries_for_territory


@pytest.fixture
def directory(cast):
    """Two schools of territory A and one of territory B, which A must never see."""
    with scope(territory=cast.territory_a):
        primary = Organisation.objects.create(
            territory=cast.territory_a,
            name="Základní škola Alfov",
            short_name="ZŠ Alfov",
            kind=OrganisationKind.PRIMARY_SCHOOL,
            ico="00123456",
            education_levels=[EducationLevel.PRIMARY],
            pupils=312,
        )
        kindergarten = Organisation.objects.create(
            territory=cast.territory_a,
            name="Mateřská škola Alfov",
            short_name="MŠ Alfov",
            kind=OrganisationKind.KINDERGARTEN,
            ico="00123457",
        )
    with scope(territory=cast.territory_b):
        Organisation.objects.create(
            territory=cast.territory_b,
            name="Szkoła Podstawowa w Betowie",
            short_name="SP Betów",
            kind=OrganisationKind.PRIMARY_SCHOOL,
        )
    return {"primary": primary, "kindergarten": kindergarten}


def make_person(territory, organisations=(), **values):
    values.setdefault("position", Position.HEAD)
    with scope(territory=territory):
        person = Person.objects.create(territory=territory, **values)
        person.organisations.add(*organisations)
    return person


def xlsx_upload(rows, name="people.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def read_csv(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def people_in(territory):
    with scope(territory=territory):
        return {
            p.full_name: (
                p.position,
                p.email,
                p.phone,
                sorted(o.name for o in p.organisations.all()),
            )
            for p in Person.objects.filter(territory=territory)
        }


def parse(upload, territory):
    return parse_people_file(upload, territory=territory)


def issues(preview):
    return [(issue.line, issue.column, issue.message) for issue in preview.errors]


# Export


def test_people_export_escapes_formulas_and_keeps_diacritics(cast, directory):
    make_person(
        cast.territory_a,
        [directory["primary"], directory["kindergarten"]],
        full_name="Žofie Dvořáková",
        position=Position.SPECIAL_PEDAGOGUE,
        position_note='=HYPERLINK("http://x")',
        email="zofie@example.org",
        phone="+420 777 000 111",
    )
    with scope(territory=cast.territory_a):
        exporter = PeopleExporter(Person.objects.filter(territory=cast.territory_a))
        rows = read_csv(exporter.as_csv().content)
        sheet = openpyxl.load_workbook(io.BytesIO(exporter.as_xlsx().content)).active
    expected = [
        "Žofie Dvořáková",
        "Special pedagogue",
        '\'=HYPERLINK("http://x")',
        "Mateřská škola Alfov; Základní škola Alfov",
        "zofie@example.org",
        "+420 777 000 111",
    ]
    assert rows == [
        [
            "Full name",
            "Position",
            "Position details",
            "Organisations",
            "E-mail",
            "Phone",
            "Has left",
        ],
        [*expected, "no"],
    ]
    assert [cell.value for cell in sheet[2]] == [*expected, False]
    assert sheet["C2"].data_type == "s"
    assert sheet["A1"].font.b


@pytest.mark.parametrize("count", [2, 20])
def test_people_export_takes_two_queries_whatever_the_size(
    cast, directory, django_assert_num_queries, count
):
    for number in range(count):
        make_person(
            cast.territory_a,
            [directory["primary"], directory["kindergarten"]],
            full_name=f"Person {number}",
        )
    with scope(territory=cast.territory_a):
        people = Person.objects.filter(territory=cast.territory_a)
        # The list view prefetches the organisations already; the exporter must not add more.
        ordered = Prefetch("organisations", queryset=Organisation.objects.order_by("-name"))
        for queryset in (people, people.prefetch_related(ordered)):
            exporter = PeopleExporter(queryset)
            # 1. the people, 2. their organisations (prefetched)
            with django_assert_num_queries(2):
                rows = read_csv(exporter.csv_bytes())
            assert len(rows) == count + 1


def test_organisation_export(cast, directory, django_assert_num_queries):
    with scope(territory=cast.territory_a):
        Organisation.objects.filter(pk=directory["primary"].pk).update(
            municipality=cast.territory_a.children.get()
        )
        exporter = OrganisationExporter(Organisation.objects.filter(territory=cast.territory_a))
        # One query: the organisations with their municipality joined.
        with django_assert_num_queries(1):
            content = exporter.xlsx_bytes()
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Name", "Short name", "Kind", "IČO")
    assert len(rows) == 3
    primary = rows[2]
    assert primary[:4] == ("Základní škola Alfov", "ZŠ Alfov", "Primary school", "00123456")
    assert primary[10] == "Alfov-ves"
    assert primary[14:] == ("Primary", 312, True)


# vCard


def test_vcard_escapes_folds_and_uses_crlf(cast, directory):
    with scope(territory=cast.territory_a):
        club = Organisation.objects.create(
            territory=cast.territory_a,
            name="Spolek rodičů; děti, školy a obce\\Alfov – nízkoprahový klub Šťastná žirafa",
            kind=OrganisationKind.NGO,
        )
    person = make_person(
        cast.territory_a,
        [club],
        full_name="Mgr. Jana Nová, Ph.D.",
        position=Position.COORDINATOR,
        email="jana@example.org",
        phone="+420 601 000 000",
        has_left=True,
        left_on=datetime.date(2025, 6, 30),
    )
    with scope(territory=cast.territory_a):
        card = person_vcard(person)

    assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert card.endswith("END:VCARD\r\n")
    assert "\n" not in card.replace("\r\n", "")
    physical_lines = card.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical_lines)
    assert any(line.startswith(" ") for line in physical_lines)  # the ORG line was folded
    unfolded = card.replace("\r\n ", "").split("\r\n")
    assert "N:Nová;Jana;;Mgr.;Ph.D." in unfolded
    assert "FN:Mgr. Jana Nová\\, Ph.D." in unfolded
    assert (
        "ORG:Spolek rodičů\\; děti\\, školy a obce\\\\Alfov – nízkoprahový klub Šťastná žirafa"
        in unfolded
    )
    assert "TITLE:Coordinator" in unfolded
    assert "EMAIL;TYPE=INTERNET:jana@example.org" in unfolded
    assert "TEL;TYPE=WORK,VOICE:+420 601 000 000" in unfolded
    assert [line for line in unfolded if line.startswith("NOTE:")] == [
        "NOTE:Left the position on June 30\\, 2025."
    ]


def test_vcard_escapes_newlines_and_omits_what_is_missing(cast):
    person = make_person(cast.territory_a, full_name="Petr\nSvoboda", position=Position.OTHER)
    with scope(territory=cast.territory_a):
        card = person_vcard(person)
        response = vcard_response(person)
    assert "FN:Petr\\nSvoboda\r\n" in card
    for name in ("ORG", "EMAIL", "TEL", "NOTE"):
        assert f"\r\n{name}" not in card
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="petr-svoboda.vcf"'


# Import

HEADER = ["Name", "Position", "Organisation", "E-mail", "Phone"]


def test_import_creates_people_linked_to_organisations_then_changes_nothing(cast, directory):
    upload = xlsx_upload(
        [
            HEADER,
            ["Petr Svoboda", "Head", "zs alfov", "petr@example.org", 601000001],
            [
                "Eva Malá",
                "special_pedagogue",
                "Mateřská škola Alfov; ZÁKLADNÍ ŠKOLA ALFOV",
                "eva@example.org",
                "+420 601 000 002",
            ],
            [None, None, None, None, None],
            ["Ivo Beneš", "", "", "", ""],
        ]
    )
    preview = parse(upload, cast.territory_a)
    assert preview.is_valid, issues(preview)
    assert [row.line for row in preview.to_create] == [2, 3, 5]

    counts = do_import_people(preview, acting_user=cast.user("a_coordinator"))

    assert counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert people_in(cast.territory_a) == {
        "Petr Svoboda": ("head", "petr@example.org", "601000001", ["Základní škola Alfov"]),
        "Eva Malá": (
            "special_pedagogue",
            "eva@example.org",
            "+420 601 000 002",
            ["Mateřská škola Alfov", "Základní škola Alfov"],
        ),
        "Ivo Beneš": ("other", "", "", []),
    }
    assert people_in(cast.territory_b) == {}
    created = entries_for_territory(cast.territory_a).filter(
        content_type__model="person", action=LogEntry.Action.CREATE
    )
    assert created.count() == 3

    again = parse(upload, cast.territory_a)
    assert again.is_valid
    assert (again.to_create, again.to_update) == ([], [])
    assert [row.full_name for row in again.unchanged] == ["Petr Svoboda", "Eva Malá", "Ivo Beneš"]
    counts = do_import_people(again, acting_user=cast.user("a_coordinator"))
    assert counts == {"created": 0, "updated": 0, "unchanged": 3}


def test_import_updates_a_person_found_by_email_and_keeps_their_links(cast, directory):
    person = make_person(
        cast.territory_a,
        [directory["kindergarten"]],
        full_name="Jana Nová",
        position=Position.HEAD,
        email="jana.nova@example.org",
        phone="111",
    )
    upload = xlsx_upload(
        [
            ["Name", "E-mail", "Phone", "IČO", "Position"],
            ["Jana Nová", "JANA.NOVA@example.org", "222", 123456, None],
        ]
    )
    preview = parse(upload, cast.territory_a)
    assert preview.is_valid, issues(preview)
    (row,) = preview.to_update
    assert row.person == person
    assert row.changes == {
        "phone": ("111", "222"),
        "organisations": (
            "Mateřská škola Alfov",
            "Mateřská škola Alfov; Základní škola Alfov",
        ),
    }
    assert row.changed_fields == [
        ("Phone", "111", "222"),
        (
            "Organisations",
            "Mateřská škola Alfov",
            "Mateřská škola Alfov; Základní škola Alfov",
        ),
    ]

    assert do_import_people(preview, acting_user=cast.user("a_coordinator"))["updated"] == 1
    assert people_in(cast.territory_a)["Jana Nová"] == (
        "head",
        "jana.nova@example.org",
        "222",
        ["Mateřská škola Alfov", "Základní škola Alfov"],
    )


def test_import_reports_every_bad_row_and_changes_nothing(cast, directory):
    make_person(cast.territory_a, full_name="Jan Novák")
    make_person(cast.territory_a, full_name="Jan Novák")
    before = people_in(cast.territory_a)
    upload = xlsx_upload(
        [
            HEADER,
            ["Petr Svoboda", "head", "ZŠ Alfov", "petr@example.org", ""],
            ["", "head", "ZŠ Alfov", "nobody@example.org", ""],
            ["Eva Malá", "head", "", "not-an-email", ""],
            ["Ivo Beneš", "janitor", "", "", ""],
            ["Olga Černá", "head", "SP Betów", "", ""],  # territory B's school
            ["Petr Svoboda", "head", "", "PETR@example.org", ""],
            ["Jan Novák", "head", "", "", ""],
            ["Dana Veselá", "head", "", "", "x" * 41],
        ]
    )
    preview = parse(upload, cast.territory_a)

    assert not preview.is_valid
    assert [(line, column) for line, column, _message in issues(preview)] == [
        (3, "Name"),
        (4, "E-mail"),
        (5, "Position"),
        (6, "Organisation"),
        (7, "E-mail"),
        (8, "Name"),
        (9, "Phone"),
    ]
    messages = [message for _line, _column, message in issues(preview)]
    assert messages[0] == "A name is required."
    assert messages[1] == "Enter a valid email address."
    assert messages[2].startswith("Unknown position “janitor”. Use one of: Head, Deputy head")
    assert messages[3] == "No organisation “SP Betów” is in this territory's directory."
    assert messages[4] == "This person is already on line 2."
    assert messages[5].startswith("Several people called “Jan Novák”")
    assert messages[6].startswith("Ensure this value has at most 40 characters")
    with pytest.raises(ValueError):
        do_import_people(preview, acting_user=cast.user("a_coordinator"))
    assert people_in(cast.territory_a) == before


def test_import_reads_windows_1250_csv_with_semicolons_and_czech_headers(cast, directory):
    with translation.override("cs"):
        head = str(Position.HEAD.label)
    content = (
        "Seznam kontaktů\r\n"
        "\r\n"
        "Jméno a příjmení;Funkce;Organizace;E-mailová adresa;Telefon\r\n"
        f"Řehoř Šťastný;{head};MŠ Alfov;rehor@example.org;+420 601 000 003\r\n"
        '"Dvořák, Jiří";social_worker;"Základní škola Alfov";;\r\n'
    ).encode("cp1250")
    preview = parse(SimpleUploadedFile("kontakty.csv", content), cast.territory_a)

    assert preview.is_valid, issues(preview)
    assert [(row.line, row.full_name) for row in preview.to_create] == [
        (4, "Řehoř Šťastný"),
        (5, "Dvořák, Jiří"),
    ]
    do_import_people(preview, acting_user=cast.user("a_coordinator"))
    assert people_in(cast.territory_a)["Řehoř Šťastný"] == (
        "head",
        "rehor@example.org",
        "+420 601 000 003",
        ["Mateřská škola Alfov"],
    )


def test_import_joins_surname_and_first_name_columns(cast, directory):
    content = "\ufeffPříjmení,Jméno,Pozice\nNovák,Jan,head\n".encode()
    preview = parse(SimpleUploadedFile("people.csv", content), cast.territory_a)
    assert preview.is_valid, issues(preview)
    assert [row.values["full_name"] for row in preview.to_create] == ["Jan Novák"]


def test_spolu_export_imports_back_unchanged(cast, directory):
    make_person(
        cast.territory_a,
        [directory["primary"], directory["kindergarten"]],
        full_name="Žofie Dvořáková",
        position=Position.SCHOOL_PSYCHOLOGIST,
        email="zofie@example.org",
        phone="+420 777 000 111",
    )
    with scope(territory=cast.territory_a):
        people = Person.objects.filter(territory=cast.territory_a)
        exported = PeopleExporter(people).csv_bytes()
    preview = parse(SimpleUploadedFile("people.csv", exported), cast.territory_a)
    assert preview.is_valid, issues(preview)
    assert [row.full_name for row in preview.unchanged] == ["Žofie Dvořáková"]


def test_import_refuses_more_rows_than_allowed(cast, monkeypatch):
    monkeypatch.setattr("spolu.actors.contacts.MAX_IMPORT_ROWS", 3)
    rows = ["Name", "A", "", "B", "", "C", "D", ""]
    content = "\n".join(rows).encode()
    preview = parse(SimpleUploadedFile("people.csv", content), cast.territory_a)
    assert issues(preview) == [
        (None, "", "The file has more than 3 rows; split it into smaller files.")
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02 binary",
        b"PK\x03\x04 not really a workbook",
        b"\xd0\xcf\x11\xe0 an old .xls",
        "Jméno,Funkce\n".encode(),
        b"Foo,Bar\n1,2\n",
    ],
)
def test_unreadable_file_gives_one_file_level_error(cast, content):
    preview = parse(SimpleUploadedFile("people.xlsx", content), cast.territory_a)
    assert len(preview.errors) == 1
    assert preview.errors[0].line is None
    assert not preview.is_valid


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfeN\x00a\x00m\x00e\x00\n",  # UTF-16 with a BOM and an odd number of bytes
        b"\xfe\xff\x00N\x00a\x00m\x00e\x00\n\x00",
        b"\xff\xfe\x00\xd8N\x00",  # half of a surrogate pair
        b"Name\n\x81\x83\x88\x90\x98\n",  # neither UTF-8 nor windows-1250
    ],
)
def test_text_that_cannot_be_decoded_is_one_file_level_error(cast, content):
    preview = parse(SimpleUploadedFile("people.csv", content), cast.territory_a)
    assert issues(preview) == [
        (None, "", "The file could not be read. Save it as XLSX or CSV and upload it again.")
    ]


def test_import_reads_excel_unicode_text(cast, directory):
    content = "Jméno a příjmení\tFunkce\r\nŽofie Nová\thead\r\n".encode("utf-16")
    preview = parse(SimpleUploadedFile("people.txt", content), cast.territory_a)
    assert preview.is_valid, issues(preview)
    assert [row.full_name for row in preview.to_create] == ["Žofie Nová"]


def test_the_people_import_page_reports_an_undecodable_file(cast, client_for):
    from django.urls import reverse

    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        reverse("actors:people-import", args=["alfov"]),
        {"file": SimpleUploadedFile("p.csv", b"\xff\xfeN\x00a\x00m\x00e\x00\n")},
    )
    assert response.status_code == 200
    assert "The file could not be read." in response.content.decode()
