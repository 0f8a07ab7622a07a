"""Business operations on platforms and meetings: series, agenda, attendance, minutes."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from spolu.plans.models import Measure, PlanStatus, Task, TaskStatus
from spolu.plans.risk import measures_with_risk

from . import recurrence
from .models import (
    AgendaItem,
    AgendaKind,
    Attendance,
    Correction,
    Decision,
    Meeting,
    MeetingStatus,
    Platform,
    PlatformKind,
    Topic,
)

# The agenda a new meeting starts with, by platform kind (kind, title).
AGENDA_TEMPLATES = {
    PlatformKind.PLENARY: [
        (AgendaKind.FOLLOW_UP, _lazy("Follow-up of earlier decisions")),
        (AgendaKind.PLAN_REVIEW, _lazy("Review of the plan")),
        (AgendaKind.INFORMATION, _lazy("News and information")),
        (AgendaKind.PRACTICE, _lazy("Sharing practice")),
    ],
    PlatformKind.SCHOOL_HEADS: [
        (AgendaKind.FOLLOW_UP, _lazy("Follow-up of earlier decisions")),
        (AgendaKind.INFORMATION, _lazy("Changes of legislation")),
        (AgendaKind.PLAN_REVIEW, _lazy("Review of the plan")),
    ],
}
DEFAULT_AGENDA = [
    (AgendaKind.FOLLOW_UP, _lazy("Follow-up of earlier decisions")),
    (AgendaKind.TOPIC, _lazy("Topics of the meeting")),
]


def _refuse_locked(meeting: Meeting) -> None:
    if meeting.is_locked:
        raise ValidationError(_("The minutes are approved; add a correction instead."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("The meeting was cancelled."))


@transaction.atomic
def do_save_platform(platform: Platform, *, organisations, people, acting_user) -> Platform:
    organisations, people = list(organisations), list(people)
    if any(o.territory_id != platform.territory_id for o in organisations):
        raise ValidationError(_("Choose organisations of this territory."))
    if any(p.territory_id != platform.territory_id for p in people):
        raise ValidationError(_("Choose people of this territory."))
    if platform.recurrence and platform.first_meeting is None:
        raise ValidationError({"first_meeting": _("A regular rhythm needs the first meeting.")})
    platform.full_clean(exclude=["territory"])
    platform.save()
    platform.member_organisations.set(organisations)
    platform.member_people.set(people)
    return platform


def _apply_template(meeting: Meeting) -> None:
    template = AGENDA_TEMPLATES.get(meeting.platform.kind, DEFAULT_AGENDA)
    AgendaItem.objects.bulk_create(
        AgendaItem(
            territory_id=meeting.territory_id,
            meeting=meeting,
            position=index,
            kind=kind,
            title=str(title),
        )
        for index, (kind, title) in enumerate(template)
    )


@transaction.atomic
def do_generate_meetings(platform: Platform, *, count: int = 1, acting_user) -> list[Meeting]:
    """Create the next `count` meetings of the series after the last one that exists."""
    if not platform.recurrence:
        raise ValidationError(_("The platform has no regular rhythm; plan a meeting by hand."))
    # Locked so that two clicks cannot plan the same slot twice.
    Platform.objects.select_for_update().filter(pk=platform.pk).first()
    last = platform.meetings.aggregate(last=Max("occurrence"))["last"]
    now = timezone.now()
    after = max(last, now) if last else now
    time_zone = platform.territory.time_zone
    created = []
    for start in recurrence.occurrences(
        platform.recurrence, platform.first_meeting, time_zone, after=after, count=count
    ):
        meeting = Meeting.objects.create(
            territory=platform.territory,
            platform=platform,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=platform.duration_minutes),
            occurrence=start,
            place=platform.default_place,
            online_link=platform.default_online_link,
        )
        _apply_template(meeting)
        created.append(meeting)
    return created


@transaction.atomic
def do_save_meeting(meeting: Meeting, *, acting_user) -> Meeting:
    """Create a one-off meeting or move one: its slot in the series (`occurrence`) stays."""
    _refuse_locked(meeting)
    created = meeting.pk is None
    meeting.full_clean(exclude=["territory", "platform"])
    meeting.save()
    if created:
        _apply_template(meeting)
    return meeting


@transaction.atomic
def do_cancel_meeting(meeting: Meeting, *, acting_user) -> Meeting:
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError(_("Only a planned meeting can be cancelled."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    return meeting


# --- agenda ------------------------------------------------------------------------------


@transaction.atomic
def do_add_agenda_item(meeting: Meeting, *, kind: str, title: str, topic=None, acting_user):
    _refuse_locked(meeting)
    position = (meeting.agenda_items.aggregate(last=Max("position"))["last"] or 0) + 1
    return AgendaItem.objects.create(
        territory_id=meeting.territory_id,
        meeting=meeting,
        position=position,
        kind=kind,
        title=title,
        topic=topic,
    )


@transaction.atomic
def do_move_agenda_item(item: AgendaItem, *, direction: str, acting_user) -> None:
    """Swap an item with its neighbour ("up" or "down"); positions are renumbered 0..n."""
    _refuse_locked(item.meeting)
    items = list(item.meeting.agenda_items.select_for_update().order_by("position", "pk"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])


@transaction.atomic
def do_remove_agenda_item(item: AgendaItem, *, acting_user) -> None:
    _refuse_locked(item.meeting)
    item.delete()


@transaction.atomic
def do_save_minutes(item: AgendaItem, *, minutes: str, acting_user) -> AgendaItem:
    from .minutes import sanitize_minutes

    _refuse_locked(item.meeting)
    item.minutes = sanitize_minutes(minutes)
    item.save(update_fields=["minutes"])
    return item


@transaction.atomic
def do_propose_topic(platform: Platform, *, title: str, description: str, acting_user) -> Topic:
    return Topic.objects.create(
        territory_id=platform.territory_id,
        platform=platform,
        title=title,
        description=description,
        proposed_by=acting_user,
    )


# --- what the agenda shows by itself ----------------------------------------------------


def previous_meeting(meeting: Meeting):
    return (
        Meeting.objects.filter(
            platform_id=meeting.platform_id,
            starts_at__lt=meeting.starts_at,
            status__in=[MeetingStatus.HELD, MeetingStatus.APPROVED],
        )
        .order_by("-starts_at")
        .first()
    )


def plan_review(meeting: Meeting, *, today=None, previous=None) -> dict:
    """What the plan review of a meeting covers, computed from the plans of the territory.

    - measures at risk (spolu.plans.risk),
    - measures changed since the platform's previous held meeting,
    - open tasks due before the meeting after this one (or within 30 days).
    """
    today = today or timezone.localdate()
    measures = Measure.objects.filter(territory_id=meeting.territory_id).exclude(
        plan__status=PlanStatus.CLOSED
    )
    annotated = measures_with_risk(measures, today).select_related("lead_implementer")
    since = previous.starts_at if previous else meeting.starts_at - datetime.timedelta(days=31)
    horizon = meeting.starts_at.date() + datetime.timedelta(days=30)
    return {
        "at_risk": list(annotated.filter(at_risk=True).order_by("code")[:50]),
        "changed": list(
            annotated.filter(Q(updated__gte=since) | Q(last_progress_on__gte=since.date()))
            .distinct()
            .order_by("code")[:50]
        ),
        "tasks_due": list(
            Task.objects.filter(
                territory_id=meeting.territory_id, status=TaskStatus.OPEN, due__lte=horizon
            )
            # Tasks of the plan, and those agreed by this platform: another platform's
            # decisions stay with its members.
            .filter(
                Q(decision__isnull=True) | Q(decision__meeting__platform_id=meeting.platform_id)
            )
            .select_related("owner_organisation", "owner_person", "measure")
            .order_by("due", "pk")[:50]
        ),
        "since": since,
    }


def follow_up(meeting: Meeting) -> list[Task]:
    """Open tasks agreed at earlier meetings of the same platform."""
    return list(
        Task.objects.filter(
            decision__meeting__platform_id=meeting.platform_id,
            decision__meeting__starts_at__lt=meeting.starts_at,
            status=TaskStatus.OPEN,
        )
        .select_related("owner_organisation", "owner_person", "decision__meeting", "measure")
        .order_by("due", "pk")
    )


# --- during and after the meeting -------------------------------------------------------


def _member_organisation_ids(meeting: Meeting) -> set[int]:
    return set(meeting.platform.member_organisations.values_list("pk", flat=True))


def _organisation_for(person, member_ids: set[int]):
    """The organisation a person's attendance counts for: one that is a platform member."""
    organisations = list(person.organisations.all())
    member = next((o for o in organisations if o.pk in member_ids), None)
    return member or next(iter(organisations), None)


@transaction.atomic
def do_record_attendance(meeting: Meeting, *, statuses: dict, acting_user) -> None:
    """Set each person's attendance ({person: status}); their first organisation is kept."""
    _refuse_locked(meeting)
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    existing = {a.person_id: a for a in meeting.attendances.all()}
    members = _member_organisation_ids(meeting)
    for person, status in statuses.items():
        if person.territory_id != meeting.territory_id:
            raise ValidationError(_("Choose people of this territory."))
        attendance = existing.get(person.pk)
        if attendance is None:
            Attendance.objects.create(
                territory_id=meeting.territory_id,
                meeting=meeting,
                person=person,
                organisation=_organisation_for(person, members),
                status=status,
            )
        elif attendance.status != status:
            attendance.status = status
            attendance.save(update_fields=["status"])


@transaction.atomic
def do_respond(meeting: Meeting, *, person, answer: str, acting_user) -> Attendance:
    """A member answers an invitation: attending or excused."""
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError(_("This meeting no longer takes answers."))
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    attendance = Attendance.objects.filter(meeting=meeting, person=person).first()
    if attendance is not None:
        # The organisation the person was invited for stays: it is what attendance counts.
        attendance.status = answer
        attendance.save(update_fields=["status"])
        return attendance
    return Attendance.objects.create(
        territory_id=meeting.territory_id,
        meeting=meeting,
        person=person,
        organisation=_organisation_for(person, _member_organisation_ids(meeting)),
        status=answer,
    )


@transaction.atomic
def do_add_decision(
    meeting: Meeting, *, text: str, agenda_item=None, task=None, acting_user
) -> Decision:
    """Record a decision; `task` (an unsaved plans.Task) follows it up when given."""
    _refuse_locked(meeting)
    decision = Decision.objects.create(
        territory_id=meeting.territory_id, meeting=meeting, agenda_item=agenda_item, text=text
    )
    if task is not None:
        from spolu.plans.services import do_save_task

        task.territory_id = meeting.territory_id
        task.decision = decision
        do_save_task(task, acting_user=acting_user)
    return decision


@transaction.atomic
def do_close_meeting(meeting: Meeting, *, acting_user) -> Meeting:
    """The meeting was held and its minutes are written: send them to the members."""
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.HELD):
        raise ValidationError(_("This meeting cannot be closed."))
    meeting.status = MeetingStatus.HELD
    # The first closing dates the minutes; sending them again does not move that date.
    meeting.closed_at = meeting.closed_at or timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    from .minutes import do_send_minutes

    do_send_minutes(meeting, acting_user=acting_user)
    return meeting


@transaction.atomic
def do_approve_minutes(meeting: Meeting, *, acting_user) -> Meeting:
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError(_("Only the minutes of a held meeting can be approved."))
    moved = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.HELD).update(
        status=MeetingStatus.APPROVED, approved_at=timezone.now()
    )
    if not moved:
        raise ValidationError(_("Someone else changed the meeting meanwhile."))
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def do_add_correction(meeting: Meeting, *, text: str, acting_user) -> Correction:
    if meeting.status != MeetingStatus.APPROVED:
        raise ValidationError(_("Corrections are for approved minutes; edit the minutes instead."))
    return Correction.objects.create(
        territory_id=meeting.territory_id, meeting=meeting, text=text, author=acting_user
    )
