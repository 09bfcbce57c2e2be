"""Per-organisation rate limits on django-ratelimit's counters.

``consume`` is the one reusable check: the API throttle calls it for every authenticated
request (bucket ``api``, the plan's calls per minute) and the analysis trigger calls
``check_analysis_rate`` (bucket ``analyses``, per hour). Counters live in the shared cache
(Redis, or the PostgreSQL cache with its atomic increment), so they are exact across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from billing.entitlements import effective_plan
from repotoire.api.exceptions import RateLimitExceeded

if TYPE_CHECKING:
    from accounts.models import Organization


@dataclass(frozen=True)
class Usage:
    limit: int
    count: int
    reset: int  # unix seconds when the window ends

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def retry_after(self) -> int:
        return max(self.reset - int(time.time()), 1)


def consume(*, bucket: str, key: str, limit: int, period_seconds: int, request: Any = None, increment: bool = True) -> Usage:
    """Count one use of ``bucket`` for ``key`` in the current fixed window and return the usage."""
    usage = get_usage(
        request,
        group=f"repotoire.{bucket}",
        key=lambda _group, _request: key,
        rate=(limit, period_seconds),
        increment=increment,
    )
    if usage is None:  # RATELIMIT_ENABLE = False
        return Usage(limit=limit, count=0, reset=int(time.time()) + period_seconds)
    if usage["limit"] == 0:
        # django-ratelimit's answer when the cache could not count: fail closed rather than let
        # unlimited traffic through. (A negative time_left alone is not that: the window can end
        # between its computation and the read.)
        return Usage(limit=limit, count=limit + 1, reset=int(time.time()) + period_seconds)
    return Usage(limit=limit, count=int(usage["count"]), reset=int(time.time()) + max(int(usage["time_left"]), 1))


def api_usage(org: Organization, *, increment: bool = True, request: Any = None) -> Usage:
    plan = effective_plan(org)
    return consume(
        bucket="api",
        key=f"org:{org.pk}",
        limit=plan.api_calls_per_minute,
        period_seconds=60,
        request=request,
        increment=increment,
    )


def analysis_usage(org: Organization, *, increment: bool) -> Usage | None:
    """Analyses started this hour; None when the plan has no hourly limit."""
    plan = effective_plan(org)
    if plan.analyses_per_hour is None:
        return None
    return consume(bucket="analyses", key=f"org:{org.pk}", limit=plan.analyses_per_hour, period_seconds=3600, increment=increment)


def check_analysis_rate(org: Organization) -> None:
    """Count one analysis for ``org``; raise RATE_LIMIT_EXCEEDED (429) when the hour's quota is spent."""
    usage = analysis_usage(org, increment=True)
    if usage is not None and usage.exceeded:
        raise RateLimitExceeded(
            f"Analysis limit reached: {usage.limit} analyses per hour on the {effective_plan(org).name} plan",
            retry_after=usage.retry_after,
        )


class PlanRateThrottle(BaseThrottle):
    """API calls per minute per organisation, from the plan; records usage for the headers."""

    def allow_request(self, request: Any, view: Any) -> bool:
        org = getattr(request.auth, "organization", None)
        if org is None:
            return True
        usage = api_usage(org, request=request)
        # The middleware copies this onto the response (on 429s too).
        request._request.ratelimit_usage = usage
        self._usage = usage
        return not usage.exceeded

    def wait(self) -> float | None:
        return float(self._usage.retry_after)
