"""A coordination platform as its coordinator runs it: the series, the agenda, the follow-up.

One story, walked in order by one test: the coordinator of Alfov creates a monthly plenary
(first forgetting the day of the week), plans the next meeting of the series, finds the plan
review filled by itself and reorders the agenda with the keyboard, sends the invitations (the
test reads the e-mails and their `.ics`), records attendance, minutes (with a script that must
not run) and a decision with a task, closes the meeting and downloads the minutes, and finally
sees the task come back in the next meeting's follow-up. Each step checks what the user sees and
runs axe on every page it reaches; the `page` fixture also fails on CSP violations and script
errors. The live server runs in this process with Django's locmem e-mail backend, so the
`mailoutbox` fixture holds what the server sent.
"""

import datetime
import re
import zoneinfo

from django.utils import formats, timezone, translation
from django_scopes import scope
from icalendar import Calendar
from playwright.sync_api import expect

from spolu.actors.tests.factories import make_organisation, make_person
from spolu.meetings.models import Meeting
from spolu.plans.models import Task
from spolu.plans.tests.builders import make_plan

from .conftest import check_a11y, login, visit

PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")
TODAY = datetime.date.today()

PLATFORM = "Plenární pracovní skupina"
SCHOOL = "ZŠ a MŠ Alfov"
NGO = "Spolek Most"
SCHOOL_PERSON = ("Jana Ředitelová", "jana@zs-alfov.example.org")
NGO_PERSON = ("Petr Mostecký", "petr@most.example.org")
PLAN_TITLE = "Plán inkluze"
AT_RISK = "1.1 Opatření 1"
OVERDUE_TASK = "Send the attendance sheets"
DECIDED_TASK = "Draft the referral procedure"
TEMPLATE_AGENDA = [
    "Follow-up of earlier decisions",
    "Review of the plan",
    "News and information",
    "Sharing practice",
]
MINUTES = "The plan review showed one measure at risk.\n<script>alert(1)</script>"


def _first_thursday_of_next_month() -> datetime.datetime:
    first = (TODAY.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    day = first + datetime.timedelta(days=(3 - first.weekday()) % 7)
    return datetime.datetime.combine(day, datetime.time(14, 0), tzinfo=PRAGUE)


FIRST_MEETING = _first_thursday_of_next_month()


def _first_thursday_after(moment: datetime.datetime) -> datetime.datetime:
    """The first Thursday of the month after `moment`'s month, same time."""
    start = (moment.date().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    day = start + datetime.timedelta(days=(3 - start.weekday()) % 7)
    return datetime.datetime.combine(day, moment.timetz())


def _shown(moment: datetime.datetime) -> str:
    """A meeting's start as the meeting page shows it to a browser asking for English."""
    with translation.override("en"), timezone.override(PRAGUE):
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _click_and_check(page, locator):
    """Follow a link or press a submit button, wait for the new page and run axe on it."""
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def _for(action, title):
    # Buttons read e.g. "Move up" with the item's title hidden for screen readers only.
    return re.compile(rf"^{re.escape(action)}\W+{re.escape(title)}$")


def _nav(page):
    return page.get_by_role("navigation", name="Territory sections")


def _tools(page):
    return page.get_by_role("navigation", name="Meeting tools")


def _fact(page, term):
    term_only = page.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$"))
    return page.locator(".facts > div").filter(has=term_only).locator("dd")


def _agenda_titles(page):
    return page.locator("ol.agenda > li h3")


def _agenda_item(page, title):
    heading = page.get_by_role("heading", level=3, name=re.compile(rf"^{re.escape(title)} \("))
    return page.locator("ol.agenda > li").filter(has=heading)


def _territory(cast):
    """Two member organisations with a person each, and a plan with a measure at risk."""
    territory = cast.territory_a
    school = make_organisation(territory, name=SCHOOL)
    ngo = make_organisation(territory, name=NGO, kind="ngo")
    make_person(
        territory, full_name=SCHOOL_PERSON[0], email=SCHOOL_PERSON[1], organisations=[school]
    )
    make_person(territory, full_name=NGO_PERSON[0], email=NGO_PERSON[1], organisations=[ngo])
    plan = make_plan(territory, measures=1, status="in_implementation", title=PLAN_TITLE)
    with scope(territory=territory):
        Task.objects.create(
            territory=territory,
            title=OVERDUE_TASK,
            measure=plan.measures.get(),
            owner_organisation=ngo,
            due=TODAY - datetime.timedelta(days=5),
        )


def test_coordinator_runs_a_platform_meeting_and_follows_it_up(page, live_server, cast, mailoutbox):
    _territory(cast)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, cast.user("a_coordinator"))
    visit(page, f"{live_server.url}/t/alfov/")

    # --- 1. a monthly plenary --------------------------------------------------------------
    _click_and_check(page, _nav(page).get_by_role("link", name="Meetings"))
    assert page.url == f"{live_server.url}/t/alfov/platforms/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Platforms and meetings")
    expect(_nav(page).get_by_role("link", name="Meetings")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("You take part in no platform of this territory yet.")).to_be_visible()

    _click_and_check(page, page.get_by_role("link", name="New platform"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New platform")
    page.get_by_label("Name").fill(PLATFORM)
    page.get_by_label("Kind").select_option(label="Plenary working group")
    page.get_by_label("Member organisations").select_option(label=[SCHOOL, NGO])
    page.get_by_label("Rhythm").select_option(label="Every month")
    page.get_by_label("Which week of the month").select_option(label="first")
    expect(page.get_by_label("Day of the week")).to_have_value("")
    page.get_by_label("First meeting").fill(FIRST_MEETING.strftime("%Y-%m-%dT%H:%M"))
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(page.locator("#id_weekday_error")).to_have_text("Choose the day of the week.")
    weekday = page.get_by_label("Day of the week")
    expect(weekday).to_have_attribute("aria-invalid", "true")
    expect(weekday).to_have_accessible_description("Choose the day of the week.")
    expect(page.get_by_label("Name")).to_have_value(PLATFORM)
    expect(page.get_by_label("Kind")).to_have_value("plenary")
    expect(page.get_by_label("Rhythm")).to_have_value("monthly")
    expect(page.get_by_label("Which week of the month")).to_have_value("1")
    expect(page.get_by_label("First meeting")).to_have_value(
        FIRST_MEETING.strftime("%Y-%m-%dT%H:%M")
    )
    expect(page.get_by_label("Member organisations").locator("option:checked")).to_have_text(
        [NGO, SCHOOL]
    )
    weekday.select_option(label="Thursday")
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PLATFORM)
    expect(page.get_by_role("status")).to_contain_text("The platform was saved.")
    expect(_fact(page, "Kind")).to_have_text("Plenary working group")
    expect(_fact(page, "Rhythm")).to_have_text("Every month on the first Thursday")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("link")).to_have_text([NGO, SCHOOL])
    expect(page.get_by_text("No meeting is planned.")).to_be_visible()
    platform_url = page.url

    # --- 2. the next meeting of the series and its agenda -----------------------------------
    _click_and_check(page, page.get_by_role("button", name="Plan the next meeting of the series"))
    expect(page.get_by_role("status")).to_contain_text(
        "The next meeting was planned with its usual agenda."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Meeting of {PLATFORM}")
    expect(page.locator(".page-head .badge")).to_have_text("Planned")
    expect(_fact(page, "When")).to_contain_text(_shown(FIRST_MEETING))
    meeting_url = page.url
    expect(_agenda_titles(page)).to_have_text(
        [re.compile(rf"^{re.escape(title)} \(") for title in TEMPLATE_AGENDA]
    )
    review = _agenda_item(page, "Review of the plan")
    at_risk = review.get_by_role("heading", name="Measures at risk").locator("+ ul")
    expect(at_risk.get_by_role("link", name=AT_RISK)).to_be_visible()
    due = review.get_by_role("heading", name="Tasks due").locator("+ ul").get_by_role("listitem")
    expect(due).to_have_count(1)
    expect(due).to_contain_text(OVERDUE_TASK)
    expect(due).to_contain_text(NGO)
    expect(due.locator(".badge")).to_have_text("overdue")
    follow_up = _agenda_item(page, "Follow-up of earlier decisions")
    expect(follow_up.get_by_text("No open task from earlier meetings.")).to_be_visible()

    # The plan review goes first: "Move up" pressed with the keyboard.
    move_up = review.get_by_role("button", name=_for("Move up", "Review of the plan"))
    move_up.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_a11y(page)
    moved_item = _agenda_item(page, "Review of the plan")
    expect(page).to_have_url(re.compile(rf"#{moved_item.get_attribute('id')}$"))
    expect(_agenda_titles(page)).to_have_text(
        [
            re.compile(rf"^{re.escape(title)} \(")
            for title in [TEMPLATE_AGENDA[1], TEMPLATE_AGENDA[0], *TEMPLATE_AGENDA[2:]]
        ]
    )
    expect(
        _agenda_item(page, "Review of the plan").get_by_role("button", name=re.compile("^Move up"))
    ).to_have_count(0)

    # --- 3. invitations with the calendar event ---------------------------------------------
    _click_and_check(page, _tools(page).get_by_role("button", name="Send invitations"))
    expect(page.get_by_role("status")).to_contain_text("Invitations were sent to 2 people.")
    expect(_fact(page, "Invitations sent")).to_be_visible()
    expect(_tools(page).get_by_role("button", name="Send the invitations again")).to_be_visible()
    attendance = page.get_by_role("table", name="Who was invited and who came")
    expect(attendance.locator("tbody tr")).to_have_count(2)
    expect(attendance.locator("tbody tr").first).to_contain_text("Invited")

    assert sorted(address for m in mailoutbox for address in m.to) == sorted(
        [SCHOOL_PERSON[1], NGO_PERSON[1]]
    )
    invitation = mailoutbox[0]
    assert PLATFORM in invitation.subject
    assert "Review of the plan" in invitation.body
    [(filename, ics, mimetype)] = invitation.attachments
    assert filename == "invitation.ics" and mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == FIRST_MEETING
    assert str(event["summary"]) == PLATFORM
    assert str(calendar["method"]) == "REQUEST"
    mailoutbox.clear()

    # --- 4. during and after the meeting ----------------------------------------------------
    _click_and_check(page, _tools(page).get_by_role("link", name="Record attendance"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record attendance")
    page.get_by_role("radio", name=f"{SCHOOL_PERSON[0]}: Present").check()
    page.get_by_role("radio", name=f"{NGO_PERSON[0]}: Excused").check()
    _click_and_check(page, page.get_by_role("button", name="Save"))
    assert page.url == meeting_url
    expect(page.get_by_role("status")).to_contain_text("The attendance was saved.")
    rows = page.get_by_role("table", name="Who was invited and who came").locator("tbody tr")
    expect(rows.filter(has_text=SCHOOL_PERSON[0])).to_contain_text("Present")
    expect(rows.filter(has_text=SCHOOL_PERSON[0])).to_contain_text(SCHOOL)
    expect(rows.filter(has_text=NGO_PERSON[0])).to_contain_text("Excused")

    # Minutes of the plan review, with a script pasted in.
    review = _agenda_item(page, "Review of the plan")
    _click_and_check(page, review.get_by_role("link", name=_for("Minutes", "Review of the plan")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes: Review of the plan")
    page.get_by_label("Minutes").fill(MINUTES)
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("The minutes were saved.")
    minutes = _agenda_item(page, "Review of the plan").locator(".minutes")
    expect(minutes).to_contain_text("The plan review showed one measure at risk.")
    expect(minutes.locator("script")).to_have_count(0)
    expect(minutes).not_to_contain_text("alert(1)")
    assert dialogs == []

    # A decision with a task that follows it up.
    _click_and_check(page, _tools(page).get_by_role("link", name="Record a decision"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a decision")
    page.get_by_label("Decision").fill("The counselling centre drafts a procedure.")
    page.get_by_label("Agenda item").select_option(label="Review of the plan")
    page.get_by_label("Task that follows it up").fill(DECIDED_TASK)
    page.get_by_label("Organisation responsible").select_option(label=NGO)
    decided_due = TODAY + datetime.timedelta(days=90)
    page.get_by_label("Due date").fill(decided_due.isoformat())
    _click_and_check(page, page.get_by_role("button", name="Save"))
    expect(page.get_by_role("status")).to_contain_text("The decision was recorded.")
    decision = _agenda_item(page, "Review of the plan").locator(".decision")
    expect(decision).to_contain_text("The counselling centre drafts a procedure.")
    expect(decision.get_by_role("listitem")).to_contain_text(f"{DECIDED_TASK} — {NGO}")

    # Closing the meeting: the minutes as PDF and DOCX, and by e-mail.
    _click_and_check(
        page, _tools(page).get_by_role("button", name="Close the meeting and send the minutes")
    )
    expect(page.get_by_role("status")).to_contain_text(
        "The meeting is closed and the minutes were sent to the members."
    )
    expect(page.locator(".page-head .badge")).to_have_text("Held")
    expect(_tools(page).get_by_role("button", name="Send invitations")).to_have_count(0)
    expect(page.get_by_role("link", name="Minutes (PDF)")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Minutes (DOCX)").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    with open(download.path(), "rb") as docx:
        content = docx.read()
    assert content.startswith(b"PK") and len(content) > 1000
    assert sorted(address for m in mailoutbox for address in m.to) == sorted(
        [SCHOOL_PERSON[1], NGO_PERSON[1]]
    )
    sent = {name.rsplit(".", 1)[-1]: body for name, body, _type in mailoutbox[0].attachments}
    assert set(sent) == {"pdf", "docx"}
    assert sent["pdf"].startswith(b"%PDF") and sent["docx"].startswith(b"PK")

    # --- 5. the next meeting follows the decision up ----------------------------------------
    _click_and_check(page, page.locator(".breadcrumb").get_by_role("link", name=PLATFORM))
    assert page.url == platform_url
    upcoming = page.get_by_role("region", name="Upcoming meetings")
    expect(upcoming.get_by_role("listitem")).to_have_count(1)
    expect(upcoming.locator(".badge")).to_have_text("Held")
    _click_and_check(page, page.get_by_role("button", name="Plan the next meeting of the series"))
    assert page.url != meeting_url
    second = _first_thursday_after(FIRST_MEETING)
    expect(_fact(page, "When")).to_contain_text(_shown(second))
    expect(page.locator(".page-head .badge")).to_have_text("Planned")
    follow_up = _agenda_item(page, "Follow-up of earlier decisions").get_by_role("listitem")
    expect(follow_up).to_have_count(1)
    expect(follow_up).to_contain_text(f"{DECIDED_TASK} — {NGO}")
    with scope(territory=cast.territory_a):
        assert Meeting.objects.filter(platform__name=PLATFORM).count() == 2
