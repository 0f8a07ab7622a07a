"""A small world of case parties for tests: a school, a department, NGOs, and their staff."""

from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from django_scopes import scope

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.cases import services
from spolu.cases.models import Signal


def give_totp(user) -> None:
    """The user has set up two-factor authentication (case pages require it)."""
    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )


@dataclass
class CaseWorld:
    territory: object
    school: object
    other_school: object
    department: object
    ngo: object
    other_ngo: object
    users: dict = field(default_factory=dict)

    def user(self, name):
        return self.users[name]


def make_case_world(cast, prefix="a") -> CaseWorld:
    """Organisations of territory `prefix` and the cast's users linked to them.

    - `{prefix}_school` works for `school`; `{prefix}_partner` for `ngo`;
    - `{prefix}_caseworker` and `{prefix}_case_lead` for the department;
    - the users `school2` (role school at `other_school`) and `ngo2` (partner at `other_ngo`).
    """
    from spolu.core.permissions import Role
    from spolu.core.testing import add_member, make_user

    territory = cast.territory_a if prefix == "a" else cast.territory_b
    school = make_organisation(territory, "ZŠ Lipová", kind="primary_school")
    other_school = make_organisation(territory, "ZŠ Horní", kind="primary_school")
    department = make_organisation(
        territory, "Odbor školství a sociálních věcí", kind="social_dept"
    )
    ngo = make_organisation(territory, "Spolek Most", kind="ngo")
    other_ngo = make_organisation(territory, "Labyrint o.p.s.", kind="ngo")
    world = CaseWorld(territory, school, other_school, department, ngo, other_ngo)
    links = {
        f"{prefix}_school": school,
        f"{prefix}_partner": ngo,
        f"{prefix}_caseworker": department,
        f"{prefix}_case_lead": department,
    }
    for name, organisation in links.items():
        user = cast.user(name)
        make_person(territory, name, [organisation], user=user)
        world.users[name] = user
    for name, role, organisation in (
        ("school2", Role.SCHOOL, other_school),
        ("ngo2", Role.PARTNER, other_ngo),
    ):
        user = make_user(f"{prefix}-{name}@example.org", name)
        add_member(territory, user, role)
        make_person(territory, name, [organisation], user=user)
        world.users[name] = user
    for name, user in list(cast.users.items()) + list(world.users.items()):
        if name.startswith(prefix) or name in ("school2", "ngo2"):
            give_totp(user)
        world.users.setdefault(name, user)
    return world


def file_signal(world, *, user=None, school=None, **fields) -> Signal:
    fields.setdefault("pupil_reference", "2019/041")
    fields.setdefault("pupil_initials", "J. N.")
    fields.setdefault("birth_year", 2014)
    fields.setdefault("grade", "6.B")
    fields.setdefault("category", "absence")
    fields.setdefault("description", "Chybí často v pondělí, omluvenky chodí pozdě.")
    fields.setdefault("school_actions", "Pohovor s rodiči, výchovná komise.")
    with scope(territory=world.territory):
        signal = Signal(territory=world.territory, school=school or world.school, **fields)
        return services.do_file_signal(signal, acting_user=user or world.user("a_school"))
