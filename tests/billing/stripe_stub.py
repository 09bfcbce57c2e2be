"""A Stripe stand-in on 127.0.0.1, reached through the real ``stripe`` library (ours and dj-stripe's).

It keeps Stripe objects by id, in the shapes of API version 2026-08 (subscription periods on the
items, an invoice's subscription under ``parent.subscription_details``), answers retrievals and
the few creations we make, honours ``Idempotency-Key`` like Stripe does, and records every request.
Events are built here and signed with Stripe's real scheme (``t=...,v1=HMAC-SHA256``).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

from tests.stubs.http import Recorded, StubResponse

API_VERSION = stripe.api_version
SECRET_KEY = "sk_test_" + "Repotoire" * 3  # dj-stripe checks the key's format
WEBHOOK_SECRET = "whsec_test_repotoire_signing_secret"
PRICE_PRO = "price_pro_monthly"
PRICE_ENTERPRISE = "price_enterprise_monthly"
ACCOUNT_ID = "acct_1RepotoireTest"

# Collections whose objects may be retrieved with GET /v1/<collection>/<id>.
COLLECTIONS = {
    "customers",
    "subscriptions",
    "subscription_items",
    "prices",
    "products",
    "invoices",
    "checkout/sessions",
    "billing_portal/sessions",
    "payment_methods",
    "events",
}


def stripe_error(
    status: int, message: str, *, code: str = "resource_missing", type_: str = "invalid_request_error"
) -> StubResponse:
    return StubResponse(status, {"error": {"type": type_, "code": code, "message": message}})


def form_params(body: bytes) -> dict[str, str]:
    """Stripe's form encoding flattened: {"line_items[0][price]": "price_x", ...}."""
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class FakeStripe:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.idempotent: dict[str, StubResponse] = {}
        self.fail_next: list[StubResponse] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        now = int(time.time())
        self.put(
            {
                "id": ACCOUNT_ID,
                "object": "account",
                "business_profile": {"name": "Repotoire Test"},
                "charges_enabled": True,
                "country": "US",
                "created": now - 86400 * 30,
                "default_currency": "usd",
                "details_submitted": True,
                "email": "billing@repotoire.test",
                "payouts_enabled": True,
                "settings": {"dashboard": {"display_name": "Repotoire", "timezone": "Etc/UTC"}},
                "type": "standard",
                "metadata": {},
            }
        )
        for price_id, name, amount in ((PRICE_PRO, "Pro", 4900), (PRICE_ENTERPRISE, "Enterprise", 49900)):
            product_id = f"prod_{name.lower()}"
            self.put(
                {
                    "id": product_id,
                    "object": "product",
                    "active": True,
                    "created": now - 86400 * 30,
                    "description": f"Repotoire {name}",
                    "livemode": False,
                    "metadata": {},
                    "name": f"Repotoire {name}",
                    "type": "service",
                    "updated": now - 86400 * 30,
                }
            )
            self.put(self.price_obj(price_id, product_id, amount))

    # --- objects ----------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self._ids):06d}"

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.objects[obj["id"]] = json.loads(json.dumps(obj))
        return obj

    def get(self, object_id: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.objects[object_id]))

    @staticmethod
    def price_obj(price_id: str, product_id: str, amount: int) -> dict[str, Any]:
        return {
            "id": price_id,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": int(time.time()) - 86400 * 30,
            "currency": "usd",
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": product_id,
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed", "meter": None},
            "tax_behavior": "unspecified",
            "type": "recurring",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }

    def add_customer(self, organization: Any) -> dict[str, Any]:
        customer = self.customer_obj(self.new_id("cus"), {"organization_id": str(organization.pk)}, organization.name)
        return self.put(customer)

    @staticmethod
    def customer_obj(customer_id: str, metadata: dict[str, Any], name: str = "") -> dict[str, Any]:
        return {
            "id": customer_id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": int(time.time()),
            "currency": "usd",
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": None,
            "invoice_prefix": customer_id[-8:].upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
            "livemode": False,
            "metadata": metadata,
            "name": name,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }

    def subscription(
        self,
        *,
        customer: str,
        price: str = PRICE_PRO,
        status: str = "active",
        quantity: int = 5,
        sub_id: str | None = None,
        cancel_at_period_end: bool = False,
        metadata: dict[str, Any] | None = None,
        period_end: int | None = None,
        store: bool = True,
    ) -> dict[str, Any]:
        """A subscription object (stored as the current state unless ``store=False``)."""
        now = int(time.time())
        sub_id = sub_id or self.new_id("sub")
        start, end = now - 86400, period_end or now + 86400 * 29
        existing = self.objects.get(sub_id)
        item_id = existing["items"]["data"][0]["id"] if existing else self.new_id("si")
        price_obj = self.get(price)
        sub = {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "automatic_tax": {"enabled": False, "liability": None},
            "billing_cycle_anchor": start,
            "billing_mode": {"type": "flexible"},
            "cancel_at": end if cancel_at_period_end else None,
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": now if status == "canceled" else None,
            "collection_method": "charge_automatically",
            "created": start,
            "currency": "usd",
            "customer": customer,
            "days_until_due": None,
            "default_payment_method": None,
            "default_source": None,
            "description": None,
            "discounts": [],
            "ended_at": now if status == "canceled" else None,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": item_id,
                        "object": "subscription_item",
                        "created": start,
                        "current_period_end": end,
                        "current_period_start": start,
                        "discounts": [],
                        "metadata": {},
                        "price": price_obj,
                        "quantity": quantity,
                        "subscription": sub_id,
                        "tax_rates": [],
                    }
                ],
                "has_more": False,
                "total_count": 1,
                "url": f"/v1/subscription_items?subscription={sub_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": metadata if metadata is not None else {},
            "pause_collection": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": start,
            "status": status,
            "test_clock": None,
            "trial_end": None,
            "trial_start": None,
        }
        if store:
            self.put(sub)
            self.put(sub["items"]["data"][0])
        return sub

    def invoice(self, *, customer: str, subscription: str, paid: bool) -> dict[str, Any]:
        now = int(time.time())
        inv = {
            "id": self.new_id("in"),
            "object": "invoice",
            "account_country": "US",
            "amount_due": 24500,
            "amount_paid": 24500 if paid else 0,
            "amount_remaining": 0 if paid else 24500,
            "attempt_count": 1,
            "attempted": True,
            "auto_advance": not paid,
            "billing_reason": "subscription_cycle",
            "collection_method": "charge_automatically",
            "created": now,
            "currency": "usd",
            "customer": customer,
            "default_payment_method": None,
            "description": None,
            "discounts": [],
            "due_date": None,
            "lines": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": "/v1/invoices/lines"},
            "livemode": False,
            "metadata": {},
            "number": None,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": subscription},
            },
            "period_end": now,
            "period_start": now - 86400 * 30,
            "status": "paid" if paid else "open",
            "subtotal": 24500,
            "total": 24500,
        }
        return self.put(inv)

    def checkout_session_completed(
        self, *, customer: str, subscription: str, organization: Any, plan: str = "pro"
    ) -> dict[str, Any]:
        session = {
            "id": self.new_id("cs"),
            "object": "checkout.session",
            "amount_subtotal": 24500,
            "amount_total": 24500,
            "cancel_url": "http://localhost/billing/cancel",
            "client_reference_id": str(organization.pk),
            "created": int(time.time()) - 60,
            "currency": "usd",
            "customer": customer,
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": {"organization_id": str(organization.pk), "plan": plan},
            "mode": "subscription",
            "payment_intent": None,
            "payment_status": "paid",
            "setup_intent": None,
            "status": "complete",
            "subscription": subscription,
            "success_url": "http://localhost/billing/done",
            "url": None,
        }
        return self.put(session)

    def event(self, event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        return self.put(event)

    # --- HTTP ---------------------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and urlsplit(r.path).path == path]

    def handle(self, request: Recorded) -> StubResponse:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return stripe_error(401, "Invalid API Key provided", code="api_key_invalid", type_="invalid_request_error")
        if self.fail_next:
            return self.fail_next.pop(0)
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and key in self.idempotent:
            return self.idempotent[key]
        response = self._route(request)
        if request.method == "POST" and key and response.status == 200:
            self.idempotent[key] = response
        return response

    def _route(self, request: Recorded) -> StubResponse:
        path = urlsplit(request.path).path
        if request.method == "GET" and path in ("/v1/account", f"/v1/accounts/{ACCOUNT_ID}"):
            return StubResponse(200, self.get(ACCOUNT_ID))
        if request.method == "POST" and path == "/v1/customers":
            params = form_params(request.body)
            metadata = {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")}
            return StubResponse(200, self.put(self.customer_obj(self.new_id("cus"), metadata, params.get("name", ""))))
        if request.method == "POST" and path == "/v1/checkout/sessions":
            params = form_params(request.body)
            session_id = self.new_id("cs")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "client_reference_id": params.get("client_reference_id"),
                "customer": params.get("customer"),
                "mode": params.get("mode"),
                "status": "open",
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "livemode": False,
                "metadata": {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")},
                "created": int(time.time()),
            }
            return StubResponse(200, self.put(session))
        if request.method == "POST" and path == "/v1/billing_portal/sessions":
            params = form_params(request.body)
            session_id = self.new_id("bps")
            return StubResponse(
                200,
                self.put(
                    {
                        "id": session_id,
                        "object": "billing_portal.session",
                        "customer": params.get("customer"),
                        "return_url": params.get("return_url"),
                        "url": f"https://billing.stripe.com/p/session/{session_id}",
                        "livemode": False,
                        "created": int(time.time()),
                    }
                ),
            )
        if request.method == "GET" and path.startswith("/v1/products/") and path.endswith("/features"):
            return StubResponse(200, {"object": "list", "data": [], "has_more": False, "url": path})
        if request.method == "GET" and path.startswith("/v1/"):
            collection, _, object_id = path[len("/v1/") :].rpartition("/")
            if collection in COLLECTIONS and object_id in self.objects:
                return StubResponse(200, self.get(object_id))
        return stripe_error(404, f"No such object: {path}")


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
