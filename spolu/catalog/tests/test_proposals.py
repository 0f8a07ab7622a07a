"""A coordinator shares a measure as good practice; editors review it; measures link to the
catalogue's interventions."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_scopes import scope

from spolu.catalog.models import GoodPractice, Status
from spolu.core.testing import make_user
from spolu.plans.models import Measure
from spolu.plans.services import do_start_next_period
from spolu.plans.tests.builders import make_plan

from .builders import make_intervention


@pytest.fixture
def editor(db):
    user = make_user("editor@example.org", "Eva Editorová")
    user.user_permissions.add(Permission.objects.get(codename="edit_catalogue"))
    return user


@pytest.fixture
def measure(cast):
    cast.territory_a.latitude = Decimal("49.59541")
    cast.territory_a.longitude = Decimal("17.25087")
    cast.territory_a.save()
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
        measure.description = "Město zřídilo místo koordinátorky inkluze."
        measure.start = datetime.date(2025, 9, 1)
        measure.save()
    return measure


def propose_url(measure, territory="alfov"):
    return reverse(
        "catalog:good-practice-propose", kwargs={"territory": territory, "measure": measure.pk}
    )


def measure_url(name, measure):
    return reverse(f"plans:{name}", kwargs={"territory": "alfov", "pk": measure.pk})


def proposal_data(**overrides):
    data = {
        "title": "Koordinátorka inkluze v Alfově",
        "place": "Alfov",
        "latitude": "49.59541",
        "longitude": "17.25087",
        "start_year": "2025",
        "end_year": "",
        "summary": "Město zřídilo místo koordinátorky inkluze.",
        "what_was_done": "Koordinátorka svolává školy a služby každý měsíc.",
        "results": "Méně dětí opouští školu předčasně.",
        "contact": "Město Alfov",
        "sources": "",
    }
    data.update(overrides)
    return data


def test_coordinator_proposes_from_a_measure_and_editors_are_told(
    cast, client_for, measure, editor, mailoutbox, django_capture_on_commit_callbacks
):
    coordinator_intervention = make_intervention("koordinator-inkluze")
    draft = make_intervention("draft", status="draft")
    with scope(territory=cast.territory_a):
        measure.interventions.set([coordinator_intervention, draft])
    group = Group.objects.create(name="Catalogue editors")
    group.permissions.add(Permission.objects.get(codename="edit_catalogue"))
    group_editor = make_user("group-editor@example.org")
    group_editor.groups.add(group)

    client = client_for(cast.user("a_coordinator"))
    detail = client.get(measure_url("measure-detail", measure)).content.decode()
    assert f'href="{propose_url(measure)}"' in detail
    assert "Share as good practice" in detail

    form = client.get(propose_url(measure)).content.decode()
    assert 'value="Opatření 1"' in form  # the measure's title
    assert "Město zřídilo místo koordinátorky inkluze.</textarea>" in form
    assert 'name="place" value="Alfov"' in form
    assert 'value="49.59541"' in form
    assert 'name="start_year" value="2025"' in form
    assert f'name="interventions" value="{coordinator_intervention.pk}" id' in form
    assert f'value="{coordinator_intervention.pk}" id="id_interventions_0" checked' in form
    assert f'name="interventions" value="{draft.pk}"' not in form  # not public

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            propose_url(measure),
            {**proposal_data(), "interventions": [coordinator_intervention.pk]},
        )
    assert response.status_code == 302
    assert response["Location"] == measure_url("measure-detail", measure)
    gp = GoodPractice.objects.get()
    assert gp.status == Status.PROPOSED
    assert gp.source_measure_id == measure.pk
    assert gp.proposed_by == cast.user("a_coordinator")
    assert gp.territory == cast.territory_a
    assert gp.language == "cs"
    assert list(gp.interventions.all()) == [coordinator_intervention]

    assert len(mailoutbox) == 2
    assert sorted(m.to[0] for m in mailoutbox) == [
        "editor@example.org",
        "group-editor@example.org",
    ]
    edit_link = reverse("catalog:good-practice-edit", kwargs={"pk": gp.pk})
    assert edit_link in mailoutbox[0].body
    assert "Koordinátorka svolává" not in mailoutbox[0].body  # a link, no content

    # The editors see it in their queue, publish it, and it is public.
    editor_client = client_for(editor)
    queue = editor_client.get(reverse("catalog:editor-home")).content.decode()
    assert "Koordinátorka inkluze v Alfově" in queue
    public = reverse("catalog:good-practice-detail", kwargs={"pk": gp.pk})
    editor_client.logout()
    assert editor_client.get(public).status_code == 404
    editor_client = client_for(editor)
    editor_client.post(reverse("catalog:good-practice-publish", kwargs={"pk": gp.pk}))
    gp.refresh_from_db()
    assert gp.status == Status.PUBLISHED
    history = editor_client.get(reverse("catalog:good-practice-history", kwargs={"pk": gp.pk}))
    history = history.content.decode()
    assert "Proposed, waiting for review → Published" in history
    assert "1 Opatření 1" in history  # the source measure, by name
    editor_client.logout()
    assert editor_client.get(public).status_code == 200
    listing = editor_client.get(reverse("catalog:good-practice-list")).content.decode()
    assert "Koordinátorka inkluze v Alfově" in listing


def test_returning_sends_the_note_and_the_coordinator_revises_the_same_proposal(
    cast, client_for, measure, editor, mailoutbox, django_capture_on_commit_callbacks
):
    coordinator = client_for(cast.user("a_coordinator"))
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(propose_url(measure), proposal_data())
    gp = GoodPractice.objects.get()
    mailoutbox.clear()

    editor_client = client_for(editor)
    return_url = reverse("catalog:good-practice-return", kwargs={"pk": gp.pk})
    response = editor_client.post(return_url, {"note": ""})
    assert "This field is required." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(return_url, {"note": "Doplňte prosím výsledky v číslech."})
    assert response.status_code == 302
    gp.refresh_from_db()
    assert gp.status == Status.RETURNED
    assert gp.review_note == "Doplňte prosím výsledky v číslech."
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["a-coordinator@example.org"]
    assert "Doplňte prosím výsledky v číslech." in mail.body
    assert propose_url(measure) in mail.body

    coordinator = client_for(cast.user("a_coordinator"))
    page = coordinator.get(propose_url(measure)).content.decode()
    assert "Doplňte prosím výsledky v číslech." in page
    assert 'value="Koordinátorka inkluze v Alfově"' in page  # their text, not the measure's
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(propose_url(measure), proposal_data(results="O 30 % méně odchodů."))
    gp.refresh_from_db()
    assert GoodPractice.objects.count() == 1
    assert gp.status == Status.PROPOSED
    assert gp.results == "O 30 % méně odchodů."


def test_proposal_errors_keep_what_was_typed(cast, client_for, measure):
    response = client_for(cast.user("a_team")).post(
        propose_url(measure), proposal_data(summary="", results="Naše výsledky")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Naše výsledky</textarea>" in html
    assert GoodPractice.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("a_viewer", 403), ("a_partner", 403), ("b_coordinator", 404), ("nobody", 404)],
)
def test_only_the_territorys_plan_team_may_propose(cast, client_for, measure, who, status):
    client = client_for(cast.user(who))
    assert client.get(propose_url(measure)).status_code == status
    assert client.post(propose_url(measure), proposal_data()).status_code == status
    assert GoodPractice.objects.count() == 0


def test_a_measure_of_another_territory_is_not_found(cast, client_for, measure):
    # B's coordinator names their own territory in the address, with A's measure.
    client = client_for(cast.user("b_coordinator"))
    assert client.get(propose_url(measure, territory="betow")).status_code == 404
    assert client.post(propose_url(measure, territory="betow"), proposal_data()).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, measure):
    response = client.get(propose_url(measure))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_viewers_see_no_share_link(cast, client_for, measure):
    detail = client_for(cast.user("a_viewer")).get(measure_url("measure-detail", measure))
    assert "Share as good practice" not in detail.content.decode()


def test_measure_form_saves_interventions_and_detail_links_them(cast, client_for, measure):
    chosen = make_intervention(
        "skolni-asistent", texts={"cs": {"title": "Školní asistent"}, "en": {"title": "TA"}}
    )
    other = make_intervention("doucovani", texts={"cs": {"title": "Doučování"}})
    draft = make_intervention("draft", status="draft", texts={"cs": {"title": "Koncept"}})
    client = client_for(cast.user("a_coordinator"))
    form = client.get(measure_url("measure-edit", measure)).content.decode()
    assert f'name="interventions" value="{chosen.pk}"' in form
    assert f'name="interventions" value="{draft.pk}"' not in form
    # Ordered by the title in the active language (English: "TA" after "Doučování").
    assert form.index("Doučování</label>") < form.index(" TA</label>")
    # Search as you type: a hidden filter box for picker.js, checkboxes without it.
    assert '<p class="picker__filter" data-picker-filter-row hidden>' in form
    assert '<script src="/static/catalog/picker.js" defer></script>' in form
    assert "<script>" not in form

    with scope(territory=cast.territory_a):
        data = {
            "goal": measure.goal_id,
            "code": measure.code,
            "title": measure.title,
            "description": measure.description,
            "status": measure.status,
            "lead_implementer": measure.lead_implementer_id,
            "partners": [p.pk for p in measure.partners.all()],
            "start": "2025-09-01",
            "end": "2027-12-31",
            "interventions": [chosen.pk, other.pk],
        }
    response = client.post(measure_url("measure-edit", measure), data)
    assert response.status_code == 302
    with scope(territory=cast.territory_a):
        assert set(measure.interventions.all()) == {chosen, other}

    detail = client.get(measure_url("measure-detail", measure)).content.decode()
    chosen_url = reverse("catalog:intervention-detail", kwargs={"slug": chosen.slug})
    assert f'<a href="{chosen_url}">TA</a>' in detail
    assert "Doučování" in detail

    # A withdrawn intervention stays linked when the measure is edited again.
    other.status = Status.DRAFT
    other.save()
    form = client.get(measure_url("measure-edit", measure)).content.decode()
    assert f'value="{other.pk}" id="id_interventions_0" checked' in form
    assert client.post(measure_url("measure-edit", measure), data).status_code == 302
    with scope(territory=cast.territory_a):
        assert set(measure.interventions.all()) == {chosen, other}
    detail = client.get(measure_url("measure-detail", measure)).content.decode()
    assert "Doučování <small>(no longer published)</small>" in detail
    # ...but a draft cannot be newly linked.
    response = client.post(
        measure_url("measure-edit", measure), {**data, "interventions": [draft.pk]}
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.parametrize("size", [1, 20])
def test_measure_detail_query_count_does_not_grow_with_interventions(
    cast, client_for, measure, django_assert_num_queries, size
):
    interventions = [make_intervention(f"zasah-{i}") for i in range(size)]
    with scope(territory=cast.territory_a):
        measure.interventions.set(interventions)
    client = client_for(cast.user("a_coordinator"))
    # session, user, memberships (also the switcher's), measure with risk and relations, partners,
    # tasks, progress updates, indicators, history and the plan, goal and organisation it names,
    # related measures, carried-over successors, interventions with their titles
    with django_assert_num_queries(15):
        html = client.get(measure_url("measure-detail", measure)).content.decode()
    assert html.count('href="/catalogue/zasah-') == size


def test_carried_over_measures_keep_their_interventions(cast, measure):
    intervention = make_intervention("koordinator")
    with scope(territory=cast.territory_a):
        measure.interventions.set([intervention])
        plan = measure.plan
        plan.status = "adopted"
        plan.save()
        successor = do_start_next_period(
            plan,
            title="Další",
            period_start=datetime.date(2028, 1, 1),
            period_end=datetime.date(2030, 12, 31),
            carry_over=[measure],
            acting_user=cast.user("a_coordinator"),
        )
        carried = Measure.objects.get(plan=successor)
        assert list(carried.interventions.all()) == [intervention]
