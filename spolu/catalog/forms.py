"""Forms of the catalogue editors and of good-practice proposals."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import (
    EVIDENCE_MEANING,
    LANGUAGES,
    Cost,
    Evidence,
    GoodPractice,
    Intervention,
    InterventionText,
    Status,
)
from .services import RESERVED_SLUGS, TEXT_FIELDS, interventions_with_titles


class InterventionPicker(forms.CheckboxSelectMultiple):
    """A checkbox list with a filter box above it; picker.js filters as you type.

    Without JavaScript the filter box stays hidden and the list works as plain checkboxes.
    """

    template_name = "catalog/includes/edit_picker.html"

    def __init__(self, attrs=None, *, filter_label=None):
        super().__init__(attrs)
        self.filter_label = filter_label or _("Filter the list")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["filter_label"] = self.filter_label
        return context


class InterventionChoiceField(forms.ModelMultipleChoiceField):
    """Interventions by their title in the active language."""

    widget = InterventionPicker

    def _check_values(self, value):
        # An id beyond the integer range makes SQLite raise instead of finding nothing.
        for pk in value:
            if not (str(pk).isascii() and str(pk).isdecimal() and len(str(pk)) < 12):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Intervention.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", InterventionPicker(filter_label=_("Find an intervention by its name"))
        )
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return getattr(obj, "title", None) or str(obj)


def published_interventions(current=()):
    """Published interventions (and those already chosen) ordered by title, for pickers."""
    return interventions_with_titles(
        Intervention.objects.filter(Q(status=Status.PUBLISHED) | Q(pk__in=list(current)))
    ).order_by("title", "pk")


class InterventionForm(forms.ModelForm):
    """The language-independent part of an intervention: taxonomy, evidence and cost."""

    related = InterventionChoiceField(label=_("related interventions"))

    class Meta:
        model = Intervention
        fields = [
            "original_language",
            "slug",
            "area",
            "kind",
            "levels",
            "implementers",
            "evidence",
            "cost",
            "related",
        ]
        widgets = {"evidence": forms.RadioSelect, "cost": forms.RadioSelect}
        help_texts = {
            "original_language": _(
                "The language it was written in; shown when a translation is missing."
            ),
            "slug": _("The end of the page's web address. Leave empty to make it from the title."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["evidence"].choices = [
            (value, f"{label} — {EVIDENCE_MEANING[value]}") for value, label in Evidence.choices
        ]
        self.fields["cost"].choices = Cost.choices
        self.fields["related"].queryset = interventions_with_titles(
            Intervention.objects.exclude(pk=self.instance.pk)
        ).order_by("title", "pk")

    def clean_slug(self):
        slug = self.cleaned_data.get("slug", "")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is taken by a page of the catalogue."))
        return slug


class InterventionTextForm(forms.ModelForm):
    """An intervention's words in one language; empty title and summary leave it out."""

    class Meta:
        model = InterventionText
        fields = list(TEXT_FIELDS)
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "inspiration": forms.Textarea(attrs={"rows": 4}),
            "caveats": forms.Textarea(attrs={"rows": 4}),
            "sources": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, language, **kwargs):
        kwargs.setdefault("prefix", language)
        super().__init__(*args, **kwargs)
        self.language = language
        self.language_name = dict(LANGUAGES)[language]
        for field in self.fields.values():
            field.required = False
            # Screen readers read what is typed in the language it is written in.
            field.widget.attrs["lang"] = language

    def validate_unique(self):
        pass  # one text per language is the service's business

    def clean(self):
        data = super().clean()
        title, summary = data.get("title", ""), data.get("summary", "")
        if title and not summary:
            self.add_error("summary", _("Write a summary too, or empty the title."))
        if summary and not title:
            self.add_error("title", _("Write a title too, or empty the summary."))
        return data

    @property
    def is_empty(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("title") and not data.get("summary")

    def values(self):
        """The fields to save, or None when this language is left out."""
        if self.is_empty:
            return None
        return {name: self.cleaned_data.get(name, "") for name in TEXT_FIELDS}


def text_forms(data, intervention):
    """One text form per language, bound to the intervention's existing texts."""
    existing = {t.language: t for t in intervention.texts.all()} if intervention.pk else {}
    return [
        InterventionTextForm(
            data,
            instance=existing.get(code) or InterventionText(language=code),
            language=code,
        )
        for code, _name in LANGUAGES
    ]


YEAR_HELP = _("A year between 1950 and 2100.")


class GoodPracticeForm(forms.ModelForm):
    """A good practice as an editor writes it."""

    interventions = InterventionChoiceField(label=_("interventions"))

    class Meta:
        model = GoodPractice
        fields = [
            "title",
            "language",
            "place",
            "latitude",
            "longitude",
            "start_year",
            "end_year",
            "summary",
            "what_was_done",
            "results",
            "interventions",
            "contact",
            "sources",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "what_was_done": forms.Textarea(attrs={"rows": 6}),
            "results": forms.Textarea(attrs={"rows": 4}),
            "sources": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "place": _("The town or region, as readers know it."),
            "latitude": _("For the map, e.g. 49.59541."),
            "longitude": _("For the map, e.g. 17.25087."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("interventions") or []
        self.fields["interventions"].queryset = published_interventions(
            getattr(i, "pk", i) for i in current
        )
        for name in ("start_year", "end_year"):
            self.fields[name].widget.attrs.update({"min": 1950, "max": 2100})
        self.fields["latitude"].widget.attrs.update({"step": "any"})
        self.fields["longitude"].widget.attrs.update({"step": "any"})

    def clean_start_year(self):
        return self._year("start_year")

    def clean_end_year(self):
        return self._year("end_year")

    def _year(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not 1950 <= value <= 2100:
            raise forms.ValidationError(YEAR_HELP)
        return value

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise forms.ValidationError(_("A latitude lies between -90 and 90."))
        return value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise forms.ValidationError(_("A longitude lies between -180 and 180."))
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("The period cannot end before it starts."))
        return data


class ProposalForm(GoodPracticeForm):
    """A coordinator's proposal from a measure: the language is the territory's."""

    class Meta(GoodPracticeForm.Meta):
        fields = [f for f in GoodPracticeForm.Meta.fields if f != "language"]


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the author"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What should change before it can be published. It is e-mailed to the author."),
    )
