"""Platforms and meetings: the series, the agenda, decisions that come back as follow-up."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from spolu.actors.models import Person
from spolu.meetings import recurrence, services
from spolu.meetings.models import AgendaItem, Attendance, Meeting, MeetingStatus, Topic
from spolu.plans.models import Task
from spolu.plans.tests.builders import make_plan

from .builders import PRAGUE, make_meeting, make_platform, member_setup


def url(name, *args):
    return reverse(f"meetings:{name}", args=["alfov", *args])


def test_rule_is_built_and_read_out():
    rule = recurrence.build_rule("monthly", "TH", "1")
    assert rule == "FREQ=MONTHLY;BYDAY=+1TH"
    assert recurrence.describe(rule) == "Every month on the first Thursday"
    assert recurrence.describe(recurrence.build_rule("weekly", "TU")) == "Every week on Tuesday"
    assert recurrence.describe("") == "No regular rhythm"


def test_series_keeps_local_time_across_daylight_saving():
    first = datetime.datetime(2026, 1, 8, 14, 0, tzinfo=PRAGUE)
    starts = recurrence.occurrences(
        "FREQ=MONTHLY;BYDAY=+1TH",
        first,
        "Europe/Prague",
        after=datetime.datetime(2026, 2, 10, tzinfo=datetime.UTC),
        count=3,
    )
    assert [s.date() for s in starts] == [
        datetime.date(2026, 3, 5),
        datetime.date(2026, 4, 2),
        datetime.date(2026, 5, 7),
    ]
    assert {s.hour for s in starts} == {14}


def test_generating_skips_existing_slots_and_a_moved_meeting_stays_moved(cast):
    first = timezone.now().astimezone(PRAGUE).replace(hour=14, minute=0, second=0, microsecond=0)
    platform = make_platform(
        cast.territory_a, recurrence="FREQ=WEEKLY;BYDAY=TH", first_meeting=first
    )
    with scope(territory=cast.territory_a):
        [one] = services.do_generate_meetings(platform, acting_user=None)
        assert one.starts_at.weekday() == 3 and one.agenda_items.count() == 4
        one.starts_at += datetime.timedelta(days=1)
        one.ends_at += datetime.timedelta(days=1)
        services.do_save_meeting(one, acting_user=None)
        [two] = services.do_generate_meetings(platform, acting_user=None)
        assert two.occurrence - one.occurrence == datetime.timedelta(days=7)
        assert Meeting.objects.filter(platform=platform).count() == 2


def test_agenda_moves_with_buttons_and_locks_after_approval(cast):
    platform = make_platform(cast.territory_a)
    meeting = make_meeting(platform, starts_at=timezone.now() - datetime.timedelta(hours=3))
    with scope(territory=cast.territory_a):
        a = services.do_add_agenda_item(meeting, kind="topic", title="A", acting_user=None)
        b = services.do_add_agenda_item(meeting, kind="topic", title="B", acting_user=None)
        services.do_move_agenda_item(b, direction="up", acting_user=None)
        assert [i.title for i in meeting.agenda_items.order_by("position")] == ["B", "A"]
        services.do_close_meeting(meeting, acting_user=None)
        services.do_approve_minutes(meeting, acting_user=None)
        with pytest.raises(ValidationError):
            services.do_save_minutes(a, minutes="<p>late</p>", acting_user=None)
        correction = services.do_add_correction(meeting, text="Oprava", acting_user=None)
        assert correction.meeting == meeting


def test_decision_task_comes_back_in_the_next_meeting_follow_up(cast):
    platform = make_platform(cast.territory_a)
    earlier = make_meeting(platform, starts_at=datetime.datetime(2026, 10, 1, 14, tzinfo=PRAGUE))
    later = make_meeting(platform, starts_at=datetime.datetime(2026, 11, 5, 14, tzinfo=PRAGUE))
    with scope(territory=cast.territory_a):
        from spolu.actors.tests.factories import make_organisation

        owner = make_organisation(cast.territory_a, name="PPP Alfov", kind="counselling_centre")
        services.do_add_decision(
            earlier,
            text="Připravit dohodu",
            acting_user=None,
            task=Task(
                title="Návrh dohody", due=datetime.date(2026, 10, 20), owner_organisation=owner
            ),
        )
        follow = services.follow_up(later)
        assert [t.title for t in follow] == ["Návrh dohody"]
        assert services.follow_up(earlier) == []


def test_plan_review_lists_measures_at_risk_and_tasks_due(cast):
    plan = make_plan(cast.territory_a, measures=2, status="in_implementation")
    platform = make_platform(cast.territory_a)
    meeting = make_meeting(platform, starts_at=timezone.now() + datetime.timedelta(days=3))
    with scope(territory=cast.territory_a):
        late = plan.measures.order_by("code").first()
        Task.objects.create(
            territory=cast.territory_a,
            title="Pozdě",
            measure=late,
            due=timezone.localdate() - datetime.timedelta(days=2),
        )
        review = services.plan_review(meeting)
    assert [m.pk for m in review["at_risk"]] == [late.pk]
    assert [t.title for t in review["tasks_due"]] == ["Pozdě"]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("a_coordinator", 200),
        ("a_team", 200),
        ("a_partner", 200),
        ("a_viewer", 404),
        ("b_coordinator", 404),
    ],
)
def test_only_members_see_a_platform_meeting(cast, client_for, user, status):
    platform, _school, _partner = member_setup(cast)
    meeting = make_meeting(platform)
    response = client_for(cast.user(user)).get(url("meeting-detail", meeting.pk))
    assert response.status_code == status


def test_member_answers_but_cannot_run_the_meeting(cast, client_for):
    platform, _school, partner = member_setup(cast)
    meeting = make_meeting(platform, starts_at=timezone.now() + datetime.timedelta(days=2))
    client = client_for(cast.user("a_partner"))
    assert client.get(url("meeting-edit", meeting.pk)).status_code == 403
    assert (
        client.post(url("agenda-add", meeting.pk), {"kind": "topic", "title": "X"}).status_code
        == 403
    )
    client.post(url("meeting-respond", meeting.pk), {"answer": "excused"})
    with scope(territory=cast.territory_a):
        assert Attendance.objects.get(meeting=meeting, person=partner).status == "excused"


def test_facilitator_runs_own_platform(cast, client_for):
    platform, _school, partner = member_setup(cast)
    with scope(territory=cast.territory_a):
        platform.facilitator = partner
        platform.save()
    meeting = make_meeting(platform)
    client = client_for(cast.user("a_partner"))
    assert client.get(url("meeting-edit", meeting.pk)).status_code == 200
    client.post(url("agenda-add", meeting.pk), {"kind": "information", "title": "Novela"})
    with scope(territory=cast.territory_a):
        assert AgendaItem.objects.filter(meeting=meeting, title="Novela").exists()


def test_minutes_are_sanitised_when_saved_through_the_page(cast, client_for):
    platform = make_platform(cast.territory_a)
    meeting = make_meeting(platform)
    with scope(territory=cast.territory_a):
        item = services.do_add_agenda_item(meeting, kind="topic", title="Téma", acting_user=None)
    client = client_for(cast.user("a_coordinator"))
    client.post(
        url("agenda-edit", item.pk),
        {"title": "Téma", "minutes": "<p>Dohodnuto</p><script>alert(1)</script>"},
    )
    item.refresh_from_db()
    assert "Dohodnuto" in item.minutes and "<script" not in item.minutes
    html = client.get(url("meeting-detail", meeting.pk)).content.decode()
    assert "alert(1)" not in html.split('id="agenda-heading"')[1]


def test_platform_form_builds_the_rule_and_reports_missing_parts(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    bad = client.post(
        url("platform-add"),
        {
            "name": "Ředitelé",
            "kind": "school_heads",
            "frequency": "monthly",
            "duration_minutes": 90,
        },
    )
    html = bad.content.decode()
    assert (
        "Choose the day of the week." in html
        and "A regular rhythm needs the first meeting." in html
    )
    client.post(
        url("platform-add"),
        {
            "name": "Ředitelé",
            "kind": "school_heads",
            "frequency": "monthly",
            "ordinal": "1",
            "weekday": "TH",
            "first_meeting": "2026-12-03T14:00",
            "duration_minutes": 90,
            "active": "on",
        },
    )
    from spolu.meetings.models import Platform

    with scope(territory=cast.territory_a):
        platform = Platform.objects.get(name="Ředitelé")
    assert platform.recurrence == "FREQ=MONTHLY;BYDAY=+1TH"


# session, user, memberships (also the switcher's), meeting, agenda, previous meeting, plan review
# (3), follow-up, attendance, decisions, their tasks: 13. A planned meeting also reads the user's
# person (for the attendance answer), the backlog of topics is read only while the agenda can
# still be edited, and the corrections only once the minutes are approved.
@pytest.mark.parametrize(
    ("status", "queries"),
    [(MeetingStatus.PLANNED, 15), (MeetingStatus.HELD, 14), (MeetingStatus.APPROVED, 14)],
)
@pytest.mark.parametrize("size", [2, 20])
def test_meeting_page_query_count_is_fixed(
    cast, client_for, django_assert_num_queries, size, status, queries
):
    from spolu.actors.tests.factories import make_person

    platform, school, _partner = member_setup(cast)
    meeting = make_meeting(platform, status=MeetingStatus.HELD)
    with scope(territory=cast.territory_a):
        for i in range(size):
            item = services.do_add_agenda_item(
                meeting, kind="topic", title=f"T{i}", acting_user=None
            )
            person = make_person(cast.territory_a, full_name=f"Člen {i}", organisations=[school])
            Attendance.objects.create(
                territory=cast.territory_a,
                meeting=meeting,
                person=person,
                organisation=school,
                status="present",
            )
            services.do_add_decision(
                meeting,
                text=f"D{i}",
                agenda_item=item,
                acting_user=None,
                task=Task(title=f"Úkol {i}", owner_organisation=school),
            )
        services.do_add_agenda_item(meeting, kind="plan_review", title="Plán", acting_user=None)
        services.do_add_agenda_item(meeting, kind="follow_up", title="Kontrola", acting_user=None)
        for i in range(size):
            Topic.objects.create(territory=cast.territory_a, platform=platform, title=f"Návrh {i}")
        Meeting.objects.filter(pk=meeting.pk).update(status=status)
        # The coordinator is a person of the territory too (with an organisation).
        me = make_person(cast.territory_a, full_name="Koordinátorka", organisations=[school])
        Person.objects.filter(pk=me.pk).update(user=cast.user("a_coordinator"))
    client = client_for(cast.user("a_coordinator"))
    with django_assert_num_queries(queries):
        html = client.get(url("meeting-detail", meeting.pk)).content.decode()
    # A planned meeting asks the coordinator, who is a person here, for an answer.
    assert ("Will you attend?" in html) == (status == MeetingStatus.PLANNED)
    # The backlog's topics are offered on the agenda form while it can be edited.
    assert (f"Návrh {size - 1}</option>" in html) == (status != MeetingStatus.APPROVED)


def test_a_script_stored_in_minutes_is_never_markup_on_the_page(cast, client_for):
    platform = make_platform(cast.territory_a)
    meeting = make_meeting(platform, status=MeetingStatus.HELD)
    with scope(territory=cast.territory_a):
        AgendaItem.objects.create(
            territory=cast.territory_a,
            meeting=meeting,
            kind="topic",
            title="Téma",
            minutes="<p>Text</p><script>alert('x')</script><img src=x onerror=alert(1)>",
        )
    client = client_for(cast.user("a_coordinator"))
    html = client.get(url("meeting-detail", meeting.pk)).content.decode()
    agenda = html.split('id="agenda-heading"')[1]
    assert "<p>Text</p>" in agenda
    assert "<script" not in agenda and "onerror" not in agenda
    docx = client.get(url("minutes", meeting.pk, "docx"))
    assert docx.status_code == 200 and docx.content.startswith(b"PK")


@pytest.mark.parametrize("size", [2, 12])
def test_platform_page_query_count_is_fixed(cast, client_for, django_assert_num_queries, size):
    platform, school, _partner = member_setup(cast)
    start = timezone.now() - datetime.timedelta(days=400)
    for i in range(size):
        make_meeting(platform, starts_at=start + datetime.timedelta(days=30 * i), status="held")
    client = client_for(cast.user("a_coordinator"))
    # session, user, memberships (also the switcher's), platform, organisations, people, upcoming,
    # past, topics, the cooperation report (5)
    with django_assert_num_queries(14):
        response = client.get(url("platform-detail", platform.pk))
    assert response.status_code == 200
    assert "Is cooperation real?" in response.content.decode()


def test_a_proposed_topic_goes_onto_the_agenda(cast, client_for):
    platform, _school, _partner = member_setup(cast)
    meeting = make_meeting(platform)
    client = client_for(cast.user("a_partner"))
    client.post(url("topic-add", platform.pk), {"title": "Skrytá absence", "description": "Proč"})
    with scope(territory=cast.territory_a):
        topic = platform.topics.get()
    coordinator = client_for(cast.user("a_coordinator"))
    page = coordinator.get(url("meeting-detail", meeting.pk)).content.decode()
    assert "Skrytá absence" in page.split('id="agenda-heading"')[1]  # offered in the form
    coordinator.post(url("agenda-add", meeting.pk), {"kind": "information", "topic": topic.pk})
    with scope(territory=cast.territory_a):
        item = meeting.agenda_items.get(topic=topic)
    assert item.kind == "topic" and item.title == "Skrytá absence"
    detail = coordinator.get(url("platform-detail", platform.pk)).content.decode()
    assert "No topic is waiting for a meeting." in detail


def test_tasks_of_a_platform_stay_with_its_members(cast, client_for):
    platform, school, _partner = member_setup(cast)
    secret = make_platform(cast.territory_a, name="Uzavřená skupina")
    meeting = make_meeting(secret, starts_at=timezone.now() - datetime.timedelta(days=1))
    with scope(territory=cast.territory_a):
        services.do_add_decision(
            meeting,
            text="Citlivé",
            acting_user=None,
            task=Task(
                title="Psycholog pro žáka",
                owner_organisation=school,
                due=timezone.localdate() + datetime.timedelta(days=3),
            ),
        )
    own_meeting = make_meeting(platform, starts_at=timezone.now() + datetime.timedelta(days=2))
    with scope(territory=cast.territory_a):
        review = services.plan_review(own_meeting)
    assert review["tasks_due"] == []
    partner_tasks = client_for(cast.user("a_partner")).get(
        reverse("plans:task-list", args=["alfov"])
    )
    assert "Psycholog pro žáka" not in partner_tasks.content.decode()
    team_tasks = client_for(cast.user("a_team")).get(reverse("plans:task-list", args=["alfov"]))
    assert "Psycholog pro žáka" in team_tasks.content.decode()


def test_a_facilitator_who_left_no_longer_runs_the_platform(cast, client_for):
    platform, _school, partner = member_setup(cast)
    with scope(territory=cast.territory_a):
        platform.facilitator = partner
        platform.save()
        partner.has_left = True
        partner.save()
    meeting = make_meeting(platform)
    response = client_for(cast.user("a_partner")).get(url("meeting-edit", meeting.pk))
    assert response.status_code in (403, 404)


def test_members_without_their_own_e_mail_can_be_recorded(cast, client_for):
    from spolu.actors.tests.factories import make_person

    platform, school, _partner = member_setup(cast)
    make_person(cast.territory_a, full_name="Bez e-mailu", organisations=[school])
    make_person(
        cast.territory_a,
        full_name="Sdílená adresa A",
        organisations=[school],
        email="info@skola.example",
    )
    make_person(
        cast.territory_a,
        full_name="Sdílená adresa B",
        organisations=[school],
        email="info@skola.example",
    )
    meeting = make_meeting(platform)
    html = (
        client_for(cast.user("a_coordinator")).get(url("attendance", meeting.pk)).content.decode()
    )
    for name in ("Bez e-mailu", "Sdílená adresa A", "Sdílená adresa B", "Petra Partnerová"):
        assert name in html


def test_far_dates_and_endless_meetings_are_refused(cast, client_for):
    platform = make_platform(cast.territory_a)
    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        url("meeting-add", platform.pk),
        {"starts_at": "0001-01-01T10:00", "ends_at": "0001-01-01T11:00"},
    )
    assert "Enter a year between 2000 and 2100." in response.content.decode()
    response = client.post(
        url("platform-edit", platform.pk),
        {"name": "X", "kind": "plenary", "duration_minutes": 10**9},
    )
    assert response.status_code == 200
    assert "A meeting lasts between 1 minute and 24 hours." in response.content.decode()
