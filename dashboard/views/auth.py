"""Sign in and out, the organisation switcher, and the landing redirect."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import SESSION_ORG_KEY, membership_for_session
from dashboard.access import LOGIN_URL, OrgView, clerk_sign_in, parse_uuid, redirect_to, safe_next, with_csp
from repotoire.api.exceptions import NotFound

SIGN_IN_FAILED = "Invalid email (or username) or password"


def login_view(request: HttpRequest) -> HttpResponse:
    return with_csp(_login(request))


def _login(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    if request.user.is_authenticated or clerk_sign_in(request):
        return HttpResponseRedirect(next_url)
    context = {
        "next": next_url,
        "email": "",
        "error": "",
        "clerk_enabled": bool(settings.CLERK_JWKS_URL or settings.CLERK_JWT_KEY),
    }
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        # People sign in with their email; a login made without one (the staff login `make run`
        # prints, a `createsuperuser`) with its username.
        lookup = {"email__iexact": email} if "@" in email else {"username": email}
        candidate = User.objects.filter(**lookup, is_service=False).first() if email else None
        user = (
            authenticate(request, username=candidate.username, password=request.POST.get("password", "")) if candidate else None
        )
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(next_url)
        context.update(email=email, error=SIGN_IN_FAILED)
        return render(request, "dashboard/login.html", context, status=400)
    return render(request, "dashboard/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(LOGIN_URL)


class OrgSwitchView(OrgView):
    write_role = "viewer"  # switching changes nothing in either organisation

    def post(self, request: HttpRequest) -> HttpResponse:
        wanted = parse_uuid(request.POST.get("organization"), "Organization not found")
        chosen = membership_for_session(user=request.user, org_id=wanted)
        if chosen is None or chosen.organization_id != wanted:
            raise NotFound("Organization not found")
        request.session[SESSION_ORG_KEY] = str(chosen.organization_id)
        return redirect_to("dashboard:repositories")


class HomeView(OrgView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return redirect_to("dashboard:repositories")


class NotFoundView(OrgView):
    """Any other /app/ URL: the dashboard's 404 page (signed-in) or the sign-in page."""

    write_role = "viewer"

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        raise NotFound("Page not found")

    post = get
