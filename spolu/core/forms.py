"""Small helpers shared by the forms of every app."""

from django import forms
from django.core.exceptions import ValidationError
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdecimal() and len(text) < 12


class IdChoiceField(SafeModelChoiceField):
    """A scoped model choice whose posted id is checked before the database sees it
    (an id beyond the integer range makes SQLite raise instead of finding nothing)."""

    def to_python(self, value):
        if value not in self.empty_values and not _is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(SafeModelMultipleChoiceField):
    """The same check for a multiple choice."""

    def _check_values(self, value):
        for pk in value:
            if not _is_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class LongSelect(forms.Select):
    """A select for long lists, such as the 200 interventions of a national catalogue.

    Django renders each option through templates of its own; with hundreds of options that
    was most of a filter page's time. This renders them in one template. Options carry no
    attributes of their own other than `selected`.
    """

    template_name = "core/widgets/long_select.html"


def posted(request):
    """(data, files) for binding a form: bound on every POST, even an empty one.

    `request.POST or None` leaves a form unbound when nothing was sent, so an empty
    submission would show no errors; this binds it.
    """
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def int_param(params, name):
    """A positive integer from GET/POST parameters, or None ("²" and "-1" are not numbers)."""
    value = params.get(name, "")
    if value.isascii() and value.isdecimal() and len(value) < 12:
        return int(value)
    return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []
