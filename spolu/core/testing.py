"""The fixed cast of users and territories that every test suite builds on.

Territory A (with a network) and territory B each get one user per role; `nobody` has an
account but no membership. Later modules add their objects to territory A and B here.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django_scopes import scope

from spolu.core.permissions import NetworkRole, Role
from spolu.territories.models import (
    Membership,
    Network,
    NetworkMembership,
    Territory,
    TerritoryKind,
)

PASSWORD = "test-password-123"


@dataclass
class Cast:
    territory_a: Territory
    territory_b: Territory
    network_a: Network
    network_b: Network
    users: dict = field(default_factory=dict)

    def user(self, name):
        return self.users[name]


def make_user(email, full_name=""):
    return get_user_model().objects.create_user(email=email, password=PASSWORD, full_name=full_name)


def add_member(territory, user, role):
    with scope(territory=territory):
        return Membership.objects.create(territory=territory, user=user, role=role)


def make_cast() -> Cast:
    territory_a = Territory.objects.create(
        country="CZ", kind=TerritoryKind.CZ_ORP, code="9801", name="Alfov", slug="alfov"
    )
    Territory.objects.create(
        country="CZ",
        kind=TerritoryKind.CZ_OBEC,
        code="980101",
        name="Alfov-ves",
        parent=territory_a,
    )
    territory_b = Territory.objects.create(
        country="PL", kind=TerritoryKind.PL_GMINA, code="9802012", name="Betów", slug="betow"
    )
    network_a = Network.objects.create(name="Network A", slug="network-a")
    network_a.territories.add(territory_a)
    network_b = Network.objects.create(name="Network B", slug="network-b")
    network_b.territories.add(territory_b)
    cast = Cast(territory_a, territory_b, network_a, network_b)
    for prefix, territory in (("a", territory_a), ("b", territory_b)):
        for role in Role.values:
            user = make_user(f"{prefix}-{role}@example.org", f"{prefix.upper()} {role.title()}")
            add_member(territory, user, role)
            cast.users[f"{prefix}_{role}"] = user
    for prefix, network in (("a", network_a), ("b", network_b)):
        for role in NetworkRole.values:
            user = make_user(f"{prefix}-{role}@example.org")
            NetworkMembership.objects.create(network=network, user=user, role=role)
            cast.users[f"{prefix}_{role}"] = user
    cast.users["nobody"] = make_user("nobody@example.org", "No Body")
    return cast
