"""The demo territory loads, and loading it again changes nothing."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_scopes import scopes_disabled

from spolu.territories.models import Membership, Territory


def test_load_demo_is_idempotent(db, capsys):
    call_command("load_demo")
    counts = (Territory.objects.count(), get_user_model().objects.count())
    with scopes_disabled():
        memberships = Membership.objects.count()
    call_command("load_demo")
    with scopes_disabled():
        assert Membership.objects.count() == memberships
    assert (Territory.objects.count(), get_user_model().objects.count()) == counts
    out = capsys.readouterr().out
    assert "koordinator@zelenov.example" in out
    assert "spolu-demo-2026" in out


def test_demo_has_a_user_for_every_role(db):
    from spolu.core.permissions import Role

    call_command("load_demo")
    with scopes_disabled():
        roles = set(
            Membership.objects.filter(territory__slug="zelenov").values_list("role", flat=True)
        )
    assert roles == set(Role.values)
    assert (
        get_user_model()
        .objects.get(email="koordinator@zelenov.example")
        .check_password("spolu-demo-2026")
    )


def test_the_demo_sends_no_mail_so_the_console_shows_the_logins(transactional_db, settings, capsys):
    # transactional_db: the demo commits, so its notices would really go out (on_commit).
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("load_demo")
    printed = capsys.readouterr().out
    assert "Message-ID" not in printed
    assert "Demo logins" in printed
