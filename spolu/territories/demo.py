"""Demo territory: the fictional town of Zelenov with its villages, and a Polish twin.

All names and codes are invented (codes start with 99, which no official list uses).
"""

from django.contrib.auth import get_user_model
from django_scopes import scope

from spolu.core.permissions import NetworkRole, Role

from .models import Membership, Network, NetworkMembership, Territory, TerritoryKind

DEMO_PASSWORD = "spolu-demo-2026"

CZ_VILLAGES = [
    ("999102", "Dolní Zelenov"),
    ("999103", "Habrovice"),
    ("999104", "Kamenná Lhota"),
    ("999105", "Mlýnec"),
    ("999106", "Sedlice u Zelenova"),
]
PL_VILLAGES = [("9901011", "Zielonów"), ("9901022", "Olszynka Górna"), ("9901032", "Brzozowa Wola")]

# (e-mail, full name, {territory code: role}, what the README says about them)
DEMO_USERS = [
    (
        "koordinator@zelenov.example",
        "Jana Dvořáková",
        {"9991": Role.COORDINATOR, "9901": Role.COORDINATOR},
        "coordinator (Zelenov and Zielonów)",
    ),
    ("tym@zelenov.example", "Petr Svoboda", {"9991": Role.TEAM}, "coordination team"),
    ("partner@zelenov.example", "Lucie Malá", {"9991": Role.PARTNER}, "partner organisation staff"),
    ("skola@zelenov.example", "Tomáš Říha", {"9991": Role.SCHOOL}, "school staff"),
    ("pripady@zelenov.example", "Eva Nováková", {"9991": Role.CASEWORKER}, "case worker"),
    ("vedouci@zelenov.example", "Hana Veselá", {"9991": Role.CASE_LEAD}, "head of case work"),
    ("divak@zelenov.example", "Karel Beneš", {"9991": Role.VIEWER}, "viewer"),
    (
        "koordynator@zielonow.example",
        "Agnieszka Wójcik",
        {"9901": Role.COORDINATOR},
        "coordinator (Zielonów, Poland)",
    ),
]
DEMO_NETWORK_USERS = [
    ("poradce@sit.example", "Martina Horáková", NetworkRole.ADVISOR, "network advisor"),
    ("analytik@sit.example", "Ondřej Kučera", NetworkRole.ANALYST, "network analyst"),
]


def _territory(kind, code, name, parent=None, **extra):
    territory, _ = Territory.objects.update_or_create(
        country=kind[:2].upper(),
        kind=kind,
        code=code,
        defaults={"name": name, "parent": parent, **extra},
    )
    return territory


def _user(email, full_name):
    User = get_user_model()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    return user


def load():
    kraj = _territory(TerritoryKind.CZ_KRAJ, "9999", "Ukázkový kraj")
    zelenov = _territory(
        TerritoryKind.CZ_ORP,
        "9991",
        "Zelenov",
        kraj,
        code_ruian="9990",
        slug="zelenov",
        latitude="50.40100",
        longitude="13.81200",
    )
    _territory(TerritoryKind.CZ_OBEC, "999101", "Zelenov", zelenov)
    for code, name in CZ_VILLAGES:
        _territory(TerritoryKind.CZ_OBEC, code, name, zelenov)
    wojewodztwo = _territory(TerritoryKind.PL_WOJEWODZTWO, "99", "Województwo przykładowe")
    powiat = _territory(
        TerritoryKind.PL_POWIAT,
        "9901",
        "Powiat zielonowski",
        wojewodztwo,
        slug="zielonow",
        latitude="50.91000",
        longitude="19.23000",
    )
    for code, name in PL_VILLAGES:
        _territory(TerritoryKind.PL_GMINA, code, name, powiat)
    by_code = {"9991": zelenov, "9901": powiat}

    logins = []
    for email, full_name, roles, what in DEMO_USERS:
        user = _user(email, full_name)
        for code, role in roles.items():
            territory = by_code[code]
            with scope(territory=territory):
                Membership.objects.update_or_create(
                    territory=territory, user=user, defaults={"role": role}
                )
        logins.append((email, what))

    network, _ = Network.objects.get_or_create(
        slug="sit-inkluzivnich-obci",
        defaults={
            "name": "Síť inkluzivních obcí (demo)",
            "description": "Ukázková síť obcí, které se navzájem učí.",
        },
    )
    network.territories.add(zelenov, powiat)
    for email, full_name, role, what in DEMO_NETWORK_USERS:
        user = _user(email, full_name)
        NetworkMembership.objects.update_or_create(
            network=network, user=user, defaults={"role": role}
        )
        logins.append((email, what))

    admin = _user("admin@zelenov.example", "Správce Spolu")
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    logins.append(("admin@zelenov.example", "technical administration (/admin/)"))
    return logins
