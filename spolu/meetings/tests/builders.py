"""Builders for platforms and meetings in tests."""

import datetime
import zoneinfo

from django_scopes import scope

from spolu.actors.tests.factories import make_organisation, make_person

from ..models import Meeting, Platform

PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")


def make_platform(territory, *, name="Plenární skupina", members=(), people=(), **fields):
    fields.setdefault("kind", "plenary")
    with scope(territory=territory):
        platform = Platform.objects.create(territory=territory, name=name, **fields)
        platform.member_organisations.set(members)
        platform.member_people.set(people)
    return platform


def make_meeting(platform, *, starts_at=None, status="planned", **fields):
    starts_at = starts_at or datetime.datetime(2026, 12, 3, 14, 0, tzinfo=PRAGUE)
    with scope(territory=platform.territory):
        return Meeting.objects.create(
            territory=platform.territory,
            platform=platform,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=2),
            status=status,
            **fields,
        )


def member_setup(cast):
    """A platform of A whose member organisation employs a_partner; a_viewer is no member."""
    school = make_organisation(cast.territory_a, name="ZŠ Alfov")
    partner = make_person(
        cast.territory_a,
        full_name="Petra Partnerová",
        organisations=[school],
        user=cast.user("a_partner"),
        email="petra@example.org",
    )
    platform = make_platform(cast.territory_a, members=[school])
    return platform, school, partner
