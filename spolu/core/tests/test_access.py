"""The access layer: deny by default, 404 for foreign territories, 403 for missing rights."""

import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from spolu.core.access import public_view, territory_view
from spolu.core.middleware import DenyByDefaultMiddleware


def test_undeclared_view_is_refused():
    def naked_view(request):
        return HttpResponse("secret")

    middleware = DenyByDefaultMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/x")
    response = middleware.process_view(request, naked_view, (), {})
    assert response.status_code == 403


def test_declared_view_passes_the_gate():
    @public_view
    def open_view(request):
        return HttpResponse("hello")

    middleware = DenyByDefaultMiddleware(lambda request: HttpResponse())
    assert middleware.process_view(RequestFactory().get("/x"), open_view, (), {}) is None


def test_undeclared_action_fails_at_import_time():
    with pytest.raises(KeyError):
        territory_view("no.such.action")


def test_foreign_territory_is_404(cast, client_for):
    client = client_for(cast.user("b_coordinator"))
    assert client.get(reverse("territories:home", args=["alfov"])).status_code == 404


def test_unknown_territory_is_404(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    assert client.get(reverse("territories:home", args=["nowhere"])).status_code == 404


def test_member_without_the_right_gets_403(cast, client_for):
    client = client_for(cast.user("a_viewer"))
    assert client.get(reverse("territories:member-list", args=["alfov"])).status_code == 403


def test_anonymous_is_sent_to_login(cast, client):
    response = client.get(reverse("territories:home", args=["alfov"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_tenant_pages_are_not_cached(cast, client_for):
    response = client_for(cast.user("a_viewer")).get(reverse("territories:home", args=["alfov"]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_role_requiring_mfa_is_sent_to_set_it_up(cast, client_for, settings):
    settings.SPOLU_MFA_REQUIRED_ROLES = ["caseworker"]
    client = client_for(cast.user("a_caseworker"))
    response = client.get(reverse("territories:home", args=["alfov"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # Other roles are not affected.
    viewer = client_for(cast.user("a_viewer"))
    assert viewer.get(reverse("territories:home", args=["alfov"])).status_code == 200


def test_role_requiring_mfa_passes_with_totp(cast, client_for, settings):
    from allauth.mfa.models import Authenticator

    settings.SPOLU_MFA_REQUIRED_ROLES = ["caseworker"]
    user = cast.user("a_caseworker")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    response = client_for(user).get(reverse("territories:home", args=["alfov"]))
    assert response.status_code == 200


def test_sensitive_role_is_logged_out_after_inactivity(cast, client_for, settings):
    settings.SPOLU_SENSITIVE_ROLES = ["caseworker"]
    settings.SPOLU_SENSITIVE_IDLE_MINUTES = 30
    client = client_for(cast.user("a_caseworker"))
    url = reverse("territories:home", args=["alfov"])
    assert client.get(url).status_code == 200
    session = client.session
    session["spolu_last_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # The session is gone: the next request is anonymous too.
    assert client.get(url)["Location"].startswith(reverse("account_login"))


def test_other_roles_keep_their_session(cast, client_for, settings):
    settings.SPOLU_SENSITIVE_ROLES = ["caseworker"]
    client = client_for(cast.user("a_viewer"))
    url = reverse("territories:home", args=["alfov"])
    client.get(url)
    session = client.session
    session["spolu_last_seen"] = int(time.time()) - 600 * 60
    session.save()
    assert client.get(url).status_code == 200
