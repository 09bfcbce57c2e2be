"""The admin and the landing page in Chromium: styled, usable by staff, nothing fetched from outside."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_all_local

SNIPPET = "def run():\n    if ready:\n        value = eval(input())\n"
PASSWORD = "browser-test-password-1"


@pytest.fixture
def staff_world(browser_db):
    """A staff user (owner of 'acme-browser') and repository 'shop' with two findings of one analysis."""
    from accounts import services as account_services
    from tests.factories import OrganizationFactory, UserFactory
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

    org = OrganizationFactory(name="Acme Browser", slug="acme-browser")
    user = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    account_services.membership_ensure(organization=org, user=user, role="owner")
    repo = RepositoryFactory(organization=org, name="shop")
    record(
        AnalysisRunFactory(repository=repo),
        [
            engine_finding("code-injection", "shop/app.py", 3, code=SNIPPET, severity="critical", title="eval() of user input"),
            engine_finding("unused-import", "shop/util.py", 1, code="import os", severity="low", title="Unused import os"),
        ],
    )
    return org


def _styled(page: Page, selector: str) -> bool:
    """The admin stylesheet applied: the header has its coloured background."""
    return page.locator(selector).evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")


def test_staff_log_in_filter_findings_and_read_a_snippet_monospaced(staff_world, page: Page, network_log):
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    expect(page.locator("#site-name")).to_contain_text("Repotoire administration")
    assert _styled(page, "#header")
    page.fill("#id_username", "staffer")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#content h1")).to_have_text("Site administration")

    page.goto("/admin/findings/finding/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert _styled(page, "#header")
    assert page.locator("#changelist-filter").is_visible()
    page.locator("#changelist-filter").get_by_role("link", name="Critical").click()
    expect(page).to_have_url(re.compile(r"/admin/findings/finding/\?severity__exact=critical$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    page.get_by_role("link", name="eval() of user input").click()
    snippet = page.locator("pre.rt-code")
    expect(snippet).to_be_visible()
    assert snippet.inner_text().rstrip("\n") == SNIPPET.rstrip("\n")  # indentation kept, line by line
    style = snippet.evaluate("e => [getComputedStyle(e).fontFamily, getComputedStyle(e).whiteSpace]")
    assert "monospace" in style[0].lower() and style[1] == "pre"
    assert_all_local(network_log)


def test_membership_autocomplete_offers_organisations(staff_world, page: Page, network_log):
    page.goto("/admin/login/?next=/admin/accounts/membership/add/")
    page.fill("#id_username", "staffer")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator(".field-organization .select2-selection").click()
    page.locator(".select2-search__field").fill("acme")
    expect(page.locator(".select2-results__option").first).to_have_text("acme-browser")
    assert_all_local(network_log)


def test_landing_page_links_to_docs_and_admin(page: Page, network_log):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Repotoire")
    for name, href in (("API docs", "/docs"), ("API reference", "/redoc"), ("Admin", "/admin/")):
        expect(page.locator(f'a.card[href="{href}"]')).to_contain_text(name)
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius") != "0px"
    icon = page.request.get("/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert_all_local(network_log)
