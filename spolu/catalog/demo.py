"""Demo catalogue: the starter content, a catalogue editor, Zelenov's measures linked to the
interventions they follow, and one good practice proposed from Zelenov waiting for review.

The proposal's texts are invented for the fictional demo town. A second run adds nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django_scopes import scope

from spolu.core.audit import acting_as
from spolu.territories.demo import DEMO_PASSWORD
from spolu.territories.models import Territory

from .models import GoodPractice, Intervention, Status
from .starter import load_starter

EDITOR_EMAIL = "katalog@sit.example"
EDITOR_NAME = "Kateřina Editorová"
EDITORS_GROUP = "Catalogue editors"
EDITOR_PERMISSION = ("catalog", "edit_catalogue")
COORDINATOR_EMAIL = "koordinator@zelenov.example"

# Measures of Zelenov's current plan (by code) and the interventions they follow.
MEASURE_INTERVENTIONS = {
    "1.1": ["preschool-participation-outreach"],
    "2.3": ["tutoring-clubs"],
    "3.4": ["material-support-labour-office"],
    "5.1": ["inclusion-coordinator", "facilitated-strategic-meetings"],
}

# What the coordinator proposes from measure 1.1 (the editor's queue is not empty).
PROPOSED_FROM = "1.1"
PROPOSAL = {
    "title": "Terénní pracovnice doprovázejí rodiny k zápisu do mateřské školy",
    "summary": (
        "Terénní pracovnice neziskové organizace navštěvují před zápisem rodiny dětí, které "
        "do mateřské školy zatím nechodí, vysvětlují, jak zápis probíhá, a rodiny na zápis "
        "doprovázejí."
    ),
    "what_was_done": (
        "Mateřské školy a OSPOD pomohly sestavit seznam rodin, kterým se pozvánka k zápisu "
        "obvykle nedostane. Dva týdny před zápisem terénní pracovnice rodiny navštívily, "
        "pomohly s doklady a domluvily doprovod. Mateřské školy pro nové rodiny otevřely "
        "adaptační skupiny, kde si rodič s dítětem školku vyzkouší."
    ),
    "results": (
        "K zápisu přišly i rodiny z ulic u nádraží, odkud dříve děti do školky nechodily. "
        "Osobní pozvání fungovalo lépe než dopis."
    ),
    "interventions": ["preschool-participation-outreach", "parent-mentors"],
}


def load():
    load_starter()
    editor = _editor()
    zelenov = Territory.objects.filter(slug="zelenov").first()
    if zelenov is not None:
        _zelenov(zelenov)
    return [(editor.email, "catalogue editor (publishes interventions and good practice)")]


def _editor():
    app_label, codename = EDITOR_PERMISSION
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    group, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.add(permission)
    User = get_user_model()
    editor = User.objects.filter(email=EDITOR_EMAIL).first()
    if editor is None:
        editor = User.objects.create_user(
            email=EDITOR_EMAIL, password=DEMO_PASSWORD, full_name=EDITOR_NAME
        )
    editor.groups.add(group)
    return editor


def _zelenov(zelenov):
    from spolu.plans.demo import CURRENT_TITLE
    from spolu.plans.models import Measure

    interventions = {i.slug: i for i in Intervention.objects.all()}
    with scope(territory=zelenov):
        measures = {
            m.code: m
            for m in Measure.objects.filter(
                territory=zelenov, plan__title=CURRENT_TITLE, code__in=list(MEASURE_INTERVENTIONS)
            )
        }
        for code, slugs in MEASURE_INTERVENTIONS.items():
            measure = measures.get(code)
            if measure is None:
                continue  # the plans demo is not loaded
            linked = set(measure.interventions.values_list("pk", flat=True))
            wanted = [interventions[s] for s in slugs if s in interventions]
            missing = [i for i in wanted if i.pk not in linked]
            if missing:
                measure.interventions.add(*missing)
        measure = measures.get(PROPOSED_FROM)
        if measure is not None:
            _proposal(zelenov, measure, interventions)


def _proposal(zelenov, measure, interventions):
    """A coordinator's proposal from a measure, once: a reviewed one is never proposed again."""
    if GoodPractice.objects.filter(source_measure=measure).exists():
        return
    coordinator = get_user_model().objects.filter(email=COORDINATOR_EMAIL).first()
    data = dict(PROPOSAL)
    slugs = data.pop("interventions")
    with acting_as(coordinator):
        gp = GoodPractice(
            **data,
            status=Status.PROPOSED,
            language="cs",
            territory=zelenov,
            place=zelenov.name,
            latitude=zelenov.latitude,
            longitude=zelenov.longitude,
            start_year=measure.start.year if measure.start else None,
            contact=measure.lead_implementer.name if measure.lead_implementer else "",
            source_measure=measure,
            proposed_by=coordinator,
        )
        gp.refresh_search_text()
        gp.save()
        gp.interventions.set([interventions[slug] for slug in slugs if slug in interventions])
