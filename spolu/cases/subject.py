"""Data-subject requests: the head of case work finds a pupil's signals, exports or erases them.

The pupil's reference is only ever sent in POST bodies (search, export and erasure), never in
a URL, so it does not end up in browser history or server logs. Exports and erasures are
written to the audit log by the services in spolu/cases/retention.py.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from spolu.actors.models import SCHOOL_KINDS, Organisation
from spolu.core.access import territory_view
from spolu.core.audit import log_read
from spolu.core.documents import ExportUnavailable
from spolu.core.forms import posted

from . import retention

TEMPLATE = "cases/subject_search.html"


class SubjectForm(forms.Form):
    """Which pupil: the school that filed about them and the school's reference."""

    school = forms.ModelChoiceField(
        label=gettext_lazy("School"), queryset=Organisation.objects.none()
    )
    reference = forms.CharField(
        label=gettext_lazy("The school's reference for the pupil"),
        max_length=200,
        help_text=gettext_lazy(
            "As the school wrote it when filing; upper and lower case and spaces around it "
            "do not matter."
        ),
    )

    def __init__(self, *args, territory, hidden=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Closed schools too: their signals are still held.
        self.fields["school"].queryset = Organisation.objects.filter(
            territory=territory, kind__in=SCHOOL_KINDS
        ).order_by("name")
        if hidden:
            for field in self.fields.values():
                field.widget = forms.HiddenInput()


class EraseForm(SubjectForm):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm that these signals, with all their steps and referrals, are to be "
            "deleted for good."
        ),
        error_messages={
            "required": gettext_lazy(
                "Nothing was deleted: tick the box to confirm the deletion first."
            )
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, hidden=True, **kwargs)
        self.fields["confirm"].widget = forms.CheckboxInput()


def _subject_initial(data):
    return {"school": data["school"].pk, "reference": data["reference"]}


def _page(request, data, *, erase_form=None):
    """The search page with the signals found for `data` (cleaned school and reference)."""
    signals = retention.subject_signals(request.territory, data["school"], data["reference"])
    # Finding which signals concern a pupil is a read of child data.
    for signal in signals:
        log_read(signal)
    initial = _subject_initial(data)
    context = {
        "form": SubjectForm(territory=request.territory, initial=initial),
        "searched": True,
        "school": data["school"],
        "signals": signals,
        "export_form": SubjectForm(territory=request.territory, hidden=True, initial=initial),
        "erase_form": erase_form or EraseForm(territory=request.territory, initial=initial),
    }
    return render(request, TEMPLATE, context)


def _back(request):
    return redirect("cases:subject-search", territory=request.territory.slug)


@territory_view("cases.subject_requests")
def subject_search(request):
    # Searched by POST so that the pupil's reference stays out of URLs and server logs.
    form = SubjectForm(posted(request)[0], territory=request.territory)
    if request.method == "POST" and form.is_valid():
        return _page(request, form.cleaned_data)
    return render(request, TEMPLATE, {"form": form, "searched": False})


@territory_view("cases.subject_requests")
@require_POST
def subject_export(request, fmt):
    if fmt not in retention.SUBJECT_EXPORTS:
        raise Http404
    form = SubjectForm(request.POST, territory=request.territory, hidden=True)
    if not form.is_valid():
        messages.error(request, _("Choose the school and enter the pupil's reference."))
        return _back(request)
    school, reference = form.cleaned_data["school"], form.cleaned_data["reference"]
    signals = retention.subject_signals(request.territory, school, reference)
    if not signals:
        messages.warning(request, _("No signal of this school has this pupil reference."))
        return _back(request)
    try:
        content = retention.do_export_subject(signals, fmt, acting_user=request.user)
    except ExportUnavailable as exc:
        messages.error(request, str(exc))
        return _back(request)
    _export, content_type = retention.SUBJECT_EXPORTS[fmt]
    # The file name says whose data it is by school and date only, never the reference.
    stem = slugify(_("pupil data %(school)s") % {"school": school.name}) or "pupil-data"
    filename = f"{stem}-{timezone.localdate().isoformat()}.{fmt}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@territory_view("cases.subject_requests")
@require_POST
def subject_erase(request):
    form = EraseForm(request.POST, territory=request.territory)
    subject = SubjectForm(request.POST, territory=request.territory, hidden=True)
    if not subject.is_valid():
        messages.error(request, _("Choose the school and enter the pupil's reference."))
        return _back(request)
    if not form.is_valid():
        # Nothing is deleted: the page shows the signals again with the error by the box.
        return _page(request, subject.cleaned_data, erase_form=form)
    data = form.cleaned_data
    signals = retention.subject_signals(request.territory, data["school"], data["reference"])
    count = retention.do_erase_subject(signals, acting_user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s signal about the pupil was deleted with its steps and referrals.",
                "%(count)s signals about the pupil were deleted with their steps and referrals.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.warning(request, _("No signal of this school has this pupil reference."))
    return _back(request)


T = "t/<slug:territory>/cases/subject/"

urlpatterns = [
    path(T, subject_search, name="subject-search"),
    path(T + "export.<str:fmt>", subject_export, name="subject-export"),
    path(T + "erase/", subject_erase, name="subject-erase"),
]
