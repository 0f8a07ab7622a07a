"""Plans as the people who run them meet them: drafting, adopting, reporting, tasks, the timeline.

The five tests walk one story in order: the coordinator drafts and adopts a plan, reports
progress and an indicator on its measure, gives a partner an overdue task, the partner reports
and closes it, and everyone follows the measures on the timeline. Each later test starts from
the state the story reached before it, built with the factories (the live server shares the
database), so that a failure points at one step. Each step checks what the user would notice
(headings, messages, badges, kept input, charts) and runs axe on every page it reaches; the
`page` fixture also fails on CSP violations and script errors.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils import formats, translation
from django_scopes import scope
from playwright.sync_api import expect

from spolu.actors.models import Organisation
from spolu.actors.tests.factories import make_organisation, make_person
from spolu.plans.models import Goal, Measure, Plan, PlanStatus, Task

from .conftest import check_a11y, login, visit

TODAY = datetime.date.today()
PERIOD_START = TODAY - datetime.timedelta(days=180)
PERIOD_END = TODAY + datetime.timedelta(days=900)
MEASURE_START = TODAY - datetime.timedelta(days=60)
MEASURE_END = TODAY + datetime.timedelta(days=365)

PLAN_TITLE = "Místní plán inkluze 2025–2027"
GOAL = ("1", "Předškolní vzdělávání")
MEASURE = ("1.1", "Adaptační skupiny")
SCHOOL = "ZŠ a MŠ Alfov"
NGO = "Spolek Most"
OVERDUE_TASK = "Send the attendance sheets"
LATER_TASK = "Book the room for parents"
PDF = {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _shown(day: datetime.date) -> str:
    """A date as the pages show it to a browser asking for English."""
    with translation.override("en"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def _click_and_check(page, locator):
    """Follow a link or press a submit button, wait for the new page and run axe on it."""
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def _mark_done(task_title):
    # The button reads "Mark done" with the task's title hidden for screen readers only.
    return re.compile(rf"^Mark done\W+{re.escape(task_title)}$")


def _fact(page, term):
    """The value (dd) of a term (dt) in the page's facts or details list."""
    term_only = page.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$"))
    return page.locator(".facts > div, .details > div").filter(has=term_only).locator("dd")


def _nav(page):
    return page.get_by_role("navigation", name="Territory sections")


# --- the state the story reached, for the later steps ---------------------------------------


@dataclass
class Story:
    plan: Plan
    goal: Goal
    measure: Measure
    school: Organisation
    ngo: Organisation


def _organisations(cast):
    school = make_organisation(cast.territory_a, name=SCHOOL)
    ngo = make_organisation(cast.territory_a, name=NGO, kind="ngo")
    return school, ngo


def _plan_in_implementation(cast, *, extra_measures=0) -> Story:
    """Step 1's result: an adopted plan in implementation, its measure led by the school."""
    school, ngo = _organisations(cast)
    territory = cast.territory_a
    with scope(territory=territory):
        plan = Plan.objects.create(
            territory=territory,
            title=PLAN_TITLE,
            period_start=PERIOD_START,
            period_end=PERIOD_END,
            status=PlanStatus.IN_IMPLEMENTATION,
            adopted_on=PERIOD_START,
            resolution_number="ZM/12/2025",
        )
        goal = Goal.objects.create(territory=territory, plan=plan, code=GOAL[0], title=GOAL[1])
        measure = Measure.objects.create(
            territory=territory,
            plan=plan,
            goal=goal,
            code=MEASURE[0],
            title=MEASURE[1],
            start=MEASURE_START,
            end=MEASURE_END,
            lead_implementer=school,
        )
        measure.partners.set([ngo])
        for i in range(extra_measures):
            Measure.objects.create(
                territory=territory,
                plan=plan,
                goal=goal,
                code=f"1.{i + 2}",
                title=f"Kroužek čtení {i + 2}",
                start=TODAY + datetime.timedelta(days=30 * (i + 1)),
                end=PERIOD_END,
                lead_implementer=ngo,
            )
    return Story(plan, goal, measure, school, ngo)


def _add_task(story, title, owner, *, due_in_days):
    with scope(territory=story.plan.territory):
        return Task.objects.create(
            territory=story.plan.territory,
            title=title,
            measure=story.measure,
            owner_organisation=owner,
            due=TODAY + datetime.timedelta(days=due_in_days),
        )


# --- 1. drafting and adopting ---------------------------------------------------------------


def test_coordinator_drafts_adopts_and_starts_a_plan(page, live_server, cast):
    _organisations(cast)
    login(page, live_server, cast.user("a_coordinator"))
    visit(page, f"{live_server.url}/t/alfov/")

    # Plans from the territory navigation: nothing yet.
    _click_and_check(page, _nav(page).get_by_role("link", name="Plans"))
    assert page.url == f"{live_server.url}/t/alfov/plans/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    expect(_nav(page).get_by_role("link", name="Plans")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No plan is recorded yet.")).to_be_visible()

    # A new plan with its period.
    _click_and_check(page, page.get_by_role("link", name="New plan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New plan")
    page.get_by_label("Title").fill(PLAN_TITLE)
    page.get_by_label("Period start").fill(_iso(PERIOD_START))
    page.get_by_label("Period end").fill(_iso(PERIOD_END))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    expect(page.get_by_role("status")).to_contain_text(
        "The plan was created. Add its goals and measures."
    )
    expect(_fact(page, "Status")).to_have_text("Draft")
    expect(page.get_by_text("The plan has no goals yet.")).to_be_visible()
    plan_url = page.url

    # A goal.
    _click_and_check(page, page.get_by_role("link", name="Add a goal"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a goal")
    page.get_by_label("Code").fill(GOAL[0])
    page.get_by_label("Title").fill(GOAL[1])
    _click_and_check(page, page.get_by_role("button", name="Save"))
    assert page.url == plan_url
    expect(page.get_by_role("status")).to_contain_text("The goal was saved.")
    expect(page.get_by_role("heading", level=3)).to_contain_text(f"{GOAL[0]} {GOAL[1]}")
    expect(page.get_by_text("This goal has no measures yet.")).to_be_visible()

    # A measure without a lead implementer, first with its end before its start.
    _click_and_check(page, page.get_by_role("link", name="Add a measure"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a measure")
    page.get_by_label("Goal").select_option(label=f"{GOAL[0]} {GOAL[1]}")
    page.get_by_label("Code").fill(MEASURE[0])
    page.get_by_label("Title").fill(MEASURE[1])
    page.get_by_label("Start", exact=True).fill(_iso(MEASURE_START))
    page.get_by_label("End", exact=True).fill(_iso(MEASURE_START - datetime.timedelta(days=30)))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(page.locator("#id_end_error")).to_have_text("The measure cannot end before it starts.")
    end = page.get_by_label("End", exact=True)
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value(MEASURE[1])
    expect(page.get_by_label("Code")).to_have_value(MEASURE[0])
    end.fill(_iso(MEASURE_END))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{MEASURE[0]} {MEASURE[1]}")
    expect(page.get_by_role("status")).to_contain_text("The measure was saved.")
    expect(_fact(page, "Lead implementer")).to_have_text("missing")

    # The plan cannot be adopted yet: the measure lacks its lead implementer.
    _click_and_check(page, page.locator(".breadcrumb").get_by_role("link", name=PLAN_TITLE))
    expect(page.get_by_text("1 measure has no lead implementer yet")).to_be_visible()
    _click_and_check(page, page.get_by_role("link", name="Adopt the plan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Adopt the plan")
    missing = page.get_by_role("alert")
    expect(missing).to_contain_text("these measures have no lead implementer")
    expect(missing.get_by_role("link")).to_have_text([f"{MEASURE[0]} {MEASURE[1]}"])

    # From the list straight to the measure: the school leads, the NGO is a partner.
    _click_and_check(page, missing.get_by_role("link", name=f"{MEASURE[0]} {MEASURE[1]}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit measure {MEASURE[0]}")
    page.get_by_label("Lead implementer").select_option(label=SCHOOL)
    page.get_by_label("Partner organisations").select_option(label=NGO)
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("The measure was saved.")
    expect(_fact(page, "Lead implementer").get_by_role("link")).to_have_text(SCHOOL)
    expect(_fact(page, "Partner organisations").get_by_role("link")).to_have_text([NGO])

    # Adoption by the council, then implementation.
    _click_and_check(page, page.locator(".breadcrumb").get_by_role("link", name=PLAN_TITLE))
    expect(page.get_by_text("no lead implementer yet")).to_have_count(0)
    _click_and_check(page, page.get_by_role("link", name="Adopt the plan"))
    expect(page.get_by_role("alert")).to_have_count(0)
    adopted_on = page.get_by_label("Adopted on")
    expect(adopted_on).to_have_value(_iso(TODAY))
    adopted_on.fill(_iso(TODAY - datetime.timedelta(days=7)))
    page.get_by_label("Resolution number").fill("ZM/12/2025")
    _click_and_check(page, page.get_by_role("button", name="Adopt"))
    assert page.url == plan_url
    expect(page.get_by_role("status")).to_contain_text("The plan was adopted.")
    expect(_fact(page, "Status")).to_have_text("Adopted")
    expect(_fact(page, "Adopted")).to_have_text(
        f"{_shown(TODAY - datetime.timedelta(days=7))} (ZM/12/2025)"
    )

    _click_and_check(page, page.get_by_role("button", name="Start implementation"))
    expect(page.get_by_role("status")).to_contain_text("The plan is now: In implementation.")
    expect(_fact(page, "Status")).to_have_text("In implementation")
    expect(page.get_by_role("button", name="Close the plan")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(re.escape(MEASURE[1])))
    expect(row).to_contain_text(SCHOOL)


# --- 2. progress and an indicator -----------------------------------------------------------


def test_coordinator_reports_progress_and_an_indicator(page, live_server, cast):
    story = _plan_in_implementation(cast)
    login(page, live_server, cast.user("a_coordinator"))
    measure_url = f"{live_server.url}/t/alfov/measures/{story.measure.pk}/"
    visit(page, measure_url)
    expect(page.get_by_text("No progress has been recorded yet.")).to_be_visible()

    # A progress update with a PDF report.
    _click_and_check(page, page.get_by_role("link", name="Record progress"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record progress")
    expect(page.get_by_role("textbox", name="Date")).to_have_value(_iso(TODAY))
    page.get_by_label("Status at that date").select_option(label="In progress")
    page.get_by_label("What happened").fill("Two groups started in September.")
    page.get_by_label("Attachments").set_input_files(PDF)
    _click_and_check(page, page.get_by_role("button", name="Record"))
    assert page.url == measure_url
    expect(page.get_by_role("status")).to_contain_text("The progress update was recorded.")
    expect(page.locator(".lead .badge").first).to_have_text("In progress")
    progress = page.get_by_role("region", name="Progress")
    entry = progress.get_by_role("listitem").first
    expect(entry).to_contain_text("Two groups started in September.")
    expect(entry).to_contain_text("In progress")
    attachment = progress.get_by_role("link", name="report.pdf")
    expect(attachment).to_have_attribute("href", re.compile(r"^/t/alfov/attachments/\d+/$"))
    download = page.request.get(attachment.get_attribute("href"))
    assert download.ok and download.body().startswith(b"%PDF-1.4")
    assert download.headers["content-type"] == "application/pdf"

    # An indicator of the measure with its baseline and target.
    indicators = page.get_by_role("region", name="Indicators")
    expect(indicators.get_by_text("No indicators for this measure.")).to_be_visible()
    _click_and_check(page, indicators.get_by_role("link", name="Add an indicator"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an indicator")
    expect(page.get_by_label("Measure")).to_have_value(str(story.measure.pk))
    page.get_by_label("Name").fill("Children in adaptation groups")
    page.get_by_label("Unit").fill("children")
    page.get_by_label("Direction").select_option(label="Higher is better")
    page.get_by_label("Baseline value").fill("4")
    page.get_by_label("Baseline date").fill(_iso(PERIOD_START))
    page.get_by_label("Target value").fill("20")
    page.get_by_label("Target date").fill(_iso(PERIOD_END))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Children in adaptation groups")
    expect(page.get_by_role("status")).to_contain_text("The indicator was added.")
    expect(_fact(page, "Direction")).to_have_text("Higher is better")
    expect(_fact(page, "Baseline")).to_contain_text(re.compile(r"^4(\.00)? \("))
    expect(_fact(page, "Target")).to_contain_text(re.compile(r"^20(\.00)? \("))
    expect(page.get_by_text("No values recorded yet.")).to_be_visible()

    # A measured value: the table and the chart show it.
    record = page.get_by_role("region", name="Record a value")
    record.get_by_role("textbox", name="Date").fill(_iso(TODAY))
    record.get_by_role("spinbutton", name="Value").fill("9")
    record.get_by_label("Source").fill("Attendance sheets")
    _click_and_check(page, record.get_by_role("button", name="Record"))
    expect(page.get_by_role("status")).to_contain_text("The value was recorded.")
    values = page.get_by_role("table", name="Measured values")
    expect(values.locator("tbody tr")).to_have_count(1)
    expect(values.get_by_role("cell").nth(1)).to_have_text(re.compile(r"^9(\.00)? children$"))
    expect(values.locator("tbody tr")).to_contain_text("Attendance sheets")
    chart = page.locator("figure.chart svg[role]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")

    # Back on the measure: the indicator and its chart.
    _click_and_check(
        page, page.locator(".breadcrumb").get_by_role("link", name=f"{MEASURE[0]} {MEASURE[1]}")
    )
    assert page.url == measure_url
    indicators = page.get_by_role("region", name="Indicators")
    expect(indicators.get_by_role("link", name="Children in adaptation groups")).to_be_visible()
    expect(indicators.locator("svg[role]")).to_be_visible()


# --- 3. an overdue task puts the measure at risk --------------------------------------------


def test_overdue_task_comes_first_and_puts_the_measure_at_risk(page, live_server, cast):
    story = _plan_in_implementation(cast)
    _add_task(story, LATER_TASK, story.school, due_in_days=14)
    login(page, live_server, cast.user("a_coordinator"))
    measure_url = f"{live_server.url}/t/alfov/measures/{story.measure.pk}/"
    visit(page, measure_url)
    expect(page.get_by_text("This measure is at risk:")).to_have_count(0)

    # A task for the NGO, due three days ago.
    tasks = page.get_by_role("region", name="Tasks")
    _click_and_check(page, tasks.get_by_role("link", name="Add a task"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a task")
    expect(page.get_by_label("Measure")).to_have_value(str(story.measure.pk))
    page.get_by_label("Title").fill(OVERDUE_TASK)
    page.get_by_label("Organisation responsible").select_option(label=NGO)
    page.get_by_label("Due date").fill(_iso(TODAY - datetime.timedelta(days=3)))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    assert page.url == measure_url
    expect(page.get_by_role("status")).to_contain_text("The task was saved.")

    # The task list: the overdue task first, with its badge; the later one without.
    _click_and_check(page, _nav(page).get_by_role("link", name="Tasks"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tasks")
    rows = page.get_by_role("table", name="Tasks, overdue first").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(OVERDUE_TASK)
    expect(rows.nth(0)).to_contain_text(NGO)
    expect(rows.nth(0).locator(".badge")).to_have_text("overdue")
    expect(rows.nth(1)).to_contain_text(LATER_TASK)
    expect(rows.nth(1).locator(".badge")).to_have_count(0)

    # The plan overview flags the measure.
    _click_and_check(page, _nav(page).get_by_role("link", name="Plans"))
    _click_and_check(page, page.get_by_role("link", name=PLAN_TITLE))
    expect(_fact(page, "At risk")).to_have_text("1")
    row = page.get_by_role("row", name=re.compile(re.escape(MEASURE[1])))
    expect(row.locator(".badge--err")).to_have_text("at risk")

    # The measure says why.
    _click_and_check(page, row.get_by_role("link", name=f"{MEASURE[0]} {MEASURE[1]}"))
    why = page.get_by_role("note")
    expect(why).to_contain_text("This measure is at risk:")
    expect(why.get_by_role("listitem")).to_have_text(["It has overdue tasks."])
    expect(page.locator(".lead .badge--err")).to_have_text("at risk")


# --- 4. the partner's view ------------------------------------------------------------------


def test_partner_reports_on_own_measure_and_closes_own_task(page, live_server, cast):
    # Step 3's result: the NGO's overdue task and the school's later one.
    story = _plan_in_implementation(cast)
    _add_task(story, LATER_TASK, story.school, due_in_days=14)
    _add_task(story, OVERDUE_TASK, story.ngo, due_in_days=-3)
    make_person(
        cast.territory_a,
        full_name="Petra Partnerová",
        organisations=[story.ngo],
        user=cast.user("a_partner"),
    )
    login(page, live_server, cast.user("a_partner"))
    visit(page, f"{live_server.url}/t/alfov/")

    # Our measures: the NGO's measure and what is due.
    _click_and_check(page, _nav(page).get_by_role("link", name="Our measures"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Our measures")
    expect(page.locator("p.lead")).to_have_text(NGO)
    ours = page.get_by_role("table", name="Measures our organisation implements")
    expect(ours.locator("tbody tr")).to_have_count(1)
    expect(ours.locator("tbody tr")).to_contain_text("partner")
    due = page.get_by_role("table", name="Open tasks of our organisation")
    expect(due.locator("tbody tr")).to_have_count(1)
    expect(due.locator("tbody tr")).to_contain_text(OVERDUE_TASK)

    # The measure: progress may be recorded, the measure itself not edited.
    _click_and_check(page, ours.get_by_role("link", name=f"{MEASURE[0]} {MEASURE[1]}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{MEASURE[0]} {MEASURE[1]}")
    expect(page.get_by_role("link", name="Record progress")).to_be_visible()
    expect(page.locator(f"a[href$='/measures/{story.measure.pk}/edit/']")).to_have_count(0)
    expect(page.get_by_role("region", name="Indicators").get_by_role("link")).to_have_count(0)
    _click_and_check(page, page.get_by_role("link", name="Record progress"))
    page.get_by_label("Status at that date").select_option(label="In progress")
    page.get_by_label("What happened").fill("Parents' meeting held; twelve families came.")
    _click_and_check(page, page.get_by_role("button", name="Record"))
    expect(page.get_by_role("status")).to_contain_text("The progress update was recorded.")
    entry = page.get_by_role("region", name="Progress").get_by_role("listitem").first
    expect(entry).to_contain_text("Parents' meeting held; twelve families came.")
    expect(entry).to_contain_text("A Partner")

    # The open tasks: the NGO's overdue task is marked done and leaves the list.
    _click_and_check(page, _nav(page).get_by_role("link", name="Tasks"))
    rows = page.get_by_role("table", name="Tasks, overdue first").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(OVERDUE_TASK)
    _click_and_check(page, rows.nth(0).get_by_role("button", name=_mark_done(OVERDUE_TASK)))
    assert page.url == f"{live_server.url}/t/alfov/tasks/"
    expect(page.get_by_role("status")).to_contain_text("The task is now: Done.")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(LATER_TASK)
    expect(page.get_by_text(OVERDUE_TASK)).to_have_count(0)


# --- 5. the timeline ------------------------------------------------------------------------


def test_timeline_links_every_measure_to_its_page(page, live_server, cast):
    story = _plan_in_implementation(cast, extra_measures=1)
    login(page, live_server, cast.user("a_viewer"))
    visit(page, f"{live_server.url}/t/alfov/plans/{story.plan.pk}/")

    tools = page.get_by_role("navigation", name="Plan tools")
    _click_and_check(page, tools.get_by_role("link", name="Timeline"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline of the measures")
    chart = page.locator("svg[role]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "group")
    links = chart.get_by_role("link")
    expect(links).to_have_count(2)
    bar = chart.get_by_role("link", name=re.compile(rf"^{re.escape(MEASURE[0])} {MEASURE[1]}:"))
    expect(bar).to_have_attribute("href", f"/t/alfov/measures/{story.measure.pk}/")

    # The bar itself is the target (the gap between the label and the bar is not painted).
    _click_and_check(page, bar.locator("rect.bar"))
    assert page.url == f"{live_server.url}/t/alfov/measures/{story.measure.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{MEASURE[0]} {MEASURE[1]}")
