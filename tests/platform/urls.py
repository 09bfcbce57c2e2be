"""The real URLconf plus a few views that raise each kind of error (tests only)."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from repotoire.api.exceptions import Conflict, PlanLimitExceeded
from repotoire.urls import urlpatterns as real_patterns


class ConflictView(APIView):
    def post(self, request):
        raise Conflict("An analysis is already running for this repository")


class PlanView(APIView):
    def post(self, request):
        raise PlanLimitExceeded("Repository limit reached on the Free plan")


class CrashView(APIView):
    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class ForbiddenView(APIView):
    required_scope = "admin"

    def get(self, request):
        return Response({"ok": True})


def plain_crash(request):
    raise RuntimeError("secret internals in a plain view")


def plain_ok(request):
    return HttpResponse("ok")


urlpatterns = [
    path("test/conflict", ConflictView.as_view()),
    path("test/plan", PlanView.as_view()),
    path("test/crash", CrashView.as_view()),
    path("test/admin-only", ForbiddenView.as_view()),
    path("test/plain-crash", plain_crash),
    path("test/plain-ok", plain_ok),
    *real_patterns,
]


def plain_404(request):
    from django.http import Http404

    raise Http404("no such thing")


urlpatterns.insert(0, path("test/plain-404", plain_404))
