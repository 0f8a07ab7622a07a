"""Retention: closed signals lose the pupil's details and all text after the retention period."""

import datetime
import io
import logging

import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from spolu.cases import retention, services, tasks
from spolu.cases.models import EventKind, Referral, Signal, SignalEvent

from .builders import file_signal

ONE_DAY = datetime.timedelta(days=1)


def close(world, signal, *, closed_at, refer=False):
    """Triage (and refer) the signal, record support, then close it as of `closed_at`."""
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        services.do_triage(signal, "refer", "Rodina potřebuje podporu.", acting_user=worker)
        if refer:
            (referral,) = services.do_refer(
                signal, [world.ngo], "Prosíme o kontakt.", acting_user=worker
            )
            services.do_answer_referral(
                referral,
                accept=False,
                reason="Nemáme kapacitu.",
                acting_user=world.user("a_partner"),
            )
        services.do_record_event(
            signal,
            EventKind.SUPPORT,
            "Pomůcky pro Janu.",
            acting_user=worker,
            support_item="Školní pomůcky",
            support_paid_by=world.department,
            support_amount=850,
        )
        services.do_close(signal, "support_provided", "Pomůcky předány.", acting_user=worker)
        Signal.objects.filter(pk=signal.pk).update(closed_at=closed_at)
    return signal


def by_category():
    with scopes_disabled():
        return {
            row["category"]: row["n"]
            for row in Signal.objects.values("category").annotate(n=Count("pk"))
        }


@pytest.fixture
def ages(world):
    """Three signals: closed just past the retention period, closed just inside it, open."""
    now = timezone.now()
    expired = close(
        world,
        file_signal(world, category="material", pupil_reference="P-1"),
        closed_at=now - relativedelta(years=3) - ONE_DAY,
        refer=True,
    )
    recent = close(
        world,
        file_signal(world, category="absence", pupil_reference="P-2"),
        closed_at=now - relativedelta(years=3) + ONE_DAY,
    )
    still_open = file_signal(world, category="material", pupil_reference="P-3")
    return expired, recent, still_open


def test_expired_signal_is_anonymised_and_still_counted(world, ages, caplog):
    expired, recent, still_open = ages
    counts = by_category()
    with caplog.at_level(logging.INFO, logger="spolu.cases.retention"):
        assert retention.do_anonymise_expired() == 1
    assert "Anonymised 1 closed signals" in caplog.text
    assert by_category() == counts

    with scope(territory=world.territory):
        signal = Signal.objects.get(pk=expired.pk)
        events = list(signal.events.all())
        referral = Referral.objects.get(signal=signal)
    assert signal.anonymised_at is not None
    assert signal.pupil_reference.startswith("anon-") and len(signal.pupil_reference) == 13
    assert (signal.description, signal.school_actions, signal.pupil_initials) == ("", "", "")
    # The year of birth goes; the grade keeps its level, not the class ("6.B" -> "6").
    assert (signal.birth_year, signal.grade) == (None, "6")
    assert all(event.text == "" for event in events)
    assert (referral.note, referral.return_reason) == ("", "")
    # What statistics count stays.
    assert (signal.category, signal.status, signal.outcome) == (
        "material",
        "closed",
        "support_provided",
    )
    assert signal.triage_decision == "refer" and signal.school_id == world.school.pk
    support = next(e for e in events if e.kind == EventKind.SUPPORT)
    # Who paid and how much stay; what was provided is free text and goes.
    assert (support.support_item, support.support_amount) == ("", 850)
    assert support.support_paid_by_id == world.department.pk
    anonymised = [e for e in events if e.kind == EventKind.ANONYMISED]
    assert len(anonymised) == 1 and not anonymised[0].visible_to_school

    for other in (recent, still_open):
        with scope(territory=world.territory):
            other = Signal.objects.get(pk=other.pk)
        assert other.anonymised_at is None and other.description
        assert other.pupil_reference in ("P-2", "P-3")


def test_anonymisation_is_in_the_audit_log(world, ages):
    expired = ages[0]
    retention.do_anonymise_expired()
    entry = LogEntry.objects.get(
        content_type__model="signal",
        object_pk=str(expired.pk),
        action=LogEntry.Action.UPDATE,
        changes__has_key="anonymised_at",
    )
    assert set(entry.changes_dict) == {"anonymised_at"}  # the encrypted fields are not logged
    assert LogEntry.objects.filter(
        content_type__model="signalevent",
        action=LogEntry.Action.CREATE,
        changes__kind__1="anonymised",
    ).exists()


def test_anonymising_twice_changes_nothing(world, ages):
    expired = ages[0]
    first = retention.do_anonymise(expired)
    second = retention.do_anonymise(expired)
    assert second.pupil_reference == first.pupil_reference
    assert second.anonymised_at == first.anonymised_at
    with scope(territory=world.territory):
        assert SignalEvent.objects.filter(signal=expired, kind=EventKind.ANONYMISED).count() == 1
    assert retention.do_anonymise_expired() == 0


def test_retention_period_comes_from_the_settings(world, ages, settings):
    settings.SPOLU_CASES_RETENTION_YEARS = 10
    assert retention.do_anonymise_expired() == 0
    assert retention.do_anonymise_expired(now=timezone.now() + relativedelta(years=8)) == 2


def test_command_dry_run_changes_nothing(world, ages):
    out = io.StringIO()
    call_command("anonymise_signals", "--dry-run", stdout=out)
    assert "more than 3 years ago that would be anonymised: 1." in out.getvalue()
    with scopes_disabled():
        assert not Signal.objects.filter(anonymised_at__isnull=False).exists()

    call_command("anonymise_signals", stdout=out)
    assert "more than 3 years ago that were anonymised: 1." in out.getvalue()
    with scopes_disabled():
        assert Signal.objects.filter(anonymised_at__isnull=False).count() == 1


def test_task_runs_once_without_a_deferring_backend(world, ages):
    # The test suite's immediate backend cannot defer: the task must not reschedule itself.
    result = tasks.anonymise_expired_signals.enqueue()
    assert result.return_value == 1
    assert tasks.ensure_scheduled() is False


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_task_reschedules_itself_a_day_later(world, ages, database_tasks):
    from django_tasks_db.models import DBTaskResult

    assert tasks.anonymise_expired_signals.call() == 1
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "spolu.cases.tasks.anonymise_expired_signals"
    assert queued.run_after - timezone.now() > datetime.timedelta(hours=23)


def test_ensure_scheduled_queues_one_run(db, database_tasks):
    from django_tasks_db.models import DBTaskResult

    assert tasks.ensure_scheduled() is True
    assert tasks.ensure_scheduled() is False
    assert DBTaskResult.objects.count() == 1


def test_post_migrate_handler_survives_a_missing_table(db, database_tasks, monkeypatch):
    from django.db import OperationalError

    from spolu.cases.apps import schedule_retention

    def missing(*args, **kwargs):
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")

    monkeypatch.setattr(tasks, "ensure_scheduled", missing)
    schedule_retention(sender=None)  # logs a warning instead of failing `migrate`
