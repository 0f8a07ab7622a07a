"""The editors' pages of the catalogue, and a coordinator's proposal of good practice."""

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from spolu.core.access import permission_view, territory_view
from spolu.core.audit import describe_entries
from spolu.core.forms import posted
from spolu.core.paging import paginate
from spolu.plans.models import Measure

from . import services
from .forms import (
    GoodPracticeForm,
    InterventionForm,
    ProposalForm,
    ReturnForm,
    text_forms,
)
from .models import GoodPractice, Intervention, InterventionText, Status

EDITOR = "catalog.edit_catalogue"
SECTION_SIZE = 10
PENDING = (Status.PROPOSED, Status.RETURNED)


def _section(request, queryset, param):
    # Each list of the editors' home pages on its own, so one can page through the drafts
    # while the review queue stays where it is.
    return Paginator(queryset, SECTION_SIZE).get_page(request.GET.get(param))


def _interventions():
    return services.interventions_with_titles().order_by("title", "pk")


def _good_practices():
    return GoodPractice.objects.select_related("territory", "proposed_by")


@permission_view(EDITOR)
def editor_home(request):
    # Queries: session, user, permissions (user's, groups'), for each of the five lists its
    # count and its page (none when a list is empty), switcher.
    sections = [
        (
            "review",
            gettext_lazy("Good practice waiting for review"),
            gettext_lazy("No proposal waits for review."),
            _good_practices().filter(status=Status.PROPOSED).order_by("updated", "pk"),
        ),
        (
            "drafts",
            gettext_lazy("Intervention drafts"),
            gettext_lazy("No intervention is in draft."),
            _interventions().filter(status=Status.DRAFT).order_by("-updated", "pk"),
        ),
        (
            "gp_drafts",
            gettext_lazy("Good practice in draft or returned to its author"),
            gettext_lazy("No good practice is in draft."),
            _good_practices()
            .filter(status__in=[Status.DRAFT, Status.RETURNED])
            .order_by("-updated", "pk"),
        ),
        (
            "published",
            gettext_lazy("Recently published interventions"),
            gettext_lazy("No intervention is published yet."),
            _interventions().filter(status=Status.PUBLISHED).order_by("-published_at", "pk"),
        ),
        (
            "gp_published",
            gettext_lazy("Recently published good practice"),
            gettext_lazy("No good practice is published yet."),
            _good_practices().filter(status=Status.PUBLISHED).order_by("-published_at", "pk"),
        ),
    ]
    context = {
        "sections": [
            {
                "param": param,
                "title": title,
                "empty": empty,
                "is_intervention": queryset.model is Intervention,
                "page_obj": _section(request, queryset, param),
            }
            for param, title, empty, queryset in sections
        ]
    }
    return render(request, "catalog/edit_home.html", context)


# --- interventions -----------------------------------------------------------------------


def _get_intervention(pk) -> Intervention:
    return get_object_or_404(Intervention.objects.prefetch_related("texts"), pk=pk)


def _intervention_form(request, intervention, *, created):
    data = posted(request)[0]
    form = InterventionForm(data, instance=intervention)
    texts = text_forms(data, intervention)
    if request.method == "POST":
        valid = form.is_valid()
        valid = all([text.is_valid() for text in texts]) and valid
        original = form.cleaned_data.get("original_language") if valid else None
        if valid:
            by_language = {text.language: text for text in texts}
            if original and by_language[original].is_empty:
                by_language[original].add_error(
                    "title", _("The original language needs a title and a summary.")
                )
                valid = False
        if valid:
            try:
                intervention = services.do_save_intervention(
                    form.save(commit=False),
                    {text.language: text.values() for text in texts},
                    related=form.cleaned_data["related"],
                    acting_user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The intervention was saved."))
                return redirect("catalog:intervention-edit", pk=intervention.pk)
    context = {
        "form": form,
        "texts": texts,
        "intervention": intervention,
        "created": created,
        "has_errors": bool(form.errors) or any(text.errors for text in texts),
    }
    return render(request, "catalog/edit_intervention.html", context)


@permission_view(EDITOR)
def intervention_add(request):
    return _intervention_form(request, Intervention(), created=True)


@permission_view(EDITOR)
def intervention_edit(request, pk):
    return _intervention_form(request, _get_intervention(pk), created=False)


@permission_view(EDITOR)
@require_POST
def intervention_publish(request, pk):
    intervention = _get_intervention(pk)
    try:
        services.do_publish(intervention, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The intervention is published."))
    return redirect("catalog:intervention-edit", pk=intervention.pk)


@permission_view(EDITOR)
@require_POST
def intervention_unpublish(request, pk):
    intervention = _get_intervention(pk)
    try:
        services.do_unpublish(intervention, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The intervention is back in draft and no longer public."))
    return redirect("catalog:intervention-edit", pk=intervention.pk)


def _history(request, entries, obj, edit_url):
    page_obj = paginate(
        request, entries.select_related("actor", "content_type").order_by("-timestamp", "-pk"), 50
    )
    describe_entries(list(page_obj))
    context = {"object": obj, "page_obj": page_obj, "edit_url": edit_url}
    return render(request, "catalog/edit_history.html", context)


@permission_view(EDITOR)
def intervention_history(request, pk):
    # Queries: session, user, permissions (user's, groups'), the intervention and its texts,
    # the content types (cached after the first request), count, page of entries, the
    # intervention the text entries name and its texts (for its title), switcher.
    intervention = _get_intervention(pk)
    types = ContentType.objects.get_for_models(Intervention, InterventionText)
    text_type = types[InterventionText]
    entries = LogEntry.objects.filter(
        Q(content_type=types[Intervention], object_id=intervention.pk)
        | Q(
            content_type=text_type,
            object_id__in=InterventionText.objects.filter(intervention=intervention).values("pk"),
        )
        # Texts deleted since: their entries carry the intervention when the model says so.
        | Q(content_type=text_type, additional_data__intervention=intervention.pk)
    )
    edit_url = reverse("catalog:intervention-edit", kwargs={"pk": intervention.pk})
    return _history(request, entries, intervention, edit_url)


# --- good practice -----------------------------------------------------------------------


def _get_good_practice(pk) -> GoodPractice:
    return get_object_or_404(
        GoodPractice.objects.select_related("territory", "proposed_by", "source_measure__plan"),
        pk=pk,
    )


def _good_practice_form(request, gp, *, created):
    form = GoodPracticeForm(posted(request)[0], instance=gp)
    if request.method == "POST" and form.is_valid():
        try:
            gp = services.do_save_good_practice(
                form.save(commit=False),
                interventions=form.cleaned_data["interventions"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The good practice was saved."))
            return redirect("catalog:good-practice-edit", pk=gp.pk)
    context = {"form": form, "gp": gp, "created": created}
    if not created:
        context["return_form"] = ReturnForm()
    return render(request, "catalog/edit_good_practice.html", context)


@permission_view(EDITOR)
def good_practice_add(request):
    return _good_practice_form(request, GoodPractice(), created=True)


@permission_view(EDITOR)
def good_practice_edit(request, pk):
    return _good_practice_form(request, _get_good_practice(pk), created=False)


@permission_view(EDITOR)
@require_POST
def good_practice_publish(request, pk):
    gp = _get_good_practice(pk)
    try:
        services.do_publish(gp, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The good practice is published."))
    return redirect("catalog:good-practice-edit", pk=gp.pk)


@permission_view(EDITOR)
@require_POST
def good_practice_unpublish(request, pk):
    gp = _get_good_practice(pk)
    try:
        services.do_unpublish(gp, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The good practice is back in draft and no longer public."))
    return redirect("catalog:good-practice-edit", pk=gp.pk)


@permission_view(EDITOR)
@require_POST
def good_practice_return(request, pk):
    gp = _get_good_practice(pk)
    return_form = ReturnForm(request.POST)
    if return_form.is_valid():
        try:
            services.do_return_good_practice(
                gp, return_form.cleaned_data["note"], acting_user=request.user
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("The proposal went back to its author with your note."))
            return redirect("catalog:editor-home")
        return redirect("catalog:good-practice-edit", pk=gp.pk)
    context = {"form": GoodPracticeForm(instance=gp), "gp": gp, "return_form": return_form}
    return render(request, "catalog/edit_good_practice.html", context)


@permission_view(EDITOR)
def good_practice_history(request, pk):
    # Queries: session, user, permissions (user's, groups'), the good practice, the content
    # type (cached), count, page of entries, the names of the territories, measures and
    # users the entries mention (one query per model), switcher.
    gp = get_object_or_404(GoodPractice, pk=pk)
    edit_url = reverse("catalog:good-practice-edit", kwargs={"pk": gp.pk})
    return _history(request, LogEntry.objects.get_for_object(gp), gp, edit_url)


# --- a coordinator's proposal from a measure ---------------------------------------------


def _proposal_initial(measure) -> dict:
    """What the measure already says, as a first version of the good practice."""
    territory = measure.territory
    start = measure.start or measure.plan.period_start
    end = measure.end if measure.status == "done" else None
    return {
        "title": measure.title,
        "summary": measure.description,
        "place": territory.name,
        "latitude": territory.latitude,
        "longitude": territory.longitude,
        "start_year": start.year if start else None,
        "end_year": end.year if end else None,
        "contact": measure.lead_implementer.name if measure.lead_implementer else "",
        "interventions": [i for i in measure.interventions.all() if i.status == Status.PUBLISHED],
    }


@territory_view("plans.change")
def good_practice_propose(request, measure):
    measure = get_object_or_404(
        Measure.objects.select_related("plan", "territory", "lead_implementer"),
        territory=request.territory,
        pk=measure,
    )
    shared = list(GoodPractice.objects.filter(source_measure=measure).order_by("-pk"))
    # A proposal of this measure that waits or came back is revised, not duplicated.
    pending = next((gp for gp in shared if gp.status in PENDING), None)
    if pending is not None:
        form = ProposalForm(posted(request)[0], instance=pending)
    else:
        form = ProposalForm(posted(request)[0], initial=_proposal_initial(measure))
    if request.method == "POST" and form.is_valid():
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name in ProposalForm.Meta.fields
        }
        try:
            services.do_propose_good_practice(measure, data, acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Thank you. The catalogue editors will review it and publish it."),
            )
            return redirect("plans:measure-detail", territory=request.territory.slug, pk=measure.pk)
    context = {
        "form": form,
        "measure": measure,
        "pending": pending,
        "published": [gp for gp in shared if gp.status == Status.PUBLISHED],
    }
    return render(request, "catalog/edit_propose.html", context)


urlpatterns = [
    path("edit/", editor_home, name="editor-home"),
    path("edit/interventions/add/", intervention_add, name="intervention-add"),
    path("edit/interventions/<int:pk>/", intervention_edit, name="intervention-edit"),
    path("edit/interventions/<int:pk>/publish/", intervention_publish, name="intervention-publish"),
    path(
        "edit/interventions/<int:pk>/unpublish/",
        intervention_unpublish,
        name="intervention-unpublish",
    ),
    path("edit/interventions/<int:pk>/history/", intervention_history, name="intervention-history"),
    path("edit/good-practice/add/", good_practice_add, name="good-practice-add"),
    path("edit/good-practice/<int:pk>/", good_practice_edit, name="good-practice-edit"),
    path(
        "edit/good-practice/<int:pk>/publish/",
        good_practice_publish,
        name="good-practice-publish",
    ),
    path(
        "edit/good-practice/<int:pk>/unpublish/",
        good_practice_unpublish,
        name="good-practice-unpublish",
    ),
    path("edit/good-practice/<int:pk>/return/", good_practice_return, name="good-practice-return"),
    path(
        "edit/good-practice/<int:pk>/history/",
        good_practice_history,
        name="good-practice-history",
    ),
    path(
        "propose/<slug:territory>/measures/<int:measure>/",
        good_practice_propose,
        name="good-practice-propose",
    ),
]
