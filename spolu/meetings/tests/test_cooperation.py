"""Is cooperation real? Regularity, attendance, tasks on time, time to minutes, the signal."""

import datetime
import zoneinfo

import pytest
from django.template.loader import render_to_string
from django_scopes import scope

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.plans.models import Task

from ..cooperation import (
    AttendanceMeasure,
    CooperationReport,
    MinutesMeasure,
    RegularityMeasure,
    Signal,
    TaskMeasure,
    platform_cooperation,
    territory_cooperation,
)
from ..models import Attendance, Decision, Meeting, Platform

PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")
TODAY = datetime.date(2026, 6, 15)  # the period runs from 2025-06-15 to 2026-06-14
MONTHLY = "FREQ=MONTHLY;BYDAY=+1TH"
WEEKLY = "FREQ=WEEKLY;BYDAY=TH"
SERIES_START = datetime.datetime(2025, 1, 2, 16, 0, tzinfo=PRAGUE)
# The first Thursdays of the period, at 16:00 local time.
FIRST_THURSDAYS = [
    datetime.date(2025, 7, 3),
    datetime.date(2025, 8, 7),
    datetime.date(2025, 9, 4),
    datetime.date(2025, 10, 2),
    datetime.date(2025, 11, 6),
    datetime.date(2025, 12, 4),
    datetime.date(2026, 1, 1),
    datetime.date(2026, 2, 5),
    datetime.date(2026, 3, 5),
    datetime.date(2026, 4, 2),
    datetime.date(2026, 5, 7),
    datetime.date(2026, 6, 4),
]


def at(day, hour=16, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PRAGUE)


def platform(territory, name="Plenární skupina", **fields):
    fields.setdefault("kind", "plenary")
    return Platform.objects.create(territory=territory, name=name, **fields)


def meeting(platform, day, status="held", **fields):
    starts_at = fields.pop("starts_at", None) or at(day)
    return Meeting.objects.create(
        territory=platform.territory,
        platform=platform,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        status=status,
        **fields,
    )


def attend(meeting, person, organisation, status):
    return Attendance.objects.create(
        territory=meeting.territory,
        meeting=meeting,
        person=person,
        organisation=organisation,
        status=status,
    )


def task(decision, **fields):
    return Task.objects.create(
        territory=decision.territory, decision=decision, title="Úkol", **fields
    )


def decision(meeting):
    return Decision.objects.create(territory=meeting.territory, meeting=meeting, text="Dohoda")


def render(report):
    return render_to_string("meetings/includes/cooperation.html", {"report": report})


# --- regularity -----------------------------------------------------------------------------


def test_regularity_counts_the_monthly_rhythm_against_held_and_cancelled_meetings(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        plenary = platform(territory, recurrence=MONTHLY, first_meeting=SERIES_START)
        meeting(plenary, datetime.date(2025, 6, 5))  # before the period
        for day in FIRST_THURSDAYS[:5]:
            meeting(plenary, day, status="approved")
        for day in FIRST_THURSDAYS[5:8]:
            meeting(plenary, day, status="held")
        meeting(plenary, FIRST_THURSDAYS[8], status="cancelled")
        meeting(plenary, FIRST_THURSDAYS[9], status="cancelled")
        meeting(plenary, FIRST_THURSDAYS[10], status="planned")  # never recorded
        # FIRST_THURSDAYS[11] simply did not take place; a planned future meeting is ignored.
        meeting(plenary, datetime.date(2026, 7, 2), status="planned")
        meeting(plenary, TODAY, status="held")  # today is outside the period

        regularity = platform_cooperation(plenary, today=TODAY).regularity

    assert regularity.has_rhythm
    assert regularity.expected == 12
    assert regularity.held == 8
    assert regularity.cancelled == 2
    assert regularity.not_recorded == 1
    assert regularity.percent == 67
    assert not regularity.weak
    assert regularity.sentence == (
        "The rhythm expected 12 meetings in this period; held: 8 (67 %). "
        "2 meetings were cancelled. "
        "1 past meeting is still marked as planned: record whether it took place."
    )


def test_regularity_counts_from_the_first_meeting_when_the_series_started_in_the_period(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        group = platform(territory, recurrence=MONTHLY, first_meeting=at(datetime.date(2026, 1, 1)))
        for day in FIRST_THURSDAYS[6:9]:
            meeting(group, day)
        regularity = platform_cooperation(group, today=TODAY).regularity

    assert regularity.expected == 6  # January to June 2026
    assert regularity.held == 3
    assert regularity.weak  # 50 % < 60 %


def test_regularity_without_a_rhythm_only_counts_the_held_meetings(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        group = platform(territory)
        broken = platform(
            territory, name="Rozbitá", recurrence="FREQ=NEVER", first_meeting=at(TODAY)
        )
        meeting(group, datetime.date(2026, 2, 10))
        meeting(group, datetime.date(2026, 3, 10))
        regularity = platform_cooperation(group, today=TODAY).regularity
        broken_regularity = platform_cooperation(broken, today=TODAY).regularity

    assert not regularity.has_rhythm
    assert regularity.expected is None
    assert regularity.rate is None
    assert regularity.held == 2
    assert not regularity.weak
    assert "No regular rhythm" in regularity.sentence
    assert "2 meetings were held" in regularity.sentence
    assert not broken_regularity.has_rhythm


def test_regularity_keeps_local_time_across_daylight_saving(cast):
    # Sundays at 23:30 from a winter start. Summer time begins on 29 March 2026; the series
    # stays at 23:30 local time, so 5 April 23:30 is still inside a period ending at midnight.
    territory = cast.territory_a
    with scope(territory=territory):
        weekly = platform(
            territory,
            recurrence="FREQ=WEEKLY;BYDAY=SU",
            first_meeting=at(datetime.date(2026, 1, 4), hour=23, minute=30),
        )
        report = platform_cooperation(weekly, today=datetime.date(2026, 4, 6), months=1)

    # 8, 15, 22 and 29 March and 5 April.
    assert report.regularity.expected == 5


# --- attendance -----------------------------------------------------------------------------


@pytest.fixture
def attendance_setup(cast):
    """Twelve held monthly meetings; school A always comes, school B stopped, the NGO started."""
    territory = cast.territory_a
    school_a = make_organisation(territory, name="ZŠ Alfov")
    school_b = make_organisation(territory, name="ZŠ Betov", short_name="ZŠ B")
    ngo = make_organisation(territory, name="Spolek Most", kind="ngo")
    anna = make_person(territory, "Anna Alfová", organisations=[school_a])
    bara = make_person(territory, "Bára Betová", organisations=[school_b])
    cyril = make_person(territory, "Cyril Mostový", organisations=[ngo])
    dana = make_person(territory, "Dana Bezorganizace")
    with scope(territory=territory):
        plenary = platform(territory, recurrence=MONTHLY, first_meeting=SERIES_START)
        for index, day in enumerate(FIRST_THURSDAYS):
            held = meeting(plenary, day, closed_at=at(day + datetime.timedelta(days=3)))
            attend(held, anna, school_a, "present")
            if index < 2:
                attend(held, bara, school_b, "present")
            elif index == 2:
                attend(held, bara, school_b, "excused")
            else:
                attend(held, bara, school_b, "absent")
            attend(held, cyril, ngo, "present" if index >= 6 else "absent")
        attend(held, dana, None, "present")
        # Answers never turned into attendance, and a meeting still to come, are left out.
        future = meeting(plenary, datetime.date(2026, 7, 2), status="planned")
        attend(future, anna, school_a, "attending")
        cancelled = meeting(plenary, datetime.date(2026, 6, 11), status="cancelled")
        attend(cancelled, anna, school_a, "present")
        lost = meeting(plenary, datetime.date(2026, 6, 12))
        attend(lost, bara, school_b, "invited")
    return plenary


def test_attendance_rate_by_organisation_and_kind(cast, attendance_setup):
    with scope(territory=cast.territory_a):
        attendance = platform_cooperation(attendance_setup, today=TODAY).attendance

    assert (attendance.present, attendance.excused, attendance.absent) == (21, 1, 15)
    assert attendance.percent == 57  # 21 / 37
    rows = {row.name: row for row in attendance.by_organisation}
    assert list(rows) == ["Spolek Most", "ZŠ Alfov", "ZŠ B"]
    assert (rows["ZŠ Alfov"].present, rows["ZŠ Alfov"].percent) == (12, 100)
    assert (rows["ZŠ B"].present, rows["ZŠ B"].excused, rows["ZŠ B"].absent) == (2, 1, 9)
    assert rows["ZŠ B"].percent == 17
    assert (rows["Spolek Most"].present, rows["Spolek Most"].percent) == (6, 50)
    assert rows["Spolek Most"].kind_label == "NGO"
    kinds = {row.kind: row for row in attendance.by_kind}
    assert kinds["primary_school"].organisations == 2
    assert (kinds["primary_school"].present, kinds["primary_school"].recorded) == (14, 24)
    assert kinds["primary_school"].percent == 58
    assert kinds["ngo"].percent == 50
    assert [row.label for row in attendance.by_kind] == ["NGO", "Primary school"]


def test_an_organisation_that_came_early_but_not_to_the_last_three_meetings_stopped_coming(
    cast, attendance_setup
):
    with scope(territory=cast.territory_a):
        attendance = platform_cooperation(attendance_setup, today=TODAY).attendance

    assert [row.name for row in attendance.stopped_coming] == ["ZŠ B"]
    assert attendance.stopped_coming_sentence == (
        "1 organisation stopped coming: ZŠ B (present in the first half of the period, "
        "at none of the last 3 meetings held)."
    )
    assert "stopped coming: ZŠ B" in attendance.sentence


def test_one_recent_visit_is_enough_not_to_have_stopped_coming(cast, attendance_setup):
    with scope(territory=cast.territory_a):
        # The last three held meetings: 7 May, 4 June and 12 June (no attendance recorded).
        recent = Meeting.objects.get(platform=attendance_setup, starts_at=at(FIRST_THURSDAYS[-2]))
        Attendance.objects.filter(meeting=recent, person__full_name="Bára Betová").update(
            status="present"
        )
        attendance = platform_cooperation(attendance_setup, today=TODAY).attendance

    assert attendance.stopped_coming == []
    assert attendance.stopped_coming_sentence == ""


# --- tasks ----------------------------------------------------------------------------------


def test_tasks_on_time_late_and_overdue(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        plenary = platform(territory)
        other = platform(territory, name="Jiná skupina")
        agreed = decision(meeting(plenary, datetime.date(2026, 1, 15)))
        old = decision(meeting(plenary, datetime.date(2025, 2, 15)))  # before the period
        elsewhere = decision(meeting(other, datetime.date(2026, 1, 15)))
        d = datetime.date
        task(agreed, status="done", due=d(2026, 3, 1), completed_on=d(2026, 2, 20))
        task(agreed, status="done", due=d(2026, 3, 1), completed_on=d(2026, 3, 1))
        task(agreed, status="done", completed_on=d(2026, 1, 20))  # no due date: on time
        task(agreed, status="done", due=d(2026, 3, 1), completed_on=d(2026, 3, 10))  # late
        task(agreed, status="done", due=d(2026, 6, 1), completed_on=d(2026, 6, 20))  # late
        task(agreed, status="open", due=d(2026, 5, 1))  # overdue
        task(agreed, status="open", due=d(2026, 7, 1))  # not due yet
        task(agreed, status="open")  # no due date
        task(agreed, status="dropped", due=d(2026, 2, 1))
        task(old, status="open", due=d(2025, 3, 1))  # overdue, but agreed before the period
        task(elsewhere, status="open", due=d(2026, 2, 1))
        tasks = platform_cooperation(plenary, today=TODAY).tasks

    assert tasks.due_or_done == 6
    assert tasks.on_time == 3
    assert tasks.late == 2
    assert tasks.overdue_in_period == 1
    assert tasks.overdue_open == 2
    assert tasks.percent == 50
    assert not tasks.weak  # exactly the threshold
    assert tasks.sentence == (
        "Of 6 tasks agreed in this period that are due or done: done on time 3 (50 %), "
        "done late 2, still open 1. 2 open tasks of this platform are past their due date."
    )


# --- minutes --------------------------------------------------------------------------------


def test_median_days_from_meeting_to_closed_minutes(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        group = platform(territory)
        for day, delay in zip(FIRST_THURSDAYS[:4], [2, 5, 10, 20], strict=True):
            meeting(group, day, closed_at=at(day + datetime.timedelta(days=delay), hour=9))
        # Closed at 00:30 local time the next day (still the same day in UTC): one day.
        late_night = FIRST_THURSDAYS[4]
        meeting(
            group,
            late_night,
            closed_at=datetime.datetime.combine(
                late_night, datetime.time(23, 30), tzinfo=datetime.UTC
            ),
        )
        meeting(group, FIRST_THURSDAYS[5])  # held, minutes not closed
        meeting(group, FIRST_THURSDAYS[11], status="planned")
        minutes = platform_cooperation(group, today=TODAY).minutes

    # Delays 1, 2, 5, 10, 20 days.
    assert minutes.median_days == 5
    assert minutes.closed == 5
    assert minutes.missing == 1
    assert minutes.held == 6
    assert not minutes.weak
    assert minutes.sentence == (
        "Minutes were closed a median of 5 days after the meeting. "
        "1 meeting held in this period has no closed minutes."
    )


def test_an_even_number_of_delays_rounds_the_median_up(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        group = platform(territory)
        for day, delay in zip(FIRST_THURSDAYS[:4], [2, 5, 10, 40], strict=True):
            meeting(group, day, closed_at=at(day + datetime.timedelta(days=delay)))
        minutes = platform_cooperation(group, today=TODAY).minutes

    assert minutes.median_days == 8  # 7.5


# --- the signal -----------------------------------------------------------------------------


def report_with(
    *,
    regularity=(12, 12),
    attendance=(10, 0, 0),
    tasks=(4, 4),
    median=3,
    old=(10, 0),
):
    expected, held = regularity
    due_or_done, on_time = tasks
    old_held, old_missing = old
    return CooperationReport(
        platform=Platform(name="Test"),
        period_start=datetime.date(2025, 6, 15),
        period_end=TODAY,
        months=12,
        regularity=RegularityMeasure(
            has_rhythm=expected is not None,
            expected=expected,
            held=held,
            cancelled=0,
            not_recorded=0,
        ),
        attendance=AttendanceMeasure(*attendance),
        tasks=TaskMeasure(due_or_done, on_time, due_or_done - on_time, 0, 0),
        minutes=MinutesMeasure(
            held=held,
            closed=held,
            missing=old_missing,
            old_held=old_held,
            old_missing=old_missing,
            median_days=median,
        ),
    )


def test_signal_is_real_at_the_thresholds():
    report = report_with(regularity=(10, 6), attendance=(5, 2, 3), tasks=(4, 2), median=30)
    assert report.weak_measures == []
    assert report.signal == Signal.REAL
    assert report.signal_label == "Real"
    assert report.signal_sentence.startswith("Cooperation is real")


@pytest.mark.parametrize(
    ("changes", "weak"),
    [
        ({"regularity": (10, 5)}, "regularity"),
        ({"attendance": (4, 3, 3)}, "attendance"),
        ({"tasks": (4, 1)}, "tasks"),
        ({"median": 31}, "minutes"),
        ({"old": (4, 3)}, "minutes"),
    ],
)
def test_one_weak_measure_puts_cooperation_at_risk(changes, weak):
    report = report_with(**changes)
    assert report.weak_measures == [getattr(report, weak)]
    assert report.signal == Signal.AT_RISK
    assert report.signal_badge == "badge--warn"
    assert report.signal_sentence == (f"Cooperation is at risk: {getattr(report, weak).reason}.")


def test_two_weak_measures_make_cooperation_formal_only():
    report = report_with(regularity=(12, 3), attendance=(1, 1, 8))
    assert report.weak_measures == [report.regularity, report.attendance]
    assert report.signal == Signal.FORMAL_ONLY
    assert report.signal_label == "Formal only"
    assert report.signal_sentence == (
        "Cooperation looks formal only: meetings are held less often than the rhythm says; "
        "few of the people expected are present."
    )


def test_measures_without_data_are_never_weak():
    report = report_with(
        regularity=(None, 0), attendance=(0, 0, 0), tasks=(0, 0), median=None, old=(0, 0)
    )
    assert report.weak_measures == []
    assert report.signal == Signal.UNKNOWN


def test_a_rhythm_without_any_meeting_held_is_at_risk(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        silent = platform(territory, recurrence=MONTHLY, first_meeting=SERIES_START)
        report = platform_cooperation(silent, today=TODAY)

    assert report.regularity.percent == 0
    assert report.weak_measures == [report.regularity]
    assert report.signal == Signal.AT_RISK


# --- a territory, queries, the page ---------------------------------------------------------


def populate(territory, *, platforms, meetings, people=3):
    """`platforms` active platforms with `meetings` held meetings each, attendance and tasks."""
    organisations = [
        make_organisation(territory, name=f"Organizace {i}", kind=kind)
        for i, kind in enumerate(["primary_school", "ngo", "counselling_centre"])
    ]
    persons = [
        make_person(territory, f"Osoba {i}", organisations=[organisations[i % 3]])
        for i in range(people)
    ]
    start = datetime.date(2025, 7, 1)
    for p in range(platforms):
        group = platform(territory, name=f"Skupina {p}", recurrence=WEEKLY, first_meeting=at(start))
        for m in range(meetings):
            day = start + datetime.timedelta(days=7 * m + 2)
            held = meeting(group, day, closed_at=at(day + datetime.timedelta(days=m % 5)))
            for i, person in enumerate(persons):
                status = ["present", "excused", "absent"][(i + m) % 3]
                attend(held, person, organisations[i % 3], status)
            task(
                decision(held),
                status="done" if m % 2 else "open",
                due=day + datetime.timedelta(days=14),
                completed_on=day + datetime.timedelta(days=10) if m % 2 else None,
            )


@pytest.mark.parametrize(("platforms", "meetings"), [(2, 3), (6, 30)])
def test_a_territory_report_runs_a_fixed_number_of_queries(
    cast, django_assert_num_queries, platforms, meetings
):
    territory = cast.territory_a
    with scope(territory=territory):
        populate(territory, platforms=platforms, meetings=meetings)
        platform(territory, name="Zrušená skupina", active=False)
        with django_assert_num_queries(4):
            reports = territory_cooperation(territory, today=TODAY)
            html = "".join(render(report) for report in reports)

    assert [r.platform.name for r in reports] == [f"Skupina {p}" for p in range(platforms)]
    assert all(r.regularity.held == meetings for r in reports)
    assert all(r.attendance.recorded == meetings * 3 for r in reports)
    assert html.count("<caption>") == platforms * 3


@pytest.mark.parametrize("meetings", [3, 30])
def test_a_platform_report_runs_a_fixed_number_of_queries(
    cast, django_assert_num_queries, meetings
):
    territory = cast.territory_a
    with scope(territory=territory):
        populate(territory, platforms=1, meetings=meetings)
        group = Platform.objects.get()
        # One query for the platform's territory (its time zone), four for the measures.
        with django_assert_num_queries(5):
            render(platform_cooperation(group, today=TODAY))


def test_territory_report_keeps_to_its_territory(cast):
    with scope(territory=cast.territory_b):
        platform(cast.territory_b, name="Platforma B", recurrence=MONTHLY, first_meeting=at(TODAY))
    with scope(territory=cast.territory_a):
        assert territory_cooperation(cast.territory_a, today=TODAY) == []
    with scope(territory=cast.territory_b):
        (report,) = territory_cooperation(cast.territory_b, today=TODAY)
    assert report.platform.name == "Platforma B"


def test_an_empty_platform_renders(cast):
    territory = cast.territory_a
    with scope(territory=territory):
        empty = platform(territory)
        report = platform_cooperation(empty, today=TODAY)
        html = render(report)

    assert report.signal == Signal.UNKNOWN
    assert "Not enough data" in html
    assert "badge--muted" in html
    assert "<caption>Four measures of cooperation</caption>" in html
    assert "No attendance of an organisation was recorded" in html
    assert "no rhythm set" in html


def test_the_include_shows_numbers_sentences_and_the_signal_in_words(cast, attendance_setup):
    with scope(territory=cast.territory_a):
        html = render(platform_cooperation(attendance_setup, today=TODAY))

    assert '<span class="badge badge--done">Real</span>' in html
    assert "<caption>Attendance by organisation</caption>" in html
    assert "<caption>Attendance by kind of organisation</caption>" in html
    assert '<th scope="row">ZŠ B</th>' in html
    assert html.count("Stopped coming") == 2  # the summary and the organisation's row
    # The meeting of 12 June was held beyond the rhythm; it does not push the rate over 100 %.
    assert "The rhythm expected 12 meetings in this period; held: 13 (100 %)." in html
    assert "Period: from 06/15/2025 to 06/14/2026." in html
    assert "57 %" in html
