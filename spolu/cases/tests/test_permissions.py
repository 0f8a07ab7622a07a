"""Every role against every case page and step, on a signal filed by the school of `a_school`
and referred (not yet answered) to the NGO of `a_partner`.

The department (case worker, head of case work) sees and runs everything; the school sees its
signal and adds to it; the referred organisation answers the referral; the coordinator, the
team and viewers see statistics only and get 404 on anything about a single signal.
"""

import pytest
from django.urls import reverse
from django_scopes import scope

from spolu.cases import services
from spolu.core.permissions import Role

from .builders import file_signal

ROLES = list(Role.values)


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES}


# name -> (method, data, {role: expected status}); None means the default for that role.
MATRIX = {
    "signal-list": (
        "get",
        None,
        expect(403, school=200, partner=200, caseworker=200, case_lead=200),
    ),
    "signal-add": ("get", None, expect(403, school=200)),
    "signal-export": ("get", None, expect(403, caseworker=200, case_lead=200)),
    "case-log": ("get", None, expect(403, case_lead=200)),
    "statistics": ("get", None, expect(200)),
    "subject-search": ("get", None, expect(403, case_lead=200)),
    "signal-detail": (
        "get",
        None,
        expect(404, school=200, partner=200, caseworker=200, case_lead=200),
    ),
    # The signal is already referred: the department's triage comes back with the refusal.
    "signal-triage": (
        "post",
        {"triage-decision": "refer", "triage-reason": "Důvod"},
        expect(404, caseworker=200, case_lead=200),
    ),
    "signal-refer": (
        "post",
        {"refer-organisations": "OTHER_NGO", "refer-note": ""},
        expect(404, caseworker=302, case_lead=302),
    ),
    "signal-close": (
        "post",
        {"close-outcome": "resolved", "close-text": ""},
        expect(404, caseworker=302, case_lead=302),
    ),
    "signal-event-add": (
        "post",
        {"event-kind": "action", "event-text": "Hovor s rodinou."},
        # The referred organisation records actions only after accepting the referral.
        expect(404, caseworker=302, case_lead=302, school=403, partner=403),
    ),
    "signal-supplement": (
        "post",
        {"supplement-text": "Doplňujeme: situace trvá."},
        expect(404, school=302, partner=403, caseworker=403, case_lead=403),
    ),
    "referral-answer": (
        "post",
        {"answer-REFERRAL-answer": "accept"},
        expect(404, partner=302, school=403, caseworker=403, case_lead=403),
    ),
}
SIGNAL_URLS = {
    "signal-detail",
    "signal-triage",
    "signal-refer",
    "signal-close",
    "signal-event-add",
    "signal-supplement",
    "referral-answer",
}


@pytest.fixture
def referred(world):
    signal = file_signal(world)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Odesíláme.", acting_user=worker)
        (referral,) = services.do_refer(signal, [world.ngo], "", acting_user=worker)
    return signal, referral


def test_the_matrix_covers_every_case_url():
    from tests.isolation.test_url_isolation import tenant_patterns

    case_urls = {
        name.split(":", 1)[1] for name, _r, _p in tenant_patterns() if name.startswith("cases:")
    }
    assert case_urls - {"network-statistics", "subject-export", "subject-erase"} == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_against_case_page(world, referred, client_for, role, name):
    signal, referral = referred
    method, data, expected = MATRIX[name]
    kwargs = {"territory": world.territory.slug}
    if name in SIGNAL_URLS:
        kwargs["pk"] = signal.pk
    if name == "referral-answer":
        kwargs["referral"] = referral.pk
    if name == "signal-export":
        kwargs["fmt"] = "csv"
    if data and "answer-REFERRAL-answer" in data:
        data = {f"answer-{referral.pk}-answer": "accept"}
    if data and data.get("refer-organisations") == "OTHER_NGO":
        data = {**data, "refer-organisations": world.other_ngo.pk}
    client = client_for(world.user(f"a_{role}"))
    response = getattr(client, method)(reverse(f"cases:{name}", kwargs=kwargs), data)
    assert response.status_code == expected[role], f"{role} {method.upper()} {name}"
