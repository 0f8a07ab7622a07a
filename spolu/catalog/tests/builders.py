"""Builders for catalogue tests: interventions with texts, and good practices."""

from ..models import GoodPractice, Intervention, InterventionText

DEFAULT_TEXTS = {
    "cs": {"title": "Koordinátor inkluze", "summary": "Jeden člověk drží síť pohromadě."},
    "en": {"title": "Inclusion coordinator", "summary": "One person keeps the network together."},
}


def make_intervention(slug, *, status="published", texts=None, **fields) -> Intervention:
    """An intervention with a text per language of `texts` ({language: {field: value}})."""
    fields.setdefault("area", "systemic")
    fields.setdefault("kind", "supportive")
    fields.setdefault("original_language", next(iter(texts or DEFAULT_TEXTS)))
    intervention = Intervention.objects.create(slug=slug, status=status, **fields)
    for language, values in (DEFAULT_TEXTS if texts is None else texts).items():
        values = {"summary": "", **values}
        values.setdefault("title", slug)
        InterventionText.objects.create(intervention=intervention, language=language, **values)
    intervention.refresh_search_text()
    intervention.save()
    return intervention


def make_good_practice(title, *, status="published", interventions=(), **fields) -> GoodPractice:
    fields.setdefault("place", "Alfov")
    fields.setdefault("summary", "Co se povedlo.")
    practice = GoodPractice(title=title, status=status, **fields)
    practice.refresh_search_text()
    practice.save()
    practice.interventions.set(interventions)
    return practice
