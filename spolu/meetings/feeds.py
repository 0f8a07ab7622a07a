"""Private calendar feeds: a secret address per user listing the meetings of their platforms.

The lead includes `urlpatterns` at the project root as `include((feeds.urlpatterns,
"calendar"))`, which names the pages `calendar:feed` and `calendar:settings`.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_scopes import scopes_disabled

from spolu.core.access import login_view, public_view
from spolu.core.permissions import Role, role_can
from spolu.territories.models import Membership

from .invitations import absolute_url, calendar_of, meeting_event
from .models import CalendarFeed, Meeting, Platform

FEED_PAST_DAYS = 365
FEED_MAX_MEETINGS = 500
# Calendar apps poll the address; they may reuse an answer for this long.
FEED_MAX_AGE_SECONDS = 300


def platforms_for_user(user):
    """The platforms whose meetings the user sees, in every territory they are a member of.

    The same rule as `access.visible_platforms`, which needs a request resolved to one
    territory: the feed address names no territory, only a token, so the rule is applied to
    all the user's memberships at once. That query crosses territories, hence
    `scopes_disabled()`; what keeps it from leaking is that every branch starts from the
    user's own `Membership` rows — a platform of a territory where the user has no
    membership can never match, whatever people or organisations point at it.
    """
    managing_roles = [role for role in Role.values if role_can(role, "meetings.manage")]
    with scopes_disabled():
        member_of = Membership.objects.filter(user=user).values("territory")
        manages = member_of.filter(role__in=managing_roles)
        return (
            Platform.objects.filter(territory__in=member_of)
            .filter(
                Q(territory__in=manages)
                | Q(member_people__user=user, member_people__has_left=False)
                | Q(
                    member_organisations__people__user=user,
                    member_organisations__people__has_left=False,
                )
                | Q(facilitator__user=user, facilitator__has_left=False)
            )
            .distinct()
        )


def feed_meetings(user) -> list[Meeting]:
    """The user's meetings for the feed: the last year and what is planned, newest first.

    Two queries whatever the number of meetings: the meetings (the user's memberships and
    platforms as subqueries), then their agenda items.
    """
    since = timezone.now() - datetime.timedelta(days=FEED_PAST_DAYS)
    with scopes_disabled():
        return list(
            Meeting.objects.filter(
                platform__in=platforms_for_user(user).values("pk"), starts_at__gte=since
            )
            .select_related("platform", "territory")
            .prefetch_related("agenda_items")
            .order_by("-starts_at")[:FEED_MAX_MEETINGS]
        )


@public_view
def calendar_feed(request, token):
    """The feed itself: anyone with the address may read it, a revoked address answers 404.

    Queries: the feed with its user, the meetings, their agenda items.
    """
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, revoked__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    calendar = calendar_of([meeting_event(meeting) for meeting in feed_meetings(feed.user)])
    calendar.add("x-wr-calname", "Spolu")
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = f"private, max-age={FEED_MAX_AGE_SECONDS}"
    response["X-Robots-Tag"] = "noindex"
    return response


def active_feed(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked__isnull=True).order_by("-created").first()


@transaction.atomic
def do_create_calendar_feed(user) -> CalendarFeed:
    """The user's feed address: the current one, or a new secret token if there is none."""
    return active_feed(user) or CalendarFeed.objects.create(user=user)


def do_revoke_calendar_feeds(user) -> int:
    """Make the user's feed addresses answer 404 from now on; returns how many were active."""
    return CalendarFeed.objects.filter(user=user, revoked__isnull=True).update(
        revoked=timezone.now()
    )


def feed_url(feed) -> str:
    return absolute_url(reverse("calendar:feed", kwargs={"token": feed.token}))


@login_view
@require_http_methods(["GET", "POST"])
def calendar_settings(request):
    """The user's own feed address, with buttons to create it and to revoke it."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            do_create_calendar_feed(request.user)
            messages.success(request, _("Your calendar address is ready."))
        elif action == "revoke":
            do_revoke_calendar_feeds(request.user)
            messages.success(
                request,
                _("The address was revoked: calendars that use it no longer receive meetings."),
            )
        else:
            return HttpResponseBadRequest()
        return redirect("calendar:settings")
    feed = active_feed(request.user)
    response = render(
        request,
        "meetings/calendar_settings.html",
        {"feed": feed, "feed_url": feed_url(feed) if feed else ""},
    )
    # The page shows a secret address.
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("calendar/settings/", calendar_settings, name="settings"),
    path("calendar/<str:token>.ics", calendar_feed, name="feed"),
]
