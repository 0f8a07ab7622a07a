"""Forms for managing a territory's members."""

from auditlog.models import LogEntry
from django import forms
from django.utils.translation import gettext_lazy as _

from spolu.core.permissions import Role


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        help_text=_("Used only when the person has no Spolu account yet."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AuditFilterForm(forms.Form):
    ACTION_CHOICES = [
        ("", _("All actions")),
        (str(LogEntry.Action.CREATE), _("Created")),
        (str(LogEntry.Action.UPDATE), _("Changed")),
        (str(LogEntry.Action.DELETE), _("Deleted")),
        (str(LogEntry.Action.ACCESS), _("Opened")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES, required=False)
