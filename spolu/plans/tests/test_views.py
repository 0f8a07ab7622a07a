"""Plan pages: who sees and changes what, the coordinator's story, and fixed query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.plans.models import (
    Attachment,
    Goal,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    ProgressUpdate,
    Task,
    TaskStatus,
)

from .builders import START, make_plan


def url(name, *args):
    return reverse(f"plans:{name}", args=["alfov", *args])


@pytest.mark.parametrize(
    ("user", "read", "write"),
    [
        ("a_coordinator", 200, 200),
        ("a_team", 200, 200),
        ("a_partner", 200, 403),
        ("a_school", 200, 403),
        ("a_viewer", 200, 403),
        ("b_coordinator", 404, 404),
        ("nobody", 404, 404),
    ],
)
def test_permission_matrix(cast, client_for, user, read, write):
    plan = make_plan(cast.territory_a, measures=2)
    with scope(territory=cast.territory_a):
        measure = plan.measures.first()
    client = client_for(cast.user(user))
    for page in [
        url("plan-list"),
        url("plan-detail", plan.pk),
        url("plan-timeline", plan.pk),
        url("measure-detail", measure.pk),
        url("task-list"),
    ]:
        assert client.get(page).status_code == read, page
    for page in [
        url("plan-add"),
        url("plan-edit", plan.pk),
        url("measure-add", plan.pk),
        url("measure-edit", measure.pk),
        url("goal-add", plan.pk),
    ]:
        assert client.get(page).status_code == write, page


def test_empty_territory_pages(cast, client_for):
    client = client_for(cast.user("a_coordinator"))
    assert "No plan is recorded yet" in client.get(url("plan-list")).content.decode()
    assert client.get(url("task-list")).status_code == 200
    assert "not linked to an organisation" in client.get(url("our-measures")).content.decode()


def test_coordinator_builds_and_adopts_a_plan(cast, client_for):
    school = make_organisation(cast.territory_a, name="ZŠ Alfov")
    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        url("plan-add"),
        {"title": "Plán 2025–2027", "period_start": "2025-01-01", "period_end": "2027-12-31"},
    )
    with scope(territory=cast.territory_a):
        plan = Plan.objects.get()
    assert response["Location"] == url("plan-detail", plan.pk)

    # A measure needs a goal first.
    assert client.get(url("measure-add", plan.pk))["Location"] == url("goal-add", plan.pk)
    client.post(url("goal-add", plan.pk), {"code": "1", "title": "Předškolní vzdělávání"})
    with scope(territory=cast.territory_a):
        goal = Goal.objects.get()

    bad = client.post(
        url("measure-add", plan.pk),
        {
            "goal": goal.pk,
            "code": "1.1",
            "title": "Adaptační skupiny",
            "status": "planned",
            "start": "2024-01-01",
            "end": "2023-01-01",
            "budget_amount": "1000",
        },
    )
    html = bad.content.decode()
    assert "The date lies outside the plan&#x27;s period." in html
    assert "The measure cannot end before it starts." in html
    assert "Choose the currency of the budget." in html
    assert 'value="Adaptační skupiny"' in html

    client.post(
        url("measure-add", plan.pk),
        {
            "goal": goal.pk,
            "code": "1.1",
            "title": "Adaptační skupiny",
            "status": "planned",
            "start": "2025-09-01",
            "end": "2026-06-30",
        },
    )
    refused = client.post(
        url("plan-adopt", plan.pk), {"adopted_on": "2025-01-10", "resolution_number": "ZM/1"}
    )
    assert "These measures have no lead implementer: 1.1." in refused.content.decode()

    with scope(territory=cast.territory_a):
        measure = Measure.objects.get()
    client.post(
        url("measure-edit", measure.pk),
        {
            "goal": goal.pk,
            "code": "1.1",
            "title": "Adaptační skupiny",
            "status": "planned",
            "lead_implementer": school.pk,
            "start": "2025-09-01",
            "end": "2026-06-30",
        },
    )
    adopted = client.post(
        url("plan-adopt", plan.pk), {"adopted_on": "2025-01-10", "resolution_number": "ZM/1"}
    )
    assert adopted.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ADOPTED

    client.post(url("plan-advance", plan.pk))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.IN_IMPLEMENTATION
    detail = client.get(url("plan-detail", plan.pk)).content.decode()
    assert "In implementation" in detail and "ZŠ Alfov" in detail


def _partner_plan(cast):
    plan = make_plan(cast.territory_a, measures=2, status="in_implementation")
    ngo = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    make_person(
        cast.territory_a, full_name="Partnerka", organisations=[ngo], user=cast.user("a_partner")
    )
    with scope(territory=cast.territory_a):
        ours, theirs = plan.measures.order_by("code")
        ours.partners.add(ngo)
    return plan, ours, theirs


def test_partner_records_progress_on_own_measure_only(cast, client_for):
    _plan, ours, theirs = _partner_plan(cast)
    client = client_for(cast.user("a_partner"))
    assert client.get(url("progress-add", theirs.pk)).status_code == 403
    pdf = SimpleUploadedFile("zprava.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    response = client.post(
        url("progress-add", ours.pk),
        {
            "date": datetime.date.today().isoformat(),
            "status": "in_progress",
            "narrative": "Skupina běží.",
            "attachments": [pdf],
        },
    )
    assert response.status_code == 302
    with scope(territory=cast.territory_a):
        update = ProgressUpdate.objects.get()
        attachment = Attachment.objects.get()
        assert Measure.objects.get(pk=ours.pk).status == MeasureStatus.IN_PROGRESS
    assert attachment.content_type == "application/pdf"
    assert update.author == cast.user("a_partner")
    download = client.get(url("attachment-download", attachment.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    our_page = client.get(url("our-measures")).content.decode()
    assert ours.code in our_page and f">{theirs.code} " not in our_page


def test_attachment_type_is_checked_from_content(cast, client_for):
    _plan, ours, _theirs = _partner_plan(cast)
    fake = SimpleUploadedFile("zprava.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client_for(cast.user("a_partner")).post(
        url("progress-add", ours.pk),
        {
            "date": datetime.date.today().isoformat(),
            "status": "in_progress",
            "narrative": "Text zůstane.",
            "attachments": [fake],
        },
    )
    html = response.content.decode()
    assert "zprava.pdf is not a PDF, DOCX, XLSX, ODT or image file." in html
    assert "Text zůstane." in html
    with scope(territory=cast.territory_a):
        assert not ProgressUpdate.objects.exists()


def test_tasks_overdue_first_and_partner_marks_own_done(cast, client_for):
    _plan, ours, theirs = _partner_plan(cast)
    today = datetime.date.today()
    with scope(territory=cast.territory_a):
        later = Task.objects.create(
            territory=cast.territory_a,
            title="Later task",
            measure=ours,
            due=today + datetime.timedelta(days=5),
        )
        Task.objects.create(
            territory=cast.territory_a,
            title="Late task",
            measure=theirs,
            due=today - datetime.timedelta(days=5),
        )
    client = client_for(cast.user("a_partner"))
    html = client.get(url("task-list")).content.decode()
    assert html.index("Late task") < html.index("Later task")
    assert "overdue" in html
    client.post(url("task-status", later.pk), {"status": "done"})
    later.refresh_from_db()
    assert later.status == TaskStatus.DONE and later.completed_on == today
    with scope(territory=cast.territory_a):
        late = Task.objects.get(title="Late task")
    assert client.post(url("task-status", late.pk), {"status": "done"}).status_code == 403


def test_indicator_values_and_chart(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1, status="in_implementation")
    client = client_for(cast.user("a_team"))
    response = client.post(
        url("indicator-add", plan.pk),
        {
            "name": "Neomluvená absence",
            "unit": "%",
            "direction": "down",
            "baseline_value": "7.5",
            "baseline_date": "2025-01-01",
            "target_value": "4",
        },
    )
    detail_url = response["Location"]
    client.post(detail_url, {"date": "2025-06-30", "value": "6.8", "source": "Matrika"})
    html = client.get(detail_url).content.decode()
    assert "<svg" in html and "Matrika" in html
    bad = client.post(detail_url, {"date": "", "value": "abc"}).content.decode()
    assert "Enter a number." in bad


def test_next_period_page_carries_measures(cast, client_for):
    plan = make_plan(cast.territory_a, measures=2, status="in_implementation")
    with scope(territory=cast.territory_a):
        first = plan.measures.order_by("code").first()
    client = client_for(cast.user("a_coordinator"))
    response = client.post(
        url("plan-next-period", plan.pk),
        {
            "title": "Další období",
            "period_start": "2028-01-01",
            "period_end": "2030-12-31",
            "carry_over": [first.pk],
        },
    )
    with scope(territory=cast.territory_a):
        successor = Plan.objects.get(title="Další období")
        carried = successor.measures.get()
    assert response["Location"] == url("plan-detail", successor.pk)
    detail = client.get(url("measure-detail", carried.pk)).content.decode()
    assert "Carried over from" in detail


@pytest.mark.parametrize("size", [5, 200])
def test_plan_detail_query_count_is_fixed(cast, client_for, django_assert_num_queries, size):
    plan = make_plan(cast.territory_a, measures=size, goals=5)
    client = client_for(cast.user("a_viewer"))
    # session, user, memberships (also the switcher's), plan, the filter's organisations, measures
    # with risk, goals, indicators
    with django_assert_num_queries(8):
        assert client.get(url("plan-detail", plan.pk)).status_code == 200


@pytest.mark.parametrize("size", [5, 200])
def test_measure_detail_query_count_is_fixed(cast, client_for, django_assert_num_queries, size):
    plan = make_plan(cast.territory_a, measures=size, goals=5)
    with scope(territory=cast.territory_a):
        measure = plan.measures.order_by("code").first()
        others = list(plan.measures.exclude(pk=measure.pk)[: size // 5])
        measure.related.set(others)
        for i in range(size // 5):
            Task.objects.create(territory=cast.territory_a, title=f"T{i}", measure=measure)
            ProgressUpdate.objects.create(
                territory=cast.territory_a,
                measure=measure,
                date=START,
                status="planned",
                narrative=f"N{i}",
            )
    client = client_for(cast.user("a_partner"))
    # session, user, memberships (also the switcher's), measure with risk and relations, partners,
    # own organisations, tasks, progress updates, attachments, indicators, their values, related
    # measures, carried-over successors, interventions from the catalogue (titles by subquery),
    # history and the names of the plan, goal and lead implementer it mentions (one query per
    # related model), the platforms whose decisions the partner may see
    with django_assert_num_queries(18):
        assert client.get(url("measure-detail", measure.pk)).status_code == 200


def test_timeline_renders_every_measure(cast, client_for):
    plan = make_plan(cast.territory_a, measures=12, goals=3)
    html = client_for(cast.user("a_viewer")).get(url("plan-timeline", plan.pk)).content.decode()
    assert "<svg" in html
    # One link per measure (12), each to its detail page.
    assert html.count("/t/alfov/measures/") == 12
    assert "3.12 Opatření 12" in html


def test_template_round_trip_through_the_import_page(cast, client_for):
    plan = make_plan(cast.territory_a, measures=3, goals=2)
    client = client_for(cast.user("a_team"))
    template = client.get(url("plan-template", plan.pk))
    assert template.status_code == 200
    upload = SimpleUploadedFile("plan.xlsx", template.content)
    html = client.post(url("plan-import", plan.pk), {"file": upload}).content.decode()
    assert "Everything in the file is already up to date" in html
    assert 'name="confirm"' in html


def test_broken_plan_file_is_reported_and_changes_nothing(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1)
    upload = SimpleUploadedFile("plan.xlsx", b"this is not a spreadsheet")
    html = (
        client_for(cast.user("a_team"))
        .post(url("plan-import", plan.pk), {"file": upload})
        .content.decode()
    )
    assert "The file has errors" in html
    assert 'name="confirm"' not in html


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_plan_exports_download(cast, client_for, fmt):
    plan = make_plan(cast.territory_a, measures=2)
    response = client_for(cast.user("a_viewer")).get(url("plan-export", plan.pk, fmt))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    magic = {"xlsx": b"PK", "docx": b"PK", "pdf": b"%PDF"}[fmt]
    assert response.content.startswith(magic)


def test_tasks_csv_escapes_formulas(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        Task.objects.create(
            territory=cast.territory_a, title="=HYPERLINK(1)", measure=plan.measures.get()
        )
    response = client_for(cast.user("a_viewer")).get(url("task-export", "csv"))
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_history_names_organisations_and_partner_changes(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1)
    other = make_organisation(cast.territory_a, name="Nová škola")
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
    client = client_for(cast.user("a_coordinator"))
    client.post(
        url("measure-edit", measure.pk),
        {
            "goal": measure.goal_id,
            "code": measure.code,
            "title": measure.title,
            "status": "planned",
            "lead_implementer": other.pk,
            "partners": [other.pk],
        },
    )
    html = client.get(url("measure-detail", measure.pk)).content.decode()
    history = html.split('id="history-heading"')[1]
    assert "Lead implementer: Škola pro Plán inkluze → Nová škola" in history
    assert "Partner organisations: — → Nová škola" in history
    assert "plans." not in history and "ID:" not in history


def test_task_list_offers_actions_to_those_who_may_use_them(cast, client_for):
    _plan, ours, theirs = _partner_plan(cast)
    with scope(territory=cast.territory_a):
        Task.objects.create(territory=cast.territory_a, title="Náš úkol", measure=ours)
        Task.objects.create(territory=cast.territory_a, title="Cizí úkol", measure=theirs)
    html = client_for(cast.user("a_coordinator")).get(url("task-list")).content.decode()
    assert html.count("Mark done") == 2
    html = client_for(cast.user("a_partner")).get(url("task-list")).content.decode()
    assert html.count("Mark done") == 1
    assert html.count('Mark done<span class="visually-hidden">: Náš úkol') == 1


def test_editing_a_measure_keeps_a_closed_lead_implementer(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1)
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
        measure.lead_implementer.active = False
        measure.lead_implementer.save()
    client = client_for(cast.user("a_team"))
    form = client.get(url("measure-edit", measure.pk)).content.decode()
    assert f'<option value="{measure.lead_implementer_id}" selected>' in form


def test_next_period_cannot_be_started_twice(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1, status="in_implementation")
    client = client_for(cast.user("a_coordinator"))
    data = {"title": "Další", "period_start": "2028-01-01", "period_end": "2030-12-31"}
    client.post(url("plan-next-period", plan.pk), data)
    again = client.post(url("plan-next-period", plan.pk), data)
    assert "already been started" in again.content.decode()
    with scope(territory=cast.territory_a):
        assert Plan.objects.filter(predecessor=plan).count() == 1


def test_far_future_period_is_refused(cast, client_for):
    response = client_for(cast.user("a_coordinator")).post(
        url("plan-add"), {"title": "X", "period_start": "2025-01-01", "period_end": "9999-12-31"}
    )
    assert "Enter a year between 1990 and 2100." in response.content.decode()


def test_tasks_of_a_closed_plan_are_history(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1, status="closed")
    with scope(territory=cast.territory_a):
        task = Task.objects.create(
            territory=cast.territory_a, title="Old", measure=plan.measures.get()
        )
    response = client_for(cast.user("a_team")).post(url("task-status", task.pk), {"status": "done"})
    assert response.status_code == 403


def test_indicator_is_edited_and_a_wrong_value_removed(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1, status="in_implementation")
    with scope(territory=cast.territory_a):
        from spolu.plans.models import Indicator, IndicatorValue

        indicator = Indicator.objects.create(
            territory=cast.territory_a, plan=plan, name="Absence", unit="%"
        )
        value = IndicatorValue.objects.create(
            territory=cast.territory_a, indicator=indicator, date=START, value=99
        )
    client = client_for(cast.user("a_team"))
    client.post(
        url("indicator-edit", indicator.pk),
        {"name": "Neomluvená absence", "unit": "%", "direction": "down"},
    )
    indicator.refresh_from_db()
    assert indicator.name == "Neomluvená absence" and indicator.direction == "down"
    client.post(url("indicator-value-delete", value.pk))
    with scope(territory=cast.territory_a):
        assert not IndicatorValue.objects.exists()
    viewer = client_for(cast.user("a_viewer"))
    assert viewer.get(url("indicator-edit", indicator.pk)).status_code == 403


def test_adopted_plan_keeps_a_lead_implementer_on_every_measure(cast, client_for):
    plan = make_plan(cast.territory_a, measures=1, status="adopted")
    with scope(territory=cast.territory_a):
        measure = plan.measures.get()
    response = client_for(cast.user("a_team")).post(
        url("measure-edit", measure.pk),
        {
            "goal": measure.goal_id,
            "code": measure.code,
            "title": measure.title,
            "status": "planned",
            "lead_implementer": "",
        },
    )
    assert "This field is required." in response.content.decode()
