"""One audit mechanism for the project (django-auditlog): changes and reads of tenant rows."""

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed


def track(model, **options):
    """Record every create, update and delete of `model` (a TenantModel) in the audit log."""
    auditlog.register(model, **options)
    return model


def log_read(instance) -> None:
    """Record that the current user opened a sensitive record (e.g. a case signal)."""
    accessed.send(sender=instance.__class__, instance=instance)


def entries_for_territory(territory):
    """Audit entries of one territory, newest first, with what the list shows joined in."""
    return (
        LogEntry.objects.filter(additional_data__territory=territory.pk)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
