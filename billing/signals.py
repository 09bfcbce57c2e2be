"""What billing announces to the apps above it (they connect in their ``AppConfig.ready``).

``plan_changed`` is sent inside the transaction that changed the organisation's effective plan,
with ``organization``, ``previous_plan``, ``current_plan`` and ``subscription_status``; billing
does not know who listens (the customer webhooks do).
"""

from __future__ import annotations

from django.dispatch import Signal

plan_changed = Signal()
