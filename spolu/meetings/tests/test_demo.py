"""The demo town gets its platforms with a year of meetings, and a second run adds nothing."""

from django.core.management import call_command
from django.db.models import F
from django.utils import timezone
from django_scopes import scope

from spolu.meetings.cooperation import platform_cooperation
from spolu.meetings.demo import PLENARY
from spolu.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Decision,
    Meeting,
    MeetingStatus,
    Platform,
    PlatformKind,
    Topic,
)
from spolu.plans.models import Task, TaskStatus
from spolu.territories.models import Territory

MODELS = [Platform, Meeting, AgendaItem, Attendance, Decision, Topic, Task]


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_meetings(db):
    call_command("load_demo")
    zelenov = Territory.objects.get(slug="zelenov")
    with scope(territory=zelenov):
        counts = _counts()
    call_command("load_demo")  # a second run adds nothing

    now, today = timezone.now(), timezone.localdate()
    with scope(territory=zelenov):
        assert _counts() == counts
        kinds = sorted(Platform.objects.values_list("kind", flat=True))
        assert kinds == sorted(
            [
                PlatformKind.PLENARY,
                PlatformKind.THEMATIC,
                PlatformKind.THEMATIC,
                PlatformKind.COUNSELLING_SCHOOLS,
            ]
        )

        plenary = Platform.objects.get(name=PLENARY)
        assert plenary.facilitator.position == "coordinator"
        assert plenary.member_organisations.count() >= 10
        held = plenary.meetings.filter(
            starts_at__lt=now, status__in=[MeetingStatus.HELD, MeetingStatus.APPROVED]
        )
        assert held.filter(agenda_items__minutes__gt="").distinct().count() >= 10
        assert held.filter(status=MeetingStatus.HELD).count() == 1
        assert held.filter(closed_at__gt=F("starts_at")).count() >= 10
        for platform in Platform.objects.all():
            upcoming = platform.meetings.filter(starts_at__gte=now, status=MeetingStatus.PLANNED)
            assert upcoming.count() == 2, platform
            assert not upcoming.filter(agenda_items__isnull=True).exists()
        next_plenary = plenary.meetings.filter(starts_at__gte=now).first()
        assert next_plenary.agenda_items.filter(topic__isnull=False).count() == 1
        assert Topic.objects.filter(agenda_items__isnull=True).count() >= 3

        # Minutes are stored sanitised: simple paragraphs, nothing else.
        assert not AgendaItem.objects.filter(minutes__icontains="<script").exists()

        from_decisions = Task.objects.filter(decision__isnull=False)
        assert from_decisions.filter(status=TaskStatus.OPEN, due__lt=today).count() == 2
        done = from_decisions.filter(status=TaskStatus.DONE)
        assert done.filter(completed_on__lte=F("due")).count() >= 5
        assert done.filter(completed_on__gt=F("due")).exists()
        assert not done.filter(completed_on__gt=today).exists()

        statuses = set(
            Attendance.objects.filter(meeting__platform=plenary).values_list("status", flat=True)
        )
        assert statuses == {
            AttendanceStatus.PRESENT,
            AttendanceStatus.EXCUSED,
            AttendanceStatus.ABSENT,
        }
        report = platform_cooperation(plenary, today=today)
        assert [row.name for row in report.attendance.stopped_coming] == ["ÚP Zelenov"]
        assert report.tasks.overdue_open == 1 and report.tasks.late >= 1
