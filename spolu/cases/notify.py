"""E-mails about signals: they say that something needs attention and link to it, nothing more.

Recipients are users, collected when the step happens; the mail goes out after the commit so
that a failing mail server never undoes a step (the failure is logged).
"""

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from spolu.accounts.models import User
from spolu.core.permissions import TERRITORY_ACTIONS
from spolu.meetings.invitations import absolute_url
from spolu.territories.models import Membership


def _members_with(territory_id, action):
    return Membership.objects.filter(
        territory_id=territory_id, role__in=TERRITORY_ACTIONS[action], user__is_active=True
    ).values_list("user_id", flat=True)


def _department_users(territory_id) -> set[int]:
    return set(_members_with(territory_id, "cases.triage"))


def _staff_of(organisation_id, territory_id, action) -> set[int]:
    return set(
        User.objects.filter(
            pk__in=_members_with(territory_id, action),
            people__organisations=organisation_id,
            people__has_left=False,
        ).values_list("pk", flat=True)
    )


def _school_users(signal) -> set[int]:
    staff = _staff_of(signal.school_id, signal.territory_id, "cases.view")
    if signal.filed_by_id in staff:
        return {signal.filed_by_id}
    return staff  # the author left: the school's other staff hear it


def _signal_url(signal) -> str:
    return absolute_url(
        reverse("cases:signal-detail", kwargs={"territory": signal.territory.slug, "pk": signal.pk})
    )


def _queue(signal, user_ids, subject, message, *, exclude=None):
    user_ids = set(user_ids) - {getattr(exclude, "pk", None)}
    if not user_ids:
        return
    url = _signal_url(signal)
    language = signal.territory.language
    transaction.on_commit(
        lambda: send(sorted(user_ids), subject, message, url, language), robust=True
    )


def send(user_ids, subject, message, url, language) -> None:
    addresses = list(
        User.objects.filter(pk__in=user_ids, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    with translation.override(language):
        subject = " ".join(str(subject).split())
        body = render_to_string("cases/email/attention.txt", {"message": message, "url": url})
    with get_connection() as connection:
        connection.send_messages(
            [EmailMessage(subject=subject, body=body, to=[address]) for address in addresses]
        )


class _Lazy:
    """A message translated when the mail is written, in the territory's language."""

    def __init__(self, text, **params):
        self.text, self.params = text, params

    def __str__(self):
        return _(self.text) % self.params


def signal_received(signal) -> None:
    _queue(
        signal,
        _school_users(signal),
        _Lazy(gettext_noop("Spolu: signal %(ref)s was received"), ref=signal.reference),
        _Lazy(
            gettext_noop(
                "The department received signal %(ref)s of your school and will triage it by "
                "%(date)s."
            ),
            ref=signal.reference,
            date=signal.triage_due.strftime("%d.%m.%Y"),
        ),
    )


def department_needs_triage(signal) -> None:
    _queue(
        signal,
        _department_users(signal.territory_id),
        _Lazy(gettext_noop("Spolu: a new signal needs triage (%(ref)s)"), ref=signal.reference),
        _Lazy(
            gettext_noop("A school filed signal %(ref)s. It waits for triage."),
            ref=signal.reference,
        ),
    )


def department_has_news(signal, *, exclude=None) -> None:
    _queue(
        signal,
        _department_users(signal.territory_id),
        _Lazy(gettext_noop("Spolu: news on signal %(ref)s"), ref=signal.reference),
        _Lazy(gettext_noop("Something new was recorded on signal %(ref)s."), ref=signal.reference),
        exclude=exclude,
    )


def school_has_news(signal) -> None:
    _queue(
        signal,
        _school_users(signal),
        _Lazy(gettext_noop("Spolu: feedback on signal %(ref)s"), ref=signal.reference),
        _Lazy(
            gettext_noop("There is feedback on signal %(ref)s of your school. Open it to read it."),
            ref=signal.reference,
        ),
    )


def organisation_has_referral(referral) -> None:
    signal = referral.signal
    _queue(
        signal,
        _staff_of(referral.organisation_id, signal.territory_id, "cases.handle"),
        _Lazy(
            gettext_noop("Spolu: a signal was referred to your organisation (%(ref)s)"),
            ref=signal.reference,
        ),
        _Lazy(
            gettext_noop(
                "The department referred signal %(ref)s to your organisation. Please accept it or "
                "return it with a reason."
            ),
            ref=signal.reference,
        ),
    )
