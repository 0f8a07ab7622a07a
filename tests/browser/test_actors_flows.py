"""The actor registry as a person with a browser meets it: imports, directory, map, editing.

Each test checks what the user would notice (tables, messages, kept input, the map) and runs
axe on every page it reaches; the `page` fixture also fails on CSP violations and script errors.
Objects are made with the factories inside the test: the live server shares its database.
"""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from spolu.actors.tests.factories import make_organisation, make_person

from .conftest import check_a11y, login, visit

DATA = Path(__file__).resolve().parents[2] / "spolu" / "actors" / "tests" / "data"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

ALFOV_SCHOOLS = [
    "Základní škola a mateřská škola Alfov-ves, příspěvková organizace",
    "Soukromá mateřská škola Sluníčko Alfov-ves",
    "Pedagogicko-psychologická poradna Alfov",
    "Gymnázium Alfov-ves, příspěvková organizace",
]


@pytest.fixture(autouse=True)
def _quiet_installation(settings, tmp_path):
    # Uploads wait for confirmation under MEDIA_ROOT: keep them out of the project's media
    # folder. No tile server: the map must draw its markers without any third-party request.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SPOLU_MAP_TILE_URL = ""
    settings.SPOLU_MAP_ATTRIBUTION = ""


def _sign_in(page, live_server, user):
    """Start the browser already logged in as `user`.

    The login form is walked through (with axe) by the first test here and by
    test_foundation_flows.py; skipping it elsewhere saves two pages and two axe runs a test.
    """
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def _click_and_check(page, locator):
    """Follow a link or press a submit button, wait for the new page and run axe on it."""
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def _upload(page, file_name):
    """On the register import page: choose a sample file and ask for the preview."""
    page.get_by_label("File").set_input_files(DATA / file_name)
    _click_and_check(page, page.get_by_role("button", name="Preview the import"))


def _names_in_list(page):
    table = page.get_by_role("table", name="Organisations of the territory")
    return table.locator("tbody tr td:first-child a").all_inner_texts()


def _track_foreign_requests(page):
    foreign = []

    def note(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            foreign.append(request.url)

    page.on("request", note)
    return foreign


# --- register imports ---------------------------------------------------------------------


def test_coordinator_imports_the_school_register(page, live_server, cast):
    login(page, live_server, cast.user("a_coordinator"))
    territories = page.get_by_role("region", name="Your territories")
    _click_and_check(page, territories.get_by_role("link", name="Alfov"))
    nav = page.get_by_role("navigation", name="Territory sections")
    _click_and_check(page, nav.get_by_role("link", name="Organisations"))

    assert page.url == f"{live_server.url}/t/alfov/organisations/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(nav.get_by_role("link", name="Organisations")).to_have_attribute("aria-current", "page")
    expect(page.locator(".empty-state")).to_have_text(
        "No organisations are recorded yet. Import the schools from the official register "
        "or add organisations by hand."
    )

    _click_and_check(page, page.get_by_role("link", name="Import from a school register"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import from a school register")
    _upload(page, "vrejcelk-sample.xml")

    expect(page.get_by_role("heading", level=2)).to_have_text(
        "What importing vrejcelk-sample.xml would do"
    )
    created = page.get_by_role("table", name="New organisations")
    for name in ALFOV_SCHOOLS:
        expect(created.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(created.locator("tbody tr")).to_have_count(len(ALFOV_SCHOOLS))
    expect(created).not_to_contain_text("Betlémov")
    expect(page.locator(".report-counts")).to_contain_text("Created: 4")

    outside = page.locator("details", has_text="outside this territory")
    summary = outside.locator("summary")
    expect(summary).to_have_text("2 records are outside this territory")
    expect(outside.get_by_text("Základní škola Betlémov")).to_be_hidden()
    summary.click()
    expect(outside.get_by_text("Základní škola Betlémov, příspěvková organizace")).to_be_visible()
    expect(outside).to_contain_text("Mateřská škola Čejkovice nad Řekou")
    expect(outside).to_contain_text("Outside Alfov")
    check_a11y(page)

    _click_and_check(page, page.get_by_role("button", name="Import", exact=True))
    assert page.url == f"{live_server.url}/t/alfov/organisations/"
    expect(page.get_by_role("status")).to_contain_text(
        "Import finished: 4 created, 0 updated, 0 unchanged."
    )
    expect(page.locator(".result-count")).to_have_text("4 organisations")
    assert sorted(_names_in_list(page)) == sorted(ALFOV_SCHOOLS)

    # The same file a second time: nothing to do, and the preview says so.
    _click_and_check(page, page.get_by_role("link", name="Import from a school register"))
    _upload(page, "vrejcelk-sample.xml")
    expect(
        page.get_by_text(
            "Everything in the file is already up to date; importing it changes nothing."
        )
    ).to_be_visible()
    expect(page.locator(".report-counts")).to_contain_text("Created: 0")
    expect(page.locator(".report-counts")).to_contain_text("Unchanged: 4")
    expect(page.get_by_role("table", name="New organisations")).to_have_count(0)
    expect(page.locator("summary", has_text="4 organisations are unchanged")).to_be_visible()


def test_broken_register_file_names_the_record_and_offers_no_import(page, live_server, cast):
    _sign_in(page, live_server, cast.user("a_coordinator"))
    visit(page, f"{live_server.url}/t/alfov/organisations/import/")
    _upload(page, "vrejcelk-bad-number.xml")

    expect(page.get_by_role("alert")).to_contain_text(
        "This file cannot be imported; nothing will be saved."
    )
    errors = page.get_by_role("table", name="Errors in the file")
    expect(errors).to_be_visible()
    expect(errors.get_by_role("columnheader").first).to_have_text("Record")
    # The fourth record's IČO has a letter O for a zero.
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody td")).to_have_text(["4", "IČO “9998O004” is not a valid number."])
    expect(page.get_by_role("button", name="Import", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Upload another file")).to_be_visible()

    _click_and_check(page, page.get_by_role("button", name="Upload another file"))
    assert page.url == f"{live_server.url}/t/alfov/organisations/import/"
    expect(page.get_by_role("status")).to_contain_text("The import was cancelled")
    expect(page.get_by_label("File")).to_be_visible()

    _click_and_check(page, page.locator(".breadcrumb").get_by_role("link", name="Organisations"))
    expect(page.locator(".empty-state")).to_contain_text("No organisations are recorded yet.")
    expect(page.get_by_role("table", name="Organisations of the territory")).to_have_count(0)


def test_polish_coordinator_imports_the_rspo_answer(page, live_server, cast):
    _sign_in(page, live_server, cast.user("b_coordinator"))
    visit(page, f"{live_server.url}/t/betow/organisations/")
    expect(page.locator(".empty-state")).to_contain_text("No organisations are recorded yet.")
    _click_and_check(page, page.get_by_role("link", name="Import from a school register"))
    _upload(page, "rspo-sample.json")

    expect(page.get_by_text(re.compile(r"Format: .*RSPO.* · 5 records read"))).to_be_visible()
    created = page.get_by_role("table", name="New organisations")
    expect(created.locator("tbody tr")).to_have_count(4)
    expect(
        created.get_by_role("cell", name="Szkoła Podstawowa nr 1 im. Marii Zmyślonej w Betowie")
    ).to_be_visible()
    expect(created).to_contain_text("Poradnia Psychologiczno-Pedagogiczna w Betowie")
    expect(created).not_to_contain_text("Cisowie")
    expect(page.locator("summary")).to_contain_text(["1 record is outside this territory"])

    _click_and_check(page, page.get_by_role("button", name="Import", exact=True))
    assert page.url == f"{live_server.url}/t/betow/organisations/"
    expect(page.get_by_role("status")).to_contain_text(
        "Import finished: 4 created, 0 updated, 0 unchanged."
    )
    # The school closed in 2024 is imported but, like every closed one, hidden by default.
    names = _names_in_list(page)
    assert "Szkoła Podstawowa nr 1 im. Marii Zmyślonej w Betowie" in names
    assert "Przedszkole Samorządowe „Słoneczko” w Betowie" in names
    assert "Szkoła Podstawowa w Dąbrówce Betowskiej" not in names
    page.get_by_label("Status").select_option("all")
    _click_and_check(page, page.get_by_role("button", name="Filter"))
    expect(page.locator(".result-count")).to_have_text("4 organisations")
    closed = page.get_by_role("row", name=re.compile("Dąbrówce Betowskiej"))
    expect(closed).to_contain_text("closed")


# --- directory ------------------------------------------------------------------------------


def test_directory_search_filter_and_organisation_detail_with_map(page, live_server, cast):
    alfov = cast.territory_a
    school = make_organisation(
        alfov,
        "Základní škola Alfov",
        latitude=Decimal("49.81234"),
        longitude=Decimal("15.41234"),
        address="Školní 1, Alfov",
    )
    make_organisation(alfov, "Mateřská škola Alfov", kind="kindergarten")
    make_organisation(alfov, "Spolek Dobrá vůle", kind="ngo")
    make_person(alfov, "Jana Testová", organisations=[school], email="jana@example.org")
    make_person(alfov, "Karel Zástupce", organisations=[school], position="deputy_head")
    foreign = _track_foreign_requests(page)
    console = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))

    _sign_in(page, live_server, cast.user("a_viewer"))
    visit(page, f"{live_server.url}/t/alfov/organisations/")
    expect(page.locator(".result-count")).to_have_text("3 organisations")

    page.get_by_label("Search").fill("skola")
    _click_and_check(page, page.get_by_role("button", name="Filter"))
    assert "q=skola" in page.url
    assert _names_in_list(page) == ["Mateřská škola Alfov", "Základní škola Alfov"]
    expect(page.get_by_label("Search")).to_have_value("skola")

    page.get_by_label("Kind").select_option(label="Primary school")
    _click_and_check(page, page.get_by_role("button", name="Filter"))
    assert _names_in_list(page) == ["Základní škola Alfov"]
    expect(page.locator(".result-count")).to_have_text("1 organisation")
    expect(page.get_by_label("Kind")).to_have_value("primary_school")
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)

    page.get_by_label("Kind").select_option(label="NGO")
    _click_and_check(page, page.get_by_role("button", name="Filter"))
    expect(page.locator(".empty-state")).to_have_text("No organisation matches these filters.")
    _click_and_check(page, page.get_by_role("link", name="Clear filters"))
    expect(page.locator(".result-count")).to_have_text("3 organisations")

    _click_and_check(page, page.get_by_role("link", name="Základní škola Alfov"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Základní škola Alfov")
    expect(page.locator(".lead")).to_contain_text("Primary school")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)  # a viewer
    people = page.get_by_role("region", name="People")
    expect(people.get_by_role("link", name="Jana Testová")).to_be_visible()
    expect(people.get_by_role("link", name="Karel Zástupce")).to_be_visible()
    expect(people.get_by_role("link", name="jana@example.org")).to_be_visible()

    map_ = page.get_by_role("region", name="Location of the organisation")
    expect(map_).to_have_class(re.compile(r"\bmap\b.*\bleaflet-container\b"))
    expect(map_.locator(".leaflet-interactive")).to_have_count(1)
    expect(map_.locator(".leaflet-tile")).to_have_count(0)
    expect(page.get_by_text("The map shows positions only")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert not [m for m in console if "Content Security Policy" in m], console


def test_people_list_detail_and_vcard(page, live_server, cast):
    alfov = cast.territory_a
    school = make_organisation(alfov, "Základní škola Alfov")
    make_person(
        alfov,
        "Jana Testová",
        organisations=[school],
        email="jana@example.org",
        phone="+420 777 000 111",
    )
    make_person(alfov, "Petr Odešel", organisations=[school], has_left=True)

    _sign_in(page, live_server, cast.user("a_viewer"))
    visit(page, f"{live_server.url}/t/alfov/people/")

    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    nav = page.get_by_role("navigation", name="Territory sections")
    expect(nav.get_by_role("link", name="People")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table", name="Contact people of the territory")
    row = table.get_by_role("row", name=re.compile("Jana Testová"))
    expect(row).to_contain_text("Head")
    expect(row.get_by_role("link", name="Základní škola Alfov")).to_be_visible()
    expect(row.get_by_role("link", name="jana@example.org")).to_be_visible()
    expect(table).not_to_contain_text("Petr Odešel")  # left: hidden unless asked for

    _click_and_check(page, row.get_by_role("link", name="Jana Testová"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jana Testová")
    expect(page.locator(".details")).to_contain_text("+420 777 000 111")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download contact (vCard)").click()
    download = info.value
    assert download.suggested_filename == "jana-testova.vcf"
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("BEGIN:VCARD")
    assert "Jana Testová" in content
    assert "jana@example.org" in content
    assert content.rstrip().endswith("END:VCARD")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jana Testová")  # still there


# --- editing --------------------------------------------------------------------------------


def test_partner_edits_own_organisation_only(page, live_server, cast):
    alfov = cast.territory_a
    partner = cast.user("a_partner")
    ngo = make_organisation(alfov, "Spolek Dobrá vůle", kind="ngo", phone="111 222 333")
    other = make_organisation(alfov, "Základní škola Alfov")
    make_person(alfov, "A Partner", organisations=[ngo], position="other", user=partner)
    base = f"{live_server.url}/t/alfov/organisations"

    _sign_in(page, live_server, partner)
    visit(page, f"{base}/{other.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Základní škola Alfov")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    visit(page, f"{base}/{ngo.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Spolek Dobrá vůle")
    _click_and_check(page, page.get_by_role("link", name="Edit", exact=True))
    assert page.url == f"{base}/{ngo.pk}/edit/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Spolek Dobrá vůle")
    phone = page.get_by_label("Phone")
    expect(phone).to_have_value("111 222 333")

    phone.fill("+420 605 123 456")
    _click_and_check(page, page.get_by_role("button", name="Save"))
    assert page.url == f"{base}/{ngo.pk}/"
    expect(page.get_by_role("status")).to_contain_text("The changes were saved.")
    expect(page.get_by_role("link", name="+420 605 123 456")).to_be_visible()

    _click_and_check(page, page.get_by_role("link", name="Edit", exact=True))
    page.get_by_label("E-mail", exact=True).fill("not-an-e-mail")
    page.get_by_label("Phone").fill("+420 605 999 999")
    _click_and_check(page, page.get_by_role("button", name="Save"))
    assert page.url == f"{base}/{ngo.pk}/edit/"
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(page.locator("#id_email_error")).to_contain_text("Enter a valid email address.")
    email = page.get_by_label("E-mail", exact=True)
    expect(email).to_have_value("not-an-e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Phone")).to_have_value("+420 605 999 999")
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("Spolek Dobrá vůle")

    # Nothing of the refused form was saved.
    visit(page, f"{base}/{ngo.pk}/")
    expect(page.get_by_role("link", name="+420 605 123 456")).to_be_visible()
    response = page.goto(f"{base}/{other.pk}/edit/")
    assert response is not None and response.status == 403
    check_a11y(page)


# --- map ------------------------------------------------------------------------------------


def test_organisation_map_draws_markers_and_lists_those_without_location(page, live_server, cast):
    alfov = cast.territory_a
    located = [
        make_organisation(
            alfov, "Základní škola Alfov", latitude=Decimal("49.80"), longitude=Decimal("15.40")
        ),
        make_organisation(
            alfov,
            "Mateřská škola Alfov",
            kind="kindergarten",
            latitude=Decimal("49.81"),
            longitude=Decimal("15.42"),
        ),
        make_organisation(
            alfov,
            "Spolek Dobrá vůle",
            kind="ngo",
            latitude=Decimal("49.79"),
            longitude=Decimal("15.39"),
        ),
    ]
    make_organisation(alfov, "Úřad městyse Alfov", kind="municipal_office")
    foreign = _track_foreign_requests(page)

    _sign_in(page, live_server, cast.user("a_viewer"))
    visit(page, f"{live_server.url}/t/alfov/organisations/")
    _click_and_check(page, page.get_by_role("link", name="Show on a map"))

    assert page.url == f"{live_server.url}/t/alfov/organisations/map/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Map of organisations")
    map_ = page.get_by_role("region", name="Map of the organisations")
    expect(map_).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(map_.locator(".leaflet-interactive")).to_have_count(len(located))
    without = page.get_by_role("region", name="Without a location")
    expect(without.get_by_role("link")).to_have_text(["Úřad městyse Alfov"])

    # A marker names its organisation and links to it.
    map_.locator(".leaflet-interactive").first.click()
    popup = map_.locator(".leaflet-popup-content")
    expect(popup.get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^/t/alfov/organisations/\d+/$")
    )
    # Leaflet fades the popup in: let it finish before axe measures its contrast.
    expect(map_.locator(".leaflet-popup")).to_have_css("opacity", "1")
    check_a11y(page)

    # The map follows the list's filters.
    page.get_by_label("Kind").select_option(label="NGO")
    _click_and_check(page, page.get_by_role("button", name="Filter"))
    expect(map_.locator(".leaflet-interactive")).to_have_count(1)
    expect(page.get_by_role("region", name="Without a location")).to_have_count(0)

    page.wait_for_load_state("networkidle")
    assert foreign == [], f"requests to other hosts: {foreign}"
