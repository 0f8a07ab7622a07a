"""Members page: who may see and change a territory's members, and what they see."""

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scope

from spolu.core.permissions import Role
from spolu.core.testing import add_member, make_user
from spolu.territories.models import Membership


def url(name, *args):
    return reverse(f"territories:{name}", args=["alfov", *args])


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("a_coordinator", 200),
        ("a_team", 200),
        ("a_partner", 403),
        ("a_school", 403),
        ("a_caseworker", 403),
        ("a_viewer", 403),
        ("b_coordinator", 404),
        ("a_advisor", 404),
        ("nobody", 404),
    ],
)
def test_member_list_permission_matrix(cast, client_for, user, status):
    assert client_for(cast.user(user)).get(url("member-list")).status_code == status


def test_member_list_shows_only_this_territory(cast, client_for):
    html = client_for(cast.user("a_coordinator")).get(url("member-list")).content.decode()
    assert "a-viewer@example.org" in html
    assert "b-viewer@example.org" not in html


@pytest.mark.parametrize("extra", [0, 40])
def test_member_list_query_count_is_fixed(cast, client_for, django_assert_num_queries, extra):
    for i in range(extra):
        add_member(cast.territory_a, make_user(f"extra{i}@example.org"), Role.VIEWER)
    client = client_for(cast.user("a_coordinator"))
    # session, user, memberships+territories (also the switcher's), count, page of members+users
    with django_assert_num_queries(5):
        response = client.get(url("member-list"))
    assert response.status_code == 200


def test_member_list_pages(cast, client_for):
    for i in range(30):
        add_member(cast.territory_a, make_user(f"extra{i:02}@example.org"), Role.VIEWER)
    client = client_for(cast.user("a_coordinator"))
    first = client.get(url("member-list")).content.decode()
    second = client.get(url("member-list") + "?page=2").content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert 'rel="next"' in first


def test_team_member_cannot_add(cast, client_for):
    response = client_for(cast.user("a_team")).post(
        url("member-add"), {"email": "x@example.org", "role": "viewer"}
    )
    assert response.status_code == 403


def test_coordinator_adds_a_new_person_who_gets_an_invitation(
    cast, client_for, django_capture_on_commit_callbacks
):
    client = client_for(cast.user("a_coordinator"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("member-add"),
            {"email": "New.Head@Example.org", "full_name": "Nová Ředitelka", "role": "school"},
        )
    assert response.status_code == 302
    with scope(territory=cast.territory_a):
        membership = Membership.objects.get(user__email="new.head@example.org")
    assert membership.role == Role.SCHOOL
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "Alfov" in mail.outbox[0].subject


def test_adding_an_existing_member_is_a_field_error(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        url("member-add"), {"email": "a-viewer@example.org", "full_name": "", "role": "team"}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert 'value="a-viewer@example.org"' in response.content.decode()


def test_add_form_shows_field_errors_and_keeps_input(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    response = client.post(url("member-add"), {"email": "not-an-email", "full_name": "Jan"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in html
    assert 'value="Jan"' in html
    assert "This field is required." in html


def _membership(cast, name):
    with scope(territory=cast.territory_a):
        return Membership.objects.get(user=cast.user(name))


def test_coordinator_changes_a_role(cast, client_for):
    membership = _membership(cast, "a_viewer")
    response = client_for(cast.user("a_coordinator")).post(
        url("member-edit", membership.pk), {"role": "team"}
    )
    assert response.status_code == 302
    assert _membership(cast, "a_viewer").role == Role.TEAM


def test_last_coordinator_cannot_step_down(cast, client_for):
    membership = _membership(cast, "a_coordinator")
    client = client_for(cast.user("a_coordinator"))
    response = client.post(url("member-edit", membership.pk), {"role": "viewer"})
    assert response.status_code == 200
    assert "at least one coordinator" in response.content.decode()
    assert _membership(cast, "a_coordinator").role == Role.COORDINATOR
    client.post(url("member-remove", membership.pk))
    assert _membership(cast, "a_coordinator").role == Role.COORDINATOR


def test_coordinator_removes_a_member(cast, client_for):
    membership = _membership(cast, "a_viewer")
    response = client_for(cast.user("a_coordinator")).post(url("member-remove", membership.pk))
    assert response.status_code == 302
    with scope(territory=cast.territory_a):
        assert not Membership.objects.filter(pk=membership.pk).exists()


def test_member_of_another_territory_cannot_be_edited(cast, client_for):
    with scope(territory=cast.territory_b):
        foreign = Membership.objects.get(user=cast.user("b_viewer"))
    client = client_for(cast.user("a_coordinator"))
    assert client.get(url("member-edit", foreign.pk)).status_code == 404
    assert client.post(url("member-remove", foreign.pk)).status_code == 404
    with scope(territory=cast.territory_b):
        assert Membership.objects.filter(pk=foreign.pk).exists()
