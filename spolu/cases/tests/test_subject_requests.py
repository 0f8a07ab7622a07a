"""Data-subject requests: the head of case work finds a pupil's signals, exports, erases them."""

import json

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from spolu.cases import retention, services
from spolu.cases.models import Referral, Signal, SignalEvent

from .builders import file_signal


def url(name, world, **kwargs):
    return reverse(f"cases:{name}", kwargs={"territory": world.territory.slug, **kwargs})


@pytest.fixture
def pupil(world):
    """Two signals about pupil "2019/041" (one referred, with steps) and one about another."""
    worker = world.user("a_caseworker")
    first = file_signal(world, description="Chybí často v pondělí.")
    with scope(territory=world.territory):
        services.do_triage(first, "refer", "Předáno sociální práci.", acting_user=worker)
        services.do_refer(first, [world.ngo], "Prosíme o návštěvu rodiny.", acting_user=worker)
    second = file_signal(world, pupil_reference=" 2019/041 ", description="Zhoršený prospěch.")
    other = file_signal(world, pupil_reference="2019/042", description="Jiný žák.")
    return first, second, other


def subject(world, reference="2019/041", **extra):
    return {"school": world.school.pk, "reference": reference, **extra}


def lead(world, client_for):
    return client_for(world.user("a_case_lead"))


def exports(what):
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type__model="signal",
        additional_data__export=what,
    )


def test_subject_signals_match_without_case_and_spaces(world, pupil):
    first, second, _other = pupil
    found = retention.subject_signals(world.territory, world.school, "  2019/041")
    assert [s.pk for s in found] == [first.pk, second.pk]
    assert retention.subject_signals(world.territory, world.other_school, "2019/041") == []
    assert retention.subject_signals(world.territory, world.school, "   ") == []


def test_search_lists_the_pupil_signals(world, pupil, client_for):
    first, second, other = pupil
    client = lead(world, client_for)
    assert client.get(url("subject-search", world)).status_code == 200
    response = client.post(url("subject-search", world), subject(world, reference="2019/041"))
    page = response.content.decode()
    assert response.status_code == 200
    assert first.reference in page and second.reference in page
    assert other.reference not in page
    assert "Chybí často" not in page  # the list shows numbers, dates and status only
    assert "2019/041" not in response.request["PATH_INFO"]


def test_search_without_a_valid_form_shows_nothing(world, pupil, client_for):
    client = lead(world, client_for)
    response = client.post(url("subject-search", world), {"school": world.school.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert pupil[0].reference not in page
    assert "This field is required" in page
    # The reference in the query string is ignored: it would end up in server logs.
    response = client.get(url("subject-search", world), subject(world))
    assert pupil[0].reference not in response.content.decode()


def test_search_reads_a_fixed_number_of_queries(world, pupil, client_for):
    client = lead(world, client_for)
    # session, user, memberships (also for the header), authenticator, the school (form), the
    # school's references, the matching signals, one audit entry per signal found (the search
    # is a read of child data), schools for the page, and the session save (3 statements).
    with CaptureQueriesContext(connection) as one:
        client.post(url("subject-search", world), subject(world, reference="2019/042"))
    with CaptureQueriesContext(connection) as two:
        client.post(url("subject-search", world), subject(world, reference="2019/041"))
    assert len(one) == 12
    assert len(two) == len(one) + 1


def test_json_export_holds_everything_and_is_logged(world, pupil, client_for):
    first, second, other = pupil
    client = lead(world, client_for)
    response = client.post(url("subject-export", world, fmt="json"), subject(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "2019" not in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [s["reference"] for s in data["signals"]] == [first.reference, second.reference]
    exported = data["signals"][0]
    assert exported["description"] == "Chybí často v pondělí."
    assert exported["pupil_reference"] == "2019/041"
    assert exported["referrals"][0]["organisation"] == world.ngo.name
    assert exported["referrals"][0]["note"] == "Prosíme o návštěvu rodiny."
    texts = [event["text"] for event in exported["events"]]
    assert "Předáno sociální práci." in texts
    authors = {event["author"] for event in exported["events"]}
    assert str(world.user("a_caseworker")) in authors
    assert "Jiný žák" not in response.content.decode()

    logged = exports("subject.json")
    assert sorted(int(e.object_pk) for e in logged) == [first.pk, second.pk]
    assert {e.actor for e in logged} == {world.user("a_case_lead")}


def test_pdf_export_is_a_pdf_and_is_logged(world, pupil, client_for):
    client = lead(world, client_for)
    response = client.post(url("subject-export", world, fmt="pdf"), subject(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert exports("subject.pdf").count() == 2


def test_export_by_get_or_in_another_format_is_refused(world, pupil, client_for):
    client = lead(world, client_for)
    assert client.get(url("subject-export", world, fmt="json")).status_code == 405
    assert client.post(url("subject-export", world, fmt="xml"), subject(world)).status_code == 404
    assert not exports("subject.xml").exists()


def test_erase_without_confirmation_deletes_nothing(world, pupil, client_for):
    client = lead(world, client_for)
    response = client.post(url("subject-erase", world), subject(world))
    assert response.status_code == 200
    assert "Nothing was deleted: tick the box" in response.content.decode()
    with scopes_disabled():
        assert Signal.objects.count() == 3


def test_erase_with_confirmation_deletes_and_is_logged(world, pupil, client_for):
    first, second, other = pupil
    client = lead(world, client_for)
    response = client.post(url("subject-erase", world), subject(world, confirm="on"), follow=True)
    assert "2 signals about the pupil were deleted" in response.content.decode()
    with scopes_disabled():
        assert list(Signal.objects.values_list("pk", flat=True)) == [other.pk]
        assert not SignalEvent.objects.filter(signal__in=[first.pk, second.pk]).exists()
        assert not Referral.objects.exists()
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE, content_type__model="signal")
    assert sorted(int(e.object_pk) for e in deleted) == [first.pk, second.pk]
    assert {e.actor for e in deleted} == {world.user("a_case_lead")}
    assert all(e.additional_data["territory"] == world.territory.pk for e in deleted)
    assert LogEntry.objects.filter(
        action=LogEntry.Action.DELETE, content_type__model="signalevent"
    ).exists()


def test_erase_service_records_the_acting_user(world, pupil):
    found = retention.subject_signals(world.territory, world.school, "2019/041")
    assert retention.do_erase_subject(found, acting_user=world.user("a_case_lead")) == 2
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE, content_type__model="signal")
    assert {e.actor for e in deleted} == {world.user("a_case_lead")}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("a_caseworker", 403),
        ("a_coordinator", 403),
        ("a_school", 403),
        ("b_case_lead", 404),
        ("nobody", 404),
    ],
)
def test_only_the_head_of_case_work_answers_requests(world, pupil, client_for, who, status):
    client = client_for(world.user(who))
    for name, kwargs in (
        ("subject-search", {}),
        ("subject-export", {"fmt": "json"}),
        ("subject-erase", {}),
    ):
        response = client.post(url(name, world, **kwargs), subject(world, confirm="on"))
        assert response.status_code == status, name
    with scopes_disabled():
        assert Signal.objects.count() == 3
    assert not exports("subject.json").exists()


def test_anonymous_users_are_sent_to_log_in(world, client):
    response = client.get(url("subject-search", world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
