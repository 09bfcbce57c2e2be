"""The admin as staff see it: branded, the product first, code readable, runs linked to their
report and findings, no unaudited bulk deletes, billing accounts addable, and a staff path into
the API (demo login, the no-organisation message)."""

from __future__ import annotations

import re
import zlib

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Membership, Organization
from analysis.engine.reports import render
from analysis.models import AnalysisReport
from billing.models import BillingAccount
from findings.models import Finding
from tests.factories import OrganizationFactory, UserFactory
from tests.findings.factories import AnalysisRunFactory, RepositoryFactory, analysis_result, engine_finding, record
from tests.fixes.conftest import make_proposal

pytestmark = pytest.mark.django_db

SNIPPET = "def run():\n    if ready:\n        value = eval(input())\n"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def analysed(org):
    """A completed run of repository 'shop' with one finding, and its stored JSON report."""
    repo = RepositoryFactory(organization=org, name="shop")
    run = AnalysisRunFactory(repository=repo)
    findings = [engine_finding("code-injection", "shop/app.py", 3, code=SNIPPET, severity="critical")]
    record(run, findings)
    blob = zlib.compress(render(analysis_result(findings), "json").encode())
    AnalysisReport.objects.create(run=run, size_bytes=len(blob), data=blob)
    return run


def test_admin_is_branded_repotoire_with_a_favicon(staff):
    html = staff.get("/admin/").content.decode()
    assert "<title>Site administration | Repotoire admin</title>" in html
    assert "Repotoire administration" in html
    assert "repotoire/favicon.svg" in html and "repotoire/admin.css" in html


def test_index_lists_the_product_first_and_folds_stripe_under_billing(staff):
    apps = staff.get("/admin/").context["app_list"]
    labels = [app["app_label"] for app in apps]
    assert labels[:3] == ["analysis", "findings", "fixes"]
    assert "djstripe" not in labels
    assert labels.index("billing") < labels.index("auth") and labels.index("billing") < labels.index("django_q")
    billing = next(app for app in apps if app["app_label"] == "billing")
    stripe = billing["models"][-1]
    assert stripe["name"].startswith("Stripe objects (") and stripe["admin_url"] == "/admin/djstripe/"
    # dj-stripe's own page still lists every Stripe model.
    assert len(staff.get("/admin/djstripe/").context["app_list"][0]["models"]) > 30


def test_finding_page_shows_the_snippet_monospaced_with_its_indentation(staff, analysed):
    finding = Finding.objects.get(repository=analysed.repository)
    html = staff.get(f"/admin/findings/finding/{finding.pk}/change/").content.decode()
    block = re.search(r'<pre class="rt-code">(.*?)</pre>', html, re.S)
    assert block is not None
    assert block.group(1) == "def run():\n    if ready:\n        value = eval(input())\n"


def test_fix_proposal_diff_is_coloured_line_by_line(staff, analysed):
    finding = Finding.objects.get(repository=analysed.repository)
    proposal = make_proposal(
        finding, title="Parse the value safely", diff="--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-    eval(s)\n+    literal_eval(s)\n"
    )
    html = staff.get(f"/admin/fixes/fixproposal/{proposal.pk}/change/").content.decode()
    assert '<span class="rt-del">-    eval(s)</span>' in html
    assert '<span class="rt-add">+    literal_eval(s)</span>' in html
    assert '<span class="rt-hunk">@@ -1 +1 @@</span>' in html
    assert "Parse the value safely (pending)" in html  # titled by name, not by id


def test_objects_are_titled_by_names_not_ids(analysed):
    text = str(analysed)
    assert text.startswith("shop ") and text.endswith("(completed)")
    assert str(analysed.repository_id) not in text
    occurrence = Finding.objects.get(repository=analysed.repository).occurrences.get()
    assert str(occurrence).startswith("shop/app.py:3 in shop ")


def test_delete_selected_is_gone_for_findings_and_runs_but_not_elsewhere(staff, analysed):
    for url in ("/admin/findings/finding/", "/admin/analysis/analysisrun/"):
        actions = [name for name, _ in staff.get(url).context["action_form"].fields["action"].choices]
        assert "delete_selected" not in actions, url
    actions = [name for name, _ in staff.get("/admin/accounts/membership/").context["action_form"].fields["action"].choices]
    assert "delete_selected" in actions


def test_run_page_links_to_its_html_report_and_its_findings(staff, analysed):
    html = staff.get(f"/admin/analysis/analysisrun/{analysed.pk}/change/").content.decode()
    report_url = f"/admin/analysis/analysisrun/{analysed.pk}/report/"
    findings_url = f"/admin/findings/finding/?run={analysed.pk}"
    assert f'href="{report_url}"' in html and f'href="{findings_url}"' in html

    report = staff.get(report_url)
    assert report.status_code == 200 and report["Content-Type"].startswith("text/html")
    assert "code-injection" in report.content.decode()

    other_repo = RepositoryFactory(organization=analysed.organization, name="other")
    record(AnalysisRunFactory(repository=other_repo), [engine_finding("unused-import", "other.py", 1, severity="low")])
    listed = staff.get("/admin/findings/finding/", {"run": str(analysed.pk)}).context["cl"].result_list
    assert [f.detector for f in listed] == ["code-injection"]


def test_report_of_an_unfinished_run_is_404_and_needs_staff(staff, analysed):
    queued = AnalysisRunFactory(repository=RepositoryFactory(organization=analysed.organization), status="queued")
    assert staff.get(f"/admin/analysis/analysisrun/{queued.pk}/report/").status_code == 404
    anonymous = Client().get(f"/admin/analysis/analysisrun/{analysed.pk}/report/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_staff_can_add_a_billing_account_for_an_organisation(staff):
    org = OrganizationFactory(name="Initech", slug="initech")
    form = staff.get("/admin/billing/billingaccount/add/")
    assert form.status_code == 200
    assert org in form.context["adminform"].form.fields["organization"].queryset
    response = staff.post(
        "/admin/billing/billingaccount/add/",
        {"organization": org.pk, "override_plan": "enterprise", "override_reason": "local testing"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    account = BillingAccount.objects.get(organization=org)
    assert account.override_plan == "enterprise" and account.override_reason == "local testing"
    assert Organization.objects.get(pk=org.pk).plan == "enterprise"
    # An organisation that has one is not offered again.
    form = staff.get("/admin/billing/billingaccount/add/")
    assert org not in form.context["adminform"].form.fields["organization"].queryset


def test_staff_can_add_a_membership_with_autocomplete_widgets(staff, org):
    page = staff.get("/admin/accounts/membership/add/").content.decode()
    assert "data-autocomplete-light" not in page  # Django's own autocomplete, not a third-party one
    assert page.count("admin-autocomplete") >= 2
    lookup = staff.get(
        "/admin/autocomplete/", {"app_label": "accounts", "model_name": "membership", "field_name": "organization", "term": "acm"}
    )
    assert [r["text"] for r in lookup.json()["results"]] == ["acme"]


def test_a_user_without_organisation_is_told_how_to_get_one():
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "/admin/accounts/membership/add/" in detail and "make run" in detail


def test_ensure_demo_prints_a_key_and_a_staff_login_once(capsys):
    call_command("ensure_demo")
    first = capsys.readouterr().out
    key = re.search(r"^\s+(rpt_\S+)$", first, re.M).group(1)
    password = re.search(r"password: (\S+)", first).group(1)

    client = Client()
    assert client.login(username="demo", password=password)
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.content
    assert "demo" in me.content.decode()
    assert Membership.objects.get(user__username="demo").role == "owner"
    assert client.get("/admin/").status_code == 200
    assert Client().get("/api/v1/me", HTTP_X_API_KEY=key).status_code == 200

    call_command("ensure_demo")
    second = capsys.readouterr().out
    assert "rpt_" not in second and "password" not in second
