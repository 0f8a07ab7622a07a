"""Invitations: the .ics event, who is invited, and the e-mails that leave after the commit."""

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from icalendar import Calendar

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.meetings.invitations import do_send_invitations, invitees, meeting_ics
from spolu.meetings.models import AgendaItem, Attendance, AttendanceStatus, Meeting

from .builders import PRAGUE, make_meeting, make_platform

SITE = "https://spolu.example.org"
# A Thursday, far enough ahead that the meeting is always in the future.
STARTS = datetime.datetime(2030, 3, 7, 14, 0, tzinfo=PRAGUE)
MINUTES = "Secret minutes about a pupil"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def add_agenda(meeting, *titles):
    with scope(territory=meeting.territory):
        for position, title in enumerate(titles):
            AgendaItem.objects.create(
                territory=meeting.territory,
                meeting=meeting,
                position=position,
                kind="topic",
                title=title,
                minutes=f"<p>{MINUTES}</p><script>alert(1)</script>",
            )


@pytest.fixture
def group(cast):
    """A platform of A with members in every situation invitees() must tell apart."""
    territory = cast.territory_a
    school = make_organisation(territory, name="ZŠ Alfov")
    elsewhere = make_organisation(territory, name="MŠ Jinde")
    people = {
        # Has an account, so she is the one of the two "Marie" rows that can answer.
        "member": make_person(
            territory, "Marie Členová", email="Marie@Example.org", user=cast.user("a_viewer")
        ),
        # The same address again, as staff of the member school: one e-mail only.
        "twin": make_person(
            territory, "Marie Č.", organisations=[school], email="marie@example.org"
        ),
        "staff": make_person(
            territory, "Stanislav Učitel", organisations=[school], email="s@example.org"
        ),
        "left": make_person(
            territory, "Lenka Odešlá", organisations=[school], email="l@example.org", has_left=True
        ),
        "no_email": make_person(territory, "Bez Adresy", organisations=[school]),
        "facilitator": make_person(territory, "Fanda Facilitátor", email="f@example.org"),
        "outsider": make_person(
            territory, "Olga Jinde", organisations=[elsewhere], email="o@example.org"
        ),
    }
    platform = make_platform(
        territory,
        name="Plenární skupina",
        members=[school],
        people=[people["member"]],
        facilitator=people["facilitator"],
        default_place="Radnice, zasedací místnost",
    )
    meeting = make_meeting(platform, starts_at=STARTS, title="Březen")
    add_agenda(meeting, "Přehled plánu", "Novinky v legislativě")
    return platform, meeting, people, school


def parse(ics: bytes):
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def ics_of(meeting):
    with scope(territory=meeting.territory):
        meeting = Meeting.objects.select_related("platform", "territory").get(pk=meeting.pk)
        return meeting_ics(meeting)


def test_ics_is_one_event_in_the_territorys_time_zone(group):
    _platform, meeting, _people, _school = group
    calendar, event = parse(ics_of(meeting))
    assert calendar["PRODID"] == "-//Spolu//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Prague"]
    assert event["UID"] == f"meeting-{meeting.pk}@spolu.example.org"
    assert event["DTSTART"].params["TZID"] == "Europe/Prague"
    start = event.decoded("DTSTART")
    assert start == STARTS and start.utcoffset() == datetime.timedelta(hours=1)
    assert event.decoded("DTEND") - start == datetime.timedelta(hours=2)
    assert event["SUMMARY"] == "Plenární skupina: Březen"
    assert event["LOCATION"] == "Radnice, zasedací místnost"
    assert event["URL"] == SITE + reverse(
        "meetings:meeting-detail", kwargs={"territory": "alfov", "pk": meeting.pk}
    )
    assert event["DESCRIPTION"] == "1. Přehled plánu\n2. Novinky v legislativě"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert "DTSTAMP" in event
    text = ics_of(meeting).decode()
    assert MINUTES not in text and "script" not in text


def test_moved_meeting_counts_a_change_and_a_cancelled_one_is_cancelled(group):
    _platform, meeting, _people, _school = group
    with scope(territory=meeting.territory):
        Meeting.objects.filter(pk=meeting.pk).update(
            occurrence=STARTS - datetime.timedelta(days=1), status="cancelled"
        )
    calendar, event = parse(ics_of(meeting))
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CANCELLED"
    assert calendar["METHOD"] == "CANCEL"


def test_invitees_are_members_staff_and_facilitator_once_each(group):
    _platform, meeting, people, school = group
    with scope(territory=meeting.territory):
        invited = invitees(meeting)
    assert sorted(person.full_name for person in invited) == [
        "Fanda Facilitátor",
        "Marie Členová",
        "Stanislav Učitel",
    ]
    by_email = {person.email: person for person in invited}
    assert by_email["s@example.org"].invited_organisations == [school]
    assert by_email["f@example.org"].invited_organisations == []


def test_sending_invites_in_the_territorys_language_with_the_ics(
    group, django_capture_on_commit_callbacks, cast
):
    _platform, meeting, people, school = group
    with scope(territory=meeting.territory):
        # An answer given before the invitations went out stays.
        Attendance.objects.create(
            territory=meeting.territory,
            meeting=meeting,
            person=people["facilitator"],
            status=AttendanceStatus.EXCUSED,
        )
        with django_capture_on_commit_callbacks(execute=True):
            count = do_send_invitations(meeting, acting_user=cast.user("a_coordinator"))
        statuses = {
            a.person.full_name: a.status
            for a in Attendance.objects.filter(meeting=meeting).select_related("person")
        }
        invitations_sent_at = Meeting.objects.get(pk=meeting.pk).invitations_sent_at
        staff_organisation = Attendance.objects.get(person=people["staff"]).organisation

    assert count == 3 == len(mail.outbox)
    assert invitations_sent_at is not None
    assert statuses == {
        "Marie Členová": "invited",
        "Stanislav Učitel": "invited",
        "Fanda Facilitátor": "excused",
    }
    assert staff_organisation == school
    assert sorted(m.to[0].lower() for m in mail.outbox) == [
        "f@example.org",
        "marie@example.org",
        "s@example.org",
    ]
    message = next(m for m in mail.outbox if m.to == ["s@example.org"])
    body = message.body
    # Czech dates (Django's own translations) prove the language; local time in Prague.
    assert "čtvrtek 7. března 2030, 14:00–16:00" in body
    assert "Stanislav Učitel" in body
    assert "1. Přehled plánu\n2. Novinky v legislativě" in body
    assert "Radnice, zasedací místnost" in body
    respond = SITE + reverse(
        "meetings:meeting-respond", kwargs={"territory": "alfov", "pk": meeting.pk}
    )
    assert f"{respond}?answer=attending" in body
    assert f"{respond}?answer=excused" in body
    # No minutes and no list of the other members.
    assert MINUTES not in body and "Marie" not in body and "f@example.org" not in body
    assert message.subject.endswith("Plenární skupina: Březen, 7. března 2030")

    [(name, content, mimetype)] = message.attachments
    assert name == "invitation.ics"
    assert mimetype == "text/calendar; method=REQUEST"
    _calendar, event = parse(content.encode() if isinstance(content, str) else content)
    assert event["UID"] == f"meeting-{meeting.pk}@spolu.example.org"
    raw = message.message().as_string()
    assert 'Content-Type: text/calendar; method="REQUEST"; charset="utf-8"' in raw


def test_sending_again_keeps_answers_and_adds_no_rows(
    group, django_capture_on_commit_callbacks, cast
):
    _platform, meeting, people, _school = group
    with scope(territory=meeting.territory):
        do_send_invitations(meeting, acting_user=None)
        Attendance.objects.filter(person=people["member"]).update(status="attending")
        with django_capture_on_commit_callbacks(execute=True):
            assert do_send_invitations(meeting, acting_user=None) == 3
        assert Attendance.objects.filter(meeting=meeting).count() == 3
        assert Attendance.objects.get(person=people["member"]).status == "attending"


def test_polish_territory_gets_polish_dates_and_warsaw_time(
    cast, django_capture_on_commit_callbacks
):
    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    person = make_person(cast.territory_b, "Piotr Nowak", email="p@example.org")
    platform = make_platform(cast.territory_b, name="Zespół", people=[person])
    meeting = make_meeting(platform, starts_at=datetime.datetime(2030, 7, 4, 10, 0, tzinfo=warsaw))
    with scope(territory=cast.territory_b), django_capture_on_commit_callbacks(execute=True):
        do_send_invitations(meeting, acting_user=None)
    [message] = mail.outbox
    assert "Czwartek 4 lipca 2030, 10:00–12:00" in message.body
    [(_name, content, _mimetype)] = message.attachments
    _calendar, event = parse(content.encode() if isinstance(content, str) else content)
    assert event["DTSTART"].params["TZID"] == "Europe/Warsaw"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "cancelled"}, "cancelled"),
        (
            {
                "starts_at": timezone.now() - datetime.timedelta(days=1),
                "ends_at": timezone.now() - datetime.timedelta(days=1),
            },
            "past",
        ),
    ],
)
def test_cancelled_and_past_meetings_are_refused(
    group, django_capture_on_commit_callbacks, change, code
):
    _platform, meeting, _people, _school = group
    with scope(territory=meeting.territory):
        Meeting.objects.filter(pk=meeting.pk).update(**change)
        meeting.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as e:
            do_send_invitations(meeting, acting_user=None)
        assert e.value.code == code
        assert not Attendance.objects.filter(meeting=meeting).exists()
        assert Meeting.objects.get(pk=meeting.pk).invitations_sent_at is None
    assert mail.outbox == []
