"""/docs (Swagger UI) and /redoc in Chromium: they render, work, and fetch nothing from outside."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_all_local


def _operation_count(base_url: str) -> int:
    schema = httpx.get(f"{base_url}/openapi.json").json()
    methods = {"get", "post", "put", "patch", "delete", "head", "options"}
    return sum(1 for item in schema["paths"].values() for method in item if method in methods)


def test_swagger_ui_renders_every_operation_and_fetches_nothing_from_outside(page: Page, network_log, base_url):
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Repotoire API")
    expected = _operation_count(base_url)
    assert expected > 50
    expect(page.locator(".opblock")).to_have_count(expected)
    # Swagger UI's own stylesheet applied (method badges are coloured blocks, not plain text).
    badge = page.locator(".opblock-get .opblock-summary-method").first
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    page.wait_for_load_state("networkidle")
    assert any("/static/" in url for url in network_log.urls)
    assert_all_local(network_log)


def test_authorize_with_an_api_key_then_try_it_out_on_me_answers_200(browser_db, page: Page, network_log):
    from accounts import services
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(name="Browser Org", slug="browser-org")
    _, key = services.apikey_create(organization=org, created_by=services.service_user_for(org), name="docs", role="owner")

    page.goto("/docs")
    page.locator("button.authorize").first.click()
    dialog = page.locator(".auth-container").filter(has_text="ApiKeyAuth")
    dialog.locator("input").fill(key)
    dialog.get_by_role("button", name="Apply credentials").click()
    expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()

    me = page.locator(".opblock").filter(has=page.locator('.opblock-summary-path[data-path="/api/v1/me"]'))
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    status = me.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text("200")
    expect(me.locator(".live-responses-table .microlight").first).to_contain_text("browser-org")
    assert_all_local(network_log)


def test_redoc_renders_offline(page: Page, network_log):
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("Repotoire API")
    # The menu lists the tags and the first operation's panel is drawn.
    expect(page.locator("[role=menuitem]").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert_all_local(network_log)
    assert not any("fonts.googleapis" in url for url in network_log.urls)
    # Redoc's footer logo comes from its CDN: the page's Content-Security-Policy keeps it from being fetched.
    assert network_log.blocked == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
