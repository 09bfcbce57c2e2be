"""The dashboard in Chromium against the running platform (uvicorn + workers): the flows a person
goes through, at 1,400 px unless a test says otherwise. Screenshots of failures: see conftest."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_all_local
from tests.webhooks.conftest import receiver  # noqa: F401 - a local webhook receiver

PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(browser_db):
    """Ada: owner of Acme, viewer of Globex (one repository each)."""
    from accounts.services import person_create
    from tests.factories import OrganizationFactory, RepositoryFactory

    acme = OrganizationFactory(name="Acme", slug="acme-ui", plan="pro")
    globex = OrganizationFactory(name="Globex", slug="globex-ui", plan="pro")
    user, _ = person_create(email="ada@example.test", organization=acme, role="owner", password=PASSWORD)
    person_create(email="ada@example.test", organization=globex, role="viewer", password=PASSWORD)
    return {
        "user": user,
        "acme": acme,
        "globex": globex,
        "globex_repo": RepositoryFactory(organization=globex, name="globex-api"),
    }


def sign_in(page: Page) -> None:
    page.goto("/app/")
    expect(page).to_have_title("Sign in · Repotoire")
    page.get_by_label("Email").fill("ada@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Repositories · Repotoire")


def _source_repo(tmp_path: Path) -> Path:
    """A git copy of this project's analysis app: big enough that an analysis takes seconds."""
    from benchmarks._shared import git_copy

    dest = tmp_path / "src-repo"
    git_copy(Path(__file__).resolve().parents[2] / "analysis", dest)
    return dest


def test_sign_in_add_a_local_repository_and_watch_the_analysis_live(person, page: Page, network_log, tmp_path):
    sign_in(page)
    page.get_by_role("link", name="Add a repository").click()
    page.get_by_label("Name", exact=True).fill("engine")
    page.get_by_label("Clone URL or local path").fill(str(_source_repo(tmp_path)))
    page.get_by_role("button", name="Add repository").click()
    expect(page).to_have_title("engine · Repotoire")
    page.get_by_role("button", name="Analyse now").click()
    expect(page).to_have_title("Analysis of engine · Repotoire")
    # Events arrive over the SSE stream and are drawn before the run ends (then the page reloads).
    expect(page.locator("#live")).to_have_attribute("data-events", re.compile(r"^[1-9]"))
    expect(page.locator("#live-log li").first).to_be_visible()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible(timeout=240_000)
    expect(page.locator(".grade.big")).to_have_text(re.compile(r"^[A-F]"))
    page.get_by_role("link", name="HTML").click()
    expect(page.locator("body")).to_contain_text("engine")
    assert_all_local(network_log)


def test_filter_findings_and_triage_two_in_bulk(person, page: Page):
    from findings.models import Finding
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record

    repo = RepositoryFactory(organization=person["acme"], name="shop")
    record(
        AnalysisRunFactory(repository=repo),
        [
            engine_finding("bare-except", f"app/m{i}.py", i, symbol=f"m{i}", severity="medium", category="bug_risk")
            for i in range(3)
        ]
        + [engine_finding("todo-comment", "docs/a.py", 1, severity="info", category="documentation")],
    )
    sign_in(page)
    page.get_by_role("link", name="Findings", exact=True).click()
    expect(page.locator("#finding-count")).to_contain_text("4 findings")
    page.get_by_label("Severity").select_option("medium")  # htmx swaps the table, the URL follows
    expect(page.locator("#finding-count")).to_contain_text("3 findings")
    expect(page).to_have_url(re.compile(r"severity=medium"))
    boxes = page.locator("#bulk-triage tbody input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("New status for the selected findings").select_option("acknowledged")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("2 findings set to acknowledged.")
    expect(page).to_have_url(re.compile(r"severity=medium"))
    assert Finding.objects.filter(repository=repo, status="acknowledged").count() == 2


def test_open_a_fix_proposal_and_approve_it(person, page: Page):
    from fixes.models import FixProposal
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record
    from tests.fixes.conftest import make_proposal

    repo = RepositoryFactory(organization=person["acme"], name="shop")
    run = AnalysisRunFactory(repository=repo)
    record(run, [engine_finding("unused-import", "app.py", 3, severity="low", category="dead_code")])
    proposal = make_proposal(repo.findings.get(), title="Remove the unused import")
    sign_in(page)
    page.get_by_role("link", name="Fixes").click()
    page.get_by_role("link", name="Remove the unused import").click()
    expect(page.locator("pre.diff .add").first).to_have_text("+y")
    assert page.locator("pre.diff .del").first.evaluate("e => getComputedStyle(e).color") != page.locator(
        "pre.diff .add"
    ).first.evaluate("e => getComputedStyle(e).color")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Fix approved.")
    expect(page.locator("h1 .status")).to_have_text("approved")
    proposal.refresh_from_db()
    assert proposal.status == FixProposal.objects.get(pk=proposal.pk).status == "approved"


def test_create_an_api_key_and_use_it_against_me(person, page: Page, base_url):
    sign_in(page)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    me = httpx.get(f"{base_url}/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["organization"]["slug"] == "acme-ui" and me.json()["role"] == "member"
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # shown once


def test_create_a_webhook_and_send_a_test_delivery_to_a_local_receiver(person, page: Page, receiver):  # noqa: F811
    sign_in(page)
    page.goto("/app/settings/webhooks/")
    page.get_by_label("Name", exact=True).fill("local")
    page.get_by_label("URL", exact=True).fill(receiver.url)
    page.get_by_label("analysis.completed", exact=True).check()
    page.get_by_role("button", name="Create webhook").click()
    expect(page.locator("#new-secret")).to_be_visible()
    page.get_by_role("button", name="Send a test event").click()
    expect(page.locator(".messages")).to_contain_text("Test event sent: answered 200.")
    [request] = receiver.wait_for(1)
    assert b"webhook.test" in request.body
    expect(page.locator("tbody .status").first).to_have_text("succeeded")


def test_switch_organisation_then_the_other_ones_repository_is_a_404(person, page: Page):
    from tests.factories import RepositoryFactory

    acme_repo = RepositoryFactory(organization=person["acme"], name="acme-api")
    sign_in(page)
    expect(page.get_by_role("link", name="acme-api")).to_be_visible()
    page.get_by_label("Organisation").select_option(label="Globex")
    expect(page.get_by_role("link", name="globex-api")).to_be_visible()
    expect(page.locator(".role-badge")).to_have_text("viewer")
    response = page.goto(f"/app/repositories/{acme_repo.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator(".error-detail")).to_have_text("Repository not found")


@pytest.mark.parametrize("width", [1400, 390])
def test_pages_fit_the_width_without_horizontal_scrolling(person, page: Page, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page)
    for url in ("/app/repositories/", "/app/findings/", "/app/fixes/", "/app/code/", "/app/settings/", "/app/settings/webhooks/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url


# Runs in the page: what a person with a screen reader, a keyboard or weak eyesight would miss.
_A11Y_AUDIT = """() => {
  const problems = [];
  if (!document.title.trim()) problems.push('no <title>');
  const h1 = document.querySelectorAll('h1');
  if (h1.length !== 1) problems.push(`${h1.length} <h1> elements`);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.closest('[hidden]')) continue;
    const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.closest('label')
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (!labelled) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!(el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('title') || el.querySelector('img[alt]')))
      problems.push(`${el.tagName.toLowerCase()} without a name`);
  }
  // WCAG AA contrast (4.5:1) of every visible text against the first opaque background behind it.
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || !el.getClientRects().length) continue;
    if (el.closest('svg, [disabled]')) continue;  // chart labels sit on their own fills; disabled controls are exempt (WCAG 1.4.3)
    const fg = rgb(style.color), bg = background(el);
    const [a, b] = [lum(fg.slice(0, 3)), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} for "${el.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}"""


def _dashboard_world(person) -> dict[str, str]:
    """One of everything a page can show, in Acme: a repository, an analysis with findings, a fix."""
    from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, engine_finding, record
    from tests.fixes.conftest import make_proposal

    repo = RepositoryFactory(organization=person["acme"], name="shop")
    run = AnalysisRunFactory(repository=repo)
    record(
        run,
        [
            engine_finding("unused-import", "app.py", 3, severity="low", category="dead_code"),
            engine_finding("sql-injection", "views.py", 9, severity="high", category="security"),
        ],
    )
    finding = repo.findings.order_by("path").first()
    proposal = make_proposal(finding, title="Remove the unused import")
    return {
        "repository": f"/app/repositories/{repo.pk}/",
        "repository settings": f"/app/repositories/{repo.pk}/settings/",
        "analysis": f"/app/analyses/{run.pk}/",
        "finding": f"/app/findings/{finding.pk}/",
        "fix": f"/app/fixes/{proposal.pk}/",
    }


def test_every_page_is_titled_labelled_readable_and_keyboard_usable(person, page: Page):
    """At phone width: a title and one heading, every control labelled, every button and link named,
    text at WCAG AA contrast, no horizontal scrolling, and a visible focus ring for the keyboard."""
    pages = {
        "repositories": "/app/repositories/",
        "add repository": "/app/repositories/add/",
        "findings": "/app/findings/",
        "fixes": "/app/fixes/",
        "code": "/app/code/",
        "settings": "/app/settings/",
        "api keys": "/app/settings/api-keys/",
        "members": "/app/settings/members/",
        "webhooks": "/app/settings/webhooks/",
        "billing": "/app/settings/billing/",
        "github": "/app/settings/github/",
        **_dashboard_world(person),
    }
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    failures = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, url, response and response.status)
        problems = page.evaluate(_A11Y_AUDIT)
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            problems.append("scrolls horizontally at 390 px")
        # The first Tab lands on a focusable element that shows where it is.
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return null;
                       const s = getComputedStyle(e);
                       return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== 'none'}; }"""
        )
        if not focus or not (focus["outline"] or focus["shadow"]):
            problems.append(f"no visible keyboard focus: {focus}")
        if problems:
            failures[name] = problems
    assert not failures, failures


def test_the_page_audit_sees_each_problem_it_looks_for(page: Page):
    page.set_content(
        "<html><head></head><body><h1>a</h1><h1>b</h1><input name=q><button></button>"
        "<p style='color:#aaa;background:#fff'>faint text</p></body></html>"
    )
    problems = page.evaluate(_A11Y_AUDIT)
    assert "no <title>" in problems and "2 <h1> elements" in problems
    assert "unlabelled input name=q" in problems and "button without a name" in problems
    assert any(p.startswith("contrast 2.") and "faint text" in p for p in problems), problems
