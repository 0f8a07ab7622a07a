"""The plan workflow: adoption rules, status moves, carry-over, progress and values."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope

from spolu.plans import services
from spolu.plans.models import (
    Indicator,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    Task,
    TaskStatus,
)
from spolu.plans.risk import measures_with_risk, risk_reasons

from .builders import START, make_plan


def test_adoption_names_the_measures_without_lead(cast):
    plan = make_plan(cast.territory_a, measures=3)
    with scope(territory=cast.territory_a):
        Measure.objects.filter(code__in=["1.1", "1.3"]).update(lead_implementer=None)
        with pytest.raises(ValidationError) as error:
            services.do_adopt_plan(
                plan, adopted_on=START, resolution_number="ZM/1", acting_user=None
            )
        assert "1.1, 1.3" in error.value.messages[0]
        plan.refresh_from_db()
        assert plan.status == PlanStatus.DRAFT


def test_adoption_then_implementation_then_closing(cast):
    plan = make_plan(cast.territory_a)
    with scope(territory=cast.territory_a):
        services.do_adopt_plan(plan, adopted_on=START, resolution_number="ZM/1", acting_user=None)
        assert plan.status == PlanStatus.ADOPTED and plan.resolution_number == "ZM/1"
        services.do_advance_plan(plan, acting_user=None)
        assert plan.status == PlanStatus.IN_IMPLEMENTATION
        services.do_advance_plan(plan, acting_user=None)
        assert plan.status == PlanStatus.CLOSED
        with pytest.raises(ValidationError):
            services.do_advance_plan(plan, acting_user=None)


def test_a_stale_copy_cannot_move_the_plan_twice(cast):
    plan = make_plan(cast.territory_a, status="adopted")
    with scope(territory=cast.territory_a):
        stale = Plan.objects.get(pk=plan.pk)
        services.do_advance_plan(plan, acting_user=None)
        with pytest.raises(ValidationError):
            services.do_advance_plan(stale, acting_user=None)
        assert Plan.objects.get(pk=plan.pk).status == PlanStatus.IN_IMPLEMENTATION


def test_next_period_carries_chosen_measures_with_history_and_open_tasks(cast):
    plan = make_plan(cast.territory_a, measures=3, status="in_implementation")
    with scope(territory=cast.territory_a):
        first, second, third = Measure.objects.filter(plan=plan).order_by("code")
        Measure.objects.filter(pk=third.pk).update(status=MeasureStatus.DONE)
        open_task = Task.objects.create(territory=cast.territory_a, title="Open", measure=first)
        done_task = Task.objects.create(
            territory=cast.territory_a, title="Done", measure=first, status=TaskStatus.DONE
        )
        successor = services.do_start_next_period(
            plan,
            title="Plán 2028–2030",
            period_start=datetime.date(2028, 1, 1),
            period_end=datetime.date(2030, 12, 31),
            carry_over=[first],
            acting_user=None,
        )
        copied = successor.measures.get()
        assert successor.predecessor == plan and successor.status == PlanStatus.DRAFT
        assert copied.carried_over_from == first and copied.code == first.code
        assert copied.goal.code == first.goal.code and copied.goal.plan == successor
        assert list(copied.partners.all()) == list(first.partners.all())
        assert Task.objects.get(pk=open_task.pk).measure == copied
        assert Task.objects.get(pk=done_task.pk).measure == first
        with pytest.raises(ValidationError):
            services.do_start_next_period(
                plan,
                title="X",
                period_start=datetime.date(2028, 1, 1),
                period_end=datetime.date(2030, 12, 31),
                carry_over=[Measure.objects.get(pk=third.pk)],
                acting_user=None,
            )


def test_progress_update_moves_the_measure_status_only_when_newest(cast):
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
        today = datetime.date.today()
        services.do_record_progress(
            measure,
            date=today,
            status=MeasureStatus.IN_PROGRESS,
            narrative="Now",
            acting_user=None,
        )
        services.do_record_progress(
            measure,
            date=today - datetime.timedelta(days=30),
            status=MeasureStatus.PLANNED,
            narrative="Earlier",
            acting_user=None,
        )
        measure.refresh_from_db()
        assert measure.status == MeasureStatus.IN_PROGRESS
        assert measure.last_progress_on == today
        with pytest.raises(ValidationError):
            services.do_record_progress(
                measure,
                date=today + datetime.timedelta(days=1),
                status="done",
                narrative="Future",
                acting_user=None,
            )


def test_closed_plan_refuses_changes(cast):
    plan = make_plan(cast.territory_a, measures=1, status="closed")
    with scope(territory=cast.territory_a):
        with pytest.raises(ValidationError):
            services.do_record_progress(
                plan.measures.get(),
                date=datetime.date.today(),
                status="done",
                narrative="x",
                acting_user=None,
            )


def test_indicator_value_for_the_same_date_replaces_the_first(cast):
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        indicator = Indicator.objects.create(
            territory=cast.territory_a, plan=plan, name="Absence", unit="%"
        )
        day = datetime.date(2025, 6, 30)
        services.do_record_indicator_value(
            indicator, date=day, value=Decimal("7"), acting_user=None
        )
        services.do_record_indicator_value(
            indicator, date=day, value=Decimal("6"), acting_user=None
        )
        assert [v.value for v in indicator.values.all()] == [Decimal("6")]


@pytest.mark.parametrize(
    ("status", "end_days", "progress_days", "overdue_task", "expected"),
    [
        ("in_progress", 30, 10, False, []),
        ("in_progress", -1, 10, False, ["end date"]),
        ("done", -1, 10, False, []),
        ("in_progress", 30, 10, True, ["overdue tasks"]),
        ("in_progress", 30, 120, False, ["no progress update for 90 days"]),
        ("planned", 30, 120, False, []),
    ],
)
def test_at_risk_rule(cast, settings, status, end_days, progress_days, overdue_task, expected):
    settings.SPOLU_STALE_PROGRESS_DAYS = 90
    today = datetime.date(2026, 6, 1)
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        Measure.objects.filter(plan=plan).update(
            status=status,
            start=datetime.date(2025, 1, 1),
            end=today + datetime.timedelta(days=end_days),
            last_progress_on=today - datetime.timedelta(days=progress_days),
        )
        measure = plan.measures.get()
        if overdue_task:
            Task.objects.create(
                territory=cast.territory_a,
                title="Late",
                measure=measure,
                due=today - datetime.timedelta(days=1),
            )
        annotated = measures_with_risk(Measure.objects.filter(pk=measure.pk), today).get()
        reasons = risk_reasons(annotated, today) if annotated.at_risk else []
    assert annotated.at_risk == bool(expected)
    assert len(reasons) == len(expected)
    for fragment, reason in zip(expected, reasons, strict=True):
        assert fragment in reason
