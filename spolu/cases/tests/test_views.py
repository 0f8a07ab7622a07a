"""Signal pages as their users meet them: filing, reading, the steps, the log of reads."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django_scopes import scope

from spolu.cases import services
from spolu.cases.models import EventKind, Signal, SignalStatus

from .builders import file_signal


def url(name, world, **kwargs):
    return reverse(f"cases:{name}", kwargs={"territory": world.territory.slug, **kwargs})


def reads_of(signal):
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type__model="signal",
        object_pk=str(signal.pk),
        additional_data__export__isnull=True,
    )


FORM = {
    "school": None,
    "pupil_reference": "2020/17",
    "pupil_initials": "A. B.",
    "birth_year": "2013",
    "grade": "7.A",
    "category": "failure",
    "urgency": "normal",
    "description": "Od září nedokončuje úkoly, prospěch se zhoršil ve třech předmětech.",
    "school_actions": "Doučování ve škole.",
}


def test_school_files_a_signal(world, client_for):
    client = client_for(world.user("a_school"))
    response = client.post(url("signal-add", world), {**FORM, "school": world.school.pk})
    with scope(territory=world.territory):
        signal = Signal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("signal-detail", world, pk=signal.pk)
    assert signal.status == SignalStatus.RECEIVED
    assert signal.description.startswith("Od září")
    page = client.get(response["Location"]).content.decode()
    assert "Receipt acknowledged" in page and "2020/17" in page


def test_a_full_name_in_the_text_is_questioned_and_nothing_is_lost(world, client_for):
    client = client_for(world.user("a_school"))
    data = {**FORM, "school": world.school.pk, "description": "Tomáš Dvořák chybí každé pondělí."}
    response = client.post(url("signal-add", world), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "looks like a full name (Tomáš Dvořák)" in page
    assert "Tomáš Dvořák chybí každé pondělí." in page  # what was typed stays
    assert 'type="checkbox" name="confirm_no_personal_data"' in page
    with scope(territory=world.territory):
        assert not Signal.objects.exists()
    # A birth number is questioned the same way; ticking the confirmation files it.
    data["description"] = "Rodné číslo 140512/1234 uvedla matka."
    assert "birth number" in client.post(url("signal-add", world), data).content.decode()
    data["confirm_no_personal_data"] = "on"
    assert client.post(url("signal-add", world), data).status_code == 302


def test_a_birth_number_as_pupil_reference_is_refused(world, client_for):
    client = client_for(world.user("a_school"))
    data = {**FORM, "school": world.school.pk, "pupil_reference": "1405121234"}
    response = client.post(url("signal-add", world), data)
    assert "never a birth number" in response.content.decode()


def test_school_cannot_file_for_another_school(world, client_for):
    client = client_for(world.user("a_school"))
    response = client.post(url("signal-add", world), {**FORM, "school": world.other_school.pk})
    assert response.status_code == 200
    with scope(territory=world.territory):
        assert not Signal.objects.exists()


def test_viewing_a_signal_logs_exactly_one_read(world, client_for):
    signal = file_signal(world)
    client = client_for(world.user("a_caseworker"))
    assert reads_of(signal).count() == 0
    assert client.get(url("signal-detail", world, pk=signal.pk)).status_code == 200
    entries = reads_of(signal)
    assert entries.count() == 1
    assert entries.get().actor == world.user("a_caseworker")


@pytest.mark.parametrize(
    "name", ["a_coordinator", "a_team", "a_viewer", "school2", "ngo2", "a_partner", "b_caseworker"]
)
def test_non_parties_get_404_on_a_signal_and_nothing_is_logged(world, client_for, name):
    signal = file_signal(world)
    response = client_for(world.user(name)).get(url("signal-detail", world, pk=signal.pk))
    assert response.status_code == 404
    assert reads_of(signal).count() == 0


def test_referred_organisation_sees_from_the_referral_on(world, client_for):
    signal = file_signal(world)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_record_event  # noqa: B018 - the department's notes before the referral:
        services.do_triage(signal, "refer", "Potřebuje sociální práci.", acting_user=worker)
        services.do_refer(signal, [world.ngo], "Prosíme o kontakt s rodinou.", acting_user=worker)
    client = client_for(world.user("a_partner"))
    page = client.get(url("signal-detail", world, pk=signal.pk)).content.decode()
    assert "Prosíme o kontakt s rodinou." in page  # what is asked
    assert "Potřebuje sociální práci." not in page  # the triage came before the referral
    assert "Accept the signal" in page
    with scope(territory=world.territory):
        referral = signal.referrals.get()
    response = client.post(
        url("referral-answer", world, pk=signal.pk, referral=referral.pk),
        {f"answer-{referral.pk}-answer": "return", f"answer-{referral.pk}-reason": ""},
    )
    assert response.status_code == 200
    assert "Say why you return the signal." in response.content.decode()
    response = client.post(
        url("referral-answer", world, pk=signal.pk, referral=referral.pk),
        {
            f"answer-{referral.pk}-answer": "return",
            f"answer-{referral.pk}-reason": "Nemáme kapacitu.",
        },
    )
    assert response.status_code == 302
    # A returned referral ends the organisation's access.
    assert client.get(url("signal-detail", world, pk=signal.pk)).status_code == 404


def test_school_sees_only_what_is_shared_with_it(world, client_for):
    signal = file_signal(world)
    worker, ngo_user = world.user("a_caseworker"), world.user("a_partner")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Odesíláme neziskové organizaci.", acting_user=worker)
        (referral,) = services.do_refer(signal, [world.ngo], "", acting_user=worker)
        services.do_answer_referral(referral, accept=True, acting_user=ngo_user)
        services.do_record_event(
            signal,
            EventKind.ACTION,
            "Interní poznámka terénní pracovnice.",
            acting_user=ngo_user,
            organisation=world.ngo,
        )
        services.do_record_event(
            signal,
            EventKind.ACTION,
            "Rodina začala spolupracovat.",
            acting_user=ngo_user,
            organisation=world.ngo,
            visible_to_school=True,
        )
    page = client_for(world.user("a_school")).get(url("signal-detail", world, pk=signal.pk))
    text = page.content.decode()
    assert "Odesíláme neziskové organizaci." in text  # the triage decision always reaches it
    assert "Rodina začala spolupracovat." in text
    assert "Interní poznámka" not in text


def test_steps_with_errors_keep_the_text_and_change_nothing(world, client_for):
    signal = file_signal(world)
    client = client_for(world.user("a_caseworker"))
    response = client.post(
        url("signal-close", world, pk=signal.pk),
        {"close-outcome": "resolved", "close-text": "Hotovo a zapsáno."},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "must be triaged before it can be closed" in page
    assert "Hotovo a zapsáno." in page
    response = client.post(
        url("signal-triage", world, pk=signal.pk), {"triage-decision": "refer", "triage-reason": ""}
    )
    assert "This field is required." in response.content.decode()
    signal.refresh_from_db()
    assert signal.status == SignalStatus.RECEIVED


def test_school_cannot_triage(world, client_for):
    signal = file_signal(world)
    response = client_for(world.user("a_school")).post(
        url("signal-triage", world, pk=signal.pk),
        {"triage-decision": "refer", "triage-reason": "x"},
    )
    assert response.status_code == 404
    signal.refresh_from_db()
    assert signal.status == SignalStatus.RECEIVED


def test_case_pages_require_two_factor_authentication(world, client_for):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=world.user("a_school")).delete()
    response = client_for(world.user("a_school")).get(url("signal-list", world))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_export_is_logged_per_signal_without_pupil_data(world, client_for):
    first, second = file_signal(world), file_signal(world, pupil_reference="X-99")
    response = client_for(world.user("a_caseworker")).get(url("signal-export", world, fmt="csv"))
    body = response.content.decode("utf-8-sig")
    assert "S-1" in body and "S-2" in body
    assert "X-99" not in body and "J. N." not in body
    logged = LogEntry.objects.filter(additional_data__export="list.csv")
    assert sorted(int(e.object_pk) for e in logged) == sorted([first.pk, second.pk])


def test_case_log_shows_reads_to_the_head_of_case_work_only(world, client_for):
    signal = file_signal(world)
    client_for(world.user("a_caseworker")).get(url("signal-detail", world, pk=signal.pk))
    lead = client_for(world.user("a_case_lead"))
    page = lead.get(url("case-log", world) + "?signal=S-1").content.decode()
    assert "Signal S-1" in page and "A Caseworker" in page
    coordinator_log = client_for(world.user("a_coordinator")).get(
        reverse("territories:audit-log", args=[world.territory.slug])
    )
    assert "Signal S-1" not in coordinator_log.content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_list_and_detail_use_a_fixed_number_of_queries(
    world, client_for, django_assert_num_queries, count
):
    signals = [file_signal(world) for _ in range(count)]
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        for signal in signals[:count]:
            services.do_triage(signal, "department", "Řešíme sami.", acting_user=worker)
            for n in range(count // 2):
                services.do_record_event(signal, EventKind.ACTION, f"Krok {n}", acting_user=worker)
    client = client_for(worker)
    client.get(url("signal-list", world))  # warm the session
    with django_assert_num_queries(12):
        assert client.get(url("signal-list", world)).status_code == 200
    with django_assert_num_queries(13):
        assert client.get(url("signal-detail", world, pk=signals[0].pk)).status_code == 200


def test_opening_case_pages_makes_the_session_expire_after_inactivity(world, client_for, settings):
    import time

    settings.SPOLU_SENSITIVE_IDLE_MINUTES = 30
    client = client_for(world.user("a_school"))  # a school role is not sensitive by itself
    plans = reverse("plans:plan-list", args=[world.territory.slug])
    assert client.get(plans).status_code == 200
    assert not client.session.get("spolu_sensitive")
    assert client.get(url("signal-list", world)).status_code == 200
    session = client.session
    assert session["spolu_sensitive"]
    assert session["spolu_last_seen"]  # the idle clock runs from the first case page
    session["spolu_last_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(url("signal-list", world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_referred_organisation_does_not_see_internal_notes_of_others(world, client_for):
    signal = file_signal(world)
    worker, ngo_user = world.user("a_caseworker"), world.user("a_partner")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Odesíláme.", acting_user=worker)
        services.do_refer(signal, [world.ngo, world.other_ngo], "", acting_user=worker)
        services.do_record_event(
            signal,
            EventKind.ACTION,
            "Interní poznámka odboru.",
            acting_user=worker,
            organisation=world.department,
        )
        services.do_record_event(
            signal,
            EventKind.FEEDBACK,
            "Zpráva pro školu.",
            acting_user=worker,
            organisation=world.department,
        )
        other = signal.referrals.get(organisation=world.other_ngo)
        services.do_answer_referral(other, accept=True, acting_user=world.user("ngo2"))
        services.do_record_event(
            signal,
            EventKind.ACTION,
            "Poznámka jiné organizace.",
            acting_user=world.user("ngo2"),
            organisation=world.other_ngo,
        )
    page = client_for(ngo_user).get(url("signal-detail", world, pk=signal.pk)).content.decode()
    assert "Zpráva pro školu." in page  # shared with the school, so with the parties
    assert "Interní poznámka odboru." not in page
    assert "Poznámka jiné organizace." not in page


def test_closing_withdraws_unanswered_referrals(world, client_for):
    signal = file_signal(world)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Odesíláme.", acting_user=worker)
        (referral,) = services.do_refer(signal, [world.ngo], "", acting_user=worker)
        services.do_close(signal, "no_action", "", acting_user=worker)
        referral.refresh_from_db()
    assert referral.status == "withdrawn"
    client = client_for(world.user("a_partner"))
    assert client.get(url("signal-detail", world, pk=signal.pk)).status_code == 404
    assert "waits for your answer" not in client.get(url("signal-list", world)).content.decode()


def test_referring_needs_a_decision_to_refer(world):
    from django.core.exceptions import ValidationError

    signal = file_signal(world)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_triage(signal, "no_action", "Není třeba.", acting_user=worker)
        with pytest.raises(ValidationError, match="change the decision first"):
            services.do_refer(signal, [world.ngo], "", acting_user=worker)


def test_bad_ids_and_birth_numbers_in_steps_are_clear_errors(world, client_for):
    signal = file_signal(world)
    client = client_for(world.user("a_caseworker"))
    response = client.post(
        url("signal-triage", world, pk=signal.pk),
        {"triage-decision": "refer", "triage-reason": "Otec sdělil RČ 801231/1234."},
    )
    assert "looks like a birth number" in response.content.decode()
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Odesíláme.", acting_user=world.user("a_caseworker"))
    response = client.post(
        url("signal-refer", world, pk=signal.pk), {"refer-organisations": "99999999999999999999"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
