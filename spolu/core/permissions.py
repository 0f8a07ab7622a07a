"""The one place that says which role may do what; views declare the action they need."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """A user's role in one territory (a Membership)."""

    COORDINATOR = "coordinator", pgettext_lazy("role", "Coordinator")
    TEAM = "team", _("Coordination team")
    PARTNER = "partner", _("Partner organisation staff")
    SCHOOL = "school", _("School staff")
    CASEWORKER = "caseworker", _("Case worker")
    CASE_LEAD = "case_lead", _("Head of case work")
    VIEWER = "viewer", _("Viewer")


class NetworkRole(models.TextChoices):
    """A user's role in a network of territories."""

    ADVISOR = "advisor", _("Advisor")
    ANALYST = "analyst", _("Analyst")


ALL_ROLES = frozenset(Role.values)

# action -> roles allowed. Later modules add their actions here, never in views.
TERRITORY_ACTIONS: dict[str, frozenset[str]] = {
    "territory.view": ALL_ROLES,
    "members.view": frozenset({Role.COORDINATOR, Role.TEAM}),
    "members.change": frozenset({Role.COORDINATOR}),
    "audit.view": frozenset({Role.COORDINATOR}),
    # Actor registry: everyone in the territory reads it; the coordination team edits all of
    # it; partner and school staff edit only the organisations they are linked to as people.
    "actors.view": ALL_ROLES,
    "actors.change": frozenset({Role.COORDINATOR, Role.TEAM}),
    "actors.change_own": frozenset({Role.COORDINATOR, Role.TEAM, Role.PARTNER, Role.SCHOOL}),
    "actors.import": frozenset({Role.COORDINATOR, Role.TEAM}),
    "actors.export": frozenset({Role.COORDINATOR, Role.TEAM}),
    # Plans: everyone reads; the coordination team edits the plan; partner and school staff
    # update progress, tasks and indicator values of the measures their organisation
    # implements (checked per measure in the views).
    "plans.view": ALL_ROLES,
    "plans.change": frozenset({Role.COORDINATOR, Role.TEAM}),
    "plans.update_own": frozenset({Role.COORDINATOR, Role.TEAM, Role.PARTNER, Role.SCHOOL}),
    "plans.import": frozenset({Role.COORDINATOR, Role.TEAM}),
    # Meetings: every member of the territory may open the meetings module, but sees only the
    # platforms they belong to (as a person, through their organisation, or as facilitator);
    # the coordination team sees and manages all of them, a facilitator manages their own.
    "meetings.view": ALL_ROLES,
    "meetings.manage": frozenset({Role.COORDINATOR, Role.TEAM}),
    "meetings.announce": frozenset({Role.COORDINATOR, Role.TEAM}),
    # Cases (school signals about pupils). Single signals are seen only by their parties: the
    # filing school, the department's case workers and the organisations a signal was referred
    # to (checked per signal in spolu/cases/access.py). Everyone else sees aggregates only and
    # gets 404 on a signal. The head of case work also reviews the case log and answers
    # data-subject requests.
    "cases.view": frozenset({Role.SCHOOL, Role.PARTNER, Role.CASEWORKER, Role.CASE_LEAD}),
    "cases.file": frozenset({Role.SCHOOL}),
    "cases.triage": frozenset({Role.CASEWORKER, Role.CASE_LEAD}),
    "cases.handle": frozenset({Role.PARTNER, Role.SCHOOL, Role.CASEWORKER, Role.CASE_LEAD}),
    "cases.export": frozenset({Role.CASEWORKER, Role.CASE_LEAD}),
    "cases.audit": frozenset({Role.CASE_LEAD}),
    "cases.subject_requests": frozenset({Role.CASE_LEAD}),
    "cases.statistics": ALL_ROLES,
}

# Actions whose pages show data about a child: two-factor authentication is required (unless
# SPOLU_CASE_DATA_MFA is off) and the session ends after SPOLU_SENSITIVE_IDLE_MINUTES idle.
SENSITIVE_ACTIONS = frozenset(
    {
        "cases.view",
        "cases.file",
        "cases.triage",
        "cases.handle",
        "cases.export",
        "cases.audit",
        "cases.subject_requests",
    }
)

NETWORK_ACTIONS: dict[str, frozenset[str]] = {
    "network.view": frozenset(NetworkRole.values),
}


def role_can(role: str | None, action: str) -> bool:
    """Whether a territory role allows an action; unknown actions are refused."""
    if action not in TERRITORY_ACTIONS:
        raise KeyError(f"Unknown territory action {action!r}: declare it in TERRITORY_ACTIONS")
    return role in TERRITORY_ACTIONS[action]


def network_role_can(role: str | None, action: str) -> bool:
    if action not in NETWORK_ACTIONS:
        raise KeyError(f"Unknown network action {action!r}: declare it in NETWORK_ACTIONS")
    return role in NETWORK_ACTIONS[action]


def allowed_actions(role: str | None) -> frozenset[str]:
    """All territory actions a role may perform (for templates: hide what would be refused)."""
    return frozenset(action for action, roles in TERRITORY_ACTIONS.items() if role in roles)
