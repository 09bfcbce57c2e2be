from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import Role
from repotoire.api.exceptions import ValidationFailed


class Command(BaseCommand):
    help = (
        "Create a person who signs in to the dashboard (/app/) and add them to an organisation "
        "(created if missing). The password comes from REPOTOIRE_USER_PASSWORD or a prompt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--role", choices=Role.values, default=Role.OWNER)
        parser.add_argument("--staff", action="store_true", help="Also let them into the Django admin")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("REPOTOIRE_USER_PASSWORD") or ""
        if not password:
            if not self.stdin_is_tty():
                raise CommandError("Set REPOTOIRE_USER_PASSWORD or run in a terminal to be asked for a password")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match")
        org, org_created = services.organization_get_or_create(slug=options["org"])
        try:
            user, created = services.person_create(
                email=options["email"], organization=org, role=options["role"], password=password, is_staff=options["staff"]
            )
        except ValidationFailed as exc:
            raise CommandError(exc.detail) from exc
        if org_created:
            self.stdout.write(f"Created organisation {org.slug}")
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {user.email} as {options['role']} of {org.slug}; sign in at /app/login/")

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
