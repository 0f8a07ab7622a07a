"""Business operations on territories and their members."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from spolu.core.permissions import Role

from .models import Membership


def _password_link(user) -> str:
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def _send_invitation(user_id: int, territory_name: str, inviter: str, language: str) -> None:
    user = get_user_model().objects.get(pk=user_id)
    with translation.override(language):
        context = {
            "user": user,
            "territory_name": territory_name,
            "inviter": inviter,
            "set_password_url": _password_link(user) if not user.has_usable_password() else "",
            "login_url": settings.SITE_URL.rstrip("/") + reverse("account_login"),
        }
        send_mail(
            subject=_("You were added to %(territory)s in Spolu") % {"territory": territory_name},
            message=render_to_string("territories/email/invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )


@transaction.atomic
def do_add_member(territory, *, email: str, full_name: str, role: str, acting_user) -> Membership:
    """Give a person a role in the territory, creating their account if they have none.

    A new account has no password: the invitation e-mail carries a link to set one.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, full_name=full_name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if Membership.objects.filter(territory=territory, user=user).exists():
        raise ValidationError(
            _("%(email)s is already a member of this territory.") % {"email": email},
            code="duplicate",
        )
    membership = Membership.objects.create(territory=territory, user=user, role=role)
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: _send_invitation(user.pk, territory.name, str(acting_user), language)
    )
    return membership


def _check_keeps_a_coordinator(membership, new_role: str | None) -> None:
    if membership.role != Role.COORDINATOR or new_role == Role.COORDINATOR:
        return
    others = (
        Membership.objects.filter(territory=membership.territory_id, role=Role.COORDINATOR)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ValidationError(
            _("A territory needs at least one coordinator: appoint another one first."),
            code="last_coordinator",
        )


@transaction.atomic
def do_change_member_role(membership, *, role: str, acting_user) -> Membership:
    """Change a member's role; the last coordinator cannot step down."""
    _check_keeps_a_coordinator(membership, role)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def do_remove_member(membership, *, acting_user) -> None:
    """Take away a member's access to the territory (their account stays)."""
    _check_keeps_a_coordinator(membership, None)
    membership.delete()
