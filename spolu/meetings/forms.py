"""Forms of the meetings module."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from spolu.actors.models import Organisation, Person

from . import recurrence
from .models import AgendaItem, AgendaKind, AttendanceStatus, Meeting, Platform, Topic

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PlatformForm(forms.ModelForm):
    default_online_link = forms.URLField(
        label=_("Usual online link"), required=False, assume_scheme="https"
    )
    organiser = SafeModelChoiceField(
        queryset=Organisation.objects, label=_("Organiser"), required=False
    )
    facilitator = SafeModelChoiceField(
        queryset=Person.objects, label=_("Facilitator"), required=False
    )
    member_organisations = SafeModelMultipleChoiceField(
        queryset=Organisation.objects,
        label=_("Member organisations"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    member_people = SafeModelMultipleChoiceField(
        queryset=Person.objects,
        label=_("Member people"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    frequency = forms.ChoiceField(label=_("Rhythm"), choices=recurrence.FREQUENCIES, required=False)
    ordinal = forms.ChoiceField(
        label=_("Which week of the month"),
        choices=[("", "---------"), *recurrence.ORDINALS],
        required=False,
        help_text=_("For a monthly rhythm."),
    )
    weekday = forms.ChoiceField(
        label=_("Day of the week"),
        choices=[("", "---------"), *recurrence.WEEKDAYS],
        required=False,
    )

    class Meta:
        model = Platform
        fields = [
            "name",
            "kind",
            "purpose",
            "organiser",
            "facilitator",
            "member_organisations",
            "member_people",
            "frequency",
            "ordinal",
            "weekday",
            "first_meeting",
            "duration_minutes",
            "default_place",
            "default_online_link",
            "active",
        ]
        widgets = {"first_meeting": DATETIME}

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(territory=territory, active=True).order_by(
            "name"
        )
        people = Person.objects.filter(territory=territory, has_left=False).order_by("full_name")
        self.fields["organiser"].queryset = organisations
        self.fields["member_organisations"].queryset = organisations
        self.fields["facilitator"].queryset = people
        self.fields["member_people"].queryset = people
        if self.instance.pk:
            self.initial.update(recurrence.parse_rule(self.instance.recurrence))
            self.initial.setdefault(
                "member_organisations", list(self.instance.member_organisations.all())
            )
            self.initial.setdefault("member_people", list(self.instance.member_people.all()))

    def clean(self):
        data = super().clean()
        frequency = data.get("frequency")
        if frequency and not data.get("weekday"):
            self.add_error("weekday", _("Choose the day of the week."))
        if frequency in ("monthly", "quarterly") and not data.get("ordinal"):
            self.add_error("ordinal", _("Choose which week of the month."))
        if frequency and not data.get("first_meeting"):
            self.add_error("first_meeting", _("A regular rhythm needs the first meeting."))
        first = data.get("first_meeting")
        if first and not (2000 <= first.year <= 2100):
            self.add_error("first_meeting", _("Enter a year between 2000 and 2100."))
        duration = data.get("duration_minutes")
        if duration is not None and not (1 <= duration <= 24 * 60):
            self.add_error("duration_minutes", _("A meeting lasts between 1 minute and 24 hours."))
        if not self.errors:
            self.instance.recurrence = recurrence.build_rule(
                frequency or "", data.get("weekday") or "", data.get("ordinal") or "1"
            )
        return data


class MeetingForm(forms.ModelForm):
    online_link = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")

    class Meta:
        model = Meeting
        fields = ["title", "starts_at", "ends_at", "place", "online_link"]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end < start:
            self.add_error("ends_at", _("The meeting cannot end before it starts."))
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value and not (2000 <= value.year <= 2100):
                self.add_error(name, _("Enter a year between 2000 and 2100."))
        return data


class AgendaItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgendaKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.none(),
        label=_("Proposed topic"),
        required=False,
        empty_label=_("None"),
        help_text=_("Choose a proposed topic, or write a title."),
    )

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        backlog = []
        if meeting is not None:
            # Topics of the platform not yet on any agenda (the backlog), read once: the same
            # list decides whether the field is shown and gives its choices.
            topic = self.fields["topic"]
            topic.queryset = meeting.platform.topics.filter(agenda_items__isnull=True).order_by(
                "created"
            )
            backlog = list(topic.queryset)
            topic.choices = [("", topic.empty_label)] + [(t.pk, str(t)) for t in backlog]
        if not backlog:
            del self.fields["topic"]

    def clean(self):
        data = super().clean()
        topic = data.get("topic")
        if topic is not None:
            data["kind"] = AgendaKind.TOPIC
            data["title"] = data.get("title") or topic.title
        if not data.get("title"):
            self.add_error("title", _("Give the agenda item a title."))
        return data


class MinutesForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "minutes"]
        widgets = {"minutes": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "minutes": _(
                "Plain text; an empty line starts a new paragraph. Simple formatting "
                "(bold, lists, links) is kept, anything else is removed."
            )
        }


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}))
    agenda_item = forms.ModelChoiceField(
        queryset=AgendaItem.objects.none(), label=_("Agenda item"), required=False
    )
    task_title = forms.CharField(
        label=_("Task that follows it up"),
        max_length=300,
        required=False,
        help_text=_("Leave empty when the decision needs no task."),
    )
    task_organisation = SafeModelChoiceField(
        queryset=Organisation.objects, label=_("Organisation responsible"), required=False
    )
    task_person = SafeModelChoiceField(
        queryset=Person.objects, label=_("Person responsible"), required=False
    )
    task_due = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = meeting.agenda_items.all()
        self.fields["task_organisation"].queryset = Organisation.objects.filter(
            territory_id=meeting.territory_id, active=True
        ).order_by("name")
        self.fields["task_person"].queryset = Person.objects.filter(
            territory_id=meeting.territory_id, has_left=False
        ).order_by("full_name")

    def clean(self):
        data = super().clean()
        if data.get("task_title") and not (
            data.get("task_organisation") or data.get("task_person")
        ):
            self.add_error(
                "task_organisation", _("Name the organisation or the person responsible.")
            )
        return data


ATTENDANCE_CHOICES = [
    (AttendanceStatus.PRESENT, AttendanceStatus.PRESENT.label),
    (AttendanceStatus.EXCUSED, AttendanceStatus.EXCUSED.label),
    (AttendanceStatus.ABSENT, AttendanceStatus.ABSENT.label),
]


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=300)
    description = forms.CharField(
        label=_("Why it matters"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionForm(forms.Form):
    text = forms.CharField(label=_("Correction"), widget=forms.Textarea(attrs={"rows": 3}))
