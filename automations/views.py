"""Pages of automations, and the anonymous unsubscribe page of their emails."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import messages, services
from .models import Suppression


@csrf_exempt  # the signed token is the credential; mail clients' one-click POST carries no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners prefetch links); POST unsubscribes, or subscribes again."""
    profile = messages.profile_from_token(token)
    if profile is None:
        return render(request, "automations/unsubscribe.html", {"invalid": True}, status=404)
    changed = False
    if request.method == "POST":
        if request.POST.get("action") == "subscribe":
            services.profile_resubscribe(profile=profile)
        else:
            services.profile_unsubscribe(profile=profile)
        changed = True
    subscribed = not Suppression.objects.filter(profile=profile).exists()
    return render(
        request,
        "automations/unsubscribe.html",
        {"token": token, "subscribed": subscribed, "changed": changed, "team": profile.team},
    )
