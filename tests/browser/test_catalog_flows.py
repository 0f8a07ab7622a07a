"""The public catalogue as an anonymous visitor meets it, in English, Czech and Polish.

The visitor switches the language with the site's language form, searches without diacritics
("skolni" finds "školní", "szkola" finds "szkoła"), narrows the list with a facet, reads an
intervention and opens the map of good practice: the list beside the map is there and the
markers are drawn, without any request to a third party (no tile server is configured). Axe runs
on every page reached; the `page` fixture also fails on CSP violations and script errors.
Assertions use the data and language-independent selectors, not interface strings.
"""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from spolu.catalog.models import Intervention
from spolu.catalog.tests.builders import make_good_practice, make_intervention
from spolu.plans.tests.builders import make_plan

from .conftest import check_a11y, visit

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

# Only in Czech: every language shows the Czech title (with a note that it is not translated).
SCHOOL_CLUB = {
    "cs": {"title": "Klub školní přípravy", "summary": "Odpolední doučování přímo ve škole."}
}
# Only in Polish.
OPEN_SCHOOL = {"pl": {"title": "Otwarta szkoła dla rodziców", "summary": "Rodzice w szkole."}}
COORDINATOR = {
    "cs": {"title": "Koordinátor inkluze", "summary": "Jeden člověk drží síť pohromadě."},
    "en": {"title": "Inclusion coordinator", "summary": "One person keeps the network together."},
    "pl": {"title": "Koordynator włączania", "summary": "Jedna osoba spina całą sieć."},
}
PRACTICE = "Koordinátorka inkluze v Alfově"


@pytest.fixture(autouse=True)
def _no_tiles(settings):
    # No tile server: the map must draw its markers without any third-party request.
    settings.SPOLU_MAP_TILE_URL = ""
    settings.SPOLU_MAP_ATTRIBUTION = ""


@pytest.fixture
def catalogue(cast):
    make_intervention("school-club", texts=SCHOOL_CLUB, area="school", kind="preventive")
    make_intervention("open-school", texts=OPEN_SCHOOL, area="family", kind="supportive")
    coordinator = make_intervention(
        "inclusion-coordinator", texts=COORDINATOR, area="systemic", kind="supportive"
    )
    make_intervention("draft-idea", status="draft", texts={"cs": {"title": "Školní koncept"}})
    make_good_practice(
        PRACTICE,
        interventions=[coordinator],
        place="Alfov",
        latitude=Decimal("49.59"),
        longitude=Decimal("17.25"),
        start_year=2019,
    )
    territory = cast.territory_b
    territory.latitude, territory.longitude = Decimal("50.26"), Decimal("19.02")
    territory.save()
    plan = make_plan(territory, measures=1, status="adopted")
    with scope(territory=territory):
        plan.measures.get().interventions.set([coordinator])
    return cast


def _foreign_requests(page):
    foreign = []

    def note(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            foreign.append(request.url)

    page.on("request", note)
    return foreign


def _switch_language(page, language):
    """Choose the language in the header's form (it submits itself) and check the page."""
    with page.expect_navigation():
        page.locator("#language-select").select_option(language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    check_a11y(page)


def _search(page, words):
    page.locator("form[role=search] input[name=q]").fill(words)
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    check_a11y(page)
    return page.locator(".catalog-results > li h3")


@pytest.mark.parametrize("language", ["en", "cs", "pl"])
def test_anonymous_visitor_searches_filters_reads_and_opens_the_map(
    page, live_server, catalogue, language
):
    foreign = _foreign_requests(page)
    visit(page, f"{live_server.url}/catalogue/")
    _switch_language(page, language)
    titles = page.locator(".catalog-results > li h3")
    expect(titles).to_have_count(3)  # the draft is not listed

    # Search without diacritics and in any case.
    titles = _search(page, "skolni")
    expect(titles).to_have_count(1)
    expect(titles.first).to_contain_text("školní")
    if language != "cs":  # shown untranslated, and marked as Czech
        expect(titles.first).to_have_attribute("lang", "cs")
    titles = _search(page, "SZKOLA")
    expect(titles).to_have_count(1)
    expect(titles.first).to_contain_text("szkoła")

    # A facet: only the systemic measures.
    _search(page, "")
    page.locator("input[name=area][value=systemic]").check()
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    check_a11y(page)
    assert "area=systemic" in page.url
    titles = page.locator(".catalog-results > li h3")
    expect(titles).to_have_count(1)
    coordinator_title = COORDINATOR[language]["title"]
    expect(titles.first).to_have_text(coordinator_title)

    # The intervention's page.
    with page.expect_navigation():
        titles.first.get_by_role("link").click()
    check_a11y(page)
    expect(page.locator("h1")).to_have_text(coordinator_title)
    assert page.url.endswith("/catalogue/inclusion-coordinator/")

    # The map: the list beside it, and the markers drawn on a plain background.
    visit(page, f"{live_server.url}/catalogue/map/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    listing = page.locator("#map-list")
    expect(listing.get_by_role("link", name=PRACTICE)).to_be_visible()
    expect(listing.get_by_role("heading", name=catalogue.territory_b.name)).to_be_visible()
    expect(listing.get_by_role("link", name=coordinator_title).first).to_be_visible()
    expect(page.locator("#catalog-map")).to_be_visible()
    expect(page.locator("#catalog-map .leaflet-marker-icon")).to_have_count(2)
    expect(page.locator("#catalog-map-no-tiles")).to_be_visible()
    check_a11y(page)  # again, now that the script has drawn the map

    # A marker's popup, opened from the keyboard, links to the good practice.
    marker = page.locator("#catalog-map .map-pin--practice")
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator("#catalog-map .leaflet-popup")
    expect(popup.get_by_role("link", name=PRACTICE)).to_be_visible()
    expect(popup.get_by_role("link", name=coordinator_title)).to_be_visible()
    expect(popup).to_have_css("opacity", "1")  # faded in: axe measures contrast as shown
    check_a11y(page)

    # The filter by intervention works server-side.
    page.locator("#id_intervention").select_option("open-school")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    check_a11y(page)
    assert re.search(r"[?&]intervention=open-school", page.url)
    expect(page.locator("#map-list a")).to_have_count(0)
    expect(page.locator("#catalog-map")).to_have_count(0)

    assert foreign == [], f"requests to third parties: {foreign}"


def test_many_points_are_clustered(page, live_server, catalogue):
    intervention = Intervention.objects.get(slug="inclusion-coordinator")
    for n in range(12):
        make_good_practice(
            f"Practice {n}",
            interventions=[intervention],
            latitude=Decimal("49.59") + Decimal(n) / 1000,
            longitude=Decimal("17.25"),
        )
    visit(page, f"{live_server.url}/catalogue/map/")
    cluster = page.locator("#catalog-map .map-cluster--practice")
    expect(cluster.first).to_be_visible()
    expect(page.locator("#map-list .map-list__items > li")).to_have_count(13 + 1)
    check_a11y(page)

    # Keyboard: the map does not trap focus, and a link before it skips to the list.
    page.locator("#catalog-map").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate(
            "!document.getElementById('catalog-map').contains(document.activeElement)"
        ):
            break
    else:
        pytest.fail("Tab did not leave the map")
    filter_button = page.locator("form[role=search] button[type=submit]")
    filter_button.focus()
    page.keyboard.press("Tab")
    skip = page.locator(".map-skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#map-list")).to_be_focused()


def test_the_map_says_so_when_tiles_fail_to_load(page, live_server, catalogue, settings):
    # A tile server that answers 404 (on the live server itself, so CSP lets it through).
    settings.SPOLU_MAP_TILE_URL = f"{live_server.url}/no-tiles/{{z}}/{{x}}/{{y}}.png"
    settings.SPOLU_MAP_ATTRIBUTION = "Test tiles"
    visit(page, f"{live_server.url}/catalogue/map/")
    expect(page.locator("#catalog-map-tiles-failed")).to_be_visible()
    expect(page.locator("#catalog-map-no-tiles")).to_have_count(0)
    expect(page.locator("#catalog-map .leaflet-marker-icon")).to_have_count(2)
    expect(page.locator("#catalog-map .leaflet-control-attribution")).to_contain_text("Test tiles")
    expect(page.locator("#map-list").get_by_role("link", name=PRACTICE)).to_be_visible()
    check_a11y(page)
