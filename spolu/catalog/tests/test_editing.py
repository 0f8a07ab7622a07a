"""Catalogue editors: writing interventions in three languages, publishing, history."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from spolu.catalog import editing, services
from spolu.catalog.models import GoodPractice, Intervention, InterventionText, Status
from spolu.core.testing import make_user

from .builders import make_good_practice, make_intervention


@pytest.fixture
def editor(db):
    user = make_user("editor@example.org", "Eva Editorová")
    user.user_permissions.add(Permission.objects.get(codename="edit_catalogue"))
    return user


def url(name, **kwargs):
    return reverse(f"catalog:{name}", kwargs=kwargs)


def intervention_data(**overrides):
    data = {
        "original_language": "cs",
        "slug": "",
        "area": "systemic",
        "kind": "preventive",
        "levels": ["primary", "secondary"],
        "implementers": ["founder", "ngo"],
        "evidence": "2",
        "cost": "3",
        "cs-title": "Koordinátor inkluze ve městě",
        "cs-summary": "Jeden člověk na radnici drží síť škol a služeb pohromadě.",
        "cs-description": "Koordinátor svolává setkání a hlídá plán.",
        "cs-sources": "Příručka | https://example.org/prirucka",
        "en-title": "",
        "en-summary": "",
        "pl-title": "",
        "pl-summary": "",
    }
    data.update(overrides)
    return data


def test_editor_creates_a_draft_publishes_it_and_the_history_shows_it(client_for, editor):
    client = client_for(editor)
    response = client.post(url("intervention-add"), intervention_data())
    intervention = Intervention.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("intervention-edit", pk=intervention.pk)
    assert intervention.status == Status.DRAFT
    assert intervention.slug == "koordinator-inkluze-ve-meste"
    assert intervention.levels == ["primary", "secondary"]
    assert list(intervention.texts.values_list("language", flat=True)) == ["cs"]
    assert "koordinator" in intervention.search_text

    data = intervention_data(
        slug=intervention.slug,
        **{
            "cs-summary": "Koordinátorka na radnici propojuje školy, OSPOD a neziskovky.",
            "en-title": "Inclusion coordinator for the town",
            "en-summary": "One person at the town hall keeps schools and services together.",
        },
    )
    assert client.post(url("intervention-edit", pk=intervention.pk), data).status_code == 302
    assert intervention.texts.count() == 2

    response = client.post(url("intervention-publish", pk=intervention.pk))
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == Status.PUBLISHED
    assert intervention.published_at is not None

    history = client.get(url("intervention-history", pk=intervention.pk)).content.decode()
    assert "<strong>Status</strong>: Draft → Published" in history
    assert "Jeden člověk na radnici drží síť škol a služeb pohromadě. → Koordinátorka" in history
    assert "Inclusion coordinator for the town" in history  # the English text was added
    assert "Eva Editorová" in history

    assert client.post(url("intervention-unpublish", pk=intervention.pk)).status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == Status.DRAFT
    assert intervention.published_at is None


def test_field_errors_keep_what_was_typed(client_for, editor):
    client = client_for(editor)
    data = intervention_data(
        **{
            "cs-summary": "",
            "cs-description": "Dlouhý popis, který nesmí zmizet.",
            "en-title": "Only a title",
        }
    )
    response = client.post(url("intervention-add"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Intervention.objects.count() == 0
    assert "Please correct the errors below." in html
    assert "Write a summary too, or empty the title." in html
    assert "Dlouhý popis, který nesmí zmizet." in html
    assert 'value="Only a title"' in html
    assert 'value="Koordinátor inkluze ve městě"' in html
    assert '<input type="checkbox" name="levels" value="primary"' in html
    assert 'value="primary" id="id_levels_2" checked' in html


def test_the_original_language_is_required(client_for, editor):
    data = intervention_data(
        **{
            "cs-title": "",
            "cs-summary": "",
            "en-title": "Inclusion coordinator",
            "en-summary": "One person keeps it together.",
        }
    )
    response = client_for(editor).post(url("intervention-add"), data)
    assert response.status_code == 200
    assert "The original language needs a title and a summary." in response.content.decode()
    assert Intervention.objects.count() == 0
    # English as the original language is fine.
    response = client_for(editor).post(url("intervention-add"), {**data, "original_language": "en"})
    assert response.status_code == 302
    assert Intervention.objects.get().slug == "inclusion-coordinator"


def test_an_emptied_language_is_deleted_and_slugs_stay_unique(client_for, editor):
    existing = make_intervention(
        "koordinator-inkluze-ve-meste",
        status="draft",
        texts={
            "cs": {"title": "Koordinátor", "summary": "Shrnutí"},
            "en": {"title": "Coordinator", "summary": "Summary"},
        },
    )
    client = client_for(editor)
    data = intervention_data(slug=existing.slug, **{"en-title": "", "en-summary": ""})
    assert client.post(url("intervention-edit", pk=existing.pk), data).status_code == 302
    assert list(existing.texts.values_list("language", flat=True)) == ["cs"]
    assert "coordinator" not in Intervention.objects.get(pk=existing.pk).search_text

    # The same title again: the address gets a number.
    client.post(url("intervention-add"), intervention_data())
    assert Intervention.objects.exclude(pk=existing.pk).get().slug == (
        "koordinator-inkluze-ve-meste-2"
    )
    # An address taken or reserved for a catalogue page is refused.
    for slug, error in [
        (existing.slug, "Intervention with this Address already exists."),
        ("edit", "This address is taken by a page of the catalogue."),
    ]:
        response = client.post(url("intervention-add"), intervention_data(slug=slug))
        assert error in response.content.decode()


def test_related_interventions_are_picked(client_for, editor):
    other = make_intervention("asistent-pedagoga")
    intervention = make_intervention("koordinator", status="draft")
    client = client_for(editor)
    page = client.get(url("intervention-edit", pk=intervention.pk)).content.decode()
    assert f'name="related" value="{other.pk}"' in page
    assert f'name="related" value="{intervention.pk}"' not in page  # not related to itself
    data = intervention_data(slug="koordinator", related=[other.pk])
    assert client.post(url("intervention-edit", pk=intervention.pk), data).status_code == 302
    assert list(intervention.related.all()) == [other]
    assert list(other.related.all()) == [intervention]


@pytest.mark.parametrize("who", ["nobody", "a_coordinator"])
def test_non_editors_get_403_on_every_editing_url(cast, client_for, who):
    intervention = make_intervention("koordinator", status="draft")
    practice = make_good_practice("Alfov", status="proposed")
    client = client_for(cast.user(who))
    checked = 0
    for pattern in editing.urlpatterns:
        if pattern.name == "good-practice-propose":
            continue
        kwargs = {}
        if "<int:pk>" in str(pattern.pattern):
            is_intervention = pattern.name.startswith("intervention")
            kwargs["pk"] = intervention.pk if is_intervention else practice.pk
        for method in ("get", "post"):
            response = getattr(client, method)(url(pattern.name, **kwargs))
            assert response.status_code == 403, (pattern.name, method)
            checked += 1
    assert checked == 2 * (len(editing.urlpatterns) - 1)
    intervention.refresh_from_db()
    practice.refresh_from_db()
    assert intervention.status == Status.DRAFT
    assert practice.status == Status.PROPOSED


def test_anonymous_users_are_sent_to_log_in(client, db):
    intervention = make_intervention("koordinator", status="draft")
    login = reverse("account_login")
    for name, kwargs in [
        ("editor-home", {}),
        ("intervention-add", {}),
        ("intervention-edit", {"pk": intervention.pk}),
        ("intervention-history", {"pk": intervention.pk}),
        ("good-practice-add", {}),
    ]:
        response = client.get(url(name, **kwargs))
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    response = client.post(url("intervention-publish", pk=intervention.pk))
    assert response["Location"].startswith(login)
    intervention.refresh_from_db()
    assert intervention.status == Status.DRAFT


def test_the_permission_may_come_from_a_group(client_for, db):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Catalogue editors")
    group.permissions.add(Permission.objects.get(codename="edit_catalogue"))
    user = make_user("group-editor@example.org")
    user.groups.add(group)
    assert client_for(user).get(url("editor-home")).status_code == 200
    assert list(services.editors()) == [user]


def test_editor_home_shows_the_queue_drafts_and_published(client_for, editor):
    make_intervention("draft-one", status="draft", texts={"cs": {"title": "Návrh A"}})
    make_intervention("published-one", texts={"cs": {"title": "Hotový zásah"}})
    make_good_practice("Proposal from Alfov", status="proposed")
    make_good_practice("Returned one", status="returned")
    html = client_for(editor).get(url("editor-home")).content.decode()
    review, rest = html.split('id="drafts"')
    assert "Proposal from Alfov" in review
    assert "Návrh A" in rest
    assert "Returned one" in rest
    assert "Hotový zásah" in rest


@pytest.mark.parametrize("size", [2, 30])
def test_editor_home_query_count_is_fixed(client_for, editor, django_assert_num_queries, size):
    for i in range(size):
        make_intervention(f"draft-{i}", status="draft")
        make_intervention(f"published-{i}")
        make_good_practice(f"Proposal {i}", status="proposed")
        make_good_practice(f"Draft {i}", status="draft")
        make_good_practice(f"Published {i}", published_at="2026-01-01T00:00Z")
    client = client_for(editor)
    # session, user, the user's permissions and the groups' ones, for each of the five lists
    # its count and its page, the territory switcher
    with django_assert_num_queries(15):
        assert client.get(url("editor-home")).status_code == 200


@pytest.mark.parametrize("size", [2, 30])
def test_history_query_count_is_fixed(client_for, editor, django_assert_num_queries, size):
    client = client_for(editor)
    client.post(url("intervention-add"), intervention_data())
    intervention = Intervention.objects.get()
    for i in range(size):
        data = intervention_data(slug=intervention.slug, **{"cs-summary": f"Verze {i}"})
        client.post(url("intervention-edit", pk=intervention.pk), data)
    client.get(url("intervention-history", pk=intervention.pk))  # content types cached
    # session, user, permissions (user's, groups'), the intervention and its texts, count,
    # page of entries, the intervention the text entries name and its texts (for its title),
    # the territory switcher
    with django_assert_num_queries(11):
        html = client.get(url("intervention-history", pk=intervention.pk)).content.decode()
    assert f"Verze {size - 1}" in html
    assert html.count("<tr>") == 1 + 2 + size  # the head, the two creations, the edits


def test_good_practice_is_written_published_and_has_history(client_for, editor):
    intervention = make_intervention("koordinator")
    draft = make_intervention("draft", status="draft")
    client = client_for(editor)
    page = client.get(url("good-practice-add")).content.decode()
    assert f'name="interventions" value="{intervention.pk}"' in page
    # Only published interventions are offered.
    assert f'name="interventions" value="{draft.pk}"' not in page
    data = {
        "title": "Koordinátorka v Alfově",
        "language": "cs",
        "place": "Alfov",
        "latitude": "49.59541",
        "longitude": "17.25087",
        "start_year": "2019",
        "end_year": "2018",
        "summary": "Město zřídilo místo koordinátorky.",
        "interventions": [intervention.pk],
    }
    response = client.post(url("good-practice-add"), data)
    assert "The period cannot end before it starts." in response.content.decode()
    response = client.post(url("good-practice-add"), {**data, "end_year": ""})
    practice = GoodPractice.objects.get()
    assert response["Location"] == url("good-practice-edit", pk=practice.pk)
    assert practice.status == Status.DRAFT
    assert list(practice.interventions.all()) == [intervention]
    assert "koordinatorka" in practice.search_text
    client.post(url("good-practice-publish", pk=practice.pk))
    practice.refresh_from_db()
    assert practice.status == Status.PUBLISHED
    assert client.get(url("good-practice-detail", pk=practice.pk)).status_code == 200
    history = client.get(url("good-practice-history", pk=practice.pk)).content.decode()
    assert "<strong>Status</strong>: Draft → Published" in history
    assert "Koordinátor" in history  # the linked intervention


def test_publishing_needs_the_original_text(editor):
    intervention = Intervention.objects.create(slug="bare", area="school", kind="other")
    InterventionText.objects.create(
        intervention=intervention, language="en", title="Only English", summary="S"
    )
    with pytest.raises(Exception, match="original language"):
        services.do_publish(intervention, acting_user=editor)


def test_intervention_picker_works_without_javascript(client_for, editor):
    make_intervention("skolni-asistent", texts={"cs": {"title": "Školní asistent"}})
    intervention = make_intervention("koordinator", status="draft")
    html = client_for(editor).get(url("intervention-edit", pk=intervention.pk)).content.decode()
    # The filter box is hidden until picker.js shows it; the checkboxes need no script.
    assert '<p class="picker__filter" data-picker-filter-row hidden>' in html
    assert '<label for="id_related_filter">' in html
    assert 'type="checkbox" name="related"' in html
    assert "Školní asistent" in html
    assert '<script src="/static/catalog/picker.js" defer></script>' in html
    assert "<script>" not in html
    assert "<legend>Related interventions</legend>" in html
