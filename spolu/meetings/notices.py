"""Agreements (versioned procedures) and announcements: services, forms, pages and e-mails.

Who sees what: an agreement or announcement of a platform is seen by those who see the
platform (`access.visible_platforms`); one without a platform by every member of the
territory. The coordination team publishes for the whole territory and every platform
(`meetings.manage` for agreements, `meetings.announce` for announcements); a facilitator
publishes for the platforms they facilitate. E-mails carry titles, dates and links, never
the text: it stays behind the login.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_scopes import scope
from django_scopes.forms import SafeModelChoiceField

from spolu.actors.models import Person
from spolu.core.access import territory_view
from spolu.core.forms import posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can
from spolu.territories.models import Membership

from .access import sees_all_platforms, visible_platforms
from .invitations import absolute_url
from .models import (
    Agreement,
    AgreementVersion,
    Announcement,
    AnnouncementCategory,
    Meeting,
    MeetingStatus,
    Platform,
)

ADOPTING_STATUSES = (MeetingStatus.HELD, MeetingStatus.APPROVED)


# --- access ------------------------------------------------------------------------------


def _platforms_seen(request):
    # visible_platforms() reads the user's organisations when called: once per request.
    if not hasattr(request, "_platforms_seen"):
        request._platforms_seen = visible_platforms(request)
    return request._platforms_seen


def _of_visible_platforms(queryset, request):
    """Rows without a platform, and rows of the platforms the user sees."""
    queryset = queryset.filter(territory=request.territory)
    if sees_all_platforms(request):
        return queryset
    return queryset.filter(Q(platform__isnull=True) | Q(platform__in=_platforms_seen(request)))


def visible_agreements(request):
    return _of_visible_platforms(Agreement.objects.all(), request)


def visible_announcements(request):
    return _of_visible_platforms(Announcement.objects.all(), request)


def get_agreement(request, pk) -> Agreement:
    """An agreement the user may read, or 404 (one of another platform is not revealed)."""
    return get_object_or_404(
        visible_agreements(request).select_related("platform__facilitator"), pk=pk
    )


def platforms_to_publish_for(request, action: str):
    """The active platforms the user may publish for: all with `action`, else their own."""
    platforms = Platform.objects.filter(territory=request.territory, active=True)
    if role_can(request.role, action):
        return platforms
    return platforms.filter(facilitator__user=request.user, facilitator__has_left=False)


def may_publish(request, platform, action: str) -> bool:
    """The team (`action`) publishes for anything; a facilitator for their platform only."""
    if role_can(request.role, action):
        return True
    if platform is None or platform.facilitator_id is None:
        return False
    return platform.facilitator.user_id == request.user.pk and not platform.facilitator.has_left


def may_publish_anything(request, action: str) -> bool:
    if role_can(request.role, action):
        return True
    return platforms_to_publish_for(request, action).exists()


# --- who gets the e-mails ----------------------------------------------------------------


def member_addresses(territory, platform) -> list[str]:
    """Where a notice is e-mailed, one address once whatever its case.

    For a platform: its member people, the people of its member organisations and its
    facilitator, with an e-mail address and not marked as left. Without a platform: every
    active user with a membership in the territory.
    """
    if platform is None:
        addresses = (
            get_user_model()
            .objects.filter(memberships__territory=territory, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    else:
        addresses = (
            Person.objects.filter(territory=territory, has_left=False)
            .exclude(email="")
            .filter(
                Q(platforms=platform)
                | Q(organisations__platforms=platform)
                | Q(pk=platform.facilitator_id)
            )
            .values_list("email", flat=True)
        )
    unique = {}
    for address in addresses:
        unique.setdefault(address.strip().lower(), address.strip())
    return sorted(unique.values(), key=str.lower)


def _send(subject: str, body: str, addresses: list[str]) -> None:
    connection = get_connection()
    # One message per address: members do not see each other's addresses.
    connection.send_messages(
        [
            EmailMessage(subject=" ".join(subject.split()), body=body, to=[address])
            for address in addresses
        ]
    )


def _agreement_url(agreement) -> str:
    return absolute_url(
        reverse(
            "meetings:agreement-detail",
            kwargs={"territory": agreement.territory.slug, "pk": agreement.pk},
        )
    )


def _announcements_url(territory) -> str:
    return absolute_url(reverse("meetings:announcement-list", kwargs={"territory": territory.slug}))


# --- agreements: services ----------------------------------------------------------------


def _check_adopting_meeting(agreement: Agreement, meeting) -> None:
    if meeting is None:
        return
    if meeting.territory_id != agreement.territory_id:
        raise ValidationError({"adopted_at": _("Choose a meeting of this territory.")})
    if meeting.status not in ADOPTING_STATUSES:
        raise ValidationError({"adopted_at": _("Choose a meeting that has taken place.")})
    if agreement.platform_id and meeting.platform_id != agreement.platform_id:
        raise ValidationError({"adopted_at": _("Choose a meeting of the agreement's platform.")})


@transaction.atomic
def do_add_agreement(
    territory,
    *,
    title: str,
    platform,
    text: str,
    effective_from: datetime.date,
    adopted_at=None,
    publish: bool = False,
    acting_user,
) -> Agreement:
    """Create an agreement with its first version."""
    if platform is not None and platform.territory_id != territory.pk:
        raise ValidationError({"platform": _("Choose a platform of this territory.")})
    agreement = Agreement(territory=territory, platform=platform, title=title.strip())
    agreement.full_clean(exclude=["territory", "platform"])
    agreement.save()
    do_add_agreement_version(
        agreement,
        text=text,
        effective_from=effective_from,
        adopted_at=adopted_at,
        publish=publish,
        acting_user=acting_user,
    )
    return agreement


@transaction.atomic
def do_add_agreement_version(
    agreement: Agreement,
    *,
    text: str,
    effective_from: datetime.date,
    adopted_at=None,
    publish: bool = False,
    acting_user,
) -> AgreementVersion:
    """Add the next version (n + 1); with `publish`, e-mail the members once it commits.

    The agreement row is locked while the number is taken, so two people adding a version
    at once get 2 and 3; the unique constraint on (agreement, number) backs it. A version
    cannot take effect before the one it follows, so the newest version in effect is always
    the one with the highest number.
    """
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_adopting_meeting(locked, adopted_at)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the text of the agreement.")})
    latest = locked.versions.order_by("-number").first()
    if latest is not None and effective_from < latest.effective_from:
        raise ValidationError(
            {
                "effective_from": _(
                    "The new version cannot take effect before version %(number)s "
                    "(effective from %(date)s)."
                )
                % {
                    "number": latest.number,
                    "date": formats.date_format(latest.effective_from, "SHORT_DATE_FORMAT"),
                }
            }
        )
    version = AgreementVersion.objects.create(
        territory_id=locked.territory_id,
        agreement=locked,
        number=latest.number + 1 if latest else 1,
        text=text,
        effective_from=effective_from,
        adopted_at=adopted_at,
    )
    if publish:
        addresses = member_addresses(locked.territory, locked.platform)
        if addresses:
            territory_id = locked.territory_id
            transaction.on_commit(
                lambda: send_agreement_notice(territory_id, version.pk, addresses), robust=True
            )
    return version


def send_agreement_notice(territory_id: int, version_id: int, addresses: list[str]) -> None:
    """E-mail that a version was adopted: title, version, date and link, not the text."""
    with scope(territory=territory_id):
        version = AgreementVersion.objects.select_related(
            "agreement__platform", "agreement__territory"
        ).get(pk=version_id)
    agreement = version.agreement
    with translation.override(agreement.territory.language):
        context = {
            "title": agreement.title,
            "number": version.number,
            "effective_from": formats.date_format(version.effective_from, "DATE_FORMAT"),
            "platform": agreement.platform.name if agreement.platform else "",
            "territory": agreement.territory.name,
            "url": _agreement_url(agreement),
        }
        subject = _("Agreement: %(title)s, version %(number)s") % context
        body = render_to_string("meetings/agreements/email_published.txt", context)
    _send(subject, body, addresses)


# --- announcements: services -------------------------------------------------------------


@transaction.atomic
def do_add_announcement(
    territory,
    *,
    category: str,
    title: str,
    text: str,
    platform=None,
    email_now: bool = False,
    acting_user,
) -> Announcement:
    """Publish an announcement; with `email_now`, e-mail the members once it commits."""
    if platform is not None and platform.territory_id != territory.pk:
        raise ValidationError({"platform": _("Choose a platform of this territory.")})
    announcement = Announcement(
        territory=territory,
        platform=platform,
        category=category,
        title=title.strip(),
        text=text.strip(),
        author=acting_user,
    )
    announcement.full_clean(exclude=["territory", "platform", "author"])
    announcement.save()
    if email_now:
        addresses = member_addresses(territory, platform)
        if addresses:
            transaction.on_commit(
                lambda: send_announcement_notice(territory.pk, announcement.pk, addresses),
                robust=True,
            )
    return announcement


def send_announcement_notice(territory_id: int, announcement_id: int, addresses) -> None:
    with scope(territory=territory_id):
        announcement = Announcement.objects.select_related("platform", "territory").get(
            pk=announcement_id
        )
    territory = announcement.territory
    with translation.override(territory.language):
        context = {
            "announcements": [_digest_line(announcement, territory)],
            "territory": territory.name,
            "list_url": _announcements_url(territory),
        }
        subject = _("Announcement: %(title)s") % {"title": announcement.title}
        body = render_to_string("meetings/announcements/email_announcement.txt", context)
    _send(subject, body, addresses)


def announcements_for_home(request, limit: int = 5) -> list[Announcement]:
    """The newest announcements the user sees, for the territory's home page.

    One query for the coordination team; two for others (their organisations, then the
    announcements), whatever the number of announcements.
    """
    return list(
        visible_announcements(request)
        .select_related("platform")
        .order_by("-published", "-pk")[:limit]
    )


# --- the digest --------------------------------------------------------------------------


@dataclass
class _Member:
    """What `access.visible_platforms` reads from a request, for a member without one."""

    user: object
    territory: object
    role: str


def _digest_line(announcement, territory) -> dict:
    list_url = _announcements_url(territory)
    return {
        "date": formats.date_format(
            timezone.localtime(announcement.published, zoneinfo.ZoneInfo(territory.time_zone)),
            "SHORT_DATE_FORMAT",
        ),
        "category": announcement.get_category_display(),
        "platform": announcement.platform.name if announcement.platform else "",
        "title": announcement.title,
        "url": f"{list_url}#announcement-{announcement.pk}",
    }


def digest_letters(territory, *, since: datetime.datetime) -> list[tuple]:
    """(user, announcements) for each member who can see an announcement published since.

    A member sees the announcements without a platform and those of the platforms that
    `access.visible_platforms` shows them, the same rule as the pages: all platforms for
    the coordination team, else the platforms they belong to as a person, through their
    organisation or as facilitator. Members whose role cannot open the meetings module, and
    inactive users or users without an e-mail address, get nothing.
    """
    with scope(territory=territory):
        recent = list(
            Announcement.objects.filter(territory=territory, published__gte=since)
            .select_related("platform")
            .order_by("-published", "-pk")
        )
        if not recent:
            return []
        platform_ids = {a.platform_id for a in recent if a.platform_id}
        memberships = (
            Membership.objects.filter(territory=territory, user__is_active=True)
            .exclude(user__email="")
            .select_related("user")
            .order_by("user__email")
        )
        letters = []
        for membership in memberships:
            member = _Member(membership.user, territory, membership.role)
            if not role_can(member.role, "meetings.view"):
                continue
            visible = platform_ids
            if platform_ids and not sees_all_platforms(member):
                visible = set(
                    visible_platforms(member)
                    .filter(pk__in=platform_ids)
                    .values_list("pk", flat=True)
                )
            seen = [a for a in recent if a.platform_id is None or a.platform_id in visible]
            if seen:
                letters.append((membership.user, seen))
    return letters


def send_digest(territory, *, since: datetime.datetime) -> int:
    """E-mail each member the announcements since `since` they see; returns the e-mails sent.

    One e-mail per user per territory, in the territory's language; none when there is
    nothing new for them.
    """
    letters = digest_letters(territory, since=since)
    if not letters:
        return 0
    messages_out = []
    with translation.override(territory.language):
        subject = _("News in %(territory)s") % {"territory": territory.name}
        for user, announcements in letters:
            context = {
                "name": user.get_full_name(),
                "territory": territory.name,
                "announcements": [_digest_line(a, territory) for a in announcements],
                "list_url": _announcements_url(territory),
            }
            body = render_to_string("meetings/email/digest.txt", context)
            messages_out.append(EmailMessage(subject=subject, body=body, to=[user.email]))
    get_connection().send_messages(messages_out)
    return len(messages_out)


# --- forms -------------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingChoiceField(SafeModelChoiceField):
    """A held meeting, shown as "Platform – date" in the territory's time zone."""

    zone = zoneinfo.ZoneInfo("Europe/Prague")

    def label_from_instance(self, meeting):
        day = formats.date_format(timezone.localtime(meeting.starts_at, self.zone), "DATE_FORMAT")
        return f"{meeting.platform.name} – {day}"


class AgreementVersionForm(forms.Form):
    text = forms.CharField(
        label=_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_lazy("Plain text; an empty line starts a new paragraph."),
    )
    effective_from = forms.DateField(label=_lazy("Effective from"), widget=DATE)
    adopted_at = MeetingChoiceField(
        queryset=Meeting.objects,
        label=_lazy("Adopted at the meeting"),
        required=False,
        empty_label=_lazy("Not adopted at a meeting"),
    )
    publish = forms.BooleanField(
        label=_lazy("Publish to the members"),
        required=False,
        help_text=_lazy(
            "The members get an e-mail with the title, the version, the date it takes effect "
            "and a link; the text stays in Spolu."
        ),
    )

    def __init__(self, *args, meetings, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adopted_at"].queryset = meetings
        self.fields["adopted_at"].zone = zoneinfo.ZoneInfo(territory.time_zone)


class AgreementForm(AgreementVersionForm):
    title = forms.CharField(label=_lazy("Title"), max_length=300)
    platform = SafeModelChoiceField(
        queryset=Platform.objects,
        label=_lazy("Platform"),
        required=False,
        empty_label=_lazy("Whole territory"),
    )

    field_order = ["title", "platform", "text", "effective_from", "adopted_at", "publish"]

    def __init__(self, *args, platforms, territory_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = platforms
        if not territory_wide:
            self.fields["platform"].required = True
            self.fields["platform"].empty_label = _lazy("Choose a platform")

    def clean(self):
        data = super().clean()
        platform, meeting = data.get("platform"), data.get("adopted_at")
        if platform and meeting and meeting.platform_id != platform.pk:
            self.add_error("adopted_at", _("Choose a meeting of the chosen platform."))
        return data


class AnnouncementForm(forms.Form):
    category = forms.ChoiceField(label=_lazy("Category"), choices=AnnouncementCategory.choices)
    title = forms.CharField(label=_lazy("Title"), max_length=300)
    text = forms.CharField(
        label=_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_lazy("Plain text; an empty line starts a new paragraph."),
    )
    platform = SafeModelChoiceField(
        queryset=Platform.objects,
        label=_lazy("For"),
        required=False,
        empty_label=_lazy("Whole territory"),
    )
    email_now = forms.BooleanField(
        label=_lazy("E-mail it to the members now"),
        required=False,
        help_text=_lazy(
            "The e-mail carries the title and a link. Without it, the members find the "
            "announcement on their home page and in the weekly digest."
        ),
    )

    def __init__(self, *args, platforms, territory_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = platforms
        if not territory_wide:
            self.fields["platform"].required = True
            self.fields["platform"].empty_label = _lazy("Choose a platform")


class AnnouncementFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_lazy("Category"),
        required=False,
        choices=[("", _lazy("All categories")), *AnnouncementCategory.choices],
    )


# --- agreement pages ---------------------------------------------------------------------


def _with_versions_in_effect(agreements, today: datetime.date):
    """Annotate the current version (newest in effect) and the next one, as subqueries."""
    current = AgreementVersion.objects.filter(
        agreement=OuterRef("pk"), effective_from__lte=today
    ).order_by("-number")
    upcoming = AgreementVersion.objects.filter(
        agreement=OuterRef("pk"), effective_from__gt=today
    ).order_by("number")
    return agreements.annotate(
        current_number=Subquery(current.values("number")[:1]),
        current_since=Subquery(current.values("effective_from")[:1]),
        upcoming_number=Subquery(upcoming.values("number")[:1]),
        upcoming_from=Subquery(upcoming.values("effective_from")[:1]),
    )


@territory_view("meetings.view")
def agreement_list(request):
    # Queries: the user's organisations (members), count, page of agreements with their
    # platform and versions in effect as subqueries, may-add check (facilitators).
    today = timezone.localdate()
    agreements = _with_versions_in_effect(
        visible_agreements(request).select_related("platform"), today
    ).order_by("title", "pk")
    context = {
        "page_obj": paginate(request, agreements),
        "may_add": may_publish_anything(request, "meetings.manage"),
    }
    return render(request, "meetings/agreements/agreement_list.html", context)


def split_versions(versions, today: datetime.date) -> tuple:
    """(current, upcoming, former) of versions ordered newest first."""
    upcoming = [v for v in versions if v.effective_from > today]
    in_effect = [v for v in versions if v.effective_from <= today]
    current = in_effect[0] if in_effect else None
    return current, list(reversed(upcoming)), in_effect[1:]


@territory_view("meetings.view")
def agreement_detail(request, pk):
    # Queries: the user's organisations, the agreement with platform and facilitator, its
    # versions with the adopting meetings, the platforms the user sees (for meeting links).
    agreement = get_agreement(request, pk)
    versions = list(agreement.versions.select_related("adopted_at__platform").order_by("-number"))
    current, upcoming, former = split_versions(versions, timezone.localdate())
    if sees_all_platforms(request):
        linkable = {v.adopted_at.platform_id for v in versions if v.adopted_at}
    else:
        linkable = set(_platforms_seen(request).values_list("pk", flat=True))
    for version in versions:
        version.meeting_visible = bool(
            version.adopted_at and version.adopted_at.platform_id in linkable
        )
    context = {
        "agreement": agreement,
        "current": current,
        "upcoming": upcoming,
        "former": former,
        "may_add_version": may_publish(request, agreement.platform, "meetings.manage"),
    }
    return render(request, "meetings/agreements/agreement_detail.html", context)


def _adopting_meetings(request, platform):
    meetings = Meeting.objects.filter(territory=request.territory, status__in=ADOPTING_STATUSES)
    if platform is not None:
        meetings = meetings.filter(platform=platform)
    else:
        meetings = meetings.filter(
            platform__in=platforms_to_publish_for(request, "meetings.manage")
        )
    return meetings.select_related("platform").order_by("-starts_at")


def _agreement_url_of(request, agreement):
    return redirect("meetings:agreement-detail", territory=request.territory.slug, pk=agreement.pk)


@territory_view("meetings.view")
def agreement_add(request):
    if not may_publish_anything(request, "meetings.manage"):
        raise PermissionDenied
    platforms = platforms_to_publish_for(request, "meetings.manage").order_by("name")
    form = AgreementForm(
        posted(request)[0],
        platforms=platforms,
        meetings=_adopting_meetings(request, None),
        territory=request.territory,
        territory_wide=role_can(request.role, "meetings.manage"),
        initial={"effective_from": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = do_add_agreement(
                request.territory,
                title=data["title"],
                platform=data["platform"],
                text=data["text"],
                effective_from=data["effective_from"],
                adopted_at=data["adopted_at"],
                publish=data["publish"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The agreement was saved."))
            return _agreement_url_of(request, agreement)
    return render(
        request, "meetings/agreements/agreement_form.html", {"form": form, "agreement": None}
    )


@territory_view("meetings.view")
def agreement_version_add(request, pk):
    agreement = get_agreement(request, pk)
    if not may_publish(request, agreement.platform, "meetings.manage"):
        raise PermissionDenied
    latest = agreement.versions.order_by("-number").first()
    form = AgreementVersionForm(
        posted(request)[0],
        meetings=_adopting_meetings(request, agreement.platform),
        territory=request.territory,
        initial={
            "text": latest.text if latest else "",
            "effective_from": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = do_add_agreement_version(
                agreement, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Version %(number)s was saved.") % {"number": version.number}
            )
            return _agreement_url_of(request, agreement)
    context = {"form": form, "agreement": agreement, "latest": latest}
    return render(request, "meetings/agreements/agreement_form.html", context)


# --- announcement pages ------------------------------------------------------------------


@territory_view("meetings.view")
def announcement_list(request):
    # Queries: the user's organisations (members), count, page of announcements with
    # platforms and authors, may-add check (facilitators).
    form = AnnouncementFilterForm(request.GET or None)
    announcements = visible_announcements(request).select_related("platform", "author")
    if form.is_valid() and form.cleaned_data["category"]:
        announcements = announcements.filter(category=form.cleaned_data["category"])
    context = {
        "form": form,
        "page_obj": paginate(request, announcements.order_by("-published", "-pk")),
        "may_add": may_publish_anything(request, "meetings.announce"),
    }
    return render(request, "meetings/announcements/announcement_list.html", context)


@territory_view("meetings.view")
def announcement_add(request):
    if not may_publish_anything(request, "meetings.announce"):
        raise PermissionDenied
    form = AnnouncementForm(
        posted(request)[0],
        platforms=platforms_to_publish_for(request, "meetings.announce").order_by("name"),
        territory_wide=role_can(request.role, "meetings.announce"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_add_announcement(request.territory, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The announcement was published."))
            return redirect("meetings:announcement-list", territory=request.territory.slug)
    return render(request, "meetings/announcements/announcement_form.html", {"form": form})


T = "t/<slug:territory>/"

urlpatterns = [
    path(T + "agreements/", agreement_list, name="agreement-list"),
    path(T + "agreements/add/", agreement_add, name="agreement-add"),
    path(T + "agreements/<int:pk>/", agreement_detail, name="agreement-detail"),
    path(
        T + "agreements/<int:pk>/versions/add/",
        agreement_version_add,
        name="agreement-version-add",
    ),
    path(T + "announcements/", announcement_list, name="announcement-list"),
    path(T + "announcements/add/", announcement_add, name="announcement-add"),
]
