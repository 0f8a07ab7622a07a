"""The database stays fast with many tenants: audit index, statistics, planner settings."""

import pytest
from django.db import connection, transaction

from spolu.core import audit, database
from spolu.territories.models import Territory


def _plan(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With a handful of rows a scan is cheaper; forbid it to see that the index serves.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def test_a_territorys_audit_log_is_read_through_the_territory_index(db):
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    territory = Territory.objects.create(
        country="CZ", kind="cz_obec", code="999001", name="Lhota", slug="lhota"
    )
    # Many tenants' entries, and statistics that say so (as the daily job keeps them).
    content_type = ContentType.objects.get_for_model(Territory)
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(n),
            object_repr="x",
            action=LogEntry.Action.UPDATE,
            additional_data={"territory": territory.pk + n % 40},
        )
        for n in range(400)
    )
    database.refresh_statistics(postgresql=True)
    entries = audit.entries_for_territory(territory).order_by()
    sql, params = entries.query.sql_with_params()
    assert "spolu_logentry_territory" in _plan(sql, params)


def test_statistics_are_refreshed_on_sqlite_and_on_request_on_postgresql(db):
    if connection.vendor == "sqlite":
        assert database.refresh_statistics() is True
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
    else:
        assert database.refresh_statistics() is False
        assert database.refresh_statistics(postgresql=True) is True


def test_postgresql_connections_get_the_planner_cost_for_ssds(db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (CI runs the suite on it too)")
    settings.SPOLU_PG_RANDOM_PAGE_COST = "1.3"
    database.tune_connection(None, connection)
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.3"
