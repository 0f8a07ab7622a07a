from .conftest import visit, login, check_a11y

def test_probe(browser, live_server, cast):
    ctx = browser.new_context(java_script_enabled=False, locale="en-US")
    page = ctx.new_page()
    visit(page, live_server.url + "/")
    print(page.evaluate("1+1"))
    ctx.close()
