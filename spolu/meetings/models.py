"""Standing coordination groups (platforms), their meetings, agendas, minutes and follow-up."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from spolu.core.models import TenantModel


class PlatformKind(models.TextChoices):
    PLENARY = "plenary", _("Plenary working group")
    THEMATIC = "thematic", _("Thematic group")
    SCHOOL_HEADS = "school_heads", _("School heads")
    PREVENTION = "prevention", _("Prevention and counselling staff")
    COUNSELLING_SCHOOLS = "counselling_schools", _("Counselling centre and schools")
    NGO = "ngo", _("NGO platform")
    OTHER = "other", _("Other")


class Platform(TenantModel):
    """A standing group that meets regularly: its members, facilitator and rhythm."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=PlatformKind.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    organiser = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organiser"),
    )
    facilitator = models.ForeignKey(
        "actors.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facilitator"),
    )
    member_organisations = models.ManyToManyField(
        "actors.Organisation",
        blank=True,
        related_name="platforms",
        verbose_name=_("member organisations"),
    )
    member_people = models.ManyToManyField(
        "actors.Person", blank=True, related_name="platforms", verbose_name=_("member people")
    )
    # RFC 5545 recurrence rule without DTSTART, e.g. "FREQ=MONTHLY;BYDAY=+1TH".
    recurrence = models.CharField(_("recurrence"), max_length=200, blank=True)
    first_meeting = models.DateTimeField(
        _("first meeting"),
        null=True,
        blank=True,
        help_text=_("The start of the series: the recurrence counts from this date and time."),
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=90)
    default_place = models.CharField(_("usual place"), max_length=300, blank=True)
    default_online_link = models.URLField(_("usual online link"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self):
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    APPROVED = "approved", _("Minutes approved")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(TenantModel):
    """One meeting of a platform; `occurrence` ties it to its slot in the series."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("platform")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The slot of the recurrence this meeting stands for, so that moving one meeting does not
    # make the series generate it again.
    occurrence = models.DateTimeField(_("occurrence in the series"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    invitations_sent_at = models.DateTimeField(_("invitations sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("minutes closed"), null=True, blank=True)
    approved_at = models.DateTimeField(_("minutes approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "occurrence"],
                condition=models.Q(occurrence__isnull=False),
                name="meeting_unique_occurrence",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["territory", "starts_at"])]

    def __str__(self):
        return self.title or f"{self.platform} {self.starts_at:%Y-%m-%d}"

    @property
    def is_locked(self) -> bool:
        return self.status == MeetingStatus.APPROVED


class AgendaKind(models.TextChoices):
    PLAN_REVIEW = "plan_review", _("Plan review")
    FOLLOW_UP = "follow_up", _("Follow-up")
    TOPIC = "topic", _("Topic")
    INFORMATION = "information", _("Information")
    PRACTICE = "practice", _("Sharing practice")


class Topic(TenantModel):
    """A subject a member proposes for a future meeting of the platform."""

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="topics", verbose_name=_("platform")
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["created"]

    def __str__(self):
        return self.title


class AgendaItem(TenantModel):
    """An item of a meeting's agenda, with the minutes written for it."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("meeting")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=AgendaKind.choices)
    title = models.CharField(_("title"), max_length=300)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("topic"),
    )
    # Sanitised HTML (nh3) written by the minute-taker.
    minutes = models.TextField(_("minutes"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title


class AttendanceStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ATTENDING = "attending", _("Will attend")
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


class Attendance(TenantModel):
    """A person's (and through them their organisation's) answer and presence at a meeting."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("meeting")
    )
    person = models.ForeignKey(
        "actors.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.INVITED,
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["person__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_unique_person")
        ]

    def __str__(self):
        return f"{self.person} – {self.get_status_display()}"


class Decision(TenantModel):
    """What a meeting agreed; tasks created from it follow it up."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("agenda item"),
    )
    text = models.TextField(_("decision"))
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["pk"]

    def __str__(self):
        return self.text[:80]


class Correction(TenantModel):
    """A change made to approved minutes: kept beside them, never silently merged."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("meeting")
    )
    text = models.TextField(_("correction"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["created"]

    def __str__(self):
        return self.text[:80]


class Agreement(TenantModel):
    """An agreed procedure (e.g. when a school refers a child); its text lives in versions."""

    platform = models.ForeignKey(
        Platform,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("platform"),
    )
    title = models.CharField(_("title"), max_length=300)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["title"]

    def __str__(self):
        return self.title


class AgreementVersion(TenantModel):
    """One adopted wording of an agreement, effective from a date."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="versions", verbose_name=_("agreement")
    )
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    effective_from = models.DateField(_("effective from"))
    adopted_at = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="adopted_agreements",
        verbose_name=_("adopted at meeting"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique")
        ]

    def __str__(self):
        return f"{self.agreement} v{self.number}"


class AnnouncementCategory(models.TextChoices):
    LEGISLATION = "legislation", _("Legislation")
    FUNDING = "funding", _("Funding")
    EVENT = "event", _("Event")
    PRACTICE = "practice", _("Practice")


class Announcement(TenantModel):
    """News for one platform or, without a platform, for the whole territory."""

    platform = models.ForeignKey(
        Platform,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="announcements",
        verbose_name=_("platform"),
    )
    category = models.CharField(_("category"), max_length=20, choices=AnnouncementCategory.choices)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"))
    published = models.DateTimeField(_("published"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published"]

    def __str__(self):
        return self.title


def _new_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's private calendar address; revoking it makes the old address answer 404."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("user"),
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"{self.user} ({self.created:%Y-%m-%d})"
