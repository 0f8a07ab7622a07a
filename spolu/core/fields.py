"""Model fields shared by apps."""

import unicodedata

from django import forms
from django.db import models


class ChoiceSetField(models.CharField):
    """A set of choices stored as ",a,b," so both SQLite and PostgreSQL can filter on it.

    `Model.objects.filter(levels__contains="primary")` finds rows whose set holds "primary"
    (the lookup value is wrapped in the delimiters, so "primary" never matches "preprimary").
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple | set):
            return [v for v in value if v]
        return [v for v in value.split(",") if v]

    def get_prep_value(self, value):
        if isinstance(value, str):
            # A single code: the form used by lookups such as __contains.
            return f",{value},"
        ordered = [code for code, _label in self.flatchoices if code in set(value or [])]
        return f",{','.join(ordered)}," if ordered else ""

    def validate(self, value, model_instance):
        valid = {code for code, _label in self.flatchoices}
        unknown = [v for v in value if v not in valid]
        if unknown:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], params={"value": unknown[0]}
            )

    def value_to_string(self, obj):
        return ",".join(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=self.choices,
            required=not self.blank,
            label=self.verbose_name,
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )

    def labels(self, values):
        names = dict(self.flatchoices)
        return [names.get(v, v) for v in values]


def fold(text: str) -> str:
    """Lower-case text without diacritics, for searches where "skola" finds "Škola"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Polish ł has no decomposition.
    return stripped.replace("ł", "l").replace("Ł", "L").casefold()
