"""Plan pages: overview, measures, progress, indicators, tasks, timeline, imports and exports."""

from auditlog.models import LogEntry
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Prefetch, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from spolu.actors.models import Organisation, organisation_ids_of
from spolu.catalog.services import interventions_with_titles
from spolu.core.access import territory_view
from spolu.core.audit import describe_entries
from spolu.core.documents import ExportUnavailable
from spolu.core.files import validate_document
from spolu.core.forms import int_param, posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can
from spolu.core.uploads import preview_then_apply

from . import charts, services
from .forms import (
    AdoptForm,
    GoalForm,
    IndicatorForm,
    IndicatorValueForm,
    MeasureFilterForm,
    MeasureForm,
    NextPeriodForm,
    PlanForm,
    ProgressForm,
    TaskFilterForm,
    TaskForm,
)
from .models import (
    Attachment,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    Plan,
    PlanStatus,
    Task,
    TaskStatus,
)
from .risk import measures_with_risk, risk_reasons, rule_explanation

# --- access helpers: one condition per line ---------------------------------------------


def _own_organisation_ids(request) -> set[int]:
    if not hasattr(request, "_own_organisation_ids"):
        request._own_organisation_ids = organisation_ids_of(request.user, request.territory)
    return request._own_organisation_ids


def _may_change_plan(request) -> bool:
    return role_can(request.role, "plans.change")


def _implements(request, measure) -> bool:
    own = _own_organisation_ids(request)
    if measure.lead_implementer_id in own:
        return True
    return any(p.pk in own for p in measure.partners.all())


def _may_update_measure(request, measure) -> bool:
    """Progress, tasks and indicator values: the team for any measure, partners for theirs."""
    if _may_change_plan(request):
        return True
    if not role_can(request.role, "plans.update_own"):
        return False
    return _implements(request, measure)


def _get_plan(request, pk) -> Plan:
    return get_object_or_404(
        Plan.objects.select_related("coordinator", "predecessor"),
        territory=request.territory,
        pk=pk,
    )


def _get_measure(request, pk, *, update=False) -> Measure:
    """The territory's measure; 404 when missing or foreign, 403 when it may not be updated."""
    today = timezone.localdate()
    measure = get_object_or_404(
        measures_with_risk(Measure.objects.all(), today)
        .select_related(
            "plan", "goal", "lead_implementer", "responsible", "carried_over_from__plan"
        )
        .prefetch_related(Prefetch("partners", queryset=Organisation.objects.order_by("name"))),
        territory=request.territory,
        pk=pk,
    )
    if update and not _may_update_measure(request, measure):
        raise PermissionDenied
    return measure


def _require_plan_change(request):
    if not _may_change_plan(request):
        raise PermissionDenied


def _refuse_closed(plan):
    if not plan.is_editable:
        raise PermissionDenied


# --- plans -------------------------------------------------------------------------------


@territory_view("plans.view")
def plan_list(request):
    plans = (
        Plan.objects.filter(territory=request.territory)
        .select_related("coordinator")
        .annotate(measure_count=Count("measures"))
        .order_by("-period_start", "pk")
    )
    context = {"page_obj": paginate(request, plans), "may_add": _may_change_plan(request)}
    return render(request, "plans/plan_list.html", context)


@territory_view("plans.change")
def plan_add(request):
    plan = Plan(territory=request.territory)
    form = PlanForm(posted(request)[0], instance=plan, territory=request.territory)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.do_save_plan(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was created. Add its goals and measures."))
            return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": None})


@territory_view("plans.change")
def plan_edit(request, pk):
    plan = _get_plan(request, pk)
    _refuse_closed(plan)
    form = PlanForm(posted(request)[0], instance=plan, territory=request.territory)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_plan(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)
    return render(request, "plans/plan_form.html", {"form": form, "plan": plan})


def _plan_measures(request, plan, form):
    today = timezone.localdate()
    measures = (
        measures_with_risk(plan.measures.all(), today)
        .select_related("lead_implementer")
        .order_by("code")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            measures = measures.filter(status=data["status"])
        if data["implementer"]:
            organisation = data["implementer"]
            measures = measures.filter(
                Q(lead_implementer=organisation) | Q(partners=organisation)
            ).distinct()
        if data["level"]:
            measures = measures.filter(education_levels__contains=data["level"])
        if data["at_risk"]:
            measures = measures.filter(at_risk=True)
    return measures


def _goals_with_measures(plan, measures):
    """The plan's goals, each with `measures_list`: its measures among `measures`, in order."""
    goals = list(plan.goals.order_by("code"))
    by_goal = {goal.pk: [] for goal in goals}
    for measure in measures:
        by_goal[measure.goal_id].append(measure)
    for goal in goals:
        goal.measures_list = by_goal[goal.pk]
    return goals


@territory_view("plans.view")
def plan_detail(request, pk):
    # Queries: session, user, memberships (also the switcher's), plan, goals, measures with risk,
    # the filter's organisations, indicators of the plan.
    plan = _get_plan(request, pk)
    form = MeasureFilterForm(request.GET or None, territory=request.territory)
    measures = list(_plan_measures(request, plan, form))
    goals = _goals_with_measures(plan, measures)
    context = {
        "plan": plan,
        "goals": goals,
        "form": form,
        "measure_count": len(measures),
        "at_risk_count": sum(1 for m in measures if m.at_risk),
        "missing_lead": [m for m in measures if m.lead_implementer_id is None],
        "may_change": _may_change_plan(request) and plan.is_editable,
        "risk_rule": rule_explanation(),
        "indicators": list(plan.indicators.filter(measure__isnull=True).order_by("name")),
    }
    return render(request, "plans/plan_detail.html", context)


@territory_view("plans.change")
def plan_adopt(request, pk):
    plan = _get_plan(request, pk)
    form = AdoptForm(posted(request)[0], initial={"adopted_on": timezone.localdate()})
    missing = list(services.measures_without_lead(plan))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_adopt_plan(plan, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was adopted."))
            return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)
    return render(
        request, "plans/plan_adopt.html", {"form": form, "plan": plan, "missing": missing}
    )


@territory_view("plans.change")
@require_POST
def plan_advance(request, pk):
    plan = _get_plan(request, pk)
    try:
        plan = services.do_advance_plan(plan, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request, _("The plan is now: %(status)s.") % {"status": plan.get_status_display()}
        )
    return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)


@territory_view("plans.change")
def plan_next_period(request, pk):
    plan = _get_plan(request, pk)
    length = plan.period_end - plan.period_start
    start = plan.period_end + timezone.timedelta(days=1)
    initial = {
        "title": plan.title,
        "period_start": start,
        "period_end": start + length,
        "carry_over": list(plan.measures.exclude(status__in=["done", "cancelled"])),
    }
    form = NextPeriodForm(posted(request)[0], plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            successor = services.do_start_next_period(
                plan, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            count = successor.measures.count()
            messages.success(
                request,
                ngettext(
                    "The next period's plan was created with %(count)s carried-over measure.",
                    "The next period's plan was created with %(count)s carried-over measures.",
                    count,
                )
                % {"count": count},
            )
            return redirect("plans:plan-detail", territory=request.territory.slug, pk=successor.pk)
    return render(request, "plans/plan_next_period.html", {"form": form, "plan": plan})


@territory_view("plans.view")
def plan_timeline(request, pk):
    plan = _get_plan(request, pk)
    today = timezone.localdate()
    measures = list(measures_with_risk(plan.measures.all(), today).order_by("code"))
    goals = _goals_with_measures(plan, measures)
    slug = request.territory.slug
    svg = charts.plan_timeline(
        goals,
        period_start=plan.period_start,
        period_end=plan.period_end,
        today=today,
        chart_id="plan-timeline",
        measure_url=lambda m: reverse(
            "plans:measure-detail", kwargs={"territory": slug, "pk": m.pk}
        ),
    )
    return render(request, "plans/plan_timeline.html", {"plan": plan, "svg": svg, "goals": goals})


# --- goals and measures ------------------------------------------------------------------


def _goal_form(request, plan, goal):
    form = GoalForm(posted(request)[0], instance=goal, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_goal(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The goal was saved."))
            return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)
    return render(request, "plans/goal_form.html", {"form": form, "plan": plan, "goal": goal})


@territory_view("plans.change")
def goal_add(request, pk):
    plan = _get_plan(request, pk)
    _refuse_closed(plan)
    return _goal_form(request, plan, Goal(territory=request.territory, plan=plan))


@territory_view("plans.change")
def goal_edit(request, pk):
    goal = get_object_or_404(
        Goal.objects.select_related("plan"), territory=request.territory, pk=pk
    )
    _refuse_closed(goal.plan)
    return _goal_form(request, goal.plan, goal)


def _measure_form(request, plan, measure, *, created):
    initial = {}
    if created and int_param(request.GET, "goal"):
        initial["goal"] = int_param(request.GET, "goal")
    form = MeasureForm(posted(request)[0], instance=measure, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.do_save_measure(
                form.save(commit=False),
                partners=form.cleaned_data["partners"],
                related=form.cleaned_data["related"],
                interventions=form.cleaned_data["interventions"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The measure was saved."))
            return redirect("plans:measure-detail", territory=request.territory.slug, pk=measure.pk)
    return render(
        request,
        "plans/measure_form.html",
        {"form": form, "plan": plan, "measure": measure, "created": created},
    )


@territory_view("plans.change")
def measure_add(request, pk):
    plan = _get_plan(request, pk)
    _refuse_closed(plan)
    if not plan.goals.exists():
        messages.info(request, _("Add a goal first: every measure belongs to a goal."))
        return redirect("plans:goal-add", territory=request.territory.slug, pk=plan.pk)
    measure = Measure(territory=request.territory, plan=plan)
    return _measure_form(request, plan, measure, created=True)


@territory_view("plans.change")
def measure_edit(request, pk):
    measure = _get_measure(request, pk)
    _refuse_closed(measure.plan)
    return _measure_form(request, measure.plan, measure, created=False)


@territory_view("plans.view")
def measure_detail(request, pk):
    # Queries: session, user, memberships (also the switcher's), measure with risk and relations,
    # partners, related measures, carried-over successors, interventions from the catalogue (titles
    # by subquery), tasks, progress updates, attachments, indicators, their values, history, own
    # organisations (partners).
    measure = _get_measure(request, pk)
    today = timezone.localdate()
    tasks = list(
        _visible_tasks(request, measure.tasks.all())
        .select_related("owner_organisation", "owner_person")
        .order_by("status", "due", "pk")
    )
    for task in tasks:
        task.overdue = task.is_overdue(today)
    updates = list(
        measure.progress_updates.select_related("author").prefetch_related("attachments")
    )
    indicators = list(measure.indicators.prefetch_related("values").order_by("name"))
    for indicator in indicators:
        indicator.chart = charts.indicator_chart(
            indicator, list(indicator.values.all()), chart_id=f"indicator-{indicator.pk}"
        )
    history = list(
        LogEntry.objects.get_for_object(measure)
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:50]
    )
    describe_entries(history)
    context = {
        "measure": measure,
        "plan": measure.plan,
        "risk_reasons": risk_reasons(measure, today) if measure.at_risk else [],
        "risk_rule": rule_explanation(),
        "related": list(measure.related.select_related("plan").order_by("code")),
        "carried_to": list(measure.carried_over_to.select_related("plan")),
        "interventions": list(
            interventions_with_titles(measure.interventions.all()).order_by("title", "pk")
        ),
        "tasks": tasks,
        "updates": updates,
        "indicators": indicators,
        "history": history,
        "may_change": _may_change_plan(request) and measure.plan.is_editable,
        "may_update": _may_update_measure(request, measure) and measure.plan.is_editable,
        # A finished plan's measures are worth sharing too.
        "may_share": _may_change_plan(request),
    }
    return render(request, "plans/measure_detail.html", context)


# --- progress ----------------------------------------------------------------------------


@territory_view("plans.update_own")
def progress_add(request, pk):
    measure = _get_measure(request, pk, update=True)
    _refuse_closed(measure.plan)
    data, files = posted(request)
    form = ProgressForm(
        data,
        files,
        initial={"date": timezone.localdate(), "status": measure.status},
    )
    if request.method == "POST" and form.is_valid():
        attachments = []
        for upload in form.cleaned_data["attachments"]:
            try:
                content_type = validate_document(upload)
            except ValidationError as exc:
                form.add_error("attachments", exc)
                continue
            attachments.append(
                Attachment(
                    file=upload,
                    original_name=upload.name[:255],
                    content_type=content_type,
                    size=upload.size,
                )
            )
        if not form.errors:
            try:
                services.do_record_progress(
                    measure,
                    attachments=attachments,
                    acting_user=request.user,
                    **{k: form.cleaned_data[k] for k in ("date", "status", "narrative")},
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The progress update was recorded."))
                back = request.GET.get("next", "")
                if back.startswith(f"/t/{request.territory.slug}/") and "//" not in back:
                    return redirect(back)  # e.g. back to the meeting's plan review
                return redirect(
                    "plans:measure-detail", territory=request.territory.slug, pk=measure.pk
                )
    return render(request, "plans/progress_form.html", {"form": form, "measure": measure})


@territory_view("plans.view")
def attachment_download(request, pk):
    attachment = get_object_or_404(Attachment, territory=request.territory, pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- indicators --------------------------------------------------------------------------


@territory_view("plans.change")
def indicator_edit(request, pk):
    indicator = _get_indicator(request, pk)
    _refuse_closed(indicator.plan)
    form = IndicatorForm(posted(request)[0], instance=indicator, plan=indicator.plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_indicator(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(
                "plans:indicator-detail", territory=request.territory.slug, pk=indicator.pk
            )
    return render(
        request,
        "plans/indicator_form.html",
        {"form": form, "plan": indicator.plan, "indicator": indicator},
    )


@territory_view("plans.update_own")
@require_POST
def indicator_value_delete(request, pk):
    value = get_object_or_404(
        IndicatorValue.objects.select_related("indicator"), territory=request.territory, pk=pk
    )
    indicator = _get_indicator(request, value.indicator_id)
    if not _may_record_value(request, indicator):
        raise PermissionDenied
    services.do_delete_indicator_value(value, acting_user=request.user)
    messages.success(request, _("The value was removed."))
    return redirect("plans:indicator-detail", territory=request.territory.slug, pk=indicator.pk)


@territory_view("plans.change")
def indicator_add(request, pk):
    plan = _get_plan(request, pk)
    _refuse_closed(plan)
    initial = {}
    if int_param(request.GET, "measure"):
        initial["measure"] = int_param(request.GET, "measure")
    indicator = Indicator(territory=request.territory, plan=plan)
    form = IndicatorForm(posted(request)[0], instance=indicator, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.do_save_indicator(
                form.save(commit=False), acting_user=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The indicator was added."))
            return redirect(
                "plans:indicator-detail", territory=request.territory.slug, pk=indicator.pk
            )
    return render(request, "plans/indicator_form.html", {"form": form, "plan": plan})


def _get_indicator(request, pk) -> Indicator:
    return get_object_or_404(
        Indicator.objects.select_related("plan", "measure__lead_implementer").prefetch_related(
            "measure__partners"
        ),
        territory=request.territory,
        pk=pk,
    )


def _may_record_value(request, indicator) -> bool:
    if not indicator.plan.is_editable:
        return False
    if indicator.measure is None:
        return _may_change_plan(request)
    return _may_update_measure(request, indicator.measure)


@territory_view("plans.view")
def indicator_detail(request, pk):
    indicator = _get_indicator(request, pk)
    values = list(indicator.values.order_by("date"))
    may_record = _may_record_value(request, indicator)
    form = IndicatorValueForm(posted(request)[0]) if may_record else None
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            services.do_record_indicator_value(
                indicator, acting_user=request.user, **form.cleaned_data
            )
            messages.success(request, _("The value was recorded."))
            return redirect(request.path)
    context = {
        "indicator": indicator,
        "values": values,
        "chart": charts.indicator_chart(indicator, values, chart_id=f"indicator-{indicator.pk}"),
        "form": form,
        "plan": indicator.plan,
        "may_edit": _may_change_plan(request) and indicator.plan.is_editable,
        "may_record": may_record,
    }
    return render(request, "plans/indicator_detail.html", context)


# --- tasks -------------------------------------------------------------------------------


def _visible_tasks(request, tasks):
    """Tasks of the plans, and tasks agreed by platforms the user can see."""
    from spolu.meetings.access import visible_platforms

    return tasks.filter(
        Q(decision__isnull=True) | Q(decision__meeting__platform__in=visible_platforms(request))
    )


def _filtered_tasks(request, form):
    today = timezone.localdate()
    tasks = (
        _visible_tasks(request, Task.objects.filter(territory=request.territory))
        .select_related("owner_organisation", "owner_person", "measure")
        .prefetch_related("measure__partners")
    )
    scope_name, status = "all", ""
    if form.is_valid():
        scope_name = form.cleaned_data["scope"] or "all"
        status = form.cleaned_data["status"]
    if scope_name == "mine":
        tasks = tasks.filter(owner_person__user=request.user)
    elif scope_name == "organisation":
        tasks = tasks.filter(owner_organisation__in=_own_organisation_ids(request))
    if status == "":
        tasks = tasks.filter(status=TaskStatus.OPEN)
    elif status != "any":
        tasks = tasks.filter(status=status)
    overdue_first = Case(
        When(Q(status=TaskStatus.OPEN) & Q(due__lt=today), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return tasks.annotate(overdue_rank=overdue_first).order_by("overdue_rank", "due", "pk")


@territory_view("plans.view")
def task_list(request):
    # Queries: session, user, memberships (also the switcher's), count, page of tasks with owners
    # and measures, own organisations (partners).
    form = TaskFilterForm(request.GET or None)
    page_obj = paginate(request, _filtered_tasks(request, form))
    today = timezone.localdate()
    for task in page_obj:
        task.overdue = task.is_overdue(today)
        task.may_update = _may_update_task(request, task)
    context = {
        "form": form,
        "page_obj": page_obj,
        "may_add": role_can(request.role, "plans.update_own"),
        "query_string": request.GET.urlencode(),
    }
    return render(request, "plans/task_list.html", context)


def _may_update_task(request, task) -> bool:
    if _may_change_plan(request):
        return True
    if not role_can(request.role, "plans.update_own"):
        return False
    if task.owner_organisation_id in _own_organisation_ids(request):
        return True
    return task.measure is not None and _implements(request, task.measure)


def _task_form(request, task, *, created):
    may_change = _may_change_plan(request)
    organisations = measures = None
    if not may_change:
        own = _own_organisation_ids(request)
        organisations = Organisation.objects.filter(pk__in=own).order_by("name")
        measures = (
            Measure.objects.filter(Q(lead_implementer__in=own) | Q(partners__in=own))
            .exclude(plan__status=PlanStatus.CLOSED)
            .distinct()
            .order_by("code")
        )
    initial = {}
    if created and int_param(request.GET, "measure"):
        initial["measure"] = int_param(request.GET, "measure")
    form = TaskForm(
        posted(request)[0],
        instance=task,
        territory=request.territory,
        organisations=organisations,
        measures=measures,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            task = services.do_save_task(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The task was saved."))
            if task.measure_id:
                return redirect(
                    "plans:measure-detail", territory=request.territory.slug, pk=task.measure_id
                )
            return redirect("plans:task-list", territory=request.territory.slug)
    return render(request, "plans/task_form.html", {"form": form, "task": task, "created": created})


@territory_view("plans.update_own")
def task_add(request):
    if not _may_change_plan(request) and not _own_organisation_ids(request):
        raise PermissionDenied
    return _task_form(request, Task(territory=request.territory), created=True)


def _get_task(request, pk) -> Task:
    task = get_object_or_404(
        Task.objects.select_related("measure__plan").prefetch_related("measure__partners"),
        territory=request.territory,
        pk=pk,
    )
    if not _may_update_task(request, task):
        raise PermissionDenied
    if task.measure is not None and not task.measure.plan.is_editable:
        raise PermissionDenied  # the plan is closed: its tasks are history
    return task


@territory_view("plans.update_own")
def task_edit(request, pk):
    return _task_form(request, _get_task(request, pk), created=False)


@territory_view("plans.update_own")
@require_POST
def task_status(request, pk):
    task = _get_task(request, pk)
    status = request.POST.get("status")
    if status not in TaskStatus.values:
        messages.error(request, _("Unknown task status."))
    else:
        services.do_set_task_status(task, status=status, acting_user=request.user)
        messages.success(
            request, _("The task is now: %(status)s.") % {"status": task.get_status_display()}
        )
    back = request.POST.get("next", "")
    if back.startswith("/t/"):
        return redirect(back)
    return redirect("plans:task-list", territory=request.territory.slug)


# --- our measures ------------------------------------------------------------------------


@territory_view("plans.view")
def our_measures(request):
    own = _own_organisation_ids(request)
    today = timezone.localdate()
    measures = (
        measures_with_risk(
            Measure.objects.filter(Q(lead_implementer__in=own) | Q(partners__in=own)).exclude(
                plan__status=PlanStatus.CLOSED
            ),
            today,
        )
        .select_related("plan", "goal", "lead_implementer")
        .distinct()
        .order_by("plan__period_start", "code")
    )
    tasks = list(
        _visible_tasks(request, Task.objects.filter(owner_organisation__in=own))
        .filter(status=TaskStatus.OPEN)
        .select_related("measure__plan", "owner_organisation", "owner_person")
        .prefetch_related("measure__partners")
        .order_by("due", "pk")[:50]
    )
    for task in tasks:
        task.overdue = task.is_overdue(today)
        task.may_update = _may_update_task(request, task)
    context = {
        "organisations": list(Organisation.objects.filter(pk__in=own).order_by("name")),
        "page_obj": paginate(request, measures),
        "tasks": tasks,
        "risk_rule": rule_explanation(),
        "own_ids": own,
    }
    return render(request, "plans/our_measures.html", context)


# --- imports and exports -----------------------------------------------------------------

PLAN_EXPORTS = {
    "xlsx": ("plan_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("plan_pdf", "application/pdf"),
    "docx": (
        "plan_docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}


def _transfer():
    # Imported on use: PDF and DOCX libraries are heavy and PDF needs system Pango.
    from . import transfer

    return transfer


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@territory_view("plans.view")
def plan_export(request, pk, fmt):
    if fmt not in PLAN_EXPORTS:
        raise Http404
    plan = _get_plan(request, pk)
    transfer = _transfer()
    build_name, content_type = PLAN_EXPORTS[fmt]
    try:
        content = getattr(transfer, build_name)(plan)
    except ExportUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("plans:plan-detail", territory=request.territory.slug, pk=plan.pk)
    name = f"{slugify(plan.title)[:60] or 'plan'}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return _download(content, content_type, name)


@territory_view("plans.import")
def plan_template(request, pk):
    plan = _get_plan(request, pk)
    name = f"{slugify(plan.title)[:60] or 'plan'}-template.xlsx"
    return _download(_transfer().plan_template_xlsx(plan), PLAN_EXPORTS["xlsx"][1], name)


@territory_view("plans.import")
def plan_import(request, pk):
    from spolu.actors.forms import UploadForm

    transfer = _transfer()
    plan = _get_plan(request, pk)
    _refuse_closed(plan)
    form = UploadForm(*posted(request), max_mb=20)

    def preview(fileobj, name, data):
        return transfer.parse_plan_file(fileobj, plan=plan)

    def apply(report):
        counts = transfer.do_import_plan(report, acting_user=request.user)
        return _(
            "Import finished: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "created": counts.get("created", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
        }

    response = preview_then_apply(
        request,
        purpose=f"plan:{plan.pk}",
        upload_form=form,
        preview=preview,
        apply=apply,
        template="plans/plan_import.html",
        done_url=reverse(
            "plans:plan-detail", kwargs={"territory": request.territory.slug, "pk": plan.pk}
        ),
    )
    return response


@territory_view("plans.view")
def task_export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = TaskFilterForm(request.GET or None)
    return _transfer().TasksExporter(_filtered_tasks(request, form)).response(fmt)
