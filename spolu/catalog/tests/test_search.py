"""Search without diacritics or case, its ranking, facet counts, and the trigram index on PG."""

import pytest
from django.db import connection, transaction

from ..models import GoodPractice, Intervention
from ..search import (
    apply_facets,
    facet_counts,
    search_good_practices,
    search_interventions,
    search_words,
)
from .builders import make_good_practice, make_intervention

pytestmark = pytest.mark.django_db


def _slugs(q):
    return [i.slug for i in search_interventions(Intervention.objects.all(), q)]


@pytest.fixture
def assistant():
    return make_intervention(
        "teaching-assistant",
        texts={"cs": {"title": "Školní asistent pedagoga", "summary": "Pomáhá ve třídě."}},
    )


@pytest.fixture
def polish_school():
    return make_intervention(
        "school-and-family",
        texts={
            "pl": {
                "title": "Współpraca z rodzinami",
                "summary": "Rodzice przychodzą do szkoły.",
                "description": "Szkoła organizuje spotkania.",
            }
        },
        original_language="pl",
    )


def test_skolni_finds_the_czech_skolni(assistant, polish_school):
    assert _slugs("skolni") == ["teaching-assistant"]


def test_szkola_finds_the_polish_szkola(assistant, polish_school):
    assert _slugs("szkola") == ["school-and-family"]


@pytest.mark.parametrize("q", ["SKOLNI", "Školní", "šKOLNÍ", "  skolni  "])
def test_search_ignores_case_and_diacritics(assistant, q):
    assert _slugs(q) == ["teaching-assistant"]


def test_every_word_must_match(assistant):
    assert _slugs("skolni asistent") == ["teaching-assistant"]
    assert _slugs("skolni koucink") == []


def test_query_words_are_folded_split_on_punctuation_and_capped():
    assert search_words("Školní, asistent! školní") == ["skolni", "asistent"]
    assert search_words("Łódź") == ["lodz"]
    assert len(search_words(" ".join(f"w{i}" for i in range(30)))) == 8


def test_empty_query_keeps_everything(assistant, polish_school):
    assert sorted(_slugs("")) == ["school-and-family", "teaching-assistant"]


def test_title_ranks_above_summary_above_sections():
    # Slugs in reverse order of the expected rank, so that the default order cannot pass.
    make_intervention("a-section", texts={"cs": {"title": "Kluby", "description": "Mentoři."}})
    make_intervention(
        "b-summary", texts={"cs": {"title": "Doučování", "summary": "Studenti jako mentoři."}}
    )
    make_intervention(
        "c-title", texts={"en": {"title": "Peer mentoring", "summary": "Older pupils help."}}
    )
    make_intervention(
        "d-polish-title", texts={"pl": {"title": "Mentorzy w szkole", "summary": "Pomoc."}}
    )
    ranked = search_interventions(Intervention.objects.all(), "mentor")
    assert [(i.slug, i.rank) for i in ranked] == [
        ("c-title", 4),
        ("d-polish-title", 4),
        ("b-summary", 2),
        ("a-section", 1),
    ]


def test_title_with_diacritics_ranks_above_summary():
    make_intervention("a-summary", texts={"cs": {"title": "Kluby", "summary": "Po školní době."}})
    make_intervention("b-title", texts={"cs": {"title": "ŠKOLNÍ kluby", "summary": "Odpoledne."}})
    assert _slugs("skolni") == ["b-title", "a-summary"]


def test_rank_adds_up_over_words():
    make_intervention("a-one", texts={"cs": {"title": "Asistent", "summary": "Školní práce."}})
    make_intervention("b-both", texts={"cs": {"title": "Školní asistent", "summary": "Třída."}})
    ranked = search_interventions(Intervention.objects.all(), "asistent skolni")
    assert [(i.slug, i.rank) for i in ranked] == [("b-both", 8), ("a-one", 6)]


def test_good_practice_search_and_rank():
    make_good_practice("Doučování v knihovně", summary="Školní knihovna otevřená odpoledne.")
    make_good_practice("Školní kluby v Alfově", summary="Kluby po vyučování.")
    make_good_practice("Rodinné centrum", summary="Setkávání rodin.")
    found = search_good_practices(GoodPractice.objects.all(), "SKOLNI")
    assert [p.title for p in found] == ["Školní kluby v Alfově", "Doučování v knihovně"]


# --- facets ------------------------------------------------------------------------------


@pytest.fixture
def taxonomy():
    make_intervention(
        "one", area="school", levels=["primary", "secondary"], implementers=["school"], cost=1
    )
    make_intervention("two", area="school", levels=["preschool"], evidence=3, cost=3)
    make_intervention("three", area="family", levels=["primary"], implementers=["ngo", "school"])


def test_facet_counts_count_every_option(taxonomy, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = facet_counts(Intervention.objects.all())
    assert counts["area"]["school"] == 2
    assert counts["area"]["family"] == 1
    assert counts["area"]["systemic"] == 0
    assert counts["kind"]["supportive"] == 3
    assert counts["levels"] == {
        "early_care": 0,
        "preschool": 1,
        "primary": 2,
        "secondary": 1,
        "out_of_school": 0,
    }
    assert counts["implementers"]["school"] == 2
    assert counts["implementers"]["ngo"] == 1
    assert counts["evidence"] == {0: 2, 1: 0, 2: 0, 3: 1, 4: 0}
    assert counts["cost"][1] == 1 and counts["cost"][2] == 1 and counts["cost"][3] == 1


def test_facet_counts_follow_the_search(taxonomy):
    counts = facet_counts(search_interventions(Intervention.objects.all(), "inkluze"))
    assert counts["area"]["school"] == 2  # all three share the default texts
    Intervention.objects.filter(slug="two").update(search_text="jine")
    counts = facet_counts(search_interventions(Intervention.objects.all(), "inkluze"))
    assert counts["area"]["school"] == 1


def test_facet_filters_narrow_and_or_within_a_group(taxonomy):
    everything = Intervention.objects.all()

    def slugs(selected):
        return sorted(i.slug for i in apply_facets(everything, selected))

    assert slugs({"area": ["school"]}) == ["one", "two"]
    assert slugs({"levels": ["primary"]}) == ["one", "three"]
    assert slugs({"levels": ["preschool", "secondary"]}) == ["one", "two"]
    assert slugs({"area": ["school"], "levels": ["primary"]}) == ["one"]
    assert slugs({"evidence": [3]}) == ["two"]
    assert slugs({"implementers": ["ngo"], "cost": [2]}) == ["three"]


def test_a_fields_counts_ignore_its_own_selection(taxonomy):
    counts = facet_counts(Intervention.objects.all(), {"area": ["school"]})
    # Other fields are counted within the selection ...
    assert counts["levels"]["primary"] == 1
    assert counts["levels"]["preschool"] == 1
    # ... while the area's own options still say what each would give.
    assert counts["area"]["family"] == 1
    assert counts["area"]["school"] == 2


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "search, model, index",
    [
        (search_interventions, Intervention, "catalog_intervention_search_trgm"),
        (search_good_practices, GoodPractice, "catalog_goodpractice_search_trgm"),
    ],
)
def test_search_uses_the_trigram_index_on_postgresql(search, model, index):
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    make_intervention("assistant", texts={"cs": {"title": "Školní asistent", "summary": "Třída"}})
    make_good_practice("Školní kluby")
    queryset = search(model.objects.filter(status="published"), "skolni")
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # With a handful of rows a scan is cheaper; forbid it to see that the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(plan)  # the closing note of the catalogue issue quotes it
    assert index in plan
