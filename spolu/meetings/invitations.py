"""Meeting invitations: who is invited, the iCalendar event, and the e-mails that carry it."""

import datetime
import zoneinfo
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope
from icalendar import Calendar, Event

from spolu.actors.models import Organisation, Person

from .models import Attendance, AttendanceStatus, Meeting, MeetingStatus

PRODID = "-//Spolu//EN"
ANSWERS = (AttendanceStatus.ATTENDING, AttendanceStatus.EXCUSED)


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def meeting_url(meeting) -> str:
    return absolute_url(
        reverse(
            "meetings:meeting-detail",
            kwargs={"territory": meeting.territory.slug, "pk": meeting.pk},
        )
    )


def answer_url(meeting, answer: str) -> str:
    path = reverse(
        "meetings:meeting-respond",
        kwargs={"territory": meeting.territory.slug, "pk": meeting.pk},
    )
    return absolute_url(f"{path}?answer={answer}")


def meeting_summary(meeting) -> str:
    platform = meeting.platform.name
    return f"{platform}: {meeting.title}" if meeting.title else platform


def meeting_place(meeting) -> str:
    """The place and/or online link of the meeting, else the platform's usual ones."""
    place = meeting.place or meeting.platform.default_place
    link = meeting.online_link or meeting.platform.default_online_link
    return ", ".join(part for part in (place, link) if part)


def agenda_titles(meeting) -> list[str]:
    # Titles only: minutes are never sent out of the application with an invitation.
    return [item.title for item in meeting.agenda_items.all()]


def _sequence(meeting) -> int:
    # Calendar clients keep the copy with the highest SEQUENCE. The model keeps no change
    # counter, so it is derived from what changes a meeting after the series made it.
    moved = meeting.occurrence is not None and meeting.starts_at != meeting.occurrence
    cancelled = meeting.status == MeetingStatus.CANCELLED
    return int(moved) + int(cancelled)


def meeting_event(meeting) -> Event:
    """The meeting as a VEVENT in the territory's time zone.

    Expects `platform`, `territory` and `agenda_items` loaded (select/prefetch) when called
    for many meetings.
    """
    tz = zoneinfo.ZoneInfo(meeting.territory.time_zone)
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{urlsplit(settings.SITE_URL).hostname}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting_summary(meeting))
    place = meeting_place(meeting)
    if place:
        event.add("location", place)
    event.add("url", meeting_url(meeting))
    titles = agenda_titles(meeting)
    if titles:
        event.add("description", "\n".join(f"{i}. {t}" for i, t in enumerate(titles, 1)))
    event.add("sequence", _sequence(meeting))
    cancelled = meeting.status == MeetingStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def calendar_of(events, *, method: str | None = None) -> Calendar:
    """A VCALENDAR holding `events`, with the VTIMEZONE of every time zone they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    starts = []
    for event in events:
        calendar.add_component(event)
        starts.append(event.decoded("dtstart").date())
    if starts:
        # Time zone rules only for the years the events span keep the file small.
        calendar.add_missing_timezones(
            first_date=min(starts) - datetime.timedelta(days=366),
            last_date=max(starts) + datetime.timedelta(days=366),
        )
    return calendar


def _sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _itip_method(meeting) -> str:
    return "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"


def meeting_ics(meeting) -> bytes:
    """The invitation file: METHOD:REQUEST, or METHOD:CANCEL once the meeting is cancelled."""
    event = meeting_event(meeting)
    # iTIP (RFC 5546) wants an organiser on a request; replies by calendar clients reach the
    # sending address, the answer links in the e-mail are what records them in Spolu.
    event.add("organizer", f"mailto:{_sender_address()}", parameters={"CN": "Spolu"})
    return calendar_of([event], method=_itip_method(meeting)).to_ical()


def platform_members(meeting):
    """Everyone who belongs to the meeting's platform (not left), with or without e-mail."""
    platform = meeting.platform
    return (
        Person.objects.filter(territory=meeting.territory_id, has_left=False)
        .filter(
            Q(platforms=platform)
            | Q(organisations__platforms=platform)
            | Q(pk=platform.facilitator_id)
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def invitees(meeting) -> list[Person]:
    """Who gets the invitation: member people, people of member organisations, facilitator.

    People who left or have no e-mail are skipped; one person per e-mail address (the same
    person is often recorded twice, as a member and as staff of a member organisation).
    Each person carries `invited_organisations`: their organisations that are members of the
    platform.
    """
    platform = meeting.platform
    member_organisations = Organisation.objects.filter(platforms=platform)
    people = (
        Person.objects.filter(territory=meeting.territory_id, has_left=False)
        .exclude(email="")
        .filter(
            Q(platforms=platform)
            | Q(organisations__in=member_organisations)
            | Q(pk=platform.facilitator_id)
        )
        .distinct()
        # Of two rows with one address, keep one with an account: only they can answer.
        .order_by(F("user").asc(nulls_last=True), "full_name", "pk")
        .prefetch_related(
            Prefetch(
                "organisations",
                queryset=member_organisations.order_by("name"),
                to_attr="invited_organisations",
            )
        )
    )
    unique = {}
    for person in people:
        unique.setdefault(person.email.strip().lower(), person)
    return list(unique.values())


@transaction.atomic
def do_send_invitations(meeting, *, acting_user) -> int:
    """Invite the platform's members to a planned meeting; returns the number of e-mails.

    Everyone invited gets an attendance row (status "invited") unless they already have one:
    an answer given earlier is never overwritten. The e-mails leave after the commit.
    """
    # Re-read inside the transaction: the meeting may have been cancelled or moved meanwhile.
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if current.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be invited to."), code="cancelled")
    if current.status != MeetingStatus.PLANNED or current.starts_at <= timezone.now():
        raise ValidationError(
            _("Invitations can only be sent for a meeting that has not started yet."),
            code="past",
        )
    people = invitees(meeting)
    if not people:
        raise ValidationError(
            _("Nobody can be invited: no member of the platform has an e-mail address."),
            code="no_invitees",
        )
    answered = set(Attendance.objects.filter(meeting=meeting).values_list("person_id", flat=True))
    # One audit entry (the meeting's invitations_sent_at) stands for the whole send;
    # ignore_conflicts keeps an answer recorded by a concurrent request.
    Attendance.objects.bulk_create(
        [
            Attendance(
                territory_id=meeting.territory_id,
                meeting=meeting,
                person=person,
                organisation=next(iter(person.invited_organisations), None),
                status=AttendanceStatus.INVITED,
            )
            for person in people
            if person.pk not in answered
        ],
        ignore_conflicts=True,
    )
    meeting.invitations_sent_at = timezone.now()
    meeting.save(update_fields=["invitations_sent_at"])
    person_ids = [person.pk for person in people]
    transaction.on_commit(
        lambda: send_invitation_emails(meeting.territory_id, meeting.pk, person_ids),
        robust=True,  # a mail server failure is logged, not shown as an error page
    )
    return len(people)


def send_invitation_emails(territory_id: int, meeting_id: int, person_ids: list[int]) -> None:
    """Send the invitations (after the commit; takes primary keys like a task would)."""
    with scope(territory=territory_id):
        meeting = (
            Meeting.objects.select_related("platform", "territory")
            .prefetch_related("agenda_items")
            .get(pk=meeting_id)
        )
        people = list(Person.objects.filter(pk__in=person_ids).order_by("pk"))
    ics = meeting_ics(meeting)
    method = _itip_method(meeting)
    tz = zoneinfo.ZoneInfo(meeting.territory.time_zone)
    starts = timezone.localtime(meeting.starts_at, tz)
    ends = timezone.localtime(meeting.ends_at, tz)
    context = {
        "meeting": meeting,
        "platform_name": meeting.platform.name,
        "summary": meeting_summary(meeting),
        "starts": starts,
        "ends": ends,
        "same_day": starts.date() == ends.date(),
        "place": meeting.place or meeting.platform.default_place,
        "online_link": meeting.online_link or meeting.platform.default_online_link,
        "agenda": agenda_titles(meeting),
        "meeting_url": meeting_url(meeting),
        "attending_url": answer_url(meeting, AttendanceStatus.ATTENDING),
        "excused_url": answer_url(meeting, AttendanceStatus.EXCUSED),
    }
    messages = []
    with translation.override(meeting.territory.language), timezone.override(tz):
        subject = _("Invitation: %(summary)s, %(date)s") % {
            "summary": context["summary"],
            "date": formats.date_format(starts, "DATE_FORMAT"),
        }
        subject = " ".join(subject.split())  # a line break in a name must not break the header
        for person in people:
            body = render_to_string("meetings/email/invitation.txt", {**context, "person": person})
            message = EmailMessage(subject=subject, body=body, to=[person.email])
            # Django adds "; charset=utf-8" to text attachments itself.
            message.attach("invitation.ics", ics, f"text/calendar; method={method}")
            messages.append(message)
    with get_connection() as connection:
        connection.send_messages(messages)
