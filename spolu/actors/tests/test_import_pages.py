"""Import pages: upload, preview without writing, confirm, and what a broken file does."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from spolu.actors.models import Organisation, Person
from spolu.actors.tests.factories import make_organisation

DATA = Path(__file__).parent / "data"


def url(name, territory="alfov"):
    return reverse(f"actors:{name}", args=[territory])


def upload(name):
    return SimpleUploadedFile(name, (DATA / name).read_bytes())


def organisations(territory):
    with scope(territory=territory):
        return sorted(
            Organisation.objects.filter(territory=territory).values_list("name", flat=True)
        )


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("a_coordinator", 200),
        ("a_team", 200),
        ("a_partner", 403),
        ("a_viewer", 403),
        ("b_coordinator", 404),
    ],
)
def test_who_may_import(cast, client_for, user, status):
    client = client_for(cast.user(user))
    assert client.get(url("register-import")).status_code == status
    assert client.get(url("people-import")).status_code == status


def test_register_import_previews_then_writes(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    preview = client.post(url("register-import"), {"file": upload("vrejcelk-sample.xml")})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "New organisations" in html
    assert "Základní škola a mateřská škola Alfov-ves" in html
    assert "Základní škola Betlémov" not in html.split("outside this territory")[0]
    assert organisations(cast.territory_a) == []  # nothing written by the preview
    token = html.split('name="token" value="')[1].split('"')[0]

    done = client.post(url("register-import"), {"token": token, "confirm": "1"})
    assert done.status_code == 302
    names = organisations(cast.territory_a)
    assert "Základní škola a mateřská škola Alfov-ves, příspěvková organizace" in names
    assert not any("Betlémov" in n for n in names)

    again = client.post(url("register-import"), {"file": upload("vrejcelk-sample.xml")})
    html = again.content.decode()
    assert "Everything in the file is already up to date" in html
    assert f"Unchanged: {len(names)}" in html


def test_broken_register_file_changes_nothing_and_names_the_record(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    response = client.post(url("register-import"), {"file": upload("vrejcelk-bad-number.xml")})
    html = response.content.decode()
    assert "This file cannot be imported" in html
    assert 'name="confirm"' not in html
    token = html.split('name="token" value="')[1].split('"')[0]
    forced = client.post(url("register-import"), {"token": token, "confirm": "1"})
    assert forced.status_code == 400
    assert organisations(cast.territory_a) == []


def test_a_token_from_another_session_is_refused(cast, client_for, client):
    response = client_for(cast.user("a_coordinator")).post(
        url("register-import"), {"file": upload("vrejcelk-sample.xml")}
    )
    token = response.content.decode().split('name="token" value="')[1].split('"')[0]
    client.logout()
    client.force_login(cast.user("a_team"))
    refused = client.post(url("register-import"), {"token": token, "confirm": "1"})
    assert refused.status_code == 302
    assert organisations(cast.territory_a) == []


def test_upload_without_a_file_shows_the_field_error(cast, client_for):
    response = client_for(cast.user("a_coordinator")).post(url("register-import"), {})
    assert "This field is required." in response.content.decode()


def _people_xlsx(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Jméno", "Pozice", "Organizace", "E-mail", "Telefon"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("people.xlsx", buffer.getvalue())


def test_people_import_reports_bad_rows_and_changes_nothing(cast, client_for):
    make_organisation(cast.territory_a, name="ZŠ Alfov")
    client = client_for(cast.user("a_team"))
    response = client.post(
        url("people-import"),
        {
            "file": _people_xlsx(
                [
                    ["Jana Nová", "ředitel", "ZŠ Alfov", "jana@example.org", ""],
                    ["", "ředitel", "ZŠ Alfov", "x@example.org", ""],
                    ["Petr Malý", "ředitel", "Neznámá škola", "not-an-email", ""],
                ]
            )
        },
    )
    html = response.content.decode()
    assert "The file has errors" in html
    rows = html.split("<caption>Errors</caption>")[1].split("</table>")[0]
    assert "<td>3</td>" in rows and "<td>4</td>" in rows
    assert 'name="confirm"' not in html
    with scope(territory=cast.territory_a):
        assert not Person.objects.exists()


def test_people_import_creates_people(cast, client_for):
    make_organisation(cast.territory_a, name="ZŠ Alfov")
    client = client_for(cast.user("a_team"))
    response = client.post(
        url("people-import"),
        {"file": _people_xlsx([["Jana Nová", "head", "ZŠ Alfov", "jana@example.org", ""]])},
    )
    html = response.content.decode()
    token = html.split('name="token" value="')[1].split('"')[0]
    assert client.post(url("people-import"), {"token": token, "confirm": "1"}).status_code == 302
    with scope(territory=cast.territory_a):
        person = Person.objects.get()
        assert person.email == "jana@example.org"
        assert [o.name for o in person.organisations.all()] == ["ZŠ Alfov"]


def test_cancel_drops_the_upload(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    response = client.post(url("register-import"), {"file": upload("vrejcelk-sample.xml")})
    token = response.content.decode().split('name="token" value="')[1].split('"')[0]
    client.post(url("register-import"), {"token": token, "cancel": "1"})
    gone = client.post(url("register-import"), {"token": token, "confirm": "1"})
    assert gone.status_code == 302
    assert organisations(cast.territory_a) == []
