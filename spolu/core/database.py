"""Keep the database's query planner well informed, so tenant pages stay fast at any size.

- SQLite never gathers statistics by itself: without them it picks poor indexes (for example
  the content-type index of the audit log instead of the object's). `refresh_statistics` runs
  ANALYZE after every `migrate` and once a day in the background worker.
- PostgreSQL's default `random_page_cost` (4) assumes spinning disks and makes the planner
  hash-join whole tables of all tenants instead of looking up the 25 rows a page shows.
  Each connection sets SPOLU_PG_RANDOM_PAGE_COST (default 1.1, the usual value for SSDs);
  set it empty to keep the server's own value.
"""

import logging

from django.conf import settings
from django.db import connection as default_connection
from django_tasks import task

from . import daily

logger = logging.getLogger(__name__)


def tune_connection(sender, connection, **kwargs):
    """connection_created receiver: per-session planner settings for PostgreSQL."""
    cost = settings.SPOLU_PG_RANDOM_PAGE_COST
    if connection.vendor != "postgresql" or not cost:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('random_page_cost', %s, false)", [cost])


def refresh_statistics(connection=None, *, postgresql: bool = False) -> bool:
    """ANALYZE on SQLite (always) and on PostgreSQL (only when asked: autovacuum does it).

    True when statistics were refreshed.
    """
    connection = connection or default_connection
    if connection.vendor == "sqlite" or (postgresql and connection.vendor == "postgresql"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return True
    return False


@task()
def refresh_statistics_daily() -> bool:
    refreshed = refresh_statistics()
    if refreshed:
        logger.info("Refreshed the database's query statistics")
    daily.schedule_next(refresh_statistics_daily)
    return refreshed


def after_migrate(sender, using="default", **kwargs):
    """post_migrate: statistics now, and the daily refresh queued on SQLite."""
    from django.db import DatabaseError, connections, transaction

    connection = connections[using]
    try:
        refresh_statistics(connection)
        if connection.vendor == "sqlite":
            with transaction.atomic(using=using):
                daily.ensure_scheduled(refresh_statistics_daily, "the daily ANALYZE of SQLite")
    except DatabaseError as exc:  # the task table is not migrated yet
        logger.warning("Database statistics were not refreshed: %s", exc)
