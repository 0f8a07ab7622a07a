"""Open data: the published catalogue and good practices as JSON and CSV, under CC BY 4.0.

Every file states its licence: JSON in its `licence` object, CSV in a column of each row.
JSON carries every language's texts and the taxonomy labels in every language; CSV has one
row per intervention and language, with the labels in that row's language.
"""

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from spolu.core.exports import ListExporter

from .models import EVIDENCE_MEANING, Evidence, InterventionText
from .search import TAXONOMY, taxonomy_field

LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "summary": _(
        "You may copy, share and adapt the texts for any purpose, also commercially, if you "
        "name the source, link to the licence and say whether you changed them."
    ),
}

TEXT_FIELDS = ("title", "summary", "description", "inspiration", "caveats")


def licence(request) -> dict:
    """The licence with the attribution to give, in the active language."""
    source = request.build_absolute_uri(reverse("catalog:intervention-list"))
    return {
        "id": LICENCE["id"],
        "name": LICENCE["name"],
        "url": LICENCE["url"],
        "summary": str(LICENCE["summary"]),
        "attribution": f"{settings.SPOLU_PRODUCT_NAME}, {source}",
    }


def _in_every_language(label) -> dict:
    labels = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels[code] = str(label)
    return labels


def _taxonomy_labels() -> dict:
    """{field: {code: {language: label}}}, computed once per file."""
    return {
        name: {code: _in_every_language(label) for code, label in taxonomy_field(name).flatchoices}
        for name in TAXONOMY
    }


def _sources(text) -> list[dict]:
    return [{"name": name, "url": url} for name, url in InterventionText.source_links(text)]


def _timestamp(value):
    return value.isoformat() if value else None


def _intervention_url(request, intervention):
    return request.build_absolute_uri(
        reverse("catalog:intervention-detail", kwargs={"slug": intervention.slug})
    )


def _practice_url(request, practice):
    return request.build_absolute_uri(
        reverse("catalog:good-practice-detail", kwargs={"pk": practice.pk})
    )


def intervention_item(request, intervention, labels) -> dict:
    def coded(name, code):
        return {"code": code, "label": labels[name][code]}

    evidence = Evidence(intervention.evidence)
    return {
        "slug": intervention.slug,
        "url": _intervention_url(request, intervention),
        "original_language": intervention.original_language,
        "area": coded("area", intervention.area),
        "kind": coded("kind", intervention.kind),
        "levels": [coded("levels", code) for code in intervention.levels],
        "implementers": [coded("implementers", code) for code in intervention.implementers],
        "evidence": {
            **coded("evidence", evidence.value),
            "meaning": _in_every_language(EVIDENCE_MEANING[evidence]),
        },
        "cost": coded("cost", intervention.cost),
        "related": sorted(related.slug for related in intervention.related.all()),
        "published": _timestamp(intervention.published_at),
        "updated": _timestamp(intervention.updated),
        "texts": {
            text.language: {
                **{field: getattr(text, field) for field in TEXT_FIELDS},
                "sources": _sources(text),
            }
            for text in sorted(intervention.texts.all(), key=lambda t: t.language)
        },
    }


def practice_item(request, practice) -> dict:
    territory = practice.territory
    return {
        "id": practice.pk,
        "url": _practice_url(request, practice),
        "title": practice.title,
        "language": practice.language,
        "place": practice.place,
        "territory": (
            {"name": territory.name, "country": territory.country} if territory else None
        ),
        "latitude": float(practice.latitude) if practice.latitude is not None else None,
        "longitude": float(practice.longitude) if practice.longitude is not None else None,
        "start_year": practice.start_year,
        "end_year": practice.end_year,
        "summary": practice.summary,
        "what_was_done": practice.what_was_done,
        "results": practice.results,
        "interventions": sorted(i.slug for i in practice.interventions.all()),
        "contact": practice.contact,
        "sources": _sources(practice),
        "published": _timestamp(practice.published_at),
        "updated": _timestamp(practice.updated),
    }


def _json(request, items) -> JsonResponse:
    data = {"licence": licence(request), "generated": timezone.now().isoformat(), "items": items}
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
    # Open data: other sites' scripts may read it too.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _licence_cell(request) -> str:
    return f"{LICENCE['id']} {LICENCE['url']} · {licence(request)['attribution']}"


def _source_cell(sources) -> list[str]:
    return [f"{name} <{url}>" if url else name for name, url in sources]


class InterventionRows(ListExporter):
    """One row per published intervention and language."""

    name = "catalogue-interventions"
    headers = [
        _("Address"),
        _("Language"),
        _("Title"),
        _("Summary"),
        _("Description"),
        _("Where to find inspiration"),
        _("What to watch out for"),
        _("Sources"),
        _("Area (code)"),
        _("Area"),
        _("Kind (code)"),
        _("Kind"),
        _("Education levels (codes)"),
        _("Education levels"),
        _("Implementers (codes)"),
        _("Implementers"),
        _("Evidence (0–4)"),
        _("Evidence"),
        _("Cost (1–5)"),
        _("Cost"),
        _("Related interventions"),
        _("Web address"),
        _("Licence"),
    ]

    def __init__(self, request, interventions):
        self.request = request
        self.interventions = interventions

    def rows(self):
        licence_cell = _licence_cell(self.request)
        labels = _taxonomy_labels()
        for intervention in self.interventions:
            related = sorted(r.slug for r in intervention.related.all())
            url = _intervention_url(self.request, intervention)
            for text in sorted(intervention.texts.all(), key=lambda t: t.language):
                lang = text.language

                def label(name, code, lang=lang):
                    return labels[name][code][lang]

                yield [
                    intervention.slug,
                    lang,
                    *(getattr(text, field) for field in TEXT_FIELDS),
                    _source_cell(text.source_links()),
                    intervention.area,
                    label("area", intervention.area),
                    intervention.kind,
                    label("kind", intervention.kind),
                    intervention.levels,
                    [label("levels", code) for code in intervention.levels],
                    intervention.implementers,
                    [label("implementers", code) for code in intervention.implementers],
                    intervention.evidence,
                    label("evidence", intervention.evidence),
                    intervention.cost,
                    label("cost", intervention.cost),
                    related,
                    url,
                    licence_cell,
                ]


class GoodPracticeRows(ListExporter):
    """One row per published good practice."""

    name = "catalogue-good-practices"
    headers = [
        _("Number"),
        _("Title"),
        _("Language"),
        _("Place"),
        _("Territory"),
        _("Country"),
        _("Latitude"),
        _("Longitude"),
        _("From (year)"),
        _("To (year)"),
        _("Summary"),
        _("What was done"),
        _("Results"),
        _("Interventions"),
        _("Contact organisation"),
        _("Sources"),
        _("Web address"),
        _("Licence"),
    ]

    def __init__(self, request, practices):
        self.request = request
        self.practices = practices

    def rows(self):
        licence_cell = _licence_cell(self.request)
        for practice in self.practices:
            territory = practice.territory
            yield [
                practice.pk,
                practice.title,
                practice.language,
                practice.place,
                territory.name if territory else "",
                territory.country if territory else "",
                practice.latitude,
                practice.longitude,
                practice.start_year,
                practice.end_year,
                practice.summary,
                practice.what_was_done,
                practice.results,
                sorted(i.slug for i in practice.interventions.all()),
                practice.contact,
                _source_cell(practice.source_links()),
                _practice_url(self.request, practice),
                licence_cell,
            ]


def interventions_response(request, interventions, fmt: str):
    if fmt == "json":
        labels = _taxonomy_labels()
        return _json(request, [intervention_item(request, i, labels) for i in interventions])
    return InterventionRows(request, interventions).response(fmt)


def good_practices_response(request, practices, fmt: str):
    if fmt == "json":
        return _json(request, [practice_item(request, p) for p in practices])
    return GoodPracticeRows(request, practices).response(fmt)
