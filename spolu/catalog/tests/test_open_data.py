"""Open data: the published catalogue and good practice as JSON and CSV, with their licence."""

import csv
import io
import json

import pytest
from django.urls import reverse

from ..models import Status
from .builders import make_good_practice, make_intervention

pytestmark = pytest.mark.django_db

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def _url(name, fmt):
    return reverse(f"catalog:data-{name}", kwargs={"fmt": fmt})


def _csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def catalogue(cast):
    related = make_intervention("related-one", texts={"en": {"title": "Related"}})
    draft = make_intervention("draft-one", status=Status.DRAFT, texts={"en": {"title": "Draft"}})
    coordinator = make_intervention(
        "coordinator",
        texts={
            "cs": {
                "title": "Koordinátor inkluze",
                "summary": "Drží síť pohromadě.",
                "description": "Popis.",
                "sources": "Příručka | https://example.org/prirucka",
            },
            "en": {"title": "=Inclusion coordinator", "summary": "Keeps the network together."},
            "pl": {"title": "Koordynator włączenia", "summary": "Spina sieć."},
        },
        area="systemic",
        levels=["primary", "preschool"],
        implementers=["founder"],
        evidence=1,
        cost=3,
    )
    coordinator.related.set([related, draft])
    make_good_practice(
        "Alfov má koordinátora",
        territory=cast.territory_a,
        place="Alfov",
        latitude="49.12345",
        longitude="16.5",
        start_year=2020,
        interventions=[coordinator, draft],
        contact="Město Alfov",
        sources="Zpráva | https://example.org/zprava",
    )
    make_good_practice("Hidden proposal", status=Status.PROPOSED)
    return coordinator


def test_the_open_data_page_states_the_licence_and_links_the_files(client):
    html = client.get(reverse("catalog:open-data")).content.decode()
    assert "Creative Commons Attribution 4.0 International" in html
    assert "CC-BY-4.0" in html
    assert f'href="{LICENCE_URL}" rel="noopener license"' in html
    for name in ["interventions", "good-practices"]:
        for fmt in ["json", "csv"]:
            assert f'href="{_url(name, fmt)}"' in html
    assert '<th scope="col">' in html and '<th scope="row">' in html


def test_interventions_as_json(client, catalogue):
    response = client.get(_url("interventions", "json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["licence"]["id"] == "CC-BY-4.0"
    assert data["licence"]["url"] == LICENCE_URL
    assert "http://testserver/catalogue/" in data["licence"]["attribution"]
    assert data["generated"]
    items = {item["slug"]: item for item in data["items"]}
    assert sorted(items) == ["coordinator", "related-one"]  # no draft
    item = items["coordinator"]
    assert item["url"] == "http://testserver/catalogue/coordinator/"
    assert sorted(item["texts"]) == ["cs", "en", "pl"]
    assert item["texts"]["pl"]["title"] == "Koordynator włączenia"
    assert item["texts"]["cs"]["description"] == "Popis."
    assert item["texts"]["cs"]["sources"] == [
        {"name": "Příručka", "url": "https://example.org/prirucka"}
    ]
    assert item["area"]["code"] == "systemic"
    assert item["area"]["label"]["en"] == "Systemic measures at the local level"
    assert sorted(item["area"]["label"]) == ["cs", "en", "pl"]
    assert [level["code"] for level in item["levels"]] == ["preschool", "primary"]
    assert item["levels"][1]["label"]["en"] == "Primary"
    assert [i["code"] for i in item["implementers"]] == ["founder"]
    assert item["evidence"]["code"] == 1
    assert item["evidence"]["label"]["en"] == "Practitioners' experience"
    assert item["evidence"]["meaning"]["en"].startswith("Towns that use it report")
    assert item["cost"] == {"code": 3, "label": item["cost"]["label"]}
    assert item["related"] == ["related-one"]  # the draft is left out


def test_interventions_as_csv_one_row_per_language(client, catalogue):
    response = client.get(_url("interventions", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[:3] == ["Address", "Language", "Title"]
    assert header[-1] == "Licence"
    keys = [(row[0], row[1]) for row in rows]
    assert keys == [
        ("coordinator", "cs"),
        ("coordinator", "en"),
        ("coordinator", "pl"),
        ("related-one", "en"),
    ]
    column = {name: index for index, name in enumerate(header)}
    en = rows[1]
    assert en[column["Title"]] == "'=Inclusion coordinator"  # formula escaped
    assert en[column["Area (code)"]] == "systemic"
    assert en[column["Education levels (codes)"]] == "preschool; primary"
    assert en[column["Evidence (0–4)"]] == "1"
    assert en[column["Related interventions"]] == "related-one"
    assert rows[0][column["Sources"]] == "Příručka <https://example.org/prirucka>"
    assert all(LICENCE_URL in row[column["Licence"]] for row in rows)
    assert "Draft" not in response.content.decode()


def test_good_practices_as_json_and_csv(client, catalogue):
    data = json.loads(client.get(_url("good-practices", "json")).content)
    assert data["licence"]["id"] == "CC-BY-4.0"
    [item] = data["items"]
    assert item["title"] == "Alfov má koordinátora"
    assert item["territory"] == {"name": "Alfov", "country": "CZ"}
    assert item["latitude"] == 49.12345 and item["longitude"] == 16.5
    assert item["start_year"] == 2020 and item["end_year"] is None
    assert item["interventions"] == ["coordinator"]
    assert item["contact"] == "Město Alfov"
    assert item["sources"] == [{"name": "Zpráva", "url": "https://example.org/zprava"}]

    header, *rows = _csv_rows(client.get(_url("good-practices", "csv")))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Title"] == "Alfov má koordinátora"
    assert row["Country"] == "CZ"
    assert row["Interventions"] == "coordinator"
    assert LICENCE_URL in row["Licence"]


@pytest.mark.parametrize("fmt", ["xlsx", "xml", "JSON", "json.gz"])
def test_other_formats_are_not_found(client, fmt):
    assert client.get(_url("interventions", fmt)).status_code == 404
    assert client.get(_url("good-practices", fmt)).status_code == 404


@pytest.mark.parametrize("count", [2, 25])
def test_open_data_runs_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    interventions = [make_intervention(f"i-{i:02}") for i in range(count)]
    for i, intervention in enumerate(interventions):
        intervention.related.add(interventions[i - 1])
        make_good_practice(f"Practice {i}", interventions=interventions[i : i + 2])
    # The interventions, their texts, their related interventions.
    for fmt in ["json", "csv"]:
        with django_assert_num_queries(3):
            assert client.get(_url("interventions", fmt)).status_code == 200
    # The good practices with their territories, their interventions.
    for fmt in ["json", "csv"]:
        with django_assert_num_queries(2):
            assert client.get(_url("good-practices", fmt)).status_code == 200
