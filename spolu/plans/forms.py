"""Forms of the plans module."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from spolu.actors.models import EducationLevel, Organisation, Person
from spolu.catalog.forms import InterventionChoiceField, published_interventions
from spolu.core.forms import MultipleFileField

from .models import (
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    Plan,
    ProgressUpdate,
    Task,
    TaskStatus,
)


def _check_period(form, data):
    start, end = data.get("period_start"), data.get("period_end")
    if start and end and end < start:
        form.add_error("period_end", _("The period cannot end before it starts."))
    for name in ("period_start", "period_end"):
        value = data.get(name)
        if value and not (1990 <= value.year <= 2100):
            form.add_error(name, _("Enter a year between 1990 and 2100."))
    if start and end and (end - start).days > 366 * 15:
        form.add_error("period_end", _("A plan's period cannot be longer than 15 years."))
    return data


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.ModelForm):
    coordinator = SafeModelChoiceField(
        queryset=Person.objects, label=_("coordinator"), required=False
    )

    class Meta:
        model = Plan
        fields = ["title", "period_start", "period_end", "coordinator", "description"]
        widgets = {"period_start": DATE, "period_end": DATE}

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].queryset = Person.objects.filter(
            Q(has_left=False) | Q(pk=self.instance.coordinator_id), territory=territory
        ).order_by("full_name")

    def clean(self):
        return _check_period(self, super().clean())


class AdoptForm(forms.Form):
    adopted_on = forms.DateField(label=_("Adopted on"), widget=DATE)
    resolution_number = forms.CharField(
        label=_("Resolution number"), max_length=100, help_text=_("E.g. ZM/12/2026.")
    )


class NextPeriodForm(forms.Form):
    title = forms.CharField(label=_("Title of the new plan"), max_length=300)
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Period end"), widget=DATE)
    carry_over = SafeModelMultipleChoiceField(
        queryset=Measure.objects,
        label=_("Unfinished measures to carry over"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        unfinished = plan.measures.exclude(
            status__in=[MeasureStatus.DONE, MeasureStatus.CANCELLED]
        ).order_by("code")
        self.fields["carry_over"].queryset = unfinished
        self.fields["carry_over"].label_from_instance = lambda m: f"{m.code} {m.title}"

    def clean(self):
        return _check_period(self, super().clean())


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["code", "title", "description"]

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        clash = self.plan.goals.filter(code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another goal of this plan has this code."))
        return code


class MeasureForm(forms.ModelForm):
    goal = SafeModelChoiceField(queryset=Goal.objects, label=_("goal"))
    lead_implementer = SafeModelChoiceField(
        queryset=Organisation.objects,
        label=_("lead implementer"),
        required=False,
        help_text=_("Required before the plan can be adopted."),
    )
    partners = SafeModelMultipleChoiceField(
        queryset=Organisation.objects,
        label=_("partner organisations"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    responsible = SafeModelChoiceField(
        queryset=Person.objects, label=_("person responsible"), required=False
    )
    related = SafeModelMultipleChoiceField(
        queryset=Measure.objects,
        label=_("related measures"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    interventions = InterventionChoiceField(
        label=_("interventions from the catalogue"),
        help_text=_("The proven interventions this measure puts into practice."),
    )

    class Meta:
        model = Measure
        fields = [
            "goal",
            "code",
            "title",
            "description",
            "status",
            "lead_implementer",
            "partners",
            "responsible",
            "start",
            "end",
            "education_levels",
            "target_groups",
            "budget_amount",
            "budget_currency",
            "funding_source",
            "funding_note",
            "related",
            "interventions",
        ]
        widgets = {"start": DATE, "end": DATE}

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        # Closed organisations and people who left are not offered, unless the measure
        # already names them: editing another field must not silently drop them.
        current = (
            list(self.instance.partners.values_list("pk", flat=True)) if self.instance.pk else []
        )
        organisations = Organisation.objects.filter(territory_id=plan.territory_id)
        self.fields["goal"].queryset = plan.goals.order_by("code")
        if plan.status != "draft":
            # An adopted plan keeps a lead implementer on every measure.
            self.fields["lead_implementer"].required = True
        self.fields["lead_implementer"].queryset = organisations.filter(
            Q(active=True) | Q(pk=self.instance.lead_implementer_id)
        ).order_by("name")
        self.fields["partners"].queryset = organisations.filter(
            Q(active=True) | Q(pk__in=current)
        ).order_by("name")
        self.fields["responsible"].queryset = Person.objects.filter(
            Q(has_left=False) | Q(pk=self.instance.responsible_id),
            territory_id=plan.territory_id,
        ).order_by("full_name")
        self.fields["related"].queryset = (
            Measure.objects.filter(territory_id=plan.territory_id)
            .exclude(pk=self.instance.pk)
            .select_related("plan")
            .order_by("-plan__period_start", "code")
        )
        self.fields["related"].label_from_instance = lambda m: f"{m.code} {m.title} ({m.plan})"
        if self.instance.pk:
            self.initial.setdefault("partners", list(self.instance.partners.all()))
            self.initial.setdefault("related", list(self.instance.related.all()))
        # Published interventions, and those already linked even if withdrawn since.
        linked = self.initial.get("interventions") or []
        self.fields["interventions"].queryset = published_interventions(
            getattr(i, "pk", i) for i in linked
        )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if self.plan.measures.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another measure of this plan has this code."))
        return code

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The measure cannot end before it starts."))
        for name in ("start", "end"):
            value = data.get(name)
            # Only a new or changed date must lie in the period: a plan whose period was
            # shortened keeps its measures editable.
            unchanged = self.instance.pk and getattr(self.instance, name) == value
            if (
                value
                and not unchanged
                and not (self.plan.period_start <= value <= self.plan.period_end)
            ):
                self.add_error(name, _("The date lies outside the plan's period."))
        if data.get("budget_amount") is not None and not data.get("budget_currency"):
            self.add_error("budget_currency", _("Choose the currency of the budget."))
        return data


class ProgressForm(forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, DOCX, XLSX, ODT or images."),
    )

    class Meta:
        model = ProgressUpdate
        fields = ["date", "status", "narrative"]
        widgets = {"date": DATE}

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A progress update cannot be dated in the future."))
        return date


class TaskForm(forms.ModelForm):
    owner_organisation = SafeModelChoiceField(
        queryset=Organisation.objects, label=_("organisation responsible"), required=False
    )
    owner_person = SafeModelChoiceField(
        queryset=Person.objects, label=_("person responsible"), required=False
    )
    measure = SafeModelChoiceField(queryset=Measure.objects, label=_("measure"), required=False)

    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "owner_organisation",
            "owner_person",
            "due",
            "status",
            "measure",
        ]
        widgets = {"due": DATE}

    def __init__(self, *args, territory, organisations=None, measures=None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["owner_organisation"].queryset = organisations or Organisation.objects.filter(
            Q(active=True) | Q(pk=instance.owner_organisation_id), territory=territory
        ).order_by("name")
        self.fields["owner_person"].queryset = Person.objects.filter(
            Q(has_left=False) | Q(pk=instance.owner_person_id), territory=territory
        ).order_by("full_name")
        self.fields["measure"].queryset = (
            measures
            if measures is not None
            else Measure.objects.filter(territory=territory)
            .filter(~Q(plan__status="closed") | Q(pk=instance.measure_id))
            .order_by("code")
        )

    def clean(self):
        data = super().clean()
        if not data.get("owner_organisation") and not data.get("owner_person"):
            self.add_error(
                "owner_organisation", _("Name the organisation or the person responsible.")
            )
        return data


class TaskFilterForm(forms.Form):
    SCOPES = [
        ("mine", _("Mine")),
        ("organisation", _("My organisation's")),
        ("all", _("All")),
    ]
    scope = forms.ChoiceField(label=_("Show"), choices=SCOPES, required=False, initial="all")
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and overdue")), *TaskStatus.choices, ("any", _("Any status"))],
    )


class IndicatorForm(forms.ModelForm):
    measure = SafeModelChoiceField(
        queryset=Measure.objects,
        label=_("measure"),
        required=False,
        help_text=_("Leave empty for an indicator of the whole plan."),
    )

    class Meta:
        model = Indicator
        fields = [
            "name",
            "unit",
            "direction",
            "measure",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
        ]
        widgets = {"baseline_date": DATE, "target_date": DATE}

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = plan.measures.order_by("code")


class IndicatorValueForm(forms.ModelForm):
    class Meta:
        model = IndicatorValue
        fields = ["date", "value", "source", "note"]
        widgets = {"date": DATE}


class MeasureFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *MeasureStatus.choices]
    )
    implementer = SafeModelChoiceField(
        queryset=Organisation.objects,
        label=_("Implementer"),
        required=False,
        empty_label=_("All organisations"),
    )
    level = forms.ChoiceField(
        label=_("Education level"),
        required=False,
        choices=[("", _("All levels")), *EducationLevel.choices],
    )
    at_risk = forms.BooleanField(label=_("Only at risk"), required=False)

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["implementer"].queryset = Organisation.objects.filter(
            territory=territory
        ).order_by("name")
