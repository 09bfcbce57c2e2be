from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import services
from accounts.models import Role
from billing.plans import PLANS


class Command(BaseCommand):
    help = "Create an API key for an organisation (created if missing). Prints only the key on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--plan", choices=sorted(PLANS), help="Set the organisation's plan")
        parser.add_argument("--role", choices=Role.values, default=Role.OWNER)
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            org, created = services.organization_get_or_create(slug=options["org"], plan=options["plan"])
            user = services.service_user_for(org)
            _, raw = services.apikey_create(organization=org, created_by=user, name=options["name"], role=options["role"])
        if created:
            self.stderr.write(f"Created organisation {org.slug} ({org.plan})")
        self.stdout.write(raw)
