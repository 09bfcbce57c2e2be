"""The admin site: branded Repotoire, the product's own models first, Stripe's mirror folded away.

dj-stripe registers ~40 models (its local copy of Stripe objects); listed in full they fill every
sidebar above the product. Here they are one "Stripe objects" row under Billing that opens
dj-stripe's own index, which still lists them all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

# The product's apps, in the order a person looks for them; everything else follows.
PRODUCT_APPS = ["analysis", "findings", "fixes", "codesearch", "accounts", "billing", "webhooks", "github_app"]
STRIPE_APP = "djstripe"


class RepotoireAdminSite(admin.AdminSite):
    site_header = "Repotoire administration"
    site_title = "Repotoire admin"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        stripe = next((app for app in apps if app["app_label"] == STRIPE_APP), None)
        apps = [app for app in apps if app["app_label"] != STRIPE_APP]
        billing = next((app for app in apps if app["app_label"] == "billing"), None)
        if stripe is not None and billing is not None:
            billing["models"].append(
                {
                    "name": f"Stripe objects ({len(stripe['models'])} types, synced by dj-stripe)",
                    "object_name": "StripeObjects",
                    "perms": {"view": True},
                    "admin_url": reverse("admin:app_list", kwargs={"app_label": STRIPE_APP}, current_app=self.name),
                    "add_url": None,
                    "view_only": True,
                }
            )
        elif stripe is not None:
            apps.append(stripe)

        def rank(app: dict[str, Any]) -> tuple[int, str]:
            label = app["app_label"]
            return (PRODUCT_APPS.index(label), "") if label in PRODUCT_APPS else (len(PRODUCT_APPS), app["name"])

        return sorted(apps, key=rank)


class RepotoireAdminConfig(AdminConfig):
    default_site = "repotoire.admin_site.RepotoireAdminSite"


def code_block(text: str) -> str:
    """``text`` monospaced with its indentation kept (a finding's snippet)."""
    if not text:
        return "–"
    return format_html('<pre class="rt-code">{}</pre>', text)


_DIFF_CLASSES = (("+++", "rt-file"), ("---", "rt-file"), ("@@", "rt-hunk"), ("+", "rt-add"), ("-", "rt-del"))


def diff_block(diff: str) -> str:
    """A unified diff monospaced, added lines green, removed lines red."""
    if not diff:
        return "–"
    rows = ((next((c for prefix, c in _DIFF_CLASSES if line.startswith(prefix)), ""), line) for line in diff.splitlines())
    return format_html('<pre class="rt-code rt-diff">{}</pre>', format_html_join("", '<span class="{}">{}</span>', rows))


def without_delete_selected(actions: dict[str, Any]) -> dict[str, Any]:
    """``actions`` without Django's "Delete selected …", for rows whose removal has to be audited."""
    actions.pop("delete_selected", None)
    return actions
