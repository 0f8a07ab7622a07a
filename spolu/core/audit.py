"""One audit mechanism for the project (django-auditlog): changes and reads of tenant rows."""

import ast
from contextlib import contextmanager

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.text import capfirst

from .fields import ChoiceSetField


@contextmanager
def acting_as(user):
    """Name `user` as the actor of the audit entries written inside (commands, imports).

    auditlog's own context overwrites its variable for good; the token puts back exactly what
    was there before (a request's context, or nothing), so later entries are not misnamed.
    """
    if user is None:
        yield
        return
    token = auditlog_value.set(None)
    try:
        with set_actor(user):
            yield
    finally:
        auditlog_value.reset(token)


def track(model, **options):
    """Record every create, update and delete of `model` (a TenantModel) in the audit log."""
    auditlog.register(model, **options)
    return model


def log_read(instance) -> None:
    """Record that the current user opened a sensitive record (e.g. a case signal)."""
    accessed.send(sender=instance.__class__, instance=instance)


def log_export(instances, *, acting_user, what: str) -> None:
    """Record that `acting_user` took `instances` out of Spolu (one entry per record)."""
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=ContentType.objects.get_for_model(instance.__class__),
            object_pk=str(instance.pk),
            object_id=instance.pk,
            object_repr=str(instance)[:200],
            action=LogEntry.Action.ACCESS,
            actor=acting_user,
            changes={},
            additional_data={**instance.get_additional_data(), "export": what},
        )
        for instance in instances
    )


# Entries about case signals are shown only in the case log, to the head of case work.
CASE_APP = "cases"


def territory_condition(territory_id: int):
    """Entries of one territory, written so that the index of migration core 0001 is used."""
    vendor = connection.vendor
    if vendor == "postgresql":
        sql, param = "(auditlog_logentry.additional_data ->> 'territory') = %s", str(territory_id)
    elif vendor == "sqlite":
        sql, param = (
            "json_extract(auditlog_logentry.additional_data, '$.territory') = %s",
            territory_id,
        )
    else:
        return Q(additional_data__territory=territory_id)
    return RawSQL(sql, (param,), output_field=BooleanField())


def entries_for_territory(territory, *, cases: bool = False):
    """Audit entries of one territory, newest first, with what the list shows joined in.

    The territory's log leaves out the case module; `cases=True` gives only the case module.
    """
    entries = LogEntry.objects.filter(territory_condition(territory.pk))
    if cases:
        entries = entries.filter(content_type__app_label=CASE_APP)
    else:
        entries = entries.exclude(content_type__app_label=CASE_APP)
    return entries.select_related("actor", "content_type").order_by("-timestamp", "-pk")


def _field(model, name):
    """The model's own field called `name`; None for reverse relations, ids and old fields."""
    if model is None or name == "id":
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # a field removed since the entry was written
        return None
    if field.auto_created and not field.concrete:
        return None  # a reverse relation: auditlog notes it, a person cannot read it
    return field


def _choice_set(field, value) -> str:
    # auditlog stores the list as its repr, e.g. "['preschool', 'primary']".
    try:
        codes = ast.literal_eval(value) if isinstance(value, str) else value
    except (ValueError, SyntaxError):
        return value
    if not isinstance(codes, list | tuple):
        return value
    return ", ".join(str(label) for label in field.labels(codes))


def _show(value) -> str:
    return "" if value in (None, "None") else str(value)


def _related_names(entries) -> dict:
    """{(model, pk): str(object)} for every foreign key value in the entries, one query per model.

    Done in bulk rather than with auditlog's `changes_display_dict`, which queries the database
    for every foreign key of every entry and would make history pages N+1.
    """
    wanted = {}
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes_dict or {}).items():
            field = _field(model, name)
            if field is None or not field.many_to_one or not isinstance(values, list):
                continue
            for value in values:
                if value not in (None, "None", ""):
                    wanted.setdefault(field.related_model, set()).add(str(value))
    names = {}
    for related, pks in wanted.items():
        manager = getattr(related, "_base_manager", related.objects)
        for obj in manager.filter(pk__in=pks):
            names[(related, str(obj.pk))] = str(obj)
    return names


def describe_changes(entry, related_names=None) -> list[tuple[str, str, str]]:
    """(field label, old, new) for an entry, with choices and foreign keys shown by name."""
    model = entry.content_type.model_class()
    related_names = related_names or {}
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        field = _field(model, name)
        if field is None:
            continue
        label = capfirst(str(getattr(field, "verbose_name", name)))
        if isinstance(values, dict):  # a many-to-many change
            objects = ", ".join(str(o) for o in values.get("objects", []))
            if values.get("operation") == "delete":
                rows.append((label, objects, ""))
            else:
                rows.append((label, "", objects))
            continue
        old, new = (list(values) + ["", ""])[:2]
        if field.many_to_one:
            old = related_names.get((field.related_model, str(old)), old)
            new = related_names.get((field.related_model, str(new)), new)
        if isinstance(field, ChoiceSetField):
            old, new = _choice_set(field, old), _choice_set(field, new)
        else:
            choices = dict(getattr(field, "flatchoices", []) or [])
            old, new = choices.get(old, old), choices.get(new, new)
        if _show(old) == _show(new) == "":
            continue  # an empty field of a new record says nothing
        rows.append((label, _show(old), _show(new)))
    return rows


def describe_entries(entries) -> None:
    """Set `change_rows` on each entry, resolving foreign keys with one query per model."""
    names = _related_names(entries)
    for entry in entries:
        entry.change_rows = describe_changes(entry, names)
