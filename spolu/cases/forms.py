"""Forms of the cases module, with the checks that keep names and birth numbers out of text."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from spolu.actors.models import SCHOOL_KINDS, Organisation
from spolu.core.forms import IdChoiceField, IdMultipleChoiceField

from .models import EventKind, Outcome, Signal, TriageDecision

# A Czech or Slovak birth number (YYMMDD/XXXX, slash optional) or a Polish PESEL (11 digits).
BIRTH_NUMBER = re.compile(r"(?<!\d)(\d{6}\s*/\s*\d{3,4}|\d{9,10}|\d{11})(?!\d)")
# Two capitalised words in a row ("Jan Novák", "Łucja Wiśniewska"): possibly a full name.
FULL_NAME = re.compile(
    r"\b([A-ZÁČĎÉĚÍŇÓŘŠŤÚŮÝŽĄĆĘŁŃŚŹŻ][a-záčďéěíňóřšťúůýžąćęłńśźż]+)\s+"
    r"([A-ZÁČĎÉĚÍŇÓŘŠŤÚŮÝŽĄĆĘŁŃŚŹŻ][a-záčďéěíňóřšťúůýžąćęłńśźż]+)\b"
)


# Free text stays a note, not a file: the longest accepted text.
TEXT_LIMIT = 5000
GRADE = re.compile(r"^[0-9IVX]{1,4}\.?\s?[A-Za-z]{0,2}$")


def refuse_birth_numbers(text: str) -> str:
    """Texts of the steps never hold a birth number; names of organisations are fine there."""
    if BIRTH_NUMBER.search(text or ""):
        raise forms.ValidationError(
            _("Remove the number that looks like a birth number: Spolu must not store it.")
        )
    return text


class StepText(forms.CharField):
    """A free-text field of a workflow step: bounded, and without birth numbers."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", TEXT_LIMIT)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        return refuse_birth_numbers(super().clean(value))


def personal_data_in(text: str) -> list[str]:
    """What in `text` looks like a birth number or a person's full name."""
    found = []
    if BIRTH_NUMBER.search(text or ""):
        found.append(str(_("a number that looks like a birth number")))
    names = [" ".join(m.groups()) for m in FULL_NAME.finditer(text or "")]
    if names:
        found.append(
            str(_("what looks like a full name (%(names)s)") % {"names": ", ".join(names[:3])})
        )
    return found


class SignalForm(forms.ModelForm):
    school = IdChoiceField(queryset=Organisation.objects, label=_("School"))
    # Offered only after a warning (see clean), so that ticking it is a conscious act.
    confirm_no_personal_data = forms.BooleanField(
        label=_("I checked the text: it names no one and holds no birth number."),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Signal
        fields = [
            "school",
            "pupil_reference",
            "pupil_initials",
            "birth_year",
            "grade",
            "category",
            "urgency",
            "description",
            "school_actions",
        ]
        widgets = {
            "category": forms.RadioSelect,
            "urgency": forms.RadioSelect,
            "pupil_reference": forms.TextInput(attrs={"autocomplete": "off"}),
            "pupil_initials": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 8}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "school_actions": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "pupil_initials": _("For example J. N. The full name never goes into Spolu."),
            "description": _(
                "What the school noticed and since when. Do not write names of the pupil or "
                "of family members."
            ),
        }

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        only = list(schools[:2])
        if len(only) == 1:
            self.fields["school"].initial = only[0].pk
        self.warned = False

    def clean_pupil_reference(self):
        value = self.cleaned_data["pupil_reference"].strip()
        if BIRTH_NUMBER.fullmatch(value.replace(" ", "")):
            raise forms.ValidationError(
                _("Use the school's own reference for the pupil, never a birth number.")
            )
        if FULL_NAME.search(value):
            raise forms.ValidationError(
                _("Use the school's own reference for the pupil, never a name.")
            )
        if len(value) > 40:
            raise forms.ValidationError(_("Use at most 40 characters."))
        return value

    def clean_grade(self):
        value = self.cleaned_data["grade"].strip()
        if not GRADE.match(value):
            raise forms.ValidationError(_("Enter the grade and class only, e.g. 7 or 7.B."))
        return value

    def clean_description(self):
        return self._bounded("description")

    def clean_school_actions(self):
        return self._bounded("school_actions")

    def _bounded(self, name):
        value = self.cleaned_data[name]
        if len(value) > TEXT_LIMIT:
            raise forms.ValidationError(
                _("Use at most %(limit)s characters.") % {"limit": TEXT_LIMIT}
            )
        return value

    def clean_pupil_initials(self):
        value = self.cleaned_data["pupil_initials"].strip()
        letters = [c for c in value if c.isalpha()]
        if len(letters) > 3 or any(not (c.isalpha() or c in ". -") for c in value):
            raise forms.ValidationError(_("Initials only, e.g. J. N."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confirm_no_personal_data"):
            return cleaned
        for name in ("description", "school_actions"):
            found = personal_data_in(cleaned.get(name, ""))
            if found:
                self.warned = True
                self.fields["confirm_no_personal_data"].widget = forms.CheckboxInput()
                self.add_error(
                    name,
                    _(
                        "The text contains %(what)s. Remove it, or tick the confirmation below "
                        "if it is not personal data."
                    )
                    % {"what": "; ".join(found)},
                )
        return cleaned


class SupplementForm(forms.Form):
    text = StepText(label=_("What the school adds"), widget=forms.Textarea(attrs={"rows": 3}))


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        label=pgettext_lazy("triage", "Decision"),
        choices=TriageDecision.choices,
        widget=forms.RadioSelect,
    )
    reason = StepText(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The school reads the decision and the reason."),
    )


class ReferForm(forms.Form):
    organisations = IdMultipleChoiceField(
        queryset=Organisation.objects,
        label=_("Organisations"),
        widget=forms.CheckboxSelectMultiple,
    )
    note = StepText(
        label=_("What is asked of them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visible_to_school = forms.BooleanField(
        label=_("Tell the school to whom the signal was referred"), required=False, initial=True
    )

    def __init__(self, *args, territory, signal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = (
            Organisation.objects.filter(territory=territory, active=True)
            .exclude(pk=signal.school_id)
            .exclude(kind__in=SCHOOL_KINDS)
            .order_by("name")
        )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=[("accept", _("Accept the signal")), ("return", _("Return it"))],
        widget=forms.RadioSelect,
    )
    reason = StepText(
        label=_("Reason for returning"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to record"),
        choices=[
            (EventKind.ACTION, _("An action taken")),
            (EventKind.SUPPORT, _("Material support provided")),
            (EventKind.FEEDBACK, _("A message to the school")),
        ],
        widget=forms.RadioSelect,
        initial=EventKind.ACTION,
    )
    text = StepText(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    visible_to_school = forms.BooleanField(
        label=_("The school may read this"),
        required=False,
        help_text=_("A message to the school is always visible to it."),
    )
    support_item = forms.CharField(
        label=_("What was provided"),
        max_length=200,
        required=False,
        help_text=_("For material support, e.g. glasses, school supplies, lunches."),
    )
    support_paid_by = IdChoiceField(
        queryset=Organisation.objects, label=_("Paid by"), required=False
    )
    support_amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["support_paid_by"].queryset = Organisation.objects.filter(
            territory=territory, active=True
        ).order_by("name")


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    text = StepText(
        label=_("Note for the school"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The school reads the outcome and this note."),
    )
