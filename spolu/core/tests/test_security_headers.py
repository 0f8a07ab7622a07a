import pytest


@pytest.mark.django_db
def test_pages_send_strict_security_headers(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_have_no_inline_script(client):
    html = client.get("/accounts/login/").content.decode()
    assert "<script>" not in html
    assert "onclick=" not in html.lower()
