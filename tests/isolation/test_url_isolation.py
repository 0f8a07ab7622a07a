"""Walks every URL pattern of the project and requests it as outsiders.

Each tenant URL of territory A (or network A) is requested anonymously, by a user of
territory B, by a network B member and by a user with no membership; anything but a redirect
to the login page, 403 or 404 fails. A member of A requests the same URLs as a control, so the
harness cannot pass because the URLs themselves are broken. A pattern the harness does not
know how to classify or fill in makes it fail: extend SAMPLE_KWARGS or NON_TENANT below.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import scope

from spolu.actors.models import Organisation, Person
from spolu.territories.models import Membership

pytestmark = pytest.mark.isolation

# Non-tenant URLs: (namespace or name prefix) -> why they may be reached outside a territory.
NON_TENANT = {
    "core:home": "start page: shows only the user's own memberships",
    "core:healthz": "health check: database status only",
    "bench:": "the benchmark's trivial page: says only whether the visitor is logged in",
    "set_language": "language switch",
    "admin:": "technical administration: staff only, Django's own permissions",
    "account_": "allauth: login, logout, password reset (the user's own account)",
    "mfa_": "allauth: the user's own two-factor authentication",
    "calendar:": "the user's own calendar feed (secret, revocable token) and its settings",
    "catalog:": "the public catalogue; editing needs the global catalogue-editor permission, "
    "proposing a good practice needs plans.change in the measure's territory",
}

OUTSIDERS = ["b_coordinator", "b_caseworker", "b_advisor", "nobody"]


def _membership_of_a(cast):
    with scope(territory=cast.territory_a):
        return Membership.objects.get(user=cast.user("a_viewer")).pk


def _organisation_of_a(cast):
    with scope(territory=cast.territory_a):
        organisation, _ = Organisation.objects.get_or_create(
            territory=cast.territory_a, name="Harness school", kind="primary_school"
        )
        return organisation.pk


def _person_of_a(cast):
    with scope(territory=cast.territory_a):
        person, _ = Person.objects.get_or_create(
            territory=cast.territory_a, full_name="Harness Person", position="head"
        )
        return person.pk


def _plan_objects_of_a(cast):
    """A plan of A with a goal, a measure, a task, an indicator and an attachment."""
    from django.core.files.base import ContentFile

    from spolu.plans.models import (
        Attachment,
        Indicator,
        IndicatorValue,
        Plan,
        ProgressUpdate,
        Task,
    )
    from spolu.plans.tests.builders import make_plan

    with scope(territory=cast.territory_a):
        plan = Plan.objects.filter(territory=cast.territory_a).first()
    if plan is None:
        plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
        task, _ = Task.objects.get_or_create(
            territory=cast.territory_a, title="Harness task", measure=measure
        )
        indicator, _ = Indicator.objects.get_or_create(
            territory=cast.territory_a, plan=plan, name="Harness indicator", unit="%"
        )
        value, _ = IndicatorValue.objects.get_or_create(
            territory=cast.territory_a,
            indicator=indicator,
            date=plan.period_start,
            defaults={"value": 1},
        )
        attachment = Attachment.objects.first()
        if attachment is None:
            update = ProgressUpdate.objects.create(
                territory=cast.territory_a,
                measure=measure,
                date=plan.period_start,
                status="planned",
                narrative="Harness",
            )
            attachment = Attachment(
                territory=cast.territory_a,
                progress_update=update,
                original_name="a.pdf",
                content_type="application/pdf",
                size=9,
            )
            attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            attachment.save()
    return {
        "plan": plan.pk,
        "goal": measure.goal_id,
        "measure": measure.pk,
        "task": task.pk,
        "indicator": indicator.pk,
        "indicator_value": value.pk,
        "attachment": attachment.pk,
    }


def _pk(kind):
    return lambda cast: {"pk": _plan_objects_of_a(cast)[kind]}


def _meeting_objects_of_a(cast):
    """A platform of A with a held meeting and an agenda item."""
    import datetime

    from django.utils import timezone

    from spolu.meetings.models import AgendaItem, Meeting, Platform

    with scope(territory=cast.territory_a):
        platform, _ = Platform.objects.get_or_create(
            territory=cast.territory_a, name="Harness platform", kind="plenary"
        )
        meeting = platform.meetings.first()
        if meeting is None:
            start = timezone.now() - datetime.timedelta(days=1)
            meeting = Meeting.objects.create(
                territory=cast.territory_a,
                platform=platform,
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=1),
                status="held",
            )
        item, _ = AgendaItem.objects.get_or_create(
            territory=cast.territory_a, meeting=meeting, kind="topic", title="Harness item"
        )
        from spolu.meetings.models import Agreement, AgreementVersion

        agreement, created = Agreement.objects.get_or_create(
            territory=cast.territory_a, platform=platform, title="Harness agreement"
        )
        if created:
            AgreementVersion.objects.create(
                territory=cast.territory_a,
                agreement=agreement,
                number=1,
                text="Text",
                effective_from=timezone.localdate(),
            )
    return {
        "platform": platform.pk,
        "meeting": meeting.pk,
        "item": item.pk,
        "agreement": agreement.pk,
    }


def _case_objects_of_a(cast):
    """A signal of A filed by a school, referred to an NGO."""
    from spolu.cases import services
    from spolu.cases.models import Signal

    with scope(territory=cast.territory_a):
        signal = Signal.objects.filter(territory=cast.territory_a).first()
        if signal is None:
            school = Organisation.objects.get(pk=_organisation_of_a(cast))
            ngo, _ = Organisation.objects.get_or_create(
                territory=cast.territory_a, name="Harness NGO", kind="ngo"
            )
            signal = services.do_file_signal(
                Signal(
                    territory=cast.territory_a,
                    school=school,
                    pupil_reference="H-1",
                    birth_year=2015,
                    grade="5",
                    category="other",
                    description="Harness",
                ),
                acting_user=cast.user("a_school"),
            )
            services.do_triage(signal, "refer", "Harness", acting_user=cast.user("a_caseworker"))
            services.do_refer(signal, [ngo], "", acting_user=cast.user("a_caseworker"))
        return {"signal": signal.pk, "referral": signal.referrals.first().pk}


def _c(*, referral=False):
    def kwargs(cast):
        objects = _case_objects_of_a(cast)
        return {"pk": objects["signal"], **({"referral": objects["referral"]} if referral else {})}

    return kwargs


def _m(kind, **extra):
    return lambda cast: {"pk": _meeting_objects_of_a(cast)[kind], **extra}


# URL name -> how to fill its keyword arguments with objects of territory A / network A.
SAMPLE_KWARGS = {
    "territories:home": lambda cast: {},
    "territories:member-list": lambda cast: {},
    "territories:member-add": lambda cast: {},
    "territories:member-edit": lambda cast: {"pk": _membership_of_a(cast)},
    "territories:member-remove": lambda cast: {"pk": _membership_of_a(cast)},
    "territories:audit-log": lambda cast: {},
    "territories:network-home": lambda cast: {},
    "actors:organisation-list": lambda cast: {},
    "actors:organisation-map": lambda cast: {},
    "actors:organisation-add": lambda cast: {},
    "actors:register-import": lambda cast: {},
    "actors:organisation-export": lambda cast: {"fmt": "xlsx"},
    "actors:organisation-detail": lambda cast: {"pk": _organisation_of_a(cast)},
    "actors:organisation-edit": lambda cast: {"pk": _organisation_of_a(cast)},
    "actors:person-list": lambda cast: {},
    "actors:person-add": lambda cast: {},
    "actors:people-import": lambda cast: {},
    "actors:person-export": lambda cast: {"fmt": "csv"},
    "actors:person-detail": lambda cast: {"pk": _person_of_a(cast)},
    "actors:person-edit": lambda cast: {"pk": _person_of_a(cast)},
    "actors:person-vcard": lambda cast: {"pk": _person_of_a(cast)},
    "plans:plan-list": lambda cast: {},
    "plans:plan-add": lambda cast: {},
    "plans:plan-detail": _pk("plan"),
    "plans:plan-edit": _pk("plan"),
    "plans:plan-adopt": _pk("plan"),
    "plans:plan-advance": _pk("plan"),
    "plans:plan-next-period": _pk("plan"),
    "plans:plan-timeline": _pk("plan"),
    "plans:goal-add": _pk("plan"),
    "plans:measure-add": _pk("plan"),
    "plans:indicator-add": _pk("plan"),
    "plans:plan-export": lambda cast: {**_pk("plan")(cast), "fmt": "xlsx"},
    "plans:plan-template": _pk("plan"),
    "plans:plan-import": _pk("plan"),
    "plans:goal-edit": _pk("goal"),
    "plans:measure-detail": _pk("measure"),
    "plans:measure-edit": _pk("measure"),
    "plans:progress-add": _pk("measure"),
    "plans:attachment-download": _pk("attachment"),
    "plans:indicator-detail": _pk("indicator"),
    "plans:indicator-edit": _pk("indicator"),
    "plans:indicator-value-delete": _pk("indicator_value"),
    "plans:task-list": lambda cast: {},
    "plans:task-add": lambda cast: {},
    "plans:task-export": lambda cast: {"fmt": "csv"},
    "plans:task-edit": _pk("task"),
    "plans:task-status": _pk("task"),
    "plans:our-measures": lambda cast: {},
    "catalog:good-practice-propose": lambda cast: {"measure": _plan_objects_of_a(cast)["measure"]},
    "meetings:platform-list": lambda cast: {},
    "meetings:platform-add": lambda cast: {},
    "meetings:platform-detail": _m("platform"),
    "meetings:platform-edit": _m("platform"),
    "meetings:platform-generate": _m("platform"),
    "meetings:topic-add": _m("platform"),
    "meetings:meeting-add": _m("platform"),
    "meetings:meeting-detail": _m("meeting"),
    "meetings:meeting-edit": _m("meeting"),
    "meetings:meeting-cancel": _m("meeting"),
    "meetings:meeting-invite": _m("meeting"),
    "meetings:meeting-respond": _m("meeting"),
    "meetings:meeting-close": _m("meeting"),
    "meetings:meeting-approve": _m("meeting"),
    "meetings:correction-add": _m("meeting"),
    "meetings:minutes": _m("meeting", fmt="docx"),
    "meetings:attendance": _m("meeting"),
    "meetings:decision-add": _m("meeting"),
    "meetings:agenda-add": _m("meeting"),
    "meetings:agenda-edit": _m("item"),
    "meetings:agenda-move": _m("item"),
    "meetings:agenda-remove": _m("item"),
    "meetings:agreement-list": lambda cast: {},
    "meetings:agreement-add": lambda cast: {},
    "meetings:agreement-detail": _m("agreement"),
    "meetings:agreement-version-add": _m("agreement"),
    "meetings:announcement-list": lambda cast: {},
    "meetings:announcement-add": lambda cast: {},
    "cases:signal-list": lambda cast: {},
    "cases:signal-add": lambda cast: {},
    "cases:signal-export": lambda cast: {"fmt": "xlsx"},
    "cases:case-log": lambda cast: {},
    "cases:signal-detail": _c(),
    "cases:signal-triage": _c(),
    "cases:signal-refer": _c(),
    "cases:signal-event-add": _c(),
    "cases:signal-supplement": _c(),
    "cases:signal-close": _c(),
    "cases:referral-answer": _c(referral=True),
    "cases:subject-search": lambda cast: {},
    "cases:subject-export": lambda cast: {"fmt": "json"},
    "cases:subject-erase": lambda cast: {},
    "cases:statistics": lambda cast: {},
    "cases:network-statistics": lambda cast: {},
}

# The member of A used as the control for each URL (must reach it: 200, 302 or 405).
CONTROL_USER = {
    "territories:network-home": "a_advisor",
    # Single signals are for their parties only: the department's head of case work is the
    # control (the coordinator sees aggregates only); a school files signals.
    **{name: "a_case_lead" for name in SAMPLE_KWARGS if name.startswith("cases:")},
    "cases:signal-add": "a_school",
    "cases:network-statistics": "a_advisor",
}


def walk(patterns=None, namespace="", prefix=""):
    """Yield (full name, route, pattern) for every URL pattern, recursively."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else f"{namespace}<unnamed {p.pattern}>"
            yield name, prefix + str(p.pattern), p


def tenant_patterns():
    return [(n, r, p) for n, r, p in walk() if "<slug:territory>" in r or "<slug:network>" in r]


def is_non_tenant(name):
    return any(
        name == key or (key.endswith((":", "_")) and name.startswith(key)) for key in NON_TENANT
    )


def test_every_url_pattern_is_classified():
    unclassified = [
        f"{name} ({route})"
        for name, route, _p in walk()
        if not ("<slug:territory>" in route or "<slug:network>" in route)
        and not is_non_tenant(name)
    ]
    assert unclassified == [], "classify these URL patterns in the isolation harness"


def test_every_tenant_url_has_sample_arguments():
    missing = [name for name, _r, _p in tenant_patterns() if name not in SAMPLE_KWARGS]
    assert missing == [], "add these URL names to SAMPLE_KWARGS"


def _urls(cast):
    for name, route, _pattern in tenant_patterns():
        kwargs = SAMPLE_KWARGS[name](cast)
        if "<slug:territory>" in route:
            kwargs["territory"] = cast.territory_a.slug
        else:
            kwargs["network"] = cast.network_a.slug
        yield name, reverse(name, kwargs=kwargs)


def _refused(response, login_url):
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith(login_url)


def test_outsiders_are_refused_on_every_tenant_url(cast, client):
    login_url = reverse("account_login")
    failures = []
    checked = 0
    for _name, url in _urls(cast):
        for who in [None, *OUTSIDERS]:
            client.logout()
            if who:
                client.force_login(cast.user(who))
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                checked += 1
                if not _refused(response, login_url):
                    failures.append(
                        f"{method.upper()} {url} as {who or 'anonymous'}: {response.status_code}"
                    )
                if who is None and response.status_code != 302:
                    failures.append(f"{method.upper()} {url} anonymous: expected login redirect")
    assert checked >= len(SAMPLE_KWARGS) * 10
    assert failures == []


def test_members_of_a_reach_every_tenant_url(cast, client):
    from allauth.mfa.models import Authenticator

    # Case pages require two-factor authentication: the controls have it, so that a case
    # page is really rendered for them rather than sent to the set-up page.
    for user in cast.users.values():
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    mfa_setup = reverse("mfa_activate_totp")
    failures = []
    for name, url in _urls(cast):
        client.force_login(cast.user(CONTROL_USER.get(name, "a_coordinator")))
        response = client.get(url)
        if response.status_code not in (200, 302, 405):
            failures.append(f"GET {url}: {response.status_code}")
        elif response.status_code == 302 and response["Location"] == mfa_setup:
            failures.append(f"GET {url}: sent to two-factor set-up")
    assert failures == []


def test_admin_is_closed_to_territory_users(cast, client):
    client.force_login(cast.user("a_coordinator"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
