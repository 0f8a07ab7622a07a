"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) against the live server.

Every test in this folder is marked `browser` and is skipped, with a note in the terminal
summary, when the system Chromium is missing. One browser serves all the tests of this folder;
each test gets a fresh context (own cookies, locale en-US) and a page that fails the test at
teardown on any Content-Security-Policy console error or uncaught page error. The root
`cast` fixture works as is: `live_server` makes pytest-django's `db` transactional, so the
data is committed and the server thread sees it. Helpers: `visit()` opens a
URL and runs axe on it, `check_a11y()` runs axe on the current page (call it after every
in-page navigation: login, form submission, link click), `login()` fills allauth's form.
"""

import os
from pathlib import Path

import pytest

from spolu.core.testing import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
SKIP_REASON = "Browser tests skipped: /usr/bin/chromium is not installed (apt-get install chromium)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = {"serious", "critical"}
HERE = Path(__file__).resolve().parent
_browser_tests_skipped = pytest.StashKey[bool]()


def _in_this_folder(item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item of the session, not only this folder's.
    skip = pytest.mark.skip(reason=SKIP_REASON) if not CHROMIUM.exists() else None
    found = False
    for item in items:
        if not _in_this_folder(item):
            continue
        found = True
        item.add_marker(pytest.mark.browser)
        if skip is not None:
            item.add_marker(skip)
    config.stash[_browser_tests_skipped] = found and skip is not None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.stash.get(_browser_tests_skipped, False):
        terminalreporter.write_sep("=", "browser tests", yellow=True)
        terminalreporter.write_line(SKIP_REASON, yellow=True, bold=True)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="package")
def browser():
    """One Chromium for every test in this folder, closed when the run leaves the folder.

    Playwright's sync API keeps an asyncio loop running in the main thread while it is
    started, so Django's ORM (test code, fixtures, the database flush) refuses to run unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set. It is set exactly while Playwright runs: set for the
    whole process (at import time) it reaches other tests too, and `manage.py check --deploy`
    run by spolu/core/tests/test_deploy_settings.py fails with async.E001.
    """
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ.setdefault(ASYNC_UNSAFE, "true")
    try:
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
        finally:
            playwright.stop()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors = []
    page_errors = []
    page.on(
        "console",
        lambda msg: (
            console_errors.append(f"{msg.text} ({page.url})") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: page_errors.append(f"{exc} ({page.url})"))
    yield page
    context.close()
    csp_errors = [text for text in console_errors if "Content Security Policy" in text]
    problems = [f"CSP: {text}" for text in csp_errors] + [f"page error: {e}" for e in page_errors]
    if problems:
        pytest.fail("The browser reported errors:\n" + "\n".join(problems), pytrace=False)


# ---------------------------------------------------------------------------------------------
# Helpers (import them: `from .conftest import check_a11y, login, visit`)

_axe = None


def check_a11y(page):
    """Run axe-core on the current page; fail on any serious or critical violation."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    page.wait_for_load_state("load")
    violations = _axe.run(page).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
        for v in blocking:
            targets = "; ".join(", ".join(node["target"]) for node in v["nodes"][:3])
            more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} -> {targets}{more}")
        pytest.fail("\n".join(lines), pytrace=False)


def visit(page, url):
    """Open `url` (absolute, or relative to the live server), check it loaded and is accessible."""
    response = page.goto(url)
    assert response is not None and response.ok, f"GET {url} -> {response and response.status}"
    check_a11y(page)
    return response


def login(page, live_server, user, password=PASSWORD):
    """Log in through allauth's form; the caller asserts where it lands."""
    visit(page, f"{live_server.url}/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/accounts/login/'] [type=submit]").click()
    check_a11y(page)
