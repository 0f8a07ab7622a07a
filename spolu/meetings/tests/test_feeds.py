"""The private calendar feed: what it lists, how it is refused, and the page that manages it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from icalendar import Calendar

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.meetings.feeds import platforms_for_user
from spolu.meetings.models import AgendaItem, CalendarFeed

from .builders import make_meeting, make_platform

SOON = timezone.now() + datetime.timedelta(days=7)


def make_feed(user, **fields):
    return CalendarFeed.objects.create(user=user, **fields)


def feed_path(feed):
    return reverse("calendar:feed", kwargs={"token": feed.token})


def uids(response):
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]) for event in calendar.walk("VEVENT")}


def uid(meeting):
    return f"meeting-{meeting.pk}@127.0.0.1"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def platforms(cast):
    """a_partner's ways into platforms of A, platforms they are not in, and one of B."""
    a, b = cast.territory_a, cast.territory_b
    partner = cast.user("a_partner")
    school = make_organisation(a, name="ZŠ Alfov")
    me = make_person(a, "Petra Partnerová", user=partner, organisations=[school])
    # The same account recorded in B (no membership there): must not open B's platforms.
    me_in_b = make_person(b, "Petra Partnerová", user=partner)
    other = make_person(a, "Ota Jiný")
    result = {
        "as_person": make_platform(a, name="Jako osoba", people=[me]),
        "as_organisation": make_platform(a, name="Přes školu", members=[school]),
        "as_facilitator": make_platform(a, name="Vedu", facilitator=me),
        "not_mine": make_platform(a, name="Cizí", people=[other]),
        "territory_b": make_platform(b, name="Zespół", people=[me_in_b]),
    }
    return result


def test_platforms_follow_membership_in_each_territory(cast, platforms):
    with scopes_disabled():
        mine = {p.name for p in platforms_for_user(cast.user("a_partner"))}
        coordinators = {p.name for p in platforms_for_user(cast.user("a_coordinator"))}
        nobodys = list(platforms_for_user(cast.user("nobody")))
    assert mine == {"Jako osoba", "Přes školu", "Vedu"}
    assert coordinators == {"Jako osoba", "Přes školu", "Vedu", "Cizí"}
    assert nobodys == []


def test_a_person_who_left_no_longer_opens_the_platform(cast, platforms):
    with scope(territory=cast.territory_a):
        me = cast.user("a_partner").people.get()
        me.has_left = True
        me.save(update_fields=["has_left"])
    with scopes_disabled():
        mine = {p.name for p in platforms_for_user(cast.user("a_partner"))}
    # A facilitator who has left no longer runs or sees the platform either.
    assert mine == set()


def test_feed_lists_only_the_users_meetings_as_valid_icalendar(cast, client, platforms):
    meetings = {key: make_meeting(platform, starts_at=SOON) for key, platform in platforms.items()}
    old = make_meeting(platforms["as_person"], starts_at=timezone.now() - datetime.timedelta(400))
    cancelled = make_meeting(
        platforms["as_person"], starts_at=SOON + datetime.timedelta(days=7), status="cancelled"
    )
    with scope(territory=cast.territory_a):
        AgendaItem.objects.create(
            territory=cast.territory_a,
            meeting=meetings["as_person"],
            kind="topic",
            title="Přehled plánu",
            minutes="<p>Secret minutes</p>",
        )
    feed = make_feed(cast.user("a_partner"))

    response = client.get(feed_path(feed))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == "-//Spolu//EN"
    assert "METHOD" not in calendar
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Prague"]
    assert uids(response) == {
        uid(meetings["as_person"]),
        uid(meetings["as_organisation"]),
        uid(meetings["as_facilitator"]),
        uid(cancelled),
    }
    assert uid(old) not in uids(response)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert events[uid(cancelled)]["STATUS"] == "CANCELLED"
    assert events[uid(meetings["as_person"])]["DESCRIPTION"] == "1. Přehled plánu"
    assert b"Secret minutes" not in response.content


def test_coordinator_of_two_territories_gets_both_time_zones(cast, client, platforms):
    from spolu.core.testing import add_member

    coordinator = cast.user("a_coordinator")
    add_member(cast.territory_b, coordinator, "team")
    make_meeting(platforms["not_mine"], starts_at=SOON)
    make_meeting(platforms["territory_b"], starts_at=SOON)
    response = client.get(feed_path(make_feed(coordinator)))
    calendar = Calendar.from_ical(response.content)
    assert sorted(tz["TZID"] for tz in calendar.walk("VTIMEZONE")) == [
        "Europe/Prague",
        "Europe/Warsaw",
    ]
    assert len(calendar.walk("VEVENT")) == 2


@pytest.mark.parametrize("size", [2, 20])
def test_feed_query_count_is_fixed(cast, client, platforms, django_assert_num_queries, size):
    for i in range(size):
        meeting = make_meeting(platforms["as_person"], starts_at=SOON + datetime.timedelta(i))
        with scope(territory=cast.territory_a):
            for position in range(2):
                AgendaItem.objects.create(
                    territory=cast.territory_a,
                    meeting=meeting,
                    position=position,
                    kind="topic",
                    title=f"Bod {position}",
                )
    feed = make_feed(cast.user("a_partner"))
    # 1 the feed and its user, 2 the meetings (platforms as a subquery), 3 agenda items
    with django_assert_num_queries(3):
        response = client.get(feed_path(feed))
    assert len(uids(response)) == size


def test_revoked_and_unknown_tokens_answer_404(cast, client, platforms):
    make_meeting(platforms["as_person"], starts_at=SOON)
    revoked = make_feed(cast.user("a_partner"), revoked=timezone.now())
    assert client.get(feed_path(revoked)).status_code == 404
    assert client.get("/calendar/no-such-token.ics").status_code == 404
    inactive = cast.user("a_team")
    feed = make_feed(inactive)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    assert client.get(feed_path(feed)).status_code == 404


def test_settings_page_needs_login(client):
    response = client.get(reverse("calendar:settings"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_settings_page_creates_and_revokes_the_address(cast, client_for):
    user = cast.user("a_viewer")
    client = client_for(user)
    page = reverse("calendar:settings")

    response = client.get(page)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert 'value="create"' in response.content.decode()

    response = client.post(page, {"action": "create"}, follow=True)
    feed = CalendarFeed.objects.get(user=user)
    address = "http://127.0.0.1:8000" + feed_path(feed)
    content = response.content.decode()
    assert address in content
    assert '<label for="feed-url">' in content
    # Asking again keeps the same address.
    client.post(page, {"action": "create"})
    assert CalendarFeed.objects.filter(user=user).count() == 1
    assert client.get(feed_path(feed)).status_code == 200

    response = client.post(page, {"action": "revoke"}, follow=True)
    feed.refresh_from_db()
    assert feed.revoked is not None
    assert address not in response.content.decode()
    assert client.get(feed_path(feed)).status_code == 404

    client.post(page, {"action": "create"})
    new = CalendarFeed.objects.get(user=user, revoked__isnull=True)
    assert new.token != feed.token

    assert client.post(page, {"action": "other"}).status_code == 400


def test_revoking_touches_only_ones_own_address(cast, client_for):
    mine = make_feed(cast.user("a_viewer"))
    theirs = make_feed(cast.user("a_team"))
    client_for(cast.user("a_viewer")).post(reverse("calendar:settings"), {"action": "revoke"})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked is not None and theirs.revoked is None
