"""The starter catalogue: it covers the seed practices, its links resolve, its good practices
sit on the map, loading it again duplicates nothing, and an editor's changes are kept."""

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_scopes import scope

from spolu.catalog import demo
from spolu.catalog.models import GoodPractice, Intervention, InterventionText, Status
from spolu.catalog.starter import (
    ILLUSTRATIVE,
    load_starter,
    read_good_practices,
    read_interventions,
)
from spolu.core.audit import acting_as
from spolu.core.fields import fold
from spolu.territories.demo import DEMO_PASSWORD

COVERAGE = [
    "inclusion-coordinator",
    "facilitated-strategic-meetings",
    "school-failure-prevention-system",
    "counselling-centre-school-meetings",
    "heads-and-prevention-staff-meetings",
    "shared-support-positions",
    "material-support-labour-office",
    "local-inclusion-plan",
    "preschool-participation-outreach",
    "tutoring-clubs",
    "school-social-worker",
    "teaching-assistants",
    "school-signal-feedback",
    "parent-mentors",
]

# (south, north, west, east), generous by a few kilometres.
BOXES = {"CZ": (48.55, 51.06, 12.09, 18.86), "PL": (49.0, 54.84, 14.12, 24.15)}


def _inside(lat, lon) -> bool:
    return any(s <= lat <= n and w <= lon <= e for s, n, w, e in BOXES.values())


def _counts():
    return (
        Intervention.objects.count(),
        InterventionText.objects.count(),
        Intervention.related.through.objects.count(),
        GoodPractice.objects.count(),
        GoodPractice.interventions.through.objects.count(),
        LogEntry.objects.count(),
    )


def _zelenov():
    from spolu.territories.demo import load

    load()


def test_the_files_cover_the_seed_practices_in_czech_and_english():
    items = read_interventions()
    slugs = {item["slug"] for item in items}
    assert len(items) >= 12
    assert set(COVERAGE) <= slugs
    for item in items:
        assert {"cs", "en"} <= set(item["texts"]), item["slug"]
        assert set(item["related"]) <= slugs - {item["slug"]}, item["slug"]
    czech = " ".join(str(t) for i in items for t in i["texts"]["cs"].values())
    polish = " ".join(
        str(t) for i in items if "pl" in i["texts"] for t in i["texts"]["pl"].values()
    )
    assert "školní" in czech
    assert "szkoła" in polish.lower()

    practices, illustrative = read_good_practices()
    assert illustrative
    assert len(practices) >= 8
    for item in practices:
        assert set(item["interventions"]) <= slugs, item["title"]
        assert _inside(item["latitude"], item["longitude"]), item["title"]


def test_loading_twice_creates_nothing_new(db):
    _zelenov()
    created, updated = load_starter()
    assert created >= 12 + 8 and updated == 0
    counts = _counts()

    again = load_starter()
    assert tuple(again) == (0, 0)
    assert again.interventions.unchanged == len(read_interventions())
    assert _counts() == counts  # no new rows, links or history

    assert Intervention.objects.exclude(status=Status.PUBLISHED).count() == 0
    for intervention in Intervention.objects.prefetch_related("texts"):
        languages = {t.language for t in intervention.texts.all()}
        assert {"cs", "en"} <= languages, intervention.slug
        assert fold(intervention.text("cs").title) in intervention.search_text
    assert Intervention.objects.filter(search_text__contains="skolni").exists()
    assert Intervention.objects.filter(search_text__contains="szkola").exists()


def test_every_related_slug_resolves(db):
    load_starter()
    for item in read_interventions():
        intervention = Intervention.objects.get(slug=item["slug"])
        assert set(item["related"]) <= set(intervention.related.values_list("slug", flat=True))
    # Related is symmetrical: a link shows on both sides.
    outreach = Intervention.objects.get(slug="preschool-participation-outreach")
    assert outreach.related.filter(slug="local-inclusion-plan").exists()


def test_good_practices_are_on_the_map_and_marked_illustrative(db):
    _zelenov()
    load_starter()
    practices = GoodPractice.objects.all()
    assert practices.count() >= 8
    for gp in practices:
        assert gp.latitude is not None and gp.longitude is not None, gp.title
        assert _inside(float(gp.latitude), float(gp.longitude)), gp.title
        assert gp.status == Status.PUBLISHED and gp.published_at
        assert gp.sources.splitlines()[0] == ILLUSTRATIVE[gp.language]
        assert gp.contact and gp.interventions.exists()
        assert gp.search_text
    assert {"cs", "pl"} <= set(practices.values_list("language", flat=True))
    assert practices.filter(territory__slug="zelenov").count() == 2


def test_practices_of_the_demo_town_wait_for_its_territory(db):
    result = load_starter()
    assert result.good_practices.skipped == 2
    assert not GoodPractice.objects.filter(place="Zelenov").exists()
    _zelenov()
    result = load_starter()
    assert result.good_practices.created == 2
    assert GoodPractice.objects.filter(territory__slug="zelenov").count() == 2


def test_drafts_when_asked(db):
    load_starter(publish=False, good_practices=False)
    assert not GoodPractice.objects.exists()
    assert set(Intervention.objects.values_list("status", flat=True)) == {Status.DRAFT}


def test_what_an_editor_changed_is_kept(db):
    load_starter()
    editor = get_user_model().objects.create_user(email="editor@example.org", password="x")
    text = InterventionText.objects.get(intervention__slug="tutoring-clubs", language="cs")
    with acting_as(editor):
        text.title = "Doučování ve škole i v klubu"
        text.save()
    # A row only the loader wrote, changed behind its back (no history): put back.
    Intervention.objects.filter(slug="parent-mentors").update(cost=5)

    result = load_starter()
    assert result.interventions.kept == 1
    assert result.interventions.updated == 1
    text.refresh_from_db()
    assert text.title == "Doučování ve škole i v klubu"
    assert Intervention.objects.get(slug="parent-mentors").cost == 2


def test_what_an_editor_deleted_or_renamed_is_not_created_again(db):
    _zelenov()
    load_starter()
    editor = get_user_model().objects.create_user(email="editor@example.org", password="x")
    with acting_as(editor):
        Intervention.objects.get(slug="transition-mentoring").delete()
        renamed = Intervention.objects.get(slug="parent-mentors")
        renamed.slug = "rodicovsti-mentori"
        renamed.save()
        gp = GoodPractice.objects.get(place="Tarnów")
        gp.title = "Korepetycje w świetlicy"
        gp.save()
        GoodPractice.objects.get(place="Płock").delete()

    result = load_starter()
    assert tuple(result) == (0, 0)
    assert result.interventions.kept == 2 and result.good_practices.kept == 2
    assert not Intervention.objects.filter(slug__in=["transition-mentoring", "parent-mentors"])
    assert GoodPractice.objects.filter(place="Tarnów").count() == 1
    assert not GoodPractice.objects.filter(place="Płock").exists()
    kadan = GoodPractice.objects.get(place="Kadaň")  # its link to the renamed one stays
    assert kadan.interventions.filter(slug="rodicovsti-mentori").exists()


def test_command_prints_counts(db):
    from io import StringIO

    out = StringIO()
    call_command("load_catalog", stdout=out)
    assert "Interventions: " in out.getvalue() and " created" in out.getvalue()
    # The invented stories are only loaded on request.
    assert "Good practices" not in out.getvalue()
    assert not GoodPractice.objects.exists()
    out = StringIO()
    call_command("load_catalog", "--with-examples", stdout=out)
    assert "Interventions: 0 created, 0 updated" in out.getvalue()
    assert "Good practices" in out.getvalue()


def test_demo_is_idempotent_and_gives_the_editor_the_permission(db, client):
    from spolu.actors.demo import load as load_actors
    from spolu.plans.demo import load as load_plans
    from spolu.plans.models import Measure
    from spolu.territories.models import Territory

    _zelenov()
    load_actors()
    load_plans()
    logins = demo.load()
    counts = _counts()
    assert demo.load() == logins
    assert _counts() == counts

    editor = get_user_model().objects.get(email=demo.EDITOR_EMAIL)
    assert editor.full_name == demo.EDITOR_NAME
    assert editor.has_perm("catalog.edit_catalogue")
    assert editor.groups.filter(name=demo.EDITORS_GROUP).exists()
    assert client.login(username=demo.EDITOR_EMAIL, password=DEMO_PASSWORD)

    zelenov = Territory.objects.get(slug="zelenov")
    with scope(territory=zelenov):
        linked = Measure.objects.filter(territory=zelenov, interventions__isnull=False).distinct()
        assert linked.count() >= 3
        proposal = GoodPractice.objects.get(status=Status.PROPOSED)
        assert proposal.source_measure.code == demo.PROPOSED_FROM
    assert proposal.territory == zelenov
    assert proposal.proposed_by.email == demo.COORDINATOR_EMAIL
    assert proposal.interventions.filter(slug="preschool-participation-outreach").exists()
