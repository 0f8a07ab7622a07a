"""Is cooperation real? Four measures of a platform over the last months, and a signal.

Every report covers the period from `today - months` (local midnight in the territory's time
zone) up to the start of `today`: today itself is left out, so a meeting planned for this
afternoon is not counted as missing before it could take place.

The measures
1. **Regularity**: the meetings the recurrence (RFC 5545 RRULE, counted by python-dateutil from
   `Platform.first_meeting` in the territory's local time, so a meeting stays at 16:00 across
   daylight-saving changes) expected in the period, against the meetings held (status held or
   minutes approved, starting in the period). Cancelled meetings and past meetings still marked
   planned are counted apart. Meetings held beyond the rhythm do not make up for missing ones
   beyond 100 %. A platform without a recurrence or a first meeting has "no rhythm set": only
   the held meetings are counted.
2. **Attendance**: present / (present + excused + absent), counted per person recorded at the
   meetings held in the period ("invited" and "will attend" answers at a held meeting were never
   recorded and are left out), for the whole platform, by organisation and by organisation kind.
   An organisation **stopped coming** when somebody of it was present at least once in the first
   half of the period and nobody of it at any of the last 3 held meetings of the period.
3. **Tasks on time**: of the tasks created from decisions of meetings in the period that are done
   or past their due date (dropped ones left out), the share done on time: done on or before the
   due date, or done with no due date (or no completion date: it cannot be shown late). Open
   tasks of the platform past their due date are counted whatever the period.
4. **Time to minutes**: the median number of calendar days (local time) from a held meeting's
   start to the closing of its minutes, rounded up to whole days; held meetings whose minutes are
   not closed are counted.

The signal
A measure is *weak* when
- regularity: fewer than 60 % of the expected meetings were held;
- attendance: fewer than 50 % of the recorded attendances were "present";
- tasks: fewer than 50 % of the due or done tasks were done on time;
- minutes: the median delay is over 30 days, or more than half of the meetings held over 30 days
  before the end of the period have no closed minutes.
A measure without data (no rhythm, nothing expected yet, no attendance recorded, no task due)
is never weak. No weak measure → **real**; one → **at risk**; two or more → **formal only**.
When no measure has any data the signal is **not enough data**. The report names the weak
measures that drove the signal.

Everything is computed with a fixed number of queries whatever the number of platforms,
meetings, attendances and tasks: four (platforms with their meeting counts, minutes delays,
attendance, tasks), plus one for the platform's territory when `platform_cooperation` gets a
platform whose territory is not loaded. Counts are SQL aggregates (COUNT … FILTER, a ROW_NUMBER
window for the last meetings); only the (start, close) pairs of closed minutes come back row by
row, because a median is not portable SQL.
"""

import datetime
import math
import statistics
import zoneinfo
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from django.db import models
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from spolu.actors.models import OrganisationKind
from spolu.plans.models import Task, TaskStatus

from .models import Attendance, AttendanceStatus, Meeting, MeetingStatus, Platform

REGULARITY_MIN = 0.6
ATTENDANCE_MIN = 0.5
ON_TIME_MIN = 0.5
MINUTES_MAX_DAYS = 30
MINUTES_MISSING_MAX_SHARE = 0.5
FORMAL_ONLY_WEAK = 2
RECENT_MEETINGS = 3
# A standing group does not meet more often than daily; this only guards against odd rules.
MAX_OCCURRENCES = 5000

HELD_STATUSES = (MeetingStatus.HELD, MeetingStatus.APPROVED)
RECORDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.EXCUSED, AttendanceStatus.ABSENT)


class Signal(models.TextChoices):
    REAL = "real", gettext_lazy("Real")
    AT_RISK = "at_risk", gettext_lazy("At risk")
    FORMAL_ONLY = "formal_only", gettext_lazy("Formal only")
    UNKNOWN = "unknown", gettext_lazy("Not enough data")


SIGNAL_BADGES = {
    Signal.REAL: "badge--done",
    Signal.AT_RISK: "badge--warn",
    Signal.FORMAL_ONLY: "badge--err",
    Signal.UNKNOWN: "badge--muted",
}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(rate: float | None) -> int | None:
    return None if rate is None else int(rate * 100 + 0.5)


def _percent_text(rate: float | None) -> str:
    value = _percent(rate)
    return "—" if value is None else _("%(percent)s %%") % {"percent": value}


# --- the measures --------------------------------------------------------------------------


@dataclass
class RegularityMeasure:
    has_rhythm: bool
    expected: int | None  # None without a rhythm
    held: int
    cancelled: int
    not_recorded: int  # past meetings of the period still marked planned

    label = gettext_lazy("Regularity")

    @property
    def rate(self) -> float | None:
        if not self.expected:
            return None
        return min(self.held, self.expected) / self.expected

    @property
    def percent(self) -> int | None:
        return _percent(self.rate)

    @property
    def has_data(self) -> bool:
        return self.rate is not None

    @property
    def weak(self) -> bool:
        return self.rate is not None and self.rate < REGULARITY_MIN

    @property
    def display(self) -> str:
        return _percent_text(self.rate)

    @property
    def reason(self) -> str:
        return _("meetings are held less often than the rhythm says")

    @property
    def threshold(self) -> str:
        return _("at least %(percent)s %% of the expected meetings held") % {
            "percent": _percent(REGULARITY_MIN)
        }

    @property
    def sentence(self) -> str:
        if not self.has_rhythm:
            parts = [
                ngettext(
                    "No regular rhythm (recurrence and first meeting) is set for this platform, "
                    "so regularity is not measured; %(held)s meeting was held in this period.",
                    "No regular rhythm (recurrence and first meeting) is set for this platform, "
                    "so regularity is not measured; %(held)s meetings were held in this period.",
                    self.held,
                )
                % {"held": self.held}
            ]
        elif not self.expected:
            parts = [
                _("The rhythm expected no meeting in this period yet; held: %(held)s.")
                % {"held": self.held}
            ]
        else:
            parts = [
                ngettext(
                    "The rhythm expected %(expected)s meeting in this period; "
                    "held: %(held)s (%(percent)s %%).",
                    "The rhythm expected %(expected)s meetings in this period; "
                    "held: %(held)s (%(percent)s %%).",
                    self.expected,
                )
                % {"expected": self.expected, "held": self.held, "percent": self.percent}
            ]
        if self.cancelled:
            parts.append(
                ngettext(
                    "%(count)s meeting was cancelled.",
                    "%(count)s meetings were cancelled.",
                    self.cancelled,
                )
                % {"count": self.cancelled}
            )
        if self.not_recorded:
            parts.append(
                ngettext(
                    "%(count)s past meeting is still marked as planned: record whether it "
                    "took place.",
                    "%(count)s past meetings are still marked as planned: record whether they "
                    "took place.",
                    self.not_recorded,
                )
                % {"count": self.not_recorded}
            )
        return " ".join(parts)


@dataclass
class AttendanceCounts:
    present: int = 0
    excused: int = 0
    absent: int = 0

    @property
    def recorded(self) -> int:
        return self.present + self.excused + self.absent

    @property
    def rate(self) -> float | None:
        return _rate(self.present, self.recorded)

    @property
    def percent(self) -> int | None:
        return _percent(self.rate)

    @property
    def display(self) -> str:
        return _percent_text(self.rate)

    def add(self, other: "AttendanceCounts") -> None:
        self.present += other.present
        self.excused += other.excused
        self.absent += other.absent


@dataclass
class OrganisationAttendance(AttendanceCounts):
    organisation_id: int | None = None
    name: str = ""
    kind: str = ""
    stopped_coming: bool = False

    @property
    def kind_label(self) -> str:
        return _kind_label(self.kind)


@dataclass
class KindAttendance(AttendanceCounts):
    kind: str = ""
    organisations: int = 0

    @property
    def label(self) -> str:
        return _kind_label(self.kind)


def _kind_label(kind: str) -> str:
    try:
        return str(OrganisationKind(kind).label)
    except ValueError:
        return kind


@dataclass
class AttendanceMeasure(AttendanceCounts):
    by_organisation: list[OrganisationAttendance] = field(default_factory=list)
    by_kind: list[KindAttendance] = field(default_factory=list)

    label = gettext_lazy("Attendance")

    @property
    def stopped_coming(self) -> list[OrganisationAttendance]:
        return [row for row in self.by_organisation if row.stopped_coming]

    @property
    def has_data(self) -> bool:
        return self.recorded > 0

    @property
    def weak(self) -> bool:
        return self.rate is not None and self.rate < ATTENDANCE_MIN

    @property
    def reason(self) -> str:
        return _("few of the people expected are present")

    @property
    def threshold(self) -> str:
        return _("at least %(percent)s %% of the recorded attendances present") % {
            "percent": _percent(ATTENDANCE_MIN)
        }

    @property
    def sentence(self) -> str:
        if not self.recorded:
            return _("No attendance was recorded at the meetings held in this period.")
        parts = [
            ngettext(
                "%(recorded)s attendance was recorded at the meetings held in this period: "
                "present %(present)s (%(percent)s %%), excused %(excused)s, absent %(absent)s.",
                "%(recorded)s attendances were recorded at the meetings held in this period: "
                "present %(present)s (%(percent)s %%), excused %(excused)s, absent %(absent)s.",
                self.recorded,
            )
            % {
                "recorded": self.recorded,
                "present": self.present,
                "percent": self.percent,
                "excused": self.excused,
                "absent": self.absent,
            }
        ]
        if self.stopped_coming_sentence:
            parts.append(self.stopped_coming_sentence)
        return " ".join(parts)

    @property
    def stopped_coming_sentence(self) -> str:
        stopped = self.stopped_coming
        if not stopped:
            return ""
        return ngettext(
            "%(count)s organisation stopped coming: %(names)s (present in the first half of "
            "the period, at none of the last %(meetings)s meetings held).",
            "%(count)s organisations stopped coming: %(names)s (present in the first half of "
            "the period, at none of the last %(meetings)s meetings held).",
            len(stopped),
        ) % {
            "count": len(stopped),
            "names": ", ".join(row.name for row in stopped),
            "meetings": RECENT_MEETINGS,
        }


@dataclass
class TaskMeasure:
    due_or_done: int  # tasks of the period's decisions, done or past their due date
    on_time: int
    late: int  # done after the due date
    overdue_in_period: int  # of due_or_done: still open after the due date
    overdue_open: int  # every open task of the platform past its due date, whatever the period

    label = gettext_lazy("Tasks done on time")

    @property
    def rate(self) -> float | None:
        return _rate(self.on_time, self.due_or_done)

    @property
    def percent(self) -> int | None:
        return _percent(self.rate)

    @property
    def has_data(self) -> bool:
        return self.due_or_done > 0

    @property
    def weak(self) -> bool:
        return self.rate is not None and self.rate < ON_TIME_MIN

    @property
    def display(self) -> str:
        return _percent_text(self.rate)

    @property
    def reason(self) -> str:
        return _("agreed tasks are not done on time")

    @property
    def threshold(self) -> str:
        return _("at least %(percent)s %% of the due or done tasks done on time") % {
            "percent": _percent(ON_TIME_MIN)
        }

    @property
    def sentence(self) -> str:
        if not self.due_or_done:
            parts = [_("No task agreed at this platform's meetings in this period is due or done.")]
        else:
            parts = [
                ngettext(
                    "Of %(total)s task agreed in this period that is due or done: done on time "
                    "%(on_time)s (%(percent)s %%), done late %(late)s, still open %(open)s.",
                    "Of %(total)s tasks agreed in this period that are due or done: done on time "
                    "%(on_time)s (%(percent)s %%), done late %(late)s, still open %(open)s.",
                    self.due_or_done,
                )
                % {
                    "total": self.due_or_done,
                    "on_time": self.on_time,
                    "percent": self.percent,
                    "late": self.late,
                    "open": self.overdue_in_period,
                }
            ]
        if self.overdue_open:
            parts.append(
                ngettext(
                    "%(count)s open task of this platform is past its due date.",
                    "%(count)s open tasks of this platform are past their due date.",
                    self.overdue_open,
                )
                % {"count": self.overdue_open}
            )
        return " ".join(parts)


@dataclass
class MinutesMeasure:
    held: int
    closed: int
    missing: int  # held meetings of the period without closed minutes
    old_held: int  # held meetings that started over MINUTES_MAX_DAYS before the period's end
    old_missing: int  # of old_held: without closed minutes
    median_days: int | None

    label = gettext_lazy("Time to minutes")

    @property
    def has_data(self) -> bool:
        return self.median_days is not None or self.old_held > 0

    @property
    def weak(self) -> bool:
        late = self.median_days is not None and self.median_days > MINUTES_MAX_DAYS
        missing = self.old_held > 0 and self.old_missing > self.old_held * MINUTES_MISSING_MAX_SHARE
        return late or missing

    @property
    def display(self) -> str:
        if self.median_days is None:
            return "—"
        return ngettext("%(days)s day", "%(days)s days", self.median_days) % {
            "days": self.median_days
        }

    @property
    def reason(self) -> str:
        return _("minutes come late or not at all")

    @property
    def threshold(self) -> str:
        return _(
            "minutes closed within a median of %(days)s days, and at most half of the meetings "
            "older than that without closed minutes"
        ) % {"days": MINUTES_MAX_DAYS}

    @property
    def sentence(self) -> str:
        if not self.held:
            return _("No meeting was held in this period, so there are no minutes to measure.")
        parts = []
        if self.median_days is not None:
            parts.append(
                ngettext(
                    "Minutes were closed a median of %(days)s day after the meeting.",
                    "Minutes were closed a median of %(days)s days after the meeting.",
                    self.median_days,
                )
                % {"days": self.median_days}
            )
        if self.missing:
            parts.append(
                ngettext(
                    "%(count)s meeting held in this period has no closed minutes.",
                    "%(count)s meetings held in this period have no closed minutes.",
                    self.missing,
                )
                % {"count": self.missing}
            )
        return " ".join(parts)


@dataclass
class CooperationReport:
    platform: Platform
    period_start: datetime.date
    period_end: datetime.date  # today: the period ends at its start
    months: int
    regularity: RegularityMeasure
    attendance: AttendanceMeasure
    tasks: TaskMeasure
    minutes: MinutesMeasure

    formal_only_weak = FORMAL_ONLY_WEAK

    @property
    def last_day(self) -> datetime.date:
        """The last day the period covers: the day before `today`."""
        return self.period_end - datetime.timedelta(days=1)

    @property
    def measures(self) -> list:
        return [self.regularity, self.attendance, self.tasks, self.minutes]

    @property
    def weak_measures(self) -> list:
        """The measures that drove the signal."""
        return [measure for measure in self.measures if measure.weak]

    @property
    def signal(self) -> Signal:
        weak = len(self.weak_measures)
        if weak >= FORMAL_ONLY_WEAK:
            return Signal.FORMAL_ONLY
        if weak:
            return Signal.AT_RISK
        if not any(measure.has_data for measure in self.measures):
            return Signal.UNKNOWN
        return Signal.REAL

    @property
    def signal_label(self) -> str:
        return str(self.signal.label)

    @property
    def signal_badge(self) -> str:
        return SIGNAL_BADGES[self.signal]

    @property
    def signal_sentence(self) -> str:
        signal = self.signal
        reasons = "; ".join(measure.reason for measure in self.weak_measures)
        if signal == Signal.FORMAL_ONLY:
            return _("Cooperation looks formal only: %(reasons)s.") % {"reasons": reasons}
        if signal == Signal.AT_RISK:
            return _("Cooperation is at risk: %(reasons)s.") % {"reasons": reasons}
        if signal == Signal.UNKNOWN:
            return _("There is not enough data yet to tell whether cooperation is real.")
        return _("Cooperation is real: every measure with data meets its threshold.")


# --- computing -----------------------------------------------------------------------------


def platform_cooperation(platform, *, today: datetime.date, months: int = 12) -> CooperationReport:
    """The cooperation report of one platform over the `months` before `today`."""
    platforms = Platform.objects.filter(pk=platform.pk, territory_id=platform.territory_id)
    (report,) = _reports(platform.territory, platforms, today=today, months=months)
    report.platform = platform
    return report


def territory_cooperation(
    territory, *, today: datetime.date, months: int = 12
) -> list[CooperationReport]:
    """One cooperation report per active platform of the territory, ordered by name."""
    platforms = Platform.objects.filter(territory=territory, active=True)
    return _reports(territory, platforms, today=today, months=months)


@dataclass
class _Period:
    start: datetime.datetime
    end: datetime.datetime  # excluded
    middle: datetime.datetime
    old: datetime.datetime  # meetings before it are over MINUTES_MAX_DAYS old at the end


def _period(zone, first_day: datetime.date, today: datetime.date) -> _Period:
    def midnight(day):
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)

    start, end = midnight(first_day), midnight(today)
    return _Period(
        start=start,
        end=end,
        middle=start + (end - start) / 2,
        old=midnight(today - datetime.timedelta(days=MINUTES_MAX_DAYS)),
    )


def _reports(territory, platforms, *, today, months) -> list[CooperationReport]:
    zone = zoneinfo.ZoneInfo(territory.time_zone)
    first_day = today - relativedelta(months=months)
    period = _period(zone, first_day, today)

    platforms = list(platforms.annotate(**_meeting_counts(period)).order_by("name", "pk"))
    if not platforms:
        return []
    ids = [platform.pk for platform in platforms]
    delays = _minutes_delays(territory, ids, zone, period)
    attendance = _attendance(territory, ids, period)
    tasks = _tasks(territory, ids, period, today)

    reports = []
    for platform in platforms:
        expected = expected_meetings(platform, zone, period.start, period.end)
        days = delays.get(platform.pk, [])
        reports.append(
            CooperationReport(
                platform=platform,
                period_start=first_day,
                period_end=today,
                months=months,
                regularity=RegularityMeasure(
                    has_rhythm=expected is not None,
                    expected=expected,
                    held=platform.coop_held,
                    cancelled=platform.coop_cancelled,
                    not_recorded=platform.coop_not_recorded,
                ),
                attendance=attendance.get(platform.pk) or AttendanceMeasure(),
                tasks=tasks.get(platform.pk) or TaskMeasure(0, 0, 0, 0, 0),
                minutes=MinutesMeasure(
                    held=platform.coop_held,
                    closed=len(days),
                    missing=platform.coop_without_minutes,
                    old_held=platform.coop_old_held,
                    old_missing=platform.coop_old_without_minutes,
                    median_days=math.ceil(statistics.median(days)) if days else None,
                ),
            )
        )
    return reports


def _meeting_counts(period: _Period) -> dict:
    """Annotations of a platform queryset counting its meetings of the period by status."""
    in_period = Q(meetings__starts_at__gte=period.start, meetings__starts_at__lt=period.end)
    held = in_period & Q(meetings__status__in=HELD_STATUSES)
    without_minutes = held & Q(meetings__closed_at__isnull=True)
    old = Q(meetings__starts_at__lt=period.old)
    return {
        "coop_held": Count("meetings", filter=held),
        "coop_cancelled": Count(
            "meetings", filter=in_period & Q(meetings__status=MeetingStatus.CANCELLED)
        ),
        "coop_not_recorded": Count(
            "meetings", filter=in_period & Q(meetings__status=MeetingStatus.PLANNED)
        ),
        "coop_without_minutes": Count("meetings", filter=without_minutes),
        "coop_old_held": Count("meetings", filter=held & old),
        "coop_old_without_minutes": Count("meetings", filter=without_minutes & old),
    }


def expected_meetings(platform, zone, start, end) -> int | None:
    """How many meetings the platform's recurrence expects in [start, end); None: no rhythm.

    The series runs in local wall time from the first meeting, as the meeting generator does.
    """
    if not platform.recurrence or platform.first_meeting is None:
        return None
    first = platform.first_meeting.astimezone(zone)
    series = None
    for aware in (False, True):  # an UNTIL given in UTC needs an aware start
        try:
            series = rrulestr(platform.recurrence, dtstart=first if aware else _naive(first))
            break
        except (ValueError, TypeError):
            continue
    if series is None:
        return None

    def local(moment):
        moment = moment.astimezone(zone)
        return moment if aware else _naive(moment)

    after, before = local(start), local(end)
    count = 0
    for moment in series.xafter(after, inc=True):
        if moment >= before or count >= MAX_OCCURRENCES:
            break
        count += 1
    return count


def _naive(moment):
    return moment.replace(tzinfo=None)


def _minutes_delays(territory, ids, zone, period) -> dict[int, list[int]]:
    """Calendar days from start to closed minutes of each held meeting, by platform."""
    rows = (
        Meeting.objects.filter(
            territory=territory,
            platform_id__in=ids,
            status__in=HELD_STATUSES,
            starts_at__gte=period.start,
            starts_at__lt=period.end,
            closed_at__isnull=False,
        )
        .order_by()
        .values_list("platform_id", "starts_at", "closed_at")
    )
    delays: dict[int, list[int]] = {}
    for platform_id, starts_at, closed_at in rows:
        days = (closed_at.astimezone(zone).date() - starts_at.astimezone(zone).date()).days
        delays.setdefault(platform_id, []).append(max(days, 0))
    return delays


def _attendance(territory, ids, period) -> dict[int, AttendanceMeasure]:
    """Attendance of the held meetings of the period, by platform and organisation."""
    held = Meeting.objects.filter(
        territory=territory,
        platform_id__in=ids,
        status__in=HELD_STATUSES,
        starts_at__gte=period.start,
        starts_at__lt=period.end,
    )
    recent = (
        held.annotate(
            coop_rank=Window(
                RowNumber(),
                partition_by=[F("platform_id")],
                order_by=[F("starts_at").desc(), F("pk").desc()],
            )
        )
        .filter(coop_rank__lte=RECENT_MEETINGS)
        .values("pk")
    )
    present = Q(status=AttendanceStatus.PRESENT)
    rows = (
        Attendance.objects.filter(
            territory=territory, meeting__in=held.values("pk"), status__in=RECORDED_STATUSES
        )
        .order_by()
        .values(
            "meeting__platform_id",
            "organisation_id",
            "organisation__name",
            "organisation__short_name",
            "organisation__kind",
        )
        .annotate(
            present=Count("pk", filter=present),
            excused=Count("pk", filter=Q(status=AttendanceStatus.EXCUSED)),
            absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
            present_early=Count("pk", filter=present & Q(meeting__starts_at__lt=period.middle)),
            present_recent=Count("pk", filter=present & Q(meeting__in=recent)),
        )
    )
    reports: dict[int, AttendanceMeasure] = {}
    for row in rows:
        report = reports.setdefault(row["meeting__platform_id"], AttendanceMeasure())
        counts = AttendanceCounts(row["present"], row["excused"], row["absent"])
        report.add(counts)
        if row["organisation_id"] is None:
            continue
        report.by_organisation.append(
            OrganisationAttendance(
                present=counts.present,
                excused=counts.excused,
                absent=counts.absent,
                organisation_id=row["organisation_id"],
                name=row["organisation__short_name"] or row["organisation__name"],
                kind=row["organisation__kind"],
                stopped_coming=row["present_early"] > 0 and row["present_recent"] == 0,
            )
        )
    for report in reports.values():
        report.by_organisation.sort(key=lambda row: row.name.casefold())
        kinds: dict[str, KindAttendance] = {}
        for row in report.by_organisation:
            kind = kinds.setdefault(row.kind, KindAttendance(kind=row.kind))
            kind.add(row)
            kind.organisations += 1
        report.by_kind = sorted(kinds.values(), key=lambda row: row.label.casefold())
    return reports


def _tasks(territory, ids, period, today) -> dict[int, TaskMeasure]:
    """Tasks from the platforms' decisions: on time, late, overdue."""
    in_period = Q(
        decision__meeting__starts_at__gte=period.start,
        decision__meeting__starts_at__lt=period.end,
    )
    done = Q(status=TaskStatus.DONE)
    overdue = Q(status=TaskStatus.OPEN, due__lt=today)
    late = done & Q(completed_on__gt=F("due"))
    rows = (
        Task.objects.filter(territory=territory, decision__meeting__platform_id__in=ids)
        .order_by()
        .values("decision__meeting__platform_id")
        .annotate(
            due_or_done=Count("pk", filter=in_period & (done | overdue)),
            on_time=Count("pk", filter=in_period & done & ~Q(completed_on__gt=F("due"))),
            late=Count("pk", filter=in_period & late),
            overdue_in_period=Count("pk", filter=in_period & overdue),
            overdue_open=Count("pk", filter=overdue),
        )
    )
    return {
        row["decision__meeting__platform_id"]: TaskMeasure(
            due_or_done=row["due_or_done"],
            on_time=row["on_time"],
            late=row["late"],
            overdue_in_period=row["overdue_in_period"],
            overdue_open=row["overdue_open"],
        )
        for row in rows
    }
