"""Directory pages: who may see organisations and people, filters, search and query counts."""

import pytest
from django.urls import reverse

from spolu.actors.tests.factories import make_organisation, make_person


def url(name, *args, territory="alfov"):
    return reverse(f"actors:{name}", args=[territory, *args])


MATRIX = [
    ("a_coordinator", 200),
    ("a_team", 200),
    ("a_partner", 200),
    ("a_school", 200),
    ("a_caseworker", 200),
    ("a_viewer", 200),
    ("b_coordinator", 404),
    ("a_advisor", 404),
    ("nobody", 404),
]


@pytest.mark.parametrize(("user", "status"), MATRIX)
def test_organisation_pages_permission_matrix(cast, client_for, user, status):
    organisation = make_organisation(cast.territory_a, latitude="50.1", longitude="14.2")
    person = make_person(cast.territory_a, organisations=[organisation])
    client = client_for(cast.user(user))
    for page in [
        url("organisation-list"),
        url("organisation-map"),
        url("organisation-detail", organisation.pk),
        url("person-list"),
        url("person-detail", person.pk),
    ]:
        assert client.get(page).status_code == status, page


def test_anonymous_is_sent_to_login(cast, client):
    response = client.get(url("organisation-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_list_shows_only_this_territory(cast, client_for):
    make_organisation(cast.territory_a, name="Škola v Alfově")
    make_organisation(cast.territory_b, name="Szkoła w Betowie")
    html = client_for(cast.user("a_viewer")).get(url("organisation-list")).content.decode()
    assert "Škola v Alfově" in html
    assert "Betowie" not in html


def test_other_territory_object_is_404(cast, client_for):
    foreign = make_organisation(cast.territory_b, name="Szkoła w Betowie")
    client = client_for(cast.user("a_coordinator"))
    assert client.get(url("organisation-detail", foreign.pk)).status_code == 404
    assert client.get(url("organisation-edit", foreign.pk)).status_code == 404


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("skola", ["Základní škola Habrovice"]),
        ("ZAKLADNI", ["Základní škola Habrovice"]),
        ("szkola", ["Szkoła Podstawowa nr 1"]),
        ("LODKA", ["Przedszkole Łódka"]),
        ("materska skol", ["Mateřská škola Kopretina"]),
        ("12345678", ["Mateřská škola Kopretina"]),
    ],
)
def test_search_ignores_diacritics_and_case(cast, client_for, query, found):
    names = [
        "Základní škola Habrovice",
        "Szkoła Podstawowa nr 1",
        "Przedszkole Łódka",
    ]
    for name in names:
        make_organisation(cast.territory_a, name=name)
    make_organisation(
        cast.territory_a, name="Mateřská škola Kopretina", kind="kindergarten", ico="12345678"
    )
    html = (
        client_for(cast.user("a_viewer"))
        .get(url("organisation-list"), {"q": query})
        .content.decode()
    )
    shown = [n for n in [*names, "Mateřská škola Kopretina"] if n in html]
    if query == "skola":
        found = ["Základní škola Habrovice", "Mateřská škola Kopretina"]
    assert shown == found


def test_filters_by_kind_level_municipality_and_status(cast, client_for):
    village = cast.territory_a.children.get()
    make_organisation(
        cast.territory_a,
        name="ZŠ a MŠ Alfov-ves",
        municipality=village,
        education_levels=["preschool", "primary"],
    )
    make_organisation(
        cast.territory_a,
        name="Gymnázium Alfov",
        kind="secondary_school",
        education_levels=["secondary"],
    )
    make_organisation(cast.territory_a, name="Zavřená škola", active=False)
    client = client_for(cast.user("a_viewer"))

    def names(**params):
        html = client.get(url("organisation-list"), params).content.decode()
        return [n for n in ["ZŠ a MŠ Alfov-ves", "Gymnázium Alfov", "Zavřená škola"] if n in html]

    assert names() == ["ZŠ a MŠ Alfov-ves", "Gymnázium Alfov"]
    assert names(kind="secondary_school") == ["Gymnázium Alfov"]
    assert names(level="preschool") == ["ZŠ a MŠ Alfov-ves"]
    assert names(level="primary") == ["ZŠ a MŠ Alfov-ves"]
    assert names(municipality=village.pk) == ["ZŠ a MŠ Alfov-ves"]
    assert names(active="no") == ["Zavřená škola"]
    assert names(active="all") == ["ZŠ a MŠ Alfov-ves", "Gymnázium Alfov", "Zavřená škola"]


def test_filter_refuses_a_foreign_municipality(cast, client_for):
    make_organisation(cast.territory_a, name="Škola A")
    response = client_for(cast.user("a_viewer")).get(
        url("organisation-list"), {"municipality": cast.territory_b.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html


def test_empty_territory_shows_empty_state(cast, client_for):
    html = client_for(cast.user("a_coordinator")).get(url("organisation-list")).content.decode()
    assert "No organisations are recorded yet" in html
    html = client_for(cast.user("a_coordinator")).get(url("person-list")).content.decode()
    assert "No contact people are recorded yet" in html
    assert client_for(cast.user("a_coordinator")).get(url("organisation-map")).status_code == 200


def test_list_pages(cast, client_for):
    for i in range(30):
        make_organisation(cast.territory_a, name=f"Škola {i:02}")
    client = client_for(cast.user("a_viewer"))
    first = client.get(url("organisation-list")).content.decode()
    second = client.get(url("organisation-list"), {"page": 2}).content.decode()
    assert "Škola 00" in first and "Škola 29" not in first
    assert "Škola 29" in second
    assert "Page 2 of 2" in second


def _populate(cast, count):
    for i in range(count):
        organisation = make_organisation(
            cast.territory_a, name=f"Škola {i:02}", education_levels=["primary"]
        )
        make_person(cast.territory_a, full_name=f"Osoba {i}", organisations=[organisation])


@pytest.mark.parametrize("count", [2, 30])
def test_organisation_list_query_count_is_fixed(cast, client_for, django_assert_num_queries, count):
    _populate(cast, count)
    client = client_for(cast.user("a_viewer"))
    # session, user, memberships+territories (also the switcher's), count, page with people counts,
    # the filter's municipalities
    with django_assert_num_queries(6):
        assert client.get(url("organisation-list")).status_code == 200


@pytest.mark.parametrize("count", [2, 30])
def test_person_list_query_count_is_fixed(cast, client_for, django_assert_num_queries, count):
    _populate(cast, count)
    client = client_for(cast.user("a_viewer"))
    # session, user, memberships+territories (also the switcher's), count, page, its organisations
    with django_assert_num_queries(6):
        assert client.get(url("person-list")).status_code == 200


@pytest.mark.parametrize("count", [2, 30])
def test_organisation_detail_query_count_is_fixed(
    cast, client_for, django_assert_num_queries, count
):
    organisation = make_organisation(cast.territory_a, name="Velká škola")
    for i in range(count):
        make_person(cast.territory_a, full_name=f"Učitel {i}", organisations=[organisation])
    client = client_for(cast.user("a_partner"))
    # session, user, memberships+territories (also the switcher's), organisation+municipality, its
    # people, the measures it implements, the partner's own organisations (for editing and for the
    # platforms they see), the platforms it belongs to
    with django_assert_num_queries(9):
        assert client.get(url("organisation-detail", organisation.pk)).status_code == 200


def test_organisation_detail_shows_people_and_placeholders(cast, client_for):
    organisation = make_organisation(
        cast.territory_a, name="ZŠ Alfov", latitude="50.10000", longitude="14.20000"
    )
    make_person(
        cast.territory_a,
        full_name="Jana Ředitelová",
        organisations=[organisation],
        email="jana@example.org",
    )
    make_person(
        cast.territory_a,
        full_name="Bývalý Učitel",
        organisations=[organisation],
        has_left=True,
        email="byvaly@example.org",
    )
    html = (
        client_for(cast.user("a_viewer"))
        .get(url("organisation-detail", organisation.pk))
        .content.decode()
    )
    assert "Jana Ředitelová" in html and "jana@example.org" in html
    assert "Bývalý Učitel" in html and "has left" in html
    assert "byvaly@example.org" not in html
    assert "Measures it implements" in html
    assert 'id="organisation-location-data"' in html


def test_people_who_left_are_hidden_unless_asked(cast, client_for):
    make_person(cast.territory_a, full_name="Stále Tady")
    make_person(cast.territory_a, full_name="Už Odešla", has_left=True)
    client = client_for(cast.user("a_viewer"))
    html = client.get(url("person-list")).content.decode()
    assert "Stále Tady" in html and "Už Odešla" not in html
    html = client.get(url("person-list"), {"show_left": "on"}).content.decode()
    assert "Už Odešla" in html
