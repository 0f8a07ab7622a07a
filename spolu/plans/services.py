"""Business operations on plans: the status workflow, carry-over, progress, tasks, values."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    FINISHED_MEASURE_STATUSES,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    ProgressUpdate,
    Task,
    TaskStatus,
)


def _today() -> datetime.date:
    return timezone.localdate()


def _refuse_if_closed(plan: Plan) -> None:
    if plan.status == PlanStatus.CLOSED:
        raise ValidationError(_("The plan is closed; start the next period's plan instead."))


@transaction.atomic
def do_save_plan(plan: Plan, *, acting_user) -> Plan:
    plan.full_clean(exclude=["territory"])
    plan.save()
    return plan


@transaction.atomic
def do_save_goal(goal: Goal, *, acting_user) -> Goal:
    _refuse_if_closed(goal.plan)
    goal.full_clean(exclude=["territory", "plan"])
    goal.save()
    return goal


def _check_measure_organisations(measure: Measure, partners) -> None:
    territory_id = measure.territory_id
    if measure.lead_implementer and measure.lead_implementer.territory_id != territory_id:
        raise ValidationError({"lead_implementer": _("Choose an organisation of this territory.")})
    if any(o.territory_id != territory_id for o in partners):
        raise ValidationError({"partners": _("Choose organisations of this territory.")})
    if measure.goal.plan_id != measure.plan_id:
        raise ValidationError({"goal": _("Choose a goal of this plan.")})


def _check_measure_interventions(measure: Measure, interventions) -> None:
    # A withdrawn intervention may stay linked, but only published ones can be added.
    linked = set(measure.interventions.values_list("pk", flat=True)) if measure.pk else set()
    if any(i.status != "published" and i.pk not in linked for i in interventions):
        raise ValidationError({"interventions": _("Choose published interventions.")})


@transaction.atomic
def do_save_measure(
    measure: Measure, *, partners=(), related=None, interventions=None, acting_user
) -> Measure:
    """Create or update a measure with its partners, related measures and interventions.

    `related=None` and `interventions=None` leave those links as they are.
    """
    _refuse_if_closed(measure.plan)
    partners = list(partners)
    _check_measure_organisations(measure, partners)
    if interventions is not None:
        interventions = list(interventions)
        _check_measure_interventions(measure, interventions)
    measure.full_clean(exclude=["territory", "plan"])
    measure.save()
    measure.partners.set(partners)
    if related is not None:
        measure.related.set([m for m in related if m.pk != measure.pk])
    if interventions is not None:
        measure.interventions.set(interventions)
    return measure


def measures_without_lead(plan: Plan):
    return plan.measures.filter(lead_implementer__isnull=True).order_by("code")


@transaction.atomic
def do_adopt_plan(plan: Plan, *, adopted_on: datetime.date, resolution_number: str, acting_user):
    """Record the council's adoption; every measure must have a lead implementer first."""
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft plan can be adopted."))
    missing = list(measures_without_lead(plan).values_list("code", flat=True))
    if missing:
        raise ValidationError(
            _("These measures have no lead implementer: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    if not plan.measures.exists():
        raise ValidationError(_("A plan without measures cannot be adopted."))
    plan.status = PlanStatus.ADOPTED
    plan.adopted_on = adopted_on
    plan.resolution_number = resolution_number
    plan.save(update_fields=["status", "adopted_on", "resolution_number", "updated"])
    return plan


_NEXT_STATUS = {
    PlanStatus.ADOPTED: PlanStatus.IN_IMPLEMENTATION,
    PlanStatus.IN_IMPLEMENTATION: PlanStatus.CLOSED,
}


@transaction.atomic
def do_advance_plan(plan: Plan, *, acting_user) -> Plan:
    """Move an adopted plan into implementation, or an implemented one to closed."""
    target = _NEXT_STATUS.get(plan.status)
    if target is None:
        raise ValidationError(_("The plan cannot move on from its current status."))
    # Conditional update: two coordinators clicking at once move it only once.
    moved = Plan.objects.filter(pk=plan.pk, status=plan.status).update(
        status=target, updated=timezone.now()
    )
    if not moved:
        raise ValidationError(_("Someone else changed the plan's status meanwhile."))
    plan.refresh_from_db()
    return plan


@transaction.atomic
def do_start_next_period(
    plan: Plan, *, title: str, period_start, period_end, carry_over, acting_user
) -> Plan:
    """Create the next period's draft plan, carrying over the chosen unfinished measures.

    Goals of carried measures are copied (same code), each carried measure keeps a link to
    its original (`carried_over_from`) so its history stays one click away, and the open
    tasks move along with it.
    """
    carry_over = list(carry_over)
    # Locked so that a double click cannot create two successors.
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    if plan.status == PlanStatus.DRAFT:
        raise ValidationError(_("A draft plan has no next period yet; adopt it first."))
    if plan.successors.exists():
        raise ValidationError(_("The next period's plan has already been started."))
    if any(m.plan_id != plan.pk for m in carry_over):
        raise ValidationError(_("Choose measures of this plan."))
    if any(m.status in FINISHED_MEASURE_STATUSES for m in carry_over):
        raise ValidationError(_("Only unfinished measures can be carried over."))
    successor = Plan(
        territory=plan.territory,
        title=title,
        period_start=period_start,
        period_end=period_end,
        coordinator=plan.coordinator,
        predecessor=plan,
    )
    successor.full_clean(exclude=["territory"])
    successor.save()
    goals = {}
    for measure in sorted(carry_over, key=lambda m: m.code):
        old_goal = measure.goal
        if old_goal.pk not in goals:
            goals[old_goal.pk] = Goal.objects.create(
                territory=plan.territory,
                plan=successor,
                code=old_goal.code,
                title=old_goal.title,
                description=old_goal.description,
            )
        copy = Measure.objects.create(
            territory=plan.territory,
            plan=successor,
            goal=goals[old_goal.pk],
            code=measure.code,
            title=measure.title,
            description=measure.description,
            target_groups=measure.target_groups,
            education_levels=measure.education_levels,
            budget_currency=measure.budget_currency,
            funding_source=measure.funding_source,
            funding_note=measure.funding_note,
            status=MeasureStatus.PLANNED,
            lead_implementer=measure.lead_implementer,
            responsible=measure.responsible,
            carried_over_from=measure,
        )
        copy.partners.set(measure.partners.all())
        copy.interventions.set(measure.interventions.all())
        Task.objects.filter(measure=measure, status=TaskStatus.OPEN).update(measure=copy)
    return successor


@transaction.atomic
def do_record_progress(
    measure: Measure, *, date, status, narrative, attachments=(), acting_user
) -> ProgressUpdate:
    """Record where a measure stands; the measure takes the reported status if it is newest."""
    _refuse_if_closed(measure.plan)
    if date > _today():
        raise ValidationError({"date": _("A progress update cannot be dated in the future.")})
    update = ProgressUpdate.objects.create(
        territory=measure.territory,
        measure=measure,
        date=date,
        status=status,
        narrative=narrative,
        author=acting_user,
    )
    for attachment in attachments:
        attachment.territory = measure.territory
        attachment.progress_update = update
        attachment.save()
    if measure.last_progress_on is None or date >= measure.last_progress_on:
        measure.last_progress_on = date
        measure.status = status
        measure.save(update_fields=["last_progress_on", "status", "updated"])
    return update


@transaction.atomic
def do_save_task(task: Task, *, acting_user) -> Task:
    if task.pk is None:
        task.created_by = acting_user
    if task.owner_organisation and task.owner_organisation.territory_id != task.territory_id:
        raise ValidationError(
            {"owner_organisation": _("Choose an organisation of this territory.")}
        )
    if task.measure and task.measure.territory_id != task.territory_id:
        raise ValidationError({"measure": _("Choose a measure of this territory.")})
    if task.status == TaskStatus.DONE and task.completed_on is None:
        task.completed_on = _today()
    if task.status != TaskStatus.DONE:
        task.completed_on = None
    task.full_clean(exclude=["territory", "created_by"])
    task.save()
    return task


@transaction.atomic
def do_set_task_status(task: Task, *, status: str, acting_user) -> Task:
    task.status = status
    task.completed_on = _today() if status == TaskStatus.DONE else None
    task.save(update_fields=["status", "completed_on"])
    return task


@transaction.atomic
def do_save_indicator(indicator: Indicator, *, acting_user) -> Indicator:
    if indicator.measure and indicator.measure.plan_id != indicator.plan_id:
        raise ValidationError({"measure": _("Choose a measure of this plan.")})
    indicator.full_clean(exclude=["territory", "plan"])
    indicator.save()
    return indicator


@transaction.atomic
def do_record_indicator_value(
    indicator: Indicator, *, date, value, source="", note="", acting_user
) -> IndicatorValue:
    """Record a measured value; a second value for the same date replaces the first."""
    existing = IndicatorValue.objects.filter(indicator=indicator, date=date).first()
    if existing:
        existing.value, existing.source, existing.note = value, source, note
        existing.save(update_fields=["value", "source", "note"])
        return existing
    return IndicatorValue.objects.create(
        territory=indicator.territory,
        indicator=indicator,
        date=date,
        value=value,
        source=source,
        note=note,
    )


@transaction.atomic
def do_delete_indicator_value(value: IndicatorValue, *, acting_user) -> None:
    """Remove a value recorded by mistake (the audit log keeps what it was)."""
    if not value.indicator.plan.is_editable:
        raise ValidationError(_("The plan is closed; start the next period's plan instead."))
    value.delete()
