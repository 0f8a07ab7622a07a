"""Demo signals of Zelenov: invented pupils and texts, spread over the last twelve months.

The demo school user works at a primary school, the case workers at the department of social
affairs, and the demo partner at the NGO, so each of them sees the signals a real user would.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.utils import timezone, translation
from django_scopes import scope

from spolu.actors.models import SCHOOL_KINDS, Organisation, OrganisationKind, Person
from spolu.territories.models import Territory

from . import services
from .models import EventKind, Signal

# (category, urgency, what the school noticed, what it did)
STORIES = [
    (
        "absence",
        "high",
        "Žák od října chybí vždy v pondělí a v pátek, omluvenky nosí se zpožděním a "
        "podpis se liší od dřívějších.",
        "Třídní učitelka mluvila s matkou, výchovná komise proběhla v listopadu.",
    ),
    (
        "material",
        "normal",
        "Žákyně špatně vidí na tabuli, brýle rodina nemůže zaplatit.",
        "Posadili jsme ji do první lavice a oslovili rodinu.",
    ),
    (
        "failure",
        "normal",
        "Prospěch se od pololetí zhoršil ve čtyřech předmětech, domácí úkoly chybí.",
        "Doučování ve škole jednou týdně, individuální konzultace.",
    ),
    (
        "family",
        "urgent",
        "Dítě opakovaně přichází hladové a bez svačiny, zmínilo, že doma nikdo není.",
        "Rozhovor s metodičkou prevence, informovali jsme ředitelku.",
    ),
    (
        "behaviour",
        "normal",
        "Konflikty se spolužáky o přestávkách, dvakrát napadení.",
        "Třídnická hodina, domluva s rodiči, spolupráce se školní psycholožkou.",
    ),
    (
        "absence",
        "normal",
        "Skrytá nepřítomnost: žák odchází po druhé hodině domů.",
        "Zápis do deníku, telefonát rodičům.",
    ),
    (
        "material",
        "normal",
        "Rodina nemá na obědy ani na pomůcky do výtvarné výchovy.",
        "Škola půjčila pomůcky z vlastních zásob.",
    ),
]

DEPARTMENT = "Odbor sociálních věcí MěÚ Zelenov"
NGO = "Most k sobě, z. s."
LABOUR_OFFICE = "Úřad práce ČR, kontaktní pracoviště Zelenov"


def _link(territory, email, organisation):
    user = get_user_model().objects.filter(email=email).first()
    if user is None or organisation is None:
        return None
    person = Person.objects.filter(territory=territory, user=user).first()
    if person is None:
        person = Person.objects.create(
            territory=territory, full_name=user.full_name, email=email, user=user
        )
    person.organisations.add(organisation)
    return user


def load():
    zelenov = Territory.objects.filter(slug="zelenov").first()
    if zelenov is None:
        return []
    with scope(territory=zelenov), translation.override("cs"):
        if Signal.objects.filter(territory=zelenov).exists():
            return []
        schools = list(
            Organisation.objects.filter(territory=zelenov, kind__in=SCHOOL_KINDS)
            .exclude(kind=OrganisationKind.KINDERGARTEN)
            .order_by("name")[:3]
        )
        department = Organisation.objects.filter(territory=zelenov, name=DEPARTMENT).first()
        ngo = Organisation.objects.filter(territory=zelenov, name=NGO).first()
        labour = Organisation.objects.filter(territory=zelenov, name=LABOUR_OFFICE).first()
        if not schools or department is None or ngo is None:
            return []
        school_user = _link(zelenov, "skola@zelenov.example", schools[0])
        worker = _link(zelenov, "pripady@zelenov.example", department)
        _link(zelenov, "vedouci@zelenov.example", department)
        partner = _link(zelenov, "partner@zelenov.example", ngo)
        if school_user is None or worker is None:
            return []
        # The demo sends no e-mail about its invented signals.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            _signals(zelenov, schools, school_user, worker, partner, department, ngo, labour)
    return []


def _signals(territory, schools, school_user, worker, partner, department, ngo, labour):
    rng = random.Random(2026)
    now = timezone.now()
    for index in range(28):
        category, urgency, description, actions = STORIES[index % len(STORIES)]
        school = schools[index % len(schools)]
        signal = services.do_file_signal(
            Signal(
                territory=territory,
                school=school,
                pupil_reference=f"{2015 + index % 5}/{100 + index}",
                pupil_initials=f"{'ABDHJKLMPRSTV'[index % 13]}. {'BČDHKMNPRSVZ'[index % 12]}.",
                birth_year=2012 + index % 6,
                grade=f"{3 + index % 6}.{'ABC'[index % 3]}",
                category=category,
                urgency=urgency,
                description=description,
                school_actions=actions,
            ),
            acting_user=school_user,
        )
        days_ago = 340 - index * 12
        filed = now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 6))
        if index < 24:  # the newest ones still wait for triage
            _progress(signal, index, worker, partner, department, ngo, labour, rng)
        _shift(signal, filed, lag=datetime.timedelta(days=rng.randint(1, 6), hours=3))


def _progress(signal, index, worker, partner, department, ngo, labour, rng):
    material = signal.category == "material"
    decision = "department" if material else "refer"
    services.do_triage(
        signal,
        decision,
        "Podporu zajistí odbor ve spolupráci s úřadem práce."
        if material
        else "Rodině nabídneme sociální práci v domácnosti.",
        acting_user=worker,
        organisation=department,
    )
    if material:
        services.do_record_event(
            signal,
            EventKind.SUPPORT,
            "Příspěvek schválen v rámci mimořádné okamžité pomoci.",
            acting_user=worker,
            organisation=department,
            visible_to_school=True,
            support_item="brýle" if "brýle" in signal.description else "obědy na pololetí",
            support_paid_by=labour,
            support_amount=rng.choice([1800, 2400, 3200]),
        )
    else:
        (referral,) = services.do_refer(
            signal,
            [ngo],
            "Prosíme o kontakt s rodinou do dvou týdnů.",
            acting_user=worker,
            organisation=department,
        )
        if partner is not None and index % 5 != 4:
            services.do_answer_referral(referral, accept=True, acting_user=partner)
            services.do_record_event(
                signal,
                EventKind.ACTION,
                "První návštěva v rodině proběhla, domluvena pravidelná setkání.",
                acting_user=partner,
                organisation=ngo,
                visible_to_school=True,
            )
    if index < 18:
        services.do_close(
            signal,
            "support_provided" if material else rng.choice(["resolved", "continuing"]),
            "Děkujeme škole za včasný signál.",
            acting_user=worker,
            organisation=department,
        )


def _shift(signal, filed, *, lag):
    """Move the signal back in time: the department answers `lag` after the filing and
    closes about a month later."""
    delta = filed - signal.filed_at
    signal.refresh_from_db()
    closing = delta + lag + datetime.timedelta(days=30)
    updates = {"filed_at": filed, "triage_due": signal.triage_due + delta}
    for name, shift in (
        ("triaged_at", delta + lag),
        ("first_feedback_at", delta + lag),
        ("closed_at", closing),
    ):
        value = getattr(signal, name)
        if value is not None:
            updates[name] = value + shift
    Signal.objects.filter(pk=signal.pk).update(**updates)
    for event in signal.events.all():
        if event.kind in (EventKind.FILED, EventKind.RECEIVED):
            shift = delta
        elif event.kind == EventKind.CLOSED:
            shift = closing
        else:
            shift = delta + lag + datetime.timedelta(hours=event.pk % 5)
        type(event).objects.filter(pk=event.pk).update(created_at=event.created_at + shift)
    for referral in signal.referrals.all():
        changes = {"created_at": referral.created_at + delta + lag}
        if referral.answered_at:
            changes["answered_at"] = referral.answered_at + delta + lag
        type(referral).objects.filter(pk=referral.pk).update(**changes)
