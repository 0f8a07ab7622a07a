"""The public catalogue pages as anonymous visitors and editors see them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse
from django_scopes import scope

from spolu.core.testing import make_user
from spolu.plans.tests.builders import make_plan

from ..models import Status
from .builders import make_good_practice, make_intervention

pytestmark = pytest.mark.django_db

LIST = reverse("catalog:intervention-list")
PRACTICES = reverse("catalog:good-practice-list")
NOT_PUBLISHED = [Status.DRAFT, Status.PROPOSED, Status.RETURNED]


def _detail(slug):
    return reverse("catalog:intervention-detail", kwargs={"slug": slug})


def _practice(pk):
    return reverse("catalog:good-practice-detail", kwargs={"pk": pk})


def _many(count, prefix="item"):
    for i in range(count):
        make_intervention(
            f"{prefix}-{i:03}",
            texts={
                "cs": {"title": f"Opatření {i}", "summary": "Školní podpora."},
                "en": {"title": f"Measure {i}", "summary": "Support at school."},
            },
            levels=["primary"],
            area="school" if i % 2 else "family",
        )


# --- the list ----------------------------------------------------------------------------


def test_anonymous_visitors_read_the_list_and_the_header_links_to_it(client):
    make_intervention("coordinator")
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inclusion coordinator" in html
    assert "One person keeps the network together." in html
    assert f'href="{_detail("coordinator")}"' in html
    assert f'href="{LIST}">Catalogue</a>' in client.get("/").content.decode()


def test_the_list_shows_published_interventions_only(client):
    make_intervention("published-one", texts={"en": {"title": "Visible intervention"}})
    for status in NOT_PUBLISHED:
        make_intervention(f"hidden-{status}", status=status, texts={"en": {"title": "Hidden"}})
    html = client.get(LIST).content.decode()
    assert "Visible intervention" in html
    assert "Hidden" not in html
    assert "1 intervention" in html
    html = client.get(LIST, {"q": "hidden"}).content.decode()
    assert "No published intervention matches this search" in html


def test_the_list_has_a_labelled_search_and_a_fieldset_per_taxonomy_field(client):
    make_intervention("coordinator")
    html = client.get(LIST).content.decode()
    assert '<label for="id_q">Search the catalogue</label>' in html
    assert 'type="search" name="q" id="id_q"' in html
    for legend in ["Area", "Kind", "Education levels", "Implementers", "Evidence", "Cost"]:
        assert f"<legend>{legend}</legend>" in html
    assert html.count("<fieldset") == 6


def test_search_on_the_page_finds_without_diacritics(client):
    make_intervention(
        "assistant", texts={"cs": {"title": "Školní asistent", "summary": "Ve třídě"}}
    )
    make_intervention("family", texts={"pl": {"title": "Rodzina", "summary": "Szkoła i dom"}})
    html = client.get(LIST, {"q": "skolni"}).content.decode()
    assert "Školní asistent" in html and "Rodzina" not in html
    html = client.get(LIST, {"q": "SZKOLA"}).content.decode()
    assert "Rodzina" in html and "Školní asistent" not in html
    assert 'value="SZKOLA"' in html


def test_facet_filters_narrow_the_list_and_show_counts(client):
    make_intervention("one", texts={"en": {"title": "One"}}, area="school", levels=["primary"])
    make_intervention("two", texts={"en": {"title": "Two"}}, area="school", levels=["preschool"])
    make_intervention("three", texts={"en": {"title": "Three"}}, area="family")
    response = client.get(LIST, {"area": "school"})
    html = response.content.decode()
    assert [i.slug for i in response.context["page_obj"]] == ["one", "two"]
    assert "2 interventions" in html
    area = next(g for g in response.context["facets"] if g["name"] == "area")
    counts = {o["value"]: (o["count"], o["checked"]) for o in area["options"]}
    assert counts["school"] == (2, True)
    assert counts["family"] == (1, False)
    assert 'name="area" value="school" id="id_area_1" checked' in html
    levels = next(g for g in response.context["facets"] if g["name"] == "levels")
    assert {o["value"]: o["count"] for o in levels["options"]}["primary"] == 1

    response = client.get(LIST, {"area": "school", "levels": "preschool"})
    assert [i.slug for i in response.context["page_obj"]] == ["two"]
    response = client.get(LIST, {"evidence": "4"})
    assert list(response.context["page_obj"]) == []
    assert "No published intervention matches" in response.content.decode()


def test_unknown_filter_values_are_ignored(client):
    make_intervention("one")
    response = client.get(LIST, {"area": "nonsense", "cost": "x", "q": "koordinator"})
    assert response.status_code == 200
    assert [i.slug for i in response.context["page_obj"]] == ["one"]


def test_results_are_ordered_by_rank_then_title_in_the_active_language(client):
    make_intervention("a", texts={"en": {"title": "Zebra clubs", "summary": "Mentors."}})
    make_intervention("b", texts={"en": {"title": "Mentoring", "summary": "Pupils."}})
    make_intervention("c", texts={"en": {"title": "Apple clubs", "summary": "Mentors."}})
    slugs = [i.slug for i in client.get(LIST, {"q": "mentor"}).context["page_obj"]]
    assert slugs == ["b", "c", "a"]
    assert [i.slug for i in client.get(LIST).context["page_obj"]] == ["c", "b", "a"]


def test_the_list_pages(client):
    _many(30)
    response = client.get(LIST)
    assert len(response.context["page_obj"]) == 25
    assert "Page 1 of 2" in response.content.decode()
    assert len(client.get(LIST, {"page": 2}).context["page_obj"]) == 5


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    _many(count)
    make_intervention("draft", status=Status.DRAFT)
    # Facet counts, number of results, the page, the page's texts.
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert response.status_code == 200
    with django_assert_num_queries(4):
        response = client.get(LIST, {"q": "skolni podpora", "area": "school", "levels": "primary"})
    assert response.context["page_obj"].paginator.count == count // 2


def test_missing_translation_is_noted_with_the_language_shown(client):
    make_intervention("czech-only", texts={"cs": {"title": "Jen česky", "summary": "Shrnutí."}})
    make_intervention("both")
    html = client.get(LIST).content.decode()
    assert html.count("Not available in English yet; shown in Czech.") == 1
    assert '<h3 lang="cs"><a href="/catalogue/czech-only/">Jen česky</a></h3>' in html
    html = client.get(_detail("czech-only")).content.decode()
    assert "Not available in English yet; shown in Czech." in html
    assert "Not available in English" not in client.get(_detail("both")).content.decode()


def test_the_text_follows_the_active_language(client):
    make_intervention("both")
    html = client.get(LIST, headers={"accept-language": "cs"}).content.decode()
    assert "Koordinátor inkluze" in html and "Inclusion coordinator" not in html


# --- the detail --------------------------------------------------------------------------


@pytest.fixture
def full():
    related = make_intervention("related-one", texts={"en": {"title": "Related published"}})
    draft_related = make_intervention(
        "related-draft", status=Status.DRAFT, texts={"en": {"title": "Related draft"}}
    )
    intervention = make_intervention(
        "full",
        texts={
            "en": {
                "title": "Counselling centre meets schools",
                "summary": "Monthly meetings with agreed referrals.",
                "description": "The centre and the schools meet every month.",
                "inspiration": "Ask the town of Alfov.",
                "caveats": "Do not let it become a formality.",
                "sources": "Guide | https://example.org/guide\nBook without link\n"
                "Bad | javascript:alert(1)",
            }
        },
        area="school",
        kind="preventive",
        levels=["primary", "secondary"],
        implementers=["school", "counselling"],
        evidence=2,
        cost=1,
    )
    intervention.related.set([related, draft_related])
    make_good_practice("Alfov meets monthly", interventions=[intervention], place="Alfov")
    make_good_practice("Secret draft", status=Status.PROPOSED, interventions=[intervention])
    return intervention


def test_the_detail_shows_every_part(client, full):
    response = client.get(_detail("full"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "<h1>Counselling centre meets schools</h1>",
        "Monthly meetings with agreed referrals.",
        "The centre and the schools meet every month.",
        "Ask the town of Alfov.",
        "Do not let it become a formality.",
        '<a href="https://example.org/guide" rel="noopener">Guide</a>',
        "<li>Book without link</li>",
        "School-level measures",
        "Preventive",
        "Primary, Secondary",
        "School, Counselling centre",
        "Local evaluations",
        "Local evaluations with before-and-after data show an effect.",
        "level 2 of 4",
        "Strong evidence from controlled studies",  # the whole scale is explained
        "Very low: mainly the time of people already employed",
        "band 1 of 5",
        "Related published",
        "Alfov meets monthly",
        "0 territories use it in their plans",
    ]:
        assert text in html, text
    assert "javascript:" not in html
    assert "Related draft" not in html
    assert "Secret draft" not in html
    assert '<li aria-current="true"><strong>Local evaluations</strong>' in html


@pytest.mark.parametrize("status", NOT_PUBLISHED)
def test_an_unpublished_intervention_is_not_found_even_by_editors(client, status):
    make_intervention("hidden", status=status)
    assert client.get(_detail("hidden")).status_code == 404
    client.force_login(_editor())
    assert client.get(_detail("hidden")).status_code == 404
    assert client.get(_detail("never-existed")).status_code == 404


def test_the_detail_counts_territories_that_plan_with_it(client, cast, full):
    # Two plans in A (one territory) and one in B: two territories.
    for territory, title in [
        (cast.territory_a, "Plán A"),
        (cast.territory_a, "Plán A2"),
        (cast.territory_b, "Plán B"),
    ]:
        plan = make_plan(territory, measures=2, title=title, status="adopted")
        with scope(territory=territory):
            for measure in plan.measures.all():
                measure.interventions.add(full)
    other = make_plan(cast.territory_b, measures=1, title="Jiný plán")
    with scope(territory=cast.territory_b):
        other.measures.get().interventions.add(make_intervention("unrelated"))
    html = client.get(_detail("full")).content.decode()
    assert "2 territories use it in their plans" in html
    # The count only: nothing about which territories they are.
    assert "Alfov</" not in html and "Betów" not in html and "Plán A" not in html


def test_the_detail_runs_a_fixed_number_of_queries(client, django_assert_num_queries, full):
    # The intervention, its texts, related ones, their texts, good practices, the territories.
    with django_assert_num_queries(6):
        assert client.get(_detail("full")).status_code == 200
    for i in range(5):
        make_intervention(f"more-{i}").related.add(full)
        make_good_practice(f"More {i}", interventions=[full])
    with django_assert_num_queries(6):
        assert client.get(_detail("full")).status_code == 200


def _editor():
    user = make_user("editor@example.org")
    user.user_permissions.add(Permission.objects.get(codename="edit_catalogue"))
    return user


def test_only_editors_see_the_edit_link(client, full):
    try:
        edit_url = reverse("catalog:intervention-edit", kwargs={"pk": full.pk})
    except NoReverseMatch:
        edit_url = None
    assert "Edit</a>" not in client.get(_detail("full")).content.decode()
    client.force_login(make_user("reader@example.org"))
    assert "Edit</a>" not in client.get(_detail("full")).content.decode()
    if edit_url is None:
        pytest.skip("catalog:intervention-edit is not built yet")
    client.force_login(_editor())
    assert f'href="{edit_url}">Edit</a>' in client.get(_detail("full")).content.decode()


# --- good practice -----------------------------------------------------------------------


@pytest.fixture
def practices(cast):
    coordinator = make_intervention("coordinator")
    clubs = make_intervention("clubs", texts={"en": {"title": "Tutoring clubs"}})
    draft = make_intervention("draft-one", status=Status.DRAFT, texts={"en": {"title": "Draft"}})
    make_good_practice(
        "Alfov coordinator",
        territory=cast.territory_a,
        place="Alfov",
        interventions=[coordinator, draft],
        start_year=2019,
    )
    make_good_practice(
        "Betów kluby", territory=cast.territory_b, place="Betów", interventions=[clubs]
    )
    make_good_practice("Školní kluby ve vsi", place="Malá Ves", summary="Odpoledne ve škole.")
    make_good_practice("Hidden proposal", status=Status.PROPOSED, interventions=[coordinator])
    return coordinator, clubs


def _titles(response):
    return [p.title for p in response.context["page_obj"]]


def test_good_practice_list_shows_published_ones_with_their_interventions(client, practices):
    response = client.get(PRACTICES)
    html = response.content.decode()
    assert _titles(response) == ["Alfov coordinator", "Betów kluby", "Školní kluby ve vsi"]
    assert "Hidden proposal" not in html
    assert "Inclusion coordinator" in html
    assert "Draft</a>" not in html
    assert "2019–" in html
    assert '<label for="id_q">Search good practice</label>' in html


def test_good_practice_list_searches_and_filters(client, practices):
    coordinator, clubs = practices
    assert _titles(client.get(PRACTICES, {"q": "kluby"})) == ["Betów kluby", "Školní kluby ve vsi"]
    assert _titles(client.get(PRACTICES, {"q": "SKOLNI"})) == ["Školní kluby ve vsi"]
    assert _titles(client.get(PRACTICES, {"intervention": "clubs"})) == ["Betów kluby"]
    assert _titles(client.get(PRACTICES, {"country": "CZ"})) == ["Alfov coordinator"]
    assert _titles(client.get(PRACTICES, {"country": "PL"})) == ["Betów kluby"]
    assert _titles(client.get(PRACTICES, {"country": "none"})) == ["Školní kluby ve vsi"]
    # A draft intervention is no filter option; an unknown one is ignored.
    response = client.get(PRACTICES, {"intervention": "draft-one", "q": "alfov"})
    assert _titles(response) == ["Alfov coordinator"]
    assert 'value="draft-one"' not in response.content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_good_practice_list_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, count
):
    linked = [make_intervention(f"i-{i}") for i in range(3)]
    for i in range(count):
        make_good_practice(f"Practice {i:02}", interventions=linked[: i % 3 + 1])
    # Interventions for the filter, their texts, the count, the page, its interventions, texts.
    with django_assert_num_queries(6):
        assert client.get(PRACTICES, {"q": "practice"}).status_code == 200


def test_good_practice_detail(client, practices, cast):
    coordinator, _clubs = practices
    practice = make_good_practice(
        "Coordinator in Alfov",
        territory=cast.territory_a,
        place="Alfov",
        start_year=2018,
        end_year=2022,
        summary="A coordinator for the whole town.",
        what_was_done="Hired a coordinator.",
        results="Fewer pupils left school.",
        contact="Town hall of Alfov",
        sources="Report | https://example.org/report",
        interventions=[coordinator],
    )
    response = client.get(_practice(practice.pk))
    html = response.content.decode()
    for text in [
        "Coordinator in Alfov",
        "Alfov",
        "Czechia",
        "2018–2022",
        "A coordinator for the whole town.",
        "Hired a coordinator.",
        "Fewer pupils left school.",
        "Town hall of Alfov",
        '<a href="https://example.org/report" rel="noopener">Report</a>',
        f'href="{_detail("coordinator")}"',
        "Written in Czech.",
    ]:
        assert text in html, text
    try:
        map_url = reverse("catalog:map")
    except NoReverseMatch:
        return
    assert f'href="{map_url}"' in html


def test_good_practice_detail_hides_drafts_and_draft_interventions(
    client, django_assert_num_queries
):
    draft = make_intervention("draft-one", status=Status.DRAFT, texts={"en": {"title": "Draft"}})
    shown = [make_intervention(f"shown-{i}") for i in range(3)]
    practice = make_good_practice("Shown", interventions=[draft, *shown])
    # The practice with its territory, its interventions, their texts.
    with django_assert_num_queries(3):
        html = client.get(_practice(practice.pk)).content.decode()
    assert "Draft" not in html
    assert html.count("Inclusion coordinator</a>") == 3
    for status in NOT_PUBLISHED:
        hidden = make_good_practice(f"Hidden {status}", status=status)
        assert client.get(_practice(hidden.pk)).status_code == 404


def test_draft_plans_and_cancelled_measures_do_not_count(client, cast):
    from django_scopes import scope

    from spolu.plans.tests.builders import make_plan

    intervention = make_intervention("counted", texts={"en": {"title": "Counted"}})
    draft = make_plan(cast.territory_a, measures=1, title="Koncept")
    adopted = make_plan(cast.territory_b, measures=1, title="Přijatý", status="adopted")
    with scope(territory=[cast.territory_a, cast.territory_b]):
        draft.measures.get().interventions.add(intervention)
        measure = adopted.measures.get()
        measure.interventions.add(intervention)
        measure.status = "cancelled"
        measure.save()
    page = client.get(reverse("catalog:intervention-detail", args=["counted"])).content.decode()
    assert "0 territories use it in their plans" in page
