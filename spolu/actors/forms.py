"""Forms of the actor registry: editing, filtering and uploading."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelMultipleChoiceField

from spolu.territories.models import Membership, Territory

from .models import EducationLevel, Organisation, OrganisationKind, Person, Position


def municipality_choices(territory):
    """The territory itself and its member municipalities (villages of an ORP, gminas)."""
    return Territory.objects.filter(Q(pk=territory.pk) | Q(parent=territory))


class OrganisationForm(forms.ModelForm):
    web = forms.URLField(label=_("web"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "short_name",
            "kind",
            "municipality",
            "address",
            "founder",
            "ico",
            "red_izo",
            "izo",
            "regon",
            "rspo",
            "web",
            "email",
            "phone",
            "education_levels",
            "pupils",
            "latitude",
            "longitude",
            "active",
        ]

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipality_choices(territory).order_by("name")
        country = territory.country
        # Show the identifiers of the territory's country only.
        hidden = ["regon", "rspo"] if country == "CZ" else ["ico", "red_izo", "izo"]
        for name in hidden:
            del self.fields[name]
        self.territory = territory

    def _unique_identifier(self, name, label):
        value = self.cleaned_data.get(name, "").strip()
        if value:
            clash = Organisation.objects.filter(territory=self.territory, **{name: value}).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                raise forms.ValidationError(
                    _("Another organisation of this territory has this %(label)s.")
                    % {"label": label}
                )
        return value

    def clean_red_izo(self):
        return self._unique_identifier("red_izo", "RED_IZO")

    def clean_rspo(self):
        return self._unique_identifier("rspo", _("RSPO number"))


class PersonForm(forms.ModelForm):
    # The scoped manager refuses a query at import time; the view sets the real choices.
    organisations = SafeModelMultipleChoiceField(
        queryset=Organisation.objects,
        label=_("Organisations"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Person
        fields = [
            "full_name",
            "position",
            "position_note",
            "organisations",
            "email",
            "phone",
            "has_left",
            "left_on",
        ]
        widgets = {
            "left_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        label=_("User account"),
        required=False,
        help_text=_(
            "Linking a member's account to this person lets them edit their organisation "
            "and update the measures it implements."
        ),
    )

    def __init__(self, *args, organisations, territory=None, may_link_user=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = organisations
        self.fields["organisations"].help_text = _("Hold Ctrl (or Cmd) to choose more than one.")
        if may_link_user and territory is not None:
            # Members of the territory whose account is not yet linked to another person.
            taken = Person.objects.filter(territory=territory, user__isnull=False).exclude(
                pk=self.instance.pk
            )
            members = Membership.objects.filter(territory=territory).values("user")
            self.fields["user"].queryset = (
                get_user_model()
                .objects.filter(pk__in=members)
                .exclude(pk__in=taken.values("user"))
                .order_by("full_name", "email")
            )
            self.fields["user"].label_from_instance = lambda u: (
                f"{u.full_name} ({u.email})" if u.full_name else u.email
            )
            self.initial.setdefault("user", self.instance.user_id)
        else:
            del self.fields["user"]

    def save(self, commit=True):
        if "user" in self.fields:
            self.instance.user = self.cleaned_data.get("user")
        return super().save(commit=commit)


ACTIVE_CHOICES = [
    ("yes", _("Active")),
    ("no", _("Closed")),
    ("all", _("All")),
]


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *OrganisationKind.choices]
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        required=False,
        queryset=Territory.objects.none(),
        empty_label=_("All municipalities"),
    )
    level = forms.ChoiceField(
        label=_("Education level"),
        required=False,
        choices=[("", _("All levels")), *EducationLevel.choices],
    )
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipality_choices(territory).order_by("name")


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    position = forms.ChoiceField(
        label=_("Position"), required=False, choices=[("", _("All positions")), *Position.choices]
    )
    show_left = forms.BooleanField(label=_("Include people who left"), required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_mb = max_mb

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.") % {"limit": self.max_mb}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class RegisterUploadForm(UploadForm):
    format = forms.ChoiceField(label=_("Format"), required=False)

    def __init__(self, *args, formats, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [("", _("Recognise from the file")), *formats]
