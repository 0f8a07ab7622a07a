"""Logging in by e-mail, lockout after failures, password reset, and no public sign-up."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from spolu.core.testing import PASSWORD, make_user


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_login_by_email_case_insensitive(client):
    make_user("jana@example.org")
    response = client.post(
        reverse("account_login"), {"login": "Jana@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("core:home")).context["user"].email == "jana@example.org"


@pytest.mark.django_db
def test_wrong_password_shows_error_and_keeps_email(client):
    make_user("jana@example.org")
    response = client.post(
        reverse("account_login"), {"login": "jana@example.org", "password": "nope"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "not correct" in html
    assert 'value="jana@example.org"' in html


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out(client, settings):
    make_user("jana@example.org")
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": "jana@example.org", "password": "wrong"})
    response = client.post(url, {"login": "jana@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not response.context["user"].is_authenticated


@pytest.mark.django_db
def test_password_reset_sends_an_email(client):
    make_user("jana@example.org")
    response = client.post(reverse("account_reset_password"), {"email": "jana@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jana@example.org"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_signup_is_closed(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "x-Secret-12345", "password2": "x-Secret-12345"},
    )
    assert "closed" in response.content.decode().lower()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="new@example.org").exists()


@pytest.mark.django_db
def test_logout_needs_post_and_ends_session(client):
    user = make_user("jana@example.org")
    client.force_login(user)
    client.post(reverse("account_logout"))
    assert not client.get(reverse("core:home")).context["user"].is_authenticated


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"),
    [("cs", "Přihlásit"), ("pl", "Zaloguj"), ("en", "Sign In")],
)
def test_login_page_in_three_languages(client, language, text):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert text in html
