"""The signal's workflow: each step in order, out-of-order steps refused without changes."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from spolu.cases import services
from spolu.cases.models import EventKind, ReferralStatus, SignalStatus

from .builders import file_signal


def test_filing_acknowledges_and_mails_without_pupil_data(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signal = file_signal(world, pupil_initials="Q. X.", description="Zvláštní text 123")
    with scope(territory=world.territory):
        kinds = list(signal.events.values_list("kind", flat=True))
    assert signal.status == SignalStatus.RECEIVED
    assert kinds == [EventKind.FILED, EventKind.RECEIVED]
    assert signal.number == 1
    recipients = sorted(address for m in mailoutbox for address in m.to)
    assert recipients == sorted(
        [
            world.user("a_school").email,
            world.user("a_caseworker").email,
            world.user("a_case_lead").email,
        ]
    )
    for message in mailoutbox:
        assert "Q. X." not in message.body and "Zvláštní" not in message.body
        assert "2019/041" not in message.body and "S-1" in message.subject


def test_whole_flow_and_feedback(world):
    signal = file_signal(world)
    worker, ngo_user = world.user("a_caseworker"), world.user("a_partner")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Rodina potřebuje sociální práci.", acting_user=worker)
        assert signal.first_feedback_at is not None
        (referral,) = services.do_refer(
            signal, [world.ngo], "Prosíme o kontakt.", acting_user=worker
        )
        services.do_answer_referral(referral, accept=True, acting_user=ngo_user)
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.ACCEPTED
        services.do_record_event(
            signal,
            EventKind.ACTION,
            "Návštěva rodiny.",
            acting_user=ngo_user,
            organisation=world.ngo,
            visible_to_school=True,
        )
        services.do_close(signal, "resolved", "Docházka se zlepšila.", acting_user=worker)
        assert signal.status == SignalStatus.CLOSED


def test_closing_an_untriaged_signal_is_refused_and_changes_nothing(world):
    signal = file_signal(world)
    with scope(territory=world.territory):
        with pytest.raises(ValidationError, match="triaged before"):
            services.do_close(signal, "resolved", "", acting_user=world.user("a_caseworker"))
        signal.refresh_from_db()
        assert signal.status == SignalStatus.RECEIVED
        assert signal.events.count() == 2


def test_referral_outside_the_territory_is_refused(world, cast):
    from spolu.actors.tests.factories import make_organisation

    foreign = make_organisation(cast.territory_b, "Fundacja Obca", kind="ngo")
    signal = file_signal(world)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Důvod.", acting_user=worker)
        with pytest.raises(ValidationError, match="this territory"):
            services.do_refer(signal, [foreign], "", acting_user=worker)
        assert signal.referrals.count() == 0
        signal.refresh_from_db()
        assert signal.status == SignalStatus.TRIAGED


def test_unknown_category_is_refused(world):
    with pytest.raises(ValidationError) as error:
        file_signal(world, category="gossip")
    assert "category" in error.value.message_dict


def test_triage_due_skips_weekends_and_holidays():
    import datetime

    # Friday 25 Dec 2026 ... Christmas in CZ: 24, 25, 26 Dec are holidays.
    assert services.add_working_days(datetime.date(2026, 12, 23), 1, "CZ") == datetime.date(
        2026, 12, 28
    )
    assert services.add_working_days(datetime.date(2026, 11, 27), 1, "PL") == datetime.date(
        2026, 11, 30
    )
