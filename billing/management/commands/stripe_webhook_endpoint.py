"""Create or update the dj-stripe WebhookEndpoint from settings and print the URL to give Stripe."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.services import HANDLED_EVENTS, stripe_webhook_endpoint_sync
from repotoire.api.exceptions import ValidationFailed


class Command(BaseCommand):
    help = "Create/update the Stripe webhook endpoint (signing secret from STRIPE_WEBHOOK_SECRET) and print its URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default=settings.PUBLIC_BASE_URL, help="Public URL of this server.")
        parser.add_argument("--uuid", default=settings.STRIPE_WEBHOOK_UUID or None, help="Pin the UUID in the URL.")
        parser.add_argument("--endpoint-id", default=settings.STRIPE_WEBHOOK_ENDPOINT_ID, help="Stripe id of the endpoint.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            fixed = uuid.UUID(options["uuid"]) if options["uuid"] else None
        except ValueError as exc:
            raise CommandError(f"--uuid is not a UUID: {options['uuid']}") from exc
        try:
            endpoint = stripe_webhook_endpoint_sync(
                secret=settings.STRIPE_WEBHOOK_SECRET,
                base_url=options["base_url"],
                endpoint_id=options["endpoint_id"],
                fixed_uuid=fixed,
            )
        except ValidationFailed as exc:
            raise CommandError("Set STRIPE_WEBHOOK_SECRET (the endpoint's signing secret, whsec_...) first") from exc
        self.stdout.write(endpoint.url)
        self.stderr.write(f"Stripe should send these events to that URL: {', '.join(HANDLED_EVENTS)}")
