"""Small helpers shared by the forms of every app."""

from django import forms


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
