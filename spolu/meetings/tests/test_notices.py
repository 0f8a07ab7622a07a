"""Agreements and announcements: who sees them, versions in effect, e-mails and the digest."""

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from spolu.actors.tests.factories import make_person
from spolu.core.permissions import Role
from spolu.core.testing import add_member
from spolu.meetings import notices
from spolu.meetings.models import Agreement, AgreementVersion, Announcement, MeetingStatus

from .builders import make_meeting, make_platform, member_setup

SITE = "https://spolu.example.org"
SECRET_TEXT = "A pupil is referred by the school head within three days"
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def url(name, *args, territory="alfov"):
    return reverse(f"meetings:{name}", args=[territory, *args])


def add_agreement(territory, platform=None, *, title="Referral to the counselling centre", **kw):
    kw.setdefault("text", SECRET_TEXT)
    kw.setdefault("effective_from", TODAY - 30 * DAY)
    with scope(territory=territory):
        return notices.do_add_agreement(
            territory, title=title, platform=platform, acting_user=None, **kw
        )


def add_version(agreement, effective_from, text="Version text", **kw):
    with scope(territory=agreement.territory):
        return notices.do_add_agreement_version(
            agreement, text=text, effective_from=effective_from, acting_user=None, **kw
        )


def add_announcement(territory, platform=None, *, title="News", category="legislation"):
    with scope(territory=territory):
        return notices.do_add_announcement(
            territory,
            category=category,
            title=title,
            text="The text of the news",
            platform=platform,
            acting_user=None,
        )


@pytest.fixture
def group(cast):
    """member_setup's platform (a_partner is a member) facilitated by a_school's person."""
    platform, school, partner = member_setup(cast)
    facilitator = make_person(
        cast.territory_a, "Fanda Facilitátor", user=cast.user("a_school"), email="f@example.org"
    )
    with scope(territory=cast.territory_a):
        platform.facilitator = facilitator
        platform.save(update_fields=["facilitator"])
    return platform, school, partner


# --- agreements: who sees them -----------------------------------------------------------


@pytest.mark.parametrize(
    "user, status",
    [
        ("a_coordinator", 200),
        ("a_partner", 200),
        ("a_school", 200),
        ("a_viewer", 404),
        ("b_coordinator", 404),
        ("nobody", 404),
    ],
)
def test_platform_agreement_is_seen_by_its_members_only(cast, client_for, group, user, status):
    platform, _school, _partner = group
    agreement = add_agreement(cast.territory_a, platform)
    response = client_for(cast.user(user)).get(url("agreement-detail", agreement.pk))
    assert response.status_code == status


def test_agreement_list_shows_own_platforms_and_the_whole_territory(cast, client_for, group):
    platform, _school, _partner = group
    add_agreement(cast.territory_a, platform, title="Platform procedure")
    add_agreement(cast.territory_a, None, title="Territory procedure")
    other = make_platform(cast.territory_a, name="Other group")
    add_agreement(cast.territory_a, other, title="Procedure of others")

    def titles(user):
        response = client_for(cast.user(user)).get(url("agreement-list"))
        return {a.title.split()[0] for a in response.context["page_obj"]}

    assert titles("a_partner") == {"Platform", "Territory"}
    assert titles("a_viewer") == {"Territory"}
    assert titles("a_team") == {"Platform", "Territory", "Procedure"}


def test_other_territory_and_anonymous_are_refused(cast, client, client_for):
    agreement = add_agreement(cast.territory_a)
    response = client.get(url("agreement-detail", agreement.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    outsider = client_for(cast.user("b_coordinator"))
    assert outsider.get(url("agreement-list")).status_code == 404
    # The object of A asked for through the outsider's own territory is not found either.
    assert outsider.get(url("agreement-detail", agreement.pk, territory="betow")).status_code == 404
    assert (
        outsider.get(url("agreement-version-add", agreement.pk, territory="betow")).status_code
        == 404
    )


def test_text_is_shown_as_plain_text_and_hidden_meetings_are_not_linked(cast, client_for, group):
    platform, _school, _partner = group
    held = make_meeting(platform, status=MeetingStatus.HELD)
    agreement = add_agreement(cast.territory_a, text="<script>alert(1)</script>", adopted_at=held)
    meeting_link = url("meeting-detail", held.pk)
    member = client_for(cast.user("a_partner")).get(url("agreement-detail", agreement.pk))
    html = member.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert meeting_link in html
    # a_viewer reads the territory-wide agreement but not the platform that adopted it.
    viewer = client_for(cast.user("a_viewer")).get(url("agreement-detail", agreement.pk))
    assert viewer.status_code == 200 and meeting_link not in viewer.content.decode()


# --- agreements: versions ------------------------------------------------------------------


def test_versions_are_numbered_and_split_into_current_upcoming_and_former(cast, client_for):
    agreement = add_agreement(
        cast.territory_a, text="First wording", effective_from=TODAY - 60 * DAY
    )
    second = add_version(agreement, TODAY - 10 * DAY, text="Second wording")
    third = add_version(agreement, TODAY + 10 * DAY, text="Third wording")
    assert (second.number, third.number) == (2, 3)

    with scope(territory=cast.territory_a):
        versions = list(agreement.versions.order_by("-number"))
    current, upcoming, former = notices.split_versions(versions, TODAY)
    assert current.number == 2
    assert [v.number for v in upcoming] == [3]
    assert [v.number for v in former] == [1]

    client = client_for(cast.user("a_viewer"))
    html = client.get(url("agreement-detail", agreement.pk)).content.decode()
    in_effect = html.split('id="current-heading"')[1].split('id="upcoming-heading"')[0]
    assert "Second wording" in in_effect and "Third wording" not in in_effect
    assert "Third wording" in html.split('id="upcoming-heading"')[1].split('id="former-heading"')[0]
    assert "First wording" in html.split('id="former-heading"')[1]

    listing = client.get(url("agreement-list"))
    [row] = listing.context["page_obj"].object_list
    assert (row.current_number, row.current_since) == (2, TODAY - 10 * DAY)
    assert (row.upcoming_number, row.upcoming_from) == (3, TODAY + 10 * DAY)


def test_a_version_cannot_take_effect_before_the_previous_one(cast):
    agreement = add_agreement(cast.territory_a, effective_from=TODAY)
    with pytest.raises(ValidationError) as error:
        add_version(agreement, TODAY - DAY)
    assert "effective_from" in error.value.message_dict
    with scope(territory=cast.territory_a):
        assert agreement.versions.count() == 1


def test_a_version_is_adopted_at_a_held_meeting_of_its_platform(cast, group):
    platform, _school, _partner = group
    agreement = add_agreement(cast.territory_a, platform)
    held = make_meeting(platform, status=MeetingStatus.HELD)
    planned = make_meeting(platform, starts_at=held.starts_at + 7 * DAY)
    elsewhere = make_meeting(make_platform(cast.territory_a, name="X"), status="held")
    for meeting in (planned, elsewhere):
        with pytest.raises(ValidationError) as error:
            add_version(agreement, TODAY, adopted_at=meeting)
        assert "adopted_at" in error.value.message_dict
    assert add_version(agreement, TODAY, adopted_at=held).adopted_at == held


def test_version_numbers_are_unique_in_the_database(cast):
    from django.db import IntegrityError, transaction

    agreement = add_agreement(cast.territory_a)
    with scope(territory=cast.territory_a), pytest.raises(IntegrityError), transaction.atomic():
        AgreementVersion.objects.create(
            territory=cast.territory_a,
            agreement=agreement,
            number=1,
            text="Duplicate",
            effective_from=TODAY,
        )


def test_publishing_e_mails_the_members_title_version_and_link_only(
    cast, client_for, group, django_capture_on_commit_callbacks
):
    platform, school, _partner = group
    make_person(cast.territory_a, "Staff", organisations=[school], email="staff@example.org")
    make_person(
        cast.territory_a, "Left", organisations=[school], email="l@example.org", has_left=True
    )
    make_person(cast.territory_a, "Outsider", email="out@example.org")
    agreement = add_agreement(cast.territory_a, platform)
    held = make_meeting(platform, status=MeetingStatus.HELD)
    client = client_for(cast.user("a_school"))  # the facilitator
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("agreement-version-add", agreement.pk),
            {
                "text": "New secret wording",
                "effective_from": (TODAY + 5 * DAY).isoformat(),
                "adopted_at": held.pk,
                "publish": "on",
            },
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == [
        "f@example.org",
        "petra@example.org",
        "staff@example.org",
    ]
    message = mail.outbox[0]
    link = f"{SITE}/t/alfov/agreements/{agreement.pk}/"
    assert agreement.title in message.subject + message.body
    assert link in message.body and "2" in message.subject
    assert "secret" not in message.body and SECRET_TEXT not in message.body


def test_saving_without_publishing_sends_nothing(cast, group, django_capture_on_commit_callbacks):
    platform, _school, _partner = group
    with django_capture_on_commit_callbacks(execute=True):
        add_agreement(cast.territory_a, platform)
    assert mail.outbox == []


# --- agreements: who may add them ----------------------------------------------------------


def test_viewer_cannot_add_agreements(cast, client_for):
    agreement = add_agreement(cast.territory_a)
    client = client_for(cast.user("a_viewer"))
    assert client.get(url("agreement-add")).status_code == 403
    assert client.post(url("agreement-add"), {"title": "X"}).status_code == 403
    assert client.get(url("agreement-version-add", agreement.pk)).status_code == 403
    assert "New agreement" not in client.get(url("agreement-list")).content.decode()


def test_facilitator_adds_agreements_for_own_platform_only(cast, client_for, group):
    platform, _school, _partner = group
    other = make_platform(cast.territory_a, name="Other group")
    client = client_for(cast.user("a_school"))
    data = {"title": "Acute situation", "text": "Call 155", "effective_from": TODAY.isoformat()}
    # Neither the whole territory nor someone else's platform.
    for choice in ("", other.pk):
        response = client.post(url("agreement-add"), {**data, "platform": choice})
        assert response.status_code == 200 and response.context["form"].errors["platform"]
    response = client.post(url("agreement-add"), {**data, "platform": platform.pk})
    with scope(territory=cast.territory_a):
        agreement = Agreement.objects.get(title="Acute situation")
        assert agreement.platform == platform
        assert agreement.versions.get().number == 1
    assert response["Location"] == url("agreement-detail", agreement.pk)
    # A territory-wide agreement is the team's: the facilitator cannot add a version to it.
    territory_wide = add_agreement(cast.territory_a)
    assert client.get(url("agreement-version-add", territory_wide.pk)).status_code == 403
    assert client.get(url("agreement-version-add", agreement.pk)).status_code == 200


def test_member_who_is_not_facilitator_cannot_add_a_version(cast, client_for, group):
    platform, _school, _partner = group
    agreement = add_agreement(cast.territory_a, platform)
    client = client_for(cast.user("a_partner"))
    assert client.get(url("agreement-detail", agreement.pk)).status_code == 200
    assert client.get(url("agreement-version-add", agreement.pk)).status_code == 403


def test_agreement_form_keeps_input_and_shows_errors(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        url("agreement-add"), {"title": "Kept title", "text": "Kept text", "effective_from": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept title"' in html and "Kept text" in html
    assert "This field is required." in html


def test_new_version_form_starts_from_the_latest_text(cast, client_for):
    agreement = add_agreement(cast.territory_a, text="Latest wording")
    client = client_for(cast.user("a_team"))
    response = client.get(url("agreement-version-add", agreement.pk))
    assert "Latest wording" in response.content.decode()
    response = client.post(
        url("agreement-version-add", agreement.pk),
        {"text": "Earlier", "effective_from": (TODAY - 365 * DAY).isoformat()},
    )
    assert response.status_code == 200 and response.context["form"].errors["effective_from"]


@pytest.mark.parametrize("size", [2, 20])
def test_agreement_pages_query_count_is_fixed(
    cast, client_for, group, django_assert_num_queries, size
):
    platform, _school, _partner = group
    held = make_meeting(platform, status=MeetingStatus.HELD)
    for i in range(size):
        agreement = add_agreement(cast.territory_a, platform if i % 2 else None, title=f"A{i}")
        for day in range(size):
            add_version(agreement, TODAY - (30 - day) * DAY, adopted_at=held if i % 2 else None)
    client = client_for(cast.user("a_partner"))
    # session, user, memberships (also the switcher's), own organisations, count, page of agreements
    # with their versions in effect, the facilitated platforms (may add)
    with django_assert_num_queries(7):
        assert client.get(url("agreement-list")).status_code == 200
    # session, user, membership, own organisations, the agreement, its versions with
    # meetings, visible platforms (meeting links), the territory switcher
    with django_assert_num_queries(7):
        assert client.get(url("agreement-detail", agreement.pk)).status_code == 200


# --- announcements -------------------------------------------------------------------------


def test_announcements_list_shows_what_the_user_sees_and_filters_by_category(
    cast, client_for, group
):
    platform, _school, _partner = group
    add_announcement(cast.territory_a, None, title="Territory law", category="legislation")
    add_announcement(cast.territory_a, platform, title="Platform grant", category="funding")
    add_announcement(cast.territory_a, make_platform(cast.territory_a, name="X"), title="Hidden")
    add_announcement(cast.territory_b, None, title="Betów news")

    def titles(user, **query):
        response = client_for(cast.user(user)).get(url("announcement-list"), query)
        return {a.title for a in response.context["page_obj"]}

    assert titles("a_partner") == {"Territory law", "Platform grant"}
    assert titles("a_viewer") == {"Territory law"}
    assert titles("a_partner", category="funding") == {"Platform grant"}
    assert titles("a_coordinator") == {"Territory law", "Platform grant", "Hidden"}


def test_announcement_list_is_paged(cast, client_for):
    for i in range(30):
        add_announcement(cast.territory_a, title=f"N{i}")
    client = client_for(cast.user("a_viewer"))
    first = client.get(url("announcement-list"))
    assert len(first.context["page_obj"]) == 25
    assert len(client.get(url("announcement-list"), {"page": 2}).context["page_obj"]) == 5


def test_viewer_cannot_announce(cast, client_for):
    client = client_for(cast.user("a_viewer"))
    assert client.get(url("announcement-add")).status_code == 403
    data = {"category": "event", "title": "X", "text": "Y"}
    assert client.post(url("announcement-add"), data).status_code == 403
    with scope(territory=cast.territory_a):
        assert not Announcement.objects.exists()


def test_facilitator_announces_for_own_platform_and_e_mails_its_members(
    cast, client_for, group, django_capture_on_commit_callbacks
):
    platform, _school, _partner = group
    client = client_for(cast.user("a_school"))
    data = {"category": "event", "title": "Open day", "text": "Secret details", "email_now": "on"}
    response = client.post(url("announcement-add"), {**data, "platform": ""})
    assert response.status_code == 200 and response.context["form"].errors["platform"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("announcement-add"), {**data, "platform": platform.pk})
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["f@example.org", "petra@example.org"]
    assert "Open day" in mail.outbox[0].subject
    assert f"{SITE}/t/alfov/announcements/#announcement-" in mail.outbox[0].body
    assert "Secret details" not in mail.outbox[0].body


def test_team_announces_to_the_whole_territory(
    cast, client_for, django_capture_on_commit_callbacks
):
    client = client_for(cast.user("a_team"))
    data = {"category": "legislation", "title": "New law", "text": "…", "platform": ""}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("announcement-add"), {**data, "email_now": "on"})
    addresses = {m.to[0] for m in mail.outbox}
    assert "a-viewer@example.org" in addresses and len(addresses) == len(Role.values)
    assert not any(a.startswith("b-") for a in addresses)


def _home_request(cast, user):
    request = RequestFactory().get("/")
    request.user = cast.user(user)
    request.territory = cast.territory_a
    with scope(territory=cast.territory_a):
        request.role = request.user.memberships.get(territory=cast.territory_a).role
    return request


@pytest.mark.parametrize("size", [2, 20])
def test_home_announcements_take_a_fixed_number_of_queries(
    cast, group, django_assert_num_queries, size
):
    platform, _school, _partner = group
    for i in range(size):
        add_announcement(cast.territory_a, platform if i % 2 else None, title=f"N{i}")
    add_announcement(cast.territory_a, make_platform(cast.territory_a, name="X"), title="Hidden")
    member = _home_request(cast, "a_partner")
    team = _home_request(cast, "a_team")
    with scope(territory=cast.territory_a):
        with django_assert_num_queries(2):  # own organisations, announcements with platforms
            shown = notices.announcements_for_home(member)
            assert [a.platform.name if a.platform else "" for a in shown]
        assert len(shown) == min(size, 5) and "Hidden" not in {a.title for a in shown}
        with django_assert_num_queries(1):
            assert notices.announcements_for_home(team, limit=3)[0].title == "Hidden"


@pytest.mark.parametrize("size", [2, 20])
def test_announcement_list_query_count_is_fixed(
    cast, client_for, group, django_assert_num_queries, size
):
    platform, _school, _partner = group
    for i in range(size):
        add_announcement(cast.territory_a, platform if i % 2 else None, title=f"N{i}")
    client = client_for(cast.user("a_partner"))
    # session, user, memberships (also the switcher's), own organisations, count, page of
    # announcements with platforms and authors, the facilitated platforms (may add)
    with django_assert_num_queries(7):
        assert client.get(url("announcement-list")).status_code == 200


# --- the digest ----------------------------------------------------------------------------


def _age(announcement, days):
    with scope(territory=announcement.territory):
        Announcement.objects.filter(pk=announcement.pk).update(
            published=timezone.now() - datetime.timedelta(days=days)
        )


def test_digest_sends_each_member_what_they_see_once_per_territory(cast, group):
    platform, _school, _partner = group
    add_announcement(cast.territory_a, None, title="Territory law")
    add_announcement(cast.territory_a, platform, title="Platform grant")
    _age(add_announcement(cast.territory_a, None, title="Old news"), 10)
    add_announcement(cast.territory_b, None, title="Betów news")
    # a_viewer is also a member of B: one e-mail for each territory.
    add_member(cast.territory_b, cast.user("a_viewer"), "viewer")

    call_command("send_announcement_digest", days=7, stdout=io.StringIO())

    letters = {}
    for message in mail.outbox:
        letters.setdefault(message.to[0], []).append(message.body)
    assert len(letters["a-partner@example.org"]) == 1
    partner = letters["a-partner@example.org"][0]
    assert "Territory law" in partner and "Platform grant" in partner
    assert "Old news" not in partner and "Betów news" not in partner
    assert f"{SITE}/t/alfov/announcements/#announcement-" in partner
    assert "The text of the news" not in partner
    viewer = sorted(letters["a-viewer@example.org"])
    assert len(viewer) == 2
    assert any("Territory law" in body and "Platform grant" not in body for body in viewer)
    assert any("Betów news" in body for body in viewer)
    assert "Platform grant" in letters["a-coordinator@example.org"][0]
    # Every member of A and of B got exactly one e-mail per territory.
    assert len(mail.outbox) == len(Role.values) * 2 + 1


def test_digest_sends_nothing_when_there_is_nothing_new(cast, group):
    platform, _school, _partner = group
    _age(add_announcement(cast.territory_a, platform, title="Old"), 8)
    call_command("send_announcement_digest", stdout=io.StringIO())
    assert mail.outbox == []


def test_digest_skips_members_who_see_none_of_the_news(cast, group):
    platform, _school, _partner = group
    add_announcement(cast.territory_a, platform, title="Platform only")
    sent = notices.send_digest(cast.territory_a, since=timezone.now() - 7 * DAY)
    # The team (coordinator, team), the member (partner) and the facilitator (school).
    assert sent == 4
    assert {m.to[0] for m in mail.outbox} == {
        "a-coordinator@example.org",
        "a-team@example.org",
        "a-partner@example.org",
        "a-school@example.org",
    }


def test_e_mails_are_written_in_the_territory_language(cast):
    add_announcement(cast.territory_b, None, title="Betów news")
    call_command("send_announcement_digest", stdout=io.StringIO())
    # Polish dates (d-m-Y) in Betów, whatever the language of the command's caller.
    assert mail.outbox and all(m.to[0].startswith("b-") for m in mail.outbox)
    assert timezone.localdate().strftime("%d-%m-%Y") in mail.outbox[0].body
