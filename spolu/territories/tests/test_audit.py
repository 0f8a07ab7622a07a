"""The audit log records who changed memberships and shows them to the coordinator only."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django_scopes import scope

from spolu.core.audit import log_read
from spolu.territories.models import Membership


def test_role_change_is_in_the_audit_log(cast, client_for):
    with scope(territory=cast.territory_a):
        membership = Membership.objects.get(user=cast.user("a_viewer"))
    client = client_for(cast.user("a_coordinator"))
    client.post(reverse("territories:member-edit", args=["alfov", membership.pk]), {"role": "team"})
    entry = LogEntry.objects.get_for_object(membership).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == cast.user("a_coordinator")
    html = client.get(reverse("territories:audit-log", args=["alfov"])).content.decode()
    assert "Coordination team" in html
    assert "A Coordinator" in html


def test_audit_log_is_per_territory(cast, client_for):
    html = (
        client_for(cast.user("a_coordinator"))
        .get(reverse("territories:audit-log", args=["alfov"]))
        .content.decode()
    )
    assert "A Viewer" in html
    assert "B Viewer" not in html


@pytest.mark.parametrize(
    ("user", "status"), [("a_coordinator", 200), ("a_team", 403), ("b_coordinator", 404)]
)
def test_audit_log_permissions(cast, client_for, user, status):
    response = client_for(cast.user(user)).get(reverse("territories:audit-log", args=["alfov"]))
    assert response.status_code == status


def test_reads_of_sensitive_records_are_logged(cast):
    with scope(territory=cast.territory_a):
        membership = Membership.objects.get(user=cast.user("a_viewer"))
    log_read(membership)
    entry = LogEntry.objects.get_for_object(membership).get(action=LogEntry.Action.ACCESS)
    assert entry.additional_data == {"territory": cast.territory_a.pk}


def test_audit_filter_by_action(cast, client_for):
    with scope(territory=cast.territory_a):
        membership = Membership.objects.get(user=cast.user("a_viewer"))
    log_read(membership)
    client = client_for(cast.user("a_coordinator"))
    html = client.get(
        reverse("territories:audit-log", args=["alfov"]) + f"?action={LogEntry.Action.ACCESS}"
    ).content.decode()
    rows = html.split("<tbody>")[1]
    assert "<td>access</td>" in rows
    assert "<td>create</td>" not in rows


@pytest.mark.parametrize("extra", [0, 30])
def test_audit_log_query_count_is_fixed(cast, client_for, django_assert_num_queries, extra):
    with scope(territory=cast.territory_a):
        membership = Membership.objects.get(user=cast.user("a_viewer"))
    for _ in range(extra):
        log_read(membership)
    client = client_for(cast.user("a_coordinator"))
    # session, user, memberships+territories (also the switcher's), count, page of
    # entries+actors+types, the users the entries name (one query per related model)
    with django_assert_num_queries(6):
        assert client.get(reverse("territories:audit-log", args=["alfov"])).status_code == 200
