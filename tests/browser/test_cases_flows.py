"""A school's signal about a pupil, from filing to feedback, as each party sees it in a browser.

One story, walked in order by one test: the school files a signal (first with a full name in the
text, which brings the personal-data warning and keeps what was typed), the department's case
worker triages it and refers it to an NGO, the NGO accepts the referral and records an action
the school may read, the school finds that feedback on its signal, and the territory's
coordinator reads the statistics but gets 404 on the signal itself.

Case pages require two-factor authentication (settings.SPOLU_CASE_DATA_MFA, left on): every
user signs in through allauth's login form and its TOTP step, with a real authenticator whose
secret the test knows. allauth refuses a code a user has already used within its 30-second
period, so each user signs in once; the school comes back later with the session cookie it kept,
as if it had left its browser tab open. Every page reached is checked with axe; the `page`
fixture also fails on CSP violations and script errors.
"""

import re
import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings as django_settings
from playwright.sync_api import expect

from spolu.cases.tests.builders import make_case_world

from .conftest import check_a11y, login, visit

TOTP_STEP_URL = "/accounts/2fa/authenticate/"
# A code typed this close to the end of its period may reach the server in the next one.
TOTP_SAFETY_SECONDS = 3

PUPIL_REFERENCE = "2019/041"
WITH_A_NAME = "Petr Novák chybí často v pondělí, omluvenky chodí pozdě."
WITHOUT_A_NAME = "Žák chybí často v pondělí, omluvenky chodí pozdě."
SCHOOL_ACTIONS = "Pohovor s rodiči, výchovná komise."
TRIAGE_REASON = "Opakované absence: doporučujeme podporu rodiny."
REFERRAL_NOTE = "Prosíme o kontakt s rodinou do dvou týdnů."
NGO_ACTION = "Sociální pracovnice navštívila rodinu a domluvila doučování."
NAME_WARNING = "The text contains what looks like a full name (Petr Novák)."
CONFIRMATION = "I checked the text: it names no one and holds no birth number."


# --- two-factor sign-in ----------------------------------------------------------------------


def give_real_totp(user) -> str:
    """Replace the user's authenticators with a real TOTP one; return its secret."""
    Authenticator.objects.filter(user=user).delete()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_totp_code(secret: str) -> str:
    """The code an authenticator app would show now, never one about to expire."""
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < TOTP_SAFETY_SECONDS:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def login_with_totp(page, live_server, user, secret):
    """Log in through allauth's form, then its two-factor step with the current TOTP code."""
    login(page, live_server, user)
    assert page.url == f"{live_server.url}{TOTP_STEP_URL}", page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(current_totp_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()
    check_a11y(page)
    assert TOTP_STEP_URL not in page.url, "the two-factor step refused the code"


def switch_user(page, cookies=None):
    """Forget the current session (the server keeps it); optionally take up a saved one."""
    page.context.clear_cookies()
    if cookies:
        page.context.add_cookies(cookies)


# --- page helpers ----------------------------------------------------------------------------


def _click_and_check(page, locator):
    """Follow a link or press a submit button, wait for the new page and run axe on it."""
    with page.expect_navigation():
        locator.click()
    check_a11y(page)


def _field(where, label):
    """The form field labelled exactly `label` (a required field's label ends with " *")."""
    return where.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def _nav(page):
    return page.get_by_role("navigation", name="Territory sections")


def _region(page, name):
    return page.get_by_role("region", name=name, exact=True)


def _timeline(page):
    return _region(page, "What happened").get_by_role("listitem")


def _step(page, kind):
    """The timeline entry whose kind (in bold) is exactly `kind`."""
    bold = page.locator("strong", has_text=re.compile(rf"^{re.escape(kind)}$"))
    return _timeline(page).filter(has=bold)


def _fact(page, term):
    term_only = page.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$"))
    return page.locator("dl.facts > div").filter(has=term_only).locator("dd")


def test_signal_from_school_to_ngo_and_back(page, live_server, cast):
    assert django_settings.SPOLU_CASE_DATA_MFA, "this story walks the two-factor step"
    world = make_case_world(cast)
    school_user = world.user("a_school")
    caseworker = world.user("a_caseworker")
    partner = world.user("a_partner")
    coordinator = cast.user("a_coordinator")
    secrets = {u.pk: give_real_totp(u) for u in (school_user, caseworker, partner, coordinator)}
    cases_url = f"{live_server.url}/t/{world.territory.slug}/cases/"

    # --- 1. the school files a signal ------------------------------------------------------
    login_with_totp(page, live_server, school_user, secrets[school_user.pk])
    visit(page, f"{live_server.url}/t/{world.territory.slug}/")
    _click_and_check(page, _nav(page).get_by_role("link", name="Signals"))
    assert page.url == cases_url
    expect(page.get_by_role("heading", level=1)).to_have_text("Signals from schools")
    expect(page.get_by_text("There are no signals to show.")).to_be_visible()
    _click_and_check(page, page.get_by_role("link", name="New signal"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New signal about a pupil")
    expect(_field(page, "School")).to_have_value(str(world.school.pk))
    _field(page, "Pupil reference").fill(PUPIL_REFERENCE)
    _field(page, "Initials").fill("J. N.")
    _field(page, "Year of birth").fill("2014")
    _field(page, "Grade").fill("6.B")
    page.get_by_role("radio", name="Unexcused absences or hidden truancy").check()
    page.get_by_role("radio", name="High").check()
    _field(page, "What the school noticed").fill(WITH_A_NAME)
    _field(page, "What the school already did").fill(SCHOOL_ACTIONS)
    expect(page.get_by_role("checkbox", name=CONFIRMATION)).to_have_count(0)
    _click_and_check(page, page.get_by_role("button", name="Send the signal"))

    # The warning, beside the field, with the typed text kept and a confirmation offered.
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    description = _field(page, "What the school noticed")
    expect(description).to_have_value(WITH_A_NAME)
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_description_error")).to_contain_text(NAME_WARNING)
    expect(description).to_have_accessible_description(re.compile(re.escape(NAME_WARNING)))
    confirmation = page.get_by_role("checkbox", name=CONFIRMATION)
    expect(confirmation).to_be_visible()
    expect(confirmation).not_to_be_checked()
    expect(_field(page, "Pupil reference")).to_have_value(PUPIL_REFERENCE)
    expect(_field(page, "Initials")).to_have_value("J. N.")
    expect(_field(page, "Year of birth")).to_have_value("2014")
    expect(_field(page, "Grade")).to_have_value("6.B")
    expect(page.get_by_role("radio", name="Unexcused absences or hidden truancy")).to_be_checked()
    expect(page.get_by_role("radio", name="High")).to_be_checked()
    expect(_field(page, "What the school already did")).to_have_value(SCHOOL_ACTIONS)

    description.fill(WITHOUT_A_NAME)
    _click_and_check(page, page.get_by_role("button", name="Send the signal"))
    expect(page.get_by_role("status")).to_contain_text(
        "Signal S-1 was sent. The department confirmed its receipt."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signal S-1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Received")
    signal_url = page.url
    assert re.fullmatch(rf"{re.escape(cases_url)}\d+/", signal_url), signal_url
    expect(_region(page, "What the school noticed")).to_contain_text(WITHOUT_A_NAME)
    expect(_region(page, "What the school noticed")).not_to_contain_text("Novák")
    expect(_region(page, "Pupil")).to_contain_text(PUPIL_REFERENCE)
    expect(_timeline(page)).to_have_count(2)
    expect(_step(page, "Signal filed")).to_contain_text(world.school.name)
    expect(_step(page, "Receipt acknowledged")).to_contain_text("It will be triaged by")
    school_cookies = page.context.cookies()

    # --- 2. the case worker triages and refers it ------------------------------------------
    switch_user(page)
    login_with_totp(page, live_server, caseworker, secrets[caseworker.pk])
    visit(page, cases_url)
    signals = page.get_by_role("table", name="Signals, newest first").locator("tbody tr")
    expect(signals).to_have_count(1)
    expect(signals).to_contain_text(world.school.name)
    expect(signals).to_contain_text("Received")
    _click_and_check(page, signals.get_by_role("link", name="S-1"))
    assert page.url == signal_url
    expect(_region(page, "Pupil")).to_contain_text(PUPIL_REFERENCE)
    triage = _region(page, "Triage")
    triage.get_by_role("radio", name="Refer to one or more organisations").check()
    _field(triage, "Reason").fill(TRIAGE_REASON)
    _click_and_check(page, triage.get_by_role("button", name="Save the decision"))
    expect(page.get_by_role("status")).to_contain_text("The signal was triaged.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Triaged")

    refer = _region(page, "Refer to organisations")
    expect(refer.get_by_role("checkbox", name=world.school.name)).to_have_count(0)
    refer.get_by_role("checkbox", name=world.ngo.name).check()
    _field(refer, "What is asked of them").fill(REFERRAL_NOTE)
    expect(
        refer.get_by_role("checkbox", name="Tell the school to whom the signal was referred")
    ).to_be_checked()
    _click_and_check(page, refer.get_by_role("button", name="Refer"))
    expect(page.get_by_role("status")).to_contain_text("The signal was referred.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referred")
    referrals = page.get_by_role("table", name="Organisations the signal was referred to")
    expect(referrals.locator("tbody tr")).to_have_count(1)
    expect(referrals.locator("tbody tr")).to_contain_text(world.ngo.name)
    expect(referrals.locator("tbody tr")).to_contain_text("Waiting for an answer")

    # --- 3. the NGO accepts the referral and records an action for the school ---------------
    switch_user(page)
    login_with_totp(page, live_server, partner, secrets[partner.pk])
    visit(page, cases_url)
    expect(page.get_by_text("1 referral waits for your answer")).to_be_visible()
    _click_and_check(page, page.get_by_role("link", name="S-1"))
    assert page.url == signal_url
    answer = _region(page, f"The department referred this signal to {world.ngo.name}")
    expect(answer).to_contain_text(REFERRAL_NOTE)
    expect(_region(page, "Record what was done")).to_have_count(0)
    answer.get_by_role("radio", name="Accept the signal").check()
    _click_and_check(page, answer.get_by_role("button", name="Send the answer"))
    expect(page.get_by_role("status")).to_contain_text("You accepted the signal.")
    expect(
        page.get_by_role("region", name=re.compile("^The department referred this signal"))
    ).to_have_count(0)

    record = _region(page, "Record what was done")
    expect(record.get_by_role("radio", name="An action taken")).to_be_checked()
    _field(record, "Description").fill(NGO_ACTION)
    record.get_by_role("checkbox", name="The school may read this").check()
    _click_and_check(page, record.get_by_role("button", name="Record"))
    expect(page.get_by_role("status")).to_contain_text("It was recorded.")
    action = _step(page, "Action")
    expect(action).to_have_count(1)
    expect(action).to_contain_text(NGO_ACTION)
    expect(action).to_contain_text(world.ngo.name)
    expect(action).to_contain_text("the school sees this")

    # --- 4. the school reads the feedback ---------------------------------------------------
    switch_user(page, school_cookies)
    visit(page, cases_url)
    signals = page.get_by_role("table", name="Signals, newest first").locator("tbody tr")
    expect(signals).to_contain_text("Referred")
    _click_and_check(page, signals.get_by_role("link", name="S-1"))
    assert page.url == signal_url
    expect(
        page.get_by_text("You see the steps the department and the organisations share")
    ).to_be_visible()
    expect(_step(page, "Triaged")).to_contain_text("Refer to one or more organisations")
    expect(_step(page, "Triaged")).to_contain_text(TRIAGE_REASON)
    expect(_step(page, "Referred")).to_contain_text(f"Referred to {world.ngo.name}.")
    feedback = _step(page, "Action")
    expect(feedback).to_have_count(1)
    expect(feedback).to_contain_text(NGO_ACTION)
    expect(feedback).to_contain_text(world.ngo.name)
    # Filed, received, triaged, referred, the action: the NGO's acceptance is not shared.
    expect(_timeline(page)).to_have_count(5)
    expect(_step(page, "Referral accepted")).to_have_count(0)
    # The school sees neither the case worker's note to the NGO nor who wrote each step.
    expect(page.get_by_text(REFERRAL_NOTE)).to_have_count(0)
    expect(page.get_by_text(partner.full_name, exact=False)).to_have_count(0)
    expect(_region(page, "Add information for the department")).to_be_visible()

    # --- 5. the coordinator reads the statistics, never the signal --------------------------
    switch_user(page)
    login_with_totp(page, live_server, coordinator, secrets[coordinator.pk])
    visit(page, f"{live_server.url}/t/{world.territory.slug}/")
    _click_and_check(page, _nav(page).get_by_role("link", name="Signals"))
    assert page.url == f"{cases_url}statistics/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Signal statistics")
    # One signal: counted, but shown only as a small number.
    small = f"fewer than {django_settings.SPOLU_CASES_MIN_COUNT}"
    expect(_fact(page, "Signals filed")).to_have_text(small)
    expect(page.get_by_role("link", name="S-1")).to_have_count(0)
    expect(page.get_by_text(PUPIL_REFERENCE)).to_have_count(0)

    response = page.goto(signal_url)
    assert response is not None and response.status == 404
    check_a11y(page)
    expect(page.get_by_text(WITHOUT_A_NAME)).to_have_count(0)
    expect(page.get_by_text(PUPIL_REFERENCE)).to_have_count(0)
    response = page.goto(cases_url)
    assert response is not None and response.status == 403
    check_a11y(page)
