"""An index on the territory of audit entries (auditlog's table, Spolu's own index).

The territory's audit log and the case log filter django-auditlog's entries by the territory
stored in `additional_data` (spolu/core/audit.py). Without an index that is a scan of every
tenant's entries. The index expression must match the query in `audit.territory_condition`.
"""

from django.db import migrations

INDEXES = {
    "postgresql": (
        "CREATE INDEX IF NOT EXISTS spolu_logentry_territory ON auditlog_logentry "
        "(((additional_data ->> 'territory')), \"timestamp\" DESC)"
    ),
    "sqlite": (
        "CREATE INDEX IF NOT EXISTS spolu_logentry_territory ON auditlog_logentry "
        "(json_extract(additional_data, '$.territory'), \"timestamp\" DESC)"
    ),
}


def create(apps, schema_editor):
    sql = INDEXES.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in INDEXES:
        schema_editor.execute("DROP INDEX IF EXISTS spolu_logentry_territory")


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0017_add_actor_email")]
    operations = [migrations.RunPython(create, drop)]
