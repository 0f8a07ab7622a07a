"""Directory pages: organisations and people of a territory, the map, imports and exports."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from spolu.core.access import territory_view
from spolu.core.fields import fold
from spolu.core.forms import int_param
from spolu.core.forms import posted as _posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can
from spolu.core.uploads import preview_then_apply
from spolu.meetings.access import visible_platforms
from spolu.plans.models import Measure, PlanStatus

from . import contacts, registers, services
from .forms import (
    OrganisationFilterForm,
    OrganisationForm,
    PersonFilterForm,
    PersonForm,
    RegisterUploadForm,
    UploadForm,
)
from .models import Organisation, Person, organisation_ids_of

EXPORT_FORMATS = ("csv", "xlsx")

# --- access helpers: one condition per line ---------------------------------------------


def _changeable_organisation_ids(request) -> set[int] | None:
    """Organisations the user may edit: None means all of the territory's."""
    if role_can(request.role, "actors.change"):
        return None
    if not role_can(request.role, "actors.change_own"):
        return set()
    return organisation_ids_of(request.user, request.territory)


def _may_change(request, organisation_ids) -> bool:
    allowed = _changeable_organisation_ids(request)
    if allowed is None:
        return True
    return bool(set(organisation_ids) & allowed)


def _get_organisation(request, pk, *, write=False) -> Organisation:
    """The territory's organisation, 404 if missing or foreign, 403 if it may not be changed."""
    organisation = get_object_or_404(
        Organisation.objects.select_related("municipality"), territory=request.territory, pk=pk
    )
    if write and not _may_change(request, [organisation.pk]):
        raise PermissionDenied
    return organisation


def _get_person(request, pk, *, write=False) -> Person:
    person = get_object_or_404(
        Person.objects.select_related("user").prefetch_related(
            Prefetch("organisations", queryset=Organisation.objects.order_by("name"))
        ),
        territory=request.territory,
        pk=pk,
    )
    if write and not _may_change(request, [o.pk for o in person.organisations.all()]):
        raise PermissionDenied
    return person


def _search(queryset, text: str):
    for word in fold(text).split():
        queryset = queryset.filter(search_text__contains=word)
    return queryset


# --- organisations -----------------------------------------------------------------------


def _filtered_organisations(request):
    """The territory's organisations narrowed by the list's filters; also the export's rows."""
    form = OrganisationFilterForm(request.GET or None, territory=request.territory)
    organisations = Organisation.objects.filter(territory=request.territory).select_related(
        "municipality"
    )
    active = "yes"
    if form.is_valid():
        data = form.cleaned_data
        organisations = _search(organisations, data["q"])
        if data["kind"]:
            organisations = organisations.filter(kind=data["kind"])
        if data["municipality"]:
            organisations = organisations.filter(municipality=data["municipality"])
        if data["level"]:
            organisations = organisations.filter(education_levels__contains=data["level"])
        active = data["active"] or "yes"
    if active != "all":
        organisations = organisations.filter(active=active == "yes")
    return form, organisations.order_by("name", "pk")


@territory_view("actors.view")
def organisation_list(request):
    # Queries: session, user, membership, the filter's municipalities, count, the page.
    form, organisations = _filtered_organisations(request)
    organisations = organisations.annotate(
        people_count=Count("people", filter=Q(people__has_left=False))
    )
    context = {
        "form": form,
        "page_obj": paginate(request, organisations),
        "may_add": role_can(request.role, "actors.change"),
        "query_string": request.GET.urlencode(),
    }
    return render(request, "actors/organisation_list.html", context)


def _map_points(organisations, territory_slug):
    return [
        {
            "name": str(o),
            "kind": o.get_kind_display(),
            "lat": float(o.latitude),
            "lon": float(o.longitude),
            "url": reverse(
                "actors:organisation-detail", kwargs={"territory": territory_slug, "pk": o.pk}
            ),
        }
        for o in organisations
        if o.has_location
    ]


def _map_settings():
    return {"tiles": settings.SPOLU_MAP_TILE_URL, "attribution": settings.SPOLU_MAP_ATTRIBUTION}


@territory_view("actors.view")
def organisation_map(request):
    form, organisations = _filtered_organisations(request)
    organisations = list(organisations)
    points = _map_points(organisations, request.territory.slug)
    context = {
        "form": form,
        "map_data": {"points": points, **_map_settings()},
        "without_location": [o for o in organisations if not o.has_location],
        "count": len(organisations),
    }
    return render(request, "actors/organisation_map.html", context)


@territory_view("actors.view")
def organisation_detail(request, pk):
    # Queries: session, user, membership, the organisation, its people, (partner) own ids.
    organisation = _get_organisation(request, pk)
    people = Person.objects.filter(
        territory=request.territory, organisations=organisation
    ).order_by("has_left", "full_name")
    measures = (
        Measure.objects.filter(Q(lead_implementer=organisation) | Q(partners=organisation))
        .exclude(plan__status=PlanStatus.CLOSED)
        .select_related("plan", "lead_implementer")
        .distinct()
        .order_by("plan__period_start", "code")
    )
    context = {
        "organisation": organisation,
        "measures": list(measures),
        "platforms": list(
            visible_platforms(request).filter(member_organisations=organisation).order_by("name")
        ),
        "people": list(people),
        "may_change": _may_change(request, [organisation.pk]),
        "map_data": {
            "points": _map_points([organisation], request.territory.slug),
            **_map_settings(),
        },
    }
    return render(request, "actors/organisation_detail.html", context)


def _organisation_form(request, organisation, *, created: bool):
    form = OrganisationForm(_posted(request)[0], instance=organisation, territory=request.territory)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.do_save_organisation(
                form.save(commit=False), acting_user=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, _("The organisation was added."))
            else:
                messages.success(request, _("The changes were saved."))
            return redirect(
                "actors:organisation-detail", territory=request.territory.slug, pk=organisation.pk
            )
    return render(
        request,
        "actors/organisation_form.html",
        {"form": form, "organisation": organisation, "created": created},
    )


@territory_view("actors.change")
def organisation_add(request):
    return _organisation_form(request, Organisation(territory=request.territory), created=True)


@territory_view("actors.change_own")
def organisation_edit(request, pk):
    return _organisation_form(request, _get_organisation(request, pk, write=True), created=False)


@territory_view("actors.export")
def organisation_export(request, fmt):

    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, organisations = _filtered_organisations(request)
    return contacts.OrganisationExporter(organisations).response(fmt)


# --- people ------------------------------------------------------------------------------


def _filtered_people(request):
    form = PersonFilterForm(request.GET or None)
    people = Person.objects.filter(territory=request.territory).prefetch_related(
        Prefetch("organisations", queryset=Organisation.objects.order_by("name"))
    )
    show_left = False
    if form.is_valid():
        people = _search(people, form.cleaned_data["q"])
        if form.cleaned_data["position"]:
            people = people.filter(position=form.cleaned_data["position"])
        show_left = form.cleaned_data["show_left"]
    if not show_left:
        people = people.filter(has_left=False)
    return form, people.order_by("full_name", "pk")


@territory_view("actors.view")
def person_list(request):
    # Queries: session, user, membership, count, the page, the page's organisations.
    form, people = _filtered_people(request)
    context = {
        "form": form,
        "page_obj": paginate(request, people),
        "may_add": role_can(request.role, "actors.change_own"),
        "may_export": role_can(request.role, "actors.export"),
        "may_import": role_can(request.role, "actors.import"),
        "query_string": request.GET.urlencode(),
    }
    return render(request, "actors/person_list.html", context)


@territory_view("actors.view")
def person_detail(request, pk):
    person = _get_person(request, pk)
    context = {
        "person": person,
        "may_change": _may_change(request, [o.pk for o in person.organisations.all()]),
    }
    return render(request, "actors/person_detail.html", context)


@territory_view("actors.view")
def person_vcard(request, pk):

    return contacts.vcard_response(_get_person(request, pk))


def _person_form(request, person, *, created: bool):
    allowed = _changeable_organisation_ids(request)
    choices = Organisation.objects.filter(territory=request.territory).order_by("name")
    if allowed is not None:
        choices = choices.filter(pk__in=allowed)
    initial = {}
    organisation_id = int_param(request.GET, "organisation")
    if created and organisation_id:
        initial["organisations"] = [organisation_id]
    form = PersonForm(
        _posted(request)[0],
        instance=person,
        organisations=choices,
        initial=initial,
        territory=request.territory,
        may_link_user=role_can(request.role, "actors.change"),
    )
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["organisations"])
        if allowed is not None and person.pk:
            # A partner sees only their own organisations: the person's other ones stay.
            chosen += [o for o in person.organisations.all() if o.pk not in allowed]
        try:
            person = services.do_save_person(
                form.save(commit=False),
                organisations=chosen,
                acting_user=request.user,
                allowed_organisation_ids=allowed,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The person was added.") if created else _("The changes were saved.")
            )
            return redirect("actors:person-detail", territory=request.territory.slug, pk=person.pk)
    return render(
        request, "actors/person_form.html", {"form": form, "person": person, "created": created}
    )


@territory_view("actors.change_own")
def person_add(request):
    if _changeable_organisation_ids(request) == set():
        raise PermissionDenied
    return _person_form(request, Person(territory=request.territory), created=True)


@territory_view("actors.change_own")
def person_edit(request, pk):
    return _person_form(request, _get_person(request, pk, write=True), created=False)


@territory_view("actors.export")
def person_export(request, fmt):

    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, people = _filtered_people(request)
    return contacts.PeopleExporter(people).response(fmt)


# --- imports -----------------------------------------------------------------------------


@territory_view("actors.import")
def register_import(request):

    formats = [(code, label) for code, (label, _parser) in registers.FORMATS.items()]
    form = RegisterUploadForm(
        *_posted(request),
        formats=formats,
        max_mb=settings.SPOLU_IMPORT_MAX_MB,
    )

    def preview(fileobj, name, data):
        format_code = data.get("format") or ""
        if format_code not in registers.FORMATS:
            head = fileobj.read(4096)
            fileobj.seek(0)
            format_code = registers.detect_format(name, head)
        if format_code is None:
            return registers.ImportReport.unreadable(
                _("The file's format was not recognised; choose it in the form.")
            )
        return registers.plan_import(request.territory, fileobj, format_code)

    def apply(report):
        registers.apply_import(report, acting_user=request.user)
        return _(
            "Import finished: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
        ) % {
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
        }

    return preview_then_apply(
        request,
        purpose=f"register:{request.territory.pk}",
        upload_form=form,
        preview=preview,
        apply=apply,
        template="actors/register_import.html",
        done_url=reverse("actors:organisation-list", kwargs={"territory": request.territory.slug}),
    )


@territory_view("actors.import")
def people_import(request):

    form = UploadForm(*_posted(request), max_mb=20)

    def preview(fileobj, name, data):
        return contacts.parse_people_file(_NamedFile(fileobj, name), territory=request.territory)

    def apply(report):
        counts = contacts.do_import_people(report, acting_user=request.user)
        return (
            _("Import finished: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
            % counts
        )

    return preview_then_apply(
        request,
        purpose=f"people:{request.territory.pk}",
        upload_form=form,
        preview=preview,
        apply=apply,
        template="actors/people_import.html",
        done_url=reverse("actors:person-list", kwargs={"territory": request.territory.slug}),
    )


class _NamedFile:
    """A stored file presented like an upload (name, read, seek) to the contacts parser."""

    def __init__(self, fileobj, name):
        self.file = fileobj
        self.name = name

    def __getattr__(self, attr):
        return getattr(self.file, attr)

    def chunks(self, chunk_size=64 * 1024):
        self.file.seek(0)
        while chunk := self.file.read(chunk_size):
            yield chunk
