"""Start page, territory overview, territory switcher and network page."""

import pytest
from django.urls import reverse

from spolu.core.permissions import Role
from spolu.core.testing import add_member


def test_anonymous_start_page_explains_and_offers_login(db, client):
    html = client.get("/").content.decode()
    assert reverse("account_login") in html


def test_start_page_lists_my_territories_only(cast, client_for):
    html = client_for(cast.user("a_viewer")).get("/").content.decode()
    assert "Alfov" in html and "Betów" not in html


def test_user_without_membership_is_told_what_to_do(cast, client_for):
    html = client_for(cast.user("nobody")).get("/").content.decode()
    assert "not a member of any territory" in html


def test_territory_home_shows_municipalities_and_role(cast, client_for):
    html = client_for(cast.user("a_viewer")).get(reverse("territories:home", args=["alfov"]))
    html = html.content.decode()
    assert "Alfov-ves" in html
    assert "Viewer" in html


def test_switcher_lists_every_territory_of_the_user(cast, client_for):
    user = cast.user("a_coordinator")
    add_member(cast.territory_b, user, Role.VIEWER)
    client = client_for(user)
    html = client.get(reverse("territories:home", args=["alfov"])).content.decode()
    assert reverse("territories:home", args=["betow"]) in html
    assert client.get(reverse("territories:home", args=["betow"])).status_code == 200


def test_navigation_hides_sections_the_role_cannot_open(cast, client_for):
    html = client_for(cast.user("a_viewer")).get(reverse("territories:home", args=["alfov"]))
    assert reverse("territories:member-list", args=["alfov"]) not in html.content.decode()
    html = client_for(cast.user("a_coordinator")).get(reverse("territories:home", args=["alfov"]))
    assert reverse("territories:audit-log", args=["alfov"]) in html.content.decode()


@pytest.mark.parametrize(
    ("user", "status"),
    [("a_advisor", 200), ("a_analyst", 200), ("b_advisor", 404), ("a_coordinator", 404)],
)
def test_network_page_permissions(cast, client_for, user, status):
    response = client_for(cast.user(user)).get(
        reverse("territories:network-home", args=["network-a"])
    )
    assert response.status_code == status


def test_network_page_lists_member_territories(cast, client_for):
    html = (
        client_for(cast.user("a_advisor"))
        .get(reverse("territories:network-home", args=["network-a"]))
        .content.decode()
    )
    assert "Alfov" in html and "Betów" not in html


@pytest.mark.parametrize("extra", [0, 20])
def test_territory_home_query_count_is_fixed(cast, client_for, django_assert_num_queries, extra):
    from spolu.territories.models import Territory

    for i in range(extra):
        Territory.objects.create(
            country="CZ",
            kind="cz_obec",
            code=f"97{i:04}",
            name=f"Obec {i}",
            parent=cast.territory_a,
        )
    client = client_for(cast.user("a_viewer"))
    # session, user, memberships+territories (also the switcher's), municipalities, member count,
    # the viewer's own organisations and the announcements they see, the signal statistics card
    # (counts, triage times: spolu/cases/stats.py signal_summary)
    with django_assert_num_queries(9):
        assert client.get(reverse("territories:home", args=["alfov"])).status_code == 200
