from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import ApiKey, Role

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo"
DEMO_LOGIN = "demo"


class Command(BaseCommand):
    help = (
        "Ensure the demo organisation, its API key and a staff login (owner of the organisation) exist; "
        "print the key and the password when they are created, only then."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            org, _ = services.organization_get_or_create(slug=DEMO_SLUG, name="Demo")
            key = None
            if not ApiKey.objects.for_org(org).usable().filter(name=DEMO_KEY_NAME).exists():
                user = services.service_user_for(org)
                _, key = services.apikey_create(organization=org, created_by=user, name=DEMO_KEY_NAME, role=Role.OWNER)
            login = services.staff_login_create(username=DEMO_LOGIN, organization=org, role=Role.OWNER)
        if key:
            self.stdout.write(f"Demo organisation 'demo' created. API key (shown once):\n\n    {key}\n")
        else:
            self.stdout.write(
                "Demo organisation 'demo' ready (its API key was printed when it was created; "
                "create another with `python manage.py createapikey --org demo`)."
            )
        if login:
            self.stdout.write(
                f"Demo login for the dashboard (/app/), the admin (/admin/) and the API (staff, owner of 'demo'; shown once):\n\n"
                f"    username: {DEMO_LOGIN}\n    password: {login[1]}\n"
            )
