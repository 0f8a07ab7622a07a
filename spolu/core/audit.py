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


def describe_changes(entry) -> list[tuple[str, str, str]]:
    """(field label, old, new) for an entry, with choice values shown by their labels.

    Done here rather than with auditlog's `changes_display_dict`, which queries the
    database for every foreign key and would make the audit page N+1.
    """
    model = entry.content_type.model_class()
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        old, new = (list(values) + ["", ""])[:2]
        label = name
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field removed since the entry was written
                field = None
            if field is not None:
                label = str(getattr(field, "verbose_name", name))
                choices = dict(getattr(field, "flatchoices", []) or [])
                old, new = choices.get(old, old), choices.get(new, new)
        rows.append(
            (
                label,
                "" if old in (None, "None") else str(old),
                "" if new in (None, "None") else str(new),
            )
        )
    return rows
