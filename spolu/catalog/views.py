"""Public pages of the catalogue: interventions and good practice, searched and read; open data.

Anyone may read these pages, logged in or not, and they only ever show published content: a
draft, a proposal or a returned text answers 404 here whoever asks.
"""

from django.db.models import OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce, Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, register_converter
from django.urls.converters import StringConverter
from django.utils import translation
from django_scopes import scopes_disabled

from spolu.core.access import public_view
from spolu.core.fields import fold
from spolu.core.paging import paginate
from spolu.plans.models import Measure

from . import opendata
from .models import (
    EVIDENCE_MEANING,
    PUBLIC_MEASURE_STATUSES,
    PUBLIC_PLAN_STATUSES,
    Cost,
    Evidence,
    GoodPractice,
    Intervention,
    InterventionText,
    Status,
    title_texts,
)
from .search import (
    TAXONOMY,
    GoodPracticeFilterForm,
    InterventionFilterForm,
    apply_facets,
    facet_counts,
    search_interventions,
    taxonomy_field,
)

DATA_FORMATS = ("json", "csv")

# First path segments of the catalogue's other addresses (open data, good practice, the map,
# the editors' pages): an intervention cannot have these slugs, since its address would clash.
RESERVED_SLUGS = frozenset({"data", "good-practice", "map", "edit"})


class InterventionSlugConverter(StringConverter):
    """A slug that is not one of RESERVED_SLUGS, so that resolving moves on to those pages."""

    regex = "[-a-zA-Z0-9_]+"

    def to_python(self, value):
        if value in RESERVED_SLUGS:
            raise ValueError(value)  # no match: the next URL pattern is tried
        return value


register_converter(InterventionSlugConverter, "intervention_slug")


def _published_interventions():
    return Intervention.objects.filter(status=Status.PUBLISHED)


def _published_practices():
    return GoodPractice.objects.filter(status=Status.PUBLISHED)


def _language() -> str:
    return (translation.get_language() or "cs")[:2]


def _show_texts(interventions, language):
    """Give each intervention `shown` (its text for the page) and `translation_missing`."""
    for intervention in interventions:
        intervention.shown = intervention.text(language)
        intervention.translation_missing = bool(
            intervention.shown and intervention.shown.language != language
        )
    return interventions


def _by_title(interventions):
    return sorted(interventions, key=lambda i: fold(i.shown.title if i.shown else i.slug))


def _with_sort_title(queryset, language):
    """Annotate `sort_title`: the title in `language`, else in the original language."""

    def title_in(language_ref):
        texts = InterventionText.objects.filter(intervention=OuterRef("pk"), language=language_ref)
        return Subquery(texts.values("title")[:1])

    title = Coalesce(title_in(language), title_in(OuterRef("original_language")))
    return queryset.annotate(sort_title=Lower(title))


def _facet_groups(counts, selected):
    """What the template needs to draw one checkbox group per taxonomy field."""
    groups = []
    for name in TAXONOMY:
        field = taxonomy_field(name)
        options = [
            {
                "id": f"id_{name}_{index}",
                "value": code,
                "label": label,
                "count": counts[name][code],
                "checked": code in selected.get(name, []),
            }
            for index, (code, label) in enumerate(field.flatchoices)
        ]
        groups.append({"name": name, "legend": field.verbose_name, "options": options})
    return groups


# --- interventions -----------------------------------------------------------------------


@public_view
def intervention_list(request):
    # Queries: the facet counts, the number of results, the page, the page's texts.
    form = InterventionFilterForm(request.GET or None)
    q, selected = form.terms()
    language = _language()
    found = search_interventions(_published_interventions(), q)
    results = (
        _with_sort_title(apply_facets(found, selected), language)
        .order_by("-rank", "sort_title", "slug")
        .prefetch_related("texts")
    )
    counts = facet_counts(found, selected)
    page_obj = paginate(request, results)
    _show_texts(page_obj, language)
    context = {
        "form": form,
        "q": q,
        "facets": _facet_groups(counts, selected),
        "filtered": bool(q or any(selected.values())),
        "page_obj": page_obj,
    }
    return render(request, "catalog/intervention_list.html", context)


def _evidence_scale(current):
    return [
        {
            "value": level.value,
            "label": level.label,
            "meaning": EVIDENCE_MEANING[level],
            "current": level == current,
        }
        for level in Evidence
    ]


@public_view
def intervention_detail(request, slug):
    # Queries: the intervention, its texts, the related interventions, their texts, the good
    # practices, the number of territories.
    published_related = _published_interventions().prefetch_related(title_texts())
    intervention = get_object_or_404(
        _published_interventions().prefetch_related(
            "texts",
            Prefetch("related", queryset=published_related),
            Prefetch("good_practices", queryset=_published_practices().order_by("title", "pk")),
        ),
        slug=slug,
    )
    language = _language()
    _show_texts([intervention], language)
    with scopes_disabled():
        # Public: how many territories plan with it; nothing else about them.
        territory_count = (
            Measure.objects.filter(
                interventions=intervention,
                plan__status__in=PUBLIC_PLAN_STATUSES,
                status__in=PUBLIC_MEASURE_STATUSES,
            )
            .values("territory")
            .distinct()
            .count()
        )
    related = _by_title(_show_texts(list(intervention.related.all()), language))
    context = {
        "intervention": intervention,
        "text": intervention.shown,
        "levels": taxonomy_field("levels").labels(intervention.levels),
        "implementers": taxonomy_field("implementers").labels(intervention.implementers),
        "evidence_meaning": EVIDENCE_MEANING[Evidence(intervention.evidence)],
        "evidence_scale": _evidence_scale(intervention.evidence),
        "evidence_top": max(Evidence).value,
        "cost_top": max(Cost).value,
        "related": related,
        "good_practices": intervention.good_practices.all(),
        "territory_count": territory_count,
    }
    return render(request, "catalog/intervention_detail.html", context)


# --- good practice -----------------------------------------------------------------------


def _published_interventions_with_texts():
    return Prefetch(
        "interventions", queryset=_published_interventions().prefetch_related(title_texts())
    )


@public_view
def good_practice_list(request):
    # Queries: the interventions for the filter, their texts, the number of results, the
    # page, the page's interventions, their texts.
    language = _language()
    interventions = _show_texts(
        list(_published_interventions().prefetch_related(title_texts())), language
    )
    form = GoodPracticeFilterForm(request.GET or None, interventions=interventions)
    practices = form.apply(_published_practices().select_related("territory"))
    page_obj = paginate(request, practices.prefetch_related(_published_interventions_with_texts()))
    for practice in page_obj:
        practice.shown_interventions = _by_title(
            _show_texts(list(practice.interventions.all()), language)
        )
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {"form": form, "page_obj": page_obj, "filtered": filtered}
    return render(request, "catalog/good_practice_list.html", context)


@public_view
def good_practice_detail(request, pk):
    # Queries: the good practice with its territory, its interventions, their texts.
    practice = get_object_or_404(
        _published_practices()
        .select_related("territory")
        .prefetch_related(_published_interventions_with_texts()),
        pk=pk,
    )
    interventions = _by_title(_show_texts(list(practice.interventions.all()), _language()))
    context = {"practice": practice, "interventions": interventions}
    return render(request, "catalog/good_practice_detail.html", context)


# --- open data ---------------------------------------------------------------------------


@public_view
def open_data(request):
    context = {"licence": opendata.LICENCE, "formats": DATA_FORMATS}
    return render(request, "catalog/open_data.html", context)


@public_view
def data_interventions(request, fmt):
    # Queries: the interventions, their texts, their related interventions.
    if fmt not in DATA_FORMATS:
        raise Http404
    interventions = _published_interventions().prefetch_related(
        "texts", Prefetch("related", queryset=_published_interventions().only("pk", "slug"))
    )
    return opendata.interventions_response(request, interventions, fmt)


@public_view
def data_good_practices(request, fmt):
    # Queries: the good practices with their territories, their interventions.
    if fmt not in DATA_FORMATS:
        raise Http404
    practices = (
        _published_practices()
        .select_related("territory")
        .prefetch_related(
            Prefetch("interventions", queryset=_published_interventions().only("pk", "slug"))
        )
        .order_by("pk")
    )
    return opendata.good_practices_response(request, practices, fmt)


urlpatterns = [
    path("", intervention_list, name="intervention-list"),
    path("good-practice/", good_practice_list, name="good-practice-list"),
    path("good-practice/<int:pk>/", good_practice_detail, name="good-practice-detail"),
    path("data/", open_data, name="open-data"),
    path("data/interventions.<str:fmt>", data_interventions, name="data-interventions"),
    path("data/good-practices.<str:fmt>", data_good_practices, name="data-good-practices"),
    # Last, and never a reserved word: a slug would also match the fixed addresses.
    path("<intervention_slug:slug>/", intervention_detail, name="intervention-detail"),
]
