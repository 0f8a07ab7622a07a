"""The local strategic plan: goals, measures with implementers, tasks, progress, indicators."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from spolu.actors.models import EducationLevel
from spolu.core.fields import ChoiceSetField
from spolu.core.models import TenantModel


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    IN_IMPLEMENTATION = "in_implementation", _("In implementation")
    CLOSED = "closed", pgettext_lazy("plan status", "Closed")


class Plan(TenantModel):
    """A territory's plan for one period; the next period's plan names it as predecessor."""

    title = models.CharField(_("title"), max_length=300)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    resolution_number = models.CharField(
        _("resolution number"),
        max_length=100,
        blank=True,
        help_text=_("The council's resolution that adopted the plan."),
    )
    coordinator = models.ForeignKey(
        "actors.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coordinator"),
    )
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("previous plan"),
    )
    description = models.TextField(_("description"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-period_start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="plan_period_is_ordered",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status != PlanStatus.CLOSED


class Goal(TenantModel):
    """A goal of a plan, broken into measures."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("plan")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="goal_unique_code")]

    def __str__(self):
        return f"{self.code} {self.title}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")
    CANCELLED = "cancelled", _("Cancelled")


FINISHED_MEASURE_STATUSES = (MeasureStatus.DONE, MeasureStatus.CANCELLED)


class TargetGroup(models.TextChoices):
    CHILDREN = "children", _("Children and pupils")
    PARENTS = "parents", _("Parents and families")
    TEACHERS = "teachers", _("Teachers and school staff")
    SCHOOL_LEADERS = "school_leaders", _("School leaders")
    PROFESSIONALS = "professionals", _("Social and counselling professionals")
    PUBLIC = "public", _("The public")


class Currency(models.TextChoices):
    CZK = "CZK", "CZK"
    PLN = "PLN", "PLN"
    EUR = "EUR", "EUR"


class FundingSource(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal budget")
    STATE = "state", _("State")
    EU = "eu", _("EU programme")
    OTHER = "other", _("Other")


class Measure(TenantModel):
    """A measure of a goal, carried out by named organisations in a period."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("plan")
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="measures", verbose_name=_("goal")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    target_groups = ChoiceSetField(_("target groups"), choices=TargetGroup.choices)
    education_levels = ChoiceSetField(_("education levels"), choices=EducationLevel.choices)
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    budget_amount = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, blank=True
    )
    funding_source = models.CharField(
        _("funding source"), max_length=20, choices=FundingSource.choices, blank=True
    )
    funding_note = models.CharField(_("funding note"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    lead_implementer = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_measures",
        verbose_name=_("lead implementer"),
    )
    partners = models.ManyToManyField(
        "actors.Organisation",
        blank=True,
        related_name="partner_measures",
        verbose_name=_("partner organisations"),
    )
    responsible = models.ForeignKey(
        "actors.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person responsible"),
    )
    interventions = models.ManyToManyField(
        "catalog.Intervention",
        blank=True,
        related_name="measures",
        verbose_name=_("interventions from the catalogue"),
    )
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related measures")
    )
    carried_over_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_over_to",
        verbose_name=_("carried over from"),
    )
    # Kept by do_record_progress so the at-risk rule needs no subquery per measure.
    last_progress_on = models.DateField(_("last progress update"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="measure_unique_code"),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True)
                | models.Q(start__isnull=True)
                | models.Q(end__gte=models.F("start")),
                name="measure_dates_are_ordered",
            ),
        ]
        indexes = [models.Index(fields=["plan", "status"])]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def education_level_labels(self):
        return self._meta.get_field("education_levels").labels(self.education_levels)

    @property
    def target_group_labels(self):
        return self._meta.get_field("target_groups").labels(self.target_groups)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class Task(TenantModel):
    """Any follow-up: from a measure, or (with the meetings module) from a meeting's decision."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    owner_organisation = models.ForeignKey(
        "actors.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("organisation responsible"),
    )
    owner_person = models.ForeignKey(
        "actors.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("person responsible"),
    )
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    measure = models.ForeignKey(
        Measure,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("measure"),
    )
    decision = models.ForeignKey(
        "meetings.Decision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("decision"),
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["territory", "status", "due"])]

    def __str__(self):
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status == TaskStatus.OPEN and self.due is not None and self.due < today


class ProgressUpdate(TenantModel):
    """A dated account of where a measure stands, with evidence attached."""

    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="progress_updates",
        verbose_name=_("measure"),
    )
    date = models.DateField(_("date"))
    status = models.CharField(
        _("status at that date"), max_length=20, choices=MeasureStatus.choices
    )
    narrative = models.TextField(_("what happened"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.measure.code} {self.date}"


def attachment_path(instance, filename):
    # The stored name is random: the original name is kept in the row, never in the path.
    return f"attachments/{instance.territory_id}/{uuid.uuid4().hex}"


class Attachment(TenantModel):
    """Evidence attached to a progress update; its type is checked from its content."""

    progress_update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("progress update"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name


class Direction(models.TextChoices):
    UP = "up", _("Higher is better")
    DOWN = "down", _("Lower is better")


class Indicator(TenantModel):
    """A measurable sign of progress of a plan or of one of its measures."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("plan")
    )
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("measure"),
    )
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(_("unit"), max_length=50, help_text=_("E.g. %, pupils, children."))
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["name"]

    def __str__(self):
        return self.name


class IndicatorValue(TenantModel):
    """One measured value of an indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    date = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    source = models.CharField(pgettext_lazy("data", "source"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "date"], name="indicator_value_per_date")
        ]

    def __str__(self):
        return f"{self.indicator}: {self.value} ({self.date})"
