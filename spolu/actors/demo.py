"""Demo actors: the offices, services and people of the fictional Zelenov and Zielonów.

Schools come from the sample register files in `demo_data/` through the real import, so the
demo shows imported organisations beside hand-entered ones. All names are invented.
"""

from pathlib import Path

from django_scopes import scope

from spolu.territories.models import Territory

from . import registers
from .models import EducationLevel, Organisation, OrganisationKind, Person, Position

DATA = Path(__file__).parent / "demo_data"
K = OrganisationKind

# (short name, name, kind, municipality code, address, lat, lon, levels)
ZELENOV_ORGANISATIONS = [
    (
        "MěÚ Zelenov",
        "Městský úřad Zelenov",
        K.MUNICIPAL_OFFICE,
        "999101",
        "Náměstí Míru 1, Zelenov",
        "50.40120",
        "13.81190",
        [],
    ),
    (
        "OŠ Zelenov",
        "Odbor školství, kultury a sportu MěÚ Zelenov",
        K.EDUCATION_DEPARTMENT,
        "999101",
        "Náměstí Míru 1, Zelenov",
        "50.40125",
        "13.81200",
        [],
    ),
    (
        "OSV Zelenov",
        "Odbor sociálních věcí MěÚ Zelenov",
        K.SOCIAL_DEPARTMENT,
        "999101",
        "Husova 12, Zelenov",
        "50.40210",
        "13.81020",
        [],
    ),
    (
        "OSPOD Zelenov",
        "Oddělení sociálně-právní ochrany dětí MěÚ Zelenov",
        K.CHILD_PROTECTION,
        "999101",
        "Husova 12, Zelenov",
        "50.40215",
        "13.81025",
        [],
    ),
    (
        "Most k sobě",
        "Most k sobě, z. s.",
        K.NGO,
        "999101",
        "Nádražní 40, Zelenov",
        "50.39820",
        "13.80610",
        [EducationLevel.PRIMARY, EducationLevel.OUT_OF_SCHOOL],
    ),
    (
        "Rodina v centru",
        "Rodina v centru, o. p. s.",
        K.NGO,
        "999102",
        "Dolní Zelenov 17",
        "50.38900",
        "13.79800",
        [EducationLevel.EARLY_CARE, EducationLevel.PRESCHOOL],
    ),
    (
        "NZDM Klubovna",
        "Nízkoprahový klub Klubovna",
        K.LOW_THRESHOLD_CLUB,
        "999101",
        "Sídliště Jih 3, Zelenov",
        "50.39500",
        "13.81900",
        [EducationLevel.OUT_OF_SCHOOL],
    ),
    (
        "ÚP Zelenov",
        "Úřad práce ČR, kontaktní pracoviště Zelenov",
        K.LABOUR_OFFICE,
        "999101",
        "Tyršova 8, Zelenov",
        "50.40330",
        "13.80880",
        [],
    ),
    (
        "MP Zelenov",
        "Městská policie Zelenov",
        K.POLICE,
        "999101",
        "Náměstí Míru 3, Zelenov",
        "50.40100",
        "13.81250",
        [],
    ),
    (
        "KÚ",
        "Krajský úřad Ukázkového kraje, odbor školství",
        K.REGIONAL_OFFICE,
        None,
        "Krajská 1, Krajské Město",
        None,
        None,
        [],
    ),
    (
        "ASZ",
        "Agentura pro sociální začleňování, regionální centrum",
        K.INCLUSION_AGENCY,
        None,
        "Krajská 20, Krajské Město",
        None,
        None,
        [],
    ),
    (
        "Knihovna Zelenov",
        "Městská knihovna Zelenov",
        K.OTHER,
        "999101",
        "Palackého 2, Zelenov",
        "50.40050",
        "13.81330",
        [EducationLevel.OUT_OF_SCHOOL],
    ),
]

ZIELONOW_ORGANISATIONS = [
    (
        "Starostwo",
        "Starostwo Powiatowe w Zielonowie",
        K.MUNICIPAL_OFFICE,
        "9901011",
        "ul. Rynek 1, Zielonów",
        "50.91010",
        "19.23050",
        [],
    ),
    (
        "PCPR",
        "Powiatowe Centrum Pomocy Rodzinie w Zielonowie",
        K.SOCIAL_DEPARTMENT,
        "9901011",
        "ul. Polna 2, Zielonów",
        "50.91200",
        "19.23300",
        [],
    ),
    (
        "Razem",
        "Stowarzyszenie Razem dla Dzieci",
        K.NGO,
        "9901022",
        "Olszynka Górna 8",
        "50.93000",
        "19.20100",
        [EducationLevel.OUT_OF_SCHOOL],
    ),
]

FIRST_NAMES = [
    "Jana",
    "Petr",
    "Marie",
    "Jiří",
    "Eva",
    "Pavel",
    "Hana",
    "Martin",
    "Lenka",
    "Tomáš",
    "Alena",
    "Jan",
    "Kateřina",
    "Michal",
    "Lucie",
    "David",
    "Zuzana",
    "Ondřej",
    "Veronika",
    "Lukáš",
]
LAST_NAMES = [
    "Nováková",
    "Dvořák",
    "Černá",
    "Procházka",
    "Kučerová",
    "Veselý",
    "Horáková",
    "Marek",
    "Pokorná",
    "Jelínek",
    "Růžičková",
    "Fiala",
    "Sedláčková",
    "Doležal",
    "Zemanová",
    "Kolář",
    "Navrátilová",
    "Čermák",
    "Urbanová",
    "Blažek",
]
PL_FIRST = ["Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Michał"]
PL_LAST = [
    "Kowalska",
    "Nowak",
    "Wiśniewska",
    "Wójcik",
    "Kamińska",
    "Lewandowski",
    "Zielińska",
    "Szymański",
]

SCHOOL_POSITIONS = [
    Position.HEAD,
    Position.EDUCATIONAL_COUNSELLOR,
    Position.PREVENTION_METHODOLOGIST,
    Position.SPECIAL_PEDAGOGUE,
]
KIND_POSITIONS = {
    K.CHILD_PROTECTION: [Position.SOCIAL_WORKER, Position.SOCIAL_WORKER, Position.HEAD],
    K.SOCIAL_DEPARTMENT: [Position.HEAD, Position.SOCIAL_WORKER],
    K.EDUCATION_DEPARTMENT: [Position.HEAD, Position.COORDINATOR],
    K.MUNICIPAL_OFFICE: [Position.COUNCILLOR, Position.COUNCILLOR],
    K.COUNSELLING_CENTRE: [Position.HEAD, Position.SCHOOL_PSYCHOLOGIST, Position.SPECIAL_PEDAGOGUE],
    K.NGO: [Position.HEAD, Position.SOCIAL_WORKER],
    K.LOW_THRESHOLD_CLUB: [Position.SOCIAL_WORKER],
}


def _organisations(territory, rows):
    by_code = {t.code: t for t in Territory.objects.filter(parent=territory)}
    for short, name, kind, code, address, lat, lon, levels in rows:
        Organisation.objects.update_or_create(
            territory=territory,
            name=name,
            defaults={
                "short_name": short,
                "kind": kind,
                "municipality": by_code.get(code),
                "address": address,
                "latitude": lat,
                "longitude": lon,
                "education_levels": levels,
            },
        )


def _import(territory, file_name, format_code):
    path = DATA / file_name
    if not path.exists():
        return
    with open(path, "rb") as fileobj:
        report = registers.plan_import(territory, fileobj, format_code)
    if report.usable:
        registers.apply_import(report, acting_user=None)


def _people(territory, first_names, last_names, domain):
    """Give each organisation its contact people, with stable invented names and e-mails."""
    count = 0
    organisations = Organisation.objects.filter(territory=territory).order_by("pk")
    for organisation in organisations:
        if organisation.kind in (K.PRIMARY_SCHOOL, K.SECONDARY_SCHOOL, K.KINDERGARTEN):
            positions = SCHOOL_POSITIONS[: 4 if organisation.kind != K.KINDERGARTEN else 2]
        else:
            positions = KIND_POSITIONS.get(organisation.kind, [Position.OTHER])
        for position in positions:
            first = first_names[count % len(first_names)]
            last = last_names[(count * 7 + 3) % len(last_names)]
            email = f"{_ascii(first)}.{_ascii(last)}{count}@{domain}"
            person, _ = Person.objects.update_or_create(
                territory=territory,
                email=email,
                defaults={"full_name": f"{first} {last}", "position": position},
            )
            person.organisations.add(organisation)
            count += 1
    return count


def _ascii(text):
    from spolu.core.fields import fold

    return fold(text).replace(" ", "")


def load():
    zelenov = Territory.objects.filter(slug="zelenov").first()
    if zelenov is not None:
        with scope(territory=zelenov):
            _organisations(zelenov, ZELENOV_ORGANISATIONS)
            _import(zelenov, "zelenov-rssz.xml", "cz_xml")
            _people(zelenov, FIRST_NAMES, LAST_NAMES, "zelenov.example")
            # The demo partner works at the NGO and may edit it.
            partner = Person.objects.filter(
                territory=zelenov, user__email="partner@zelenov.example"
            )
            if not partner.exists():
                _link_user(zelenov, "partner@zelenov.example", "Most k sobě, z. s.")
    zielonow = Territory.objects.filter(slug="zielonow").first()
    if zielonow is not None:
        with scope(territory=zielonow):
            _organisations(zielonow, ZIELONOW_ORGANISATIONS)
            _import(zielonow, "zielonow-rspo.json", "pl_rspo_json")
            _people(zielonow, PL_FIRST, PL_LAST, "zielonow.example")
    return []


def _link_user(territory, email, organisation_name):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email=email).first()
    organisation = Organisation.objects.filter(territory=territory, name=organisation_name).first()
    if user is None or organisation is None:
        return
    person, _ = Person.objects.update_or_create(
        territory=territory,
        email=email,
        defaults={"full_name": user.full_name, "position": Position.SOCIAL_WORKER, "user": user},
    )
    person.organisations.add(organisation)
