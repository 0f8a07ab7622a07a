"""The public map of good practice: what appears on it, the filter, its JSON, its queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from spolu.catalog.models import GoodPractice, Intervention, Status
from spolu.plans.tests.builders import make_plan

from .builders import make_good_practice, make_intervention

MAP = reverse("catalog:map")
DATA = reverse("catalog:map-data")


def _intervention(slug, title, *, status=Status.PUBLISHED, pl_title=""):
    texts = {"en": {"title": title, "summary": f"About {title}."}}
    if pl_title:
        texts["pl"] = {"title": pl_title, "summary": "Opis."}
    return make_intervention(slug, status=status, texts=texts, area="school")


def _practice(title, *, status=Status.PUBLISHED, lat="49.19", lon="16.61", interventions=()):
    return make_good_practice(
        title,
        status=status,
        interventions=interventions,
        place=f"Place of {title}",
        language="en",
        latitude=Decimal(lat) if lat else None,
        longitude=Decimal(lon) if lon else None,
        start_year=2021,
    )


def _place(territory, lat="50.08", lon="14.42"):
    territory.latitude, territory.longitude = Decimal(lat), Decimal(lon)
    territory.save()


def _link(territory, *interventions, measures=1, title="Plan"):
    """A plan of the territory whose measures link the interventions."""
    plan = make_plan(territory, measures=measures, title=title, status="adopted")
    with scope(territory=territory):
        for measure in plan.measures.all():
            measure.interventions.set(interventions)
    return plan


@pytest.fixture
def mapped(cast):
    """Published, draft and proposed practices; territory A uses a published intervention,
    territory B only a draft one."""
    tutoring = _intervention("tutoring", "Tutoring club", pl_title="Klub korepetycji")
    assistant = _intervention("assistant", "Teaching assistant")
    draft = _intervention("secret-draft", "Draft intervention", status=Status.DRAFT)
    _practice("Tutoring in Brno", interventions=[tutoring, draft])
    _practice("Assistants in Opava", lat="49.94", lon="17.90", interventions=[assistant])
    _practice("Draft practice", status=Status.DRAFT, interventions=[tutoring])
    _practice("Proposed practice", status=Status.PROPOSED, interventions=[tutoring])
    _practice("Practice without a place", lat="", lon="", interventions=[tutoring])
    _place(cast.territory_a)
    _place(cast.territory_b, lat="50.26", lon="19.02")
    _link(cast.territory_a, tutoring)
    _link(cast.territory_b, draft)
    return cast


def test_map_lists_published_practices_and_territories(client, mapped):
    response = client.get(MAP)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tutoring in Brno" in page
    assert "Assistants in Opava" in page
    brno = GoodPractice.objects.get(title="Tutoring in Brno")
    assert reverse("catalog:good-practice-detail", kwargs={"pk": brno.pk}) in page
    assert reverse("catalog:intervention-detail", kwargs={"slug": "tutoring"}) in page
    for hidden in ("Draft practice", "Proposed practice", "Draft intervention", "secret-draft"):
        assert hidden not in page
    # A practice without coordinates is not on the map (nor in the list beside it).
    assert "Practice without a place" not in page
    # Territory A uses a published intervention; territory B only a draft one.
    points = response.context["points"]
    assert [t.name for t in points.territories] == ["Alfov"]
    assert [str(i) for i in points.territories[0].interventions] == ["Tutoring club"]
    # Nothing about the territory's plan leaves it: no measure, organisation or plan title.
    for private in ("Opatření", "Škola pro", "Plan"):
        assert private not in client.get(DATA).content.decode()


def test_the_page_carries_the_maps_settings_as_json_without_inline_script(client, mapped):
    response = client.get(MAP)
    page = response.content.decode()
    assert '<script id="catalog-map-data" type="application/json">' in page
    # The points themselves are fetched by the script from the data address.
    assert response.context["map_config"]["data_url"] == DATA
    assert "Tutoring in Brno" not in str(response.context["map_config"])
    assert "catalog/map.js" in page
    assert "markercluster/leaflet.markercluster" in page
    # The only <script> elements without src are the JSON data.
    assert page.count("<script") == page.count("<script src=") + 1


def test_a_territory_needs_a_measure_linking_a_published_intervention(client, cast):
    published = _intervention("published", "Published one")
    _place(cast.territory_a)
    _place(cast.territory_b)
    make_plan(cast.territory_b)  # measures without interventions
    response = client.get(MAP)
    assert response.context["points"].territories == []
    _link(cast.territory_a, published)
    response = client.get(MAP)
    assert [t.name for t in response.context["points"].territories] == ["Alfov"]
    # Once unpublished, the intervention takes the territory off the map.
    Intervention.objects.filter(pk=published.pk).update(status=Status.DRAFT)
    assert client.get(MAP).context["points"].territories == []


def test_a_territory_without_coordinates_is_not_on_the_map(client, cast):
    published = _intervention("published", "Published one")
    _link(cast.territory_a, published)
    response = client.get(MAP)
    assert response.context["points"].territories == []
    assert client.get(DATA).json()["territories"] == []


def test_a_practice_without_coordinates_is_placed_at_its_territory(client, mapped):
    shared = _practice("Shared from a plan", lat="", lon="")
    GoodPractice.objects.filter(pk=shared.pk).update(territory=mapped.territory_b)
    data = client.get(DATA).json()
    shared = next(p for p in data["good_practices"] if p["title"] == "Shared from a plan")
    assert (shared["lat"], shared["lon"]) == (50.26, 19.02)
    # Its own coordinates win over its territory's.
    GoodPractice.objects.filter(title="Tutoring in Brno").update(territory=mapped.territory_b)
    brno = next(p for p in client.get(DATA).json()["good_practices"] if "Brno" in p["title"])
    assert (brno["lat"], brno["lon"]) == (49.19, 16.61)


def test_filter_by_intervention(client, mapped):
    response = client.get(MAP, {"intervention": "assistant"})
    points = response.context["points"]
    assert points.selected.slug == "assistant"
    assert [p.title for p in points.practices] == ["Assistants in Opava"]
    assert points.territories == []
    page = response.content.decode()
    assert "Tutoring in Brno" not in page
    assert '<option value="assistant" selected>' in page

    response = client.get(MAP, {"intervention": "tutoring"})
    points = response.context["points"]
    assert [p.title for p in points.practices] == ["Tutoring in Brno"]
    assert [t.name for t in points.territories] == ["Alfov"]


def test_filter_offers_published_interventions_only(client, mapped):
    choices = dict(client.get(MAP).context["form"].fields["intervention"].choices)
    assert "tutoring" in choices and "assistant" in choices
    assert "secret-draft" not in choices


def test_filter_by_a_draft_or_unknown_intervention_shows_an_error_and_everything(client, mapped):
    for slug in ("secret-draft", "no-such-thing"):
        response = client.get(MAP, {"intervention": slug})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert response.context["points"].selected is None
        assert len(response.context["points"].practices) == 2
        assert client.get(DATA, {"intervention": slug}).status_code == 400


def test_empty_filter_result_says_so(client, cast):
    _intervention("lonely", "Lonely intervention")
    response = client.get(MAP, {"intervention": "lonely"})
    assert response.status_code == 200
    assert "No good practice or territory on the map uses the intervention" in (
        response.content.decode()
    )
    assert 'id="catalog-map"' not in response.content.decode()


def test_map_data_json(client, mapped):
    response = client.get(DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["intervention"] is None
    assert [p["title"] for p in data["good_practices"]] == [
        "Assistants in Opava",
        "Tutoring in Brno",
    ]
    brno = data["good_practices"][1]
    assert brno["lat"] == 49.19 and brno["lon"] == 16.61
    assert brno["place"] == "Place of Tutoring in Brno"
    assert brno["period"] == "2021–"
    assert brno["url"].startswith("http://testserver/catalogue/good-practice/")
    # The draft intervention linked to the practice is left out, everywhere.
    assert brno["interventions"] == ["tutoring"]
    assert set(data["interventions"]) == {"tutoring", "assistant"}
    assert data["interventions"]["tutoring"] == {
        "title": "Tutoring club",
        "language": "en",
        "url": "http://testserver/catalogue/tutoring/",
    }
    assert data["language"] == "en"
    assert brno["language"] == "en"
    assert data["territories"] == [
        {"name": "Alfov", "lat": 50.08, "lon": 14.42, "interventions": ["tutoring"]}
    ]
    assert set(data["territories"][0]) == {"name", "lat", "lon", "interventions"}


def test_map_data_json_follows_the_language_and_the_filter(client, mapped):
    data = client.get(DATA, {"intervention": "tutoring"}, HTTP_ACCEPT_LANGUAGE="pl").json()
    assert data["language"] == "pl"
    assert data["intervention"] == "tutoring"
    assert [p["title"] for p in data["good_practices"]] == ["Tutoring in Brno"]
    assert data["interventions"]["tutoring"]["title"] == "Klub korepetycji"
    # No Polish text: the original (here the only) language, marked as such.
    data = client.get(DATA, HTTP_ACCEPT_LANGUAGE="pl").json()
    assert data["interventions"]["assistant"]["title"] == "Teaching assistant"
    assert data["interventions"]["assistant"]["language"] == "en"
    page = client.get(MAP, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert 'lang="en">Teaching assistant</a>' in page
    assert ">Klub korepetycji</a>" in page


def test_the_page_works_without_tiles_and_says_so(client, mapped, settings):
    settings.SPOLU_MAP_TILE_URL = ""
    response = client.get(MAP)
    page = response.content.decode()
    assert response.context["map_config"]["tiles"] == ""
    assert "no background map is configured" in page
    assert 'id="map-list"' in page
    assert "tile.openstreetmap" not in page


def test_the_page_with_tiles_passes_them_to_the_map(client, mapped, settings):
    settings.SPOLU_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.SPOLU_MAP_ATTRIBUTION = "© Example"
    response = client.get(MAP)
    assert response.context["map_config"]["tiles"] == settings.SPOLU_MAP_TILE_URL
    assert response.context["map_config"]["attribution"] == "© Example"
    page = response.content.decode()
    assert "no background map is configured" not in page
    # Shown by the map script when a tile fails to load.
    assert 'id="catalog-map-tiles-failed" hidden' in page


def test_an_empty_map(client, db):
    response = client.get(MAP)
    assert response.status_code == 200
    assert "There is nothing on the map yet." in response.content.decode()
    assert client.get(DATA).json()["good_practices"] == []


def test_map_pages_are_public_and_cacheable(client, mapped):
    response = client.get(MAP)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert client.get(DATA).status_code == 200


def _populate(cast, extra):
    interventions = [_intervention(f"i-{n}", f"Intervention {n}") for n in range(1 + extra)]
    for n in range(1 + extra * 3):
        practice = _practice(f"Practice {n}", interventions=interventions[: 1 + n % 3])
        if n % 2:  # placed at its territory's coordinates
            GoodPractice.objects.filter(pk=practice.pk).update(
                territory=cast.territory_a, latitude=None, longitude=None
            )
    for territory in (cast.territory_a, cast.territory_b):
        _place(territory)
        _link(territory, *interventions, measures=1 + extra)


# Published interventions, their texts, the good practices, their links to interventions,
# the territories' links to interventions (through measures).
DATA_QUERIES = 5
# The page also reads the published interventions for its filter (2).
MAP_QUERIES = DATA_QUERIES + 2


@pytest.mark.parametrize("extra", [0, 6])
def test_map_query_count_is_fixed(cast, client, django_assert_num_queries, extra):
    _populate(cast, extra)
    with django_assert_num_queries(MAP_QUERIES):
        response = client.get(MAP)
    assert len(response.context["points"].practices) == 1 + extra * 3
    assert len(response.context["points"].territories) == 2
    with django_assert_num_queries(MAP_QUERIES):
        response = client.get(MAP, {"intervention": "i-0"})
    assert len(response.context["points"].territories) == 2


@pytest.mark.parametrize("extra", [0, 6])
def test_map_data_query_count_is_fixed(cast, client, django_assert_num_queries, extra):
    _populate(cast, extra)
    with django_assert_num_queries(DATA_QUERIES):
        data = client.get(DATA).json()
    assert len(data["good_practices"]) == 1 + extra * 3
    assert len(data["territories"]) == 2


def test_titles_are_escaped_in_the_list_and_the_map_data(client, cast):
    _practice("<img src=x onerror=alert(1)> & co")
    page = client.get(MAP).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in page  # the list
    # The map's data is JSON (the script sets it as text, never as HTML).
    data = client.get(DATA)
    assert data["Content-Type"] == "application/json"
    assert data.json()["good_practices"][0]["title"] == "<img src=x onerror=alert(1)> & co"


def test_the_list_beside_the_map_is_paged(client, mapped):
    for number in range(30):
        _practice(f"Extra practice {number:02d}", lat="49.5", lon="16.5")
    first = client.get(MAP)
    assert first.context["practices_page"].paginator.count == 32
    assert len(first.context["practices_page"].object_list) == 25
    assert "page=2" in first.content.decode()
    second = client.get(MAP, {"page": 2})
    assert len(second.context["practices_page"].object_list) == 7
    # The data address still has every point for the map.
    assert len(client.get(DATA).json()["good_practices"]) == 32


def test_the_map_is_computed_once_and_afresh_after_a_publication(
    client, mapped, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from spolu.catalog.services import do_publish

    settings.SPOLU_MAP_CACHE_SECONDS = 300
    first = client.get(DATA).json()
    # Served from the cache: the generation and the data (2), nothing recomputed.
    with django_assert_num_queries(2):
        assert client.get(DATA).json() == first
    # The first page view caches its lists, page by page, from the cached data.
    page = client.get(MAP)
    assert [p.title for p in page.context["points"].practices] == [
        p["title"] for p in first["good_practices"]
    ]
    # Then the page reads the generation, the interventions for its filter and its lists from
    # the cache (3), never the whole map.
    with django_assert_num_queries(3):
        again = client.get(MAP)

    def listed(response):  # the lists (the rest of the page holds a per-request nonce)
        return response.content.decode().split('id="map-list"')[1]

    assert listed(again) == listed(page)
    draft = GoodPractice.objects.get(title="Draft practice")
    GoodPractice.objects.filter(pk=draft.pk).update(latitude=49.2, longitude=16.6)
    with django_capture_on_commit_callbacks(execute=True):
        do_publish(draft, acting_user=None)
    titles = [p["title"] for p in client.get(DATA).json()["good_practices"]]
    assert "Draft practice" in titles
    assert "Draft practice" in client.get(MAP).content.decode()
    # The filter's interventions are cached with the map, and afresh after a publication too.
    assert "secret-draft" not in dict(
        client.get(MAP).context["form"].fields["intervention"].choices
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_publish(Intervention.objects.get(slug="secret-draft"), acting_user=None)
    assert "secret-draft" in dict(client.get(MAP).context["form"].fields["intervention"].choices)


def test_the_cached_lists_beside_the_map_are_paged_like_the_uncached_ones(
    client, mapped, settings, django_assert_num_queries
):
    settings.SPOLU_MAP_CACHE_SECONDS = 300
    for number in range(30):
        _practice(f"Extra practice {number:02d}", lat="49.5", lon="16.5")
    for asked, shown, items in [
        ("2", 2, 7),
        ("99", 2, 7),
        ("0", 2, 7),
        ("abc", 1, 25),
        ("", 1, 25),
    ]:
        for _ in range(2):  # computed, then read from the cache
            page = client.get(MAP, {"page": asked}).context["practices_page"]
            assert (page.number, len(page.object_list), page.paginator.count) == (shown, items, 32)
    with django_assert_num_queries(3):
        second = client.get(MAP, {"page": 2})
    titles = [p.title for p in second.context["points"].practices]
    assert titles == [p["title"] for p in client.get(DATA).json()["good_practices"]][25:]


def test_the_cached_lists_follow_the_language(client, mapped, settings):
    settings.SPOLU_MAP_CACHE_SECONDS = 300
    for _ in range(2):  # rendered, then from the cache
        polish = client.get(MAP, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
        assert ">Klub korepetycji</a>" in polish
        english = client.get(MAP, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert ">Tutoring club</a>" in english and "Klub korepetycji" not in english
        czech = client.get(MAP, HTTP_ACCEPT_LANGUAGE="cs").content.decode()
        assert "Intervence:" in czech and "Intervence:" not in english
