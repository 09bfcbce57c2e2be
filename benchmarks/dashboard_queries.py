"""Database queries per dashboard page, at two data sizes: the count must not grow with the data.
Prints a table, asserts nothing (the tests pin the same pages with django_assert_max_num_queries).

    .venv/bin/python -m benchmarks.dashboard_queries

Small: 2 repositories, 1 run each, 30 findings, 2 keys, 1 webhook with 2 deliveries, 2 fixes.
Large: 20 repositories, 5 runs each, 3,000 findings, 20 keys, 20 members, 1 webhook with 40
deliveries, 40 fixes. Signed-in owner, Django's test client, after one warm-up request per page.
Schema from the models in ``REPOTOIRE_DB_NAME`` (default ``bench_dashboard_queries``), dropped at the end.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("REPOTOIRE_DB_NAME", "bench_dashboard_queries")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repotoire.settings")
os.environ.setdefault("DEBUG", "false")
# Pages are rendered without `make static` having run (a fresh clone): plain static URLs.
os.environ.setdefault("REPOTOIRE_STATIC_MANIFEST", "false")
sys.path.insert(0, str(ROOT))

from benchmarks.findings_api_latency import build_schema, make_findings, result_of  # noqa: E402


def populate(org, user, *, repos: int, runs: int, findings: int, keys: int, members: int, deliveries: int, fixes: int) -> dict:
    from django.utils import timezone

    from accounts.models import Role, User
    from accounts.services import apikey_create, membership_ensure
    from analysis.models import AnalysisRun, Repository
    from findings.services import findings_record_run
    from fixes.models import FixProposal
    from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

    tag = uuid.uuid4().hex[:6]
    made = []
    for r in range(repos):
        repo = Repository.objects.create(
            organization=org, name=f"{tag}-repo-{r}", clone_url=f"https://example.test/{tag}/{r}.git"
        )
        for k in range(runs):
            now = timezone.now()
            run = AnalysisRun.objects.create(
                organization=org,
                repository=repo,
                status="completed",
                started_at=now,
                finished_at=now,
                health_score=60 + k,
                grade="C",
            )
            batch = make_findings(findings // repos, seed=r, prefix=f"{tag}/{r}/") if k == runs - 1 else []
            findings_record_run(run=run, result=result_of(batch))
        made.append(repo)
    for i in range(keys):
        apikey_create(organization=org, created_by=user, name=f"{tag}-key-{i}", role=Role.VIEWER)
    for i in range(members):
        person = User.objects.create_user(username=f"{tag}-p{i}", email=f"{tag}-p{i}@example.test")
        membership_ensure(organization=org, user=person, role=Role.MEMBER)
    endpoint = WebhookEndpoint.objects.create(
        organization=org, name=f"{tag}-hook", url="https://example.test/hook", events=["analysis.completed"], secret_encrypted="x"
    )
    for _ in range(deliveries):
        delivery = WebhookDelivery.objects.create(
            organization=org, endpoint=endpoint, event_id=uuid.uuid4(), event_type="analysis.completed", body="{}"
        )
        WebhookDeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), response_status_code=200)
    some = list(org.findings.all()[:fixes])
    proposals = [
        FixProposal.objects.create(
            organization=org, repository_id=f.repository_id, finding=f, status="pending", diff="--- a\n+++ b\n@@\n-x\n+y\n"
        )
        for f in some
    ]
    return {"repo": made[0], "run": made[0].runs.first(), "finding": some[0], "fix": proposals[0], "webhook": endpoint}


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organization, User
    from accounts.services import membership_ensure
    from benchmarks._shared import drop_database

    try:
        build_schema()
        counts: dict[str, list[int]] = {}
        for size in (
            {"repos": 2, "runs": 1, "findings": 30, "keys": 2, "members": 1, "deliveries": 2, "fixes": 2},
            {"repos": 20, "runs": 5, "findings": 3000, "keys": 20, "members": 20, "deliveries": 40, "fixes": 40},
        ):
            org = Organization.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}", plan="enterprise")
            user = User.objects.create_user(username=f"owner-{org.slug}", email=f"owner@{org.slug}.test", password="x")
            membership_ensure(organization=org, user=user, role="owner")
            objs = populate(org, user, **size)
            client = Client()
            client.force_login(user)
            pages = {
                "repositories": "/app/repositories/",
                "repository": f"/app/repositories/{objs['repo'].pk}/",
                "analysis run": f"/app/analyses/{objs['run'].pk}/",
                "findings (100 per page)": "/app/findings/?page_size=100",
                "finding": f"/app/findings/{objs['finding'].pk}/",
                "fixes": "/app/fixes/",
                "fix": f"/app/fixes/{objs['fix'].pk}/",
                "settings: API keys": "/app/settings/api-keys/",
                "settings: members": "/app/settings/members/",
                "settings: webhooks": "/app/settings/webhooks/",
                "settings: webhook + deliveries": f"/app/settings/webhooks/{objs['webhook'].pk}/",
                "settings: billing": "/app/settings/billing/",
                "settings: GitHub": "/app/settings/github/",
            }
            for name, url in pages.items():
                assert client.get(url).status_code == 200, url
                with CaptureQueriesContext(connection) as captured:
                    client.get(url)
                counts.setdefault(name, []).append(len(captured.captured_queries))
        print(f"{'page':32s} {'small':>6s} {'large':>6s}")
        for name, (small, large) in counts.items():
            print(f"{name:32s} {small:6d} {large:6d}{'' if small == large else '   <- grows'}")
    finally:
        drop_database()


if __name__ == "__main__":
    main()
