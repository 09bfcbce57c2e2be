from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import ApiKey, Role

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo"


class Command(BaseCommand):
    help = "Ensure the demo organisation and its API key exist; print the key the first time only."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            org, _ = services.organization_get_or_create(slug=DEMO_SLUG, name="Demo")
            if ApiKey.objects.for_org(org).usable().filter(name=DEMO_KEY_NAME).exists():
                self.stdout.write(
                    "Demo organisation 'demo' ready (its API key was printed when it was created; create another with `python manage.py createapikey --org demo`)."
                )
                return
            user = services.service_user_for(org)
            _, raw = services.apikey_create(organization=org, created_by=user, name=DEMO_KEY_NAME, role=Role.OWNER)
        self.stdout.write(f"Demo organisation 'demo' created. API key (shown once):\n\n    {raw}\n")
