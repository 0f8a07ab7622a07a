"""The foundation's main flows as a person with a browser meets them.

Each test checks what the user would notice (headings, messages, kept input, focus) and runs
axe on every page it reaches; the `page` fixture also fails on CSP violations and script errors.
"""

import re

from playwright.sync_api import expect

from spolu.core.permissions import Role
from spolu.core.testing import add_member

from .conftest import check_a11y, login, visit


def test_login_lands_on_home_with_own_territory(page, live_server, cast):
    login(page, live_server, cast.user("a_coordinator"))

    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, A")
    territories = page.get_by_role("region", name="Your territories")
    expect(territories.get_by_role("link", name="Alfov")).to_be_visible()
    expect(territories.get_by_role("link", name="Betów")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Successfully signed in as A Coordinator.")
    account_menu = page.locator("header summary", has_text="Account")
    expect(account_menu).to_contain_text("a-coordinator@example.org")


def test_wrong_password_shows_error_and_keeps_email(page, live_server, cast):
    user = cast.user("a_viewer")
    login(page, live_server, user, password="not-the-password")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("password you specified are not correct")).to_be_visible()
    expect(page.locator("input[name=login]")).to_have_value(user.email)
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def _choose_language(page, code, *, switch_button=None):
    """Pick a language; press the form's button (named in the current language) if given."""
    with page.expect_navigation():
        page.locator("select#language-select").select_option(code)
        if switch_button:
            page.get_by_role("button", name=switch_button, exact=True).click()
    check_a11y(page)


def test_language_switch_button_without_script(page, live_server, cast):
    # The Switch button is the fallback when spolu.js is not there: block the file.
    page.route("**/core/spolu.js", lambda route: route.abort())
    login(page, live_server, cast.user("a_coordinator"))
    expect(page.get_by_role("heading", name="Your territories")).to_be_visible()

    _choose_language(page, "pl", switch_button="Switch")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", name="Twoje tereny")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Witaj, A")
    expect(page.get_by_role("button", name="Zmień")).to_be_visible()

    _choose_language(page, "cs", switch_button="Zmień")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.get_by_role("heading", name="Vaše území")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vítejte, A")
    expect(page.get_by_role("button", name="Přepnout")).to_be_visible()


def test_language_select_switches_by_itself_with_script(page, live_server):
    visit(page, f"{live_server.url}/")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    _choose_language(page, "pl")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("link", name="Zaloguj się").first).to_be_visible()
    expect(page.get_by_role("link", name="Przejdź do treści głównej")).to_be_attached()

    _choose_language(page, "cs")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.get_by_role("link", name="Přihlásit se").first).to_be_visible()
    expect(page.get_by_role("link", name="Přejít na hlavní obsah")).to_be_attached()


def test_territory_switcher_goes_to_other_territory(page, live_server, cast):
    user = cast.user("a_coordinator")
    add_member(cast.territory_b, user, Role.VIEWER)
    login(page, live_server, user)
    visit(page, f"{live_server.url}/t/alfov/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alfov")

    switcher = page.locator("details.territory-switcher")
    switcher.locator("summary").click()
    expect(switcher.get_by_role("link", name=re.compile("Alfov"))).to_have_attribute(
        "aria-current", "true"
    )
    with page.expect_navigation():
        switcher.get_by_role("link", name=re.compile("Betów")).click()
    check_a11y(page)

    assert page.url == f"{live_server.url}/t/betow/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Betów")
    expect(page.locator("details.territory-switcher summary")).to_contain_text("Betów")
    # A viewer in Betów: the coordinator-only sections are not offered there.
    nav = page.get_by_role("navigation", name="Territory sections")
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_count(0)


def test_logout_from_account_menu(page, live_server, cast):
    login(page, live_server, cast.user("a_viewer"))

    page.locator("summary", has_text="Account").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    check_a11y(page)

    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    page.goto(f"{live_server.url}/t/alfov/")
    check_a11y(page)
    assert page.url == f"{live_server.url}/accounts/login/?next=/t/alfov/"
    expect(page.locator("input[name=login]")).to_be_visible()


def test_add_member_with_invalid_email_keeps_input(page, live_server, cast):
    login(page, live_server, cast.user("a_coordinator"))
    visit(page, f"{live_server.url}/t/alfov/members/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")
    expect(page.get_by_role("cell", name="a-viewer@example.org")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("link", name="Add a member").click()
    check_a11y(page)
    assert page.url == f"{live_server.url}/t/alfov/members/add/"

    page.get_by_label("E-mail address").fill("not-an-e-mail")
    page.get_by_label("Full name").fill("Jana Nováková")
    page.get_by_label("Role").select_option(Role.TEAM)
    with page.expect_navigation():
        page.get_by_role("button", name="Add member").click()
    check_a11y(page)

    assert page.url == f"{live_server.url}/t/alfov/members/add/"
    expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")
    expect(page.locator("#id_email_error")).to_contain_text("Enter a valid email address.")
    email = page.get_by_label("E-mail address")
    expect(email).to_have_value("not-an-e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value("Jana Nováková")
    expect(page.get_by_label("Role")).to_have_value(Role.TEAM)


def test_skip_link_is_first_and_moves_focus_to_main(page, live_server, cast):
    login(page, live_server, cast.user("a_viewer"))
    visit(page, f"{live_server.url}/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()
    check_a11y(page)


def test_audit_log_for_coordinator(page, live_server, cast):
    login(page, live_server, cast.user("a_coordinator"))
    visit(page, f"{live_server.url}/t/alfov/audit/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    nav = page.get_by_role("navigation", name="Territory sections")
    expect(nav.get_by_role("link", name="Audit log")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Action")).to_be_visible()
